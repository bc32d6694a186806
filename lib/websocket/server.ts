/**
 * The WebSocket server: node:http's 'upgrade' event, the server's half of
 * the opening handshake (RFC 6455 §4.2), then one WebSocketConnection per
 * client.
 *
 * Three ways to run it:
 *   new WebSocketServer({ port: 8080 })            standalone: its own http server
 *   new WebSocketServer({ server: httpServer })    attached to the app's http/https server
 *   new WebSocketServer({ noServer: true })        the app calls handleUpgrade(req, socket, head, cb)
 *
 *   client                          server
 *     |-- GET, Upgrade: websocket -->|  checkUpgradeRequest()   400 / 426 on a bad request
 *     |                              |  verifyClient()          403 (cross-site hijacking defence)
 *     |                              |  selectProtocol(), acceptOffer()
 *     |<-- 101 Switching Protocols --|  'connection' event
 *
 * close() stops accepting, closes every connection with 1001 "going away"
 * (RFC 6455 §7.4.1), waits for their closing handshakes (at most
 * shutdownTimeout, default 5 s), then drops whatever is left.
 */
import { EventEmitter } from 'node:events';
import http from 'node:http';
import type https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { Duplex } from 'node:stream';
import { withConn } from '../trace/index.js';
import { WebSocketConnection, type ConnectionOptions } from './connection.js';
import { acceptOffer, type PerMessageDeflateOptions } from './deflate.js';
import { acceptResponse, checkUpgradeRequest, errorResponse, selectProtocol } from './handshake.js';

export interface VerifyInfo {
  req: http.IncomingMessage;
  /** The Origin header (browsers always send it), or undefined. */
  origin: string | undefined;
  secure: boolean;
}

/** true accepts; false refuses with 403; an object refuses with that status and reason. */
export type VerifyResult = boolean | { status?: number; reason?: string };

export interface ServerOptions extends ConnectionOptions {
  /** Standalone: listen on this port (0 = any free port). */
  port?: number;
  /** Standalone: the address to listen on (default: all). */
  host?: string;
  /** Attach to this http/https server's 'upgrade' event. */
  server?: http.Server | https.Server;
  /** No server at all: call handleUpgrade() yourself. */
  noServer?: boolean;
  /** Only upgrade requests for this path (others are left to other 'upgrade' listeners, or 400 standalone). */
  path?: string;
  /** Subprotocols supported, in no particular order: the first the client offers wins. Or a function choosing one ('' for none). */
  protocols?: readonly string[] | ((offered: string[], req: http.IncomingMessage) => string);
  /** Decide whether to accept a client (e.g. check Origin against an allow list: CSWSH defence). */
  verifyClient?: (info: VerifyInfo) => VerifyResult | Promise<VerifyResult>;
  /** Standalone: the http server's max header size in bytes (431 above). Default node's 16 KiB. */
  maxHeaderSize?: number;
  /** How long close() waits for closing handshakes before dropping connections, ms. Default 5000. */
  shutdownTimeout?: number;
}

export class WebSocketServer extends EventEmitter {
  /** Open connections. */
  readonly clients = new Set<WebSocketConnection>();
  private readonly opts: ServerOptions;
  private readonly httpServer: http.Server | https.Server | null;
  private readonly standalone: boolean;
  private closing: Promise<void> | null = null;
  private nextId = 1;
  private readonly onUpgrade = (req: http.IncomingMessage, socket: Duplex, head: Buffer) => {
    if (this.opts.path !== undefined && pathOf(req.url) !== this.opts.path) {
      if (this.standalone) refuse(socket, 400, 'no WebSocket endpoint at this path');
      return;
    }
    this.handleUpgrade(req, socket, head, (ws) => this.emit('connection', ws, req));
  };

