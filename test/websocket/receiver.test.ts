import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Opcode, encodeFrame } from '../../lib/websocket/frame.js';
import { bytewise, everySplit, hex, Rand, testSeed } from '../support/random.js';
import { cframe, closeBody, recorder, sframe, type Rec } from './helpers.js';

/** Feed copies of the chunks (the receiver unmasks in place, as it may with socket buffers it owns). */
function feed(chunks: Uint8Array[], opts = {}): Rec[] {
  const { receiver, events } = recorder(opts);
  for (const c of chunks) receiver.push(Uint8Array.from(c));
  return events;
}

const errorOf = (events: Rec[]) => events.find((e) => e.type === 'error') as Extract<Rec, { type: 'error' }> | undefined;

test('RFC 6455 §5.7: the masked "Hello" frame parses at every split and byte by byte', () => {
  const frame = hex('818537fa213d7f9f4d5158');
  for (const split of everySplit(frame)) assert.deepEqual(feed(split), [{ type: 'message', data: 'Hello', binary: false, compressed: false }]);
  assert.deepEqual(feed(bytewise(frame)), [{ type: 'message', data: 'Hello', binary: false, compressed: false }]);
});

test('RFC 6455 §5.7: an unmasked fragmented "Hel"+"lo" is one message at the client', () => {
  const events = feed([hex('010348656c'), hex('80026c6f')], { role: 'client' });
  assert.deepEqual(events, [{ type: 'message', data: 'Hello', binary: false, compressed: false }]);
});

test('RFC 6455 §5.2: 16-bit and 64-bit payload lengths at the 125/126 and 65535/65536 boundaries', () => {
  for (const len of [0, 1, 125, 126, 127, 65535, 65536, 70000]) {
    const payload = new Uint8Array(len).map((_, i) => i & 0xff);
    const events = feed(bytewise(cframe(Opcode.BINARY, payload)).length > 5000 ? [cframe(Opcode.BINARY, payload)] : bytewise(cframe(Opcode.BINARY, payload)));
    assert.equal(events.length, 1, `len ${len}`);
    assert.equal((events[0] as { data: string }).data, Buffer.from(payload).toString('hex'));
  }
});

test('RFC 6455 §5.4: control frames may be injected in the middle of a fragmented message', () => {
  const stream = Buffer.concat([
    cframe(Opcode.TEXT, 'frag1 ', false),
    cframe(Opcode.PING, 'p'),
    cframe(Opcode.CONTINUATION, 'frag2 ', false),
    cframe(Opcode.PONG, 'q'),
    cframe(Opcode.CONTINUATION, 'end', true),
  ]);
  for (const chunks of [[stream], bytewise(stream)]) {
    assert.deepEqual(feed(chunks), [
      { type: 'ping', data: '70' },
      { type: 'pong', data: '71' },
      { type: 'message', data: 'frag1 frag2 end', binary: false, compressed: false },
    ]);
  }
});

test('RFC 6455 §5.4: a message of many fragments, some empty, reassembles in order', () => {
  const parts = ['', 'a', '', 'bc', 'd'.repeat(2000), '', 'e'];
  const frames = parts.map((p, i) => cframe(i === 0 ? Opcode.BINARY : Opcode.CONTINUATION, p, i === parts.length - 1));
  const events = feed([Buffer.concat(frames)]);
  assert.deepEqual(events, [{ type: 'message', data: Buffer.from(parts.join('')).toString('hex'), binary: true, compressed: false }]);
});

test('RFC 6455 §5.5.2: a ping payload is reported for the pong; §5.5.3: pongs are reported', () => {
  assert.deepEqual(feed([cframe(Opcode.PING, 'abc'), cframe(Opcode.PONG, '')]), [
    { type: 'ping', data: '616263' },
    { type: 'pong', data: '' },
  ]);
});

test('RFC 6455 §5.5.1: an empty close frame reports 1005, and nothing after it is processed', () => {
  const events = feed([Buffer.concat([cframe(Opcode.CLOSE, ''), cframe(Opcode.TEXT, 'after')])]);
  assert.deepEqual(events, [{ type: 'close', code: 1005, reason: '' }]);
});

