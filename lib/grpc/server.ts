/**
 * The gRPC server: a thin adapter from node:http2 to the gRPC call model.
 *
 * One HTTP/2 stream is one call (gRPC PROTOCOL-HTTP2 §Stream Identification).
 * For each stream the server checks the request head, finds the handler by
 * :path, then runs it with the request messages as an async iterable and
 * sends what it returns or yields:
 *
 *   client                                   server
 *     HEADERS :method POST :path /S/M  ----->  checks: 405 / 415 / UNIMPLEMENTED
 *             grpc-timeout ...                 / bad grpc-timeout / grpc-encoding
 *     DATA <5-byte prefix + message>... ---->  Inbound (frame.ts) -> handler
 *     DATA END_STREAM                   ---->  requests iterable ends
 *                                       <----  HEADERS :status 200 (initial metadata)
 *                                       <----  DATA <prefix + message>...
 *                                       <----  HEADERS grpc-status grpc-message END_STREAM
 *
 * An error before any message goes out is sent as Trailers-Only: one
 * HEADERS frame with :status 200, content-type and grpc-status, END_STREAM.
 */
import * as http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { ACCEPT_ENCODING, isSupportedEncoding, type Encoding } from './compression.js';
import { DEFAULT_MAX_RECEIVE_MESSAGE_SIZE, MAX_FRAMEABLE } from './frame.js';
import { isGrpcContentType } from './metadata.js';
import { ServerCallImpl, trailersOnly, type Route, type ServerCall, type ServiceImplementation, type SessionState } from './server-call.js';
import type { MethodDefinition, ServiceDefinition } from './service.js';
import { Status, http2ErrorName } from './status.js';
import { parseTimeout } from './timeout.js';
import { withConn, type Tracer } from '../trace/index.js';

export type {
  ServerCall,
  ServiceImplementation,
  HandlerFor,
  UnaryHandler,
  ServerStreamingHandler,
  ClientStreamingHandler,
  BidiStreamingHandler,
} from './server-call.js';

const { NGHTTP2_CANCEL } = http2.constants;

export interface ServerOptions {
  /** Largest request message accepted, after decompression (default 4 MiB). Bigger: RESOURCE_EXHAUSTED. */
  maxReceiveMessageSize?: number;
  /** Largest response message sent, before compression (default 4 GiB - 1, the prefix's range). Bigger: RESOURCE_EXHAUSTED. */
  maxSendMessageSize?: number;
  /** HTTP/2 SETTINGS_MAX_CONCURRENT_STREAMS: calls at once per connection (default 1000). */
  maxConcurrentStreams?: number;
  /** HTTP/2 SETTINGS_MAX_HEADER_LIST_SIZE: request metadata bound (default 16 KiB). */
  maxHeaderListSize?: number;
  /** Send a keepalive PING after this long without one (default 2 h; 0 turns keepalive off). */
  keepaliveTimeMs?: number;
  /** Close the connection when a keepalive PING is not answered within this (default 20 s). */
  keepaliveTimeoutMs?: number;
  /**
   * A request message that has started arriving must be complete within
   * this long (default 30 s): bounds a body trickled a byte at a time by a
   * client that set no deadline. The stream is reset with RST_STREAM CANCEL
   * (PROTOCOL-HTTP2 §Errors: the payload is incomplete).
   */
  receiveTimeoutMs?: number;
  /** Close a connection with no open calls after this long (default 5 min; 0: never). */
  idleTimeoutMs?: number;
  /** Compress responses with this encoding when the client accepts it (default 'identity'). */
  responseEncoding?: Encoding;
  /** Wire events: headers, messages, trailers, RST_STREAM, GOAWAY, PING, and why each connection ended. */
  tracer?: Tracer;
  /** Told about handler errors that are not GrpcErrors (they become INTERNAL on the wire). */
  onHandlerError?(err: unknown, call: ServerCall): void;
}

export class Server {
  private readonly routes = new Map<string, Route>();
  private readonly serviceNames = new Set<string>();
  private readonly sessions = new Map<http2.ServerHttp2Session, SessionState>();
  private h2: http2.Http2Server | undefined;
  private nextConn = 1;
  private closing = false;
  readonly options: Required<Omit<ServerOptions, 'tracer' | 'onHandlerError'>> & Pick<ServerOptions, 'tracer' | 'onHandlerError'>;

  constructor(options: ServerOptions = {}) {
    this.options = {
      maxReceiveMessageSize: options.maxReceiveMessageSize ?? DEFAULT_MAX_RECEIVE_MESSAGE_SIZE,
      maxSendMessageSize: Math.min(options.maxSendMessageSize ?? MAX_FRAMEABLE, MAX_FRAMEABLE),
      maxConcurrentStreams: options.maxConcurrentStreams ?? 1000,
      maxHeaderListSize: options.maxHeaderListSize ?? 16 * 1024,
      keepaliveTimeMs: options.keepaliveTimeMs ?? 2 * 3600_000,
      keepaliveTimeoutMs: options.keepaliveTimeoutMs ?? 20_000,
      receiveTimeoutMs: options.receiveTimeoutMs ?? 30_000,
      idleTimeoutMs: options.idleTimeoutMs ?? 5 * 60_000,
      responseEncoding: options.responseEncoding ?? 'identity',
      tracer: options.tracer,
      onHandlerError: options.onHandlerError,
    };
  }

