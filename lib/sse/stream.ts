/**
 * The server side of one event stream: a thin adapter from the encoder to
 * one node:http (or node:http2 compatibility API) response.
 *
 *   http.createServer((req, res) => {
 *     const stream = createEventStream(req, res, { retry: 2000 });
 *     const timer = setInterval(() => stream.send({ event: 'tick', data: String(Date.now()) }), 1000);
 *     stream.signal.addEventListener('abort', () => clearInterval(timer));
 *   });
 *
 * What it does, in order of the issue's list:
 *   - answers 200 with `Content-Type: text/event-stream; charset=utf-8` and
 *     `Cache-Control: no-cache`, and flushes the headers at once (the client's
 *     `open` fires before the first event);
 *   - turns Nagle off on HTTP/1.x so each event leaves at once (events
 *     written in the same tick leave together, in one write, at its end);
 *   - sends a comment line every `heartbeat` ms while nothing else was sent
 *     (proxies and load balancers close idle connections);
 *   - backpressure: when the socket does not keep up (write() returned
 *     false) events wait in the response's buffer, bounded by
 *     `maxQueueSize` bytes; when it would overflow, `overflow: 'disconnect'`
 *     (default) closes the connection and `'drop'` drops new events until
 *     the queue drains — memory never grows without bound because of a
 *     client that stopped reading; `await drained()` lets a producer wait;
 *   - `signal` aborts when the stream ends for any reason (client gone,
 *     server ended it, slow client cut off), with the reason as an SseError
 *     or a string;
 *   - `lastEventId` is the request's `Last-Event-ID` header (WHATWG HTML
 *     §9.2.4); with a `replay` buffer the events after it are sent first.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Http2ServerRequest, Http2ServerResponse } from 'node:http2';
import type { Tracer } from '../trace/index.js';
import { formatBytes, preview } from '../trace/index.js';
import { encodeComment, encodeEvent, type SseMessage } from './encoder.js';
import { SseError } from './errors.js';
import type { ReplayBuffer } from './replay.js';

export type Request = IncomingMessage | Http2ServerRequest;
export type Response = ServerResponse | Http2ServerResponse;

/** What the stream uses of a response; both http and http2 compat responses have it. */
interface Sink {
  write(chunk: string | Uint8Array): boolean;
  end(): unknown;
  destroy(): unknown;
  flushHeaders(): void;
  readonly writableFinished: boolean;
  /** Bytes accepted by write() and not yet handed to the kernel. */
  readonly writableLength: number;
}

export interface EventStreamOptions {
  /** Extra response headers (they override the defaults). */
  headers?: Record<string, string>;
  /** A `retry:` field sent first: the client's reconnection time in ms. */
  retry?: number;
  /** Milliseconds of silence before a heartbeat comment; 0 turns it off. Default 15000. */
  heartbeat?: number;
  /** Text of the heartbeat comment. Default "keep-alive". */
  heartbeatComment?: string;
  /** Most bytes waiting for a client that does not read. Default 1 MiB (1,048,576). */
  maxQueueSize?: number;
  /** What to do when the queue is full: close the connection (default) or drop new events. */
  overflow?: 'disconnect' | 'drop';
  /** Events to resend to a client that reconnects with Last-Event-ID. */
  replay?: ReplayBuffer;
  tracer?: Tracer;
}

export const DEFAULT_HEARTBEAT = 15_000;
export const DEFAULT_MAX_QUEUE_SIZE = 1024 * 1024;

let nextConn = 1;

/** A batch this big is written at once instead of at the end of the tick. */
const FLUSH_SIZE = 64 * 1024;

function joinChunks(chunks: (string | Uint8Array)[]): string | Uint8Array {
  let text = true;
  for (const c of chunks) if (typeof c !== 'string') text = false;
  if (text) return chunks.join('');
  return Buffer.concat(chunks.map((c) => (typeof c === 'string' ? Buffer.from(c, 'utf8') : c)));
}

export class SseStream {
  /** The request's Last-Event-ID header ("" when absent). */
  readonly lastEventId: string;
  /** Aborts when the stream has ended, for whatever reason. */
  readonly signal: AbortSignal;
  /** Events dropped under `overflow: 'drop'`. */
  dropped = 0;
  readonly conn: number;

