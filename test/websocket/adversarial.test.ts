import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import zlib from 'node:zlib';
import WS from 'ws';
import { WebSocketServer, WebSocket, WebSocketConnection, type MessageEvent } from '../../lib/websocket/index.js';
import { parseTokenList, parseExtensions, checkUpgradeRequest } from '../../lib/websocket/handshake.js';
import { Opcode } from '../../lib/websocket/frame.js';
import { RawPeer, cframe, recorder, request, nextEvent } from './helpers.js';

async function stillServes(port: number) {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/`);
  await nextEvent(ws, 'open');
  ws.send('ok?');
  assert.equal((await nextEvent<MessageEvent>(ws, 'message')).data, 'ok?');
  ws.close();
  await nextEvent(ws, 'close');
}

describe('known attacks against a running server', () => {
  let wss: WebSocketServer;
  let port: number;
  before(async () => {
    wss = new WebSocketServer({ port: 0, host: '127.0.0.1', maxPayload: 1024 * 1024, maxFragments: 1000, maxHeaderSize: 256 * 1024 });
    await once(wss, 'listening');
    wss.on('connection', (ws: WebSocketConnection) => {
      ws.onmessage = (e) => ws.send(e.data as string | Buffer);
      ws.onerror = () => {};
    });
    port = (wss.address() as { port: number }).port;
  });
  after(async () => wss.close());

  test('advisory §CVE-2021-32640: a Sec-WebSocket-Protocol of b + spaces + x parses in linear time', async () => {
    // ws < 7.4.6 split this header with a backtracking regex: quadratic time.
    const header = 'b' + ' '.repeat(1_000_000) + 'x';
    const t0 = performance.now();
    assert.equal(parseTokenList(header), null);
    assert.equal(parseExtensions('permessage-deflate;' + ' '.repeat(1_000_000) + 'x=\u0000'), null);
    const elapsed = performance.now() - t0;
    // Linear: a few ms. Quadratic on 10^6 characters would take hours.
    assert.ok(elapsed < 2000, `parsed in ${elapsed.toFixed(1)} ms`);
    // Over the wire: a 200 KB header gets a prompt 400, and the server keeps serving.
    const peer = await RawPeer.connect(port);
    peer.write(request('/', ['Sec-WebSocket-Protocol: b' + ' '.repeat(200_000) + 'x']));
    assert.match(await peer.response(), /^HTTP\/1\.1 400 /);
    await stillServes(port);
  });

  test('advisory §CVE-2024-37890: a request with more headers than the limit is refused without crashing', async () => {
    // node keeps only the first 2000 headers; the WebSocket ones after them are dropped.
    const many = Array.from({ length: 2100 }, (_, i) => `x-h${i}: v`);
    const peer = await RawPeer.connect(port);
    peer.write(['GET / HTTP/1.1', 'Host: 127.0.0.1', ...many, 'Upgrade: websocket', 'Connection: Upgrade', 'Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==', 'Sec-WebSocket-Version: 13'].join('\r\n') + '\r\n\r\n');
    const head = await peer.response();
    assert.match(head, /^HTTP\/1\.1 (400|426) /);
    await peer.closed();
    // A head over the size limit gets 431 from node's parser, also without harm.
    const big = await RawPeer.connect(port);
    big.write(request('/', ['X-Big: ' + 'a'.repeat(300 * 1024)]));
    assert.match(await big.response(), /^HTTP\/1\.1 431 /);
    await stillServes(port);
    // The handshake checks never throw on absent headers.
    assert.equal(checkUpgradeRequest('GET', {}).ok, false);
  });

  test('advisory §CVE-2026-48779: a flood of empty fragments closes with 1008 at maxFragments', async () => {
    // GHSA-96hv-2xvq-fx4p (ws < 8.21.0): empty continuation frames grew memory and CPU without bound.
    const peer = await RawPeer.upgraded(port);
    const flood = [cframe(Opcode.TEXT, '', false)];
    for (let i = 0; i < 1500; i++) flood.push(cframe(Opcode.CONTINUATION, '', false));
    peer.write(Buffer.concat(flood));
    const close = await peer.closeFrame();
    assert.equal(close.code, 1008);
    await peer.closed();
    await stillServes(port);
  });

  test('advisory §decompression-bomb: a small compressed frame inflating past maxPayload closes with 1009', async () => {
    const bomb = zlib.deflateRawSync(Buffer.alloc(64 * 1024 * 1024), { level: 9, finishFlush: zlib.constants.Z_SYNC_FLUSH });
    const peer = await RawPeer.upgraded(port, ['Sec-WebSocket-Extensions: permessage-deflate']);
    peer.write(cframe(Opcode.BINARY, bomb.subarray(0, bomb.length - 4), true, true));
    const close = await peer.closeFrame();
    assert.equal(close.code, 1009);
    await peer.closed();
    await stillServes(port);
  });
});

test('advisory §CVE-2026-48779: tiny fragments are held as a few slabs, not one object each', () => {
  const { receiver, events } = recorder({ maxFragments: 0 });
  receiver.push(cframe(Opcode.BINARY, 'a', false));
  const n = 20000;
  for (let i = 0; i < n; i++) receiver.push(cframe(Opcode.CONTINUATION, 'b', false));
  const parts = (receiver as unknown as { parts: { parts: unknown[]; length: number } }).parts;
  assert.equal(parts.length, n + 1, 'every byte kept');
  assert.ok(parts.parts.length <= 10, `held as ${parts.parts.length} slabs`);
  receiver.push(cframe(Opcode.CONTINUATION, 'c'));
  assert.equal(events.length, 1);
  assert.equal((events[0] as { data: string }).data.length, (n + 2) * 2);
});

test('advisory §CVE-2026-48779: input chunks piling up while paused close with 1008 at maxBufferedChunks', () => {
  const { receiver, events } = recorder({ maxBufferedChunks: 100 });
  receiver.pause();
  for (let i = 0; i < 101; i++) receiver.push(Uint8Array.of(0x81));
  assert.deepEqual(events, [{ type: 'error', code: 'WS_ERR_TOO_MANY_CHUNKS', closeCode: 1008 }]);
});

test('advisory §CVE-2026-45736: close() with a TypedArray reason sends exactly its bytes to a ws client', async () => {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await once(wss, 'listening');
  wss.on('connection', (ws: WebSocketConnection) => {
    assert.throws(() => ws.close(1000, new Float64Array(16)), /128 bytes/); // 16 elements, 128 bytes: refused
    ws.close(1000, new Float32Array(20));
  });
  const client = new WS(wss.url);
  const [code, reason] = await once(client, 'close');
  assert.equal(code, 1000);
  assert.deepEqual(reason, Buffer.alloc(80));
  await wss.close();
});
