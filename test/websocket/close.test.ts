import { test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeClosePayload, encodeClosePayload, isValidCloseCode, reasonBytes, truncateReason } from '../../lib/websocket/close.js';
import { WebSocketError } from '../../lib/websocket/errors.js';
import { hex, toHex } from '../support/random.js';

test('RFC 6455 §7.4: close codes valid on the wire follow §7.4.1, §7.4.2 and the IANA registry', () => {
  const valid = [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 3999, 4000, 4999];
  const invalid = [0, 999, 1004, 1005, 1006, 1015, 1016, 2000, 2999, 5000, 65535, 1000.5, -1];
  for (const c of valid) assert.equal(isValidCloseCode(c), true, String(c));
  for (const c of invalid) assert.equal(isValidCloseCode(c), false, String(c));
});

test('RFC 6455 §5.5.1: a close body is the 2-byte big-endian code then the UTF-8 reason', () => {
  assert.equal(toHex(encodeClosePayload(1000, 'ok')), '03e86f6b');
  assert.equal(toHex(encodeClosePayload()), '');
  assert.deepEqual(decodeClosePayload(hex('0fa0')), { ok: true, code: 4000, reason: '' });
  assert.deepEqual(decodeClosePayload(new Uint8Array(0)), { ok: true, code: 1005, reason: '' });
});

test('RFC 6455 §5.5: a close reason over 123 bytes is refused, so no control frame exceeds 125 bytes', () => {
  assert.equal(encodeClosePayload(1000, 'x'.repeat(123)).length, 125);
  assert.throws(() => encodeClosePayload(1000, 'x'.repeat(124)), (e: WebSocketError) => e.code === 'WS_ERR_INVALID_CLOSE_ARGS');
  // 62 two-byte characters: 124 bytes, though only 62 UTF-16 units.
  assert.throws(() => encodeClosePayload(1000, 'é'.repeat(62)), /124 bytes/);
});

test('RFC 6455 §7.4: close() refuses codes that may not be sent, and a reason without a code', () => {
  for (const c of [1005, 1006, 1015, 999, 5000]) assert.throws(() => encodeClosePayload(c), /may not be sent/);
  assert.throws(() => encodeClosePayload(undefined, 'why'), /needs a close code/);
});

test('advisory §CVE-2026-45736: a TypedArray close reason is sent as exactly its bytes, never uninitialized memory', () => {
  // GHSA-58qx-3vcg-4xpx (ws < 8.20.1): close(1000, new Float32Array(20)) must carry 80 zero bytes.
  const body = encodeClosePayload(1000, new Float32Array(20));
  assert.equal(body.length, 82);
  assert.deepEqual(body.subarray(2), new Uint8Array(80));
  const u16 = new Uint16Array(Uint8Array.from(Buffer.from('abcdef')).buffer);
  assert.equal(reasonBytes(u16).length, 6);
  assert.equal(toHex(encodeClosePayload(1000, u16)), '03e8616263646566');
  // A view into a larger buffer sends only the view's bytes.
  const big = Buffer.from('0123456789');
  assert.equal(toHex(encodeClosePayload(1000, big.subarray(2, 4))), '03e83233');
});

test('advisory §CVE-2026-45736: a TypedArray reason is measured in bytes, so it never makes a close frame over 125 bytes', () => {
  // 40 elements of 4 bytes each = 160 bytes: over the limit although .length is 40.
  assert.throws(() => encodeClosePayload(1000, new Uint32Array(40)), /160 bytes/);
  assert.throws(() => encodeClosePayload(1000, hex('ff')), /not valid UTF-8/);
  assert.throws(() => encodeClosePayload(1000, 5 as unknown as string), /string or an ArrayBufferView/);
});

test('RFC 6455 §5.5: an error message used as a close reason is cut to 123 bytes on a character boundary', () => {
  assert.equal(truncateReason('short'), 'short');
  const cut = truncateReason('é'.repeat(100));
  assert.equal(Buffer.byteLength(cut), 122);
  assert.equal(cut, 'é'.repeat(61));
});