test('RFC 6455 §5.5.1: a close frame carries a code and a UTF-8 reason', () => {
  assert.deepEqual(feed([cframe(Opcode.CLOSE, closeBody(1000, 'bye ✓'))]), [{ type: 'close', code: 1000, reason: 'bye ✓' }]);
  assert.deepEqual(feed([cframe(Opcode.CLOSE, closeBody(4999))]), [{ type: 'close', code: 4999, reason: '' }]);
});

// One row per failure rule: [title, frames, close code, error code, receiver options]
const failures: [string, Buffer, number, string, object?][] = [
  ['RFC 6455 §5.2: RSV2 set fails with 1002', encodeFrame(0x20 | Opcode.TEXT, true, false, Buffer.from('x'), hex('00000000')), 1002, 'WS_ERR_RESERVED_BITS'],
  ['RFC 6455 §5.2: RSV3 set fails with 1002', encodeFrame(0x10 | Opcode.TEXT, true, false, Buffer.from('x'), hex('00000000')), 1002, 'WS_ERR_RESERVED_BITS'],
  ['RFC 6455 §5.2: RSV1 without a negotiated extension fails with 1002', cframe(Opcode.TEXT, 'x', true, true), 1002, 'WS_ERR_RESERVED_BITS'],
  ['RFC 7692 §6: RSV1 on a control frame fails with 1002', cframe(Opcode.PING, 'x', true, true), 1002, 'WS_ERR_RSV1_ON_CONTROL_OR_CONT', { compression: true }],
  ['RFC 7692 §6.1: RSV1 on a continuation frame fails with 1002', Buffer.concat([cframe(Opcode.TEXT, 'x', false, true), cframe(Opcode.CONTINUATION, 'y', true, true)]), 1002, 'WS_ERR_RSV1_ON_CONTROL_OR_CONT', { compression: true }],
  ['RFC 6455 §5.2: reserved data opcode 0x3 fails with 1002', cframe(0x3, 'x'), 1002, 'WS_ERR_INVALID_OPCODE'],
  ['RFC 6455 §5.2: reserved data opcode 0x7 fails with 1002', cframe(0x7, 'x'), 1002, 'WS_ERR_INVALID_OPCODE'],
  ['RFC 6455 §5.2: reserved control opcode 0xB fails with 1002', cframe(0xb, 'x'), 1002, 'WS_ERR_INVALID_OPCODE'],
  ['RFC 6455 §5.2: reserved control opcode 0xF fails with 1002', cframe(0xf, 'x'), 1002, 'WS_ERR_INVALID_OPCODE'],
  ['RFC 6455 §5.1: a server fails on an unmasked frame with 1002', sframe(Opcode.TEXT, 'x'), 1002, 'WS_ERR_EXPECTED_MASK'],
  ['RFC 6455 §5.1: a client fails on a masked frame with 1002', cframe(Opcode.TEXT, 'x'), 1002, 'WS_ERR_UNEXPECTED_MASK', { role: 'client' }],
  ['RFC 6455 §5.5: a fragmented control frame fails with 1002', cframe(Opcode.PING, 'x', false), 1002, 'WS_ERR_CONTROL_FRAGMENTED'],
  ['RFC 6455 §5.5: a control frame with a 126-byte payload fails with 1002', cframe(Opcode.PING, new Uint8Array(126)), 1002, 'WS_ERR_CONTROL_TOO_LONG'],
  ['RFC 6455 §5.4: a continuation frame with no message open fails with 1002', cframe(Opcode.CONTINUATION, 'x'), 1002, 'WS_ERR_UNEXPECTED_CONTINUATION'],
  ['RFC 6455 §5.4: a new text frame inside a fragmented message fails with 1002', Buffer.concat([cframe(Opcode.TEXT, 'a', false), cframe(Opcode.TEXT, 'b')]), 1002, 'WS_ERR_EXPECTED_CONTINUATION'],
  ['RFC 6455 §5.2: a 64-bit length with the most significant bit set fails with 1002', Buffer.from(hex('82ff80000000000000010000000000')), 1002, 'WS_ERR_LENGTH_MSB'],
  ['RFC 6455 §5.5.1: a close frame with a 1-byte payload fails with 1002', cframe(Opcode.CLOSE, hex('03')), 1002, 'WS_ERR_INVALID_CLOSE_PAYLOAD'],
  ['RFC 6455 §7.4.1: a received close code 1005 fails with 1002', cframe(Opcode.CLOSE, closeBody(1005)), 1002, 'WS_ERR_INVALID_CLOSE_CODE'],
  ['RFC 6455 §7.4.1: a received close code 1006 fails with 1002', cframe(Opcode.CLOSE, closeBody(1006)), 1002, 'WS_ERR_INVALID_CLOSE_CODE'],
  ['RFC 6455 §7.4.2: a received close code 999 fails with 1002', cframe(Opcode.CLOSE, closeBody(999)), 1002, 'WS_ERR_INVALID_CLOSE_CODE'],
  ['RFC 6455 §7.4.2: a received close code 5000 fails with 1002', cframe(Opcode.CLOSE, closeBody(5000)), 1002, 'WS_ERR_INVALID_CLOSE_CODE'],
  ['RFC 6455 §5.5.1: a close reason that is not UTF-8 fails with 1007', cframe(Opcode.CLOSE, Buffer.concat([closeBody(1000), hex('ff')])), 1007, 'WS_ERR_INVALID_UTF8'],
  ['RFC 6455 §8.1: a text message that is not UTF-8 fails with 1007', cframe(Opcode.TEXT, hex('cebae1bdb9cf83cebcceb5eda080656469746564')), 1007, 'WS_ERR_INVALID_UTF8'],
  ['RFC 6455 §8.1: a text message ending inside a UTF-8 sequence fails with 1007', cframe(Opcode.TEXT, hex('48e282')), 1007, 'WS_ERR_INVALID_UTF8'],
  ['RFC 6455 §10.4: a message one byte over maxPayload fails with 1009', cframe(Opcode.BINARY, new Uint8Array(101)), 1009, 'WS_ERR_MESSAGE_TOO_BIG', { maxPayload: 100 }],
  ['RFC 6455 §10.4: fragments adding up to more than maxPayload fail with 1009', Buffer.concat([cframe(Opcode.BINARY, new Uint8Array(60), false), cframe(Opcode.CONTINUATION, new Uint8Array(41))]), 1009, 'WS_ERR_MESSAGE_TOO_BIG', { maxPayload: 100 }],
  ['RFC 6455 §10.4: a 64-bit length above 2^53 fails with 1009', Buffer.from(hex('82ff00ffffffffffffff00000000')), 1009, 'WS_ERR_MESSAGE_TOO_BIG'],
];