  /** Serve every method of `service` with the handlers in `impl` (a missing handler answers UNIMPLEMENTED). */
  addService<S extends ServiceDefinition<any>>(service: S, impl: Partial<ServiceImplementation<S>>): this {
    this.serviceNames.add(service.name);
    for (const [name, method] of Object.entries(service.methods) as [string, MethodDefinition][]) {
      const handler = (impl as Record<string, Route['handler'] | undefined>)[name];
      if (handler) this.routes.set(method.path, { method, handler: handler.bind(impl) });
    }
    return this;
  }

  /** Calls in progress across all connections. */
  get activeCalls(): number {
    let n = 0;
    for (const s of this.sessions.values()) n += s.calls.size;
    return n;
  }

  /** Connections open now. */
  get connections(): number {
    return this.sessions.size;
  }

  /** Start listening (plaintext HTTP/2, "h2c" with prior knowledge). Resolves with the bound address. */
  listen(port = 0, host = '127.0.0.1'): Promise<{ host: string; port: number; url: string }> {
    const o = this.options;
    const h2 = http2.createServer({
      settings: { maxConcurrentStreams: o.maxConcurrentStreams, maxHeaderListSize: o.maxHeaderListSize, enablePush: false },
      maxHeaderListPairs: 512,
    });
    this.h2 = h2;
    // Small frames (a 5-byte message, a trailers block) go out at once, not after Nagle's delay.
    h2.on('connection', (socket: import('node:net').Socket) => socket.setNoDelay(true));
    h2.on('session', (session) => this.onSession(session));
    h2.on('stream', (stream, headers) => this.onStream(stream, headers));
    return new Promise((resolve, reject) => {
      h2.once('error', reject);
      h2.listen(port, host, () => {
        h2.off('error', reject);
        const addr = h2.address() as AddressInfo;
        const shown = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
        resolve({ host: addr.address, port: addr.port, url: `http://${shown}:${addr.port}` });
      });
    });
  }

  /**
   * Graceful shutdown: stop accepting connections, send GOAWAY on each one
   * (gRPC PROTOCOL-HTTP2 §GOAWAY Frame: no new streams, calls accepted so
   * far finish), wait for calls in flight at most `graceMs`, then cancel
   * whatever is left and close.
   */
  /** The node:http2 server underneath, once listening (to add listeners, or count bytes per connection). */
  get http2Server(): http2.Http2Server | undefined {
    return this.h2;
  }

