/**
 * Schemas written in TypeScript, with the message type inferred:
 *
 *   const Color = defineEnum('demo.Color', { COLOR_UNSPECIFIED: 0, RED: 1 });
 *   const Point = defineMessage('demo.Point', {
 *     x: { no: 1, type: 'int32' },
 *     label: { no: 2, type: 'string', optional: true },
 *     tags: { no: 3, type: 'string', repeated: true },
 *     color: { no: 4, type: Color },
 *     counts: { no: 5, type: 'map', key: 'string', value: 'int64' },
 *   });
 *   type Point = MessageOf<typeof Point>;
 *   // { x: number; tags: string[]; color: number; counts: Record<string, bigint>; label?: string }
 *
 * Keys are the property names (lowerCamelCase); the .proto name defaults to
 * snake_case of the key and can be given as `name`. A message-typed field
 * refers to another type directly or through a thunk (`() => Tree`) for
 * recursive types (then annotate the thunk's return type: TypeScript cannot
 * infer through a cycle). These build the same descriptors the .proto
 * parser does.
 */
import { ProtobufError } from './errors.js';
import { MessageType } from './message.js';
import {
  EnumType,
  type FieldInfo,
  MAP_KEY_TYPES,
  type MapKeyType,
  SCALAR_TYPES,
  type ScalarType,
  type ValueInfo,
  scalarWireType,
} from './schema.js';
import { MAX_FIELD_NUMBER } from './wire.js';

/** JavaScript types of the scalars. */
export interface ScalarValues {
  double: number;
  float: number;
  int32: number;
  uint32: number;
  sint32: number;
  fixed32: number;
  sfixed32: number;
  int64: bigint;
  uint64: bigint;
  sint64: bigint;
  fixed64: bigint;
  sfixed64: bigint;
  bool: boolean;
  string: string;
  bytes: Uint8Array;
}

export type ValueSpec = ScalarType | EnumType | MessageType<any> | (() => MessageType<any>);

export interface FieldSpec {
  no: number;
  type: ValueSpec | 'map';
  /** Map key type, with `type: 'map'`. */
  key?: MapKeyType;
  /** Map value type, with `type: 'map'`. */
  value?: ValueSpec;
  repeated?: boolean;
  /** proto3 `optional`: explicit presence, undefined when absent. */
  optional?: boolean;
  oneof?: string;
  packed?: boolean;
  /** The .proto field name (default: snake_case of the key). */
  name?: string;
  jsonName?: string;
}

type ValueOf<V> = V extends ScalarType
  ? ScalarValues[V]
  : V extends EnumType
    ? number
    : V extends MessageType<infer T>
      ? T
      : V extends () => infer R
        ? 0 extends 1 & R // a thunk typed `(): any => X` (recursion) gives `any`
          ? any
          : R extends MessageType<infer T>
            ? T
            : never
        : never;

type IsMessage<V> = V extends MessageType<any> ? true : V extends () => MessageType<any> ? true : false;

type FieldValue<S extends FieldSpec> = S['type'] extends 'map'
  ? Record<string, ValueOf<S['value']>>
  : S extends { repeated: true }
    ? ValueOf<S['type']>[]
    : ValueOf<S['type']>;

type IsOptional<S extends FieldSpec> = S extends { optional: true }
  ? true
  : S extends { oneof: string }
    ? true
    : S extends { repeated: true }
      ? false
      : S['type'] extends 'map'
        ? false
        : IsMessage<S['type']>;

type Simplify<T> = { [K in keyof T]: T[K] } & {};

/** The message object type a field spec record describes. */
export type InferMessage<F extends Record<string, FieldSpec>> = Simplify<
  { -readonly [K in keyof F as IsOptional<F[K]> extends true ? never : K]: FieldValue<F[K]> } & {
    -readonly [K in keyof F as IsOptional<F[K]> extends true ? K : never]?: FieldValue<F[K]>;
  }
>;

/** The message type of a MessageType: `type Point = MessageOf<typeof Point>`. */
export type MessageOf<M> = M extends MessageType<infer T> ? T : never;

function toSnake(key: string): string {
  let out = '';
  for (const ch of key) out += ch >= 'A' && ch <= 'Z' ? '_' + ch.toLowerCase() : ch;
  return out;
}

function valueInfo(v: ValueSpec | undefined, where: string): ValueInfo {
  if (typeof v === 'string') {
    if (!SCALAR_TYPES.has(v)) throw new ProtobufError('BAD_VALUE', `${where}: unknown scalar type ${JSON.stringify(v)}`);
    return { kind: 'scalar', scalar: v };
  }
  if (v instanceof EnumType) return { kind: 'enum', scalar: 'int32', enumType: v };
  if (v instanceof MessageType) return { kind: 'message', scalar: 'bytes', messageType: v };
  if (typeof v === 'function') {
    const t = v();
    if (!(t instanceof MessageType)) throw new ProtobufError('BAD_VALUE', `${where}: the thunk did not return a MessageType`);
    return { kind: 'message', scalar: 'bytes', messageType: t };
  }
  throw new ProtobufError('BAD_VALUE', `${where}: no type`);
}

/** Define a message type in TypeScript; the result's type parameter is the inferred message shape. */
export function defineMessage<const F extends Record<string, FieldSpec>>(fullName: string, fields: F): MessageType<InferMessage<F>> {
  const keys = Object.keys(fields);
  for (const key of keys) {
    if (key === '__proto__' || key === 'constructor' || key === 'prototype') {
      throw new ProtobufError('BAD_VALUE', `${fullName}: ${JSON.stringify(key)} cannot be a field name`);
    }
  }
  const numbers = new Set<number>();
  for (const key of keys) {
    const no = fields[key].no;
    if (!Number.isInteger(no) || no < 1 || no > MAX_FIELD_NUMBER || numbers.has(no)) {
      throw new ProtobufError('BAD_VALUE', `${fullName}.${key}: field number ${no} is invalid or used twice`);
    }
    numbers.add(no);
  }
  // Resolved on first use, so thunks may refer to types defined later.
  return new MessageType(fullName, () =>
    keys.map((key): FieldInfo => {
      const s = fields[key];
      const where = `${fullName}.${key}`;
      const isMap = s.type === 'map';
      if (isMap && (s.key === undefined || !MAP_KEY_TYPES.has(s.key))) {
        throw new ProtobufError('BAD_VALUE', `${where}: map needs a key type, one of ${[...MAP_KEY_TYPES].join(', ')}`);
      }
      const value = valueInfo(isMap ? s.value : (s.type as ValueSpec), where);
      const repeated = !!s.repeated || isMap;
      const packable = !isMap && value.kind !== 'message' && scalarWireType(value.scalar) !== 2;
      return {
        no: s.no,
        name: s.name ?? toSnake(key),
        localName: key,
        jsonName: s.jsonName ?? key,
        kind: isMap ? 'map' : value.kind,
        value,
        repeated,
        packed: !!s.repeated && packable && (s.packed ?? true),
        optional: !repeated && (!!s.optional || s.oneof !== undefined || value.kind === 'message'),
        ...(isMap ? { mapKey: s.key } : {}),
        ...(s.oneof !== undefined ? { oneof: s.oneof } : {}),
      };
    }),
  );
}

/** Define an enum in TypeScript: `defineEnum('pkg.Kind', { KIND_UNSPECIFIED: 0, KIND_A: 1 })`. */
export function defineEnum(fullName: string, values: Record<string, number>): EnumType {
  return new EnumType(
    fullName,
    Object.keys(values).map((name) => ({ name, number: values[name] })),
  );
}
