/**
 * The decoder of one message type, specialised once from its descriptor.
 *
 * compileDecoder() turns each field into a "slot": the wire type it expects,
 * an operation code saying how to read its value, and the property it is
 * stored in. The hot loop is then: read a tag, find the slot by field number
 * in a dense array, check the wire type, read the value in a switch on the
 * operation (no call per field), store it. Maps and oneof members carry a
 * small closure instead. All of it is built from the descriptor with
 * ordinary closures and data — never by generating source text from names
 * (CVE-2026-44291).
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

// ---- Storing a field: one store site per field ------------------------------
//
// A decoder writes properties by a name held in a variable (`m[key] = v`):
// there is no generated code to write `m.name = v` (CVE-2026-44291). V8
// learns at each store *site* in the source which property names and object
// shapes it sees, and compiles a site that always sees one name into a
// direct write (about 1 ns). A site that sees many names falls back to a
// generic lookup of the name in the object's property list, which measured
// 10-25 ns per store here. One line of source shared by every field of
// every message type is such a site, and was the main cost of decoding.
//
// So the end of read() in compileDecoder() holds 64 copies of the same line,
// `case N: m[s.key] = v`: each field gets its own site (its own case) when
// its type is compiled, and keeps seeing one name and one object shape.
// Once the 64 are handed out, later fields share the `default` line:
// correct, just slower. Copying a line is not generating code: the source
// is fixed and no schema name ever becomes code. (The switch must sit in
// read() itself: moved into a helper function it was too big for V8 to
// inline, and the call cost most of the gain.)
//
// V8 matches names by identity: the key must be the internalized copy of the
// string (the one in V8's string table), or a site sees "a different name"
// on every call and gives up. internKey() returns that copy.
//
// The rarer paths (oneof members, maps, fresh arrays in create()) store
// with plain `m[k] = v`.

const STORE_SITES = 64;
let storeSitesUsed = 0;

/** A store site for a new field: 0..63, then STORE_SITES (the shared line). */
function takeStoreSite(): number {
  return storeSitesUsed < STORE_SITES ? storeSitesUsed++ : STORE_SITES;
}

/** The internalized copy of a property name (a property key read back from an object is one). */
function internKey(name: string): string {
  return Object.keys({ [name]: 0 })[0];
}

// ---- Slots -----------------------------------------------------------------

/** How the main loop reads a field: one code per singular scalar type, then the other kinds. */
const Op = {
  DOUBLE: 1, FLOAT: 2, INT32: 3, UINT32: 4, SINT32: 5, FIXED32: 6, SFIXED32: 7,
  INT64: 8, UINT64: 9, SINT64: 10, FIXED64: 11, SFIXED64: 12, BOOL: 13, STRING: 14, BYTES: 15,
  /** A singular embedded message (merged into the one already there). */
  MESSAGE: 16,
  REPEATED_MESSAGE: 17,
  REPEATED_STRING: 18,
  /** Anything else (maps, oneof members, other repeated scalars): call slot.read. */
  CALL: 19,
} as const;

const SCALAR_OPS: Record<ScalarType, number> = {
  double: Op.DOUBLE, float: Op.FLOAT, int32: Op.INT32, uint32: Op.UINT32, sint32: Op.SINT32,
  fixed32: Op.FIXED32, sfixed32: Op.SFIXED32, int64: Op.INT64, uint64: Op.UINT64, sint64: Op.SINT64,
  fixed64: Op.FIXED64, sfixed64: Op.SFIXED64, bool: Op.BOOL, string: Op.STRING, bytes: Op.BYTES,
};

interface Slot {
  /** Expected wire type. */
  wt: number;
  /** One of Op. */
  op: number;
  /** The property (internalized) and its store site. */
  key: string;
  site: number;
  /** The embedded message type (Op.MESSAGE, Op.REPEATED_MESSAGE). */
  type: MessageType | undefined;
  /** Op.CALL: reads the field and stores it. */
  read: FieldRead | undefined;
  /** For packable repeated scalars: the packed (LEN) form. */
  packed: FieldRead | undefined;
}

/**
 * Every slot is made here, so all have one shape (the loop's loads from it
 * stay fast). Only the ops whose value the loop stores take a store site.
 */
function slot(f: FieldInfo, wt: number, op: number, type?: MessageType, read?: FieldRead, packed?: FieldRead): Slot {
  const site = op <= Op.MESSAGE ? takeStoreSite() : STORE_SITES;
  return { wt, op, key: internKey(f.localName), site, type, read, packed };
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
  return slot(f, WireType.LEN, Op.CALL, undefined, (r, m) => {
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
  });
}

