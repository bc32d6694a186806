/**
 * Inbound: the received half of a call, on either side, as an async
 * iterable of decoded messages with backpressure.
 *
 * DATA bytes go into the deframer (frame.ts); complete messages wait in a
 * short queue until the application asks for the next one. When the queue
 * holds `highWaterMark` messages the adapter is told to pause the HTTP/2
 * stream: node stops consuming, the stream's flow-control window is not
 * replenished, and the peer is held back by HTTP/2 flow control (RFC 9113
 * §5.2) instead of filling our memory. Reading resumes the stream.
 *
 * Decompression and deserialization happen when a message is read, one at a
 * time, so order is kept and a slow reader bounds the work done.
 */
import { decompressMessage } from './compression.js';
import { GrpcError } from './errors.js';
import { MessageDeframer, type ReceivedMessage } from './frame.js';
import type { Codec } from './service.js';
import { Status } from './status.js';

export interface InboundOptions<T> {
  codec: Codec<T>;
  /** Receive limit for one message, before and after decompression. */
  maxMessageSize: number;
  /** The peer's grpc-encoding ('identity' when absent). */
  encoding: string;
  /** Stop reading the HTTP/2 stream (queue full). */
  pause(): void;
  /** Read the HTTP/2 stream again. */
  resume(): void;
  /** The message stream is broken (framing, size, decoding): end the call with this error. */
  onError(err: GrpcError): void;
  /** Called with each decoded message's size on the wire (for tracing). */
  onMessage?(m: ReceivedMessage): void;
  /** Messages queued before the stream is paused (default 16). */
  highWaterMark?: number;
}

type Waiter<T> = { resolve(r: IteratorResult<T>): void; reject(e: unknown): void };

export class Inbound<T> implements AsyncIterable<T> {
  private readonly deframer: MessageDeframer;
  private readonly queue: ReceivedMessage[] = [];
  private readonly scratch: ReceivedMessage[] = [];
  private head = 0;
  private paused = false;
  private ended = false;
  private error: GrpcError | undefined;
  private waiter: Waiter<T> | undefined;
  private reading = false;
  private readonly hwm: number;
  /** Compressed-Flag of the last message handed out. */
  lastCompressed = false;
  /** Messages handed out so far. */
  count = 0;
  /** The peer's grpc-encoding (a client learns it from the response headers). */
  encoding: string;

  constructor(private readonly opts: InboundOptions<T>) {
    this.deframer = new MessageDeframer({ maxMessageSize: opts.maxMessageSize });
    this.hwm = opts.highWaterMark ?? 16;
    this.encoding = opts.encoding;
  }

  /** Whether a message has begun arriving and is not complete. */
  get midMessage(): boolean {
    return this.deframer.midMessage;
  }

  /** Bytes from the DATA frames of the stream. */
  push(chunk: Uint8Array): void {
    if (this.ended || this.error) return;
    const out = this.scratch;
    const err = this.deframer.push(chunk, out);
    for (let i = 0; i < out.length; i++) {
      this.opts.onMessage?.(out[i]);
      this.queue.push(out[i]);
    }
    out.length = 0;
    if (err) {
      const e = new GrpcError(err.status, err.reason);
      this.opts.onError(e);
      this.fail(e);
      return;
    }
    if (this.waiter && !this.reading) this.deliver();
    if (!this.paused && this.queue.length - this.head >= this.hwm) {
      this.paused = true;
      this.opts.pause();
    }
  }

  /** The peer half-closed (END_STREAM) or, on a client, the call ended OK. */
  end(): void {
    if (this.ended || this.error) return;
    this.ended = true;
    if (this.deframer.midMessage) {
      const e = new GrpcError(Status.INTERNAL, `stream ended in the middle of a message (${this.deframer.buffered} bytes of it received)`);
      this.opts.onError(e);
      this.error = e;
    }
    if (this.waiter && !this.reading) this.deliver();
  }

  /** The call ended with `err`: readers get the messages already queued, then `err`. */
  fail(err: GrpcError): void {
    if (this.error) return;
    this.error = err;
    if (this.waiter && !this.reading) this.deliver();
  }

  /** Drop everything queued (the call is over and nobody will read). */
  discard(): void {
    this.queue.length = 0;
    this.head = 0;
  }

  next(): Promise<IteratorResult<T>> {
    if (this.waiter) return Promise.reject(new Error('Inbound: next() called while a read is pending'));
    return new Promise((resolve, reject) => {
      this.waiter = { resolve, reject };
      this.deliver();
    });
  }

  [Symbol.asyncIterator](): AsyncIterator<T> {
    return { next: () => this.next(), return: async () => ({ done: true, value: undefined }) };
  }

  private deliver(): void {
    const w = this.waiter;
    if (!w) return;
    if (this.head < this.queue.length) {
      const m = this.queue[this.head];
      this.queue[this.head++] = undefined as unknown as ReceivedMessage;
      if (this.head === this.queue.length) {
        this.queue.length = 0;
        this.head = 0;
      }
      if (this.paused && this.queue.length - this.head <= this.hwm / 2) {
        this.paused = false;
        this.opts.resume();
      }
      this.lastCompressed = m.compressed;
      if (!m.compressed) {
        this.waiter = undefined;
        this.decode(m.data, w);
        return;
      }
      if (this.encoding === 'identity') {
        this.waiter = undefined;
        const e = new GrpcError(Status.INTERNAL, 'received a message with the compressed flag set but the call has no grpc-encoding');
        this.opts.onError(e);
        this.error = e;
        w.reject(e);
        return;
      }
      this.reading = true;
      decompressMessage(this.encoding, m.data, this.opts.maxMessageSize).then(
        (plain) => {
          this.reading = false;
          this.waiter = undefined;
          this.decode(plain, w);
        },
        (err: GrpcError) => {
          this.reading = false;
          this.waiter = undefined;
          this.opts.onError(err);
          this.error = err;
          w.reject(err);
        },
      );
      return;
    }
    if (this.error) {
      this.waiter = undefined;
      w.reject(this.error);
      return;
    }
    if (this.ended) {
      this.waiter = undefined;
      w.resolve({ done: true, value: undefined });
    }
  }

  private decode(bytes: Uint8Array, w: Waiter<T>): void {
    let value: T;
    try {
      value = this.opts.codec.deserialize(bytes);
    } catch (err) {
      const e = new GrpcError(Status.INTERNAL, `could not parse a received message: ${(err as Error).message}`, undefined, { cause: err });
      this.opts.onError(e);
      this.error = e;
      w.reject(e);
      return;
    }
    this.count++;
    w.resolve({ done: false, value });
  }
}
