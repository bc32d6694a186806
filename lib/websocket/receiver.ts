/**
 * The receiving half of a WebSocket connection, without I/O: bytes in
 * (`push(chunk)`), protocol events out (a message, a ping, a pong, a close,
 * or the error that fails the connection). RFC 6455 §5 and §6.2.
 *
 * One explicit state machine. Each step returns early when the bytes it
 * needs have not arrived yet, so input may be split anywhere, one byte at a
 * time included:
 *
 *   HEADER ──len 126──> LENGTH_16 ──┐
 *     │   └─len 127──> LENGTH_64 ───┤
 *     ├────────────────────────────┴──> MASK_KEY (if MASK) ──> PAYLOAD (data frame)
 *     │                                                   └──> CONTROL (ping/pong/close)
 *     └── any error, or a close frame ──> DONE (nothing after it is processed)
 *
 * Data payloads are consumed as they arrive (no waiting for the whole frame
 * in the input queue), unmasked with the right key phase, and appended to
 * the message; a message that is one frame whose payload sits in one chunk
 * is delivered as a view of that chunk, without a copy.
 *
 * Memory stays proportional to the bytes received: tiny fragments are copied
 * into a growing slab instead of being kept as one object each, empty
 * fragments cost nothing, and the number of data frames per message
 * (`maxFragments`) and of input chunks held while paused
 * (`maxBufferedChunks`) are capped (1008).
 */
import { ChunkQueue, Utf8Validator, isValidUtf8 } from '../bytes/index.js';
import { formatBytes, type Tracer } from '../trace/index.js';
import { decodeClosePayload } from './close.js';
import { WebSocketError, protocolError } from './errors.js';
import { MAX_CONTROL_PAYLOAD, Opcode, describeFrame, isControl, unmask } from './frame.js';

/** Default maximum message size: 64 MiB (shared/INTEROP.md). */
export const DEFAULT_MAX_PAYLOAD = 64 * 1024 * 1024;
/** Default maximum number of data frames in one message. */
export const DEFAULT_MAX_FRAGMENTS = 16384;
/** Default maximum number of input chunks held while parsing is paused. */
export const DEFAULT_MAX_BUFFERED_CHUNKS = 65536;

export interface ReceiverOptions {
  /** 'server' expects masked frames (RFC 6455 §5.1), 'client' unmasked ones. */
  role: 'server' | 'client';
  /** Largest message accepted, in bytes (exactly this is accepted); 0 = no limit. Default 64 MiB. */
  maxPayload?: number;
  /** Most data frames per message (1008 above); 0 = no limit. Default 16384. */
  maxFragments?: number;
  /** Most input chunks buffered while paused (1008 above); 0 = no limit. Default 65536. */
  maxBufferedChunks?: number;
  /** permessage-deflate was negotiated: RSV1 marks a compressed message (RFC 7692 §6). */
  compression?: boolean;
  tracer?: Tracer;
}

export interface ReceiverHandler {
  /** A complete message. `compressed`: the data still has to be inflated (RFC 7692 §6.2). */
  onMessage(data: Uint8Array, binary: boolean, compressed: boolean): void;
  onPing(payload: Uint8Array): void;
  onPong(payload: Uint8Array): void;
  /** A close frame arrived (code 1005 when it had no body). Nothing after it is parsed. */
  onClose(code: number, reason: string): void;
  /** The peer broke a rule: fail the connection with `error.closeCode`. */
  onError(error: WebSocketError): void;
}

const HEADER = 0;
const LENGTH_16 = 1;
const LENGTH_64 = 2;
const MASK_KEY = 3;
const PAYLOAD = 4;
const CONTROL = 5;
const DONE = 6;
const STATE_NAMES = ['HEADER', 'LENGTH_16', 'LENGTH_64', 'MASK_KEY', 'PAYLOAD', 'CONTROL', 'DONE'];

const EMPTY = new Uint8Array(0);

/** One shared 4-byte view of a masking key, filled just before each (synchronous) unmask. */
const MASK_SCRATCH = new Uint8Array(4);
function maskBytes(key: number): Uint8Array {
  MASK_SCRATCH[0] = key >>> 24;
  MASK_SCRATCH[1] = (key >>> 16) & 0xff;
  MASK_SCRATCH[2] = (key >>> 8) & 0xff;
  MASK_SCRATCH[3] = key & 0xff;
  return MASK_SCRATCH;
}

/**
 * The parts of a message being assembled. Parts under 1 KiB are copied into
 * a slab (doubling from 256 B to 64 KiB), so thousands of tiny fragments
 * cost their bytes, not thousands of objects or the chunks they came in.
 */
class MessageParts {
  parts: Uint8Array[] = [];
  length = 0;
  private slab: Uint8Array | null = null;
  private used = 0;

