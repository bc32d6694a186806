import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ChunkQueue } from '../../lib/bytes/index.js';
import { Rand, hex, testSeed, toHex } from '../support/random.js';

// Title prefix: ChunkQueue serves the incremental parsers that RFC 6455 §5.2
// and the other framings need ("the next N bytes" across any split).

test('RFC 6455 §5.2: ChunkQueue reads within one chunk as a view, without copying', () => {
  const q = new ChunkQueue();
  const a = hex('00010203');
  q.push(a);
  const v = q.read(2);
  assert.equal(toHex(v), '0001');
  assert.equal(v.buffer, a.buffer, 'same backing buffer: no copy');
  assert.equal(q.length, 2);
});

test('RFC 6455 §5.2: ChunkQueue reads across chunk boundaries and consumes exactly N bytes', () => {
  const q = new ChunkQueue();
  q.push(hex('0001'));
  q.push(new Uint8Array(0));
  q.push(hex('02'));
  q.push(hex('030405'));
  assert.equal(q.length, 6);
  assert.equal(q.chunkCount, 3);
  assert.equal(q.byteAt(2), 2);
  assert.equal(q.byteAt(5), 5);
  assert.equal(toHex(q.peek(4)), '00010203');
  assert.equal(q.length, 6, 'peek does not consume');
  assert.equal(toHex(q.read(3)), '000102');
  assert.equal(toHex(q.read(2)), '0304');
  assert.equal(q.byteAt(0), 5);
  assert.equal(toHex(q.readAll()), '05');
  assert.equal(q.length, 0);
  assert.equal(q.read(0).length, 0);
});

test('RFC 6455 §5.2: ChunkQueue refuses to read, peek or discard more than it holds', () => {
  const q = new ChunkQueue();
  q.push(hex('aabb'));
  assert.throws(() => q.read(3), RangeError);
  assert.throws(() => q.peek(-1), RangeError);
  assert.throws(() => q.discard(3), RangeError);
  assert.throws(() => q.byteAt(2), RangeError);
  assert.throws(() => q.byteAt(-1), RangeError);
  q.clear();
  assert.equal(q.length, 0);
  assert.equal(q.chunkCount, 0);
});

test('RFC 6455 §5.2: ChunkQueue.indexOf finds a byte across chunks and honours `from`', () => {
  const q = new ChunkQueue();
  q.push(hex('610a62'));
  q.push(hex('63'));
  q.push(hex('0a64'));
  assert.equal(q.indexOf(0x0a), 1);
  assert.equal(q.indexOf(0x0a, 2), 4);
  assert.equal(q.indexOf(0x0a, 5), -1);
  assert.equal(q.indexOf(0x7a), -1);
  q.discard(2);
  assert.equal(q.indexOf(0x0a), 2);
  assert.equal(q.indexOf(0x62), 0);
  assert.equal(q.indexOf(0x64, 1), 3);
});

test('RFC 6455 §5.2: ChunkQueue compacts consumed chunks so thousands of tiny pushes stay bounded', () => {
  const q = new ChunkQueue();
  for (let i = 0; i < 10000; i++) {
    q.push(Uint8Array.of(i & 0xff));
    if (q.length > 3) q.discard(2);
  }
  assert.ok(q.chunkCount < 10);
  assert.ok(q.length <= 3);
});

test('RFC 6455 §5.2: seeded random pushes and reads agree with one concatenated buffer', () => {
  const rand = new Rand(testSeed('ChunkQueue vs concatenation'));
  for (let round = 0; round < 200; round++) {
    const data = rand.bytes(rand.range(1, 400));
    const q = new ChunkQueue();
    let pushed = 0;
    let consumed = 0;
    for (const piece of rand.split(data, 20)) {
      q.push(piece);
      pushed += piece.length;
      while (q.length > 0 && rand.bool(0.6)) {
        const op = rand.int(4);
        const n = rand.range(0, q.length);
        if (op === 0) {
          assert.equal(toHex(q.read(n)), toHex(data.subarray(consumed, consumed + n)));
          consumed += n;
        } else if (op === 1) {
          q.discard(n);
          consumed += n;
        } else if (op === 2) {
          assert.equal(toHex(q.peek(n)), toHex(data.subarray(consumed, consumed + n)));
        } else {
          const b = data[consumed + rand.int(pushed - consumed)];
          const expect = Buffer.from(data.subarray(consumed, pushed)).indexOf(b);
          assert.equal(q.indexOf(b), expect);
        }
        assert.equal(q.length, pushed - consumed);
      }
    }
    const out = new Uint8Array(q.length);
    q.copyOut(out, 0, q.length);
    assert.equal(toHex(out), toHex(data.subarray(consumed)));
  }
});
