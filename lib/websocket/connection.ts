/**
 * One open WebSocket connection: the adapter that ties a socket to the
 * sans-I/O Receiver, writes frames, runs the closing handshake, heartbeats
 * and backpressure. The server hands these out; the client (client.ts)
 * extends it with the opening handshake.
 *
 * The API is the web platform's WebSocket on EventTarget, plus ping(),
 * heartbeat, async iteration, pause()/resume(), 'drain' and terminate().
 *
 * Closing (RFC 6455 §7, §5.5.1):
 *
 *   us                                   peer
 *    |--- close(code, reason) ----------->|    readyState CLOSING
 *    |<-- close(code) --------------------|    (echo)
 *    |    server: end TCP first (§7.1.1)  |
 *    |    client: wait for the server's FIN, closeTimeout at most
 *    |==== TCP closed ====================|    readyState CLOSED, 'close' event
 *
 * A frame that breaks a rule fails the connection (§7.1.7): an 'error'
 * event, a close frame with the error's close code, TCP closed; the
 * 'close' event then reports 1006 since no close frame came back.
 */
import type { Duplex } from 'node:stream';
import { Utf8Validator } from '../bytes/index.js';
import type { Tracer } from '../trace/index.js';
import { encodeClosePayload, truncateReason } from './close.js';
import { DeflateCodec, type DeflateParams, type PerMessageDeflateOptions } from './deflate.js';
import { WebSocketError } from './errors.js';
import { CloseEvent, ErrorEvent, MessageEvent, WebSocketEvent } from './events.js';
import { MAX_CONTROL_PAYLOAD, Opcode } from './frame.js';
import { Receiver, type ReceiverHandler } from './receiver.js';
import { Sender } from './sender.js';
import { messageIterator } from './iterator.js';

export type BinaryType = 'nodebuffer' | 'arraybuffer' | 'blob';
export type MessageData = string | Buffer | ArrayBuffer | Blob;
export type SendData = string | ArrayBuffer | ArrayBufferView;

/** Options shared by both sides. */
export interface ConnectionOptions {
  /** Largest message accepted, after inflation (exactly this is accepted); 0 = none. Default 64 MiB (1009 above). */
  maxPayload?: number;
  /** Most data frames per message. Default 16384 (1008 above). */
  maxFragments?: number;
  /** Most input chunks held while reading is paused. Default 65536 (1008 above). */
  maxBufferedChunks?: number;
  /** How long to wait for the peer's part of the closing handshake, ms. Default 10000. */
  closeTimeout?: number;
  /** Send a ping every this many ms and drop the peer if no pong came by the next one; 0 = off (default). */
  heartbeat?: number;
  /** Split outgoing messages into frames of at most this many payload bytes; 0 = never (default). */
  fragmentSize?: number;
  /** permessage-deflate: false to disable, or its options. Default: enabled (threshold 1024 B). */
  perMessageDeflate?: boolean | PerMessageDeflateOptions;
  tracer?: Tracer;
}

export interface SendOptions {
  /** Send even a string as binary, or bytes as text (they must then be UTF-8). */
  binary?: boolean;
  /** false: never compress this message. */
  compress?: boolean;
  /** Override the connection's fragmentSize for this message. */
  fragmentSize?: number;
}

/** Internal: what the server or client hands over once the handshake is done. */
export interface AttachInfo {
  socket: Duplex;
  head: Uint8Array;
  protocol: string;
  extensions: string;
  deflate: DeflateParams | null;
  /** The server's set of open connections: this one leaves it when it closes. */
  registry?: Set<WebSocketConnection>;
}

type Listener = ((event: any) => void) | { handleEvent(event: any): void } | null;
/** Bits of the event types, for WebSocketConnection.listened. */
const EVENT_BITS: Record<string, number> = { open: 1, message: 2, error: 4, close: 8, drain: 16 };

const [CONNECTING, OPEN, CLOSING, CLOSED] = [0, 1, 2, 3] as const;

/** Beyond this many unparsed bytes (the receiver paused), stop reading the socket. */
const RECEIVE_HIGH_WATER = 64 * 1024;

function toBuffer(u8: Uint8Array): Buffer {
  return Buffer.isBuffer(u8) ? u8 : Buffer.from(u8.buffer, u8.byteOffset, u8.byteLength);
}

