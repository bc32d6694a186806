/**
 * The encoder of one message type, specialised once from its descriptor.
 *
 * A length-delimited record carries its length *before* its bytes, but the
 * length of a sub-message is only known once it is written. Measuring each
 * sub-tree first costs a second walk over every object (and done naively, a
 * re-walk per nesting level: quadratic in the depth). Here encoding is one
 * walk into a growable scratch buffer, fork/join style:
 *
 *   tag | [1 byte reserved] | content ...            write the content
 *   tag | n | content ...                            n < 128: fill the byte in
 *   tag | n n | content ...                          n >= 128: move the content
 *                                                    right by the extra bytes
 *
 * Most sub-messages and strings are shorter than 128 bytes and cost nothing
 * extra; a longer one is moved once (a memmove) per enclosing level that
 * reserves its length. The finished bytes are copied out once, into an
 * array of exactly the message's size.
 *
 * Rules from the encoding guide and language guide implemented here:
 * - fields in ascending field-number order, unknown fields last;
 * - proto3 fields without presence are not written when at their default
 *   (0, "", false, empty bytes) — but -0.0 is (it is not the default bits);
 * - fields with presence (optional, oneof members, messages) are written
 *   whenever set, default or not;
 * - repeated scalars packed unless `packed = false`; maps as entry
 *   messages {1: key, 2: value}, both always written.
 */
import { varint32Size, writeVarint32 } from '../bytes/index.js';
import { unknownFields } from './decode.js';
import { ProtobufError } from './errors.js';
import type { MessageType } from './message.js';
import type { FieldInfo, MapKeyType, ScalarType, ValueInfo } from './schema.js';
import { scalarWireType } from './schema.js';
import { DEFAULT_MAX_DEPTH, WireType } from './wire.js';

const encoder = new TextEncoder();
/** Node's native UTF-8 writer; TextEncoder.encodeInto where it is missing. */
const utf8Write = (Buffer.prototype as unknown as { utf8Write?: (this: Uint8Array, s: string, offset: number, length: number) => number }).utf8Write;
const scratch = new ArrayBuffer(8);
const scratchBytes = new Uint8Array(scratch);
const scratchF32 = new Float32Array(scratch, 0, 1);
const scratchF64 = new Float64Array(scratch);

// ---- output buffers -------------------------------------------------------

/**
 * Outputs of 65 bytes to 4 KiB are cut from a shared 64 KiB slab (as Node's
 * Buffer pool does) instead of each getting a zeroed allocation of its own;
 * an output is never reused, but its `.buffer` is the slab, shared with
 * other outputs.
 */
const SLAB_SIZE = 64 * 1024;
const SLAB_MAX = 4096;
let slab = new Uint8Array(SLAB_SIZE);
let slabOffset = 0;

export function allocate(n: number): Uint8Array {
  // Tiny arrays live on V8's heap and are cheap on their own; big ones get their own memory.
  if (n <= 64 || n > SLAB_MAX) return new Uint8Array(n);
  if (slabOffset + n > SLAB_SIZE) {
    slab = new Uint8Array(SLAB_SIZE);
    slabOffset = 0;
  }
  const out = slab.subarray(slabOffset, slabOffset + n);
  slabOffset = (slabOffset + n + 7) & ~7;
  return out;
}

// ---- 64-bit values as two 32-bit halves -----------------------------------

/** The halves of the last value split64() saw (two's complement, unsigned 32-bit each). */
let LO = 0;
let HI = 0;
// One 64-bit slot seen three ways: two 32-bit halves, signed, unsigned.
const I64 = new BigInt64Array(1);
const U64 = new BigUint64Array(I64.buffer);
const HALVES = new Uint32Array(I64.buffer);
const LOW = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1 ? 0 : 1;
const HIGH = 1 - LOW;

/**
 * Split a 64-bit field value into LO/HI, checking it. Takes a bigint, or for
 * convenience a safe-integer number or a decimal string. No bigint
 * arithmetic: a bigint goes through a 64-bit typed array.
 */
