import { test } from 'node:test';
import assert from 'node:assert/strict';
import zlib from 'node:zlib';
import { Utf8Validator } from '../../lib/bytes/index.js';
import { DeflateCodec, acceptOffer, checkAcceptance, clientOffer, type DeflateParams } from '../../lib/websocket/deflate.js';
import { parseExtensions } from '../../lib/websocket/handshake.js';
import type { WebSocketError } from '../../lib/websocket/errors.js';
import { hex, toHex } from '../support/random.js';

const offer = (s: string) => parseExtensions(s)!;
const defaults: DeflateParams = { serverNoContextTakeover: false, clientNoContextTakeover: false, serverMaxWindowBits: 15, clientMaxWindowBits: 15 };

function inflate(codec: DeflateCodec, data: Uint8Array, utf8: Utf8Validator | null = null): Promise<Buffer> {
  return new Promise((resolve, reject) => codec.decompress(data, utf8, (err, out) => (err ? reject(err) : resolve(out!))));
}
function deflate(codec: DeflateCodec, data: Uint8Array): Promise<Buffer> {
  return new Promise((resolve, reject) => codec.compress(data, (err, out) => (err ? reject(err) : resolve(out!))));
}

test('RFC 7692 §7.1: the client offer is permessage-deflate; client_max_window_bits (shared/INTEROP.md)', () => {
  assert.equal(clientOffer(), 'permessage-deflate; client_max_window_bits');
  assert.equal(
    clientOffer({ serverNoContextTakeover: true, clientNoContextTakeover: true, serverMaxWindowBits: 10, clientMaxWindowBits: 12 }),
    'permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=10; client_max_window_bits=12',
  );
});

test('RFC 7692 §7.1.2.2: a client_max_window_bits offer without a value is accepted without answering it', () => {
  const r = acceptOffer(offer('permessage-deflate; client_max_window_bits'));
  assert.equal(r?.header, 'permessage-deflate');
  assert.deepEqual(r?.params, defaults);
});

test('RFC 7692 §7.1: all four parameters are honoured in the answer', () => {
  const r = acceptOffer(offer('permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=10; client_max_window_bits=11'));
  assert.equal(r?.header, 'permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=10; client_max_window_bits=11');
  assert.deepEqual(r?.params, { serverNoContextTakeover: true, clientNoContextTakeover: true, serverMaxWindowBits: 10, clientMaxWindowBits: 11 });
});

test('RFC 7692 §7.1.2.2: the server may limit the client window only when the client offered client_max_window_bits', () => {
  assert.equal(acceptOffer(offer('permessage-deflate; client_max_window_bits'), { clientMaxWindowBits: 9 })?.header, 'permessage-deflate; client_max_window_bits=9');
  assert.equal(acceptOffer(offer('permessage-deflate'), { clientMaxWindowBits: 9 })?.header, 'permessage-deflate');
  assert.equal(acceptOffer(offer('permessage-deflate'), { serverMaxWindowBits: 12 })?.header, 'permessage-deflate; server_max_window_bits=12');
});

test('RFC 7692 §5: an offer that cannot be accepted is declined and the next one is tried', () => {
  const bad = [
    'permessage-deflate; server_max_window_bits=7',
    'permessage-deflate; server_max_window_bits=16',
    'permessage-deflate; server_max_window_bits',
    'permessage-deflate; client_max_window_bits=08x',
    'permessage-deflate; server_no_context_takeover=1',
    'permessage-deflate; client_no_context_takeover=1',
    'permessage-deflate; unknown_param',
    'permessage-deflate; server_no_context_takeover; server_no_context_takeover',
  ];
  for (const b of bad) {
    assert.equal(acceptOffer(offer(b)), null, b);
    assert.equal(acceptOffer(offer(`${b}, permessage-deflate`))?.header, 'permessage-deflate', b + ' then a plain offer');
  }
  assert.equal(acceptOffer(offer('x-webkit-deflate-frame')), null);
});

test('RFC 7692 §7.1: the client checks the answer against its offer', () => {
  assert.deepEqual(checkAcceptance(offer('permessage-deflate')[0]), defaults);
  assert.deepEqual(checkAcceptance(offer('permessage-deflate; client_max_window_bits=10; server_no_context_takeover')[0]), { ...defaults, clientMaxWindowBits: 10, serverNoContextTakeover: true });
  const refusals: [string, object][] = [
    ['permessage-deflate; foo', {}],
    ['permessage-deflate; client_max_window_bits', {}],
    ['permessage-deflate', { serverNoContextTakeover: true }],
    ['permessage-deflate', { serverMaxWindowBits: 10 }],
    ['permessage-deflate; server_max_window_bits=12', { serverMaxWindowBits: 10 }],
    ['permessage-deflate; client_max_window_bits=12', { clientMaxWindowBits: 10 }],
  ];
  for (const [answer, opts] of refusals) assert.equal(typeof checkAcceptance(offer(answer)[0], opts), 'string', answer);
});

test('RFC 7692 §7.2.3.1: "Hello" compressed is f2 48 cd c9 c9 07 00 and inflates back', async () => {
  const codec = new DeflateCodec(defaults, 'client', 1000);
  assert.equal((await inflate(codec, hex('f248cdc9c90700'))).toString(), 'Hello');
  const server = new DeflateCodec(defaults, 'server', 1000, { threshold: 0 });
  assert.equal(toHex(await deflate(server, Buffer.from('Hello'))), 'f248cdc9c90700');
  codec.close();
  server.close();
});

