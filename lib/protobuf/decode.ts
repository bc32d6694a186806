/**
 * The decoder of one message type, specialised once from its descriptor.
 *
 * compileDecoder() turns each field into a small closure that reads that
 * field's value and stores it (built by a switch over the field's type, once;
 * never by generating source text from names — CVE-2026-44291). The hot loop
 * is then: read a tag, find the closure by field number in a dense array,
 * check the wire type, call it.
 *
 * Rules from the encoding guide implemented here:
 * - "Last One Wins": a non-repeated scalar seen twice keeps the last value;
 *   an embedded message seen twice is merged into the first.
 * - "Packed Repeated Fields": a repeated scalar is accepted packed (LEN) or
 *   unpacked (one record per element), whatever the schema says.
 * - "Oneofs": setting one member clears the others.
 * - Unknown fields (and fields with a wire type their type cannot have) are
 *   kept as raw records under the `unknownFields` symbol and written back.
 * - Maps are repeated entry messages {1: key, 2: value}; a missing key or
 *   value is the type's default.
 */
import { DecodeError } from './errors.js';
import type { MessageType } from './message.js';
import type { FieldInfo, ScalarType, ValueInfo } from './schema.js';
import { scalarWireType } from './schema.js';
import { type Reader, WireType } from './wire.js';

/** Raw records of fields the schema does not know, kept to be written back. */
export const unknownFields: unique symbol = Symbol('protobuf.unknownFields');

export interface Decoder {
  /** A new message with every field at its default. */
  create(): any;
  /** Read fields up to `r.limit` into `into` (merge) or a new message. */
  read(r: Reader, into?: any): any;
}

type Read = (r: Reader) => unknown;
type FieldRead = (r: Reader, m: any) => void;

/** How to read one value of a scalar type. */
export function scalarReader(t: ScalarType): Read {
  switch (t) {
    case 'double': return (r) => r.double();
    case 'float': return (r) => r.float();
    case 'int32': return (r) => r.int32();
    case 'uint32': return (r) => r.uint32();
    case 'sint32': return (r) => r.sint32();
    case 'fixed32': return (r) => r.fixed32();
    case 'sfixed32': return (r) => r.sfixed32();
    case 'int64': return (r) => r.int64();
    case 'uint64': return (r) => r.uint64();
    case 'sint64': return (r) => r.sint64();
    case 'fixed64': return (r) => r.fixed64();
    case 'sfixed64': return (r) => r.sfixed64();
    case 'bool': return (r) => r.bool();
    case 'string': return (r) => r.string();
    case 'bytes': return (r) => r.bytes();
  }
}

/** The default value of a scalar (language guide, "Default Field Values"). */
export function scalarDefault(t: ScalarType): unknown {
  switch (t) {
    case 'int64': case 'uint64': case 'sint64': case 'fixed64': case 'sfixed64': return 0n;
    case 'bool': return false;
    case 'string': return '';
    case 'bytes': return new Uint8Array(0);
    default: return 0;
  }
}

/** Read an embedded message (LEN) of type `t`, merging into `into` when given. */
function readMessage(t: MessageType, r: Reader, into: any): any {
  const saved = r.enter();
  const m = t.decoder().read(r, into);
  r.leave(saved);
  return m;
}

/** A singular field's store: a specialised closure per scalar type (the common case). */
function singularScalar(k: string, t: ScalarType, clear: readonly string[]): FieldRead {
  if (clear.length) {
    const rd = scalarReader(t);
    return (r, m) => {
      const v = rd(r);
      for (let i = 0; i < clear.length; i++) m[clear[i]] = undefined;
      m[k] = v;
    };
  }
  switch (t) {
    case 'int32': return (r, m) => { m[k] = r.int32(); };
    case 'uint32': return (r, m) => { m[k] = r.uint32(); };
    case 'string': return (r, m) => { m[k] = r.string(); };
    case 'bool': return (r, m) => { m[k] = r.bool(); };
    case 'double': return (r, m) => { m[k] = r.double(); };
    case 'float': return (r, m) => { m[k] = r.float(); };
    case 'int64': return (r, m) => { m[k] = r.int64(); };
    case 'bytes': return (r, m) => { m[k] = r.bytes(); };
    default: {
      const rd = scalarReader(t);
      return (r, m) => { m[k] = rd(r); };
    }
  }
}

interface Slot {
  /** Expected wire type. */
  wt: number;
  read: FieldRead;
  /** For packable repeated scalars: the packed (LEN) form (every slot has the property: one shape). */
  packed: FieldRead | undefined;
}

function valueReader(v: ValueInfo): Read {
  if (v.kind === 'message') {
    const t = v.messageType!;
    return (r) => readMessage(t, r, undefined);
  }
  return scalarReader(v.scalar);
}