function split64(v: unknown, t: ScalarType): void {
  const unsigned = t === 'uint64' || t === 'fixed64';
  let b: bigint;
  if (typeof v === 'bigint') b = v;
  else if (typeof v === 'number' && Number.isSafeInteger(v)) {
    if (unsigned && v < 0) bad(t, v);
    LO = v >>> 0;
    HI = Math.floor(v / 4294967296) >>> 0;
    return;
  } else if (typeof v === 'string' && /^-?[0-9]{1,20}$/.test(v)) b = BigInt(v);
  else return bad(t, v);
  // Store into a 64-bit typed array and read it back: a value out of range
  // comes back different (it wrapped), so that is the range check too.
  if (unsigned) {
    U64[0] = b;
    if (U64[0] !== b) bad(t, v);
  } else {
    I64[0] = b;
    if (I64[0] !== b) bad(t, v);
  }
  LO = HALVES[LOW];
  HI = HALVES[HIGH];
}

/** ZigZag on LO/HI (sint64): (n << 1) ^ (n >> 63). */
function zigzag64(): void {
  const sign = HI >> 31;
  HI = (((HI << 1) | (LO >>> 31)) ^ sign) >>> 0;
  LO = ((LO << 1) ^ sign) >>> 0;
}

// ---- the writer -------------------------------------------------------------

/** The scratch buffer grows by doubling; one over this size is dropped after use. */
const SCRATCH_KEEP = 1024 * 1024;

export class Writer {
  buf: Uint8Array;
  pos = 0;
  /** Sub-message nesting, bounded like decoding (a cyclic object stops here). */
  depth = 0;

  constructor(capacity = 1024) {
    this.buf = new Uint8Array(capacity);
  }

  /** Make room for `n` more bytes. */
  ensure(n: number): void {
    if (this.pos + n > this.buf.length) {
      let cap = this.buf.length * 2;
      while (cap < this.pos + n) cap *= 2;
      const next = new Uint8Array(cap);
      next.set(this.buf.subarray(0, this.pos));
      this.buf = next;
    }
  }

  /** Start over for the next message (dropping an oversized buffer). */
  reset(): void {
    this.pos = 0;
    this.depth = 0;
    if (this.buf.length > SCRATCH_KEEP) this.buf = new Uint8Array(1024);
  }

  /** The bytes written, copied out at their exact size. */
  finish(): Uint8Array {
    const out = allocate(this.pos);
    out.set(this.buf.subarray(0, this.pos));
    return out;
  }

  /** A varint of a uint32 (tags, lengths, uint32 values). The caller ensured room. */
  uint32(v: number): void {
    if (v < 0x80) this.buf[this.pos++] = v;
    else this.pos = writeVarint32(this.buf, this.pos, v);
  }

  /** int32: negative values are sign-extended to 10 bytes (lib/bytes writeVarint32 does it). */
  int32(v: number): void {
    if (v < 0x80 && v >= 0) this.buf[this.pos++] = v;
    else this.pos = writeVarint32(this.buf, this.pos, v);
  }

  /** The varint of LO/HI (set by split64). */
  varint64(): void {
    const b = this.buf;
    let p = this.pos;
    let lo = LO;
    let hi = HI;
    while (hi !== 0 || lo >= 0x80) {
      b[p++] = (lo & 0x7f) | 0x80;
      lo = ((lo >>> 7) | (hi << 25)) >>> 0;
      hi >>>= 7;
    }
    b[p++] = lo;
    this.pos = p;
  }

  fixed32(v: number): void {
    const b = this.buf;
    let p = this.pos;
    b[p++] = v;
    b[p++] = v >>> 8;
    b[p++] = v >>> 16;
    b[p++] = v >>> 24;
    this.pos = p;
  }

  /** LO/HI as 8 little-endian bytes. */
  fixed64(): void {
    const hi = HI;
    this.fixed32(LO);
    this.fixed32(hi);
  }

  float(v: number): void {
    scratchF32[0] = v;
    const b = this.buf;
    let p = this.pos;
    for (let i = 0; i < 4; i++) b[p++] = scratchBytes[i];
    this.pos = p;
  }

