/**
 * The gRPC client: a Channel (one HTTP/2 connection, made again when it
 * drops) and ClientCall (one call = one HTTP/2 stream).
 *
 *   client                                         server
 *     HEADERS :method POST :path /S/M te trailers  --->
 *             content-type application/grpc grpc-timeout 99m ...
 *     DATA <prefix + message> ...                  --->
 *     DATA END_STREAM (half-close)                 --->
 *                                                  <---  HEADERS :status 200 (initial metadata)
 *                                                  <---  DATA <prefix + message> ...
 *                                                  <---  HEADERS grpc-status ... END_STREAM
 *
 * Every way a call can end becomes one status (gRPC PROTOCOL-HTTP2
 * §Responses: implementations must synthesize a status when the response
 * has none), with a message that says what happened on the wire.
 */
import * as http2 from 'node:http2';
import type { CallOptions, CallStatus, Channel, SessionInfo } from './channel.js';
import { ACCEPT_ENCODING, compressMessage, type Encoding } from './compression.js';
import { GrpcError } from './errors.js';
import { encodeMessage } from './frame.js';
import { Inbound } from './inbound.js';
import { Metadata, isGrpcContentType } from './metadata.js';
import { OutgoingMessage, type MethodDefinition, type ServiceDefinition } from './service.js';
import { Status, http2ErrorName, parseStatus, percentDecode, statusFromHttp, statusFromRstCode, statusName } from './status.js';
import { formatTimeout } from './timeout.js';
import { formatBytes, type Tracer } from '../trace/index.js';

export { Channel, USER_AGENT, type ChannelOptions, type CallOptions, type CallStatus } from './channel.js';

const { NGHTTP2_CANCEL, NGHTTP2_NO_ERROR } = http2.constants;

/**
 * One call: write requests, read responses (async iteration), and a status
 * at the end. Reading throws a GrpcError when the status is not OK.
 */
export class ClientCall<Req, Res> implements AsyncIterable<Res> {
  /** Initial metadata from the response headers (empty for Trailers-Only). */
  readonly headers: Promise<Metadata>;
  /** The final status; never rejects. */
  readonly status: Promise<CallStatus>;
  readonly method: MethodDefinition<Req, Res>;
  private stream: http2.ClientHttp2Stream | undefined;
  private readonly inbound: Inbound<Res>;
  private readonly tracer: Tracer | undefined;
  private readonly encoding: Encoding;
  private final: CallStatus | undefined;
  private resolveHeaders!: (m: Metadata) => void;
  private resolveStatus!: (s: CallStatus) => void;
  private gotHeaders = false;
  private deadlineTimer: NodeJS.Timeout | undefined;
  private writeChain: Promise<void> = Promise.resolve();
  private drainWaiters: (() => void)[] = [];
  private transportError: NodeJS.ErrnoException | undefined;
  private readonly onAbort: (() => void) | undefined;
  private readonly requestHeaders: http2.OutgoingHttpHeaders;
  private readonly deadline: number;
  private started!: Promise<void>;
  private markStarted!: () => void;
  private released = false;
  /** @internal the session this call is queued on or runs on. */
  _info!: SessionInfo;

  constructor(
    private readonly channel: Channel,
    method: MethodDefinition<Req, Res>,
    private readonly options: CallOptions,
  ) {
    const o = channel.options;
    this.method = method;
    this.tracer = o.tracer;
    this.encoding = options.compression ?? o.compression;
    this.headers = new Promise((r) => (this.resolveHeaders = r));
    this.status = new Promise((r) => (this.resolveStatus = r));
    const headers: http2.OutgoingHttpHeaders = {
      ':method': 'POST',
      ':scheme': 'http',
      ':path': method.path,
      ':authority': channel.authority,
    };
    let deadline = Infinity;
    if (options.deadline !== undefined) deadline = typeof options.deadline === 'number' ? options.deadline : options.deadline.getTime();
    if (options.timeoutMs !== undefined) deadline = Math.min(deadline, Date.now() + options.timeoutMs);
    this.deadline = deadline;
    // gRPC PROTOCOL-HTTP2 §Requests: send Timeout right after the reserved headers (the value is set when the stream starts).
    if (deadline !== Infinity) headers['grpc-timeout'] = '';
    headers['content-type'] = 'application/grpc';
    headers['te'] = 'trailers';
    headers['user-agent'] = o.userAgent;
    headers['grpc-accept-encoding'] = ACCEPT_ENCODING;
    if (this.encoding !== 'identity') headers['grpc-encoding'] = this.encoding;
    options.metadata?.writeHeaders(headers as Record<string, string | string[]>);
    this.inbound = new Inbound<Res>({
      codec: method.responseCodec,
      maxMessageSize: o.maxReceiveMessageSize,
      encoding: 'identity',
      pause: () => this.stream?.pause(),
      resume: () => this.stream?.resume(),
      onError: (err) => this.fail(err.code, err.details),
      onMessage: this.tracer ? (m) => this.trace('<-', 'message', `len=${m.data.byteLength} compressed=${m.compressed ? 1 : 0}`, 5 + m.data.byteLength) : undefined,
    });
    this.requestHeaders = headers;
    this.started = new Promise((r) => (this.markStarted = r));
    if (deadline !== Infinity) {
      const ms = Math.max(0, deadline - Date.now());
      this.deadlineTimer = setTimeout(() => {
        this.fail(Status.DEADLINE_EXCEEDED, `deadline exceeded after ${ms} ms waiting for ${method.path}`);
      }, Math.min(ms, 0x7fff_ffff));
    }
    if (options.signal) {
      if (options.signal.aborted) queueMicrotask(() => this.cancel(abortReason(options.signal!)));
      else {
        this.onAbort = () => this.cancel(abortReason(options.signal!));
        options.signal.addEventListener('abort', this.onAbort, { once: true });
      }
    }
    channel._enqueue(this);
  }

