/**
 * One named test per known attack on protobuf libraries.
 */
import assert from 'node:assert/strict';
import { isUtf8 } from 'node:buffer';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { DecodeError, Root, decodeRaw, defineMessage, loadProtoFiles, parseProto } from '../../lib/protobuf/index.js';
import { Rand, hex, testSeed, toHex } from '../support/random.js';

function assertNoPollution(): void {
  const probe: Record<string, unknown> = {};
  for (const key of ['polluted', 'verified', 'x', 'bar', 'a']) {
    assert.equal(probe[key], undefined, `Object.prototype.${key} was set`);
  }
  assert.equal(Object.getPrototypeOf(probe), Object.prototype);
}

describe('advisories', () => {
  test('advisory §CVE-2022-25878: options naming __proto__ / constructor.prototype in .proto text pollute nothing', () => {
    const root = new Root([
      parseProto(
        `syntax = "proto3";
         package p;
         option (__proto__).polluted = "yes";
         option (constructor).prototype.verified = true;
         option constructor.prototype.x = 1;
         message M {
           option (__proto__).polluted = "yes";
           int32 a = 1 [(__proto__).polluted = "yes", (constructor).prototype.verified = true];
           string b = 2 [(foo) = { __proto__: { polluted: "yes" } }];
         }
         enum E { option (__proto__).polluted = true; E0 = 0 [(__proto__).polluted = "yes"]; }
         service S { option (__proto__).polluted = "yes"; rpc Do (M) returns (M) { option (__proto__).polluted = "yes"; } }`,
        'evil.proto',
      ),
    ]);
    assertNoPollution();
    const M = root.lookupType('p.M');
    assert.deepEqual(M.fields.map((f) => f.name), ['a', 'b']);
  });

  test('advisory §CVE-2022-25878: types, fields and enum values named __proto__ and constructor are ordinary names', () => {
    const root = new Root([
      parseProto(
        `syntax = "proto3";
         package __proto__;
         message __proto__ { int32 __proto__ = 1; string constructor = 2; map<string, int32> prototype = 3; string to_string = 4 [json_name = "__proto__"]; }
         enum constructor { __proto__ = 0; prototype = 1; }`,
        'names.proto',
      ),
    ]);
    const T = root.lookupType('__proto__.__proto__');
    assert.equal(root.lookupEnum('__proto__.constructor').numberOf('__proto__'), 0);
    const m = T.decode(hex('0801 1201 78 1a0b 0a095f5f70726f746f5f5f 2201 79'));
    assert.equal(m.Proto, 1, '"__proto__" becomes the lowerCamelCase property "Proto"');
    assert.equal(m.constructor, 'x');
    assert.equal(Object.getPrototypeOf(m), Object.prototype);
    assert.equal(Object.getPrototypeOf(m.prototype), null);
    assert.ok(Object.hasOwn(m.prototype, '__proto__'));
    const json = T.toJson(m) as Record<string, unknown>;
    assert.ok(Object.hasOwn(json, '__proto__'), 'json_name "__proto__" is an own property');
    assert.equal(Object.getPrototypeOf(json), Object.prototype);
    assert.equal(JSON.stringify(json), '{"Proto":1,"constructor":"x","prototype":{"__proto__":0},"__proto__":"y"}');
    assert.deepEqual(T.toJson(T.fromJson(JSON.parse(JSON.stringify(json)))), json);
    assertNoPollution();
  });

  test('advisory §CVE-2023-36665: "__proto__" keys in JSON input are unknown fields or plain map keys', () => {
    const M = defineMessage('adv.M', {
      name: { no: 1, type: 'string' },
      m: { no: 2, type: 'map', key: 'string', value: 'string' },
      sub: { no: 3, type: (): any => M },
    });
    assert.throws(() => M.fromJson(JSON.parse('{"__proto__": {"polluted": "yes"}}')), (e: unknown) => (e as { code?: string }).code === 'BAD_JSON');
    assert.throws(() => M.fromJson(JSON.parse('{"constructor": {"prototype": {"polluted": "yes"}}}')), /no field "constructor"/);
    const m = M.fromJson(JSON.parse('{"m": {"__proto__": "polluted", "constructor": "x"}, "sub": {"m": {"__proto__": "y"}}}'));
    assert.equal(Object.getPrototypeOf(m.m), null);
    assert.equal(m.m['__proto__'], 'polluted');
    assert.equal(m.sub.m['__proto__'], 'y');
    // ... and the same key arriving in binary.
    const back = M.decode(M.encode(m));
    assert.equal(back.m['__proto__'], 'polluted');
    assert.equal(Object.getPrototypeOf(back.m), null);
    // ignoreUnknownFields skips "__proto__" rather than following it.
    M.fromJson(JSON.parse('{"__proto__": {"polluted": "yes"}}'), { ignoreUnknownFields: true });
    assertNoPollution();
  });

  test('advisory §CVE-2026-44291: schema names are never compiled as code', () => {
    (globalThis as Record<string, unknown>).__pwned = undefined;
    const evil = "a'); globalThis.__pwned = true; ('";
    const evil2 = '}; globalThis.__pwned = true; function x() {';
    const M = defineMessage("evil.M'); globalThis.__pwned = true; ('", {
      [evil]: { no: 1, type: 'string' },
      [evil2]: { no: 2, type: 'int32', repeated: true },
    } as Record<string, { no: number; type: 'string' | 'int32'; repeated?: boolean }>);
    const m = M.decode(M.encode({ [evil]: 'v', [evil2]: [1, 2] } as any)) as Record<string, unknown>;
    assert.equal(m[evil], 'v');
    assert.deepEqual(m[evil2], [1, 2]);
    assert.deepEqual(M.toJson(m as any), { [evil]: 'v', [evil2]: [1, 2] });
    assert.equal((globalThis as Record<string, unknown>).__pwned, undefined);
    // And the codec source never builds functions from text.
    const dir = join(import.meta.dirname, '../../lib/protobuf');
    for (const f of readdirSync(dir)) {
      const src = readFileSync(join(dir, f), 'utf8');
      assert.doesNotMatch(src, /new Function|\beval\(|Function\(/, `${f} generates code`);
    }
  });

  test('advisory §CVE-2026-44288: overlong and otherwise invalid UTF-8 in a string field is a DecodeError', () => {
    const M = defineMessage('adv.S', { s: { no: 1, type: 'string' }, b: { no: 2, type: 'bytes' } });
    const bad = ['c0af', 'e080af', 'f08080af', 'eda080', 'edbfbf', 'f4908080', 'f5808080', '80', 'c3', 'e282', 'fe', 'ff'];
    for (const seq of bad) {
      for (const pad of ['', '61'.repeat(40), '61'.repeat(100)]) {
        const body = pad + seq;
        const input = hex('0a' + (body.length / 2).toString(16).padStart(2, '0') + body); // lengths < 128: one byte
        assert.throws(() => M.decode(input), (e: unknown) => e instanceof DecodeError && e.code === 'BAD_UTF8' && e.offset === 2, `UTF-8 ${seq} after ${pad.length / 2} bytes`);
      }
    }
    // A genuine U+FFFD (EF BF BD) is valid text.
    assert.equal(M.decode(hex('0a03efbfbd')).s, '\ufffd');
    // Seeded random byte strings: accepted exactly when Node's own validator says valid UTF-8.
    const rand = new Rand(testSeed('protobuf utf8 fuzz'));
    const good = [[0x41], [0x00], [0x7f], [0xc3, 0xa9], [0xdf, 0xbf], [0xe0, 0xa0, 0x80], [0xe2, 0x82, 0xac], [0xed, 0x9f, 0xbf], [0xef, 0xbf, 0xbd], [0xf0, 0x9f, 0x98, 0x80], [0xf4, 0x8f, 0xbf, 0xbf]];
    const evil = [[0x80], [0xbf], [0xc0, 0xaf], [0xc1], [0xc2], [0xe0, 0x80, 0x80], [0xe0, 0x9f], [0xed, 0xa0, 0x80], [0xf0, 0x8f, 0xbf, 0xbf], [0xf4, 0x90, 0x80, 0x80], [0xf5], [0xff], [0xe2, 0x82]];
    let valid = 0;
    for (let i = 0; i < 5000; i++) {
      const parts: number[] = [];
      for (let k = rand.range(1, 6); k > 0; k--) parts.push(...(rand.bool(0.9) ? rand.pick(good) : rand.pick(evil)));
      const body = Uint8Array.from(parts);
      const input = Uint8Array.from([0x0a, body.length, ...body]);
      let ok = true;
      try {
        assert.equal(M.decode(input).s, Buffer.from(body).toString('utf8'));
      } catch (e) {
        assert.ok(e instanceof DecodeError && e.code === 'BAD_UTF8', String(e));
        ok = false;
      }
      assert.equal(ok, isUtf8(body), `bytes ${toHex(body)}`);
      if (ok) valid++;
    }
    assert.ok(valid > 200 && valid < 4800, `${valid} valid of 5000: the generator is lopsided`);
    // The same bytes are fine in a bytes field, and valid edge sequences are fine in a string.
    assert.equal(toHex(M.decode(hex('1202c0af')).b), 'c0af');
    assert.equal(M.decode(hex('0a0bc2 80 df bf ef bf bf f4 8f bf bf'.replace(/ /g, ''))).s, '\u0080\u07ff\uffff\u{10ffff}');
  });

  test('advisory §deep nesting: unknown groups deeper than 100 levels stop at the depth limit', () => {
    const M = defineMessage('adv.D', { a: { no: 1, type: 'int32' } });
    const nest = (d: number) => hex('4b'.repeat(d) + '4c'.repeat(d));
    M.decode(nest(100));
    decodeRaw(nest(100));
    for (const decode of [(b: Uint8Array) => M.decode(b), (b: Uint8Array) => decodeRaw(b)]) {
      assert.throws(() => decode(nest(101)), (e: unknown) => e instanceof DecodeError && e.code === 'TOO_DEEP' && e.offset === 100);
      assert.throws(() => decode(nest(200_000)), (e: unknown) => e instanceof DecodeError && e.code === 'TOO_DEEP');
    }
  });

  test('advisory §deep nesting: recursive messages deeper than 100 levels stop at the depth limit', () => {
    const R = defineMessage('adv.R', { child: { no: 1, type: (): any => R }, v: { no: 2, type: 'int32' } });
    const nest = (d: number): Uint8Array => {
      let b = hex('1001');
      for (let i = 0; i < d; i++) b = Uint8Array.from([...hex('0a'), ...lenVarint(b.length), ...b]);
      return b;
    };
    let m = R.decode(nest(100));
    for (let i = 0; i < 100; i++) m = m.child;
    assert.equal(m.v, 1);
    assert.throws(() => R.decode(nest(101)), (e: unknown) => e instanceof DecodeError && e.code === 'TOO_DEEP');
    assert.throws(() => R.decode(nest(5), { maxDepth: 4 }), (e: unknown) => e instanceof DecodeError && e.code === 'TOO_DEEP');
    R.decode(nest(5), { maxDepth: 5 });
  });

  test('advisory §deep nesting: a loaded .proto schema recursing through a map value is bounded too', () => {
    const dir = join(import.meta.dirname, 'fixtures');
    const root = loadProtoFiles(join(dir, 'tree.proto'));
    const T = root.lookupType('fixtures.Tree');
    let b = new Uint8Array(0);
    for (let i = 0; i < 60; i++) {
      // entry { key "k" value <b> } inside field 2 (map<string, Tree>)
      const entry = Uint8Array.from([0x0a, 1, 0x6b, 0x12, ...lenVarint(b.length), ...b]);
      b = Uint8Array.from([0x12, ...lenVarint(entry.length), ...entry]);
    }
    assert.throws(() => T.decode(b), (e: unknown) => e instanceof DecodeError && e.code === 'TOO_DEEP');
  });
});

function lenVarint(n: number): number[] {
  const out: number[] = [];
  while (n >= 0x80) {
    out.push((n & 0x7f) | 0x80);
    n >>>= 7;
  }
  out.push(n);
  return out;
}
