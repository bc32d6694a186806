/**
 * Big-endian ("network byte order") integers, as every binary protocol here
 * puts them on the wire: WebSocket payload lengths (RFC 6455 §5.2), gRPC's
 * 4-byte message length, HTTP/2 frame fields. Plain shifts; no DataView
 * allocation per call. Callers check bounds (see ByteReader for a checked view).
 */

export function readU16BE(buf: Uint8Array, pos: number): number {
  return (buf[pos] << 8) | buf[pos + 1];
}

export function readU32BE(buf: Uint8Array, pos: number): number {
  return ((buf[pos] << 24) | (buf[pos + 1] << 16) | (buf[pos + 2] << 8) | buf[pos + 3]) >>> 0;
}

/** A 64-bit big-endian integer as bigint. */
export function readU64BE(buf: Uint8Array, pos: number): bigint {
  return (BigInt(readU32BE(buf, pos)) << 32n) | BigInt(readU32BE(buf, pos + 4));
}

/**
 * A 64-bit big-endian integer as a number, or -1 when it does not fit in
 * Number.MAX_SAFE_INTEGER (2^53 - 1). Lengths never need more.
 */
export function readU64BENumber(buf: Uint8Array, pos: number): number {
  const hi = readU32BE(buf, pos);
  if (hi > 0x1fffff) return -1;
  return hi * 0x100000000 + readU32BE(buf, pos + 4);
}

export function writeU16BE(buf: Uint8Array, pos: number, value: number): number {
  buf[pos] = value >>> 8;
  buf[pos + 1] = value;
  return pos + 2;
}

export function writeU32BE(buf: Uint8Array, pos: number, value: number): number {
  buf[pos] = value >>> 24;
  buf[pos + 1] = value >>> 16;
  buf[pos + 2] = value >>> 8;
  buf[pos + 3] = value;
  return pos + 4;
}

/** Write a bigint, or a non-negative safe-integer number, as 8 big-endian bytes. */
export function writeU64BE(buf: Uint8Array, pos: number, value: bigint | number): number {
  if (typeof value === 'number') {
    writeU32BE(buf, pos, Math.floor(value / 0x100000000));
    return writeU32BE(buf, pos + 4, value >>> 0);
  }
  const u = BigInt.asUintN(64, value);
  writeU32BE(buf, pos, Number(u >> 32n));
  return writeU32BE(buf, pos + 4, Number(u & 0xffffffffn));
}
