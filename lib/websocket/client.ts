/**
 * The WebSocket client: the client's half of the opening handshake
 * (RFC 6455 §4.1) over node:http / node:https (TLS with SNI), then the same
 * connection object the server uses. Shaped like the web platform's
 * `new WebSocket(url, protocols)` (WHATWG HTML §9.3), with Node options.
 *
 *   const ws = new WebSocket('wss://example.com/chat', ['chat'], { headers: { Authorization: '...' } });
 *   ws.onopen = () => ws.send('hello');
 *   ws.onmessage = (e) => console.log(e.data);
 *
 * Every way the handshake can fail ends with an 'error' event (a
 * WebSocketError saying which check failed, with the HTTP status when the
 * server refused) followed by a 'close' event with code 1006.
 */
import http from 'node:http';
import https from 'node:https';
import { isIP } from 'node:net';
import type { ConnectionOptions as TlsConnectionOptions } from 'node:tls';
import { WebSocketConnection, type ConnectionOptions } from './connection.js';
import { EXTENSION_NAME, checkAcceptance, clientOffer, type DeflateParams, type PerMessageDeflateOptions } from './deflate.js';
import { WebSocketError } from './errors.js';
import { CloseEvent, ErrorEvent } from './events.js';
import { checkUpgradeResponse, generateKey, isToken } from './handshake.js';

export interface ClientOptions extends ConnectionOptions {
  /** Extra request headers (e.g. Authorization, Cookie). */
  headers?: Record<string, string>;
  /** The Origin header to send (browsers always send one; Node clients need not). */
  origin?: string;
  /** Give up when no 101 arrived within this many ms. Default 30000. */
  handshakeTimeout?: number;
  /** TLS options for wss:// (ca, cert, key, rejectUnauthorized, servername for SNI, ...). */
  tls?: TlsConnectionOptions;
  /** Largest response head accepted, bytes. Default node's 16 KiB. */
  maxHeaderSize?: number;
}

export class WebSocket extends WebSocketConnection {
  private request: http.ClientRequest | null = null;
  private handshakeTimer: NodeJS.Timeout | null = null;

  constructor(url: string | URL, protocols: string | string[] = [], options: ClientOptions = {}) {
    super('client', options);
    // WHATWG HTML §9.3.1: parse the URL; http(s) become ws(s); no fragments.
    let target: URL;
    try {
      target = new URL(url);
    } catch {
      throw new DOMException(`invalid WebSocket URL ${JSON.stringify(String(url))}`, 'SyntaxError');
    }
    if (target.protocol === 'http:') target.protocol = 'ws:';
    else if (target.protocol === 'https:') target.protocol = 'wss:';
    if (target.protocol !== 'ws:' && target.protocol !== 'wss:') throw new DOMException(`unsupported URL scheme ${target.protocol}`, 'SyntaxError');
    if (target.hash) throw new DOMException('a WebSocket URL has no fragment', 'SyntaxError');
    const list = typeof protocols === 'string' ? [protocols] : [...protocols];
    if (list.some((p) => !isToken(p)) || new Set(list).size !== list.length) throw new DOMException('invalid or duplicate subprotocol', 'SyntaxError');
    this.url = target.href;
    this.connect(target, list, options);
  }

