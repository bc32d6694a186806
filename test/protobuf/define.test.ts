/**
 * Schemas written in TypeScript: the message type is inferred (checked by
 * `tsc --noEmit` through the type assertions below), and the descriptors
 * are the ones the .proto parser builds.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ProtobufError, Root, defineEnum, defineMessage, parseProto, type MessageOf, type MessageType } from '../../lib/protobuf/index.js';
import { toHex } from '../support/random.js';

/** Compile-time equality of two types. */
type Equal<A, B> = (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;
function typeIs<T extends true>(_: T): void {}

const Kind = defineEnum('d.Kind', { KIND_UNSPECIFIED: 0, KIND_A: 1 });
const Sub = defineMessage('d.Sub', { id: { no: 1, type: 'uint64' } });
const Point = defineMessage('d.Point', {
  x: { no: 1, type: 'int32' },
  label: { no: 2, type: 'string', optional: true },
  tags: { no: 3, type: 'string', repeated: true },
  kind: { no: 4, type: Kind },
  sub: { no: 5, type: Sub },
  subs: { no: 6, type: () => Sub, repeated: true },
  counts: { no: 7, type: 'map', key: 'string', value: 'int64' },
  blob: { no: 8, type: 'bytes' },
  a: { no: 9, type: 'double', oneof: 'pick' },
  b: { no: 10, type: 'bool', oneof: 'pick' },
  userId: { no: 11, type: 'sfixed64' },
});
type Point = MessageOf<typeof Point>;

typeIs<
  Equal<
    Point,
    {
      x: number;
      tags: string[];
      kind: number;
      subs: { id: bigint }[];
      counts: Record<string, bigint>;
      blob: Uint8Array;
      userId: bigint;
      label?: string;
      sub?: { id: bigint };
      a?: number;
      b?: boolean;
    }
  >
>(true);

describe('TypeScript descriptors', () => {
  test('language guide §Defining A Message Type: a decoded message is a typed object', () => {
    const p: Point = Point.decode(Point.encode({ x: 1, tags: ['t'], kind: 1, subs: [{ id: 2n }], counts: { c: 3n }, blob: Uint8Array.of(9), userId: -1n, label: 'l', sub: { id: 4n }, b: true }));
    const x: number = p.x;
    const id: bigint | undefined = p.sub?.id;
    assert.equal(x, 1);
    assert.equal(id, 4n);
    assert.equal(p.subs[0].id, 2n);
    assert.equal(p.counts.c, 3n);
    assert.equal(p.b, true);
    assert.equal(p.a, undefined);
    assert.equal(Point.fullName, 'd.Point');
    assert.equal(Point.name, 'Point');
  });

  test('language guide §Defining A Message Type: TypeScript and .proto descriptors encode identically', () => {
    const root = new Root([
      parseProto(`syntax = "proto3"; package d;
        enum Kind { KIND_UNSPECIFIED = 0; KIND_A = 1; }
        message Sub { uint64 id = 1; }
        message Point {
          int32 x = 1; optional string label = 2; repeated string tags = 3; Kind kind = 4; Sub sub = 5;
          repeated Sub subs = 6; map<string, int64> counts = 7; bytes blob = 8;
          oneof pick { double a = 9; bool b = 10; }
          sfixed64 user_id = 11;
        }`),
    ]);
    const P2 = root.lookupType<Point>('d.Point');
    const strip = (t: MessageType) => t.fields.map((f) => ({ ...f, value: { ...f.value, messageType: f.value.messageType?.fullName, enumType: f.value.enumType?.fullName } }));
    assert.deepEqual(strip(P2), strip(Point));
    const msg = Point.create({ x: -3, label: '', tags: ['a', 'b'], kind: 1, sub: { id: 1n }, counts: { k: -1n }, a: 0.5, userId: 5n });
    assert.equal(toHex(Point.encode(msg)), toHex(P2.encode(msg)));
    assert.deepEqual(P2.toJson(P2.decode(Point.encode(msg))), Point.toJson(msg));
  });

  test('language guide §Defining A Message Type: create() fills defaults and copies only known fields', () => {
    const p = Point.create({ x: 5, nope: 1 } as Partial<Point>);
    assert.equal(p.x, 5);
    assert.deepEqual(p.tags, []);
    assert.equal(Object.getPrototypeOf(p.counts), null);
    assert.equal((p as Record<string, unknown>).nope, undefined);
    assert.notEqual(Point.create().tags, Point.create().tags, 'each message gets its own arrays');
  });

  test('language guide §Assigning Field Numbers: bad field numbers, names and types are refused', () => {
    const bad = (fn: () => unknown, re: RegExp) => assert.throws(fn, (e: unknown) => e instanceof ProtobufError && re.test(e.message));
    bad(() => defineMessage('d.B', { a: { no: 0, type: 'int32' } }), /field number 0 is invalid/);
    bad(() => defineMessage('d.B', { a: { no: 1, type: 'int32' }, b: { no: 1, type: 'int32' } }), /used twice/);
    bad(() => defineMessage('d.B', JSON.parse('{"__proto__": {"no": 1, "type": "int32"}}')), /cannot be a field name/);
    bad(() => defineMessage('d.B', { a: { no: 1, type: 'int33' as 'int32' } }).fields, /unknown scalar type "int33"/);
    bad(() => defineMessage('d.B', { a: { no: 1, type: 'map', value: 'int32' } }).fields, /map needs a key type/);
    bad(() => defineMessage('d.B', { a: { no: 1, type: (() => 5) as unknown as () => MessageType } }).fields, /did not return a MessageType/);
    bad(() => defineMessage('d.B', { a: { no: 1, type: undefined as unknown as 'int32' } }).fields, /no type/);
  });

  test('language guide §Defining A Message Type: a type thunk that encodes and decodes while its type compiles works', () => {
    const Leaf = defineMessage('d.Leaf', { v: { no: 1, type: 'int32' } });
    let inner: unknown;
    const Outer = defineMessage('d.ThunkOuter', {
      leaf: {
        no: 1,
        type: () => {
          inner = Leaf.decode(Leaf.encode({ v: 7 }));
          return Leaf;
        },
      },
    });
    // The first decode compiles Outer, which runs the thunk, which decodes (and encodes) a Leaf.
    assert.equal(Outer.decode(Uint8Array.of(0x0a, 0x02, 0x08, 0x03)).leaf?.v, 3);
    assert.equal((inner as { v: number }).v, 7);
    assert.equal(toHex(Outer.encode({ leaf: { v: 3 } })), '0a020803');
  });

  test('language guide §Packed Repeated Fields: packed: false in TypeScript writes one record per element', () => {
    const U = defineMessage('d.U', { v: { no: 1, type: 'int32', repeated: true, packed: false }, p: { no: 2, type: 'fixed64', repeated: true } });
    assert.equal(toHex(U.encode({ v: [1, 2], p: [1n] })), '08010802' + '12080100000000000000');
  });
});