for (const [title, frames, closeCode, code, opts] of failures) {
  test(title, () => {
    for (const chunks of [[frames], bytewise(frames)]) {
      const events = feed(chunks, opts);
      const err = errorOf(events);
      assert.ok(err, 'an error is reported');
      assert.equal(err.closeCode, closeCode);
      assert.equal(err.code, code);
      assert.equal(events.filter((e) => e.type === 'message').length, 0, 'no message is delivered');
    }
  });
}

test('RFC 6455 §10.4: a message of exactly maxPayload bytes is accepted, also across fragments', () => {
  assert.equal(feed([cframe(Opcode.BINARY, new Uint8Array(100))], { maxPayload: 100 })[0].type, 'message');
  const frames = Buffer.concat([cframe(Opcode.TEXT, 'a'.repeat(50), false), cframe(Opcode.CONTINUATION, 'b'.repeat(50))]);
  assert.equal(feed([frames], { maxPayload: 100 })[0].type, 'message');
});

test('RFC 6455 §10.4: a too-big message fails on its header, before its payload arrives', () => {
  const { receiver, events } = recorder({ maxPayload: 1000 });
  receiver.push(hex('82ff000000000010000037fa213d')); // 1 MiB announced, masked, no payload sent
  assert.equal(errorOf(events)?.closeCode, 1009);
  assert.equal(receiver.stateName, 'DONE');
});

