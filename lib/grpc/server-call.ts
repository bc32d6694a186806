/**
 * One call on the server: the request head already checked, a handler
 * running with the request messages (Inbound) and a ServerCall to shape the
 * response. It owns the response side of the HTTP/2 stream:
 *
 *   RUNNING --handler returns / throws / deadline / bad input--> FINISHED
 *      |        (status sent: trailers, or Trailers-Only when nothing went out yet)
 *      \--RST_STREAM from the client, connection lost-----------> FINISHED
 *               (handler's signal aborts with CANCELLED)
 */
import * as http2 from 'node:http2';
import { ACCEPT_ENCODING, compressMessage, parseAcceptEncoding, type Encoding } from './compression.js';
import { GrpcError, internalFrom } from './errors.js';
import { encodeMessage } from './frame.js';
import { Inbound } from './inbound.js';
import { Metadata } from './metadata.js';
import { OutgoingMessage, type MethodDefinition, type ServiceDefinition } from './service.js';
import { Status, http2ErrorName, percentEncode, statusName } from './status.js';
import { formatBytes, type Tracer } from '../trace/index.js';

const { NGHTTP2_CANCEL, NGHTTP2_NO_ERROR } = http2.constants;

/** The options a call needs (a subset of ServerOptions, defaults applied). */
export interface CallLimits {
  maxReceiveMessageSize: number;
  maxSendMessageSize: number;
  receiveTimeoutMs: number;
  responseEncoding: Encoding;
  onHandlerError?(err: unknown, call: ServerCall): void;
}

/** What a handler knows about its call, and how it shapes the response. */
export interface ServerCall {
  readonly method: MethodDefinition;
  /** The request's custom metadata (reserved headers left out). */
  readonly metadata: Metadata;
  /** Absolute deadline (Date.now() clock) from grpc-timeout, or Infinity. */
  readonly deadline: number;
  /** Aborts when the client cancels, the deadline passes, or the server ends the call. */
  readonly signal: AbortSignal;
  /** "address:port" of the client. */
  readonly peer: string;
  /** The request's grpc-encoding ('identity' when absent). */
  readonly requestEncoding: string;
  /** Codings the client accepts (grpc-accept-encoding). */
  readonly acceptEncodings: readonly string[];
  /** Compressed-Flag of the last request message read. */
  readonly lastRequestCompressed: boolean;
  /** Trailing metadata to send with the status; add to it any time before the call ends. */
  readonly trailers: Metadata;
  /** Encoding of response messages; set before the first one (only honoured when the client accepts it). */
  responseEncoding: Encoding;
  /** Initial metadata, sent in the response HEADERS; call before the first message. */
  sendMetadata(metadata: Metadata): void;
}

type Reply<Res> = Res | OutgoingMessage<Res>;
type Replies<Res> = AsyncIterable<Reply<Res>> | Iterable<Reply<Res>>;
export type UnaryHandler<Req, Res> = (request: Req, call: ServerCall) => Reply<Res> | Promise<Reply<Res>>;
export type ServerStreamingHandler<Req, Res> = (request: Req, call: ServerCall) => Replies<Res>;
export type ClientStreamingHandler<Req, Res> = (requests: AsyncIterable<Req>, call: ServerCall) => Reply<Res> | Promise<Reply<Res>>;
export type BidiStreamingHandler<Req, Res> = (requests: AsyncIterable<Req>, call: ServerCall) => Replies<Res>;

export type HandlerFor<M> =
  M extends MethodDefinition<infer Req, infer Res, infer CS, infer SS>
    ? CS extends true
      ? SS extends true
        ? BidiStreamingHandler<Req, Res>
        : ClientStreamingHandler<Req, Res>
      : SS extends true
        ? ServerStreamingHandler<Req, Res>
        : UnaryHandler<Req, Res>
    : never;

export type ServiceImplementation<S extends ServiceDefinition<any>> = { [K in keyof S['methods']]: HandlerFor<S['methods'][K]> };

export interface Route {
  method: MethodDefinition;
  handler: (...args: any[]) => any;
}

export const HEADER_FIELDS_OK = { ':status': 200, 'content-type': 'application/grpc' } as const;

export interface SessionState {
  id: number;
  tracer: Tracer | undefined;
  calls: Set<ServerCallImpl>;
  endReason: string | undefined;
}

