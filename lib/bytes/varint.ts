/**
 * Base-128 varints and zigzag, as the protobuf encoding guide defines them
 * ("Base 128 Varints", "Signed Integers"). Seven payload bits per byte, least
 * significant group first; the high bit of each byte says "more follows".
 *
 *   300 = 0b1_0010_1100  ->  1010_1100 0000_0010  ->  AC 02
 *
 * 32-bit values travel as JavaScript numbers, 64-bit values as bigint. A
 * negative int32 is sign-extended to 64 bits, so it always takes 10 bytes.
 */
import { BytesError } from './errors.js';

/** The longest varint: 64 bits / 7 bits per byte, rounded up. */
export const MAX_VARINT_BYTES = 10;

/** Bytes needed for a 32-bit varint; negatives (int32) take 10. */
export function varint32Size(value: number): number {
  if (value < 0) return 10;
  if (value < 0x80) return 1;
  if (value < 0x4000) return 2;
  if (value < 0x200000) return 3;
  if (value < 0x10000000) return 4;
  return 5;
}

/** Bytes needed for a 64-bit varint of an unsigned (or two's complement) bigint. */
export function varint64Size(value: bigint): number {
  let v = BigInt.asUintN(64, value);
  let n = 1;
  while (v >= 0x80n) {
    v >>= 7n;
    n++;
  }
  return n;
}

/**
 * Write `value` at `pos` and return the position after it. Non-negative
 * values are taken as uint32; negative ones as int32, sign-extended to 64 bits.
 * The caller guarantees room (see varint32Size).
 */
export function writeVarint32(buf: Uint8Array, pos: number, value: number): number {
  if (value < 0) {
    // Low 32 bits, then the sign extension: bits 32..63 are all ones.
    let lo = value >>> 0;
    for (let i = 0; i < 4; i++) {
      buf[pos++] = (lo & 0x7f) | 0x80;
      lo >>>= 7;
    }
    // Byte 5 holds bits 28..34: four low bits of lo, three ones above them.
    buf[pos++] = lo | 0xf0;
    for (let i = 0; i < 4; i++) buf[pos++] = 0xff;
    buf[pos++] = 0x01;
    return pos;
  }
  let v = value >>> 0;
  while (v >= 0x80) {
    buf[pos++] = (v & 0x7f) | 0x80;
    v >>>= 7;
  }
  buf[pos++] = v;
  return pos;
}

/** Write a 64-bit varint (bigint, taken modulo 2^64) and return the new position. */
export function writeVarint64(buf: Uint8Array, pos: number, value: bigint): number {
  const u = BigInt.asUintN(64, value);
  // Split into two 32-bit halves so the loop runs on numbers, not bigints.
  let lo = Number(u & 0xffffffffn);
  let hi = Number(u >> 32n);
  while (hi !== 0 || lo >= 0x80) {
    buf[pos++] = (lo & 0x7f) | 0x80;
    lo = ((lo >>> 7) | (hi << 25)) >>> 0;
    hi >>>= 7;
  }
  buf[pos++] = lo;
  return pos;
}

/** Result holder reused by the read functions, so decoding allocates nothing. */
export interface VarintCursor {
  pos: number;
}

/**
 * Read a varint and return its low 32 bits as an unsigned number; advances
 * `cur.pos`. Bytes past the fifth still count toward the 10-byte limit but
 * their bits are dropped (protobuf: "int32 ... truncated to 32 bits").
 */
export function readVarint32(buf: Uint8Array, cur: VarintCursor, end: number = buf.length): number {
  let pos = cur.pos;
  let result = 0;
  let shift = 0;
  for (let i = 0; i < MAX_VARINT_BYTES; i++) {
    if (pos >= end) throw new BytesError('TRUNCATED', 'truncated varint', cur.pos);
    const b = buf[pos++];
    if (shift < 32) result |= (b & 0x7f) << shift;
    shift += 7;
    if (b < 0x80) {
      if (i === MAX_VARINT_BYTES - 1 && b > 1) break; // bit 64 or above set
      cur.pos = pos;
      return result >>> 0;
    }
  }
  throw new BytesError('VARINT_TOO_LONG', 'varint longer than 64 bits', cur.pos);
}

/** Read a varint as an unsigned 64-bit bigint; advances `cur.pos`. */
export function readVarint64(buf: Uint8Array, cur: VarintCursor, end: number = buf.length): bigint {
  let pos = cur.pos;
  let lo = 0;
  let hi = 0;
  let shift = 0;
  for (let i = 0; i < MAX_VARINT_BYTES; i++) {
    if (pos >= end) throw new BytesError('TRUNCATED', 'truncated varint', cur.pos);
    const b = buf[pos++];
    const bits = b & 0x7f;
    if (shift < 28) lo |= bits << shift;
    else if (shift === 28) {
      lo |= (bits & 0x0f) << 28;
      hi = bits >>> 4;
    } else hi |= bits << (shift - 32);
    shift += 7;
    if (b < 0x80) {
      if (i === MAX_VARINT_BYTES - 1 && b > 1) break;
      cur.pos = pos;
      return (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
    }
  }
  throw new BytesError('VARINT_TOO_LONG', 'varint longer than 64 bits', cur.pos);
}

/**
 * ZigZag (protobuf "Signed Integers"): 0 -> 0, -1 -> 1, 1 -> 2, -2 -> 3 ...
 * so small negative numbers stay short.
 */
export function zigzagEncode32(n: number): number {
  return ((n << 1) ^ (n >> 31)) >>> 0;
}

export function zigzagDecode32(n: number): number {
  return (n >>> 1) ^ -(n & 1);
}

export function zigzagEncode64(n: bigint): bigint {
  const v = BigInt.asIntN(64, n);
  return BigInt.asUintN(64, (v << 1n) ^ (v >> 63n));
}

export function zigzagDecode64(n: bigint): bigint {
  const u = BigInt.asUintN(64, n);
  return BigInt.asIntN(64, (u >> 1n) ^ -(u & 1n));
}
