import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ByteReader,
  ByteWriter,
  BytesError,
  readVarint32,
  readVarint64,
  varint32Size,
  varint64Size,
  writeVarint32,
  writeVarint64,
  zigzagDecode32,
  zigzagDecode64,
  zigzagEncode32,
  zigzagEncode64,
} from '../../lib/bytes/index.js';
import { Rand, hex, testSeed, toHex } from '../support/random.js';

function enc32(v: number): string {
  const buf = new Uint8Array(10);
  return toHex(buf.subarray(0, writeVarint32(buf, 0, v)));
}

function enc64(v: bigint): string {
  const buf = new Uint8Array(10);
  return toHex(buf.subarray(0, writeVarint64(buf, 0, v)));
}

test('protobuf encoding §Base 128 Varints: 1 is 01 and 150 is 96 01 (the guide\'s examples)', () => {
  assert.equal(enc32(1), '01');
  assert.equal(enc32(150), '9601');
  assert.equal(readVarint32(hex('9601'), { pos: 0 }), 150);
});

test('protobuf encoding §Base 128 Varints: 300 is AC 02, least significant group first', () => {
  assert.equal(enc32(300), 'ac02');
  assert.equal(enc64(300n), 'ac02');
});

test('protobuf encoding §Base 128 Varints: size boundaries at 2^7, 2^14, 2^21, 2^28 and 2^32-1', () => {
  const cases: [number, number][] = [
    [0, 1], [127, 1], [128, 2], [16383, 2], [16384, 3], [2097151, 3], [2097152, 4],
    [268435455, 4], [268435456, 5], [0xffffffff, 5],
  ];
  for (const [v, size] of cases) {
    assert.equal(varint32Size(v), size, `size of ${v}`);
    assert.equal(enc32(v).length / 2, size, `encoded length of ${v}`);
    assert.equal(readVarint32(hex(enc32(v)), { pos: 0 }), v);
  }
  assert.equal(enc32(0xffffffff), 'ffffffff0f');
});

test('protobuf encoding §Signed Integers: a negative int32 is sign-extended to ten bytes', () => {
  assert.equal(varint32Size(-1), 10);
  assert.equal(enc32(-1), 'ffffffffffffffffff01');
  assert.equal(enc32(-2), 'feffffffffffffffff01');
  assert.equal(enc32(-2147483648), '80808080f8ffffffff01');
  // Same bytes as the int64 encoding of the same value.
  assert.equal(enc32(-123456), enc64(-123456n));
  // Reading the low 32 bits gives the int32 back.
  assert.equal(readVarint32(hex('feffffffffffffffff01'), { pos: 0 }) | 0, -2);
});

test('protobuf encoding §Base 128 Varints: 64-bit values as bigint, up to 2^64-1', () => {
  assert.equal(enc64(0n), '00');
  assert.equal(enc64(2n ** 63n), '80808080808080808001');
  assert.equal(enc64(2n ** 64n - 1n), 'ffffffffffffffffff01');
  assert.equal(varint64Size(2n ** 64n - 1n), 10);
  assert.equal(varint64Size(-1n), 10);
  assert.equal(varint64Size(0n), 1);
  assert.equal(readVarint64(hex('ffffffffffffffffff01'), { pos: 0 }), 2n ** 64n - 1n);
  assert.equal(readVarint64(hex('80808080808080808001'), { pos: 0 }), 2n ** 63n);
  assert.equal(readVarint64(hex('8080808010'), { pos: 0 }), 2n ** 32n);
});

test('protobuf encoding §Base 128 Varints: a truncated varint fails with the offset where it began', () => {
  const cur = { pos: 1 };
  assert.throws(
    () => readVarint32(hex('00 96'), cur),
    (e: unknown) => e instanceof BytesError && e.code === 'TRUNCATED' && e.offset === 1,
  );
  assert.throws(() => readVarint64(hex('ffff'), { pos: 0 }), (e: unknown) => e instanceof BytesError && e.code === 'TRUNCATED');
  // The end bound is respected even when the buffer goes on.
  assert.throws(() => readVarint32(hex('9601'), { pos: 0 }, 1), BytesError);
});

