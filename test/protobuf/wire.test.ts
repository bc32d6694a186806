/**
 * The binary wire format, section by section of the protobuf encoding guide:
 * each wire type at its edge values, written byte-exactly and read back.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DecodeError, defineEnum, defineMessage, unknownFields, type MessageOf } from '../../lib/protobuf/index.js';
import { Rand, hex, testSeed, toHex } from '../support/random.js';

const Color = defineEnum('t.Color', { COLOR_UNSPECIFIED: 0, RED: 1, GREEN: 2 });

const S = defineMessage('t.S', {
  i32: { no: 1, type: 'int32' },
  i64: { no: 2, type: 'int64' },
  u32: { no: 3, type: 'uint32' },
  u64: { no: 4, type: 'uint64' },
  s32: { no: 5, type: 'sint32' },
  s64: { no: 6, type: 'sint64' },
  f32: { no: 7, type: 'fixed32' },
  f64: { no: 8, type: 'fixed64' },
  sf32: { no: 9, type: 'sfixed32' },
  sf64: { no: 10, type: 'sfixed64' },
  flt: { no: 11, type: 'float' },
  dbl: { no: 12, type: 'double' },
  b: { no: 13, type: 'bool' },
  str: { no: 14, type: 'string' },
  byt: { no: 15, type: 'bytes' },
  color: { no: 16, type: Color },
});
type S = MessageOf<typeof S>;

/** Encode one field set on an otherwise default message; return hex. */
function enc(init: Partial<S>): string {
  return toHex(S.encode(S.create(init)));
}