  double(v: number): void {
    scratchF64[0] = v;
    const b = this.buf;
    let p = this.pos;
    for (let i = 0; i < 8; i++) b[p++] = scratchBytes[i];
    this.pos = p;
  }

  /**
   * A length-prefixed string. Up to 42 UTF-16 units the UTF-8 form is at
   * most 126 bytes, so one length byte is reserved and filled in after
   * encoding by hand (RFC 3629 §3); longer text is measured, then written
   * by Node's native encoder.
   */
  string(s: string): void {
    const len = s.length;
    if (len > 42) {
      const n = Buffer.byteLength(s, 'utf8');
      this.ensure(5 + n);
      this.uint32(n);
      if (utf8Write !== undefined) utf8Write.call(this.buf, s, this.pos, n);
      /* c8 ignore next */ else encoder.encodeInto(s, this.buf.subarray(this.pos, this.pos + n));
      this.pos += n;
      return;
    }
    this.ensure(1 + 3 * len);
    const b = this.buf;
    const at = this.pos;
    let p = at + 1;
    for (let i = 0; i < len; i++) {
      let c = s.charCodeAt(i);
      if (c < 0x80) b[p++] = c;
      else if (c < 0x800) {
        b[p++] = 0xc0 | (c >> 6);
        b[p++] = 0x80 | (c & 0x3f);
      } else if ((c & 0xfc00) === 0xd800 && i + 1 < len && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
        c = 0x10000 + ((c & 0x3ff) << 10) + (s.charCodeAt(++i) & 0x3ff);
        b[p++] = 0xf0 | (c >> 18);
        b[p++] = 0x80 | ((c >> 12) & 0x3f);
        b[p++] = 0x80 | ((c >> 6) & 0x3f);
        b[p++] = 0x80 | (c & 0x3f);
      } else {
        if ((c & 0xf800) === 0xd800) c = 0xfffd; // a lone surrogate, as TextEncoder writes it
        b[p++] = 0xe0 | (c >> 12);
        b[p++] = 0x80 | ((c >> 6) & 0x3f);
        b[p++] = 0x80 | (c & 0x3f);
      }
    }
    b[at] = p - at - 1;
    this.pos = p;
  }

  bytes(v: Uint8Array): void {
    this.ensure(5 + v.length);
    this.uint32(v.length);
    this.buf.set(v, this.pos);
    this.pos += v.length;
  }

  raw(v: Uint8Array): void {
    this.ensure(v.length);
    this.buf.set(v, this.pos);
    this.pos += v.length;
  }

  /** Reserve one byte for a length; returns where it is. Content follows. */
  fork(): number {
    this.ensure(1);
    return this.pos++;
  }

  /** Fill in the length reserved at `at`, moving the content if it needs more than one byte. */
  join(at: number): void {
    const n = this.pos - at - 1;
    if (n < 0x80) {
      this.buf[at] = n;
      return;
    }
    const extra = varint32Size(n) - 1;
    this.ensure(extra);
    this.buf.copyWithin(at + 1 + extra, at + 1, this.pos);
    writeVarint32(this.buf, at, n);
    this.pos += extra;
  }
}

function bad(what: string, v: unknown): never {
  const shown = typeof v === 'bigint' ? `${v}n` : typeof v === 'string' ? JSON.stringify(v) : String(v);
  throw new ProtobufError('BAD_VALUE', `cannot encode ${shown} as ${what}`);
}

// ---- one value of a type (elements of repeated fields, map keys and values) ----

/** Check and write one value, without its tag. The writer has room for 10 bytes (strings, bytes, messages make their own). */
type Write = (w: Writer, v: any) => void;

