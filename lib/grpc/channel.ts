/**
 * Channel: the client's HTTP/2 connection to one server, shared by every
 * call, made again when it drops (or the server sends GOAWAY).
 *
 * - Calls wait in a queue until the server's SETTINGS arrive and then while
 *   SETTINGS_MAX_CONCURRENT_STREAMS streams are open (RFC 9113 §5.1.2:
 *   a client must not exceed the peer's limit), instead of being refused.
 * - Calls not yet started when a GOAWAY arrives move to a new connection.
 * - Keepalive PINGs (off by default) detect a dead peer; GOAWAY
 *   ENHANCE_YOUR_CALM "too_many_pings" doubles the interval.
 * - The connection keeps the process alive only while calls are open.
 */
import * as http2 from 'node:http2';
import * as net from 'node:net';
import { ClientCall } from './client.js';
import { type Encoding } from './compression.js';
import { GrpcError } from './errors.js';
import { DEFAULT_MAX_RECEIVE_MESSAGE_SIZE, MAX_FRAMEABLE } from './frame.js';
import type { Metadata } from './metadata.js';
import type { MethodDefinition, OutgoingMessage } from './service.js';
import { Status, http2ErrorName } from './status.js';
import type { Tracer } from '../trace/index.js';

export const USER_AGENT = `grpc-node-barewire/0.1.0`;

export interface ChannelOptions {
  /** Largest response message accepted, after decompression (default 4 MiB). */
  maxReceiveMessageSize?: number;
  /** Largest request message sent, before compression (default 4 GiB - 1). */
  maxSendMessageSize?: number;
  /** Send a keepalive PING after this long (default 0: off). */
  keepaliveTimeMs?: number;
  /** Drop the connection (calls fail UNAVAILABLE) when a PING is not answered within this (default 20 s). */
  keepaliveTimeoutMs?: number;
  /** Fail calls with UNAVAILABLE when the connection is not up within this (default 20 s). */
  connectTimeoutMs?: number;
  /** Default grpc-encoding for requests (default 'identity'). */
  compression?: Encoding;
  /** user-agent header (default grpc-node-barewire/<version>). */
  userAgent?: string;
  tracer?: Tracer;
}

export interface CallOptions {
  /** Absolute deadline: a Date or Date.now()-clock milliseconds. */
  deadline?: Date | number;
  /** Relative deadline in milliseconds (the smaller of the two wins). */
  timeoutMs?: number;
  /** Custom request metadata. */
  metadata?: Metadata;
  /** Aborting cancels the call (RST_STREAM CANCEL; status CANCELLED). */
  signal?: AbortSignal;
  /** grpc-encoding for this call's messages (default: the channel's). */
  compression?: Encoding;
}

export interface CallStatus {
  code: number;
  details: string;
  /** Trailing metadata. */
  metadata: Metadata;
}

export interface SessionInfo {
  session: http2.ClientHttp2Session;
  /** Why it went away, when it did: used in the status of calls it takes down. */
  reason: string | undefined;
  connected: boolean;
  /** Calls (queued or running) on this session: the process stays alive while > 0. */
  active: number;
  /** HTTP/2 streams open now. */
  streams: number;
  /** The server's SETTINGS_MAX_CONCURRENT_STREAMS, once its SETTINGS arrived. */
  maxStreams: number;
  settingsKnown: boolean;
  /** Calls waiting for a stream slot (RFC 9113 §5.1.2: the peer's limit is respected, not exceeded). */
  queue: ClientCall<any, any>[];
}

export class Channel {
  readonly authority: string;
  private readonly origin: string;
  private current: SessionInfo | undefined;
  private closed = false;
  private keepaliveTimeMs: number;
  private nextConn = 1;
  readonly options: Required<Omit<ChannelOptions, 'tracer'>> & { tracer?: Tracer };

  /** `target`: "http://host:port" or "host:port". */
  constructor(target: string, options: ChannelOptions = {}) {
    const url = new URL(target.includes('://') ? target : `http://${target}`);
    if (url.protocol !== 'http:') throw new TypeError(`barewire/grpc speaks plaintext HTTP/2 (http://), not ${url.protocol}`);
    this.origin = url.origin;
    this.authority = url.host;
    this.options = {
      maxReceiveMessageSize: options.maxReceiveMessageSize ?? DEFAULT_MAX_RECEIVE_MESSAGE_SIZE,
      maxSendMessageSize: Math.min(options.maxSendMessageSize ?? MAX_FRAMEABLE, MAX_FRAMEABLE),
      keepaliveTimeMs: options.keepaliveTimeMs ?? 0,
      keepaliveTimeoutMs: options.keepaliveTimeoutMs ?? 20_000,
      connectTimeoutMs: options.connectTimeoutMs ?? 20_000,
      compression: options.compression ?? 'identity',
      userAgent: options.userAgent ?? USER_AGENT,
      tracer: options.tracer,
    };
    this.keepaliveTimeMs = this.options.keepaliveTimeMs;
  }

  /** Start a call. Unary and server-streaming callers write one message and end(). */
  call<Req, Res>(method: MethodDefinition<Req, Res>, options: CallOptions = {}): ClientCall<Req, Res> {
    if (this.closed) throw new GrpcError(Status.UNAVAILABLE, 'channel is closed');
    return new ClientCall(this, method, options);
  }

  /** One request, one response. */
  async unary<Req, Res>(method: MethodDefinition<Req, Res>, request: Req | OutgoingMessage<Req>, options?: CallOptions): Promise<Res> {
    const call = this.call(method, options);
    call.write(request).catch(() => {});
    call.end();
    return call.response();
  }

