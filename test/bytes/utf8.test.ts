import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Utf8Validator, isValidUtf8 } from '../../lib/bytes/index.js';
import { Rand, bytewise, everySplit, hex, testSeed } from '../support/random.js';

const fatal = new TextDecoder('utf-8', { fatal: true });
function reference(bytes: Uint8Array): boolean {
  try {
    fatal.decode(bytes);
    return true;
  } catch {
    return false;
  }
}

/** Feed pieces; return the index of the piece at which it said invalid, or -1, and end(). */
function feed(pieces: Uint8Array[]): { failedAt: number; ok: boolean } {
  const v = new Utf8Validator();
  for (let i = 0; i < pieces.length; i++) if (!v.push(pieces[i])) return { failedAt: i, ok: false };
  return { failedAt: -1, ok: v.end() };
}

const valid = [
  '', 'a', 'hello', 'héllo', '€', '𝄞', '\u{10FFFF}', '\u{D7FF}', '\u{E000}', '\u{FFFD}', 'κόσμε',
  'Stra\u00dfe \u2603 \u{1F600}',
];

test('RFC 3629 §4: well-formed sequences of every length are valid, at every split', () => {
  for (const s of valid) {
    const bytes = new TextEncoder().encode(s);
    for (const pieces of everySplit(bytes)) assert.deepEqual(feed(pieces), { failedAt: -1, ok: true }, s);
    assert.deepEqual(feed(bytewise(bytes)), { failedAt: -1, ok: bytes.length >= 0 });
    assert.equal(isValidUtf8(bytes), true);
  }
});

const invalid: [string, string][] = [
  ['c0 af', 'overlong 2-byte form of "/" (C0 never appears)'],
  ['c1 bf', 'C1 never appears'],
  ['e0 80 af', 'overlong 3-byte form'],
  ['e0 9f bf', 'overlong 3-byte form just under U+0800'],
  ['f0 80 80 af', 'overlong 4-byte form'],
  ['f0 8f bf bf', 'overlong 4-byte form just under U+10000'],
  ['ed a0 80', 'surrogate U+D800'],
  ['ed bf bf', 'surrogate U+DFFF'],
  ['ed a0 80 ed b0 80', 'surrogate pair encoded as two 3-byte forms (CESU-8)'],
  ['f4 90 80 80', 'U+110000, above U+10FFFF'],
  ['f5 80 80 80', 'F5 never appears'],
  ['ff', 'FF never appears'],
  ['fe', 'FE never appears'],
  ['80', 'lone continuation byte'],
  ['bf', 'lone continuation byte'],
  ['c2 41', 'lead byte followed by ASCII'],
  ['e2 82 41', '3-byte sequence cut by ASCII'],
  ['f0 9f 98 41', '4-byte sequence cut by ASCII'],
  ['61 80 62', 'continuation byte after ASCII'],
  ['ce ba e1 bd b9 cf 83 ce bc ce b5 ed a0 80 65 64 69 74 65 64', 'valid text followed by a surrogate'],
];

test('RFC 3629 §3: overlong forms, surrogates, bytes C0 C1 F5..FF and values above U+10FFFF are invalid', () => {
  for (const [h, why] of invalid) {
    const bytes = hex(h);
    assert.equal(reference(bytes), false, `reference agrees: ${why}`);
    assert.equal(isValidUtf8(bytes), false, why);
    for (const pieces of everySplit(bytes)) assert.equal(feed(pieces).ok, false, `${why} split ${pieces.map((p) => p.length)}`);
    assert.equal(feed(bytewise(bytes)).ok, false, `${why} byte by byte`);
  }
});