  private connect(url: URL, protocols: string[], options: ClientOptions): void {
    const secure = url.protocol === 'wss:';
    const key = generateKey();
    const deflateOpts: PerMessageDeflateOptions | null =
      options.perMessageDeflate === false ? null : typeof options.perMessageDeflate === 'object' ? options.perMessageDeflate : {};
    const headers: Record<string, string> = {
      ...options.headers,
      Connection: 'Upgrade',
      Upgrade: 'websocket',
      'Sec-WebSocket-Key': key,
      'Sec-WebSocket-Version': '13',
    };
    if (protocols.length) headers['Sec-WebSocket-Protocol'] = protocols.join(', ');
    if (deflateOpts) headers['Sec-WebSocket-Extensions'] = clientOffer(deflateOpts);
    if (options.origin) headers.Origin = options.origin;
    const hostname = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
    const requestOptions: https.RequestOptions = {
      host: hostname,
      port: url.port || (secure ? 443 : 80),
      path: url.pathname + url.search,
      headers,
      agent: false,
      maxHeaderSize: options.maxHeaderSize,
      ...(secure ? { ...options.tls, servername: options.tls?.servername ?? (isIP(hostname) ? undefined : hostname) } : {}),
    };
    if (this.tracer) {
      this.tracer({ protocol: 'ws', dir: '->', kind: 'handshake', summary: `GET ${requestOptions.path} key=${key} protocol=${JSON.stringify(headers['Sec-WebSocket-Protocol'] ?? '')} extensions=${JSON.stringify(headers['Sec-WebSocket-Extensions'] ?? '')}` });
    }
    const req = (secure ? https : http).request(requestOptions);
    this.request = req;
    const timeout = options.handshakeTimeout ?? 30000;
    this.handshakeTimer = setTimeout(() => {
      this.failHandshake(new WebSocketError('WS_ERR_HANDSHAKE_TIMEOUT', `no handshake response within ${timeout} ms`));
    }, timeout);

    req.on('error', (err) => {
      this.failHandshake(new WebSocketError('WS_ERR_SOCKET', `connection failed: ${err.message}`, 0, 0, { cause: err }));
    });
    req.on('response', (res) => {
      res.resume();
      this.failHandshake(new WebSocketError('WS_ERR_HANDSHAKE', `unexpected server response: ${res.statusCode}`, 0, res.statusCode ?? 0));
    });
    req.on('upgrade', (res, socket, head) => {
      if (this.readyState !== WebSocketConnection.CONNECTING) return void socket.destroy();
      const offered = deflateOpts ? [EXTENSION_NAME] : [];
      const check = checkUpgradeResponse(res.statusCode, res.headers, key, protocols, offered);
      let deflate: DeflateParams | null = null;
      let problem = check.ok ? '' : check.reason;
      if (check.ok && check.extensions.length > 0) {
        const params = checkAcceptance(check.extensions[0], deflateOpts ?? {});
        if (typeof params === 'string') problem = params;
        else deflate = params;
      }
      if (this.tracer) {
        this.tracer({ protocol: 'ws', dir: '<-', kind: 'handshake', summary: `${res.statusCode} protocol=${JSON.stringify(res.headers['sec-websocket-protocol'] ?? '')} extensions=${JSON.stringify(res.headers['sec-websocket-extensions'] ?? '')}` });
      }
      if (problem) {
        socket.destroy();
        return this.failHandshake(new WebSocketError('WS_ERR_HANDSHAKE', problem, 0, res.statusCode ?? 0));
      }
      this.clearHandshake();
      this.attach({ socket, head, protocol: check.ok ? check.protocol : '', extensions: (res.headers['sec-websocket-extensions'] as string | undefined) ?? '', deflate });
    });
    req.end();
  }

  private clearHandshake(): void {
    if (this.handshakeTimer) clearTimeout(this.handshakeTimer);
    this.handshakeTimer = null;
    this.request = null;
  }

  /** The handshake failed: 'error', then 'close' 1006 (WHATWG: "fail the WebSocket connection"). */
  private failHandshake(err: WebSocketError): void {
    if (this.readyState !== WebSocketConnection.CONNECTING) return;
    this.readyState = WebSocketConnection.CLOSED;
    const req = this.request;
    this.clearHandshake();
    req?.destroy();
    if (this.tracer) this.tracer({ protocol: 'ws', dir: '--', kind: 'end', summary: `handshake failed: ${err.message}` });
    // Always after the constructor has returned, so listeners are in place.
    process.nextTick(() => {
      this.emitEvent(new ErrorEvent('error', { error: err }));
      this.emitEvent(new CloseEvent('close', { code: 1006, reason: '', wasClean: false }));
    });
    this.handshakeError = err;
  }

  /** Why the opening handshake failed, if it did. */
  handshakeError: WebSocketError | null = null;

  protected override abortHandshake(): void {
    this.failHandshake(new WebSocketError('WS_ERR_CLOSED_BEFORE_OPEN', 'closed before the connection was established'));
  }

  override get error(): WebSocketError | null {
    return super.error ?? this.handshakeError;
  }
}
