import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  ByteReader,
  ByteWriter,
  BytesError,
  readU16BE,
  readU32BE,
  readU64BE,
  readU64BENumber,
  writeU16BE,
  writeU32BE,
  writeU64BE,
} from '../../lib/bytes/index.js';
import { Rand, hex, testSeed, toHex } from '../support/random.js';

test('RFC 791 §Appendix B: 16/32/64-bit integers are big-endian, most significant byte first', () => {
  const b = new Uint8Array(8);
  writeU16BE(b, 0, 0x1234);
  assert.equal(toHex(b.subarray(0, 2)), '1234');
  writeU32BE(b, 0, 0xdeadbeef);
  assert.equal(toHex(b.subarray(0, 4)), 'deadbeef');
  assert.equal(readU32BE(b, 0), 0xdeadbeef);
  writeU64BE(b, 0, 0x0102030405060708n);
  assert.equal(toHex(b), '0102030405060708');
  assert.equal(readU64BE(b, 0), 0x0102030405060708n);
  writeU64BE(b, 0, 2 ** 53 - 1);
  assert.equal(toHex(b), '001fffffffffffff');
  assert.equal(readU64BENumber(b, 0), 2 ** 53 - 1);
  assert.equal(readU64BENumber(hex('0020000000000000'), 0), -1);
  assert.equal(readU64BENumber(hex('8000000000000000'), 0), -1);
});

test('RFC 791 §Appendix B: seeded random agreement with Buffer methods', () => {
  const rand = new Rand(testSeed('endian vs Buffer'));
  const buf = Buffer.alloc(16);
  for (let i = 0; i < 3000; i++) {
    const v16 = rand.int(0x10000);
    const v32 = rand.int(2 ** 32);
    const v64 = (BigInt(rand.int(2 ** 32)) << 32n) | BigInt(rand.int(2 ** 32));
    const pos = rand.int(8);
    writeU16BE(buf, pos, v16);
    assert.equal(buf.readUInt16BE(pos), v16);
    assert.equal(readU16BE(buf, pos), v16);
    writeU32BE(buf, pos, v32);
    assert.equal(buf.readUInt32BE(pos), v32);
    buf.writeUInt32BE(v32, pos);
    assert.equal(readU32BE(buf, pos), v32);
    writeU64BE(buf, pos, v64);
    assert.equal(buf.readBigUInt64BE(pos), v64);
    buf.writeBigUInt64BE(v64, pos);
    assert.equal(readU64BE(buf, pos), v64);
  }
});

test('RFC 791 §Appendix B: ByteWriter grows as needed and ByteReader reads the same fields back', () => {
  const w = new ByteWriter(1);
  w.u8(0xff).u16be(0xabcd).u32be(0x01020304).u64be(5n).u64be(7).bytes(hex('cafe'));
  const n = w.utf8('héllo €');
  assert.equal(n, Buffer.byteLength('héllo €'));
  assert.equal(w.length, 1 + 2 + 4 + 8 + 8 + 2 + n);
  const bytes = w.finish();
  assert.equal(w.length, 0);
  const r = new ByteReader(bytes);
  assert.equal(r.u8(), 0xff);
  assert.equal(r.u16be(), 0xabcd);
  assert.equal(r.u32be(), 0x01020304);
  assert.equal(r.u64be(), 5n);
  assert.equal(r.u64be(), 7n);
  assert.equal(toHex(r.bytes(2)), 'cafe');
  assert.equal(r.utf8(n), 'héllo €');
  assert.equal(r.remaining, 0);
  // A big write grows in one step.
  const big = new ByteWriter(16);
  big.bytes(new Uint8Array(1000).fill(7));
  assert.equal(big.view().length, 1000);
  big.reset();
  assert.equal(big.view().length, 0);
});

test('RFC 791 §Appendix B: ByteReader never reads past its end and names the offset', () => {
  const r = new ByteReader(hex('0102030405'), 1, 4);
  assert.equal(r.remaining, 3);
  assert.throws(() => r.u32be(), (e: unknown) => e instanceof BytesError && e.offset === 1 && e.code === 'TRUNCATED');
  assert.equal(r.u16be(), 0x0203);
  assert.throws(() => r.bytes(2), BytesError);
  assert.throws(() => r.discard(-1), BytesError);
  r.discard(1);
  assert.throws(() => r.u8(), /at byte 4/);
  assert.throws(() => new ByteReader(new Uint8Array(7)).u64be(), BytesError);
  // Strict UTF-8: an overlong form is refused.
  assert.throws(() => new ByteReader(hex('c0af')).utf8(2), TypeError);
});
