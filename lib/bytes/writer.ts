/**
 * ByteWriter: a growable output buffer. Protocol encoders append fields and
 * take the finished bytes once, instead of concatenating many small arrays.
 * Capacity doubles when needed, so appending n bytes costs O(n) overall.
 */
import { writeU16BE, writeU32BE, writeU64BE } from './endian.js';
import { varint32Size, writeVarint32, writeVarint64 } from './varint.js';

const encoder = new TextEncoder();

export class ByteWriter {
  private buf: Uint8Array;
  /** Bytes written so far. */
  length = 0;

  constructor(initialCapacity = 256) {
    this.buf = new Uint8Array(Math.max(16, initialCapacity));
  }

  /** Make room for `n` more bytes. */
  ensure(n: number): void {
    const need = this.length + n;
    if (need <= this.buf.length) return;
    let cap = this.buf.length * 2;
    while (cap < need) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
  }

  u8(value: number): this {
    this.ensure(1);
    this.buf[this.length++] = value;
    return this;
  }

  u16be(value: number): this {
    this.ensure(2);
    this.length = writeU16BE(this.buf, this.length, value);
    return this;
  }

  u32be(value: number): this {
    this.ensure(4);
    this.length = writeU32BE(this.buf, this.length, value);
    return this;
  }

  u64be(value: bigint | number): this {
    this.ensure(8);
    this.length = writeU64BE(this.buf, this.length, value);
    return this;
  }

  /** A varint of a uint32 (or, when negative, an int32 sign-extended: 10 bytes). */
  varint32(value: number): this {
    this.ensure(varint32Size(value));
    this.length = writeVarint32(this.buf, this.length, value);
    return this;
  }

  varint64(value: bigint): this {
    this.ensure(10);
    this.length = writeVarint64(this.buf, this.length, value);
    return this;
  }

  bytes(data: Uint8Array): this {
    this.ensure(data.length);
    this.buf.set(data, this.length);
    this.length += data.length;
    return this;
  }

  /** UTF-8 encode `text` straight into the buffer. Returns the byte count. */
  utf8(text: string): number {
    // A UTF-16 code unit becomes at most 3 UTF-8 bytes.
    this.ensure(text.length * 3);
    const { written } = encoder.encodeInto(text, this.buf.subarray(this.length));
    this.length += written;
    return written;
  }

  /** The bytes written, as a view (no copy). Valid until the next write or reset. */
  view(): Uint8Array {
    return this.buf.subarray(0, this.length);
  }

  /** The bytes written, as a copy of exactly the right size; the writer is reset. */
  finish(): Uint8Array {
    const out = this.buf.slice(0, this.length);
    this.length = 0;
    return out;
  }

  /** Forget what was written, keeping the capacity. */
  reset(): void {
    this.length = 0;
  }
}