  push(part: Uint8Array): void {
    if (part.length === 0) return;
    this.length += part.length;
    if (part.length >= 1024) {
      this.flushSlab();
      this.parts.push(part);
      return;
    }
    if (this.slab === null || this.used + part.length > this.slab.length) {
      const size = this.slab === null ? 256 : Math.min(this.slab.length * 2, 65536);
      this.flushSlab();
      this.slab = Buffer.allocUnsafe(Math.max(size, part.length));
    }
    this.slab.set(part, this.used);
    this.used += part.length;
  }

  private flushSlab(): void {
    if (this.slab !== null && this.used > 0) this.parts.push(this.slab.subarray(0, this.used));
    this.slab = null;
    this.used = 0;
  }

  /** Everything pushed, as one array (the part itself when there is one). */
  take(): Uint8Array {
    this.flushSlab();
    const { parts, length } = this;
    this.parts = [];
    this.length = 0;
    if (parts.length === 0) return EMPTY;
    if (parts.length === 1) return parts[0];
    return Buffer.concat(parts, length);
  }
}

export class Receiver {
  private readonly queue = new ChunkQueue();
  private state = HEADER;
  private paused = false;
  private running = false;

  private readonly server: boolean;
  private readonly maxPayload: number;
  private readonly maxFragments: number;
  private readonly maxBufferedChunks: number;
  private readonly compression: boolean;
  private readonly tracer: Tracer | undefined;

  // The frame being parsed.
  private fin = false;
  private rsv = 0;
  private opcode = 0;
  private masked = false;
  private frameLength = 0;
  private frameRead = 0;
  private headerLength = 0;
  /** The frame's masking key as a 32-bit number (a 4-byte array per connection would cost ~200 B). */
  private maskKey = 0;

  // The message being assembled (RFC 6455 §5.4): opcode 0 = none open.
  private messageOpcode = 0;
  private compressed = false;
  private fragments = 0;
  /** Parts of a message that came in pieces (made on first need: most messages are one piece). */
  private parts: MessageParts | null = null;
  private utf8: Utf8Validator | null = null;

  constructor(
    options: ReceiverOptions,
    private readonly handler: ReceiverHandler,
  ) {
    this.server = options.role === 'server';
    this.maxPayload = options.maxPayload ?? DEFAULT_MAX_PAYLOAD;
    this.maxFragments = options.maxFragments ?? DEFAULT_MAX_FRAGMENTS;
    this.maxBufferedChunks = options.maxBufferedChunks ?? DEFAULT_MAX_BUFFERED_CHUNKS;
    this.compression = options.compression ?? false;
    this.tracer = options.tracer;
  }

  /** Name of the current state (for tests and learners). */
  get stateName(): string {
    return STATE_NAMES[this.state];
  }

  /** Bytes received and not parsed yet (grows only while paused, or inside a header). */
  get bufferedBytes(): number {
    return this.queue.length;
  }

  /** True once a close frame or an error ended parsing. */
  get done(): boolean {
    return this.state === DONE;
  }

  /** Feed bytes from the wire. */
  push(chunk: Uint8Array): void {
    if (this.state === DONE) return;
    this.queue.push(chunk);
    if (this.maxBufferedChunks > 0 && this.queue.chunkCount > this.maxBufferedChunks) {
      this.fail(
        protocolError('WS_ERR_TOO_MANY_CHUNKS', 1008, `more than ${this.maxBufferedChunks} input chunks buffered`),
      );
      return;
    }
    if (!this.paused) this.run();
  }

  /** Stop parsing after the current event (e.g. while a message is inflated); input keeps buffering. */
  pause(): void {
    this.paused = true;
  }

  /** Parse what was buffered while paused. */
  resume(): void {
    if (!this.paused) return;
    this.paused = false;
    this.run();
  }

  private run(): void {
    if (this.running) return;
    this.running = true;
    try {
      let progress = true;
      while (progress && !this.paused) {
        switch (this.state) {
          case HEADER:
            progress = this.readHeader();
            break;
          case LENGTH_16:
            progress = this.readLength16();
            break;
          case LENGTH_64:
            progress = this.readLength64();
            break;
          case MASK_KEY:
            progress = this.readMaskKey();
            break;
          case PAYLOAD:
            progress = this.readPayload();
            break;
          case CONTROL:
            progress = this.readControl();
            break;
          default:
            progress = false;
        }
      }
    } finally {
      this.running = false;
    }
  }

  private fail(error: WebSocketError): false {
    this.state = DONE;
    this.queue.clear();
    this.parts = null;
    this.handler.onError(error);
    return false;
  }