describe('protobuf encoding', () => {
  test('protobuf encoding §A Simple Message: int32 150 in field 1 is 08 96 01', () => {
    assert.equal(enc({ i32: 150 }), '089601');
    assert.equal(S.decode(hex('08 96 01')).i32, 150);
  });

  test('protobuf encoding §Base 128 Varints: 1, 127, 128, 300, 16383, 16384 and 2^32-1 take 1..5 bytes', () => {
    const cases: [number, string][] = [
      [1, '01'], [127, '7f'], [128, '8001'], [300, 'ac02'], [16383, 'ff7f'], [16384, '808001'],
      [0x0fffffff, 'ffffff7f'], [0x10000000, '8080808001'], [0xffffffff, 'ffffffff0f'],
    ];
    for (const [v, h] of cases) {
      assert.equal(enc({ u32: v }), '18' + h, `uint32 ${v}`);
      assert.equal(S.decode(hex('18' + h)).u32, v);
    }
  });

  test('protobuf encoding §Base 128 Varints: uint64 edges up to 2^64-1 (10 bytes)', () => {
    const cases: [bigint, string][] = [
      [1n, '01'], [(1n << 32n) - 1n, 'ffffffff0f'], [1n << 32n, '8080808010'], [(1n << 35n) - 1n, 'ffffffff7f'],
      [1n << 35n, '808080808001'], [(1n << 63n), '80808080808080808001'], [(1n << 64n) - 1n, 'ffffffffffffffffff01'],
    ];
    for (const [v, h] of cases) {
      assert.equal(enc({ u64: v }), '20' + h, `uint64 ${v}`);
      assert.equal(S.decode(hex('20' + h)).u64, v);
    }
  });

  test('protobuf encoding §Signed Integers: a negative int32 is sign-extended to 10 bytes', () => {
    assert.equal(enc({ i32: -1 }), '08ffffffffffffffffff01');
    assert.equal(enc({ i32: -2147483648 }), '0880808080f8ffffffff01');
    assert.equal(S.decode(hex('08ffffffffffffffffff01')).i32, -1);
    assert.equal(S.decode(hex('0880808080f8ffffffff01')).i32, -2147483648);
    assert.equal(enc({ i32: 2147483647 }), '08ffffffff07');
  });

  test('protobuf encoding §Signed Integers: int64 is two\'s complement; -1 and the extremes', () => {
    assert.equal(enc({ i64: -1n }), '10ffffffffffffffffff01');
    assert.equal(enc({ i64: -(1n << 63n) }), '1080808080808080808001');
    assert.equal(enc({ i64: (1n << 63n) - 1n }), '10ffffffffffffffff7f');
    assert.equal(S.decode(hex('10ffffffffffffffffff01')).i64, -1n);
    assert.equal(S.decode(hex('1080808080808080808001')).i64, -(1n << 63n));
  });

  test('protobuf encoding §Signed Integers: sint32/sint64 zigzag 0,-1,1,-2 -> 0,1,2,3 and the extremes', () => {
    const cases: [number, string][] = [[-1, '01'], [1, '02'], [-2, '03'], [2147483647, 'feffffff0f'], [-2147483648, 'ffffffff0f']];
    for (const [v, h] of cases) {
      assert.equal(enc({ s32: v }), '28' + h, `sint32 ${v}`);
      assert.equal(S.decode(hex('28' + h)).s32, v);
    }
    const cases64: [bigint, string][] = [[-1n, '01'], [1n, '02'], [(1n << 63n) - 1n, 'feffffffffffffffff01'], [-(1n << 63n), 'ffffffffffffffffff01']];
    for (const [v, h] of cases64) {
      assert.equal(enc({ s64: v }), '30' + h, `sint64 ${v}`);
      assert.equal(S.decode(hex('30' + h)).s64, v);
    }
  });

  test('protobuf encoding §Non-varint Numbers: fixed32/sfixed32/float are 4 bytes little-endian', () => {
    assert.equal(enc({ f32: 0xffffffff }), '3dffffffff');
    assert.equal(enc({ f32: 1 }), '3d01000000');
    assert.equal(enc({ sf32: -2 }), '4dfeffffff');
    assert.equal(enc({ sf32: -2147483648 }), '4d00000080');
    assert.equal(enc({ flt: 1 }), '5d0000803f');
    assert.equal(S.decode(hex('3dffffffff')).f32, 0xffffffff);
    assert.equal(S.decode(hex('4d00000080')).sf32, -2147483648);
    assert.equal(S.decode(hex('5d0000803f')).flt, 1);
    assert.ok(Number.isNaN(S.decode(hex('5d0000c07f')).flt));
  });

  test('protobuf encoding §Non-varint Numbers: fixed64/sfixed64/double are 8 bytes little-endian', () => {
    assert.equal(enc({ f64: (1n << 64n) - 1n }), '41ffffffffffffffff');
    assert.equal(enc({ sf64: -(1n << 63n) }), '510000000000000080');
    assert.equal(enc({ dbl: 1 }), '61000000000000f03f');
    assert.equal(enc({ dbl: -Infinity }), '61000000000000f0ff');
    assert.equal(S.decode(hex('41ffffffffffffffff')).f64, (1n << 64n) - 1n);
    assert.equal(S.decode(hex('510000000000000080')).sf64, -(1n << 63n));
    assert.equal(S.decode(hex('61000000000000f0ff')).dbl, -Infinity);
  });

  test('protobuf encoding §Bools and Enums: bool is a varint 0/1; any nonzero varint reads as true', () => {
    assert.equal(enc({ b: true }), '6801');
    assert.equal(S.decode(hex('6802')).b, true);
    assert.equal(S.decode(hex('68ffffffffffffffffff01')).b, true);
    assert.equal(S.decode(hex('6800')).b, false);
  });

  test('protobuf encoding §Bools and Enums: enums are int32 varints; unknown numbers are kept (open enums)', () => {
    assert.equal(enc({ color: 2 }), '800102');
    assert.equal(S.decode(hex('800107')).color, 7);
    assert.equal(enc({ color: 7 }), '800107');
    assert.equal(enc({ color: -1 }), '8001ffffffffffffffffff01');
  });

  test('protobuf encoding §Length-Delimited Records: a string is a varint length then UTF-8', () => {
    assert.equal(enc({ str: 'testing' }), '720774657374696e67');
    assert.equal(enc({ str: 'é😀' }), '7206c3a9f09f9880');
    assert.equal(S.decode(hex('7206c3a9f09f9880')).str, 'é😀');
    const long = 'x'.repeat(300);
    assert.equal(enc({ str: long }).slice(0, 6), '72ac02');
    assert.equal(S.decode(S.encode(S.create({ str: long }))).str, long);
  });

  test('protobuf encoding §Length-Delimited Records: strings of every length and script encode as UTF-8 exactly', () => {
    const rand = new Rand(testSeed('protobuf utf8 strings'));
    const pieces = ['a', 'é', '€', '日本', '😀', '\u0000', '\u07ff', '\u0800', '\uffff', '\u{10ffff}'];
    for (let i = 0; i < 400; i++) {
      let text = '';
      const target = rand.pick([1, 10, 30, 70, 200, 300, 1000]);
      while (text.length < target) text += rand.pick(pieces);
      const bytes = S.encode(S.create({ str: text }));
      const expected = Buffer.from(text, 'utf8');
      assert.equal(toHex(bytes.subarray(bytes.length - expected.length)), expected.toString('hex'));
      assert.equal(S.decode(bytes).str, text);
    }
  });

  test('protobuf encoding §Length-Delimited Records: short strings of every length 0..24, ASCII or not, round-trip', () => {
    for (let n = 0; n <= 24; n++) {
      const ascii = 'abcdefghijklmnopqrstuvwxyz'.slice(0, n);
      for (const text of [ascii, ascii.slice(0, -1) + (n ? 'é' : ''), 'é' + ascii.slice(1), ascii.replace(/c/g, '\u0000')]) {
        const bytes = S.encode(S.create({ str: text }));
        assert.equal(toHex(bytes.subarray(2)), Buffer.from(text, 'utf8').toString('hex'));
        assert.equal(S.decode(bytes).str, text);
      }
    }
  });

  test('protobuf encoding §Length-Delimited Records: lone surrogates are written as U+FFFD, as TextEncoder does', () => {
    for (const text of ['\ud800', 'a\udc00b', '\ud83d', '\ud83dx'.repeat(100)]) {
      const bytes = S.encode(S.create({ str: text }));
      const expected = Buffer.from(new TextEncoder().encode(text));
      assert.equal(toHex(bytes.subarray(bytes.length - expected.length)), expected.toString('hex'));
      assert.equal(S.decode(bytes).str, text.replace(/[\ud800-\udfff]/g, '\ufffd'));
    }
  });

  test('protobuf encoding §Length-Delimited Records: bytes are copied out of the input', () => {
    const input = hex('7a03010203');
    const m = S.decode(input);
    assert.equal(toHex(m.byt), '010203');
    input[2] = 0xff;
    assert.equal(toHex(m.byt), '010203');
  });

  test('language guide §Default Field Values: defaults are not written and a decoded message has them all', () => {
    assert.equal(enc({ i32: 0, i64: 0n, str: '', b: false, byt: new Uint8Array(0), dbl: 0, color: 0 }), '');
    const m = S.decode(new Uint8Array(0));
    assert.deepEqual({ ...m }, {
      i32: 0, i64: 0n, u32: 0, u64: 0n, s32: 0, s64: 0n, f32: 0, f64: 0n, sf32: 0, sf64: 0n, flt: 0, dbl: 0, b: false, str: '', byt: new Uint8Array(0), color: 0,
    });
  });

  test('protobuf encoding §Non-varint Numbers: -0.0 is written (it is not the default bit pattern)', () => {
    assert.equal(enc({ dbl: -0 }), '610000000000000080');
    assert.ok(Object.is(S.decode(hex('610000000000000080')).dbl, -0));
  });

  test('protobuf encoding §Message Structure: field numbers up to 2^29-1 and their tag sizes', () => {
    const Big = defineMessage('t.Big', { a: { no: 15, type: 'int32' }, b: { no: 16, type: 'int32' }, c: { no: 536870911, type: 'int32' } });
    assert.equal(toHex(Big.encode({ a: 1, b: 1, c: 1 })), '7801' + '800101' + 'f8ffffff0f01');
    assert.deepEqual({ ...Big.decode(hex('7801800101f8ffffff0f01')) }, { a: 1, b: 1, c: 1 });
  });

  test('protobuf encoding §Field Order: fields are written in ascending field-number order', () => {
    const O = defineMessage('t.O', { z: { no: 3, type: 'int32' }, a: { no: 1, type: 'int32' }, m: { no: 2, type: 'int32' } });
    assert.equal(toHex(O.encode({ z: 3, a: 1, m: 2 })), '080110021803');
  });

  test('protobuf encoding §Message Structure: a message with 100 fields decodes every one (more fields than the decoder has store sites)', () => {
    // lib/protobuf/decode.ts gives each field its own store site until 64 are
    // handed out; the fields after that share one line. Both must store right.
    const kinds = ['int32', 'string', 'double', 'int64', 'bool'] as const;
    const spec: Record<string, { no: number; type: (typeof kinds)[number] }> = {};
    for (let i = 1; i <= 100; i++) spec[`f${i}`] = { no: i, type: kinds[i % kinds.length] };
    const Wide = defineMessage('t.Wide', spec);
    const value = (i: number, round: number): unknown => {
      switch (kinds[i % kinds.length]) {
        case 'int32': return i * 1000 + round;
        case 'string': return `v${i}-${round}`;
        case 'double': return i + 0.5 + round;
        case 'int64': return BigInt(i) * 10_000_000_000n + BigInt(round);
        default: return true;
      }
    };
    for (const round of [1, 2]) {
      const init: Record<string, unknown> = {};
      for (let i = 1; i <= 100; i++) init[`f${i}`] = value(i, round);
      const back = Wide.decode(Wide.encode(Wide.create(init as never)));
      assert.deepEqual({ ...back }, init);
    }
  });

  test('protobuf encoding §Last One Wins: a repeated non-repeated scalar keeps the last value', () => {
    assert.equal(S.decode(hex('0801 0802 0803')).i32, 3);
    assert.equal(S.decode(hex('7201 61 7201 62')).str, 'b');
  });
});