  /** @internal open the HTTP/2 stream (a slot is free); false when the call already ended. */
  _begin(info: SessionInfo): boolean {
    if (this.final !== undefined) {
      this.releaseSlot(false);
      return false;
    }
    const headers = this.requestHeaders;
    if (this.deadline !== Infinity) headers['grpc-timeout'] = formatTimeout(this.deadline - Date.now());
    let stream: http2.ClientHttp2Stream;
    try {
      stream = info.session.request(headers, { endStream: false });
    } catch (err) {
      // The session is closing or destroyed: this call never started.
      this._notStarted(`${info.reason ?? 'connection is closing'}; the call was not started (${(err as Error).message})`);
      return false;
    }
    this.stream = stream;
    if (this.tracer) {
      const t = headers['grpc-timeout'] ? ` grpc-timeout=${headers['grpc-timeout']}` : '';
      const e = this.encoding !== 'identity' ? ` grpc-encoding=${this.encoding}` : '';
      this.trace('->', 'headers', `POST ${this.method.path}${t}${e}`);
    }
    stream.on('response', (h) => this.onResponseHeaders(h));
    stream.on('data', (chunk: Buffer) => {
      if (this.gotHeaders) this.inbound.push(chunk);
    });
    stream.on('trailers', (t) => this.onTrailers(t));
    stream.on('drain', () => this.wake());
    stream.on('error', (err: NodeJS.ErrnoException) => {
      this.transportError ??= err;
    });
    stream.on('close', () => this.onClose());
    this.markStarted();
    return true;
  }

  /** @internal the call was queued and its connection went away before it could start. */
  _notStarted(details: string): void {
    this.settle({ code: Status.UNAVAILABLE, details, metadata: new Metadata() });
    this.releaseSlot(false);
  }

  private releaseSlot(hadStream: boolean): void {
    if (this.released) return;
    this.released = true;
    this.markStarted();
    this.channel._release(this._info, hadStream);
  }

  /** Resolves when the request HEADERS went out (or the call ended before they could). */
  get opened(): Promise<void> {
    return this.started;
  }

  /** Compressed-Flag of the last response message read. */
  get lastMessageCompressed(): boolean {
    return this.inbound.lastCompressed;
  }

  /** Whether the call has its status. */
  get done(): boolean {
    return this.final !== undefined;
  }

  /**
   * Send one request message; resolves when HTTP/2 flow control has taken
   * it (awaiting each write is how a fast writer is held back). Wrap a
   * message with withCompression(msg, false) to send it uncompressed.
   */
  write(message: Req | OutgoingMessage<Req>): Promise<void> {
    const p = this.writeChain.then(() => this.doWrite(message));
    this.writeChain = p.catch(() => {});
    return p;
  }

  /** Half-close: no more requests (an empty DATA frame with END_STREAM). */
  end(): void {
    this.writeChain = this.writeChain.then(async () => {
      if (this.stream === undefined) await this.started;
      if (this.final === undefined && this.stream && !this.stream.writableEnded) {
        if (this.tracer) this.trace('->', 'data', 'END_STREAM (half-close)');
        this.stream.end();
      }
    });
  }

  /** Cancel: RST_STREAM CANCEL to the server, status CANCELLED here (gRPC PROTOCOL-HTTP2 §Client Cancellation). */
  cancel(reason = 'cancelled by the client'): void {
    this.fail(Status.CANCELLED, reason);
  }

