/**
 * The node:http adapter: an App (or any request listener) on a listening
 * socket, with the connection-level limits chosen on purpose, tracing, and a
 * graceful shutdown.
 *
 * Limits and why (node's defaults in brackets):
 *   maxHeaderSize      16 KiB  request head over it -> 431 (RFC 6585 §5)       [16 KiB]
 *   maxHeaders         100     more header fields -> 431                        [2000, silently dropped]
 *   headersTimeout     10 s    the whole head must arrive within this: a
 *                              slowloris client trickling headers gets 408     [60 s]
 *   requestTimeout     30 s    the whole request incl. a 1 MiB body (~35 KB/s) [300 s]
 *   keepAliveTimeout   5 s     an idle keep-alive connection is closed         [5 s]
 *   connectionsCheckingInterval 1 s  how often the two timeouts above are
 *                              checked (node checks every 30 s by default,
 *                              which lets a slow client hold a socket 30 s longer)
 *
 * Connection-level errors (a malformed request line, a head too large, a
 * timeout) never reach the app: node's parser reports them as 'clientError'
 * and we answer with a status line, a small problem document and close.
 */
import http, { type IncomingMessage, type RequestListener, type ServerResponse } from 'node:http';
import type { Socket, AddressInfo } from 'node:net';
import { formatBytes, type Tracer } from '../trace/index.js';
import { PROBLEM_JSON, statusText } from './problem.js';
import type { App } from './app.js';

export interface ServerOptions {
  maxHeaderSize?: number;
  maxHeaders?: number;
  headersTimeout?: number;
  requestTimeout?: number;
  keepAliveTimeout?: number;
  connectionsCheckingInterval?: number;
  /** How long close() lets requests in flight finish before cutting them (default 10 s). */
  shutdownGraceMs?: number;
  tracer?: Tracer;
}

export const SERVER_DEFAULTS = {
  maxHeaderSize: 16 * 1024,
  maxHeaders: 100,
  headersTimeout: 10_000,
  requestTimeout: 30_000,
  keepAliveTimeout: 5_000,
  connectionsCheckingInterval: 1_000,
  shutdownGraceMs: 10_000,
} as const;

interface ConnState {
  id: number;
  requests: number;
  reason?: string;
  peerEnded: boolean;
  shutdown?: boolean;
}

/** A raw error response for the connection layer, with a problem document and close. */
function rawProblem(status: number, detail: string): string {
  const body = JSON.stringify({ type: 'about:blank', title: statusText(status), status, detail });
  return (
    `HTTP/1.1 ${status} ${statusText(status)}\r\n` +
    `Content-Type: ${PROBLEM_JSON}\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n` +
    body
  );
}

export class HttpServer {
  readonly server: http.Server;
  readonly options: Required<Omit<ServerOptions, 'tracer'>>;
  private readonly tracer: Tracer | undefined;
  private readonly listener: RequestListener;
  private closing = false;
  private closed: Promise<void> | undefined;
  private nextConn = 1;
  private readonly conns = new Map<Socket, ConnState>();
  private readonly maxBodyBytes: number;
  /** rawHeaders holds name and value: twice the field count. */
  private readonly maxRawHeaders: number;

  constructor(app: App | RequestListener, opts: ServerOptions = {}) {
    this.options = { ...SERVER_DEFAULTS, ...stripUndefined(opts) } as Required<Omit<ServerOptions, 'tracer'>>;
    this.tracer = opts.tracer;
    this.listener = typeof app === 'function' ? app : app.handle;
    const o = this.options;
    this.maxRawHeaders = 2 * o.maxHeaders;
    this.server = http.createServer(
      {
        maxHeaderSize: o.maxHeaderSize,
        headersTimeout: o.headersTimeout,
        requestTimeout: o.requestTimeout,
        keepAliveTimeout: o.keepAliveTimeout,
        connectionsCheckingInterval: o.connectionsCheckingInterval,
        requireHostHeader: true, // RFC 9112 §3.2: 400 for HTTP/1.1 without Host
      },
      this.onRequest,
    );
    // Count header fields ourselves (node would drop the extra ones silently);
    // memory is bounded by maxHeaderSize anyway.
    this.server.maxHeadersCount = 0;
    this.server.on('clientError', this.onClientError);
    // RFC 9110 §10.1.1: answer 413 instead of "100 Continue" when the announced body is too large.
    this.maxBodyBytes = typeof app === 'function' ? Infinity : app.maxBodyBytes;
    this.server.on('checkContinue', this.onCheckContinue);
    if (this.tracer) this.server.on('connection', this.onConnection);
  }