export class WebSocketConnection extends EventTarget {
  static readonly CONNECTING = CONNECTING;
  static readonly OPEN = OPEN;
  static readonly CLOSING = CLOSING;
  static readonly CLOSED = CLOSED;
  // The same constants on every instance (WHATWG), defined once on the prototype below.
  declare readonly CONNECTING: 0;
  declare readonly OPEN: 1;
  declare readonly CLOSING: 2;
  declare readonly CLOSED: 3;

  /** The URL (client) or request path (server). */
  url = '';
  /** The subprotocol selected in the handshake, '' for none. */
  protocol = '';
  /** The extensions in force (the Sec-WebSocket-Extensions response value). */
  extensions = '';
  readyState: number = CONNECTING;
  /** How binary messages are delivered: Buffer (default), ArrayBuffer or Blob. */
  binaryType: BinaryType = 'nodebuffer';

  protected readonly role: 'server' | 'client';
  protected readonly options: ConnectionOptions;
  protected tracer: Tracer | undefined;
  protected socket: Duplex | null = null;
  private receiver: Receiver | null = null;
  /** permessage-deflate parameters in force (null: not negotiated); the codec is made on first use. */
  private deflate: DeflateParams | null = null;
  private codecInstance: DeflateCodec | null = null;
  private registry: Set<WebSocketConnection> | null = null;
  private readonly maxPayload: number;

  private sender: Sender | null = null;

  // Reading. Each hold stops the parser: inflating a message (a soft hold: the
  // socket keeps reading until RECEIVE_HIGH_WATER bytes wait unparsed), or the
  // application asking to stop, through pause() or a full async iterator (a hard
  // hold: the socket stops at once, and TCP flow control slows the peer).
  private holds = 0;
  private hardHolds = 0;
  private textValidator: Utf8Validator | null = null;

  // Closing.
  private closeSent = false;
  private closeReceived = false;
  private receivedCode = 1005;
  private receivedReason = '';
  private closeTimer: NodeJS.Timeout | null = null;
  private failure: WebSocketError | null = null;
  private endReason = '';
  private startedClose: 'us' | 'peer' | '' = '';

  // Ping / heartbeat.
  private pings: Map<string, { resolve: (rtt: number) => void; reject: (e: Error) => void; t0: number }[]> | null = null;
  private pingCounter = 0;
  private heartbeatTimer: NodeJS.Timeout | null = null;
  private alive = true;

  private handlers: Record<string, ((this: WebSocketConnection, ev: any) => unknown) | null> | null = null;

  /** @internal Servers and the client construct connections; applications receive them. */
  constructor(role: 'server' | 'client', options: ConnectionOptions = {}, tracer: Tracer | undefined = options.tracer) {
    super();
    this.role = role;
    this.options = options; // shared by every connection of a server: never copied per connection
    this.tracer = tracer;
    this.maxPayload = options.maxPayload ?? 64 * 1024 * 1024;
  }

  // --- WHATWG event handler attributes -------------------------------------------------------

  private setHandler(type: string, fn: ((ev: any) => unknown) | null): void {
    (this.handlers ??= {})[type] = typeof fn === 'function' ? fn : null;
  }

  /** Which event types ever had a listener added (bits of EVENT_BITS); those go through dispatchEvent. */
  private listened = 0;

  override addEventListener(type: string, listener: Listener, options?: Parameters<EventTarget['addEventListener']>[2]): void {
    this.listened |= EVENT_BITS[type] ?? 0;
    super.addEventListener(type, listener as Parameters<EventTarget['addEventListener']>[1], options);
  }

