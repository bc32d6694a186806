/**
 * The WebSocket frame (RFC 6455 §5.2): header encoding and masking.
 *
 *   0                   1                   2                   3
 *   0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1 2 3 4 5 6 7 8 9 0 1
 *  +-+-+-+-+-------+-+-------------+-------------------------------+
 *  |F|R|R|R| opcode|M| Payload len |    Extended payload length    |
 *  |I|S|S|S|  (4)  |A|     (7)     |             (16/64)           |
 *  |N|V|V|V|       |S|             |   (if payload len==126/127)   |
 *  | |1|2|3|       |K|             |                               |
 *  +-+-+-+-+-------+-+-------------+ - - - - - - - - - - - - - - - +
 *  |     Extended payload length continued, if payload len == 127  |
 *  + - - - - - - - - - - - - - - - +-------------------------------+
 *  |                               |Masking-key, if MASK set to 1  |
 *  +-------------------------------+-------------------------------+
 *  | Masking-key (continued)       |          Payload Data         |
 *  +-------------------------------- - - - - - - - - - - - - - - - +
 *
 * Payload length: 0-125 in the 7 bits; 126 means a 16-bit length follows;
 * 127 a 64-bit length whose most significant bit MUST be 0. The minimal
 * form MUST be used. Parsing lives in receiver.ts (incrementally); this
 * file writes headers and applies the mask.
 */
import { randomFillSync } from 'node:crypto';
import { formatBytes, preview } from '../trace/index.js';

/** RFC 6455 §5.2 and §11.8: the opcode registry. */
export const Opcode = {
  CONTINUATION: 0x0,
  TEXT: 0x1,
  BINARY: 0x2,
  CLOSE: 0x8,
  PING: 0x9,
  PONG: 0xa,
} as const;

const OPCODE_NAMES: Record<number, string> = { 0: 'cont', 1: 'text', 2: 'binary', 8: 'close', 9: 'ping', 10: 'pong' };

export function opcodeName(opcode: number): string {
  return OPCODE_NAMES[opcode] ?? `reserved(0x${opcode.toString(16)})`;
}

/** RFC 6455 §5.5: opcodes 0x8-0xF are control frames. */
export function isControl(opcode: number): boolean {
  return (opcode & 0x8) !== 0;
}

/** Largest control frame payload (RFC 6455 §5.5). */
export const MAX_CONTROL_PAYLOAD = 125;

/** Header size for a payload of `length` bytes, with or without a masking key. */
export function headerSize(length: number, masked: boolean): number {
  const base = length < 126 ? 2 : length < 0x10000 ? 4 : 10;
  return masked ? base + 4 : base;
}

/**
 * Write a frame header into `out` at `pos` and return the position after it
 * (where the payload goes). RFC 6455 §5.2: the minimal length encoding, a
 * 64-bit length with its top bit 0; `mask` (4 bytes) is copied in when given.
 */
export function writeHeader(
  out: Uint8Array,
  pos: number,
  opcode: number,
  fin: boolean,
  rsv1: boolean,
  length: number,
  mask?: Uint8Array,
): number {
  out[pos] = (fin ? 0x80 : 0) | (rsv1 ? 0x40 : 0) | opcode;
  const maskBit = mask ? 0x80 : 0;
  if (length < 126) {
    out[pos + 1] = maskBit | length;
    pos += 2;
  } else if (length < 0x10000) {
    out[pos + 1] = maskBit | 126;
    out[pos + 2] = length >>> 8;
    out[pos + 3] = length & 0xff;
    pos += 4;
  } else {
    out[pos + 1] = maskBit | 127;
    // 64-bit length: lengths here are < 2^53, so the top bit is always 0.
    const hi = Math.floor(length / 0x100000000);
    const lo = length >>> 0;
    out[pos + 2] = 0;
    out[pos + 3] = (hi >>> 16) & 0xff;
    out[pos + 4] = (hi >>> 8) & 0xff;
    out[pos + 5] = hi & 0xff;
    out[pos + 6] = lo >>> 24;
    out[pos + 7] = (lo >>> 16) & 0xff;
    out[pos + 8] = (lo >>> 8) & 0xff;
    out[pos + 9] = lo & 0xff;
    pos += 10;
  }
  if (mask) {
    out[pos] = mask[0];
    out[pos + 1] = mask[1];
    out[pos + 2] = mask[2];
    out[pos + 3] = mask[3];
    pos += 4;
  }
  return pos;
}