const Inner = defineMessage('t.Inner', { a: { no: 1, type: 'int32' }, b: { no: 2, type: 'string' }, tags: { no: 3, type: 'int32', repeated: true } });
const Outer = defineMessage('t.Outer', {
  inner: { no: 3, type: Inner },
  list: { no: 4, type: Inner, repeated: true },
});

describe('protobuf encoding: messages', () => {
  test('protobuf encoding §Submessages: an embedded message is a LEN record of its bytes (1a 03 08 96 01)', () => {
    assert.equal(toHex(Outer.encode({ inner: { a: 150, b: '', tags: [] }, list: [] })), '1a03089601');
    assert.equal(Outer.decode(hex('1a03089601')).inner?.a, 150);
  });

  test('protobuf encoding §Submessages: an empty sub-message is written (presence) as 1a 00; unset stays undefined', () => {
    assert.equal(toHex(Outer.encode({ inner: Inner.create(), list: [] })), '1a00');
    assert.equal(Outer.decode(hex('')).inner, undefined);
    assert.deepEqual({ ...Outer.decode(hex('1a00')).inner }, { a: 0, b: '', tags: [] });
  });

  test('protobuf encoding §Last One Wins: an embedded message seen twice is merged', () => {
    const m = Outer.decode(hex('1a020801 1a03120178 1a021802'));
    assert.deepEqual({ ...m.inner }, { a: 1, b: 'x', tags: [2] });
  });

  test('protobuf encoding §Submessages: nested sizes are right three levels deep with multi-byte lengths', () => {
    const Node = defineMessage('t.Node', {
      label: { no: 1, type: 'string' },
      kids: { no: 2, type: (): any => Node, repeated: true },
    });
    const big = 'y'.repeat(200);
    const tree = { label: 'root', kids: [{ label: big, kids: [{ label: big, kids: [] }] }, { label: 'b', kids: [] }] };
    const bytes = Node.encode(tree);
    const back = Node.decode(bytes);
    assert.equal(back.kids[0].kids[0].label, big);
    assert.equal(back.kids[1].label, 'b');
    assert.equal(toHex(Node.encode(back)), toHex(bytes));
  });

  test('protobuf encoding §Optional and Repeated Elements: repeated messages are one record each', () => {
    assert.equal(toHex(Outer.encode({ list: [{ a: 1 }, {}, { a: 2 }] as any })), '22020801' + '2200' + '22020802');
    assert.deepEqual(Outer.decode(hex('22020801220022020802')).list.map((x) => x.a), [1, 0, 2]);
  });

  test('protobuf encoding §Packed Repeated Fields: repeated scalars are packed in proto3 (32 06 03 8e 02 9e a7 05)', () => {
    const P = defineMessage('t.P', { d: { no: 6, type: 'int32', repeated: true } });
    assert.equal(toHex(P.encode({ d: [3, 270, 86942] })), '3206038e029ea705');
    assert.equal(toHex(P.encode({ d: [] })), '');
  });

  test('protobuf encoding §Packed Repeated Fields: decoders accept packed and unpacked forms, even mixed', () => {
    const P = defineMessage('t.P2', { d: { no: 6, type: 'int32', repeated: true }, u: { no: 7, type: 'fixed32', repeated: true, packed: false } });
    assert.deepEqual(P.decode(hex('3003 3206 038e029ea705 3001')).d, [3, 3, 270, 86942, 1]);
    assert.equal(toHex(P.encode({ d: [], u: [1, 2] })), '3d010000003d02000000');
    assert.deepEqual(P.decode(hex('3a080100000002000000')).u, [1, 2]);
  });

  test('protobuf encoding §Packed Repeated Fields: a packed run may not end inside an element', () => {
    const P = defineMessage('t.P3', { d: { no: 6, type: 'int32', repeated: true } });
    assert.throws(() => P.decode(hex('3202 01 80 01')), (e: unknown) => e instanceof DecodeError && e.code === 'TRUNCATED');
  });

  test('protobuf encoding §Oneofs: setting one member clears the others; the last one on the wire wins', () => {
    const O = defineMessage('t.One', {
      name: { no: 1, type: 'string', oneof: 'pick' },
      num: { no: 2, type: 'int32', oneof: 'pick' },
      sub: { no: 3, type: Inner, oneof: 'pick' },
    });
    const m = O.decode(hex('0a0178 1005'));
    assert.equal(m.name, undefined);
    assert.equal(m.num, 5);
    const m2 = O.decode(hex('1005 1a020801'));
    assert.equal(m2.num, undefined);
    assert.equal(m2.sub?.a, 1);
    assert.equal(toHex(O.encode({ num: 0 })), '1000', 'a oneof member at its default is still written');
  });

  test('language guide §Field Presence: proto3 optional writes a set default and leaves an absent field undefined', () => {
    const O = defineMessage('t.Opt', { n: { no: 1, type: 'int32', optional: true }, s: { no: 2, type: 'string', optional: true } });
    assert.equal(toHex(O.encode({ n: 0, s: '' })), '08001200');
    assert.equal(toHex(O.encode({})), '');
    const m = O.decode(hex(''));
    assert.equal(m.n, undefined);
    assert.equal(O.decode(hex('0800')).n, 0);
  });

  test('protobuf encoding §Maps: a map is repeated entry messages {1: key, 2: value}', () => {
    const M = defineMessage('t.M', {
      m: { no: 1, type: 'map', key: 'string', value: 'int32' },
      byId: { no: 2, type: 'map', key: 'int64', value: Inner },
      flags: { no: 3, type: 'map', key: 'bool', value: 'string' },
    });
    assert.equal(toHex(M.encode({ m: { a: 1 } } as any)), '0a050a0161' + '1001');
    const d = M.decode(hex('0a050a01611001 0a050a01621002 1206 0801 12020807'));
    assert.equal(Object.getPrototypeOf(d.m), null);
    assert.deepEqual({ ...d.m }, { a: 1, b: 2 });
    assert.equal(d.byId['1'].a, 7);
    // A missing key or value is the default.
    const e = M.decode(hex('0a00 1200 1a00'));
    assert.deepEqual({ ...e.m }, { '': 0 });
    assert.equal(e.byId['0'].a, 0);
    assert.equal(e.flags['false'], '');
    assert.equal(toHex(M.encode({ flags: { true: 'y' } } as any)), '1a0508011201' + '79');
    // A duplicate key: the last entry wins.
    assert.equal(M.decode(hex('0a050a01611001 0a050a01611002')).m['a'], 2);
  });

  test('protobuf encoding §Message Structure: unknown fields are kept and written back after the known ones', () => {
    const Small = defineMessage('t.Small', { a: { no: 1, type: 'int32' } });
    const input = hex('0801 1005 1a0278 79 2d01000000 3b 0801 3c 410100000000000000');
    const m = Small.decode(input);
    assert.equal(m.a, 1);
    assert.equal((m as any)[unknownFields].length, 5);
    assert.equal(toHex(Small.encode(m)), toHex(input));
    m.a = 2;
    assert.equal(toHex(Small.encode(m)).slice(0, 4), '0802');
  });

  test('protobuf encoding §Message Structure: a known field with a wire type it cannot have is kept as unknown', () => {
    const Small = defineMessage('t.Small2', { a: { no: 1, type: 'int32' } });
    const m = Small.decode(hex('0d01000000'));
    assert.equal(m.a, 0);
    assert.equal(toHex(Small.encode(m)), '0d01000000');
  });
});