  /**
   * Deliver an event: to the listeners (if any were ever added), then to the
   * `on<type>` handler. An exception in a handler is reported as uncaught, as
   * EventTarget does for listeners; it never breaks the connection's state.
   */
  protected emitEvent(ev: WebSocketEvent): void {
    if (this.listened & (EVENT_BITS[ev.type] ?? 0)) this.dispatchEvent(ev);
    const handler = this.handlers?.[ev.type];
    if (handler) {
      ev.setTarget(this);
      try {
        handler.call(this, ev);
      } catch (err) {
        process.nextTick(() => {
          throw err;
        });
      }
    }
  }
  get onopen(): ((ev: Event) => unknown) | null {
    return this.handlers?.open ?? null;
  }
  set onopen(fn: ((ev: Event) => unknown) | null) {
    this.setHandler('open', fn);
  }
  get onmessage(): ((ev: MessageEvent<MessageData>) => unknown) | null {
    return this.handlers?.message ?? null;
  }
  set onmessage(fn: ((ev: MessageEvent<MessageData>) => unknown) | null) {
    this.setHandler('message', fn);
  }
  get onclose(): ((ev: CloseEvent) => unknown) | null {
    return this.handlers?.close ?? null;
  }
  set onclose(fn: ((ev: CloseEvent) => unknown) | null) {
    this.setHandler('close', fn);
  }
  get onerror(): ((ev: ErrorEvent) => unknown) | null {
    return this.handlers?.error ?? null;
  }
  set onerror(fn: ((ev: ErrorEvent) => unknown) | null) {
    this.setHandler('error', fn);
  }

  /** Bytes handed to send() and not yet written to the network. */
  get bufferedAmount(): number {
    return (this.socket?.writableLength ?? 0) + (this.sender?.queuedBytes ?? 0);
  }

  /** The connection's permessage-deflate codec, made on first use (idle connections hold none). */
  private codec(): DeflateCodec | null {
    if (this.deflate === null) return null;
    if (this.codecInstance === null) {
      const opts = typeof this.options.perMessageDeflate === 'object' ? this.options.perMessageDeflate : {};
      this.codecInstance = new DeflateCodec(this.deflate, this.role, this.maxPayload, opts);
    }
    return this.codecInstance;
  }

  // --- Setup -----------------------------------------------------------------------------------

  /** @internal Take over the socket once the opening handshake is done. */
  attach(info: AttachInfo): void {
    const { socket } = info;
    this.socket = socket;
    this.protocol = info.protocol;
    this.extensions = info.extensions;
    this.deflate = info.deflate;
    this.registry = info.registry ?? null;
    this.registry?.add(this);
    this.receiver = new Receiver(
      {
        role: this.role,
        maxPayload: this.maxPayload,
        maxFragments: this.options.maxFragments,
        maxBufferedChunks: this.options.maxBufferedChunks,
        compression: info.deflate !== null,
        tracer: this.tracer,
      },
      new ReceiverEvents(this),
    );
    if ('setNoDelay' in socket) (socket as import('node:net').Socket).setNoDelay(true);
    if ('setTimeout' in socket) (socket as import('node:net').Socket).setTimeout(0);
    socket.on('data', (chunk: Buffer) => {
      this.alive = true;
      const r = this.receiver!;
      // Replies the application sends while this chunk is parsed (echoes, pongs)
      // leave in one writev instead of one syscall each.
      socket.cork();
      try {
        r.push(chunk);
      } finally {
        socket.uncork();
      }
      if (this.holds > 0) this.updateFlow();
    });
    socket.on('end', () => {
      if (!this.closeReceived && !this.endReason) this.endReason = 'the peer closed TCP without a close frame';
      socket.end();
    });
    socket.on('error', (err: Error) => {
      if (!this.endReason && !(this.closeSent && this.closeReceived)) this.endReason = `socket error: ${(err as NodeJS.ErrnoException).code ?? err.message}`;
    });
    socket.on('close', () => this.finalize());
    this.sender = new Sender(socket, this.role === 'client', this.tracer, () => this.emitEvent(new WebSocketEvent('drain')));
    this.readyState = OPEN;
    if (this.tracer) this.tracer({ protocol: 'ws', dir: '--', kind: 'open', summary: `protocol=${JSON.stringify(info.protocol)} extensions=${JSON.stringify(info.extensions)}` });
    const beat = this.options.heartbeat ?? 0;
    if (beat > 0) {
      this.heartbeatTimer = setInterval(() => this.heartbeat(beat), beat);
      this.heartbeatTimer.unref();
    }
    if (this.role === 'client') this.emitEvent(new WebSocketEvent('open'));
    if (info.head.length > 0) socket.unshift(Buffer.from(info.head));
  }

  // --- Receiving ------------------------------------------------------------------------------

