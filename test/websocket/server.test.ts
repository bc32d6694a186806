import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { once } from 'node:events';
import { WebSocketServer, WebSocket, WebSocketConnection, type CloseEvent, type MessageEvent } from '../../lib/websocket/index.js';
import { Opcode } from '../../lib/websocket/frame.js';
import { createTraceRecorder } from '../../lib/trace/index.js';
import { RawPeer, cframe, closeBody, request, UPGRADE_HEADERS, nextEvent } from './helpers.js';

/** An echo server like `ws serve`, on a free port. */
async function echoServer(opts: ConstructorParameters<typeof WebSocketServer>[0] = {}) {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', ...opts });
  await once(wss, 'listening');
  wss.on('connection', (ws: WebSocketConnection) => {
    ws.onmessage = (e) => ws.send(e.data as string | Buffer);
    ws.onerror = () => {};
  });
  const port = (wss.address() as { port: number }).port;
  return { wss, port };
}

/** The server still answers a fresh, well-behaved client. */
async function stillServes(port: number) {
  const ws = new WebSocket(`ws://127.0.0.1:${port}/`);
  await nextEvent(ws, 'open');
  ws.send('still there?');
  const m = await nextEvent<MessageEvent>(ws, 'message');
  assert.equal(m.data, 'still there?');
  ws.close(1000);
  await nextEvent(ws, 'close');
}