test('RFC 7692 §7.2.3.2: with context takeover the second "Hello" refers to the first (f2 00 11 00 00)', async () => {
  const server = new DeflateCodec(defaults, 'server', 1000, { threshold: 0 });
  await deflate(server, Buffer.from('Hello'));
  assert.equal(toHex(await deflate(server, Buffer.from('Hello'))), 'f200110000');
  const client = new DeflateCodec(defaults, 'client', 1000);
  assert.equal((await inflate(client, hex('f248cdc9c90700'))).toString(), 'Hello');
  assert.equal((await inflate(client, hex('f200110000'))).toString(), 'Hello');
  server.close();
  client.close();
});

test('RFC 7692 §7.1.1.1: server_no_context_takeover makes every message compress the same, standing alone', async () => {
  const server = new DeflateCodec({ ...defaults, serverNoContextTakeover: true }, 'server', 1000, { threshold: 0 });
  assert.equal(toHex(await deflate(server, Buffer.from('Hello'))), 'f248cdc9c90700');
  assert.equal(toHex(await deflate(server, Buffer.from('Hello'))), 'f248cdc9c90700');
  server.close();
});

test('RFC 7692 §7.2.3.3: a stored (uncompressed) DEFLATE block inflates', async () => {
  const codec = new DeflateCodec(defaults, 'client', 1000);
  assert.equal((await inflate(codec, hex('000500faff48656c6c6f00'))).toString(), 'Hello');
  codec.close();
});

test('RFC 7692 §8: messages under the threshold are sent uncompressed; an 8-bit window means we never compress', () => {
  const c = new DeflateCodec(defaults, 'server', 0, { threshold: 1024 });
  assert.equal(c.wants(1023), false);
  assert.equal(c.wants(1024), true);
  const eight = new DeflateCodec({ ...defaults, serverMaxWindowBits: 8 }, 'server', 0, { threshold: 0 });
  assert.equal(eight.wants(5000), false);
});

test('RFC 7692 §7.2.2: corrupt compressed data fails with 1007', async () => {
  const codec = new DeflateCodec(defaults, 'client', 1000);
  await assert.rejects(inflate(codec, hex('ffffffff')), (e: WebSocketError) => e.closeCode === 1007 && e.code === 'WS_ERR_INFLATE');
  // The codec recovers for the next message with a fresh inflater.
  assert.equal((await inflate(codec, hex('f248cdc9c90700'))).toString(), 'Hello');
  codec.close();
});

test('RFC 6455 §8.1: inflated text that is not UTF-8 fails with 1007', async () => {
  const codec = new DeflateCodec(defaults, 'client', 1000);
  const bad = zlib.deflateRawSync(Buffer.from([0x48, 0xff]), { finishFlush: zlib.constants.Z_SYNC_FLUSH });
  await assert.rejects(inflate(codec, bad, new Utf8Validator()), (e: WebSocketError) => e.closeCode === 1007 && e.code === 'WS_ERR_INVALID_UTF8');
  const cut = zlib.deflateRawSync(Buffer.from([0x48, 0xe2, 0x82]), { finishFlush: zlib.constants.Z_SYNC_FLUSH });
  await assert.rejects(inflate(codec, cut, new Utf8Validator()), (e: WebSocketError) => e.closeCode === 1007);
  codec.close();
});

test('advisory §decompression-bomb: 100 MiB of zeros in ~100 KiB of deflate stops with 1009 within the limit', async () => {
  const bomb = zlib.deflateRawSync(Buffer.alloc(100 * 1024 * 1024), { level: 9 });
  assert.ok(bomb.length < 200 * 1024, `bomb is small on the wire (${bomb.length} B)`);
  const limit = 1024 * 1024;
  const codec = new DeflateCodec(defaults, 'server', limit);
  const before = process.memoryUsage().arrayBuffers;
  await assert.rejects(inflate(codec, bomb), (e: WebSocketError) => e.closeCode === 1009 && e.code === 'WS_ERR_MESSAGE_TOO_BIG');
  const grown = process.memoryUsage().arrayBuffers - before;
  assert.ok(grown < 32 * 1024 * 1024, `memory grew by ${grown} bytes, far below the 100 MiB bomb`);
  // Exactly the limit is accepted.
  const exact = zlib.deflateRawSync(Buffer.alloc(limit), { finishFlush: zlib.constants.Z_SYNC_FLUSH });
  assert.equal((await inflate(codec, exact.subarray(0, exact.length - 4))).length, limit);
  codec.close();
});

test('RFC 7692 §7.2.1: a closed codec refuses work instead of touching freed zlib streams', async () => {
  const codec = new DeflateCodec(defaults, 'server', 0);
  codec.close();
  await assert.rejects(deflate(codec, Buffer.from('x')), /closed/);
  await assert.rejects(inflate(codec, Buffer.from('x')), /closed/);
});

test('RFC 7692 §7.2.2: 1 MiB messages inflate intact across output buffers, and a small one holds no shared buffer', async () => {
  const sender = new DeflateCodec(defaults, 'server', 0, { threshold: 0 });
  const receiver = new DeflateCodec(defaults, 'client', 4 * 1024 * 1024);
  const big = Buffer.alloc(1024 * 1024);
  for (let i = 0; i < big.length; i++) big[i] = (i * 31 + (i >> 10)) & 0xff;
  for (const message of [big, Buffer.from('small one'), big, Buffer.alloc(300 * 1024, 7)]) {
    const out = await inflate(receiver, await deflate(sender, message));
    assert.ok(out.equals(message), `a ${message.length} B message comes back byte for byte`);
    // A 9-byte result is its own copy, not a view that keeps the inflater's 256 KiB output buffer alive.
    if (message.length < 100) assert.ok(out.buffer.byteLength < 16 * 1024, `backing store of ${out.buffer.byteLength} B`);
  }
  sender.close();
  receiver.close();
});