function scalarWriter(t: ScalarType): Write {
  switch (t) {
    case 'int32':
      return (w, v) => (v === (v | 0) ? w.int32(v) : bad(t, v));
    case 'uint32':
      return (w, v) => (v === v >>> 0 ? w.uint32(v) : bad(t, v));
    case 'sint32':
      return (w, v) => (v === (v | 0) ? w.uint32(((v << 1) ^ (v >> 31)) >>> 0) : bad(t, v));
    case 'fixed32':
      return (w, v) => (v === v >>> 0 ? w.fixed32(v) : bad(t, v));
    case 'sfixed32':
      return (w, v) => (v === (v | 0) ? w.fixed32(v) : bad(t, v));
    case 'float':
      return (w, v) => (typeof v === 'number' ? w.float(v) : bad(t, v));
    case 'double':
      return (w, v) => (typeof v === 'number' ? w.double(v) : bad(t, v));
    case 'int64':
    case 'uint64':
      return (w, v) => (split64(v, t), w.varint64());
    case 'sint64':
      return (w, v) => (split64(v, t), zigzag64(), w.varint64());
    case 'fixed64':
    case 'sfixed64':
      return (w, v) => (split64(v, t), w.fixed64());
    case 'bool':
      return (w, v) => (typeof v === 'boolean' ? w.uint32(v ? 1 : 0) : bad(t, v));
    case 'string':
      return (w, v) => (typeof v === 'string' ? w.string(v) : bad(t, v));
    case 'bytes':
      return (w, v) => (v instanceof Uint8Array ? w.bytes(v) : bad(t, v));
  }
}

/** An embedded message: reserve its length, write it, fill the length in. */
function messageWriter(t: MessageType): Write {
  return (w, v) => {
    if (typeof v !== 'object' || v === null) bad(t.fullName, v);
    if (++w.depth > DEFAULT_MAX_DEPTH) throw new ProtobufError('BAD_VALUE', `${t.fullName}: nesting deeper than ${DEFAULT_MAX_DEPTH} levels (a cycle?)`);
    const at = w.fork();
    t.encoder().write(w, v);
    w.join(at);
    w.depth--;
  };
}

function valueWriter(v: ValueInfo): Write {
  return v.kind === 'message' ? messageWriter(v.messageType!) : scalarWriter(v.scalar);
}

// ---- fields ---------------------------------------------------------------

/** Writes one field of a message (nothing when absent or at an implicit default). */
type FieldWrite = (w: Writer, m: any) => void;

function mapKeyValue(t: MapKeyType, key: string): unknown {
  switch (t) {
    case 'string': return key;
    case 'bool':
      if (key === 'true') return true;
      if (key === 'false') return false;
      return bad('a bool map key', key);
    case 'int64': case 'uint64': case 'sint64': case 'fixed64': case 'sfixed64':
      return /^-?[0-9]{1,20}$/.test(key) ? BigInt(key) : bad(`a ${t} map key`, key);
    default:
      return /^-?[0-9]{1,10}$/.test(key) ? Number(key) : bad(`a ${t} map key`, key);
  }
}

/** map<K, V>: each entry an embedded message {1: key, 2: value}, both always written. */
function mapField(f: FieldInfo): FieldWrite {
  const k = f.localName;
  const tag = ((f.no << 3) | WireType.LEN) >>> 0;
  const keyType = f.mapKey!;
  const writeKey = scalarWriter(keyType);
  const keyTag = 8 | scalarWireType(keyType);
  const writeValue = valueWriter(f.value);
  const valTag = 16 | scalarWireType(f.value.scalar);
  const isMessage = f.value.kind === 'message';
  return (w, m) => {
    const obj = m[k];
    if (obj == null) return;
    for (const key of Object.keys(obj)) {
      w.ensure(5 + 1 + 1 + 10 + 1 + 10);
      w.uint32(tag);
      const at = w.fork();
      w.uint32(keyTag);
      writeKey(w, mapKeyValue(keyType, key));
      w.ensure(1 + 10);
      w.uint32(valTag);
      let v = obj[key];
      if (v == null && isMessage) v = {};
      writeValue(w, v);
      w.join(at);
    }
  };
}

function repeatedField(f: FieldInfo): FieldWrite {
  const k = f.localName;
  const write = valueWriter(f.value);
  if (f.packed) {
    // One LEN record for the whole run.
    const tag = ((f.no << 3) | WireType.LEN) >>> 0;
    return (w, m) => {
      const arr = m[k];
      if (arr == null || arr.length === 0) return;
      w.ensure(5 + 1 + 10 * arr.length);
      w.uint32(tag);
      const at = w.fork();
      for (let i = 0; i < arr.length; i++) write(w, arr[i]);
      w.join(at);
    };
  }
  const tag = ((f.no << 3) | scalarWireType(f.value.scalar)) >>> 0;
  return (w, m) => {
    const arr = m[k];
    if (arr == null) return;
    for (let i = 0; i < arr.length; i++) {
      w.ensure(5 + 10);
      w.uint32(tag);
      write(w, arr[i]);
    }
  };
}