test('RFC 6455 §8.1: invalid UTF-8 fails as soon as it arrives, in the first fragment, before FIN', () => {
  const { receiver, events } = recorder();
  receiver.push(cframe(Opcode.TEXT, hex('48656c6cc0'), false)); // C0 can never start a valid sequence
  assert.equal(errorOf(events)?.closeCode, 1007);
});

test('RFC 6455 §8.1: a UTF-8 sequence split across fragments is valid, and fails fast when broken', () => {
  const euro = hex('e282ac');
  const ok = Buffer.concat([cframe(Opcode.TEXT, euro.subarray(0, 1), false), cframe(Opcode.CONTINUATION, euro.subarray(1, 2), false), cframe(Opcode.CONTINUATION, euro.subarray(2))]);
  assert.deepEqual(feed([ok]), [{ type: 'message', data: '€', binary: false, compressed: false }]);
  const { receiver, events } = recorder();
  receiver.push(cframe(Opcode.TEXT, hex('e2'), false));
  assert.equal(events.length, 0);
  receiver.push(cframe(Opcode.CONTINUATION, hex('28'), false)); // not a continuation byte
  assert.equal(errorOf(events)?.closeCode, 1007, 'fails before the final fragment');
});

test('RFC 7692 §6: with the extension, RSV1 on the first frame marks a compressed message', () => {
  const events = feed([hex('c107f248cdc9c90700')], { compression: true, role: 'client' });
  assert.deepEqual(events, [{ type: 'message', data: 'f248cdc9c90700', binary: false, compressed: true }]);
  const frag = feed([hex('4103f248cd'), hex('8004c9c90700')], { compression: true, role: 'client' });
  assert.deepEqual(frag, [{ type: 'message', data: 'f248cdc9c90700', binary: false, compressed: true }]);
});

test('RFC 6455 §5.2: pause() holds events until resume(), and bytes keep buffering', () => {
  const { receiver, events } = recorder();
  receiver.pause();
  receiver.push(Buffer.concat([cframe(Opcode.TEXT, 'a'), cframe(Opcode.TEXT, 'b')]));
  assert.equal(events.length, 0);
  assert.ok(receiver.bufferedBytes > 0);
  receiver.resume();
  assert.deepEqual(events.map((e) => (e as { data: string }).data), ['a', 'b']);
});

test('RFC 6455 §5.2: random valid and invalid frame streams split at random boundaries parse the same as whole', () => {
  const rand = new Rand(testSeed('receiver random splits'));
  for (let round = 0; round < 400; round++) {
    const frames: Buffer[] = [];
    const n = rand.range(1, 8);
    let open = false;
    for (let i = 0; i < n; i++) {
      const kind = rand.int(10);
      if (kind === 0) frames.push(cframe(Opcode.PING, rand.bytes(rand.int(126))));
      else if (kind === 1 && rand.bool(0.3)) frames.push(cframe(rand.pick([0x3, 0xb, Opcode.CONTINUATION]), rand.bytes(3))); // invalid
      else if (kind === 2 && rand.bool(0.3)) frames.push(cframe(Opcode.TEXT, hex('ff'))); // invalid UTF-8
      else if (kind === 3 && rand.bool(0.3)) frames.push(sframe(Opcode.TEXT, 'unmasked')); // invalid at a server
      else {
        const fin = rand.bool(0.6);
        const opcode = open ? Opcode.CONTINUATION : rand.pick([Opcode.TEXT, Opcode.BINARY]);
        frames.push(cframe(opcode, Buffer.from('x'.repeat(rand.pick([0, 1, 5, 125, 126, 300, 70000]))), fin));
        open = !fin;
      }
    }
    const stream = Buffer.concat(frames);
    const whole = feed([stream]);
    const split = feed(rand.split(stream, rand.range(2, 40)));
    assert.deepEqual(split, whole, `round ${round}`);
  }
});
