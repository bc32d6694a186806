/**
 * Runtime descriptors: what a message, an enum and a service look like once
 * their names are resolved. Both ways of describing a schema end here —
 * `defineMessage()` in TypeScript (define.ts) and `.proto` text
 * (parser.ts -> root.ts) — and the codecs are built from these alone.
 *
 * Scalar value types and the JavaScript values that carry them:
 *
 *   double float int32 uint32 sint32 fixed32 sfixed32   number
 *   int64 uint64 sint64 fixed64 sfixed64                 bigint
 *   bool                                                 boolean
 *   string                                               string
 *   bytes                                                Uint8Array
 *   enum                                                 number (open: unknown numbers kept)
 */
import type { MessageType } from './message.js';

export type ScalarType =
  | 'double'
  | 'float'
  | 'int32'
  | 'uint32'
  | 'sint32'
  | 'fixed32'
  | 'sfixed32'
  | 'int64'
  | 'uint64'
  | 'sint64'
  | 'fixed64'
  | 'sfixed64'
  | 'bool'
  | 'string'
  | 'bytes';

/** Map keys: any integral or string scalar (language guide, "Maps"). */
export type MapKeyType = Exclude<ScalarType, 'double' | 'float' | 'bytes'>;

export const SCALAR_TYPES: ReadonlySet<string> = new Set<ScalarType>([
  'double', 'float', 'int32', 'uint32', 'sint32', 'fixed32', 'sfixed32',
  'int64', 'uint64', 'sint64', 'fixed64', 'sfixed64', 'bool', 'string', 'bytes',
]);

export const MAP_KEY_TYPES: ReadonlySet<string> = new Set<MapKeyType>([
  'int32', 'uint32', 'sint32', 'fixed32', 'sfixed32',
  'int64', 'uint64', 'sint64', 'fixed64', 'sfixed64', 'bool', 'string',
]);

export function is64Bit(t: ScalarType): boolean {
  return t === 'int64' || t === 'uint64' || t === 'sint64' || t === 'fixed64' || t === 'sfixed64';
}

/** The wire type a scalar travels as (encoding guide, "Message Structure"). */
export function scalarWireType(t: ScalarType): number {
  switch (t) {
    case 'double':
    case 'fixed64':
    case 'sfixed64':
      return 1;
    case 'float':
    case 'fixed32':
    case 'sfixed32':
      return 5;
    case 'string':
    case 'bytes':
      return 2;
    default:
      return 0;
  }
}

/** A value slot: a field's element type, or a map's value type. */
export interface ValueInfo {
  readonly kind: 'scalar' | 'enum' | 'message';
  /** For 'scalar' the type; 'int32' for enums; 'bytes' for messages (how they travel). */
  readonly scalar: ScalarType;
  readonly enumType?: EnumType;
  readonly messageType?: MessageType;
}

export interface FieldInfo {
  /** Field number, 1 .. 2^29 - 1. */
  readonly no: number;
  /** Name as in the .proto file (snake_case usually). */
  readonly name: string;
  /** Property name on message objects: lowerCamelCase of `name`. */
  readonly localName: string;
  /** Name in proto3 JSON: `json_name`, or lowerCamelCase of `name`. */
  readonly jsonName: string;
  readonly kind: 'scalar' | 'enum' | 'message' | 'map';
  /** Element type (for maps: the value type). */
  readonly value: ValueInfo;
  readonly mapKey?: MapKeyType;
  readonly repeated: boolean;
  /** Repeated scalars are written packed (proto3 default; `[packed = false]` turns it off). */
  readonly packed: boolean;
  /** Explicit presence: proto3 `optional`, oneof members and message fields are undefined when absent. */
  readonly optional: boolean;
  /** Name of the oneof this field belongs to. */
  readonly oneof?: string;
}

/**
 * lowerCamelCase as protoc computes JSON names: each underscore is dropped
 * and the letter after it upper-cased ("foo_bar" -> "fooBar", "__proto__" ->
 * "Proto"). A result can therefore never be "__proto__".
 */
export function toLowerCamel(name: string): string {
  let out = '';
  let upper = false;
  for (const ch of name) {
    if (ch === '_') upper = true;
    else if (upper) {
      out += ch.toUpperCase();
      upper = false;
    } else out += ch;
  }
  return out;
}

export interface EnumValueInfo {
  readonly name: string;
  readonly number: number;
}

export class EnumType {
  readonly fullName: string;
  readonly name: string;
  readonly values: readonly EnumValueInfo[];
  private readonly byName = new Map<string, number>();
  private readonly byNumber = new Map<number, string>();

  constructor(fullName: string, values: readonly EnumValueInfo[]) {
    this.fullName = fullName;
    this.name = fullName.slice(fullName.lastIndexOf('.') + 1);
    this.values = values;
    for (const v of values) {
      if (!this.byName.has(v.name)) this.byName.set(v.name, v.number);
      // With allow_alias the first name of a number is its canonical name.
      if (!this.byNumber.has(v.number)) this.byNumber.set(v.number, v.name);
    }
  }

  /** The number of a value name, or undefined. */
  numberOf(name: string): number | undefined {
    return this.byName.get(name);
  }

  /** The (first) name of a number, or undefined for numbers the enum does not list. */
  nameOf(number: number): string | undefined {
    return this.byNumber.get(number);
  }
}

export interface MethodDescriptor {
  name: string;
  requestType: MessageType;
  responseType: MessageType;
  clientStreaming: boolean;
  serverStreaming: boolean;
}

export interface ServiceDescriptor {
  /** "pkg.Service" */
  fullName: string;
  /** "Service" */
  name: string;
  methods: MethodDescriptor[];
}