  constructor(options: ServerOptions = {}, onListening?: () => void) {
    super();
    this.opts = options;
    if (options.server) {
      this.httpServer = options.server;
      this.standalone = false;
      this.httpServer.on('upgrade', this.onUpgrade);
    } else if (options.noServer) {
      this.httpServer = null;
      this.standalone = false;
    } else {
      if (options.port === undefined) throw new TypeError('WebSocketServer needs one of port, server or noServer');
      this.standalone = true;
      const server = http.createServer({ maxHeaderSize: options.maxHeaderSize }, (req, res) => {
        // Not an upgrade at all (shared/INTEROP.md: 426), or one node's parser did not treat as one.
        const body = 'this is a WebSocket endpoint: send an upgrade request\n';
        if (options.tracer) {
          options.tracer({ protocol: 'ws', dir: '--', kind: 'end', summary: `${req.method} ${req.url} is not an upgrade request: answered ${req.headers.upgrade === undefined ? 426 : 400}` });
        }
        if (req.headers.upgrade === undefined) {
          res.writeHead(426, { Upgrade: 'websocket', Connection: 'Upgrade', 'Sec-WebSocket-Version': '13', 'Content-Type': 'text/plain', 'Content-Length': Buffer.byteLength(body) });
          res.end(body);
          return;
        }
        const check = checkUpgradeRequest(req.method, req.headers);
        const status = check.ok ? 400 : check.status;
        const reason = check.ok ? 'invalid upgrade request' : check.reason;
        res.writeHead(status, { ...(check.ok ? {} : check.headers), Connection: 'close', 'Content-Type': 'text/plain' });
        res.end(reason + '\n');
      });
      this.httpServer = server;
      server.on('upgrade', this.onUpgrade);
      server.on('listening', () => this.emit('listening'));
      server.on('error', (err) => this.emit('error', err));
      if (onListening) this.once('listening', onListening);
      server.listen(options.port, options.host);
    }
  }

  /** The listening address (standalone or attached). */
  address(): AddressInfo | string | null {
    return this.httpServer?.address() ?? null;
  }

  /** `ws://host:port/` of a standalone or attached server once listening. */
  get url(): string {
    const a = this.address();
    if (a === null || typeof a === 'string') return '';
    const host = a.family === 'IPv6' ? `[${a.address}]` : a.address;
    return `ws://${host}:${a.port}/`;
  }