/** A oneof member: setting it clears the other members first. */
function oneofSlot(f: FieldInfo, clear: readonly string[]): Slot {
  const k = f.localName;
  if (f.kind === 'message') {
    const t = f.value.messageType!;
    return slot(f, WireType.LEN, Op.CALL, t, (r, m) => {
      for (let i = 0; i < clear.length; i++) m[clear[i]] = undefined;
      m[k] = readMessage(t, r, m[k]);
    });
  }
  const rd = scalarReader(f.value.scalar);
  return slot(f, scalarWireType(f.value.scalar), Op.CALL, undefined, (r, m) => {
    const v = rd(r);
    for (let i = 0; i < clear.length; i++) m[clear[i]] = undefined;
    m[k] = v;
  });
}

function fieldSlot(f: FieldInfo, clear: readonly string[]): Slot {
  if (f.kind === 'map') return mapSlot(f);
  if (clear.length > 0) return oneofSlot(f, clear);
  if (f.kind === 'message') {
    const t = f.value.messageType!;
    return slot(f, WireType.LEN, f.repeated ? Op.REPEATED_MESSAGE : Op.MESSAGE, t);
  }
  const st = f.value.scalar;
  const wt = scalarWireType(st);
  if (!f.repeated) return slot(f, wt, SCALAR_OPS[st]);
  if (st === 'string') return slot(f, wt, Op.REPEATED_STRING);
  const k = f.localName;
  const rd = scalarReader(st);
  const one: FieldRead = (r, m) => {
    m[k].push(rd(r));
  };
  if (wt === WireType.LEN) return slot(f, wt, Op.CALL, undefined, one);
  // Packed (proto3's default for scalars): one LEN record holding every element.
  const packed: FieldRead = (r, m) => {
    const n = r.length();
    const saved = r.limit;
    r.limit = r.pos + n;
    const arr = m[k];
    while (r.pos < r.limit) arr.push(rd(r));
    r.limit = saved;
  };
  return slot(f, wt, Op.CALL, undefined, one, packed);
}

