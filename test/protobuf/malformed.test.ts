/**
 * Hostile bytes: every malformed input is a DecodeError naming the byte
 * offset, never another exception, and the same for decode-raw.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DecodeError, decodeRaw, defineMessage } from '../../lib/protobuf/index.js';
import { Rand, hex, testSeed } from '../support/random.js';

const Inner = defineMessage('m.Inner', { a: { no: 1, type: 'int32' }, s: { no: 2, type: 'string' } });
const T = defineMessage('m.T', {
  n: { no: 1, type: 'int64' },
  s: { no: 2, type: 'string' },
  sub: { no: 3, type: Inner },
  list: { no: 4, type: 'sint32', repeated: true },
  f: { no: 5, type: 'fixed32' },
  d: { no: 6, type: 'double' },
  m: { no: 7, type: 'map', key: 'string', value: Inner },
  subs: { no: 8, type: Inner, repeated: true },
});

function decodeError(h: string, code: string, offset: number) {
  return () => {
    for (const decode of [(b: Uint8Array) => T.decode(b), (b: Uint8Array) => decodeRaw(b)]) {
      assert.throws(
        () => decode(hex(h)),
        (e: unknown) => {
          assert.ok(e instanceof DecodeError, `expected DecodeError, got ${e}`);
          assert.equal(e.code, code);
          assert.equal(e.offset, offset);
          assert.match(e.message, new RegExp(`at byte ${offset}$`));
          return true;
        },
      );
    }
  };
}

describe('malformed input', () => {
  test('protobuf encoding §Base 128 Varints: a truncated varint value', decodeError('08 ff ff', 'TRUNCATED', 1));
  test('protobuf encoding §Base 128 Varints: a truncated tag', decodeError('0801 80', 'TRUNCATED', 2));
  test('protobuf encoding §Base 128 Varints: a varint longer than 10 bytes', decodeError('08 ffffffffffffffffffff01', 'VARINT_TOO_LONG', 1));
  test('protobuf encoding §Length-Delimited Records: a length past the end', decodeError('12 05 6869', 'BAD_LENGTH', 1));
  test('protobuf encoding §Length-Delimited Records: a huge length is refused before any allocation', decodeError('12 ffffffff0f 00', 'BAD_LENGTH', 1));
  test('protobuf encoding §Length-Delimited Records: a truncated length', decodeError('12', 'TRUNCATED', 1));
  test('protobuf encoding §Non-varint Numbers: a truncated fixed32', decodeError('2d 010203', 'TRUNCATED', 1));
  test('protobuf encoding §Non-varint Numbers: a truncated fixed64', decodeError('31 01020304050607', 'TRUNCATED', 1));
  test('protobuf encoding §Message Structure: wire type 6 does not exist', decodeError('0801 4e 00', 'BAD_WIRE_TYPE', 2));
  test('protobuf encoding §Message Structure: wire type 7 does not exist', decodeError('4f 00', 'BAD_WIRE_TYPE', 0));
  test('protobuf encoding §Message Structure: field number 0', decodeError('00 01', 'BAD_FIELD_NUMBER', 0));
  test('protobuf encoding §Message Structure: field number 0 with a multi-byte tag', decodeError('0801 8000 01', 'BAD_FIELD_NUMBER', 2));
  test('protobuf encoding §Groups: an end-group tag without its start', decodeError('0801 4c', 'BAD_GROUP', 2));
  test('protobuf encoding §Groups: a group that is never closed', decodeError('4b 0801', 'BAD_GROUP', 0));
  test('protobuf encoding §Groups: a group closed by another field\'s end tag', decodeError('4b 0801 54', 'BAD_GROUP', 3));

  test('protobuf encoding §Submessages: a sub-message field may not run past its parent', () => {
    // sub (field 3) is 2 bytes long, but its string field claims 3.
    assert.throws(() => T.decode(hex('1a02 1203 616263')), (e: unknown) => e instanceof DecodeError && e.code === 'BAD_LENGTH' && e.offset === 3);
    // The varint at the end of sub continues past its 2 bytes.
    assert.throws(() => T.decode(hex('1a02 08 80 01')), (e: unknown) => e instanceof DecodeError && e.code === 'TRUNCATED' && e.offset === 3);
  });

  test('protobuf encoding §Maps: a malformed map entry is a DecodeError', () => {
    assert.throws(() => T.decode(hex('3a03 0a0561')), (e: unknown) => e instanceof DecodeError && e.code === 'BAD_LENGTH');
  });

  test('protobuf encoding §Groups: a well-formed unknown group is skipped, nested groups too', () => {
    const m = T.decode(hex('4b 0801 5b 1002 5c 4c 1201 78'));
    assert.equal(m.s, 'x');
  });

  test('protobuf encoding §Message Structure: seeded random bytes never throw anything but DecodeError', () => {
    const rand = new Rand(testSeed('protobuf random garbage'));
    // Start from valid messages and corrupt them, so decoding gets deep before failing.
    const valid = T.encode({
      n: -5n, s: 'hello', sub: { a: 1, s: 'é' }, list: [1, -2, 300], f: 7, d: 1.5,
      m: { k: { a: 2, s: 'v' } }, subs: [{ a: 3, s: '' }, { a: 0, s: 'w' }],
    });
    let failures = 0;
    for (let i = 0; i < 3000; i++) {
      const b = i % 3 === 0 ? rand.bytes(rand.range(0, 40)) : Uint8Array.from(valid);
      if (i % 3 !== 0) for (let k = rand.range(1, 3); k > 0; k--) b[rand.int(b.length)] = rand.int(256);
      const input = i % 5 === 0 ? b.subarray(0, rand.int(b.length + 1)) : b;
      for (const decode of [() => T.decode(input), () => decodeRaw(input)]) {
        try {
          decode();
        } catch (e) {
          failures++;
          assert.ok(e instanceof DecodeError, `input ${Buffer.from(input).toString('hex')}: ${e}`);
          assert.ok(e.offset >= 0 && e.offset <= input.length, `offset ${e.offset} in ${input.length} bytes`);
        }
      }
    }
    assert.ok(failures > 100, `only ${failures} inputs failed; the generator is too tame`);
  });
});
