/**
 * ByteReader: a bounds-checked cursor over bytes received from a peer. Every
 * read checks that the bytes are there first, and fails with a BytesError
 * that names the offset; nothing is allocated from an untrusted length before
 * that check.
 */
import { BytesError } from './errors.js';
import { readU16BE, readU32BE, readU64BE } from './endian.js';
import { readVarint32, readVarint64, zigzagDecode32, zigzagDecode64 } from './varint.js';

const decoder = new TextDecoder('utf-8', { fatal: true });

export class ByteReader {
  readonly buf: Uint8Array;
  /** Current position. */
  pos: number;
  /** One past the last byte this reader may read. */
  readonly end: number;

  constructor(buf: Uint8Array, start = 0, end = buf.length) {
    this.buf = buf;
    this.pos = start;
    this.end = end;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  /** Throw unless `n` more bytes are available. */
  need(n: number): void {
    if (n < 0 || this.end - this.pos < n) {
      throw new BytesError('TRUNCATED', `need ${n} bytes, have ${this.end - this.pos}`, this.pos);
    }
  }

  u8(): number {
    this.need(1);
    return this.buf[this.pos++];
  }

  u16be(): number {
    this.need(2);
    const v = readU16BE(this.buf, this.pos);
    this.pos += 2;
    return v;
  }

  u32be(): number {
    this.need(4);
    const v = readU32BE(this.buf, this.pos);
    this.pos += 4;
    return v;
  }

  u64be(): bigint {
    this.need(8);
    const v = readU64BE(this.buf, this.pos);
    this.pos += 8;
    return v;
  }

  /** Varint, low 32 bits, unsigned. */
  varint32(): number {
    return readVarint32(this.buf, this, this.end);
  }

  /** Varint, 64 bits, unsigned bigint. */
  varint64(): bigint {
    return readVarint64(this.buf, this, this.end);
  }

  sint32(): number {
    return zigzagDecode32(this.varint32());
  }

  sint64(): bigint {
    return zigzagDecode64(this.varint64());
  }

  /** `n` bytes as a view into the input (no copy). */
  bytes(n: number): Uint8Array {
    this.need(n);
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    return out;
  }

  /** `n` bytes decoded as strict UTF-8; invalid UTF-8 throws a TypeError. */
  utf8(n: number): string {
    return decoder.decode(this.bytes(n));
  }

  /** Move past `n` bytes. */
  discard(n: number): void {
    this.need(n);
    this.pos += n;
  }
}
