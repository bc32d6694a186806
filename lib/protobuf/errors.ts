/**
 * The one error type of protobuf-lite, with a stable string `code`:
 *
 *   DecodeError (extends ProtobufError)  bytes that are not a valid message;
 *                                        `offset` is the byte where decoding failed.
 *   ProtoSyntaxError (extends ProtobufError)  a .proto file that does not parse or
 *                                        resolve; names `file`, `line`, `column`.
 *   ProtobufError                        anything else: a value that cannot be
 *                                        encoded, JSON that does not fit the schema,
 *                                        an unknown type name.
 *
 * Codes:
 *   TRUNCATED         the input ends inside a tag, varint, fixed value or length
 *   VARINT_TOO_LONG   a varint longer than 10 bytes (64 bits)
 *   BAD_LENGTH        a length-delimited field longer than the bytes left
 *   BAD_WIRE_TYPE     wire type 6 or 7, or a wire type the field cannot have
 *   BAD_FIELD_NUMBER  field number 0
 *   BAD_GROUP         an end-group tag without its start, or a group never closed
 *   BAD_UTF8          a string field that is not valid UTF-8
 *   TOO_DEEP          nesting deeper than the depth limit (default 100)
 *   SYNTAX            .proto text that does not parse
 *   UNRESOLVED        a type name in a .proto that names nothing
 *   UNKNOWN_TYPE      lookupType() of a name that is not loaded
 *   BAD_VALUE         a message value that cannot be encoded
 *   BAD_JSON          JSON input that does not fit the message (unknown name, bad value)
 */
export type ProtobufErrorCode =
  | 'TRUNCATED'
  | 'VARINT_TOO_LONG'
  | 'BAD_LENGTH'
  | 'BAD_WIRE_TYPE'
  | 'BAD_FIELD_NUMBER'
  | 'BAD_GROUP'
  | 'BAD_UTF8'
  | 'TOO_DEEP'
  | 'SYNTAX'
  | 'UNRESOLVED'
  | 'UNKNOWN_TYPE'
  | 'BAD_VALUE'
  | 'BAD_JSON';

export class ProtobufError extends Error {
  readonly code: ProtobufErrorCode;

  constructor(code: ProtobufErrorCode, message: string) {
    super(message);
    this.name = 'ProtobufError';
    this.code = code;
  }
}

/** Bytes that do not decode. The message ends with "at byte N". */
export class DecodeError extends ProtobufError {
  readonly offset: number;

  constructor(code: ProtobufErrorCode, message: string, offset: number) {
    super(code, `${message} at byte ${offset}`);
    this.name = 'DecodeError';
    this.offset = offset;
  }
}

/** A .proto file that does not parse: "file:line:column: reason". */
export class ProtoSyntaxError extends ProtobufError {
  readonly file: string;
  readonly line: number;
  readonly column: number;

  constructor(message: string, file: string, line: number, column: number, code: ProtobufErrorCode = 'SYNTAX') {
    super(code, `${file}:${line}:${column}: ${message}`);
    this.name = 'ProtoSyntaxError';
    this.file = file;
    this.line = line;
    this.column = column;
  }
}