  /** Start listening; resolves with the bound address and the URL to print. */
  listen(port = 0, host = '127.0.0.1'): Promise<{ port: number; host: string; url: string }> {
    return new Promise((resolve, reject) => {
      const onError = (err: Error) => reject(err);
      this.server.once('error', onError);
      this.server.listen(port, host, () => {
        this.server.off('error', onError);
        const addr = this.server.address() as AddressInfo;
        const h = addr.family === 'IPv6' || host.includes(':') ? `[${addr.address}]` : addr.address;
        resolve({ port: addr.port, host: addr.address, url: `http://${h}:${addr.port}` });
      });
    });
  }

  get port(): number {
    return (this.server.address() as AddressInfo).port;
  }

  private readonly onRequest = (req: IncomingMessage, res: ServerResponse): void => {
    if (this.closing) res.setHeader('connection', 'close');
    if (this.tracer) this.traceExchange(req, res);
    if (req.rawHeaders.length > this.maxRawHeaders) {
      // RFC 6585 §5: too many header fields is the same refusal as too large a head.
      const body = JSON.stringify({
        type: 'about:blank',
        title: statusText(431),
        status: 431,
        detail: `${req.rawHeaders.length / 2} header fields, over the limit of ${this.options.maxHeaders}`,
        code: 'HEADERS_TOO_LARGE',
      });
      res.writeHead(431, { 'content-type': PROBLEM_JSON, 'content-length': Buffer.byteLength(body), connection: 'close' });
      res.end(body);
      return;
    }
    this.listener(req, res);
  };

  private readonly onCheckContinue = (req: IncomingMessage, res: ServerResponse): void => {
    if (Number(req.headers['content-length']) > this.maxBodyBytes) {
      const body = JSON.stringify({
        type: 'about:blank',
        title: statusText(413),
        status: 413,
        detail: `a body of ${formatBytes(Number(req.headers['content-length']))} is over the ${formatBytes(this.maxBodyBytes)} limit`,
        code: 'CONTENT_TOO_LARGE',
      });
      res.writeHead(413, { 'content-type': PROBLEM_JSON, 'content-length': Buffer.byteLength(body), connection: 'close' });
      res.end(body);
      return;
    }
    res.writeContinue();
    this.onRequest(req, res);
  };

  private readonly onClientError = (err: Error & { code?: string }, socket: Socket): void => {
    const conn = this.conns.get(socket);
    const busy = (socket as Socket & { _httpMessage?: ServerResponse })._httpMessage;
    if (err.code === 'ECONNRESET' || !socket.writable || (busy && busy.headersSent)) {
      if (conn) conn.reason ??= `connection error ${err.code ?? ''}: ${err.message}`;
      socket.destroy();
      return;
    }
    let status = 400;
    let detail = `malformed request (${err.code ?? 'parse error'}: ${err.message})`;
    if (err.code === 'HPE_HEADER_OVERFLOW') {
      status = 431;
      detail = `request head over ${formatBytes(this.options.maxHeaderSize)}`;
    } else if (err.code === 'ERR_HTTP_REQUEST_TIMEOUT') {
      status = 408;
      detail = `request not received within ${this.options.headersTimeout / 1000} s (headers) / ${this.options.requestTimeout / 1000} s (whole request)`;
    }
    if (conn) conn.reason ??= `${status} ${statusText(status)}: ${detail}`;
    socket.end(rawProblem(status, detail));
    // Don't wait for the peer: a client that stops reading must not hold the socket.
    const t = setTimeout(() => socket.destroy(), 1000);
    t.unref();
    socket.once('close', () => clearTimeout(t));
  };

  // ---- tracing (only wired when a tracer is given) ----

  private readonly onConnection = (socket: Socket): void => {
    const state: ConnState = { id: this.nextConn++, requests: 0, peerEnded: false };
    this.conns.set(socket, state);
    const tracer = this.tracer!;
    tracer({ protocol: 'http', dir: '--', kind: 'open', summary: `connection from ${socket.remoteAddress}:${socket.remotePort}`, conn: state.id });
    socket.on('end', () => {
      state.peerEnded = true;
    });
    socket.on('timeout', () => {
      state.reason ??= `idle for ${this.options.keepAliveTimeout / 1000} s after ${state.requests} request(s) (keepAliveTimeout)`;
    });
    socket.on('close', () => {
      this.conns.delete(socket);
      const reason =
        state.reason ??
        (state.shutdown
          ? `server shutting down after ${state.requests} request(s)`
          : state.peerEnded
          ? `client closed the connection after ${state.requests} request(s)`
          : `connection closed after ${state.requests} request(s)`);
      tracer({ protocol: 'http', dir: '--', kind: 'end', summary: reason, conn: state.id, fields: { requests: state.requests } });
    });
  };