describe('protobuf encoding: the writer', () => {
  const Node = defineMessage('t.WNode', {
    label: { no: 1, type: 'string' },
    child: { no: 2, type: (): any => Node },
    blob: { no: 3, type: 'bytes' },
  });

  test('protobuf encoding §Submessages: lengths of 127, 128 and 16384 bytes take 1, 2 and 3 bytes, nested', () => {
    for (const size of [0, 1, 125, 126, 127, 128, 129, 16381, 16382, 16383, 16384, 70000]) {
      const m = { label: '', child: { label: '', child: { blob: new Uint8Array(size).fill(7) } } };
      const bytes = Node.encode(m as any);
      const back = Node.decode(bytes);
      assert.equal(back.child?.child?.blob.length, size);
      // Field 2 holds field 2 holds field 3 (blob): each length is the minimal varint.
      const inner = size === 0 ? 0 : size + 1 + varintLen(size); // an empty blob is the default: not written
      const middle = inner + 1 + varintLen(inner);
      assert.equal(bytes.length, middle + 1 + varintLen(middle), `blob of ${size}`);
    }
  });

  test('protobuf encoding §Submessages: a cyclic object is refused at the depth limit, not a stack overflow', () => {
    const a: Record<string, unknown> = { label: 'a' };
    a.child = a;
    assert.throws(() => Node.encode(a as any), (e: unknown) => (e as { code?: string }).code === 'BAD_VALUE' && /nesting deeper than 100/.test(String(e)));
    // The writer is fine afterwards.
    assert.equal(toHex(Node.encode({ label: 'x' } as any)), '0a0178');
  });

  test('protobuf encoding §Message Structure: a 2 MiB message, then small ones, encode correctly', () => {
    const big = Node.encode({ blob: new Uint8Array(2 * 1024 * 1024).fill(1) } as any);
    assert.equal(big.length, 2 * 1024 * 1024 + 1 + 4);
    assert.equal(toHex(Node.encode({ label: 'y' } as any)), '0a0179');
    assert.throws(() => Node.encode(null as any), (e: unknown) => (e as { code?: string }).code === 'BAD_VALUE');
  });
});

