/**
 * barewire/protobuf — protobuf-lite: the proto3 binary codec, a .proto
 * parser and the proto3 JSON mapping, from scratch, with no dependencies.
 *
 * Public API (stable; lib/grpc builds on it):
 *
 *   loadProtoFiles(files: string | string[], opts?: { includeDirs?: string[] }): Root
 *       sync; parses .proto files and their imports (each import looked up in
 *       includeDirs, then next to the importing file)
 *   parseProto(source: string, filename?: string): FileDecl   one file, names unresolved
 *   new Root(files: FileDecl[])                                resolve parsed files yourself
 *   class Root {
 *     lookupType<T>(fullName): MessageType<T>     "pkg.Message" (a leading "." is allowed)
 *     lookupEnum(fullName): EnumType
 *     lookupService(fullName): ServiceDescriptor
 *   }
 *   class MessageType<T = any> {
 *     readonly fullName: string; readonly name: string; readonly fields: readonly FieldInfo[]
 *     encode(msg: T): Uint8Array          throws ProtobufError BAD_VALUE for values that do not fit
 *     decode(bytes: Uint8Array, opts?: { maxDepth?: number }): T   throws only DecodeError
 *     create(init?: Partial<T>): T        all fields at their defaults, then init's known fields
 *     toJson(msg: T): unknown             canonical proto3 JSON (ready for JSON.stringify)
 *     fromJson(json: unknown): T          strict: unknown names and out-of-range values throw BAD_JSON
 *   }
 *   interface ServiceDescriptor { fullName: string; name: string; methods: MethodDescriptor[] }
 *   interface MethodDescriptor { name: string; requestType: MessageType; responseType: MessageType;
 *                                clientStreaming: boolean; serverStreaming: boolean }
 *   class ProtobufError extends Error { code }     the one error type; subclasses:
 *   class DecodeError extends ProtobufError { offset: number }   bytes that do not decode
 *   class ProtoSyntaxError extends ProtobufError { file; line; column }
 *   defineMessage(fullName, fields) / defineEnum(fullName, values)   schemas in TypeScript,
 *       message type inferred: `type Point = MessageOf<typeof Point>`
 *   unknownFields: symbol     raw unknown records kept on a decoded message, written back by encode
 *
 * Message objects:
 *   - properties are the lowerCamelCase field names ("user_id" -> userId)
 *   - int32/uint32/sint32/fixed32/sfixed32/float/double: number
 *   - int64/uint64/sint64/fixed64/sfixed64: bigint (encode also takes safe-integer numbers)
 *   - bool: boolean; string: string; bytes: Uint8Array; enums: number (open: unknown numbers kept)
 *   - repeated: arrays; maps: null-prototype objects keyed by the key as a string
 *     (bool keys "true"/"false", integer keys in decimal)
 *   - sub-messages, proto3 `optional` fields and oneof members: undefined when absent
 *     (a oneof is its member fields; at most one is set)
 *   - decoded messages have every field present: scalars at their defaults
 *     (0, 0n, "", false, empty Uint8Array), empty arrays and maps
 */
export { ProtobufError, DecodeError, ProtoSyntaxError, type ProtobufErrorCode } from './errors.js';
export { MessageType, type DecodeOptions } from './message.js';
export { Root, loadProtoFiles, type LoadOptions } from './root.js';
export {
  parseProto,
  type FileDecl,
  type MessageDecl,
  type FieldDecl,
  type EnumDecl,
  type EnumValueDecl,
  type ServiceDecl,
  type MethodDecl,
} from './parser.js';
export {
  EnumType,
  type EnumValueInfo,
  type FieldInfo,
  type ValueInfo,
  type ScalarType,
  type MapKeyType,
  type ServiceDescriptor,
  type MethodDescriptor,
} from './schema.js';
export { defineMessage, defineEnum, type FieldSpec, type ValueSpec, type InferMessage, type MessageOf, type ScalarValues } from './define.js';
export { unknownFields } from './decode.js';
export { type JsonReadOptions, type JsonWriteOptions } from './json.js';
export { WireType, DEFAULT_MAX_DEPTH, MAX_FIELD_NUMBER } from './wire.js';
export { decodeRaw, formatDecodeRaw, annotate, type RawField } from './decoderaw.js';
