/**
 * The proto3 JSON mapping ("ProtoJSON"), canonical form on output and the
 * lenient-but-strict reading the mapping allows on input:
 *
 *   message        object; keys are JSON names (lowerCamelCase or json_name);
 *                  input also accepts the .proto names
 *   int32 family   number (input: number or decimal string, integral, in range)
 *   64-bit ints    decimal string (input: string or number)
 *   float, double  number, or "NaN", "Infinity", "-Infinity"
 *   bool           true / false
 *   string         string
 *   bytes          standard base64 with padding (input: standard or URL-safe, padding optional)
 *   enum           value name; a number the enum does not list stays a number
 *   map<K, V>      object keyed by the key as a string
 *   repeated       array
 *   null           (input) the field's default
 *
 * Output omits fields without presence at their default value (and empty
 * repeated fields and maps). Input refuses unknown names, values out of
 * range, duplicate fields and two members of one oneof.
 *
 * Safety: field lookup goes through a Map and map fields are null-prototype
 * objects, so a "__proto__" or "constructor" key in the input is only ever an
 * unknown field or an ordinary map key (protobufjs CVE-2023-36665).
 * Well-known types (Timestamp, Duration, Any, Struct, wrappers) get no
 * special mapping here; they are ordinary messages.
 */
import { ProtobufError } from './errors.js';
import type { MessageType } from './message.js';
import type { FieldInfo, MapKeyType, ScalarType, ValueInfo } from './schema.js';

export interface JsonWriteOptions {
  /** Use the .proto field names instead of the JSON names. */
  useProtoNames?: boolean;
}

export interface JsonReadOptions {
  /** Skip unknown field names and enum value names instead of refusing them. */
  ignoreUnknownFields?: boolean;
  /** Nesting limit (default 100). */
  maxDepth?: number;
}

function fail(msg: string): never {
  throw new ProtobufError('BAD_JSON', msg);
}

/** Own-property write that stays safe for the key "__proto__". */
function put(obj: Record<string, unknown>, key: string, value: unknown): void {
  if (key === '__proto__') Object.defineProperty(obj, key, { value, enumerable: true, writable: true, configurable: true });
  else obj[key] = value;
}

/** The shortest decimal that reads back as the same float32 (as protoc prints floats). */
function shortFloat(v: number): number {
  for (let p = 1; p <= 9; p++) {
    const s = Number(v.toPrecision(p));
    if (Math.fround(s) === v) return s;
  }
  /* c8 ignore next */
  return v;
}

function scalarToJson(t: ScalarType, v: any): unknown {
  switch (t) {
    case 'double':
    case 'float':
      if (Number.isNaN(v)) return 'NaN';
      if (v === Infinity) return 'Infinity';
      if (v === -Infinity) return '-Infinity';
      return t === 'float' ? shortFloat(v) : v;
    case 'int64': case 'uint64': case 'sint64': case 'fixed64': case 'sfixed64':
      return String(v);
    case 'bytes':
      return Buffer.from(v.buffer, v.byteOffset, v.byteLength).toString('base64');
    default:
      return v;
  }
}

function valueToJson(info: ValueInfo, v: any, opts: JsonWriteOptions | undefined): unknown {
  switch (info.kind) {
    case 'message':
      return messageToJson(info.messageType!, v, opts);
    case 'enum':
      return info.enumType!.nameOf(v) ?? v;
    default:
      return scalarToJson(info.scalar, v);
  }
}

function isDefaultValue(f: FieldInfo, v: any): boolean {
  if (v === undefined || v === null) return true;
  if (f.kind === 'map') return Object.keys(v).length === 0;
  if (f.repeated) return v.length === 0;
  if (f.optional) return false;
  switch (f.value.scalar) {
    case 'string': return v === '';
    case 'bool': return v === false;
    case 'bytes': return v.length === 0;
    // -0.0 is not the default (its bits differ), as in the binary encoder.
    default: return (v === 0 && 1 / v > 0) || v === 0n;
  }
}

export function messageToJson(type: MessageType, msg: any, opts?: JsonWriteOptions): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  if (msg == null) return out;
  for (const f of type.fields) {
    const v = msg[f.localName];
    if (isDefaultValue(f, v)) continue;
    const key = opts?.useProtoNames ? f.name : f.jsonName;
    if (f.kind === 'map') {
      const obj: Record<string, unknown> = {};
      for (const k of Object.keys(v)) put(obj, k, valueToJson(f.value, v[k], opts));
      put(out, key, obj);
    } else if (f.repeated) {
      put(out, key, (v as unknown[]).map((x) => valueToJson(f.value, x, opts)));
    } else put(out, key, valueToJson(f.value, v, opts));
  }
  return out;
}

// ---- input ----------------------------------------------------------------

const INT_RE = /^-?[0-9]+$/;
const NUM_RE = /^-?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?$/;
const B64_RE = /^[A-Za-z0-9+/_-]*={0,2}$/;

function numberIn(v: unknown, what: string): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'string' && NUM_RE.test(v)) return Number(v);
  return fail(`${what}: expected a number, got ${JSON.stringify(v)}`);
}