  private onMessage(data: Uint8Array, binary: boolean, compressed: boolean): void {
    if (!compressed) return this.deliver(data, binary);
    // RFC 7692 §6.2: inflate; later messages wait (the parser is held) so order is kept.
    this.hold();
    if (!binary) {
      if (this.textValidator === null) this.textValidator = new Utf8Validator();
      else this.textValidator.reset();
    }
    this.codec()!.decompress(data, binary ? null : this.textValidator, (err, out) => {
      if (this.readyState === CLOSED) return;
      if (err) return this.fail(err);
      this.deliver(out!, binary);
      this.release();
    });
  }

  private deliver(data: Uint8Array, binary: boolean): void {
    if (this.readyState !== OPEN && this.readyState !== CLOSING) return;
    let value: MessageData;
    if (!binary) value = toBuffer(data).toString('utf8');
    else if (this.binaryType === 'nodebuffer') value = toBuffer(data);
    else if (this.binaryType === 'arraybuffer') {
      value = data.byteOffset === 0 && data.byteLength === data.buffer.byteLength ? (data.buffer as ArrayBuffer) : (Uint8Array.prototype.slice.call(data).buffer as ArrayBuffer);
    } else value = new Blob([data]);
    this.emitEvent(new MessageEvent('message', { data: value }));
  }

  private onPing(payload: Uint8Array): void {
    // RFC 6455 §5.5.2: answer with a pong carrying the same application data.
    if (!this.closeSent) this.sender!.control(Opcode.PONG, payload);
  }

  private onPong(payload: Uint8Array): void {
    // RFC 6455 §5.5.3: a pong answers the ping with the same data; unsolicited pongs are ignored.
    const key = toBuffer(payload).toString('hex');
    const waiting = this.pings?.get(key);
    if (!waiting) return;
    this.pings!.delete(key);
    const now = performance.now();
    for (const w of waiting) w.resolve(now - w.t0);
  }

  private onCloseFrame(code: number, reason: string): void {
    this.closeReceived = true;
    this.receivedCode = code;
    this.receivedReason = reason;
    if (!this.closeSent) {
      // RFC 6455 §5.5.1: answer with a close frame, typically echoing the code (none for 1005).
      this.startedClose = 'peer';
      this.readyState = CLOSING;
      this.closeSent = true;
      const payload = code === 1005 ? new Uint8Array(0) : encodeClosePayload(code);
      this.sender!.control(Opcode.CLOSE, payload, () => this.afterCloseExchanged());
    } else {
      this.afterCloseExchanged();
    }
  }

  /** RFC 6455 §7.1.1: both close frames exchanged: the server closes TCP first; the client waits for it. */
  private afterCloseExchanged(): void {
    if (this.role === 'server') this.socket?.end();
    this.armCloseTimer();
  }

  private armCloseTimer(): void {
    if (this.closeTimer) return;
    this.closeTimer = setTimeout(() => {
      if (!this.endReason) this.endReason = `no close handshake within ${this.options.closeTimeout ?? 10000} ms`;
      this.socket?.destroy();
    }, this.options.closeTimeout ?? 10000);
    this.closeTimer.unref();
  }

  /** RFC 6455 §7.1.7: Fail the WebSocket Connection. */
  protected fail(err: WebSocketError): void {
    if (this.readyState === CLOSED || this.failure) return;
    this.failure = err;
    this.endReason = `${err.closeCode ? `close ${err.closeCode}: ` : ''}${err.message}`;
    this.readyState = CLOSING;
    this.emitEvent(new ErrorEvent('error', { error: err }));
    const socket = this.socket;
    if (!socket) return;
    if (!this.closeSent && err.closeCode >= 1000 && err.closeCode !== 1006) {
      this.closeSent = true;
      this.sender!.closeNow(encodeClosePayload(err.closeCode, truncateReason(err.message)));
    }
    socket.end();
    this.armCloseTimer();
  }

  // --- Sending --------------------------------------------------------------------------------