  /** The one response of a unary or client-streaming call. */
  async response(): Promise<Res> {
    const first = await this.inbound.next();
    if (first.done) throw new GrpcError(Status.INTERNAL, `server ended ${this.method.path} with OK but sent no response message`);
    const second = await this.inbound.next();
    if (!second.done) {
      this.fail(Status.INTERNAL, `server sent more than one response message on ${this.method.path}`);
      throw new GrpcError(Status.INTERNAL, `server sent more than one response message on ${this.method.path}`);
    }
    return first.value;
  }

  [Symbol.asyncIterator](): AsyncIterator<Res> {
    return {
      next: () => this.inbound.next(),
      return: async () => {
        if (this.final === undefined) this.cancel('the reader stopped reading responses');
        return { done: true, value: undefined };
      },
    };
  }

  private async doWrite(message: Req | OutgoingMessage<Req>): Promise<void> {
    if (this.stream === undefined) await this.started;
    if (this.final !== undefined) throw this.endedError();
    let value = message as Req;
    let compress = this.encoding !== 'identity';
    if (message instanceof OutgoingMessage) {
      value = message.message;
      compress = message.compress && this.encoding !== 'identity';
    }
    let bytes = this.method.requestCodec.serialize(value);
    const max = this.channel.options.maxSendMessageSize;
    if (bytes.byteLength > max) {
      const details = `request message of ${formatBytes(bytes.byteLength)} is over the client's ${formatBytes(max)} send limit`;
      this.fail(Status.RESOURCE_EXHAUSTED, details);
      throw new GrpcError(Status.RESOURCE_EXHAUSTED, details);
    }
    if (compress) bytes = await compressMessage(this.encoding, bytes);
    if (this.final !== undefined) throw this.endedError();
    if (this.tracer) this.trace('->', 'message', `len=${bytes.byteLength} compressed=${compress ? 1 : 0}`, 5 + bytes.byteLength);
    if (!this.stream!.write(encodeMessage(bytes, compress))) {
      await new Promise<void>((r) => this.drainWaiters.push(r));
    }
  }

  private endedError(): GrpcError {
    const f = this.final!;
    return f.code === Status.OK ? new GrpcError(Status.INTERNAL, 'write after the call ended') : new GrpcError(f.code, f.details, f.metadata);
  }

  private onResponseHeaders(h: http2.IncomingHttpHeaders & http2.IncomingHttpStatusHeader): void {
    const httpStatus = Number(h[':status']);
    const ct = h['content-type'];
    const grpcStatus = h['grpc-status'];
    if (this.tracer) this.trace('<-', 'headers', `:status=${httpStatus}${ct ? ` content-type=${ct}` : ''}${grpcStatus !== undefined ? ` grpc-status=${grpcStatus} (trailers-only)` : ''}`);
    // http-grpc-status-mapping.md: a non-200 answer without grpc-status is mapped from the HTTP status,
    // and its body (a proxy's error page) is never read as gRPC messages.
    if (httpStatus !== 200 && grpcStatus === undefined) {
      const code = statusFromHttp(httpStatus);
      return this.fail(code, `server answered HTTP ${httpStatus}${ct ? ` with content-type ${ct}` : ''}, not a gRPC response (mapped to ${statusName(code)})`);
    }
    if (grpcStatus !== undefined) return this.onTrailers(h, true);
    if (!isGrpcContentType(ct as string | undefined)) {
      return this.fail(Status.UNKNOWN, `server answered HTTP 200 with content-type ${ct ?? '(none)'}, not application/grpc`);
    }
    this.gotHeaders = true;
    this.inbound.encoding = String(h['grpc-encoding'] ?? 'identity').toLowerCase();
    this.resolveHeaders(Metadata.fromHeaders(h));
  }

  private onTrailers(t: http2.IncomingHttpHeaders, trailersOnly = false): void {
    if (this.final !== undefined) return;
    const code = parseStatus(t['grpc-status'] as string | undefined);
    const details = percentDecode(String(t['grpc-message'] ?? ''));
    if (this.tracer && !trailersOnly) this.trace('<-', 'trailers', `grpc-status=${t['grpc-status']} ${code === undefined ? '' : statusName(code)}${details ? ' ' + JSON.stringify(details) : ''}`);
    const metadata = Metadata.fromHeaders(t);
    if (code === undefined) {
      this.settle({ code: Status.UNKNOWN, details: `server sent trailers without a valid grpc-status (got ${JSON.stringify(t['grpc-status'] ?? null)})`, metadata });
    } else {
      this.settle({ code, details, metadata });
    }
    // gRPC PROTOCOL-HTTP2 §Early Server Closure: trailers before our END_STREAM -> RST_STREAM NO_ERROR.
    if (this.stream && !this.stream.writableEnded && !this.stream.destroyed) this.stream.close(NGHTTP2_NO_ERROR);
  }