test('RFC 3629 §4: invalid is reported at the first byte that can no longer be valid (fail-fast)', () => {
  // Each case: the bytes, and how many bytes are still a valid prefix.
  const cases: [string, number][] = [
    ['ce ba e1 bd b9 cf 83 ce bc ce b5 ed a0 80 65', 12], // ED then A0: A0 is outside ED's 80..9F
    ['e0 80', 1],
    ['f0 8f', 1],
    ['f4 90', 1],
    ['c0', 0],
    ['f5', 0],
    ['61 62 80', 2],
    ['e2 82 e2', 2],
  ];
  for (const [h, validPrefix] of cases) {
    const bytes = hex(h);
    const { failedAt } = feed(bytewise(bytes));
    assert.equal(failedAt, validPrefix, `${h}: byte ${validPrefix} is the first bad one`);
  }
});

test('RFC 3629 §4: an incomplete sequence at the end is pending, not yet invalid, and fails at end()', () => {
  for (const h of ['e2 82', 'f0 9f 98', 'c3', '61 e2']) {
    const v = new Utf8Validator();
    assert.equal(v.push(hex(h)), true, `${h} could still become valid`);
    assert.equal(v.pending, true);
    assert.equal(v.end(), false);
  }
  const v = new Utf8Validator();
  v.push(hex('e2 82'));
  assert.equal(v.push(hex('ac')), true);
  assert.equal(v.end(), true);
});

test('RFC 3629 §4: once invalid it stays invalid until reset, and push respects start and end', () => {
  const v = new Utf8Validator();
  assert.equal(v.push(hex('ff')), false);
  assert.equal(v.push(hex('61')), false);
  assert.equal(v.valid, false);
  v.reset();
  assert.equal(v.push(hex('61')), true);
  assert.equal(v.end(), true);
  // Only bytes [1, 3) are fed: 'é' is valid even though byte 0 and 3 are not.
  const w = new Utf8Validator();
  assert.equal(w.push(hex('ff c3 a9 ff'), 1, 3), true);
  assert.equal(w.end(), true);
});

test('RFC 3629 §3: seeded random differential test against TextDecoder({fatal: true}), fed in random pieces', () => {
  const rand = new Rand(testSeed('utf8 vs TextDecoder'));
  const alphabet = [
    () => [rand.int(0x80)],
    () => [0xc2 + rand.int(30), 0x80 + rand.int(64)],
    () => Array.from(new TextEncoder().encode(String.fromCodePoint(rand.pick([0x800 + rand.int(0xd000), 0xe000 + rand.int(0x2000)])))),
    () => Array.from(new TextEncoder().encode(String.fromCodePoint(0x10000 + rand.int(0x100000)))),
    () => [rand.int(256)],
    () => [0x80 + rand.int(64)],
    () => [rand.pick([0xe0, 0xed, 0xf0, 0xf4]), rand.int(256), rand.int(256)],
  ];
  let invalidSeen = 0;
  for (let i = 0; i < 6000; i++) {
    const parts: number[] = [];
    const n = rand.range(0, 12);
    // Mostly valid text with the occasional bad byte, so both outcomes are common.
    const noisy = rand.bool(0.5);
    for (let k = 0; k < n; k++) parts.push(...alphabet[noisy ? rand.int(alphabet.length) : rand.int(4)]());
    const bytes = Uint8Array.from(parts);
    const expect = reference(bytes);
    if (!expect) invalidSeen++;
    assert.equal(isValidUtf8(bytes), expect);
    const got = feed(rand.split(bytes, 6));
    assert.equal(got.ok, expect, `bytes ${Buffer.from(bytes).toString('hex')}`);
    // Fail-fast agrees with the reference on the longest valid prefix.
    if (!expect) {
      const v = new Utf8Validator();
      let bad = -1;
      for (let j = 0; j < bytes.length; j++) {
        if (!v.push(bytes, j, j + 1)) {
          bad = j;
          break;
        }
      }
      if (bad >= 0) {
        // Every prefix before `bad` can still be completed into valid text;
        // the prefix through `bad` cannot: no suffix makes the reference accept it.
        assert.equal(reference(bytes.subarray(0, bad + 1)), false);
      }
    }
  }
  assert.ok(invalidSeen > 500, `enough invalid cases (${invalidSeen})`);
});
