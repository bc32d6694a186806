/**
 * `barewire protobuf encode | decode | decode-raw`, exactly as
 * shared/INTEROP.md §protobuf fixes them.
 *
 *   encode      proto3 JSON on stdin  -> binary on stdout   (--proto, --type)
 *   decode      binary on stdin       -> one line of canonical proto3 JSON
 *   decode-raw  binary on stdin       -> `protoc --decode_raw` text, or with
 *               --annotate one line per field (offset, tag bytes, field, wire type, value)
 *
 * Exit 0 on success; 1 with one line on stderr for malformed input (naming
 * the byte offset), JSON that does not fit the type, or a .proto that does
 * not load (file:line:column); 2 for a usage error.
 */
import { CliError, UsageError, listFlag, stringFlag, type ParsedArgs, type ProtocolCommand, type Verb } from '../cli/command.js';
import { decodeRaw, formatDecodeRaw, annotate } from './decoderaw.js';
import { DecodeError, ProtobufError } from './errors.js';
import type { MessageType } from './message.js';
import { loadProtoFiles } from './root.js';

/** Input larger than this is refused (bounded memory). */
export const MAX_INPUT_BYTES = 64 * 1024 * 1024;

async function readStdin(): Promise<Uint8Array> {
  const chunks: Buffer[] = [];
  let total = 0;
  for await (const chunk of process.stdin) {
    total += (chunk as Buffer).length;
    if (total > MAX_INPUT_BYTES) throw new CliError(`input over the ${MAX_INPUT_BYTES} byte limit`);
    chunks.push(chunk as Buffer);
  }
  return new Uint8Array(Buffer.concat(chunks));
}

function write(data: string | Uint8Array): Promise<void> {
  return new Promise((resolve, reject) => process.stdout.write(data, (err) => (err ? reject(err) : resolve())));
}

function loadType(args: ParsedArgs): MessageType {
  const proto = stringFlag(args, 'proto');
  const type = stringFlag(args, 'type');
  if (!proto) throw new UsageError('--proto FILE.proto is required');
  if (!type) throw new UsageError('--type pkg.Message is required');
  try {
    return loadProtoFiles(proto, { includeDirs: listFlag(args, 'proto_path') }).lookupType(type);
  } catch (err) {
    if (err instanceof ProtobufError) throw new CliError(err.message);
    /* c8 ignore next */
    throw err;
  }
}

function malformed(err: unknown): never {
  if (err instanceof DecodeError) throw new CliError(`malformed input: ${err.message}`);
  /* c8 ignore next */
  throw err;
}

const schemaOptions = {
  proto: { type: 'string' },
  proto_path: { type: 'string', multiple: true },
  type: { type: 'string' },
} as const;

const schemaUsage = `  --proto FILE.proto   the .proto file that defines the type
  --proto_path DIR     where imports are looked for (repeatable; then the importing file's directory)
  --type pkg.Message   the full name of the message type
`;

const encode: Verb = {
  summary: 'proto3 JSON on stdin -> binary wire form on stdout',
  usage: `usage: barewire protobuf encode --proto FILE.proto [--proto_path DIR]... --type pkg.Message

  Reads one message in the proto3 JSON mapping on stdin and writes its binary
  wire form on stdout. Unknown field names and out-of-range values are refused
  (exit 1).

${schemaUsage}`,
  options: schemaOptions,
  async run(args) {
    const type = loadType(args);
    const text = Buffer.from(await readStdin()).toString('utf8');
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (err) {
      throw new CliError(`input is not JSON: ${(err as Error).message}`);
    }
    let bytes: Uint8Array;
    try {
      bytes = type.encode(type.fromJson(json));
    } catch (err) {
      if (err instanceof ProtobufError) throw new CliError(err.message);
      /* c8 ignore next */
      throw err;
    }
    await write(bytes);
    return 0;
  },
};

const decode: Verb = {
  summary: 'binary on stdin -> one line of canonical proto3 JSON on stdout',
  usage: `usage: barewire protobuf decode --proto FILE.proto [--proto_path DIR]... --type pkg.Message

  Reads a binary message on stdin and writes one line of canonical proto3 JSON:
  lowerCamelCase names (or json_name), default values omitted, 64-bit integers
  as strings, bytes as base64, enums by name (unknown numbers as numbers).
  Unknown fields are skipped. Malformed input (invalid UTF-8 in a string
  included) exits 1 naming the byte offset.

${schemaUsage}`,
  options: schemaOptions,
  async run(args) {
    const type = loadType(args);
    const bytes = await readStdin();
    let msg: unknown;
    try {
      msg = type.decode(bytes);
    } catch (err) {
      malformed(err);
    }
    await write(JSON.stringify(type.toJson(msg)) + '\n');
    return 0;
  },
};

const decodeRawVerb: Verb = {
  summary: 'binary on stdin, no schema -> the field tree (protoc --decode_raw format)',
  usage: `usage: barewire protobuf decode-raw [--annotate]

  Reads a binary message on stdin and prints its field tree exactly as
  protoc --decode_raw does: varints in decimal, fixed32/fixed64 in hex,
  length-delimited fields that parse as messages in braces (10 levels deep at
  most), others as quoted C-escaped strings.

  --annotate   the learner's view instead: one line per field with its byte
               offset, tag bytes in hex, field number, wire type and value
`,
  options: { annotate: { type: 'boolean' } },
  async run(args) {
    const bytes = await readStdin();
    let fields;
    try {
      fields = decodeRaw(bytes);
    } catch (err) {
      malformed(err);
    }
    await write(args.values.annotate ? annotate(fields) : formatDecodeRaw(fields));
    return 0;
  },
};

export const command: ProtocolCommand = {
  summary: 'protobuf-lite: proto3 binary codec, .proto parser, proto3 JSON',
  verbs: { encode, decode, 'decode-raw': decodeRawVerb },
};
