/**
 * ChunkQueue: the input buffer of an incremental parser. Network reads arrive
 * as chunks of any size; a parser needs "the next N bytes" whatever the split.
 * The queue keeps the chunks as they came and copies only when a request
 * spans two of them:
 *
 *   push(A) push(B)      [ A: 0 1 2 3 ][ B: 4 5 6 ]
 *   read(2) -> view of A [0 1]        (no copy)
 *   read(3) -> copy of [2 3 4]        (spans A and B)
 *
 * Memory is the bytes pushed and not yet consumed; callers bound it by
 * checking `length` against their own limits before pushing more.
 */

const EMPTY = new Uint8Array(0);

export class ChunkQueue {
  private chunks: Uint8Array[] = [];
  /** Index of the first live chunk in `chunks`. */
  private head = 0;
  /** Bytes of chunks[head] already consumed. */
  private offset = 0;
  /** Bytes buffered and not yet consumed. */
  length = 0;

  /** Number of chunks held (for limits on chunk floods). */
  get chunkCount(): number {
    return this.chunks.length - this.head;
  }

  push(chunk: Uint8Array): void {
    if (chunk.length === 0) return;
    this.chunks.push(chunk);
    this.length += chunk.length;
  }

  /** The byte at position `i` from the front, without consuming. */
  byteAt(i: number): number {
    if (i < 0 || i >= this.length) throw new RangeError(`byteAt(${i}) outside ${this.length} buffered bytes`);
    let k = this.head;
    let idx = i + this.offset;
    while (idx >= this.chunks[k].length) {
      idx -= this.chunks[k].length;
      k++;
    }
    return this.chunks[k][idx];
  }

  /**
   * The first `n` bytes, consumed. A view (no copy) when they lie in one
   * chunk; otherwise one copy into a new array.
   */
  read(n: number): Uint8Array {
    const out = this.peek(n);
    this.discard(n);
    return out;
  }

  /** The first `n` bytes without consuming them (view or copy, as read()). */
  peek(n: number): Uint8Array {
    if (n > this.length || n < 0) throw new RangeError(`peek(${n}) with ${this.length} bytes buffered`);
    if (n === 0) return EMPTY;
    const first = this.chunks[this.head];
    if (first.length - this.offset >= n) return first.subarray(this.offset, this.offset + n);
    return this.copyOut(new Uint8Array(n), 0, n);
  }

  /** Copy the first `n` bytes into `target` at `targetPos` without consuming. */
  copyOut(target: Uint8Array, targetPos: number, n: number): Uint8Array {
    let k = this.head;
    let off = this.offset;
    let done = 0;
    while (done < n) {
      const c = this.chunks[k];
      const take = Math.min(c.length - off, n - done);
      target.set(c.subarray(off, off + take), targetPos + done);
      done += take;
      k++;
      off = 0;
    }
    return target;
  }

  /** Drop the first `n` bytes. */
  discard(n: number): void {
    if (n > this.length || n < 0) throw new RangeError(`discard(${n}) with ${this.length} bytes buffered`);
    this.length -= n;
    while (n > 0) {
      const c = this.chunks[this.head];
      const avail = c.length - this.offset;
      if (n < avail) {
        this.offset += n;
        return;
      }
      n -= avail;
      this.head++;
      this.offset = 0;
    }
    // Compact the array of chunks once the consumed prefix dominates.
    if (this.head === this.chunks.length) {
      this.chunks = [];
      this.head = 0;
    } else if (this.head > 32 && this.head * 2 > this.chunks.length) {
      this.chunks = this.chunks.slice(this.head);
      this.head = 0;
    }
  }

  /**
   * Position of the first `byte` at or after `from`, or -1. Scans each chunk
   * with the native indexOf, so a line parser never rescans what it has seen
   * when it passes the last position searched as `from`.
   */
  indexOf(byte: number, from = 0): number {
    let base = 0;
    for (let k = this.head; k < this.chunks.length; k++) {
      const c = this.chunks[k];
      const start = k === this.head ? this.offset : 0;
      const size = c.length - start;
      if (from < base + size) {
        const at = c.indexOf(byte, start + Math.max(0, from - base));
        if (at !== -1) return base + (at - start);
      }
      base += size;
    }
    return -1;
  }

  /** Every buffered byte, consumed (a view when it is a single chunk). */
  readAll(): Uint8Array {
    return this.read(this.length);
  }

  clear(): void {
    this.chunks = [];
    this.head = 0;
    this.offset = 0;
    this.length = 0;
  }
}