describe('server over real sockets', () => {
  let wss: WebSocketServer;
  let port: number;
  before(async () => ({ wss, port } = await echoServer({ maxPayload: 1024 * 1024, protocols: ['chat', 'superchat'] })));
  after(async () => wss.close());

  test('RFC 6455 §4.2.2: a valid upgrade gets 101 with the right Sec-WebSocket-Accept', async () => {
    const peer = await RawPeer.connect(port);
    peer.write(request('/', ['Sec-WebSocket-Protocol: other, superchat, chat']));
    const head = await peer.response();
    assert.match(head, /^HTTP\/1\.1 101 /);
    assert.match(head, /Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK\+xOo=/);
    assert.match(head, /Sec-WebSocket-Protocol: superchat/);
    assert.doesNotMatch(head, /Sec-WebSocket-Extensions/);
    peer.destroy();
  });

  const httpCases: [string, string, number, RegExp?][] = [
    ['INTEROP.md §ws serve: a plain HTTP request without Upgrade gets 426', 'GET / HTTP/1.1\r\nHost: x\r\n\r\n', 426, /Sec-WebSocket-Version: 13/],
    ['RFC 6455 §4.4: a missing Sec-WebSocket-Version gets 426 with Sec-WebSocket-Version: 13', request('/', [], UPGRADE_HEADERS.slice(0, 3)), 426, /Sec-WebSocket-Version: 13/],
    ['RFC 6455 §4.4: Sec-WebSocket-Version 8 gets 426 with Sec-WebSocket-Version: 13', request('/', ['Sec-WebSocket-Version: 8'], UPGRADE_HEADERS.slice(0, 3)), 426, /Sec-WebSocket-Version: 13/],
    ['RFC 6455 §4.2.1: a bad Sec-WebSocket-Key gets 400', request('/', ['Sec-WebSocket-Key: c2hvcnQ=', 'Sec-WebSocket-Version: 13'], UPGRADE_HEADERS.slice(0, 2)), 400],
    ['RFC 6455 §4.2.1: a missing Sec-WebSocket-Key gets 400', request('/', ['Sec-WebSocket-Version: 13'], UPGRADE_HEADERS.slice(0, 2)), 400],
    ['RFC 6455 §4.2.1: a method other than GET gets 400', request('/').replace(/^GET/, 'POST'), 400],
    ['RFC 6455 §4.2.1: an HTTP/1.0 upgrade request gets 400', request('/').replace('HTTP/1.1', 'HTTP/1.0'), 400],
    ['RFC 6455 §4.2.1: a missing Host gets 400', request('/').replace('Host: 127.0.0.1\r\n', ''), 400],
    ['RFC 6455 §4.2.1: Upgrade without Connection: Upgrade gets 400', request('/', [], UPGRADE_HEADERS.filter((h) => !h.startsWith('Connection'))), 400],
    ['RFC 6455 §4.2.1: Upgrade naming another protocol gets 400', request('/', [], ['Upgrade: h2c', ...UPGRADE_HEADERS.slice(1)]), 400],
  ];
  for (const [title, raw, status, header] of httpCases) {
    test(title, async () => {
      const peer = await RawPeer.connect(port);
      peer.write(raw);
      const head = await peer.response();
      assert.match(head, new RegExp(`^HTTP/1\\.1 ${status} `));
      if (header) assert.match(head, header);
      await peer.closed();
      await stillServes(port);
    });
  }

  const frameFailures: [string, Buffer[], number][] = [
    ['RFC 6455 §5.1: an unmasked client frame closes with 1002', [Buffer.from('810548656c6c6f', 'hex')], 1002],
    ['RFC 6455 §5.2: a reserved opcode closes with 1002', [cframe(0x3, 'x')], 1002],
    ['RFC 6455 §5.2: RSV1 without permessage-deflate closes with 1002', [cframe(Opcode.TEXT, 'x', true, true)], 1002],
    ['RFC 6455 §5.5: a 126-byte ping closes with 1002', [cframe(Opcode.PING, Buffer.alloc(126))], 1002],
    ['RFC 6455 §5.5: a fragmented ping closes with 1002', [cframe(Opcode.PING, 'x', false)], 1002],
    ['RFC 6455 §5.4: a continuation with no message open closes with 1002', [cframe(Opcode.CONTINUATION, 'x')], 1002],
    ['RFC 6455 §5.4: a text frame inside a fragmented message closes with 1002', [cframe(Opcode.TEXT, 'a', false), cframe(Opcode.TEXT, 'b')], 1002],
    ['RFC 6455 §5.5.1: a close frame with a 1-byte payload closes with 1002', [cframe(Opcode.CLOSE, Buffer.from([3]))], 1002],
    ['RFC 6455 §7.4.1: a received close code 1006 closes with 1002', [cframe(Opcode.CLOSE, closeBody(1006))], 1002],
    ['RFC 6455 §7.4.2: a received close code 2999 closes with 1002', [cframe(Opcode.CLOSE, closeBody(2999))], 1002],
    ['RFC 6455 §8.1: invalid UTF-8 text closes with 1007', [cframe(Opcode.TEXT, Buffer.from([0xce, 0xba, 0xff]))], 1007],
    ['RFC 6455 §8.1: invalid UTF-8 in an unfinished fragmented text closes with 1007 before FIN', [cframe(Opcode.TEXT, Buffer.from([0x61, 0xc0]), false)], 1007],
    ['RFC 6455 §5.5.1: a close reason that is not UTF-8 closes with 1007', [cframe(Opcode.CLOSE, Buffer.concat([closeBody(1000), Buffer.from([0xff])]))], 1007],
    ['INTEROP.md §ws serve: a message over --max-payload closes with 1009', [cframe(Opcode.BINARY, Buffer.alloc(1024 * 1024 + 1))], 1009],
  ];
  for (const [title, frames, code] of frameFailures) {
    test(title, async () => {
      const peer = await RawPeer.upgraded(port);
      for (const f of frames) peer.write(f);
      const close = await peer.closeFrame();
      assert.equal(close.code, code);
      await peer.closed();
      await stillServes(port);
    });
  }

  test('INTEROP.md §ws serve: a message of exactly --max-payload bytes is echoed', async () => {
    const ws = new WebSocket(`ws://127.0.0.1:${port}/`, [], { perMessageDeflate: false });
    await nextEvent(ws, 'open');
    ws.send(Buffer.alloc(1024 * 1024, 7));
    const m = await nextEvent<MessageEvent<Buffer>>(ws, 'message');
    assert.equal(m.data.length, 1024 * 1024);
    ws.close();
    await nextEvent(ws, 'close');
  });

  test('RFC 6455 §5.5.2: a ping is answered by a pong with the same payload, even inside a fragmented message', async () => {
    const peer = await RawPeer.upgraded(port);
    peer.write(cframe(Opcode.TEXT, 'ab', false));
    peer.write(cframe(Opcode.PING, 'are you there'));
    peer.write(cframe(Opcode.CONTINUATION, 'cd'));
    await peer.until(() => peer.frames().length >= 2);
    const [pong, text] = peer.frames();
    assert.equal(pong.opcode, Opcode.PONG);
    assert.equal(pong.payload.toString(), 'are you there');
    assert.equal(text.opcode, Opcode.TEXT);
    assert.equal(text.payload.toString(), 'abcd');
    peer.destroy();
  });

  test('RFC 6455 §5.5.1: the server echoes the close code and then closes TCP first (§7.1.1)', async () => {
    const peer = await RawPeer.upgraded(port);
    peer.write(cframe(Opcode.CLOSE, closeBody(4001, 'bye')));
    const close = await peer.closeFrame();
    assert.equal(close.code, 4001);
    await peer.closed();
  });

  test('RFC 6455 §7.1.5: an empty close frame is answered with an empty close frame (code 1005 reported)', async () => {
    const seen = new Promise<CloseEvent>((resolve) => wss.once('connection', (ws: WebSocketConnection) => ws.addEventListener('close', (e) => resolve(e as CloseEvent))));
    const peer = await RawPeer.upgraded(port);
    peer.write(cframe(Opcode.CLOSE, ''));
    await peer.until(() => peer.frames().some((f) => f.opcode === Opcode.CLOSE));
    assert.equal(peer.frames().find((f) => f.opcode === Opcode.CLOSE)!.payload.length, 0);
    const e = await seen;
    assert.equal(e.code, 1005);
    assert.equal(e.wasClean, true);
    peer.destroy();
  });

  test('RFC 6455 §7.1.5: a TCP drop without a close frame is reported as 1006, not clean', async () => {
    const seen = new Promise<CloseEvent>((resolve) => wss.once('connection', (ws: WebSocketConnection) => ws.addEventListener('close', (e) => resolve(e as CloseEvent))));
    const peer = await RawPeer.upgraded(port);
    peer.destroy();
    const e = await seen;
    assert.equal(e.code, 1006);
    assert.equal(e.wasClean, false);
  });

  test('RFC 6455 §5.5.1: frames after a close frame are not processed', async () => {
    const peer = await RawPeer.upgraded(port);
    peer.write(Buffer.concat([cframe(Opcode.CLOSE, closeBody(1000)), cframe(Opcode.TEXT, 'ignored')]));
    await peer.closed();
    assert.deepEqual(peer.frames().map((f) => f.opcode), [Opcode.CLOSE]);
  });
});