  /** RFC 6455 §5.2: the first two bytes. */
  private readHeader(): boolean {
    if (this.queue.length < 2) return false;
    const b0 = this.queue.byteAt(0);
    const b1 = this.queue.byteAt(1);
    this.queue.discard(2);
    this.fin = (b0 & 0x80) !== 0;
    this.rsv = (b0 >> 4) & 0x7;
    this.opcode = b0 & 0x0f;
    this.masked = (b1 & 0x80) !== 0;
    const len7 = b1 & 0x7f;
    this.headerLength = 2;

    // RFC 6455 §5.2: RSV bits MUST be 0 unless an extension defines them;
    // RFC 7692 §6: permessage-deflate gives RSV1 to the first frame of a message.
    if (this.rsv & 0x3) return this.fail(protocolError('WS_ERR_RESERVED_BITS', 1002, 'RSV2 or RSV3 set'));
    const rsv1 = (this.rsv & 0x4) !== 0;
    if (rsv1 && !this.compression) return this.fail(protocolError('WS_ERR_RESERVED_BITS', 1002, 'RSV1 set without a negotiated extension'));

    if (isControl(this.opcode)) {
      // RFC 6455 §5.5: control frames are never fragmented and carry <= 125 bytes.
      if (this.opcode !== Opcode.CLOSE && this.opcode !== Opcode.PING && this.opcode !== Opcode.PONG) {
        return this.fail(protocolError('WS_ERR_INVALID_OPCODE', 1002, `reserved opcode 0x${this.opcode.toString(16)}`));
      }
      if (rsv1) return this.fail(protocolError('WS_ERR_RSV1_ON_CONTROL_OR_CONT', 1002, 'RSV1 set on a control frame'));
      if (!this.fin) return this.fail(protocolError('WS_ERR_CONTROL_FRAGMENTED', 1002, 'fragmented control frame'));
      if (len7 > MAX_CONTROL_PAYLOAD) {
        return this.fail(protocolError('WS_ERR_CONTROL_TOO_LONG', 1002, 'control frame payload over 125 bytes'));
      }
    } else if (this.opcode === Opcode.CONTINUATION) {
      // RFC 6455 §5.4: a continuation only continues an open message; RFC 7692 §6.1: RSV1 only on the first frame.
      if (this.messageOpcode === 0) return this.fail(protocolError('WS_ERR_UNEXPECTED_CONTINUATION', 1002, 'continuation frame with no message open'));
      if (rsv1) return this.fail(protocolError('WS_ERR_RSV1_ON_CONTROL_OR_CONT', 1002, 'RSV1 set on a continuation frame'));
      if (this.maxFragments > 0 && ++this.fragments > this.maxFragments) {
        return this.fail(protocolError('WS_ERR_TOO_MANY_FRAGMENTS', 1008, `more than ${this.maxFragments} fragments in one message`));
      }
    } else if (this.opcode === Opcode.TEXT || this.opcode === Opcode.BINARY) {
      if (this.messageOpcode !== 0) return this.fail(protocolError('WS_ERR_EXPECTED_CONTINUATION', 1002, 'new data frame inside a fragmented message'));
      this.messageOpcode = this.opcode;
      this.compressed = rsv1;
      this.fragments = 1;
    } else {
      return this.fail(protocolError('WS_ERR_INVALID_OPCODE', 1002, `reserved opcode 0x${this.opcode.toString(16)}`));
    }

    // RFC 6455 §5.1: a server MUST fail on an unmasked frame, a client on a masked one.
    if (this.server && !this.masked) return this.fail(protocolError('WS_ERR_EXPECTED_MASK', 1002, 'unmasked frame from a client'));
    if (!this.server && this.masked) return this.fail(protocolError('WS_ERR_UNEXPECTED_MASK', 1002, 'masked frame from a server'));

    if (len7 === 126) this.state = LENGTH_16;
    else if (len7 === 127) this.state = LENGTH_64;
    else return this.haveLength(len7);
    return true;
  }

  private readLength16(): boolean {
    if (this.queue.length < 2) return false;
    const len = (this.queue.byteAt(0) << 8) | this.queue.byteAt(1);
    this.queue.discard(2);
    this.headerLength += 2;
    return this.haveLength(len);
  }

  private readLength64(): boolean {
    if (this.queue.length < 8) return false;
    const b = this.queue.read(8);
    this.headerLength += 8;
    // RFC 6455 §5.2: "the most significant bit MUST be 0".
    if (b[0] & 0x80) return this.fail(protocolError('WS_ERR_LENGTH_MSB', 1002, '64-bit payload length with the most significant bit set'));
    const hi = ((b[0] << 24) | (b[1] << 16) | (b[2] << 8) | b[3]) >>> 0;
    const lo = ((b[4] << 24) | (b[5] << 16) | (b[6] << 8) | b[7]) >>> 0;
    if (hi >= 0x200000) return this.tooBig(Number.MAX_SAFE_INTEGER);
    return this.haveLength(hi * 0x100000000 + lo);
  }