/**
 * A singular field. The common scalar types get a closure of their own (the
 * presence check, the value check and the write inline); the rest go
 * through the value writer. `implicit`: a proto3 field without presence,
 * skipped at its default.
 */
function singularField(f: FieldInfo): FieldWrite {
  const k = f.localName;
  const st = f.value.scalar;
  const tag = ((f.no << 3) | scalarWireType(st)) >>> 0;
  const implicit = !f.optional;
  if (f.kind !== 'message') {
    switch (st) {
      case 'int32':
        return (w, m) => {
          const v = m[k];
          if (v == null || (implicit && v === 0)) return;
          if (v !== (v | 0)) bad(st, v);
          w.ensure(15);
          w.uint32(tag);
          w.int32(v);
        };
      case 'uint32':
        return (w, m) => {
          const v = m[k];
          if (v == null || (implicit && v === 0)) return;
          if (v !== v >>> 0) bad(st, v);
          w.ensure(10);
          w.uint32(tag);
          w.uint32(v);
        };
      case 'bool':
        return (w, m) => {
          const v = m[k];
          if (v == null || (implicit && v === false)) return;
          if (typeof v !== 'boolean') bad(st, v);
          w.ensure(6);
          w.uint32(tag);
          w.uint32(v ? 1 : 0);
        };
      case 'double':
        // -0.0 is written: only +0 is the default bit pattern.
        return (w, m) => {
          const v = m[k];
          if (v == null || (implicit && v === 0 && 1 / v > 0)) return;
          if (typeof v !== 'number') bad(st, v);
          w.ensure(13);
          w.uint32(tag);
          w.double(v);
        };
      case 'string':
        return (w, m) => {
          const v = m[k];
          if (v == null || (implicit && v === '')) return;
          if (typeof v !== 'string') bad(st, v);
          w.ensure(5);
          w.uint32(tag);
          w.string(v);
        };
      case 'int64':
      case 'uint64':
        return (w, m) => {
          const v = m[k];
          if (v == null || (implicit && (v === 0n || v === 0))) return;
          split64(v, st);
          w.ensure(15);
          w.uint32(tag);
          w.varint64();
        };
    }
  }
  const write = valueWriter(f.value);
  const isDefault = f.kind === 'message' ? () => false : defaultTest(st);
  return (w, m) => {
    const v = m[k];
    if (v == null || (implicit && isDefault(v))) return;
    w.ensure(15);
    w.uint32(tag);
    write(w, v);
  };
}

/** Is `v` the proto3 default of a field without presence? (for the types singularField leaves to the value writer) */
function defaultTest(t: ScalarType): (v: unknown) => boolean {
  switch (t) {
    case 'bytes': return (v) => v instanceof Uint8Array && v.length === 0;
    case 'float': return (v) => v === 0 && 1 / (v as number) > 0;
    case 'sint64': case 'fixed64': case 'sfixed64': return (v) => v === 0n || v === 0;
    default: return (v) => v === 0;
  }
}

export interface Encoder {
  /** Check `m` and append its fields (not its tag or length) to `w`. */
  write(w: Writer, m: any): void;
}

export function compileEncoder(type: MessageType): Encoder {
  const writers = [...type.fields]
    .sort((a, b) => a.no - b.no)
    .map((f) => (f.kind === 'map' ? mapField(f) : f.repeated ? repeatedField(f) : singularField(f)));
  const n = writers.length;
  return {
    write(w, m) {
      for (let i = 0; i < n; i++) writers[i](w, m);
      const unknown: Uint8Array[] | undefined = m[unknownFields];
      if (unknown !== undefined) for (const raw of unknown) w.raw(raw);
    },
  };
}