  private traceExchange(req: IncomingMessage, res: ServerResponse): void {
    const tracer = this.tracer!;
    const state = this.conns.get(req.socket);
    const conn = state?.id;
    if (state) state.requests++;
    let head = req.method!.length + req.url!.length + 13;
    for (let i = 0; i < req.rawHeaders.length; i += 2) head += req.rawHeaders[i].length + req.rawHeaders[i + 1].length + 4;
    tracer({
      protocol: 'http',
      dir: '<-',
      kind: 'headers',
      summary: `${req.method} ${req.url} HTTP/${req.httpVersion} (${req.rawHeaders.length / 2} header fields)`,
      size: head,
      conn,
      fields: { method: req.method, url: req.url, headers: req.headers },
    });
    let received = 0;
    req.on('data', (chunk: Buffer) => {
      received += chunk.length;
    });
    req.on('end', () => {
      if (received > 0) tracer({ protocol: 'http', dir: '<-', kind: 'data', summary: `request body ${formatBytes(received)}`, size: received, conn });
    });
    res.on('finish', () => {
      // node keeps the head it wrote as one string; it is exactly what went on the wire.
      const rawHead = (res as ServerResponse & { _header?: unknown })._header;
      const headText = typeof rawHead === 'string' ? rawHead : '';
      const lines = headText.split('\r\n').slice(1).filter(Boolean);
      const headers: Record<string, string> = {};
      for (const line of lines) {
        const colon = line.indexOf(':');
        headers[line.slice(0, colon).toLowerCase()] = line.slice(colon + 1).trim();
      }
      const length = Number(headers['content-length'] ?? 0);
      const fields = lines.map((l) => l.replace(': ', '=')).join(' ');
      tracer({
        protocol: 'http',
        dir: '->',
        kind: 'headers',
        summary: `${res.statusCode} ${statusText(res.statusCode)} ${fields}`,
        size: headText.length,
        conn,
        fields: { status: res.statusCode, headers },
      });
      if (length > 0 && req.method !== 'HEAD') {
        tracer({ protocol: 'http', dir: '->', kind: 'data', summary: `response body ${formatBytes(length)}`, size: length, conn });
      }
      if (state && String(headers.connection ?? '').toLowerCase() === 'close') {
        const asked = /\bclose\b/i.test(String(req.headers.connection ?? '')) || req.httpVersion === '1.0';
        state.reason ??= this.closing
          ? `server shutting down (Connection: close after ${state.requests} request(s))`
          : asked
            ? `client asked to close (Connection: close / HTTP/1.0) after ${state.requests} request(s)`
            : `server closed the connection after ${res.statusCode} ${statusText(res.statusCode)}`;
      }
    });
  }

  /**
   * Graceful shutdown: stop accepting, close idle keep-alive connections,
   * let requests in flight finish (their responses carry Connection: close),
   * and after `graceMs` cut whatever is left.
   */
  close(graceMs = this.options.shutdownGraceMs): Promise<void> {
    if (this.closed) return this.closed;
    this.closing = true;
    for (const state of this.conns.values()) state.shutdown = true;
    this.closed = new Promise((resolve) => {
      let sweep: NodeJS.Timeout | undefined;
      let force: NodeJS.Timeout | undefined;
      this.server.close(() => {
        clearInterval(sweep);
        clearTimeout(force);
        resolve();
      });
      this.server.closeIdleConnections();
      // Connections whose last response finishes after close() become idle later.
      sweep = setInterval(() => this.server.closeIdleConnections(), 50);
      force = setTimeout(() => this.server.closeAllConnections(), graceMs);
      force.unref();
    });
    return this.closed;
  }
}

function stripUndefined<T extends object>(o: T): Partial<T> {
  const out: Partial<T> = {};
  for (const k of Object.keys(o) as (keyof T)[]) if (o[k] !== undefined) out[k] = o[k];
  return out;
}

/** Create an HttpServer for an app: `await createServer(app).listen(8000)`. */
export function createServer(app: App | RequestListener, opts?: ServerOptions): HttpServer {
  return new HttpServer(app, opts);
}
