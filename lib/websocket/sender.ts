/**
 * The sending half of a connection: messages and control frames out, in
 * order, onto the socket (RFC 6455 §5.2-§5.5, RFC 7692 §6).
 *
 * - A client masks every frame with a fresh key (§5.3), into a copy laid out
 *   so the payload is 4-byte aligned and masking runs on 32-bit words.
 * - A message is one frame, or fragments of `fragmentSize` bytes when asked
 *   (§5.4); a compressed message sets RSV1 on its first frame only (RFC 7692 §6.1).
 * - Compression is asynchronous (node:zlib), so while a message is being
 *   compressed everything sent after it (data, pings, pongs, the close frame)
 *   waits in a queue: the peer receives frames in exactly the order they were
 *   sent.
 * - Small frames leave in one write; large server frames as header + payload
 *   in one corked writev, without copying the payload.
 */
import type { Duplex } from 'node:stream';
import type { Tracer } from '../trace/index.js';
import type { DeflateCodec } from './deflate.js';
import { Opcode, describeFrame, headerSize, maskInto, randomMask, writeHeader } from './frame.js';

export class Sender {
  /** Operations waiting behind a compression (null: none). */
  private queue: (() => void)[] | null = null;
  private compressing = false;
  /** Bytes handed to send() and still waiting to be compressed. */
  queuedBytes = 0;
  private watchingDrain = false;

  constructor(
    private readonly socket: Duplex,
    /** true on a client: every frame is masked. */
    private readonly masked: boolean,
    private readonly tracer: Tracer | undefined,
    /** Called once the socket's full buffer has drained. */
    private readonly onDrain: () => void,
  ) {}

  /** Whether a string can be written straight away, with nothing queued ahead of it. */
  get idle(): boolean {
    return !this.compressing && this.queue === null;
  }

  /** A text or binary message; `codec` set means compress it. */
  message(opcode: number, payload: Uint8Array, codec: DeflateCodec | null, fragmentSize: number): void {
    if (codec === null) return this.enqueue(() => this.writeMessage(opcode, payload, false, fragmentSize));
    const length = payload.length;
    this.queuedBytes += length;
    this.enqueue(() => {
      this.compressing = true;
      codec.compress(payload, (err, out) => {
        this.queuedBytes -= length;
        this.compressing = false;
        if (err) return; // the connection closed meanwhile
        this.writeMessage(opcode, out!, true, fragmentSize);
        this.drainQueue();
      });
    });
  }

  /** A ping, pong or close frame, in order behind any queued messages; `then` runs after it is written. */
  control(opcode: number, payload: Uint8Array, then?: () => void): void {
    this.enqueue(() => {
      this.frame(opcode, payload, true, false);
      then?.();
    });
  }

  /** Forget queued operations (the connection failed) and write `payload` as a close frame now. */
  closeNow(payload: Uint8Array): void {
    this.queue = null;
    this.frame(Opcode.CLOSE, payload, true, false);
  }

  /** Run `op` now, or after the messages being compressed ahead of it. */
  private enqueue(op: () => void): void {
    if (this.compressing || this.queue !== null) {
      (this.queue ??= []).push(op);
      this.drainQueue();
    } else op();
  }

  private drainQueue(): void {
    const queue = this.queue;
    if (queue === null) return;
    while (!this.compressing && queue.length > 0) queue.shift()!();
    if (queue.length === 0 && this.queue === queue) this.queue = null;
  }

  /** RFC 6455 §5.4: a message as one frame, or as fragments; RFC 7692 §6.1: RSV1 on the first only. */
  private writeMessage(opcode: number, payload: Uint8Array, compressed: boolean, fragmentSize: number): void {
    if (fragmentSize <= 0 || payload.length <= fragmentSize) return this.frame(opcode, payload, true, compressed);
    for (let pos = 0; pos < payload.length; pos += fragmentSize) {
      const end = Math.min(pos + fragmentSize, payload.length);
      this.frame(pos === 0 ? opcode : Opcode.CONTINUATION, payload.subarray(pos, end), end === payload.length, compressed && pos === 0);
    }
  }

  /** A whole text message in one frame, its UTF-8 encoded straight into the frame buffer (caller checks `idle`). */
  text(opcode: number, text: string, length: number): void {
    const socket = this.socket;
    if (socket.destroyed || !socket.writable) return;
    const mask = this.masked ? randomMask() : undefined;
    const out = Buffer.allocUnsafe(headerSize(length, mask !== undefined) + length);
    const at = writeHeader(out, 0, opcode, true, false, length, mask);
    out.write(text, at, 'utf8');
    // RFC 6455 §5.3: a client masks every frame it sends.
    if (mask) maskInto(out, at, out.length, mask, 0, out, at);
    if (!socket.write(out)) this.watchDrain();
    if (this.tracer) this.trace(opcode, true, false, length, out.subarray(at), mask);
  }

  /** One frame on the wire. */
  private frame(opcode: number, payload: Uint8Array, fin: boolean, rsv1: boolean): void {
    const socket = this.socket;
    if (socket.destroyed || !socket.writable) return;
    const mask = this.masked ? randomMask() : undefined;
    const hs = headerSize(payload.length, mask !== undefined);
    let ok: boolean;
    if (mask !== undefined && payload.length >= 1024) {
      // Start the frame so that its payload is 4-byte aligned: masking then runs on 32-bit words.
      const room = Buffer.allocUnsafe(hs + payload.length + 3);
      const pad = (4 - ((room.byteOffset + hs) & 3)) & 3;
      const out = room.subarray(pad, pad + hs + payload.length);
      writeHeader(out, 0, opcode, fin, rsv1, payload.length, mask);
      maskInto(payload, 0, payload.length, mask, 0, out, hs);
      ok = socket.write(out);
    } else if (mask !== undefined || payload.length <= 16384) {
      const out = Buffer.allocUnsafe(hs + payload.length);
      writeHeader(out, 0, opcode, fin, rsv1, payload.length, mask);
      if (mask) maskInto(payload, 0, payload.length, mask, 0, out, hs);
      else out.set(payload, hs);
      ok = socket.write(out);
    } else {
      const header = Buffer.allocUnsafe(hs);
      writeHeader(header, 0, opcode, fin, rsv1, payload.length);
      socket.cork();
      socket.write(header);
      ok = socket.write(payload);
      socket.uncork();
    }
    if (!ok) this.watchDrain();
    if (this.tracer) this.trace(opcode, fin, rsv1, payload.length, payload);
  }

  /** The socket's buffer is full: report 'drain' once it empties (listened to only under backpressure). */
  private watchDrain(): void {
    if (this.watchingDrain) return;
    this.watchingDrain = true;
    this.socket.once('drain', () => {
      this.watchingDrain = false;
      this.onDrain();
    });
  }

  /** Trace a sent frame; `maskedWith` when `payload` is already masked (shown unmasked). */
  private trace(opcode: number, fin: boolean, rsv1: boolean, length: number, payload: Uint8Array, maskedWith?: Uint8Array): void {
    let shown = payload;
    if (maskedWith) {
      shown = new Uint8Array(Math.min(payload.length, 64));
      maskInto(payload, 0, shown.length, maskedWith, 0, shown, 0);
    }
    this.tracer!({
      protocol: 'ws',
      dir: '->',
      kind: 'frame',
      summary: describeFrame(opcode, fin, rsv1 ? 4 : 0, this.masked, length, shown),
      size: headerSize(length, this.masked) + length,
      fields: { opcode, fin, rsv: rsv1 ? 4 : 0, masked: this.masked, length },
    });
  }
}
