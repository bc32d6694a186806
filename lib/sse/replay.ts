/**
 * A replay buffer: the last events sent, kept by id, so that a client that
 * reconnects with `Last-Event-ID` (WHATWG HTML §9.2.4) can be sent what it
 * missed. Pure data structure, bounded both by count and by bytes.
 *
 *   const replay = new ReplayBuffer({ capacity: 1000 });
 *   replay.push('41', encodeEvent({ id: 41, data: '...' }));
 *   replay.since('40');   // [wire of 41]; undefined when '40' is not (or no longer) held
 */

export interface ReplayOptions {
  /** Most events held; the oldest go first. Default 1000. */
  capacity?: number;
  /** Most characters of wire text held in all; the oldest go first. Default 4 MiB (4,194,304). */
  maxSize?: number;
}

interface Entry {
  id: string;
  wire: string;
}

export class ReplayBuffer {
  readonly capacity: number;
  readonly maxSize: number;
  private entries: Entry[] = [];
  /** Index of the oldest live entry in `entries` (dropped ones are compacted away in batches). */
  private head = 0;
  private size = 0;

  constructor(options: ReplayOptions = {}) {
    this.capacity = options.capacity ?? 1000;
    this.maxSize = options.maxSize ?? 4 * 1024 * 1024;
  }

  /** Events held now. */
  get length(): number {
    return this.entries.length - this.head;
  }

  /** Remember one event's wire text under its id. */
  push(id: string, wire: string): void {
    this.entries.push({ id, wire });
    this.size += wire.length;
    while (this.length > this.capacity || (this.size > this.maxSize && this.length > 0)) {
      this.size -= this.entries[this.head].wire.length;
      this.head++;
    }
    if (this.head > 1024 && this.head * 2 > this.entries.length) {
      this.entries = this.entries.slice(this.head);
      this.head = 0;
    }
  }

  /**
   * The wire text of every event after the one with `lastEventId`, oldest
   * first; undefined when that id is not held (never sent, or already
   * evicted), so the caller can decide (start over, or send nothing).
   */
  since(lastEventId: string): string[] | undefined {
    for (let i = this.entries.length - 1; i >= this.head; i--) {
      if (this.entries[i].id === lastEventId) return this.entries.slice(i + 1).map((e) => e.wire);
    }
    return undefined;
  }

  clear(): void {
    this.entries = [];
    this.head = 0;
    this.size = 0;
  }
}