/** Answer with one HEADERS frame (Trailers-Only, gRPC PROTOCOL-HTTP2 §Responses) and close the stream. */
export function trailersOnly(
  stream: http2.ServerHttp2Stream,
  code: number,
  message: string,
  tracer: Tracer | undefined,
  extra: Record<string, string | string[]> = {},
): void {
  if (tracer) tracer({ protocol: 'grpc', dir: '->', kind: 'trailers', summary: `stream=${stream.id} trailers-only grpc-status=${code} ${statusName(code)} ${JSON.stringify(message)}`, fields: { status: code } });
  if (stream.destroyed || stream.headersSent) return;
  const headers: http2.OutgoingHttpHeaders = { ...HEADER_FIELDS_OK, 'grpc-status': String(code), ...extra };
  if (message) headers['grpc-message'] = percentEncode(message);
  stream.respond(headers, { endStream: true });
  earlyClose(stream);
}

/**
 * gRPC PROTOCOL-HTTP2 §Early Server Closure: when the status goes out
 * before the client's END_STREAM, follow it with RST_STREAM NO_ERROR so the
 * stream is freed and the client stops sending.
 */
export function earlyClose(stream: http2.ServerHttp2Stream): void {
  if (stream.readableEnded || stream.destroyed) return;
  stream.resume();
  stream.close(NGHTTP2_NO_ERROR);
}

export class ServerCallImpl implements ServerCall {
  readonly method: MethodDefinition;
  readonly trailers = new Metadata();
  responseEncoding: Encoding;
  // Made on first use: most handlers never look at them (and an AbortController costs per call).
  private controller: AbortController | undefined;
  private abortReason: GrpcError | undefined;
  private metadataCache: Metadata | undefined;
  private acceptCache: string[] | undefined;
  private readonly inbound: Inbound<unknown>;
  private readonly tracer: Tracer | undefined;
  private finished = false;
  private headersSent = false;
  private initialMetadata: Metadata | undefined;
  private deadlineTimer: NodeJS.Timeout | undefined;
  private receiveTimer: NodeJS.Timeout | undefined;
  private paused = false;
  private drainWaiters: (() => void)[] = [];

  constructor(
    private readonly limits: CallLimits,
    private readonly st: SessionState,
    private readonly stream: http2.ServerHttp2Stream,
    private readonly headers: http2.IncomingHttpHeaders,
    private readonly route: Route,
    readonly deadline: number,
    readonly requestEncoding: string,
  ) {
    const o = limits;
    this.method = route.method;
    this.tracer = st.tracer;
    this.responseEncoding = o.responseEncoding;
    this.inbound = new Inbound({
      codec: route.method.requestCodec,
      maxMessageSize: o.maxReceiveMessageSize,
      encoding: requestEncoding,
      pause: () => {
        this.paused = true;
        this.stopReceiveTimer();
        stream.pause();
      },
      resume: () => {
        this.paused = false;
        stream.resume();
        this.checkReceiveTimer();
      },
      onError: (err) => this.finish(err.code, err.details),
      onMessage: this.tracer
        ? (m) => this.trace('<-', 'message', `stream=${stream.id} len=${m.data.byteLength} compressed=${m.compressed ? 1 : 0}`, 5 + m.data.byteLength)
        : undefined,
    });
    stream.on('data', (chunk: Buffer) => {
      this.inbound.push(chunk);
      this.checkReceiveTimer();
    });
    stream.on('end', () => {
      this.stopReceiveTimer();
      if (!stream.aborted) this.inbound.end();
    });
    // A client that vanishes (socket gone, RST_STREAM) aborts the stream before it ends.
    stream.on('aborted', () => this.onClose());
    stream.on('wantTrailers', () => this.sendPendingTrailers());
    stream.on('drain', () => this.wakeWriters());
    stream.on('close', () => this.onClose());
    if (deadline !== Infinity) {
      const ms = Math.max(0, deadline - Date.now());
      if (ms < 0x7fff_ffff) {
        this.deadlineTimer = setTimeout(() => {
          this.finish(Status.DEADLINE_EXCEEDED, `deadline exceeded: the call's grpc-timeout of ${headers['grpc-timeout']} elapsed on the server`);
        }, ms);
      }
    }
  }

  get metadata(): Metadata {
    return (this.metadataCache ??= Metadata.fromHeaders(this.headers));
  }

  get acceptEncodings(): string[] {
    return (this.acceptCache ??= parseAcceptEncoding(this.headers['grpc-accept-encoding'] as string | undefined));
  }

  get signal(): AbortSignal {
    if (!this.controller) {
      this.controller = new AbortController();
      if (this.abortReason) this.controller.abort(this.abortReason);
    }
    return this.controller.signal;
  }

  get peer(): string {
    const sock = this.stream.session?.socket;
    return `${sock?.remoteAddress}:${sock?.remotePort}`;
  }