  private readonly res: Sink;
  private readonly controller = new AbortController();
  private readonly tracer: Tracer | undefined;
  private readonly maxQueueSize: number;
  private readonly flushSize: number;
  private readonly overflow: 'disconnect' | 'drop';
  private readonly heartbeatWire: string;
  private heartbeatTimer: NodeJS.Timeout | undefined;
  private wroteSinceBeat = false;
  /** write() returned false: the client is behind until 'drain'. */
  private blocked = false;
  /**
   * Events written in the current tick, not yet handed to the response: they
   * leave together, in one write, at the end of the tick (or sooner when
   * they pass FLUSH_SIZE).
   */
  private batch: (string | Uint8Array)[] = [];
  private batchSize = 0;
  private readonly flush = () => {
    const n = this.batch.length;
    if (n === 0) return;
    const chunk = n === 1 ? this.batch[0] : joinChunks(this.batch);
    this.batch = [];
    this.batchSize = 0;
    if (this.ended) return;
    if (!this.res.write(chunk)) this.blocked = true;
  };
  private waiters: (() => void)[] = [];
  /** The response has ended (or close() started ending it): no more writes. */
  private ended = false;
  private closing = false;
  private endReason = '';

  constructor(req: Request, res: Response, options: EventStreamOptions = {}) {
    this.res = res as unknown as Sink;
    this.tracer = options.tracer;
    this.conn = nextConn++;
    this.maxQueueSize = options.maxQueueSize ?? DEFAULT_MAX_QUEUE_SIZE;
    this.overflow = options.overflow ?? 'disconnect';
    this.flushSize = Math.min(FLUSH_SIZE, this.maxQueueSize >> 2);
    this.heartbeatWire = encodeComment(options.heartbeatComment ?? 'keep-alive');
    this.signal = this.controller.signal;
    const header = req.headers['last-event-id'];
    this.lastEventId = typeof header === 'string' ? header : '';

    const http2 = req.httpVersionMajor === 2;
    const headers: Record<string, string> = {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache',
      // nginx buffers proxied responses unless told not to
      'x-accel-buffering': 'no',
    };
    if (!http2) headers.connection = 'keep-alive';
    for (const [k, v] of Object.entries(options.headers ?? {})) headers[k.toLowerCase()] = v;
    res.on('close', () => this.onClose());
    res.on('drain', () => this.onDrain());
    if (!http2) (req as IncomingMessage).socket.setNoDelay(true);
    res.writeHead(200, headers);
    this.res.flushHeaders();
    if (this.tracer) {
      this.tracer({
        protocol: 'sse',
        dir: '->',
        kind: 'headers',
        summary: `200 text/event-stream${this.lastEventId ? ` (Last-Event-ID: ${this.lastEventId})` : ''}`,
        conn: this.conn,
        fields: { status: 200, lastEventId: this.lastEventId, http2 },
      });
    }

    if (options.retry !== undefined) this.writeWire(encodeEvent({ retry: options.retry }));
    if (options.replay && this.lastEventId !== '') {
      for (const wire of options.replay.since(this.lastEventId) ?? []) this.writeWire(wire);
    }
    const beat = options.heartbeat ?? DEFAULT_HEARTBEAT;
    if (beat > 0) {
      this.heartbeatTimer = setInterval(() => this.onBeat(), beat);
      this.heartbeatTimer.unref();
    }
  }

  /** Whether the stream has ended (no more writes). */
  get closed(): boolean {
    return this.ended || this.closing;
  }

  /** Whether a write now goes straight to the socket (false while waiting for 'drain'). */
  get writable(): boolean {
    return !this.blocked && !this.closed;
  }

