/**
 * The proto3 JSON mapping (ProtoJSON), canonical output and strict input.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ProtobufError, defineEnum, defineMessage } from '../../lib/protobuf/index.js';

const Color = defineEnum('j.Color', { COLOR_UNSPECIFIED: 0, RED: 1 });
const Sub = defineMessage('j.Sub', { a: { no: 1, type: 'int32' } });
const J = defineMessage('j.J', {
  i32: { no: 1, type: 'int32' },
  u32: { no: 2, type: 'uint32' },
  i64: { no: 3, type: 'int64' },
  u64: { no: 4, type: 'uint64' },
  flt: { no: 5, type: 'float' },
  dbl: { no: 6, type: 'double' },
  b: { no: 7, type: 'bool' },
  str: { no: 8, type: 'string' },
  byt: { no: 9, type: 'bytes' },
  color: { no: 10, type: Color },
  sub: { no: 11, type: Sub },
  list: { no: 12, type: 'sint64', repeated: true },
  subs: { no: 13, type: Sub, repeated: true },
  m: { no: 14, type: 'map', key: 'int32', value: Sub },
  flags: { no: 15, type: 'map', key: 'bool', value: Color },
  userName: { no: 16, type: 'string', name: 'user_name' },
  opt: { no: 17, type: 'int32', optional: true },
  one: { no: 18, type: 'string', oneof: 'pick' },
  two: { no: 19, type: 'int32', oneof: 'pick' },
  colors: { no: 20, type: Color, repeated: true },
  f32: { no: 21, type: 'fixed32' },
  custom: { no: 22, type: 'string', jsonName: 'renamed' },
  big: { no: 23, type: 'map', key: 'uint64', value: 'bytes' },
});

const badJson = (json: unknown, re: RegExp) => () =>
  assert.throws(() => J.fromJson(json), (e: unknown) => e instanceof ProtobufError && e.code === 'BAD_JSON' && re.test(e.message));

describe('proto3 JSON', () => {
  test('proto3 JSON §JSON Mapping: default values are omitted; set presence fields are not', () => {
    assert.deepEqual(J.toJson(J.create()), {});
    assert.deepEqual(J.toJson(J.create({ opt: 0, two: 0, sub: Sub.create() })), { opt: 0, two: 0, sub: {} });
  });

  test('proto3 JSON §int64, fixed64, uint64: 64-bit integers are decimal strings; numbers and strings are read', () => {
    const m = J.fromJson({ i64: '-9223372036854775808', u64: 18446744073709551615n.toString(), list: [1, '-2'] });
    assert.equal(m.i64, -(1n << 63n));
    assert.equal(m.u64, (1n << 64n) - 1n);
    assert.deepEqual(J.toJson(m), { i64: '-9223372036854775808', u64: '18446744073709551615', list: ['1', '-2'] });
    badJson({ i64: '9223372036854775808' }, /out of range for int64/)();
    badJson({ u64: '-1' }, /out of range for uint64/)();
    badJson({ i64: '1.5' }, /is not a int64/)();
    badJson({ i64: 1.5 }, /is not a int64/)();
    badJson({ i64: true }, /is not a int64/)();
  });

  test('proto3 JSON §int32, fixed32, uint32: numbers; strings and exponents accepted; range and integrality checked', () => {
    assert.equal(J.fromJson({ i32: '-5' }).i32, -5);
    assert.equal(J.fromJson({ i32: 1e2 }).i32, 100);
    assert.equal(J.fromJson({ u32: '1e2' }).u32, 100);
    assert.equal(J.fromJson({ f32: 4294967295 }).f32, 4294967295);
    assert.deepEqual(J.toJson(J.fromJson({ i32: -2147483648, u32: 4294967295 })), { i32: -2147483648, u32: 4294967295 });
    badJson({ i32: 2147483648 }, /is not a int32/)();
    badJson({ u32: -1 }, /is not a uint32/)();
    badJson({ i32: 1.5 }, /is not a int32/)();
    badJson({ i32: '0x10' }, /expected a number/)();
    badJson({ i32: ' 1' }, /expected a number/)();
    badJson({ i32: [] }, /expected a number/)();
  });

  test('proto3 JSON §float, double: numbers or "NaN", "Infinity", "-Infinity"; floats print as their shortest form', () => {
    const m = J.fromJson({ flt: 'Infinity', dbl: 'NaN' });
    assert.equal(m.flt, Infinity);
    assert.ok(Number.isNaN(m.dbl));
    assert.deepEqual(J.toJson(m), { flt: 'Infinity', dbl: 'NaN' });
    assert.deepEqual(J.toJson(J.fromJson({ flt: '-Infinity', dbl: -Infinity })), { flt: '-Infinity', dbl: '-Infinity' });
    const f = J.decode(J.encode(J.fromJson({ flt: 0.1, dbl: '2.5' })));
    assert.equal(f.flt, Math.fround(0.1));
    assert.deepEqual(J.toJson(f), { flt: 0.1, dbl: 2.5 });
    badJson({ flt: 3.5e38 }, /out of range for float/)();
    badJson({ dbl: '1e999' }, /out of range/)();
    badJson({ dbl: 'nan' }, /expected a number/)();
  });

  test('proto3 JSON §bytes: standard base64 with padding out; standard or URL-safe, padded or not, in', () => {
    assert.deepEqual(J.toJson(J.create({ byt: Uint8Array.of(0xfb, 0xff) })), { byt: '+/8=' });
    assert.deepEqual([...J.fromJson({ byt: '-_8' }).byt], [0xfb, 0xff]);
    assert.deepEqual([...J.fromJson({ byt: '+/8=' }).byt], [0xfb, 0xff]);
    badJson({ byt: 'a' }, /expected base64/)();
    badJson({ byt: '!!!!' }, /expected base64/)();
    badJson({ byt: 5 }, /expected base64/)();
  });

  test('proto3 JSON §enum: names out; names or numbers in; unknown numbers stay numbers', () => {
    assert.deepEqual(J.toJson(J.create({ color: 1, colors: [0, 1, 9] })), { color: 'RED', colors: ['COLOR_UNSPECIFIED', 'RED', 9] });
    assert.deepEqual(J.fromJson({ color: 'RED', colors: [1, 'RED', 7] }).colors, [1, 1, 7]);
    badJson({ color: 'BLUE' }, /"BLUE" is not a value of j.Color/)();
    assert.deepEqual(J.fromJson({ color: 'BLUE', colors: ['RED', 'BLUE'] }, { ignoreUnknownFields: true }).colors, [1]);
  });

  test('proto3 JSON §message: lowerCamelCase names out; the .proto name and json_name accepted in', () => {
    assert.deepEqual(J.toJson(J.fromJson({ user_name: 'a', renamed: 'c' })), { userName: 'a', renamed: 'c' });
    assert.equal(J.fromJson({ userName: 'b' }).userName, 'b');
    assert.deepEqual(J.toJson(J.create({ userName: 'x' }), { useProtoNames: true }), { user_name: 'x' });
    badJson({ user_name: 'a', userName: 'b' }, /appears twice/)();
    badJson({ nope: 1 }, /has no field "nope"/)();
    assert.deepEqual(J.toJson(J.fromJson({ nope: 1, str: 's' }, { ignoreUnknownFields: true })), { str: 's' });
    badJson([], /expected an object/)();
    badJson({ sub: 5 }, /expected an object for j.Sub/)();
  });

  test('proto3 JSON §map: objects keyed by the key as a string; keys validated', () => {
    const m = J.fromJson({ m: { '-1': { a: 1 }, 2: {} }, flags: { true: 'RED', false: 0 }, big: { '18446744073709551615': 'AQ==' } });
    assert.deepEqual(J.toJson(m), { m: { 2: {}, '-1': { a: 1 } }, flags: { true: 'RED', false: 'COLOR_UNSPECIFIED' }, big: { '18446744073709551615': 'AQ==' } });
    assert.equal(J.decode(J.encode(m)).big['18446744073709551615'][0], 1);
    badJson({ m: { x: {} } }, /expected a number/)();
    badJson({ flags: { yes: 1 } }, /is not a bool/)();
    badJson({ m: [] }, /expected an object/)();
    badJson({ flags: { true: null } }, /null map value/)();
  });

  test('proto3 JSON §repeated: arrays; null means empty', () => {
    assert.deepEqual(J.toJson(J.fromJson({ subs: [{ a: 1 }, {}], list: null })), { subs: [{ a: 1 }, {}] });
    badJson({ subs: {} }, /expected an array/)();
  });

  test('proto3 JSON §null: null is the default value of any field', () => {
    const m = J.fromJson({ i32: null, sub: null, str: null, opt: null });
    assert.deepEqual(J.toJson(m), {});
    assert.equal(m.opt, undefined);
  });

  test('proto3 JSON §oneof: at most one member may be set', () => {
    badJson({ one: 'a', two: 1 }, /oneof pick already has one/)();
    assert.deepEqual(J.toJson(J.fromJson({ two: 0 })), { two: 0 });
  });

  test('proto3 JSON §bool and string: only JSON booleans and strings', () => {
    badJson({ b: 'true' }, /expected true or false/)();
    badJson({ str: 1 }, /expected a string/)();
    assert.deepEqual(J.toJson(J.fromJson({ b: true, str: 'é' })), { b: true, str: 'é' });
  });

  test('proto3 JSON §message: nesting deeper than the limit is refused', () => {
    const R = defineMessage('j.R', { r: { no: 1, type: (): any => R } });
    let json: Record<string, unknown> = {};
    for (let i = 0; i < 150; i++) json = { r: json };
    assert.throws(() => R.fromJson(json), /nesting deeper than 100 levels/);
    assert.doesNotThrow(() => R.fromJson(json, { maxDepth: 200 }));
  });
});