  /**
   * Send a message: a string as text, bytes as binary (or per `options.binary`).
   * Throws while CONNECTING (as the web platform does); ignored once closing.
   */
  send(data: SendData, options: SendOptions = {}): void {
    if (this.readyState === CONNECTING) throw new WebSocketError('WS_ERR_INVALID_STATE', 'send() before the connection is open');
    if (this.readyState !== OPEN) return;
    let binary: boolean;
    let bytes: Uint8Array | null = null;
    if (typeof data === 'string') binary = options.binary ?? false;
    else {
      binary = options.binary ?? true;
      if (data instanceof ArrayBuffer) bytes = new Uint8Array(data);
      else if (ArrayBuffer.isView(data)) bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
      else throw new TypeError('send() takes a string, an ArrayBuffer or an ArrayBufferView');
    }
    const opcode = binary ? Opcode.BINARY : Opcode.TEXT;
    const fragmentSize = options.fragmentSize ?? this.options.fragmentSize ?? 0;
    const length = bytes === null ? Buffer.byteLength(data as string) : bytes.length;
    const compress = this.deflate !== null && options.compress !== false && this.codec()!.wants(length);

    const sender = this.sender!;
    // Fast path: a string in one frame, nothing queued, no compression: encode straight into the frame.
    if (bytes === null && !compress && (fragmentSize === 0 || length <= fragmentSize) && sender.idle) {
      return sender.text(opcode, data as string, length);
    }
    sender.message(opcode, bytes ?? Buffer.from(data as string, 'utf8'), compress ? this.codec() : null, fragmentSize);
  }

  /**
   * Ping the peer; resolves with the round-trip time in ms when the pong
   * with the same payload arrives (RFC 6455 §5.5.2, §5.5.3).
   */
  ping(data?: string | ArrayBufferView): Promise<number> {
    if (this.readyState !== OPEN) return Promise.reject(new WebSocketError('WS_ERR_INVALID_STATE', 'ping() while the connection is not open'));
    let payload: Uint8Array;
    if (data === undefined) {
      payload = Buffer.alloc(8);
      (payload as Buffer).writeUInt32BE(++this.pingCounter, 4);
    } else payload = typeof data === 'string' ? Buffer.from(data) : new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
    if (payload.length > MAX_CONTROL_PAYLOAD) return Promise.reject(new RangeError('a ping carries at most 125 bytes'));
    const key = toBuffer(payload).toString('hex');
    return new Promise((resolve, reject) => {
      this.pings ??= new Map();
      const list = this.pings.get(key) ?? [];
      list.push({ resolve, reject, t0: performance.now() });
      this.pings.set(key, list);
      const copy = Uint8Array.prototype.slice.call(payload);
      this.sender!.control(Opcode.PING, copy);
    });
  }

  private heartbeat(interval: number): void {
    if (this.readyState !== OPEN) return;
    if (!this.alive) {
      this.endReason = `no pong or data within ${interval} ms (heartbeat)`;
      this.failure = new WebSocketError('WS_ERR_HEARTBEAT', this.endReason, 1006);
      this.emitEvent(new ErrorEvent('error', { error: this.failure }));
      this.terminate();
      return;
    }
    this.alive = false;
    this.ping().catch(() => {});
  }

  // --- Closing --------------------------------------------------------------------------------

  /**
   * Start the closing handshake (RFC 6455 §7.1.2). `code` must be one that
   * may be sent (§7.4); `reason` a string or any ArrayBufferView of at most
   * 123 bytes of UTF-8 (measured in bytes, never in elements).
   */
  close(code?: number, reason?: string | ArrayBufferView): void {
    const payload = encodeClosePayload(code, reason); // validates before any state changes
    if (this.readyState === CLOSING || this.readyState === CLOSED) return;
    if (this.readyState === CONNECTING) return this.abortHandshake();
    this.readyState = CLOSING;
    this.closeSent = true;
    this.startedClose = 'us';
    this.sender!.control(Opcode.CLOSE, payload);
    this.armCloseTimer();
  }

  /** Closing before the handshake finished: the client overrides this. */
  protected abortHandshake(): void {
    this.readyState = CLOSED;
  }

  /** Drop the connection now, without a closing handshake (1006). */
  terminate(): void {
    if (this.readyState === CLOSED) return;
    if (this.readyState === CONNECTING) return this.abortHandshake();
    if (!this.endReason) this.endReason = 'terminated locally';
    this.readyState = CLOSING;
    this.socket?.destroy();
  }

  /** Stop reading from the peer (TCP backpressure) until resume(). */
  pause(): void {
    this.hold(true);
  }

  resume(): void {
    if (this.hardHolds > 0) this.release(true);
  }

