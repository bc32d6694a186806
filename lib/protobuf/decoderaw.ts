/**
 * Schema-less decoding: the field tree that the wire format alone reveals.
 *
 * Without a schema a record says only its field number and wire type. A
 * VARINT could be any of int32/int64/uint/sint/bool/enum; an I32 a fixed32,
 * sfixed32 or float; a LEN a string, bytes, a packed run or a sub-message.
 * decodeRaw() keeps the raw values; the two printers choose a reading:
 *
 * - formatDecodeRaw(): exactly `protoc --decode_raw`: varints as unsigned
 *   decimal, I32/I64 as 0x-hex, groups in braces, and a non-empty LEN that
 *   parses as a message shown as one in braces — down to 10 levels, like
 *   protoc's printer — otherwise as a C-escaped quoted string.
 * - annotate(): the learner's view: one line per field with its byte
 *   offset, tag bytes in hex, field number, wire type name and value(s).
 *
 * Malformed input (truncation, wire types 6/7, field 0, a stray end-group,
 * groups nested deeper than 100) throws DecodeError naming the byte offset.
 */
import { readVarint64 } from '../bytes/index.js';
import { DecodeError } from './errors.js';
import { DEFAULT_MAX_DEPTH, Reader, WIRE_TYPE_NAMES, WireType, asDecodeError } from './wire.js';

export interface RawField {
  no: number;
  wireType: number;
  /** Offset of the tag's first byte in the decoded buffer. */
  offset: number;
  /** The tag's bytes. */
  tag: Uint8Array;
  /** VARINT and I64: unsigned 64-bit value; I32: unsigned 32-bit value (as bigint). */
  value?: bigint;
  /** LEN: the payload (a view into the input). */
  bytes?: Uint8Array;
  /** Offset of a LEN payload's first byte. */
  bytesOffset?: number;
  /** SGROUP: the fields inside the group. */
  group?: RawField[];
}

/** protoc's printer shows LEN fields as messages only down to this depth. */
const PRINT_DEPTH = 10;

function readFields(r: Reader, endGroup: number, groupStart: number): RawField[] {
  const fields: RawField[] = [];
  const buf = r.buf;
  while (r.pos < r.limit) {
    const offset = r.pos;
    const tag = r.tag();
    const tagBytes = buf.subarray(offset, r.pos);
    const no = tag >>> 3;
    const wt = tag & 7;
    switch (wt) {
      case WireType.VARINT:
        fields.push({ no, wireType: wt, offset, tag: tagBytes, value: readVarint64(buf, r, r.limit) });
        break;
      case WireType.I64:
        fields.push({ no, wireType: wt, offset, tag: tagBytes, value: r.fixed64() });
        break;
      case WireType.I32:
        fields.push({ no, wireType: wt, offset, tag: tagBytes, value: BigInt(r.fixed32()) });
        break;
      case WireType.LEN: {
        const n = r.length();
        fields.push({ no, wireType: wt, offset, tag: tagBytes, bytes: buf.subarray(r.pos, r.pos + n), bytesOffset: r.pos });
        r.pos += n;
        break;
      }
      case WireType.SGROUP: {
        if (++r.depth > r.maxDepth) throw new DecodeError('TOO_DEEP', `nesting deeper than ${r.maxDepth} levels`, offset);
        const group = readFields(r, no, offset);
        r.depth--;
        fields.push({ no, wireType: wt, offset, tag: tagBytes, group });
        break;
      }
      case WireType.EGROUP:
        if (no !== endGroup) throw new DecodeError('BAD_GROUP', `end-group tag for field ${no} without its start`, offset);
        return fields;
      default:
        throw new DecodeError('BAD_WIRE_TYPE', `wire type ${wt} does not exist`, offset);
    }
  }
  if (endGroup !== 0) throw new DecodeError('BAD_GROUP', `group ${endGroup} is never closed`, groupStart);
  return fields;
}

/** Decode bytes into raw fields, no schema. Throws DecodeError. `base` shifts reported offsets. */
export function decodeRaw(bytes: Uint8Array, opts: { maxDepth?: number; base?: number } = {}): RawField[] {
  const r = new Reader(bytes, opts.maxDepth ?? DEFAULT_MAX_DEPTH);
  try {
    const fields = readFields(r, 0, 0);
    if (opts.base) shift(fields, opts.base);
    return fields;
  } catch (err) {
    const e = asDecodeError(err);
    if (opts.base && e instanceof DecodeError) throw new DecodeError(e.code, e.message.replace(/ at byte \d+$/, ''), e.offset + opts.base);
    throw e;
  }
}

function shift(fields: RawField[], base: number): void {
  for (const f of fields) {
    f.offset += base;
    if (f.bytesOffset !== undefined) f.bytesOffset += base;
    if (f.group) shift(f.group, base);
  }
}

/** A LEN payload read as a message, if it is one (non-empty, every byte a well-formed field). */
function asMessage(bytes: Uint8Array, base: number, depth: number): RawField[] | undefined {
  if (bytes.length === 0) return undefined;
  try {
    return decodeRaw(bytes, { base, maxDepth: Math.max(0, DEFAULT_MAX_DEPTH - depth) });
  } catch {
    return undefined;
  }
}

