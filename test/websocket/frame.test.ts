import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Opcode, encodeFrame, headerSize, maskInto, unmask, writeHeader, describeFrame, opcodeName } from '../../lib/websocket/frame.js';
import { Rand, hex, testSeed, toHex } from '../support/random.js';

const MASK = hex('37fa213d');

test('RFC 6455 §5.7: a single-frame unmasked text message "Hello" is 81 05 48 65 6c 6c 6f', () => {
  assert.equal(toHex(encodeFrame(Opcode.TEXT, true, false, Buffer.from('Hello'))), '810548656c6c6f');
});

test('RFC 6455 §5.7: a single-frame masked text message "Hello" with key 37 fa 21 3d', () => {
  assert.equal(toHex(encodeFrame(Opcode.TEXT, true, false, Buffer.from('Hello'), MASK)), '818537fa213d7f9f4d5158');
});

test('RFC 6455 §5.7: a fragmented unmasked text message "Hel" + "lo"', () => {
  assert.equal(toHex(encodeFrame(Opcode.TEXT, false, false, Buffer.from('Hel'))), '010348656c');
  assert.equal(toHex(encodeFrame(Opcode.CONTINUATION, true, false, Buffer.from('lo'))), '80026c6f');
});

test('RFC 6455 §5.7: unmasked ping and masked pong carrying "Hello"', () => {
  assert.equal(toHex(encodeFrame(Opcode.PING, true, false, Buffer.from('Hello'))), '890548656c6c6f');
  assert.equal(toHex(encodeFrame(Opcode.PONG, true, false, Buffer.from('Hello'), MASK)), '8a8537fa213d7f9f4d5158');
});

test('RFC 6455 §5.7: 256 bytes binary use a 16-bit length, 64 KiB a 64-bit length', () => {
  assert.equal(toHex(encodeFrame(Opcode.BINARY, true, false, new Uint8Array(256)).subarray(0, 4)), '827e0100');
  assert.equal(toHex(encodeFrame(Opcode.BINARY, true, false, new Uint8Array(65536)).subarray(0, 10)), '827f0000000000010000');
});

test('RFC 6455 §5.2: the minimal length encoding is used at the boundaries 124-127 and 65534-65537', () => {
  const cases: [number, string][] = [
    [0, '8200'],
    [124, '827c'],
    [125, '827d'],
    [126, '827e007e'],
    [127, '827e007f'],
    [65534, '827efffe'],
    [65535, '827effff'],
    [65536, '827f0000000000010000'],
    [65537, '827f0000000000010001'],
  ];
  for (const [len, head] of cases) {
    const out = new Uint8Array(14);
    const end = writeHeader(out, 0, Opcode.BINARY, true, false, len);
    assert.equal(toHex(out.subarray(0, end)), head, `length ${len}`);
    assert.equal(headerSize(len, false), end);
    assert.equal(headerSize(len, true), end + 4);
  }
});

test('RFC 6455 §5.2: a 64-bit length beyond 32 bits is written big-endian with the top bit 0', () => {
  const out = new Uint8Array(10);
  writeHeader(out, 0, Opcode.BINARY, true, false, 2 ** 40 + 5);
  assert.equal(toHex(out), '827f0000010000000005');
  writeHeader(out, 0, Opcode.BINARY, true, false, Number.MAX_SAFE_INTEGER);
  assert.equal(out[2] & 0x80, 0);
  assert.equal(toHex(out.subarray(2)), '001fffffffffffff');
});

test('RFC 6455 §5.2: FIN, RSV1 and the MASK bit are set where asked', () => {
  const out = new Uint8Array(6);
  writeHeader(out, 0, Opcode.TEXT, false, true, 3, MASK);
  assert.equal(toHex(out), '418337fa213d');
});

test('RFC 6455 §5.3: masking XORs octet i with key octet i mod 4, at every length, phase and alignment', () => {
  const rand = new Rand(testSeed('masking'));
  const naive = (data: Uint8Array, key: Uint8Array, phase: number) => data.map((b, i) => b ^ key[(i + phase) % 4]);
  for (let round = 0; round < 300; round++) {
    const len = rand.pick([0, 1, 3, 4, 7, 31, 32, 33, 64, 100, 1000, rand.int(5000)]);
    const offset = rand.int(8);
    const backing = rand.bytes(len + 16);
    const data = backing.subarray(offset, offset + len);
    const key = rand.bytes(4);
    const phase = rand.int(4);
    const expected = naive(data, key, phase);
    // Into another buffer with a different alignment.
    const dstOffset = rand.int(8);
    const dst = new Uint8Array(len + 16).subarray(dstOffset, dstOffset + len);
    maskInto(data, 0, len, key, phase, dst, 0);
    assert.deepEqual(dst, expected, `len ${len} offset ${offset}/${dstOffset} phase ${phase}`);
    // In place.
    const copy = new Uint8Array(backing);
    const inPlace = copy.subarray(offset, offset + len);
    unmask(inPlace, key, phase);
    assert.deepEqual(inPlace, expected);
    // Masking twice gives back the original.
    unmask(inPlace, key, phase);
    assert.deepEqual(inPlace, data);
  }
});

test('RFC 6455 §5.3: a payload unmasked in pieces equals one unmasked whole', () => {
  const rand = new Rand(testSeed('masking pieces'));
  const data = rand.bytes(1000);
  const key = rand.bytes(4);
  const whole = new Uint8Array(data);
  unmask(whole, key, 0);
  const pieces = new Uint8Array(data);
  let pos = 0;
  for (const piece of rand.split(pieces, 20)) {
    unmask(piece, key, pos);
    pos += piece.length;
  }
  assert.deepEqual(pieces, whole);
});

test('RFC 6455 §5.2: trace lines decode opcode, FIN, RSV bits, mask and length', () => {
  assert.equal(describeFrame(Opcode.TEXT, true, 0, true, 5, Buffer.from('hello')), 'text fin=1 rsv=000 mask=1 len=5 "hello"');
  assert.match(describeFrame(Opcode.CLOSE, true, 0, false, 4, hex('03e86869')), /close fin=1 rsv=000 mask=0 len=4 code=1000/);
  assert.match(describeFrame(Opcode.BINARY, false, 4, false, 2048, new Uint8Array(2048)), /binary fin=0 rsv=100 .* \(2 KiB\) \(compressed\)/);
  assert.equal(opcodeName(0x3), 'reserved(0x3)');
});