  private abort(err: GrpcError): void {
    if (this.abortReason) return;
    this.abortReason = err;
    this.controller?.abort(err);
  }

  get lastRequestCompressed(): boolean {
    return this.inbound.lastCompressed;
  }

  sendMetadata(metadata: Metadata): void {
    if (this.headersSent) throw new GrpcError(Status.INTERNAL, 'initial metadata must be sent before the first response message');
    this.initialMetadata = (this.initialMetadata ?? new Metadata()).merge(metadata);
  }

  async run(): Promise<void> {
    const { method, handler } = this.route;
    try {
      if (!method.requestStream) {
        const request = await this.readSingle();
        if (!method.responseStream) await this.send(await handler(request, this));
        else await this.sendAll(handler(request, this));
      } else if (!method.responseStream) {
        await this.send(await handler(this.inbound, this));
      } else {
        await this.sendAll(handler(this.inbound, this));
      }
      this.finish(Status.OK, '');
    } catch (err) {
      if (this.finished) return;
      if (!(err instanceof GrpcError)) this.limits.onHandlerError?.(err, this);
      const e = internalFrom(err);
      this.finish(e.code, e.details, e.metadata);
    }
  }

  /** End the call from this side (server shutdown): handler sees its signal abort. */
  cancelLocal(reason: string): void {
    if (this.finished) return;
    this.finished = true;
    this.clearTimers();
    const err = new GrpcError(Status.UNAVAILABLE, reason);
    this.inbound.fail(err);
    this.abort(err);
    if (!this.stream.destroyed) this.stream.close(NGHTTP2_CANCEL);
  }

  private async readSingle(): Promise<unknown> {
    const first = await this.inbound.next();
    if (first.done) throw new GrpcError(Status.INTERNAL, `${this.method.path} takes one request message; the client half-closed without sending one`);
    const second = await this.inbound.next();
    if (!second.done) throw new GrpcError(Status.INTERNAL, `${this.method.path} takes one request message; the client sent a second one`);
    return first.value;
  }

  private async sendAll(replies: Replies<unknown>): Promise<void> {
    const it = (Symbol.asyncIterator in replies ? replies[Symbol.asyncIterator]() : (replies as Iterable<unknown>)[Symbol.iterator]()) as
      | AsyncIterator<unknown>
      | Iterator<unknown>;
    try {
      for (;;) {
        const r = await it.next();
        if (r.done) break;
        await this.send(r.value);
      }
    } finally {
      if (this.finished) await it.return?.();
    }
  }

  private async send(reply: unknown): Promise<void> {
    if (this.finished) throw this.abortReason ?? new GrpcError(Status.CANCELLED, 'call already ended');
    const o = this.limits;
    let message = reply;
    const encoding = this.effectiveEncoding();
    let compress = encoding !== 'identity';
    if (reply instanceof OutgoingMessage) {
      message = reply.message;
      compress = reply.compress && encoding !== 'identity';
    }
    let bytes = this.method.responseCodec.serialize(message);
    if (bytes.byteLength > o.maxSendMessageSize) {
      throw new GrpcError(Status.RESOURCE_EXHAUSTED, `response message of ${formatBytes(bytes.byteLength)} is over the server's ${formatBytes(o.maxSendMessageSize)} send limit`);
    }
    if (compress) bytes = await compressMessage(encoding, bytes);
    if (this.finished) throw this.abortReason ?? new GrpcError(Status.CANCELLED, 'call already ended');
    this.sendHeaders();
    if (this.tracer) this.trace('->', 'message', `stream=${this.stream.id} len=${bytes.byteLength} compressed=${compress ? 1 : 0}`, 5 + bytes.byteLength);
    if (!this.stream.write(encodeMessage(bytes, compress))) await this.waitDrain();
  }

  private effectiveEncoding(): Encoding {
    const e = this.responseEncoding;
    if (e === 'identity' || !this.acceptEncodings.includes(e)) return 'identity';
    return e;
  }

  private sendHeaders(): void {
    if (this.headersSent) return;
    this.headersSent = true;
    const headers: http2.OutgoingHttpHeaders = { ...HEADER_FIELDS_OK, 'grpc-accept-encoding': ACCEPT_ENCODING };
    const enc = this.effectiveEncoding();
    if (enc !== 'identity') headers['grpc-encoding'] = enc;
    this.initialMetadata?.writeHeaders(headers as Record<string, string | string[]>);
    if (this.tracer) this.trace('->', 'headers', `stream=${this.stream.id} :status=200${enc !== 'identity' ? ` grpc-encoding=${enc}` : ''}`);
    this.stream.respond(headers, { waitForTrailers: true });
  }