/** C-style escaping as protoc's CEscape: \n \r \t \" \' \\, other bytes outside 0x20..0x7e as 3-digit octal. */
export function cEscape(bytes: Uint8Array): string {
  let out = '';
  for (const b of bytes) {
    switch (b) {
      case 0x0a: out += '\\n'; break;
      case 0x0d: out += '\\r'; break;
      case 0x09: out += '\\t'; break;
      case 0x22: out += '\\"'; break;
      case 0x27: out += "\\'"; break;
      case 0x5c: out += '\\\\'; break;
      default:
        out += b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '\\' + b.toString(8).padStart(3, '0');
    }
  }
  return out;
}

/** `protoc --decode_raw` text for these fields (each line ends with a newline). */
export function formatDecodeRaw(fields: RawField[]): string {
  const lines: string[] = [];
  const print = (list: RawField[], indent: string, budget: number, depth: number): void => {
    for (const f of list) {
      switch (f.wireType) {
        case WireType.VARINT:
          lines.push(`${indent}${f.no}: ${f.value}`);
          break;
        case WireType.I32:
          lines.push(`${indent}${f.no}: 0x${f.value!.toString(16).padStart(8, '0')}`);
          break;
        case WireType.I64:
          lines.push(`${indent}${f.no}: 0x${f.value!.toString(16).padStart(16, '0')}`);
          break;
        case WireType.SGROUP:
          lines.push(`${indent}${f.no} {`);
          print(f.group!, indent + '  ', budget - 1, depth + 1);
          lines.push(`${indent}}`);
          break;
        default: {
          const inner = budget > 0 ? asMessage(f.bytes!, f.bytesOffset!, depth + 1) : undefined;
          if (inner) {
            lines.push(`${indent}${f.no} {`);
            print(inner, indent + '  ', budget - 1, depth + 1);
            lines.push(`${indent}}`);
          } else lines.push(`${indent}${f.no}: "${cEscape(f.bytes!)}"`);
        }
      }
    }
  };
  print(fields, '', PRINT_DEPTH, 0);
  return lines.map((l) => l + '\n').join('');
}

const f32 = new Float32Array(1);
const u32 = new Uint32Array(f32.buffer);
const f64 = new Float64Array(1);
const u64 = new BigUint64Array(f64.buffer);

function hexBytes(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join(' ');
}

/** Readings of a value that a schema could choose between. */
function readings(f: RawField): string {
  const v = f.value!;
  switch (f.wireType) {
    case WireType.VARINT: {
      const parts = [`${v}`];
      const signed = BigInt.asIntN(64, v);
      if (signed < 0n) parts.push(`int64 ${signed}`);
      const zz = (v >> 1n) ^ -(v & 1n);
      if (zz !== v) parts.push(`sint ${zz}`);
      return parts.length > 1 ? `${parts[0]} (${parts.slice(1).join(', ')})` : parts[0];
    }
    case WireType.I32: {
      u32[0] = Number(v);
      return `0x${v.toString(16).padStart(8, '0')} (fixed32 ${v}, sfixed32 ${u32[0] | 0}, float ${f32[0]})`;
    }
    default: {
      u64[0] = v;
      return `0x${v.toString(16).padStart(16, '0')} (fixed64 ${v}, sfixed64 ${BigInt.asIntN(64, v)}, double ${f64[0]})`;
    }
  }
}

/**
 * The learner's view: one line per field,
 *
 *   offset  tag bytes  field  wire type  value
 *
 * nested messages and groups indented under their field. A LEN payload is
 * shown as a message when it parses as one (to 10 levels), else as a string
 * when it is valid UTF-8, else as hex.
 */
export function annotate(fields: RawField[]): string {
  const rows: string[][] = [['offset', 'tag', 'field', 'wire type', 'value']];
  const walk = (list: RawField[], indent: string, budget: number, depth: number): void => {
    for (const f of list) {
      const row = [String(f.offset), hexBytes(f.tag), indent + String(f.no), WIRE_TYPE_NAMES[f.wireType]];
      if (f.wireType === WireType.SGROUP) {
        rows.push([...row, `group of ${f.group!.length} field(s)`]);
        walk(f.group!, indent + '  ', budget - 1, depth + 1);
        continue;
      }
      if (f.wireType !== WireType.LEN) {
        rows.push([...row, readings(f)]);
        continue;
      }
      const bytes = f.bytes!;
      const inner = budget > 0 ? asMessage(bytes, f.bytesOffset!, depth + 1) : undefined;
      if (inner) {
        rows.push([...row, `${bytes.length} bytes: message of ${inner.length} field(s)`]);
        walk(inner, indent + '  ', budget - 1, depth + 1);
        continue;
      }
      let text: string | undefined;
      try {
        text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
      } catch {
        text = undefined;
      }
      const shown = text !== undefined ? JSON.stringify(text) : `hex ${hexBytes(bytes)}`;
      rows.push([...row, `${bytes.length} bytes: ${shown}`]);
    }
  };
  walk(fields, '', PRINT_DEPTH, 0);
  const widths = [0, 1, 2, 3].map((i) => Math.max(...rows.map((r) => r[i].length)));
  return rows
    .map((r) => [r[0].padStart(widths[0]), r[1].padEnd(widths[1]), r[2].padEnd(widths[2]), r[3].padEnd(widths[3]), r[4]].join('  ').trimEnd() + '\n')
    .join('');
}