function varintLen(n: number): number {
  return n < 0x80 ? 1 : n < 0x4000 ? 2 : n < 0x200000 ? 3 : 4;
}

describe('protobuf encoding: values that cannot be encoded', () => {
  const bad = (init: Record<string, unknown>) => () => S.encode(init as any);
  const isBad = (e: unknown) => (e as { code?: string }).code === 'BAD_VALUE';
  test('language guide §Scalar Value Types: out-of-range or mistyped values throw BAD_VALUE', () => {
    assert.throws(bad({ i32: 2 ** 31 }), isBad);
    assert.throws(bad({ i32: 1.5 }), isBad);
    assert.throws(bad({ u32: -1 }), isBad);
    assert.throws(bad({ i32: '1' }), isBad);
    assert.throws(bad({ u64: -1n }), isBad);
    assert.throws(bad({ i64: 1n << 63n }), isBad);
    assert.throws(bad({ i64: 1.5 }), isBad);
    assert.throws(bad({ str: 5 }), isBad);
    assert.throws(bad({ b: 1 }), isBad);
    assert.throws(bad({ byt: 'x' }), isBad);
    assert.throws(bad({ dbl: '1' }), isBad);
  });
  test('language guide §Scalar Value Types: 64-bit fields also take safe integers and decimal strings', () => {
    assert.equal(toHex(S.encode({ i64: 5, u64: '300' } as any)), '1005' + '20ac02');
  });
});
