/**
 * A broadcast channel: one event to many event streams, encoded once.
 *
 *   const channel = new SseChannel({ replay: 500 });
 *   server.on('request', (req, res) => channel.add(createEventStream(req, res)));
 *   channel.send({ id: 42, event: 'price', data: '101.5' });   // to every client
 *
 * The wire text is built once and turned into bytes once; each stream then
 * writes the same bytes, with its own backpressure queue and overflow policy
 * (a slow client is cut off or skipped, never slowing the others). Events
 * sent in the same tick are joined first, so a burst costs one write per
 * client, not one per event per client. With
 * `replay`, events that carry an id are kept, and a stream added with a
 * Last-Event-ID the channel still holds gets what it missed first (WHATWG
 * HTML §9.2.4).
 */
import type { Tracer } from '../trace/index.js';
import { preview } from '../trace/index.js';
import { encodeComment, encodeEvent, type SseMessage } from './encoder.js';
import { ReplayBuffer } from './replay.js';
import type { SseStream } from './stream.js';

export interface ChannelOptions {
  /** Events (with ids) to keep for clients that reconnect; 0 (default) keeps none. */
  replay?: number;
  tracer?: Tracer;
}

export class SseChannel {
  /** The streams currently subscribed. */
  readonly clients = new Set<SseStream>();
  readonly replay: ReplayBuffer | undefined;
  private readonly tracer: Tracer | undefined;
  /**
   * Wire text of the events and comments sent in this tick: at its end they
   * become one buffer, written once to every client (one write per client
   * per tick, however many events).
   */
  private pending: string[] = [];
  private readonly flushSoon = () => this.flush();

  constructor(options: ChannelOptions = {}) {
    this.replay = options.replay ? new ReplayBuffer({ capacity: options.replay }) : undefined;
    this.tracer = options.tracer;
  }

  get size(): number {
    return this.clients.size;
  }

  /** Subscribe a stream; it leaves by itself when it ends. */
  add(stream: SseStream): void {
    if (stream.closed) return;
    // Events of this tick go to the clients that were there when they were
    // sent; the newcomer gets them from the replay buffer, if at all.
    this.flush();
    if (this.replay && stream.lastEventId !== '') {
      const missed = this.replay.since(stream.lastEventId);
      if (missed && missed.length > 0) stream.writeWire(missed.join(''));
    }
    this.clients.add(stream);
    stream.signal.addEventListener('abort', () => this.clients.delete(stream), { once: true });
  }

  delete(stream: SseStream): boolean {
    this.flush();
    return this.clients.delete(stream);
  }

  /**
   * Send one event to every client (at the end of this tick); returns how
   * many clients it goes to. Throws INVALID_FIELD like encodeEvent.
   */
  send(message: SseMessage): number {
    const wire = encodeEvent(message);
    if (this.replay && message.id !== undefined) this.replay.push(String(message.id), wire);
    if (this.tracer) {
      this.tracer({
        protocol: 'sse',
        dir: '->',
        kind: 'event',
        summary: `${message.event ?? 'message'}${message.id !== undefined ? ` id=${message.id}` : ''} data=${preview(message.data ?? '')} to ${this.clients.size} clients`,
        size: Buffer.byteLength(wire),
        fields: { ...message, clients: this.clients.size },
      });
    }
    return this.enqueue(wire);
  }

  /** A comment to every client. */
  comment(text: string): number {
    return this.enqueue(encodeComment(text));
  }

  /** Write what this tick sent to every client now, instead of at the end of the tick. */
  flush(): void {
    if (this.pending.length === 0) return;
    const bytes = Buffer.from(this.pending.length === 1 ? this.pending[0] : this.pending.join(''), 'utf8');
    this.pending = [];
    for (const stream of this.clients) stream.writeWire(bytes);
  }

  /** Resolves when every client has caught up (see SseStream.drained). */
  async drained(): Promise<void> {
    this.flush();
    const waits: Promise<void>[] = [];
    for (const stream of this.clients) if (!stream.writable) waits.push(stream.drained());
    await Promise.all(waits);
  }

  /** End every stream. */
  close(reason = 'channel closed'): void {
    this.flush();
    for (const stream of [...this.clients]) stream.close(reason);
    this.clients.clear();
  }

  /** Queue wire text for every client; returns how many clients will get it. */
  private enqueue(wire: string): number {
    if (this.pending.push(wire) === 1) process.nextTick(this.flushSoon);
    return this.clients.size;
  }
}