  /**
   * Resolves once the client has caught up (nothing queued, the socket took
   * everything) or the stream has ended: a producer that can wait awaits
   * this instead of letting the queue fill.
   */
  drained(): Promise<void> {
    if (!this.blocked || this.ended) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push(resolve));
  }

  /** Bytes written but not yet taken by the client's socket: the queue that `maxQueueSize` bounds. */
  get queuedSize(): number {
    return this.ended ? 0 : this.res.writableLength + this.batchSize;
  }

  /**
   * Send one event. Returns false when it was not written or queued (the
   * stream has ended, or the event was dropped). Throws SseError
   * INVALID_FIELD for an event name, id or retry that would break framing.
   */
  send(message: SseMessage): boolean {
    const wire = encodeEvent(message);
    if (this.tracer && !this.closed) {
      this.tracer({
        protocol: 'sse',
        dir: '->',
        kind: 'event',
        summary: `${message.event ?? 'message'}${message.id !== undefined ? ` id=${message.id}` : ''} data=${preview(message.data ?? '')}`,
        size: Buffer.byteLength(wire),
        conn: this.conn,
        fields: { ...message },
      });
    }
    return this.writeWire(wire);
  }

  /** Send a comment (each of its lines becomes a comment line). */
  comment(text: string): boolean {
    return this.writeWire(encodeComment(text));
  }

  /**
   * Write text already in the wire format (one or more whole events, from
   * encodeEvent): what a channel does to encode once for many streams.
   */
  writeWire(wire: string | Uint8Array): boolean {
    if (this.ended || this.closing) return false;
    this.wroteSinceBeat = true;
    // The queue is the response's own write buffer (plus this tick's
    // batch): while the socket keeps up it stays empty; once write() has
    // said "wait for drain", every event is checked against the limit first.
    if (this.blocked) {
      const size = typeof wire === 'string' ? Buffer.byteLength(wire) : wire.length;
      const queued = this.res.writableLength + this.batchSize;
      if (queued + size > this.maxQueueSize) return this.onOverflow(queued + size);
    }
    // Events written in one tick (a burst, a replay, a broadcast) leave
    // together at the end of the tick, in one write: one HTTP chunk and one
    // system call instead of one per event. Nothing waits longer than that.
    this.batch.push(wire);
    this.batchSize += wire.length;
    if (this.batch.length === 1) process.nextTick(this.flush);
    else if (this.batchSize >= this.flushSize) this.flush();
    return true;
  }

  /** End the stream (queued events are still delivered first). */
  close(reason = 'server ended the stream'): void {
    if (this.ended || this.closing) return;
    this.closing = true;
    this.endReason = reason;
    this.flush();
    this.res.end();
  }

  private onBeat(): void {
    if (!this.wroteSinceBeat && !this.blocked) {
      if (this.tracer) this.tracer({ protocol: 'sse', dir: '->', kind: 'ping', summary: this.heartbeatWire.trimEnd(), conn: this.conn });
      this.writeWire(this.heartbeatWire);
    }
    this.wroteSinceBeat = false;
  }

  private onDrain(): void {
    this.blocked = false;
    this.wake();
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }

  private onOverflow(total: number): boolean {
    const why = `slow client: ${formatBytes(total)} waiting, over the ${formatBytes(this.maxQueueSize)} queue limit`;
    if (this.overflow === 'drop') {
      this.dropped++;
      if (this.tracer) this.tracer({ protocol: 'sse', dir: '--', kind: 'event', summary: `dropped: ${why}`, conn: this.conn });
      return false;
    }
    this.endReason = `${why}; disconnected`;
    this.finish(new SseError('SLOW_CLIENT', this.endReason));
    this.res.destroy();
    return false;
  }

  private onClose(): void {
    const reason = this.endReason || (this.res.writableFinished ? 'server ended the stream' : 'client disconnected');
    this.finish(reason);
  }

  private finish(reason: string | SseError): void {
    if (this.ended) return;
    this.ended = true;
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    this.wake();
    const text = typeof reason === 'string' ? reason : reason.message;
    if (this.tracer) this.tracer({ protocol: 'sse', dir: '--', kind: 'end', summary: text, conn: this.conn });
    this.controller.abort(reason);
  }
}

/** Start an event stream on `res`: headers sent and flushed now. */
export function createEventStream(req: Request, res: Response, options: EventStreamOptions = {}): SseStream {
  return new SseStream(req, res, options);
}