export function compileDecoder(type: MessageType): Decoder {
  const fields = type.fields;
  // A dense table by field number when numbers are small, else a Map.
  const maxNo = fields.reduce((a, f) => Math.max(a, f.no), 0);
  const useDense = maxNo <= 256;
  const dense: (Slot | undefined)[] = useDense ? new Array(maxNo + 1).fill(undefined) : [];
  const sparse = new Map<number, Slot>();
  const slots: Slot[] = [];
  for (const f of fields) {
    const clear = f.oneof === undefined ? [] : fields.filter((o) => o.oneof === f.oneof && o !== f).map((o) => o.localName);
    const s = fieldSlot(f, clear);
    slots.push(s);
    if (useDense) dense[f.no] = s;
    else sparse.set(f.no, s);
  }

  // The default message: built once, cloned per decode (one hidden class for all).
  const template: Record<string, unknown> = {};
  /** Repeated and map fields: each message needs its own array or map object. */
  const fresh: { slot: Slot; map: boolean }[] = [];
  for (let i = 0; i < fields.length; i++) {
    const f = fields[i];
    if (f.kind === 'map' || f.repeated) {
      template[f.localName] = null;
      fresh.push({ slot: slots[i], map: f.kind === 'map' });
    } else if (f.optional) template[f.localName] = undefined;
    else template[f.localName] = f.kind === 'enum' ? 0 : scalarDefault(f.value.scalar);
  }
  const create =
    fresh.length === 0
      ? (): any => ({ ...template })
      : (): any => {
          const m: any = { ...template };
          for (let i = 0; i < fresh.length; i++) {
            const s = fresh[i].slot;
            m[s.key] = fresh[i].map ? Object.create(null) : [];
          }
          return m;
        };

  const read = (r: Reader, into?: any): any => {
    const m = into === undefined ? create() : into;
    const buf = r.buf;
    let listSlot: Slot | undefined;
    let list: any;
    while (r.pos < r.limit) {
      const at = r.pos;
      // One-byte tags (fields 1..15) without a call.
      let tag = buf[at];
      if (tag < 0x80) r.pos = at + 1;
      else tag = r.uint32();
      const no = tag >>> 3;
      if (no === 0) throw new DecodeError('BAD_FIELD_NUMBER', 'field number 0', at);
      const s = useDense ? (no < dense.length ? dense[no] : undefined) : sparse.get(no);
      if (s !== undefined) {
        const wt = tag & 7;
        if (wt === s.wt) {
          let v: unknown;
          switch (s.op) {
            case Op.DOUBLE: v = r.double(); break;
            case Op.FLOAT: v = r.float(); break;
            case Op.INT32: v = r.int32(); break;
            case Op.UINT32: v = r.uint32(); break;
            case Op.SINT32: v = r.sint32(); break;
            case Op.FIXED32: v = r.fixed32(); break;
            case Op.SFIXED32: v = r.sfixed32(); break;
            case Op.INT64: v = r.int64(); break;
            case Op.UINT64: v = r.uint64(); break;
            case Op.SINT64: v = r.sint64(); break;
            case Op.FIXED64: v = r.fixed64(); break;
            case Op.SFIXED64: v = r.sfixed64(); break;
            case Op.BOOL: v = r.bool(); break;
            case Op.STRING: v = r.string(); break;
            case Op.BYTES: v = r.bytes(); break;
            case Op.MESSAGE: v = readMessage(s.type!, r, m[s.key]); break;
            case Op.REPEATED_MESSAGE:
            case Op.REPEATED_STRING:
              // Elements of a repeated field arrive back to back (encoders write
              // them together), so the array found for the first is kept at hand.
              if (s !== listSlot) {
                listSlot = s;
                list = m[s.key];
              }
              list.push(s.op === Op.REPEATED_STRING ? r.string() : readMessage(s.type!, r, undefined));
              continue;
            default: s.read!(r, m); continue;
          }
          // m[s.key] = v at this field's own store site (see "Storing a field").
          switch (s.site) {
            case 0: m[s.key] = v; continue;
            case 1: m[s.key] = v; continue;
            case 2: m[s.key] = v; continue;
            case 3: m[s.key] = v; continue;
            case 4: m[s.key] = v; continue;
            case 5: m[s.key] = v; continue;
            case 6: m[s.key] = v; continue;
            case 7: m[s.key] = v; continue;
            case 8: m[s.key] = v; continue;
            case 9: m[s.key] = v; continue;
            case 10: m[s.key] = v; continue;
            case 11: m[s.key] = v; continue;
            case 12: m[s.key] = v; continue;
            case 13: m[s.key] = v; continue;
            case 14: m[s.key] = v; continue;
            case 15: m[s.key] = v; continue;
            case 16: m[s.key] = v; continue;
            case 17: m[s.key] = v; continue;
            case 18: m[s.key] = v; continue;
            case 19: m[s.key] = v; continue;
            case 20: m[s.key] = v; continue;
            case 21: m[s.key] = v; continue;
            case 22: m[s.key] = v; continue;
            case 23: m[s.key] = v; continue;
            case 24: m[s.key] = v; continue;
            case 25: m[s.key] = v; continue;
            case 26: m[s.key] = v; continue;
            case 27: m[s.key] = v; continue;
            case 28: m[s.key] = v; continue;
            case 29: m[s.key] = v; continue;
            case 30: m[s.key] = v; continue;
            case 31: m[s.key] = v; continue;
            case 32: m[s.key] = v; continue;
            case 33: m[s.key] = v; continue;
            case 34: m[s.key] = v; continue;
            case 35: m[s.key] = v; continue;
            case 36: m[s.key] = v; continue;
            case 37: m[s.key] = v; continue;
            case 38: m[s.key] = v; continue;
            case 39: m[s.key] = v; continue;
            case 40: m[s.key] = v; continue;
            case 41: m[s.key] = v; continue;
            case 42: m[s.key] = v; continue;
            case 43: m[s.key] = v; continue;
            case 44: m[s.key] = v; continue;
            case 45: m[s.key] = v; continue;
            case 46: m[s.key] = v; continue;
            case 47: m[s.key] = v; continue;
            case 48: m[s.key] = v; continue;
            case 49: m[s.key] = v; continue;
            case 50: m[s.key] = v; continue;
            case 51: m[s.key] = v; continue;
            case 52: m[s.key] = v; continue;
            case 53: m[s.key] = v; continue;
            case 54: m[s.key] = v; continue;
            case 55: m[s.key] = v; continue;
            case 56: m[s.key] = v; continue;
            case 57: m[s.key] = v; continue;
            case 58: m[s.key] = v; continue;
            case 59: m[s.key] = v; continue;
            case 60: m[s.key] = v; continue;
            case 61: m[s.key] = v; continue;
            case 62: m[s.key] = v; continue;
            case 63: m[s.key] = v; continue;
            default: m[s.key] = v; continue;
          }
        }
        if (wt === WireType.LEN && s.packed !== undefined) {
          s.packed(r, m);
          continue;
        }
      }
      r.skip(tag, at);
      const raw = buf.slice(at, r.pos);
      const kept = m[unknownFields];
      if (kept === undefined) m[unknownFields] = [raw];
      else kept.push(raw);
    }
    return m;
  };
  return { create, read };
}