function scalarFromJson(t: ScalarType, v: unknown, what: string): unknown {
  switch (t) {
    case 'int32': case 'sint32': case 'sfixed32': case 'uint32': case 'fixed32': {
      const n = numberIn(v, what);
      const unsigned = t === 'uint32' || t === 'fixed32';
      if (!Number.isInteger(n) || (unsigned ? n < 0 || n > 0xffffffff : n < -0x80000000 || n > 0x7fffffff)) {
        fail(`${what}: ${JSON.stringify(v)} is not a ${t}`);
      }
      return n;
    }
    case 'int64': case 'sint64': case 'sfixed64': case 'uint64': case 'fixed64': {
      let b: bigint;
      if (typeof v === 'number' && Number.isInteger(v)) b = BigInt(v);
      else if (typeof v === 'string' && INT_RE.test(v)) b = BigInt(v);
      else return fail(`${what}: ${JSON.stringify(v)} is not a ${t}`);
      const unsigned = t === 'uint64' || t === 'fixed64';
      const ok = unsigned ? b >= 0n && b < 1n << 64n : b >= -(1n << 63n) && b < 1n << 63n;
      if (!ok) fail(`${what}: ${JSON.stringify(v)} is out of range for ${t}`);
      return b;
    }
    case 'double': case 'float': {
      if (v === 'NaN') return NaN;
      if (v === 'Infinity') return Infinity;
      if (v === '-Infinity') return -Infinity;
      const n = numberIn(v, what);
      // A JavaScript Infinity/NaN passes through; "1e999" spelled in JSON is out of range.
      if (typeof v === 'string' && !Number.isFinite(n)) fail(`${what}: ${JSON.stringify(v)} is out of range`);
      if (t === 'float' && Number.isFinite(n) && Math.abs(n) > 3.4028234663852886e38) fail(`${what}: ${JSON.stringify(v)} is out of range for float`);
      return t === 'float' ? Math.fround(n) : n;
    }
    case 'bool':
      if (typeof v !== 'boolean') fail(`${what}: expected true or false, got ${JSON.stringify(v)}`);
      return v;
    case 'string':
      if (typeof v !== 'string') fail(`${what}: expected a string, got ${JSON.stringify(v)}`);
      return v;
    case 'bytes': {
      if (typeof v !== 'string' || !B64_RE.test(v) || v.replace(/=+$/, '').length % 4 === 1) {
        fail(`${what}: expected base64, got ${JSON.stringify(v)}`);
      }
      return new Uint8Array(Buffer.from(v, 'base64'));
    }
  }
}

interface ReadCtx {
  opts: JsonReadOptions | undefined;
  depth: number;
  max: number;
}

function valueFromJson(info: ValueInfo, v: unknown, what: string, ctx: ReadCtx): unknown {
  switch (info.kind) {
    case 'message':
      return readMessage(info.messageType!, v, ctx, what);
    case 'enum': {
      const e = info.enumType!;
      if (typeof v === 'string') {
        const n = e.numberOf(v);
        if (n !== undefined) return n;
        if (ctx.opts?.ignoreUnknownFields) return undefined;
        return fail(`${what}: ${JSON.stringify(v)} is not a value of ${e.fullName}`);
      }
      return scalarFromJson('int32', v, what);
    }
    default:
      return scalarFromJson(info.scalar, v, what);
  }
}

function mapKeyFromJson(t: MapKeyType, key: string, what: string): string {
  if (t === 'string') return key;
  if (t === 'bool') {
    if (key !== 'true' && key !== 'false') fail(`${what}: map key ${JSON.stringify(key)} is not a bool`);
    return key;
  }
  // Validate, then keep the canonical decimal form as the object key.
  return String(scalarFromJson(t, key, `${what} key`));
}

function readMessage(type: MessageType, json: unknown, ctx: ReadCtx, what: string): any {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    fail(`${what}: expected an object for ${type.fullName}, got ${JSON.stringify(json)}`);
  }
  if (++ctx.depth > ctx.max) fail(`${what}: nesting deeper than ${ctx.max} levels`);
  const m = type.create();
  const seen = new Set<FieldInfo>();
  const oneofs = new Map<string, FieldInfo>();
  for (const key of Object.keys(json)) {
    const f = type.fieldByJsonKey(key);
    if (f === undefined) {
      if (ctx.opts?.ignoreUnknownFields) continue;
      fail(`${what}: ${type.fullName} has no field ${JSON.stringify(key)}`);
    }
    if (seen.has(f)) fail(`${what}: field ${f.name} appears twice`);
    seen.add(f);
    const v = (json as Record<string, unknown>)[key];
    if (v === null) continue;
    const path = `${what}.${f.jsonName}`;
    if (f.oneof !== undefined) {
      const other = oneofs.get(f.oneof);
      if (other) fail(`${path}: oneof ${f.oneof} already has ${other.jsonName}`);
      oneofs.set(f.oneof, f);
    }
    if (f.kind === 'map') {
      if (typeof v !== 'object' || Array.isArray(v)) fail(`${path}: expected an object`);
      const obj = m[f.localName];
      for (const k of Object.keys(v)) {
        const x = (v as Record<string, unknown>)[k];
        if (x === null && f.value.kind !== 'message') fail(`${path}["${k}"]: null map value`);
        obj[mapKeyFromJson(f.mapKey!, k, path)] = valueFromJson(f.value, x, `${path}["${k}"]`, ctx);
      }
    } else if (f.repeated) {
      if (!Array.isArray(v)) fail(`${path}: expected an array`);
      const arr = m[f.localName];
      v.forEach((x, i) => {
        const y = valueFromJson(f.value, x, `${path}[${i}]`, ctx);
        if (y !== undefined) arr.push(y);
      });
    } else {
      const y = valueFromJson(f.value, v, path, ctx);
      if (y !== undefined) m[f.localName] = y;
    }
  }
  ctx.depth--;
  return m;
}

export function messageFromJson(type: MessageType, json: unknown, opts?: JsonReadOptions): unknown {
  return readMessage(type, json, { opts, depth: 0, max: opts?.maxDepth ?? 100 }, type.name);
}