  private tooBig(total: number): false {
    return this.fail(
      protocolError('WS_ERR_MESSAGE_TOO_BIG', 1009, `message of ${formatBytes(total)} over the ${formatBytes(this.maxPayload)} limit`),
    );
  }

  private haveLength(length: number): boolean {
    this.frameLength = length;
    this.frameRead = 0;
    if (!isControl(this.opcode) && this.maxPayload > 0 && (this.parts?.length ?? 0) + length > this.maxPayload) {
      return this.tooBig((this.parts?.length ?? 0) + length);
    }
    if (this.masked) {
      this.state = MASK_KEY;
      this.headerLength += 4;
    } else this.enterPayload();
    return true;
  }

  private readMaskKey(): boolean {
    if (this.queue.length < 4) return false;
    const q = this.queue;
    this.maskKey = ((q.byteAt(0) << 24) | (q.byteAt(1) << 16) | (q.byteAt(2) << 8) | q.byteAt(3)) >>> 0;
    q.discard(4);
    this.enterPayload();
    return true;
  }

  private enterPayload(): void {
    this.state = isControl(this.opcode) ? CONTROL : PAYLOAD;
  }

  /** A data frame's payload: take what has arrived, unmask it, add it to the message. */
  private readPayload(): boolean {
    const want = this.frameLength - this.frameRead;
    let whole: Uint8Array | null = null;
    if (want > 0) {
      const take = Math.min(want, this.queue.length);
      if (take === 0) return false;
      const part = this.queue.read(take);
      if (this.masked) unmask(part, maskBytes(this.maskKey), this.frameRead);
      this.frameRead += take;
      if (take === this.frameLength && this.fin && this.opcode !== Opcode.CONTINUATION) {
        whole = part; // the whole message in one piece: no copy
      } else {
        if (this.messageOpcode === Opcode.TEXT && !this.compressed) {
          // RFC 6455 §8.1: fail as soon as the text can no longer be valid UTF-8.
          if (this.utf8 === null) this.utf8 = new Utf8Validator();
          if (!this.utf8.push(part)) return this.invalidUtf8();
        }
        (this.parts ??= new MessageParts()).push(part);
      }
      if (this.frameRead < this.frameLength) return this.queue.length > 0;
    }
    if (this.tracer) this.traceFrame(whole);
    this.state = HEADER;
    if (!this.fin) return true;

    const binary = this.messageOpcode === Opcode.BINARY;
    const compressed = this.compressed;
    let data: Uint8Array;
    if (whole !== null) {
      data = whole;
      if (!binary && !compressed && !isValidUtf8(data)) return this.invalidUtf8();
    } else {
      data = this.parts === null ? EMPTY : this.parts.take();
      if (!binary && !compressed && this.utf8 !== null && !this.utf8.end()) return this.invalidUtf8();
    }
    this.messageOpcode = 0;
    this.compressed = false;
    this.fragments = 0;
    if (this.utf8 !== null) this.utf8.reset();
    this.handler.onMessage(data, binary, compressed);
    return true;
  }

  private invalidUtf8(): false {
    return this.fail(protocolError('WS_ERR_INVALID_UTF8', 1007, 'text message is not valid UTF-8'));
  }

  /** Ping, pong or close: wait for the whole (<= 125 byte) payload. */
  private readControl(): boolean {
    if (this.queue.length < this.frameLength) return false;
    const payload = this.frameLength === 0 ? EMPTY : Uint8Array.prototype.slice.call(this.queue.read(this.frameLength));
    if (this.masked) unmask(payload, maskBytes(this.maskKey), 0);
    if (this.tracer) this.traceFrame(payload);
    this.state = HEADER;
    switch (this.opcode) {
      case Opcode.PING:
        this.handler.onPing(payload);
        return true;
      case Opcode.PONG:
        this.handler.onPong(payload);
        return true;
      default: {
        const close = decodeClosePayload(payload);
        if (!close.ok) return this.fail(close.error);
        // RFC 6455 §5.5.1: after a close frame the endpoint sends no more data, and we parse none.
        this.state = DONE;
        this.queue.clear();
        this.handler.onClose(close.code, close.reason);
        return false;
      }
    }
  }

  private traceFrame(payload: Uint8Array | null): void {
    this.tracer!({
      protocol: 'ws',
      dir: '<-',
      kind: 'frame',
      summary: describeFrame(this.opcode, this.fin, this.rsv, this.masked, this.frameLength, payload ?? undefined),
      size: this.headerLength + this.frameLength,
      fields: { opcode: this.opcode, fin: this.fin, rsv: this.rsv, masked: this.masked, length: this.frameLength },
    });
  }
}