  private onClose(): void {
    this.wake();
    this.releaseSlot(true);
    if (this.final !== undefined) return;
    const rst = this.stream!.rstCode ?? NGHTTP2_NO_ERROR;
    const err = this.transportError;
    let code: number;
    let details: string;
    const info = this._info;
    if (info.reason !== undefined && (info.session.destroyed || info.session.closed || err?.code === 'ERR_HTTP2_GOAWAY_SESSION')) {
      code = Status.UNAVAILABLE;
      details = `${info.reason}; ${this.method.path} did not finish`;
    } else if (err && err.code !== 'ERR_HTTP2_STREAM_ERROR') {
      code = Status.UNAVAILABLE;
      details = `${this.method.path} failed on the connection: ${err.message}`;
    } else if (rst !== NGHTTP2_NO_ERROR) {
      code = statusFromRstCode(rst);
      details = `server closed the stream with RST_STREAM ${http2ErrorName(rst)} before sending trailers`;
    } else {
      code = Status.INTERNAL;
      details = 'server ended the stream without trailers (no grpc-status)';
    }
    if (this.tracer && rst !== NGHTTP2_NO_ERROR) this.trace('<-', 'rst', `${http2ErrorName(rst)}: ${details}`);
    this.settle({ code, details, metadata: new Metadata() });
  }

  /** End the call locally with `code` and reset the stream with CANCEL. */
  private fail(code: number, details: string): void {
    if (this.final !== undefined) return;
    this.settle({ code, details, metadata: new Metadata() });
    if (this.stream && !this.stream.destroyed) {
      if (this.tracer) this.trace('->', 'rst', `CANCEL: ${statusName(code)} ${details}`);
      this.stream.close(NGHTTP2_CANCEL);
    }
  }

  private settle(s: CallStatus): void {
    if (this.final !== undefined) return;
    this.final = s;
    if (this.deadlineTimer) clearTimeout(this.deadlineTimer);
    if (this.onAbort) this.options.signal?.removeEventListener('abort', this.onAbort);
    this.resolveHeaders(new Metadata());
    if (s.code === Status.OK) this.inbound.end();
    else this.inbound.fail(new GrpcError(s.code, s.details, s.metadata));
    this.wake();
    if (this.stream === undefined) {
      // Ended while queued: the channel drops it when its turn comes (no stream, no slot).
      this.markStarted();
    }
    this.resolveStatus(s);
  }

  private wake(): void {
    const w = this.drainWaiters;
    if (w.length === 0) return;
    this.drainWaiters = [];
    for (const f of w) f();
  }

  private trace(dir: '->' | '<-', kind: string, summary: string, size?: number): void {
    this.tracer!({ protocol: 'grpc', dir, kind, summary: `stream=${this.stream?.id ?? '?'} ${summary}`, size });
  }
}

function abortReason(signal: AbortSignal): string {
  const r = signal.reason as unknown;
  const text = r instanceof Error ? r.message : r === undefined ? '' : String(r);
  return `cancelled by the AbortSignal${text ? `: ${text}` : ''}`;
}

/** The stub method for one method descriptor. */
export type StubFor<M> =
  M extends MethodDefinition<infer Req, infer Res, infer CS, infer SS>
    ? CS extends true
      ? (options?: CallOptions) => ClientCall<Req, Res>
      : SS extends true
        ? (request: Req | OutgoingMessage<Req>, options?: CallOptions) => ClientCall<Req, Res>
        : (request: Req | OutgoingMessage<Req>, options?: CallOptions) => Promise<Res>
    : never;

export type ClientStub<S extends ServiceDefinition<any>> = { [K in keyof S['methods']]: StubFor<S['methods'][K]> };

/**
 * Typed stubs for a service: unary methods return the response; server
 * streaming returns the call to iterate; client and bidi streaming return
 * the call to write() / end() and read.
 */
export function createClient<S extends ServiceDefinition<any>>(service: S, channel: Channel): ClientStub<S> {
  const stub: Record<string, unknown> = {};
  for (const [name, m] of Object.entries(service.methods) as [string, MethodDefinition][]) {
    if (m.requestStream) stub[name] = (options?: CallOptions) => channel.call(m, options);
    else if (m.responseStream) {
      stub[name] = (request: unknown, options?: CallOptions) => {
        const call = channel.call(m, options);
        call.write(request).catch(() => {});
        call.end();
        return call;
      };
    } else stub[name] = (request: unknown, options?: CallOptions) => channel.unary(m, request, options);
  }
  return stub as ClientStub<S>;
}