  private pendingTrailers: http2.OutgoingHttpHeaders | undefined;

  /**
   * End the call with a status (first one wins). gRPC PROTOCOL-HTTP2
   * §Responses: the status always goes in trailers, even for OK.
   */
  private finish(code: number, details: string, extra?: Metadata): void {
    if (this.finished) return;
    this.finished = true;
    this.clearTimers();
    const trailers: http2.OutgoingHttpHeaders = { 'grpc-status': String(code) };
    if (details) trailers['grpc-message'] = percentEncode(details);
    this.trailers.writeHeaders(trailers as Record<string, string | string[]>);
    extra?.writeHeaders(trailers as Record<string, string | string[]>);
    if (code !== Status.OK) {
      const err = new GrpcError(code, details);
      this.inbound.fail(err);
      this.abort(err);
    }
    this.wakeWriters();
    const stream = this.stream;
    if (stream.destroyed || stream.closed) return;
    if (!this.headersSent) {
      this.headersSent = true;
      if (this.tracer) this.trace('->', 'trailers', `stream=${stream.id} trailers-only grpc-status=${code} ${statusName(code)}${details ? ' ' + JSON.stringify(details) : ''}`);
      const headers: http2.OutgoingHttpHeaders = { ...HEADER_FIELDS_OK, ...trailers };
      this.initialMetadata?.writeHeaders(headers as Record<string, string | string[]>);
      stream.respond(headers, { endStream: true });
      earlyClose(stream);
      return;
    }
    this.pendingTrailers = trailers;
    stream.end();
  }

  private sendPendingTrailers(): void {
    const t = this.pendingTrailers;
    if (!t || this.stream.destroyed) return;
    if (this.tracer) {
      const code = Number(t['grpc-status']);
      this.trace('->', 'trailers', `stream=${this.stream.id} grpc-status=${code} ${statusName(code)}${t['grpc-message'] ? ' ' + JSON.stringify(t['grpc-message']) : ''}`);
    }
    this.stream.sendTrailers(t);
    if (!this.stream.readableEnded) setImmediate(() => earlyClose(this.stream));
  }

  private onClose(): void {
    this.clearTimers();
    this.wakeWriters();
    if (this.finished) return;
    this.finished = true;
    const rst = this.stream.rstCode ?? NGHTTP2_NO_ERROR;
    const reason =
      rst === NGHTTP2_CANCEL ? 'the client cancelled the call (RST_STREAM CANCEL)' : `the stream closed with RST_STREAM ${http2ErrorName(rst)} before the call finished`;
    if (this.tracer) this.trace('<-', 'rst', `stream=${this.stream.id} ${http2ErrorName(rst)}: ${reason}`);
    const err = new GrpcError(Status.CANCELLED, reason);
    this.inbound.fail(err);
    this.abort(err);
  }

  private checkReceiveTimer(): void {
    const ms = this.limits.receiveTimeoutMs;
    if (ms <= 0 || this.finished) return;
    if (!this.inbound.midMessage) {
      this.stopReceiveTimer();
      return;
    }
    if (this.receiveTimer || this.paused) return;
    this.receiveTimer = setTimeout(() => {
      this.receiveTimer = undefined;
      if (this.finished) return;
      const reason = `request message not complete within ${ms} ms (body trickled or stalled): RST_STREAM CANCEL`;
      if (this.tracer) this.trace('->', 'rst', `stream=${this.stream.id} CANCEL: ${reason}`);
      this.finished = true;
      const err = new GrpcError(Status.CANCELLED, reason);
      this.inbound.fail(err);
      this.abort(err);
      this.stream.close(NGHTTP2_CANCEL);
    }, ms);
  }

  private stopReceiveTimer(): void {
    if (this.receiveTimer) {
      clearTimeout(this.receiveTimer);
      this.receiveTimer = undefined;
    }
  }

  private clearTimers(): void {
    if (this.deadlineTimer) clearTimeout(this.deadlineTimer);
    this.deadlineTimer = undefined;
    this.stopReceiveTimer();
  }

  private waitDrain(): Promise<void> {
    return new Promise((resolve) => this.drainWaiters.push(resolve));
  }

  private wakeWriters(): void {
    const w = this.drainWaiters;
    if (w.length === 0) return;
    this.drainWaiters = [];
    for (const f of w) f();
  }

  private trace(dir: '->' | '<-', kind: string, summary: string, size?: number): void {
    this.tracer!({ protocol: 'grpc', dir, kind, summary, size, fields: { stream: this.stream.id } });
  }
}