describe('server options', () => {
  test('RFC 6455 §10.2: verifyClient can refuse a cross-site Origin with 403', async () => {
    const { wss, port } = await echoServer({ verifyClient: ({ origin }) => origin === 'https://good.example' });
    const peer = await RawPeer.connect(port);
    peer.write(request('/', ['Origin: https://evil.example']));
    assert.match(await peer.response(), /^HTTP\/1\.1 403 /);
    const ws = new WebSocket(`ws://127.0.0.1:${port}/`, [], { origin: 'https://good.example' });
    await nextEvent(ws, 'open');
    ws.close();
    await nextEvent(ws, 'close');
    const bad = new WebSocket(`ws://127.0.0.1:${port}/`, [], { origin: 'https://evil.example' });
    const err = await nextEvent<Event & { error: { status: number } }>(bad, 'error');
    assert.equal(err.error.status, 403);
    await wss.close();
  });

  test('RFC 6455 §4.2.2: an async verifyClient may refuse with its own status; a throwing one gives 500', async () => {
    const { wss, port } = await echoServer({ verifyClient: async ({ req }) => (req.url === '/ok' ? true : req.url === '/boom' ? Promise.reject(new Error('x')) : { status: 401, reason: 'token needed' }) });
    const p1 = await RawPeer.connect(port);
    p1.write(request('/nope'));
    assert.match(await p1.response(), /^HTTP\/1\.1 401 /);
    const p2 = await RawPeer.connect(port);
    p2.write(request('/boom'));
    assert.match(await p2.response(), /^HTTP\/1\.1 500 /);
    const p3 = await RawPeer.upgraded(port, [], '/ok');
    p3.destroy();
    await wss.close();
  });

  test('RFC 6455 §4.2.2: attached to an existing http server, only the given path upgrades', async () => {
    const server = http.createServer((_req, res) => res.end('plain http'));
    const wss = new WebSocketServer({ server, path: '/ws' });
    wss.on('connection', (ws: WebSocketConnection) => ws.send(`hello ${ws.url}`));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const port = (server.address() as { port: number }).port;
    assert.equal(wss.url, `ws://127.0.0.1:${port}/`);
    const res = await fetch(`http://127.0.0.1:${port}/`);
    assert.equal(await res.text(), 'plain http');
    const ws = new WebSocket(`ws://127.0.0.1:${port}/ws?x=1`);
    assert.equal((await nextEvent<MessageEvent>(ws, 'message')).data, 'hello /ws?x=1');
    ws.close();
    await nextEvent(ws, 'close');
    await wss.close();
    server.close();
  });

  test('RFC 6455 §4.2.2: noServer mode completes handshakes handed to handleUpgrade()', async () => {
    const wss = new WebSocketServer({ noServer: true, protocols: (offered) => offered[offered.length - 1] ?? '' });
    assert.equal(wss.address(), null);
    assert.equal(wss.url, '');
    const server = http.createServer();
    server.on('upgrade', (req, socket, head) => wss.handleUpgrade(req, socket, head, (ws) => ws.send(ws.protocol)));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const ws = new WebSocket(`ws://127.0.0.1:${(server.address() as { port: number }).port}/`, ['a', 'b']);
    assert.equal((await nextEvent<MessageEvent>(ws, 'message')).data, 'b');
    assert.equal(ws.protocol, 'b');
    ws.close();
    await nextEvent(ws, 'close');
    await wss.close();
    server.close();
  });

  test('RFC 6455 §7.4.1: shutdown closes every connection with 1001 and waits for the closing handshakes', async () => {
    const rec = createTraceRecorder();
    const { wss, port } = await echoServer({ tracer: rec.tracer });
    const clients = await Promise.all([1, 2, 3].map(async () => {
      const ws = new WebSocket(`ws://127.0.0.1:${port}/`);
      await nextEvent(ws, 'open');
      return ws;
    }));
    const closes = clients.map((ws) => nextEvent<CloseEvent>(ws, 'close'));
    await wss.close();
    assert.equal(wss.clients.size, 0, 'every connection closed before close() resolved');
    for (const e of await Promise.all(closes)) {
      assert.equal(e.code, 1001);
      assert.equal(e.wasClean, true);
    }
    const ends = rec.filter('end');
    assert.equal(ends.length, 3);
    for (const e of ends) assert.match(e.summary, /close 1001.*started by this side/);
    // And it no longer listens.
    const peer = await RawPeer.connect(port).catch((err: Error) => err);
    assert.ok(peer instanceof Error);
  });

  test('RFC 6455 §7.1.1: shutdown drops a peer that never answers the close after shutdownTimeout', async () => {
    const { wss, port } = await echoServer({ shutdownTimeout: 300 });
    const peer = await RawPeer.upgraded(port);
    // The raw peer reads but never answers the close frame.
    const t0 = Date.now();
    await wss.close();
    assert.ok(Date.now() - t0 >= 250);
    await peer.closed();
  });

  test('RFC 6455 §4.2.2: a server with no listening option refuses to start, and a closing one answers 503', async () => {
    assert.throws(() => new WebSocketServer({}), /port, server or noServer/);
    const wss = new WebSocketServer({ noServer: true });
    await wss.close();
    const server = http.createServer();
    server.on('upgrade', (req, socket, head) => wss.handleUpgrade(req, socket, head, () => assert.fail('no connection while closing')));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const peer = await RawPeer.connect((server.address() as { port: number }).port);
    peer.write(request('/'));
    assert.match(await peer.response(), /^HTTP\/1\.1 503 /);
    server.close();
  });
});