  /** Close the connection once calls in flight end. */
  close(): void {
    this.closed = true;
    if (this.current) this.current.reason ??= 'the client closed the channel (GOAWAY NO_ERROR)';
    this.current?.session.close();
    this.current = undefined;
  }

  /** The live session, or a new one (reconnect after a drop or GOAWAY). */
  private session(): SessionInfo {
    const cur = this.current;
    if (cur && !cur.session.closed && !cur.session.destroyed && cur.reason === undefined) return cur;
    const o = this.options;
    const conn = this.nextConn++;
    const tracer = o.tracer && ((e: Parameters<Tracer>[0]) => o.tracer!({ ...e, conn: e.conn ?? `c${conn}` }));
    const session = http2.connect(this.origin, {
      settings: { enablePush: false },
      // Small frames (a 5-byte message, END_STREAM) go out at once, not after Nagle's delay.
      createConnection: (url: URL) => net.connect({ host: url.hostname.replace(/^\[|\]$/g, ''), port: Number(url.port) || 80, noDelay: true }),
    });
    const info: SessionInfo = { session, reason: undefined, connected: false, active: 0, streams: 0, maxStreams: Infinity, settingsKnown: false, queue: [] };
    this.current = info;
    session.unref();
    const connectTimer = setTimeout(() => {
      info.reason = `could not connect to ${this.authority} within ${o.connectTimeoutMs} ms`;
      session.destroy();
    }, o.connectTimeoutMs);
    connectTimer.unref();
    let keepalive: NodeJS.Timeout | undefined;
    session.once('connect', () => {
      clearTimeout(connectTimer);
      info.connected = true;
      if (tracer) tracer({ protocol: 'grpc', dir: '--', kind: 'open', summary: `connected to ${this.authority}` });
      if (this.keepaliveTimeMs > 0) keepalive = this.startKeepalive(info, tracer);
    });
    session.on('remoteSettings', (settings: http2.Settings) => {
      info.settingsKnown = true;
      info.maxStreams = settings.maxConcurrentStreams ?? Infinity;
      this._drain(info);
    });
    session.on('error', (err: NodeJS.ErrnoException) => {
      info.reason ??= !info.connected
        ? `could not connect to ${this.authority}: ${err.code === 'ECONNREFUSED' ? 'connection refused (is the server running?)' : err.message}`
        : !info.settingsKnown
          ? `${this.authority} did not answer in HTTP/2 (is it a gRPC server speaking plaintext h2c?): ${err.message}`
          : `connection to ${this.authority} failed: ${err.message}`;
    });
    session.on('goaway', (code: number, _last: number, opaque?: Buffer) => {
      const data = opaque && opaque.length ? ` ${opaque.toString('latin1')}` : '';
      let reason = `server sent GOAWAY ${http2ErrorName(code)}${data}`;
      // gRPC client keepalive (A8): ENHANCE_YOUR_CALM "too_many_pings" asks us to ping less often.
      if (code === 11 && data.includes('too_many_pings') && this.keepaliveTimeMs > 0) {
        this.keepaliveTimeMs *= 2;
        reason = `peer sent GOAWAY ENHANCE_YOUR_CALM too_many_pings: keepalive interval raised to ${this.keepaliveTimeMs} ms`;
      }
      info.reason ??= reason;
      if (tracer) tracer({ protocol: 'grpc', dir: '<-', kind: 'goaway', summary: reason, fields: { code } });
      if (this.current === info) this.current = undefined;
      // Calls not started yet never reached this server: start them on a new connection.
      const waiting = info.queue.splice(0);
      for (const call of waiting) {
        info.active--;
        if (!this.closed) this._enqueue(call);
        else call._notStarted(`${reason}; the call was not started`);
      }
    });
    session.on('close', () => {
      clearTimeout(connectTimer);
      clearInterval(keepalive);
      if (this.current === info) this.current = undefined;
      info.reason ??= `connection to ${this.authority} closed`;
      for (const call of info.queue.splice(0)) call._notStarted(`${info.reason}; the call was not started`);
      if (tracer) tracer({ protocol: 'grpc', dir: '--', kind: 'end', summary: info.reason });
    });
    return info;
  }

  private startKeepalive(info: SessionInfo, tracer: Tracer | undefined): NodeJS.Timeout {
    const o = this.options;
    const t = setInterval(() => {
      const s = info.session;
      if (s.destroyed || s.closed) return;
      const timer = setTimeout(() => {
        info.reason ??= `keepalive PING to ${this.authority} not answered within ${o.keepaliveTimeoutMs} ms`;
        s.destroy();
      }, o.keepaliveTimeoutMs);
      timer.unref();
      if (tracer) tracer({ protocol: 'grpc', dir: '->', kind: 'ping', summary: 'keepalive' });
      s.ping(() => clearTimeout(timer));
    }, this.keepaliveTimeMs);
    t.unref();
    return t;
  }

  /** @internal queue a new call on the live session; it starts when a stream slot is free. */
  _enqueue(call: ClientCall<any, any>): SessionInfo {
    const info = this.session();
    call._info = info;
    info.active++;
    if (info.active === 1) info.session.ref();
    info.queue.push(call);
    this._drain(info);
    return info;
  }

  /** @internal start queued calls while the server's stream limit allows. */
  _drain(info: SessionInfo): void {
    while (info.queue.length > 0 && info.settingsKnown && info.streams < info.maxStreams) {
      const call = info.queue.shift()!;
      if (call._begin(info)) info.streams++;
    }
  }

  /** @internal a call ended (its stream, if any, closed): free its slot. */
  _release(info: SessionInfo, hadStream: boolean): void {
    if (hadStream) info.streams--;
    info.active--;
    if (!info.session.destroyed && info.active === 0) info.session.unref();
    this._drain(info);
  }
}
