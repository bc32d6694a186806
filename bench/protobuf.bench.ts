/**
 * protobuf-lite encode/decode throughput against protobufjs and
 * @bufbuild/protobuf, in one process, interleaved round by round:
 *
 *   node --import tsx bench/run.ts protobuf
 *
 * Two messages: a small flat one (7 scalar fields) and a nested one (an
 * order with a customer, 20 line items with strings and repeated labels, a
 * packed repeated int32). All three libraries load the same .proto text
 * (protobufjs parses it itself; @bufbuild/protobuf gets a FileDescriptorProto
 * built from our parsed declarations), and encode the same values: 64-bit
 * fields are bigint for barewire and @bufbuild, Long-compatible strings
 * converted once up front for protobufjs.
 */
import { create, createFileRegistry, fromBinary, toBinary, type DescMessage } from '@bufbuild/protobuf';
import { FileDescriptorProtoSchema } from '@bufbuild/protobuf/wkt';
import protobufjs from 'protobufjs';
import { Root, parseProto, type FileDecl } from '../lib/protobuf/index.js';
import { compare } from './harness.js';

const PROTO = `
syntax = "proto3";
package bench;

enum Status { STATUS_UNSPECIFIED = 0; ACTIVE = 1; SUSPENDED = 2; }

message Small {
  int32 id = 1;
  string name = 2;
  bool active = 3;
  double score = 4;
  int64 created_at = 5;
  Status status = 6;
  uint32 flags = 7;
}

message Customer {
  string id = 1;
  string name = 2;
  string email = 3;
  repeated string phones = 4;
}

message Item {
  string sku = 1;
  string title = 2;
  uint32 quantity = 3;
  double price = 4;
  repeated string labels = 5;
}

message Order {
  string id = 1;
  Customer customer = 2;
  repeated Item items = 3;
  repeated int32 quantities = 4;
  int64 placed_at = 5;
  Status status = 6;
  string note = 7;
}
`;

const SMALL = { id: 12345, name: 'ada lovelace', active: true, score: 98.25, createdAt: 1732780800123n, status: 1, flags: 0x2a };

function makeOrder() {
  return {
    id: 'ord-2026-000123',
    customer: { id: 'cus-77', name: 'Grace Hopper', email: 'grace@example.com', phones: ['+1 555 0100', '+1 555 0199'] },
    items: Array.from({ length: 20 }, (_, i) => ({
      sku: `SKU-${1000 + i}`,
      title: `Widget number ${i} — deluxe edition`,
      quantity: i + 1,
      price: 9.99 + i,
      labels: ['new', i % 2 ? 'sale' : 'regular', 'ships-today'],
    })),
    quantities: Array.from({ length: 20 }, (_, i) => i * 37),
    placedAt: 1732780800123n,
    status: 2,
    note: 'leave at the door, please',
  };
}

/** The FileDescriptorProto (as a plain init object) of a parsed file; no maps, oneofs or nesting needed here. */
function toDescriptorProto(file: FileDecl) {
  const TYPES: Record<string, number> = {
    double: 1, float: 2, int64: 3, uint64: 4, int32: 5, fixed64: 6, fixed32: 7, bool: 8, string: 9,
    bytes: 12, uint32: 13, sfixed32: 15, sfixed64: 16, sint32: 17, sint64: 18,
  };
  return {
    name: 'bench.proto',
    package: file.package,
    syntax: 'proto3',
    enumType: file.enums.map((e) => ({ name: e.name, value: e.values.map((v) => ({ name: v.name, number: v.number })) })),
    messageType: file.messages.map((m) => ({
      name: m.name,
      field: m.fields.map((f) => {
        const isEnum = file.enums.some((e) => e.name === f.type);
        const type = TYPES[f.type] ?? (isEnum ? 14 : 11);
        return {
          name: f.name,
          number: f.number,
          label: f.label === 'repeated' ? 3 : 1,
          type,
          ...(type === 11 || type === 14 ? { typeName: `.${file.package}.${f.type}` } : {}),
          jsonName: f.name.replace(/_([a-z])/g, (_: string, c: string) => c.toUpperCase()),
        };
      }),
    })),
  };
}

/** Values in protobufjs' input form (64-bit as Long via fromObject). */
function forPbjs(type: protobufjs.Type, value: Record<string, unknown>): protobufjs.Message {
  return type.fromObject(JSON.parse(JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? v.toString() : v))));
}

export default async function main(): Promise<void> {
  const file = parseProto(PROTO, 'bench.proto');
  const ours = new Root([file]);
  const pbjs = protobufjs.parse(PROTO).root;
  const registry = createFileRegistry(create(FileDescriptorProtoSchema, toDescriptorProto(file)), () => undefined);

  for (const [label, typeName, value, iterations] of [
    ['small flat message', 'bench.Small', SMALL, 200_000],
    ['nested message, 20 items with repeated strings', 'bench.Order', makeOrder(), 10_000],
  ] as const) {
    const T = ours.lookupType(typeName);
    const P = pbjs.lookupType(typeName);
    const B = registry.getMessage(typeName) as DescMessage;
    const ourMsg = T.create(value as never);
    const pbMsg = forPbjs(P, value);
    const bufMsg = create(B, value as never);
    const bytes = T.encode(ourMsg);
    // All three must agree on the bytes, or the comparison is meaningless.
    const theirs = Buffer.from(P.encode(pbMsg).finish()).toString('hex');
    const bufs = Buffer.from(toBinary(B, bufMsg)).toString('hex');
    const mine = Buffer.from(bytes).toString('hex');
    if (theirs !== mine || bufs !== mine) throw new Error(`${typeName}: encoders disagree\n ours ${mine}\n pbjs ${theirs}\n  buf ${bufs}`);
    const n = iterations;
    let sink = 0;
    await compare(`protobuf encode: ${label} (${bytes.length} B)`, [
      { name: 'barewire', run: () => { for (let i = 0; i < n; i++) sink += T.encode(ourMsg).length; return n; } },
      { name: 'protobufjs', run: () => { for (let i = 0; i < n; i++) sink += P.encode(pbMsg).finish().length; return n; } },
      { name: '@bufbuild/protobuf', run: () => { for (let i = 0; i < n / 4; i++) sink += toBinary(B, bufMsg).length; return n / 4; } },
    ], { unit: 'msg/s', bytesPerOp: bytes.length });
    await compare(`protobuf decode: ${label} (${bytes.length} B)`, [
      { name: 'barewire', run: () => { for (let i = 0; i < n; i++) sink += T.decode(bytes) ? 1 : 0; return n; } },
      { name: 'protobufjs', run: () => { for (let i = 0; i < n; i++) sink += P.decode(bytes) ? 1 : 0; return n; } },
      { name: '@bufbuild/protobuf', run: () => { for (let i = 0; i < n / 4; i++) sink += fromBinary(B, bytes) ? 1 : 0; return n / 4; } },
    ], { unit: 'msg/s', bytesPerOp: bytes.length });
    if (sink === -1) console.log(sink);
  }
}