  private hold(hard = false): void {
    if (hard) this.hardHolds++;
    if (this.holds++ === 0) this.receiver?.pause();
    this.updateFlow();
  }

  private release(hard = false): void {
    if (hard) this.hardHolds--;
    if (--this.holds === 0) this.receiver?.resume();
    this.updateFlow();
  }

  /** Read from the socket unless a hard hold is on, or a soft one with too many bytes waiting. */
  private updateFlow(): void {
    const socket = this.socket;
    if (!socket || this.readyState === CLOSED) return;
    const stop = this.holds > 0 && (this.hardHolds > 0 || this.receiver!.bufferedBytes > RECEIVE_HIGH_WATER);
    if (stop !== socket.isPaused()) {
      if (stop) socket.pause();
      else socket.resume();
    }
  }

  /** The socket closed: report how the connection ended. */
  protected finalize(): void {
    if (this.readyState === CLOSED) return;
    this.readyState = CLOSED;
    if (this.closeTimer) clearTimeout(this.closeTimer);
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    this.codecInstance?.close();
    const closed = new WebSocketError('WS_ERR_INVALID_STATE', 'the connection closed before the pong arrived');
    if (this.pings) for (const list of this.pings.values()) for (const w of list) w.reject(closed);
    this.pings = null;
    const wasClean = this.closeSent && this.closeReceived && this.failure === null;
    // RFC 6455 §7.1.5: with no close frame received, the close code is 1006.
    const code = this.closeReceived ? this.receivedCode : 1006;
    const reason = this.closeReceived ? this.receivedReason : '';
    if (this.tracer) {
      let why: string;
      if (this.failure) why = this.endReason;
      else if (wasClean) {
        why = `close ${code}${reason ? ` ${JSON.stringify(reason)}` : ''}: handshake completed, started by ${this.startedClose === 'us' ? 'this side' : 'the peer'}`;
      } else why = `close 1006: ${this.endReason || 'connection closed without a close handshake'}`;
      this.tracer({ protocol: 'ws', dir: '--', kind: 'end', summary: why, fields: { code, reason, wasClean } });
    }
    this.registry?.delete(this);
    this.emitEvent(new CloseEvent('close', { code, reason, wasClean }));
  }

  /** The error that failed the connection, if one did. */
  get error(): WebSocketError | null {
    return this.failure;
  }

  // --- Async iteration (iterator.ts) --------------------------------------------------------

  /**
   * `for await (const data of ws)`: each message's data, in order. Reading
   * pauses while 16 messages wait unread. Ends after a clean close; throws
   * the error after a failed one.
   */
  [Symbol.asyncIterator](): AsyncIterableIterator<MessageData> {
    return messageIterator(this, {
      hold: () => this.hold(true),
      release: () => this.release(true),
    });
  }
}

/** WHATWG HTML §9.3: the readyState constants, on the prototype of every connection. */
for (const [name, value] of [['CONNECTING', CONNECTING], ['OPEN', OPEN], ['CLOSING', CLOSING], ['CLOSED', CLOSED]] as const) {
  Object.defineProperty(WebSocketConnection.prototype, name, { value, enumerable: true });
}

/**
 * The receiver's callbacks for one connection: one small object per
 * connection, its methods shared on the prototype (an idle connection's cost
 * matters when there are thousands of them).
 */
class ReceiverEvents implements ReceiverHandler {
  private readonly c: {
    onMessage(data: Uint8Array, binary: boolean, compressed: boolean): void;
    onPing(p: Uint8Array): void;
    onPong(p: Uint8Array): void;
    onCloseFrame(code: number, reason: string): void;
    fail(err: WebSocketError): void;
  };
  constructor(conn: WebSocketConnection) {
    this.c = conn as unknown as ReceiverEvents['c'];
  }
  onMessage(data: Uint8Array, binary: boolean, compressed: boolean): void {
    this.c.onMessage(data, binary, compressed);
  }
  onPing(p: Uint8Array): void {
    this.c.onPing(p);
  }
  onPong(p: Uint8Array): void {
    this.c.onPong(p);
  }
  onClose(code: number, reason: string): void {
    this.c.onCloseFrame(code, reason);
  }
  onError(err: WebSocketError): void {
    this.c.fail(err);
  }
}