  async close(graceMs = 5000): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    const h2 = this.h2;
    if (!h2) return;
    // Resolve once every connection has fully closed (its 'end' traced), not just the listener.
    const sessionsClosed = [...this.sessions.keys()].map((s) => new Promise((r) => s.once('close', r)));
    const closed = new Promise<void>((resolve) => h2.close(() => resolve())).then(() => Promise.all(sessionsClosed)).then(() => {});
    for (const [session, st] of this.sessions) {
      st.endReason ??= 'GOAWAY NO_ERROR: server shutting down';
      if (st.tracer) st.tracer({ protocol: 'grpc', dir: '->', kind: 'goaway', summary: 'NO_ERROR: server shutting down, calls in flight may finish' });
      session.close();
    }
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<boolean>((resolve) => {
      timer = setTimeout(() => resolve(true), graceMs);
    });
    const done = await Promise.race([closed.then(() => false), timedOut]);
    clearTimeout(timer);
    if (done) {
      for (const [session, st] of this.sessions) {
        st.endReason = `shutdown grace of ${graceMs} ms ran out with ${st.calls.size} call(s) in flight; they were cancelled`;
        for (const call of st.calls) call.cancelLocal('server shut down before the call finished');
        session.destroy();
      }
      await closed;
    }
  }

  private onSession(session: http2.ServerHttp2Session): void {
    const o = this.options;
    const id = this.nextConn++;
    const tracer = withConn(o.tracer, id);
    const st: SessionState = { id, tracer, calls: new Set(), endReason: undefined };
    this.sessions.set(session, st);
    const sock = session.socket;
    if (tracer) tracer({ protocol: 'grpc', dir: '--', kind: 'open', summary: `connection from ${sock?.remoteAddress}:${sock?.remotePort}` });
    let keepalive: NodeJS.Timeout | undefined;
    if (o.keepaliveTimeMs > 0) {
      keepalive = setInterval(() => {
        if (session.destroyed || session.closed) return;
        let answered = false;
        const timer = setTimeout(() => {
          if (answered) return;
          st.endReason = `keepalive PING not answered within ${o.keepaliveTimeoutMs} ms`;
          session.destroy();
        }, o.keepaliveTimeoutMs);
        timer.unref();
        if (tracer) tracer({ protocol: 'grpc', dir: '->', kind: 'ping', summary: 'keepalive' });
        session.ping((err) => {
          answered = true;
          clearTimeout(timer);
          if (!err && tracer) tracer({ protocol: 'grpc', dir: '<-', kind: 'ping', summary: 'keepalive ack' });
        });
      }, o.keepaliveTimeMs);
      keepalive.unref();
    }
    if (o.idleTimeoutMs > 0) {
      session.setTimeout(o.idleTimeoutMs, () => {
        if (st.calls.size > 0) return;
        st.endReason = `idle for ${o.idleTimeoutMs} ms with no calls: GOAWAY NO_ERROR`;
        if (tracer) tracer({ protocol: 'grpc', dir: '->', kind: 'goaway', summary: 'NO_ERROR: idle connection' });
        session.close();
      });
    }
    session.on('goaway', (code: number) => {
      st.endReason ??= `client sent GOAWAY ${http2ErrorName(code)}`;
      if (tracer) tracer({ protocol: 'grpc', dir: '<-', kind: 'goaway', summary: http2ErrorName(code), fields: { code } });
    });
    session.on('error', (err) => {
      st.endReason ??= `connection error: ${err.message}`;
    });
    session.on('close', () => {
      clearInterval(keepalive);
      this.sessions.delete(session);
      if (tracer) tracer({ protocol: 'grpc', dir: '--', kind: 'end', summary: st.endReason ?? 'client closed the connection' });
    });
    if (this.closing) session.close();
  }

  private onStream(stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders): void {
    const session = stream.session;
    const st = session && this.sessions.get(session as http2.ServerHttp2Session);
    if (!st) {
      stream.close(NGHTTP2_CANCEL);
      return;
    }
    const tracer = st.tracer;
    stream.on('error', () => {
      /* reported through 'close' and rstCode */
    });
    const method = headers[':method'];
    const path = headers[':path'] ?? '';
    const ct = headers['content-type'];
    if (tracer) {
      const extra = ['grpc-timeout', 'grpc-encoding', 'content-type'].filter((h) => headers[h] !== undefined).map((h) => `${h}=${headers[h]}`);
      tracer({ protocol: 'grpc', dir: '<-', kind: 'headers', summary: `stream=${stream.id} ${method} ${path} ${extra.join(' ')}`.trimEnd(), fields: { stream: stream.id } });
    }
    // gRPC PROTOCOL-HTTP2 §Requests: Method → ":method POST".
    if (method !== 'POST') return this.plainHttpError(stream, 405, `gRPC calls use POST, not ${method}\n`, tracer, { allow: 'POST' });
    // gRPC PROTOCOL-HTTP2 §Requests: a Content-Type not beginning with application/grpc SHOULD get HTTP 415.
    if (!isGrpcContentType(ct)) return this.plainHttpError(stream, 415, `content-type must be application/grpc, got ${ct ?? 'none'}\n`, tracer);
    const route = this.routes.get(path);
    if (!route) {
      const slash = path.lastIndexOf('/');
      const service = path.slice(1, slash);
      const reason = this.serviceNames.has(service)
        ? `method ${path.slice(slash + 1)} of service ${service} is not implemented`
        : `service ${JSON.stringify(service)} is not served here (path ${JSON.stringify(path)})`;
      return trailersOnly(stream, Status.UNIMPLEMENTED, reason, tracer);
    }
    let deadline = Infinity;
    const rawTimeout = headers['grpc-timeout'];
    if (rawTimeout !== undefined) {
      const t = parseTimeout(String(rawTimeout));
      if (!t.ok) return trailersOnly(stream, Status.INTERNAL, `malformed ${t.reason}`, tracer);
      deadline = Date.now() + t.ms;
    }
    const encoding = String(headers['grpc-encoding'] ?? 'identity').toLowerCase();
    if (!isSupportedEncoding(encoding)) {
      // gRPC compression.md: an unsupported grpc-encoding is UNIMPLEMENTED, with what we accept.
      return trailersOnly(stream, Status.UNIMPLEMENTED, `grpc-encoding ${JSON.stringify(encoding)} is not supported (accepted: ${ACCEPT_ENCODING})`, tracer, {
        'grpc-accept-encoding': ACCEPT_ENCODING,
      });
    }
    const call = new ServerCallImpl(this.options, st, stream, headers, route, deadline, encoding);
    st.calls.add(call);
    call.run().finally(() => st.calls.delete(call));
  }

  private plainHttpError(stream: http2.ServerHttp2Stream, status: number, body: string, tracer: Tracer | undefined, extra: Record<string, string> = {}): void {
    if (tracer) tracer({ protocol: 'grpc', dir: '->', kind: 'headers', summary: `stream=${stream.id} :status=${status} (not a gRPC request)` });
    if (stream.destroyed) return;
    stream.respond({ ':status': status, 'content-type': 'text/plain; charset=utf-8', ...extra });
    stream.end(body);
    stream.resume();
  }
}