test('protobuf encoding §Base 128 Varints: more than ten bytes, or a tenth byte above 1, is malformed', () => {
  const eleven = hex('ffffffffffffffffffff01');
  assert.throws(() => readVarint32(eleven, { pos: 0 }), (e: unknown) => e instanceof BytesError && e.code === 'VARINT_TOO_LONG');
  assert.throws(() => readVarint64(eleven, { pos: 0 }), (e: unknown) => e instanceof BytesError && e.code === 'VARINT_TOO_LONG');
  assert.throws(() => readVarint64(hex('ffffffffffffffffff02'), { pos: 0 }), BytesError);
  assert.throws(() => readVarint32(hex('ffffffffffffffffff7f'), { pos: 0 }), BytesError);
});

test('protobuf encoding §Base 128 Varints: non-minimal encodings are accepted (80 00 is 0)', () => {
  assert.equal(readVarint32(hex('8000'), { pos: 0 }), 0);
  assert.equal(readVarint64(hex('8180808000'), { pos: 0 }), 1n);
});

test('protobuf encoding §Signed Integers: zigzag maps 0,-1,1,-2,2 to 0,1,2,3,4 and the extremes', () => {
  assert.deepEqual([0, -1, 1, -2, 2].map(zigzagEncode32), [0, 1, 2, 3, 4]);
  assert.equal(zigzagEncode32(0x7fffffff), 0xfffffffe);
  assert.equal(zigzagEncode32(-0x80000000), 0xffffffff);
  assert.equal(zigzagDecode32(0xffffffff), -0x80000000);
  assert.equal(zigzagDecode32(0xfffffffe), 0x7fffffff);
  assert.equal(zigzagEncode64(-1n), 1n);
  assert.equal(zigzagEncode64(2n ** 63n - 1n), 2n ** 64n - 2n);
  assert.equal(zigzagEncode64(-(2n ** 63n)), 2n ** 64n - 1n);
  assert.equal(zigzagDecode64(2n ** 64n - 1n), -(2n ** 63n));
});

test('protobuf encoding §Base 128 Varints: seeded random round trips of 32- and 64-bit values', () => {
  const rand = new Rand(testSeed('varint round trips'));
  const buf = new Uint8Array(10);
  for (let i = 0; i < 5000; i++) {
    const bits = rand.range(0, 32);
    const v32 = bits === 32 ? (rand.int(2 ** 32) | 0) : rand.int(2 ** bits);
    const end = writeVarint32(buf, 0, v32);
    assert.equal(end, varint32Size(v32));
    const cur = { pos: 0 };
    assert.equal(readVarint32(buf, cur) | 0, v32 | 0);
    assert.equal(cur.pos, end);
    assert.equal(zigzagDecode32(zigzagEncode32(v32 | 0)), v32 | 0);

    const v64 = BigInt.asIntN(64, (BigInt(rand.int(2 ** 32)) << 32n) | BigInt(rand.int(2 ** 32))) >> BigInt(rand.int(64));
    const end64 = writeVarint64(buf, 0, v64);
    assert.equal(end64, varint64Size(v64));
    const cur64 = { pos: 0 };
    assert.equal(readVarint64(buf, cur64), BigInt.asUintN(64, v64));
    assert.equal(cur64.pos, end64);
    assert.equal(zigzagDecode64(zigzagEncode64(v64)), v64);
  }
});

test('protobuf encoding §Signed Integers: ByteWriter and ByteReader agree on varints and sint', () => {
  const w = new ByteWriter(4);
  w.varint32(300).varint32(-5).varint64(-(2n ** 40n)).varint32(0x7fffffff);
  w.varint32(zigzagEncode32(-64));
  const r = new ByteReader(w.view());
  assert.equal(r.varint32(), 300);
  assert.equal(r.varint32() | 0, -5);
  assert.equal(BigInt.asIntN(64, r.varint64()), -(2n ** 40n));
  assert.equal(r.varint32(), 0x7fffffff);
  assert.equal(r.sint32(), -64);
  assert.equal(r.remaining, 0);
  const w2 = new ByteWriter();
  w2.varint64(zigzagEncode64(-3n));
  assert.equal(new ByteReader(w2.finish()).sint64(), -3n);
});