/** A whole frame (header + payload, masked when `mask` is given) in one new buffer. */
export function encodeFrame(opcode: number, fin: boolean, rsv1: boolean, payload: Uint8Array, mask?: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(headerSize(payload.length, mask !== undefined) + payload.length);
  const at = writeHeader(out, 0, opcode, fin, rsv1, payload.length, mask);
  if (mask) maskInto(payload, 0, payload.length, mask, 0, out, at);
  else out.set(payload, at);
  return out;
}

const LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/**
 * RFC 6455 §5.3: octet i of the payload is XORed with octet (i mod 4) of the
 * masking key. `src[start..end)` is XORed into `dst` from `dstPos`; `phase`
 * is how many payload bytes of this frame came before `start` (so a payload
 * that arrives in pieces is unmasked piece by piece). `dst` may be `src`
 * (in place). When both sides line up on 4-byte boundaries the middle runs
 * 32 bits at a time.
 */
export function maskInto(
  src: Uint8Array,
  start: number,
  end: number,
  mask: Uint8Array,
  phase: number,
  dst: Uint8Array,
  dstPos: number,
): void {
  let i = start;
  let o = dstPos;
  let k = phase & 3;
  const n = end - start;
  if (n >= 64 && LITTLE_ENDIAN && ((src.byteOffset + i) & 3) !== ((dst.byteOffset + o) & 3)) {
    // Source and target can never both be word-aligned: copy (memcpy), then mask in place.
    dst.set(src.subarray(start, end), dstPos);
    return maskInto(dst, dstPos, dstPos + n, mask, phase, dst, dstPos);
  }
  if (n >= 32 && LITTLE_ENDIAN && ((src.byteOffset + i) & 3) === ((dst.byteOffset + o) & 3)) {
    // Bytes one by one until the source is 4-byte aligned...
    while (((src.byteOffset + i) & 3) !== 0) {
      dst[o++] = src[i++] ^ mask[k];
      k = (k + 1) & 3;
    }
    // ...then whole words, with the key rotated to start at byte k...
    const words = (end - i) >>> 2;
    const key = mask[k] | (mask[(k + 1) & 3] << 8) | (mask[(k + 2) & 3] << 16) | (mask[(k + 3) & 3] << 24);
    const s32 = new Int32Array(src.buffer, src.byteOffset + i, words);
    const d32 = s32.buffer === dst.buffer && src.byteOffset + i === dst.byteOffset + o ? s32 : new Int32Array(dst.buffer, dst.byteOffset + o, words);
    for (let w = 0; w < words; w++) d32[w] = s32[w] ^ key;
    i += words << 2;
    o += words << 2;
  }
  // ...and the rest (or everything, for short or misaligned runs) bytewise.
  for (; i < end; i++, o++) {
    dst[o] = src[i] ^ mask[k];
    k = (k + 1) & 3;
  }
}

/** Unmask `data` in place; `phase` as in maskInto. */
export function unmask(data: Uint8Array, mask: Uint8Array, phase = 0): void {
  maskInto(data, 0, data.length, mask, phase, data, 0);
}

// RFC 6455 §5.3: "a fresh masking key ... MUST be derived from a strong source
// of entropy". Keys are cut from a pool filled by the CSPRNG in bulk.
const POOL_SIZE = 8192;
const pool = new Uint8Array(POOL_SIZE);
let poolPos = POOL_SIZE;

/** A fresh, unpredictable 4-byte masking key (a view into the pool: use it before the next call). */
export function randomMask(): Uint8Array {
  if (poolPos + 4 > POOL_SIZE) {
    randomFillSync(pool);
    poolPos = 0;
  }
  const key = pool.subarray(poolPos, poolPos + 4);
  poolPos += 4;
  return key;
}

/** One decoded line for --trace: `text fin=1 rsv=000 mask=1 len=5 'hello'`. */
export function describeFrame(
  opcode: number,
  fin: boolean,
  rsv: number,
  masked: boolean,
  length: number,
  payload?: Uint8Array,
): string {
  const bits = `${(rsv >> 2) & 1}${(rsv >> 1) & 1}${rsv & 1}`;
  let line = `${opcodeName(opcode)} fin=${fin ? 1 : 0} rsv=${bits} mask=${masked ? 1 : 0} len=${length}`;
  if (length >= 1024) line += ` (${formatBytes(length)})`;
  if (payload && payload.length > 0) {
    if (opcode === Opcode.CLOSE && payload.length >= 2) {
      const reason = payload.subarray(2);
      line += ` code=${(payload[0] << 8) | payload[1]}${reason.length ? ' ' + preview(reason) : ''}`;
    } else if (rsv & 4) {
      line += ' (compressed)';
    } else {
      line += ' ' + preview(payload);
    }
  }
  return line;
}