  /**
   * Complete (or refuse) the opening handshake of `req` on `socket`; `cb`
   * receives the open connection. For noServer mode and custom routing.
   */
  handleUpgrade(req: http.IncomingMessage, socket: Duplex, head: Buffer, cb: (ws: WebSocketConnection, req: http.IncomingMessage) => void): void {
    socket.on('error', onHandshakeSocketError);
    const id = this.nextId++;
    const tracer = withConn(this.opts.tracer, id);
    if (tracer) {
      tracer({ protocol: 'ws', dir: '<-', kind: 'handshake', summary: `${req.method} ${req.url} key=${req.headers['sec-websocket-key'] ?? '-'} protocol=${JSON.stringify(req.headers['sec-websocket-protocol'] ?? '')} extensions=${JSON.stringify(req.headers['sec-websocket-extensions'] ?? '')}` });
    }
    const no = (status: number, reason: string, headers?: Record<string, string>) => {
      if (tracer) {
        tracer({ protocol: 'ws', dir: '->', kind: 'handshake', summary: `${status} ${reason}` });
        tracer({ protocol: 'ws', dir: '--', kind: 'end', summary: `handshake refused with ${status}: ${reason}` });
      }
      refuse(socket, status, reason, headers);
    };
    if (this.closing) return no(503, 'server shutting down');
    const check = checkUpgradeRequest(req.method, req.headers, req.httpVersion);
    if (!check.ok) return no(check.status, check.reason, check.headers);

    const protocols = this.opts.protocols;
    const protocol = typeof protocols === 'function' ? protocols(check.protocols, req) : selectProtocol(check.protocols, protocols ?? []);
    const deflateOpts: PerMessageDeflateOptions | null =
      this.opts.perMessageDeflate === false ? null : typeof this.opts.perMessageDeflate === 'object' ? this.opts.perMessageDeflate : {};
    const deflate = deflateOpts ? acceptOffer(check.extensions, deflateOpts) : null;

    const complete = () => {
      if (socket.destroyed || !socket.writable) return;
      if (this.closing) return no(503, 'server shutting down');
      socket.write(acceptResponse(check.key, protocol, deflate?.header ?? ''));
      if (tracer) tracer({ protocol: 'ws', dir: '->', kind: 'handshake', summary: `101 protocol=${JSON.stringify(protocol)} extensions=${JSON.stringify(deflate?.header ?? '')}` });
      socket.off('error', onHandshakeSocketError);
      const ws = new WebSocketConnection('server', this.opts, tracer);
      ws.url = req.url ?? '/';
      ws.attach({ socket, head, protocol, extensions: deflate?.header ?? '', deflate: deflate?.params ?? null, registry: this.clients });
      cb(ws, req);
    };

    if (!this.opts.verifyClient) return complete();
    const info: VerifyInfo = { req, origin: check.origin, secure: 'encrypted' in socket && !!(socket as { encrypted?: boolean }).encrypted };
    const decide = (result: VerifyResult) => {
      if (result === true) return complete();
      const status = typeof result === 'object' ? (result.status ?? 403) : 403;
      const reason = typeof result === 'object' ? (result.reason ?? 'refused by verifyClient') : 'refused by verifyClient';
      no(status, reason);
    };
    try {
      const result = this.opts.verifyClient(info);
      if (result instanceof Promise) result.then(decide, () => no(500, 'verifyClient failed'));
      else decide(result);
    } catch {
      no(500, 'verifyClient failed');
    }
  }

  /**
   * Shut down: stop accepting, close every connection with 1001, wait for
   * the closing handshakes (at most shutdownTimeout), drop the rest, and
   * (standalone) close the http server.
   */
  close(): Promise<void> {
    if (this.closing) return this.closing;
    this.closing = (async () => {
      const server = this.httpServer;
      let serverClosed: Promise<void> = Promise.resolve();
      if (server && this.standalone) {
        serverClosed = new Promise((resolve) => server.close(() => resolve()));
        server.closeIdleConnections?.();
      } else if (server) server.off('upgrade', this.onUpgrade);
      const pending = [...this.clients].map(
        (ws) =>
          new Promise<void>((resolve) => {
            if (ws.readyState === WebSocketConnection.CLOSED) return resolve();
            ws.addEventListener('close', () => resolve());
            ws.close(1001, 'server shutting down');
          }),
      );
      const limit = this.opts.shutdownTimeout ?? 5000;
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<void>((resolve) => {
        timer = setTimeout(resolve, limit);
        timer.unref();
      });
      await Promise.race([Promise.all(pending), timeout]);
      clearTimeout(timer);
      for (const ws of this.clients) ws.terminate();
      await Promise.all(pending);
      if (server && this.standalone) {
        (server as http.Server).closeAllConnections?.();
        await serverClosed;
      }
      this.emit('close');
    })();
    return this.closing;
  }
}

function onHandshakeSocketError(this: Duplex): void {
  this.destroy();
}

function pathOf(url: string | undefined): string {
  const u = url ?? '/';
  const q = u.indexOf('?');
  return q === -1 ? u : u.slice(0, q);
}

/** Answer with an HTTP error and close: the handshake is refused, the server goes on. */
function refuse(socket: Duplex, status: number, reason: string, headers?: Record<string, string>): void {
  if (socket.writable) socket.end(errorResponse(status, reason, headers));
  const timer = setTimeout(() => socket.destroy(), 1000);
  timer.unref();
  socket.once('close', () => clearTimeout(timer));
}