function mapSlot(f: FieldInfo): Slot {
  const k = f.localName;
  const keyType = f.mapKey!;
  const readKey = scalarReader(keyType);
  const keyWt = scalarWireType(keyType);
  const keyDefault = scalarDefault(keyType);
  const val = f.value;
  const valWt = scalarWireType(val.scalar);
  const readVal = valueReader(val);
  const valDefault = val.kind === 'message' ? undefined : scalarDefault(val.scalar);
  return {
    wt: WireType.LEN,
    packed: undefined,
    read(r, m) {
      const saved = r.enter();
      let key: unknown = keyDefault;
      let value: unknown = valDefault;
      while (r.pos < r.limit) {
        const at = r.pos;
        const tag = r.tag();
        if (tag === (8 | keyWt)) key = readKey(r);
        else if (tag === (16 | valWt)) value = readVal(r);
        else r.skip(tag, at);
      }
      r.leave(saved);
      if (value === undefined) value = val.messageType!.create();
      // Keys are strings on the null-prototype object: "__proto__" is an ordinary key.
      m[k][String(key)] = value;
    },
  };
}

function fieldSlot(f: FieldInfo, clear: readonly string[]): Slot {
  const k = f.localName;
  if (f.kind === 'map') return mapSlot(f);
  if (f.kind === 'message') {
    const t = f.value.messageType!;
    if (f.repeated) return { wt: WireType.LEN, packed: undefined, read: (r, m) => { m[k].push(readMessage(t, r, undefined)); } };
    return {
      wt: WireType.LEN,
      packed: undefined,
      read(r, m) {
        for (let i = 0; i < clear.length; i++) m[clear[i]] = undefined;
        m[k] = readMessage(t, r, m[k]);
      },
    };
  }
  const st = f.value.scalar;
  const wt = scalarWireType(st);
  if (!f.repeated) return { wt, packed: undefined, read: singularScalar(k, st, clear) };
  const rd = scalarReader(st);
  const slot: Slot = { wt, packed: undefined, read: (r, m) => { m[k].push(rd(r)); } };
  if (wt !== WireType.LEN) {
    slot.packed = (r, m) => {
      const n = r.length();
      const saved = r.limit;
      r.limit = r.pos + n;
      const arr = m[k];
      while (r.pos < r.limit) arr.push(rd(r));
      r.limit = saved;
    };
  }
  return slot;
}

export function compileDecoder(type: MessageType): Decoder {
  const fields = type.fields;
  // A dense table by field number when numbers are small, else a Map.
  const maxNo = fields.reduce((a, f) => Math.max(a, f.no), 0);
  const dense: (Slot | undefined)[] = maxNo <= 256 ? new Array(maxNo + 1).fill(undefined) : [];
  const sparse = new Map<number, Slot>();
  for (const f of fields) {
    const clear = f.oneof === undefined ? [] : fields.filter((o) => o.oneof === f.oneof && o !== f).map((o) => o.localName);
    const slot = fieldSlot(f, clear);
    if (maxNo <= 256) dense[f.no] = slot;
    else sparse.set(f.no, slot);
  }
  const useDense = maxNo <= 256;

  // The default message: built once, cloned per decode (one hidden class for all).
  const template: Record<string, unknown> = {};
  const fresh: { k: string; map: boolean }[] = [];
  for (const f of fields) {
    if (f.kind === 'map') {
      template[f.localName] = null;
      fresh.push({ k: f.localName, map: true });
    } else if (f.repeated) {
      template[f.localName] = null;
      fresh.push({ k: f.localName, map: false });
    } else if (f.optional) template[f.localName] = undefined;
    else template[f.localName] = f.kind === 'enum' ? 0 : scalarDefault(f.value.scalar);
  }
  const freshKeys = fresh.map((x) => x.k);
  const freshIsMap = fresh.map((x) => x.map);
  const create =
    fresh.length === 0
      ? (): any => ({ ...template })
      : (): any => {
          const m: any = { ...template };
          for (let i = 0; i < freshKeys.length; i++) m[freshKeys[i]] = freshIsMap[i] ? Object.create(null) : [];
          return m;
        };

  const read = (r: Reader, into?: any): any => {
    const m = into === undefined ? create() : into;
    const buf = r.buf;
    while (r.pos < r.limit) {
      const at = r.pos;
      // One-byte tags (fields 1..15) without a call.
      let tag = buf[at];
      if (tag < 0x80) r.pos = at + 1;
      else tag = r.uint32();
      const no = tag >>> 3;
      if (no === 0) throw new DecodeError('BAD_FIELD_NUMBER', 'field number 0', at);
      const slot = useDense ? (no < dense.length ? dense[no] : undefined) : sparse.get(no);
      if (slot !== undefined) {
        const wt = tag & 7;
        if (wt === slot.wt) {
          slot.read(r, m);
          continue;
        }
        if (wt === WireType.LEN && slot.packed !== undefined) {
          slot.packed(r, m);
          continue;
        }
      }
      r.skip(tag, at);
      const raw = buf.slice(at, r.pos);
      const list = m[unknownFields];
      if (list === undefined) m[unknownFields] = [raw];
      else list.push(raw);
    }
    return m;
  };
  return { create, read };
}
