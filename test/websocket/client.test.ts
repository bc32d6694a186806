import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import https from 'node:https';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { WebSocketServer, WebSocket, WebSocketConnection, WebSocketError, type CloseEvent, type MessageEvent, type ErrorEvent } from '../../lib/websocket/index.js';
import { acceptKey } from '../../lib/websocket/handshake.js';
import { Opcode, encodeFrame } from '../../lib/websocket/frame.js';
import { createTraceRecorder } from '../../lib/trace/index.js';
import { nextEvent } from './helpers.js';

const fixtures = new URL('./fixtures/', import.meta.url);

async function echoServer(opts: ConstructorParameters<typeof WebSocketServer>[0] = {}) {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', ...opts });
  await once(wss, 'listening');
  wss.on('connection', (ws: WebSocketConnection) => {
    ws.onmessage = (e) => ws.send(e.data as string | Buffer);
    ws.onerror = () => {};
  });
  return { wss, url: wss.url };
}

/** A raw TCP server that answers the handshake with `respond(key)` and then runs `after(socket)`. */
async function rawServer(respond: (key: string) => string | null, after?: (s: net.Socket) => void) {
  const server = net.createServer((socket) => {
    let buf = '';
    socket.on('error', () => {});
    socket.on('data', function onData(c) {
      buf += c.toString('latin1');
      if (!buf.includes('\r\n\r\n')) return;
      socket.off('data', onData);
      const key = /Sec-WebSocket-Key: (\S+)/i.exec(buf)?.[1] ?? '';
      const answer = respond(key);
      if (answer !== null) socket.write(answer);
      after?.(socket);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return { server, url: `ws://127.0.0.1:${(server.address() as net.AddressInfo).port}/` };
}

const ok101 = (key: string, extra = '') => `HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${acceptKey(key)}\r\n${extra}\r\n`;

async function failure(ws: WebSocket): Promise<WebSocketError> {
  const [err, close] = await Promise.all([nextEvent<ErrorEvent>(ws, 'error'), nextEvent<CloseEvent>(ws, 'close')]);
  assert.equal(close.code, 1006);
  assert.equal(close.wasClean, false);
  assert.equal(ws.readyState, WebSocket.CLOSED);
  return err.error as WebSocketError;
}

describe('client against the barewire server', () => {
  let wss: WebSocketServer;
  let url: string;
  before(async () => ({ wss, url } = await echoServer({ protocols: ['chat'] })));
  after(async () => wss.close());

  test('WHATWG HTML §9.3: readyState goes CONNECTING, OPEN, CLOSING, CLOSED with open and close events', async () => {
    const ws = new WebSocket(url, 'chat');
    assert.equal(ws.readyState, WebSocket.CONNECTING);
    assert.throws(() => ws.send('too early'), (e: WebSocketError) => e.code === 'WS_ERR_INVALID_STATE');
    let opened = false;
    ws.onopen = () => (opened = true);
    await nextEvent(ws, 'open');
    assert.ok(opened);
    assert.equal(ws.onopen !== null, true);
    assert.equal(ws.readyState, WebSocket.OPEN);
    assert.equal(ws.protocol, 'chat');
    assert.equal(ws.extensions, 'permessage-deflate');
    assert.equal(ws.url, url);
    ws.close(1000, 'done');
    assert.equal(ws.readyState, WebSocket.CLOSING);
    const e = await nextEvent<CloseEvent>(ws, 'close');
    assert.deepEqual([e.code, e.reason, e.wasClean], [1000, '', true]);
    assert.equal(ws.readyState, WebSocket.CLOSED);
    ws.send('ignored after close');
  });

  test('RFC 6455 §5.6: text arrives as a string, binary as Buffer, ArrayBuffer or Blob per binaryType', async () => {
    const ws = new WebSocket(url);
    await nextEvent(ws, 'open');
    ws.send('héllo');
    assert.equal((await nextEvent<MessageEvent>(ws, 'message')).data, 'héllo');
    ws.send(Uint8Array.from([1, 2, 3]));
    assert.deepEqual((await nextEvent<MessageEvent<Buffer>>(ws, 'message')).data, Buffer.from([1, 2, 3]));
    ws.binaryType = 'arraybuffer';
    ws.send(new Uint16Array([0x0102]).buffer);
    const ab = (await nextEvent<MessageEvent<ArrayBuffer>>(ws, 'message')).data;
    assert.ok(ab instanceof ArrayBuffer);
    assert.equal(ab.byteLength, 2);
    ws.binaryType = 'blob';
    ws.send(Buffer.from('blob!'));
    const blob = (await nextEvent<MessageEvent<Blob>>(ws, 'message')).data;
    assert.equal(await blob.text(), 'blob!');
    ws.send('as binary', { binary: true });
    ws.binaryType = 'nodebuffer';
    assert.deepEqual((await nextEvent<MessageEvent>(ws, 'message')).data, Buffer.from('as binary'));
    ws.close();
    await nextEvent(ws, 'close');
  });

  test('RFC 6455 §5.4: large messages can be sent as fragments and arrive whole', async () => {
    const rec = createTraceRecorder();
    const ws = new WebSocket(url, [], { fragmentSize: 1000, perMessageDeflate: false, tracer: rec.tracer });
    await nextEvent(ws, 'open');
    const big = Buffer.alloc(4500, 'z');
    ws.send(big);
    assert.deepEqual((await nextEvent<MessageEvent<Buffer>>(ws, 'message')).data, big);
    const sent = rec.events.filter((e) => e.dir === '->' && e.kind === 'frame');
    assert.deepEqual(sent.map((e) => e.fields!.opcode), [2, 0, 0, 0, 0]);
    assert.deepEqual(sent.map((e) => e.fields!.fin), [false, false, false, false, true]);
    ws.send('short text', { fragmentSize: 4 });
    assert.equal((await nextEvent<MessageEvent>(ws, 'message')).data, 'short text');
    ws.close();
    await nextEvent(ws, 'close');
  });

  test('RFC 7692 §6: compressed messages round-trip in order, mixed with small uncompressed ones', async () => {
    const rec = createTraceRecorder();
    const ws = new WebSocket(url, [], { tracer: rec.tracer });
    await nextEvent(ws, 'open');
    const got: string[] = [];
    const all = new Promise<void>((resolve) => {
      ws.onmessage = (e) => {
        got.push(e.data as string);
        if (got.length === 40) resolve();
      };
    });
    const sent: string[] = [];
    for (let i = 0; i < 40; i++) {
      const m = i % 3 === 0 ? `${i} ` + 'x'.repeat(3000 + i) : `small ${i}`;
      sent.push(m);
      ws.send(m);
    }
    await all;
    assert.deepEqual(got, sent);
    const compressed = rec.events.filter((e) => e.dir === '->' && e.kind === 'frame' && (e.fields!.rsv as number) === 4);
    assert.equal(compressed.length, 14, 'the 14 large messages went compressed (RSV1)');
    ws.close();
    await nextEvent(ws, 'close');
  });

  test('RFC 6455 §5.5.2: ping() resolves with the round-trip time when the matching pong arrives', async () => {
    const ws = new WebSocket(url);
    await nextEvent(ws, 'open');
    const [a, b] = await Promise.all([ws.ping(), ws.ping('custom')]);
    assert.ok(a >= 0 && b >= 0);
    await assert.rejects(ws.ping('x'.repeat(126)), /125 bytes/);
    ws.close();
    await assert.rejects(ws.ping(), (e: WebSocketError) => e.code === 'WS_ERR_INVALID_STATE');
    await nextEvent(ws, 'close');
  });

  test('RFC 6455 §7.4: close() refuses a code that may not be sent and a reason over 123 bytes', async () => {
    const ws = new WebSocket(url);
    await nextEvent(ws, 'open');
    assert.throws(() => ws.close(1005), (e: WebSocketError) => e.code === 'WS_ERR_INVALID_CLOSE_ARGS');
    assert.throws(() => ws.close(1000, 'x'.repeat(124)), /over the 123-byte limit/);
    assert.equal(ws.readyState, WebSocket.OPEN, 'a refused close() changes nothing');
    ws.close(4000, new Uint8Array(Buffer.from('typed')));
    const e = await nextEvent<CloseEvent>(ws, 'close');
    assert.equal(e.code, 4000);
  });

  test('WHATWG HTML §9.3: async iteration yields messages in order and ends at a clean close', async () => {
    const ws = new WebSocket(url);
    await nextEvent(ws, 'open');
    for (let i = 0; i < 50; i++) ws.send(`m${i}`);
    ws.send('end');
    const got: string[] = [];
    for await (const data of ws) {
      got.push(data as string);
      if (got.length % 10 === 0) await new Promise((r) => setTimeout(r, 5)); // a slow consumer
      if (data === 'end') ws.close();
    }
    assert.equal(got.length, 51);
    assert.equal(got[49], 'm49');
  });

  test('WHATWG HTML §9.3: bufferedAmount counts unsent bytes and a drain event follows', async () => {
    const ws = new WebSocket(url, [], { perMessageDeflate: false });
    await nextEvent(ws, 'open');
    ws.pause(); // do not read the echoes: the server's writes back up, then ours
    const chunk = Buffer.alloc(1024 * 1024);
    let sawBuffered = false;
    for (let i = 0; i < 64 && !sawBuffered; i++) {
      ws.send(chunk);
      if (ws.bufferedAmount > 0) sawBuffered = true;
    }
    assert.ok(sawBuffered, 'bufferedAmount grew');
    ws.resume();
    await nextEvent(ws, 'drain');
    ws.terminate();
    const e = await nextEvent<CloseEvent>(ws, 'close');
    assert.equal(e.code, 1006);
  });
});

describe('client handshake failures', () => {
  test('RFC 6455 §4.1: a non-101 answer fails the connection with the status', async () => {
    const { server, url } = await rawServer(() => 'HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n');
    const err = await failure(new WebSocket(url));
    assert.equal(err.code, 'WS_ERR_HANDSHAKE');
    assert.equal(err.status, 404);
    server.close();
  });

  const bad: [string, (key: string) => string][] = [
    ['RFC 6455 §4.1: a wrong Sec-WebSocket-Accept fails the connection', () => ok101('AAAAAAAAAAAAAAAAAAAAAA==')],
    ['RFC 6455 §4.1: a subprotocol that was not offered fails the connection', (k) => ok101(k, 'Sec-WebSocket-Protocol: other\r\n')],
    ['RFC 6455 §4.1: an extension that was not offered fails the connection', (k) => ok101(k, 'Sec-WebSocket-Extensions: x-foo\r\n')],
    ['RFC 7692 §7.1: permessage-deflate with an unknown parameter fails the connection', (k) => ok101(k, 'Sec-WebSocket-Extensions: permessage-deflate; x=1\r\n')],
  ];
  for (const [title, respond] of bad) {
    test(title, async () => {
      const { server, url } = await rawServer(respond);
      const err = await failure(new WebSocket(url, ['chat']));
      assert.equal(err.code, 'WS_ERR_HANDSHAKE');
      server.close();
    });
  }

  test('RFC 6455 §4.1: no answer within handshakeTimeout fails the connection', async () => {
    const { server, url } = await rawServer(() => null);
    const err = await failure(new WebSocket(url, [], { handshakeTimeout: 200 }));
    assert.equal(err.code, 'WS_ERR_HANDSHAKE_TIMEOUT');
    server.close();
  });

  test('RFC 6455 §4.1: a refused TCP connection fails with WS_ERR_SOCKET', async () => {
    const probe = net.createServer().listen(0, '127.0.0.1');
    await once(probe, 'listening');
    const port = (probe.address() as net.AddressInfo).port;
    probe.close();
    await once(probe, 'close');
    const err = await failure(new WebSocket(`ws://127.0.0.1:${port}/`));
    assert.equal(err.code, 'WS_ERR_SOCKET');
  });

  test('WHATWG HTML §9.3: close() while connecting fails the connection with 1006', async () => {
    const { server, url } = await rawServer(() => null);
    const ws = new WebSocket(url);
    ws.close();
    const err = await failure(ws);
    assert.equal(err.code, 'WS_ERR_CLOSED_BEFORE_OPEN');
    assert.equal(ws.error, err);
    server.close();
  });

  test('WHATWG HTML §9.3.1: bad URLs and subprotocol lists throw SyntaxError', () => {
    for (const u of ['not a url', 'ftp://x/', 'ws://x/#frag']) assert.throws(() => new WebSocket(u), (e: DOMException) => e.name === 'SyntaxError', u);
    assert.throws(() => new WebSocket('ws://x/', ['a', 'a']), (e: DOMException) => e.name === 'SyntaxError');
    assert.throws(() => new WebSocket('ws://x/', ['a b']), (e: DOMException) => e.name === 'SyntaxError');
  });

  test('RFC 6455 §5.1: a client fails the connection with 1002 on a masked frame from the server', async () => {
    const received: Buffer[] = [];
    const { server, url } = await rawServer(ok101, (s) => {
      s.on('data', (c) => received.push(c));
      s.write(encodeFrame(Opcode.TEXT, true, false, Buffer.from('masked!'), Uint8Array.from([1, 2, 3, 4])));
    });
    const ws = new WebSocket(url);
    const err = await nextEvent<ErrorEvent>(ws, 'error');
    assert.equal((err.error as WebSocketError).closeCode, 1002);
    const close = await nextEvent<CloseEvent>(ws, 'close', 15000);
    assert.equal(close.code, 1006);
    const all = Buffer.concat(received);
    // The client's close frame: masked, code 1002 once unmasked.
    assert.equal(all[0], 0x88);
    const mask = all.subarray(2, 6);
    assert.equal(((all[6] ^ mask[0]) << 8) | (all[7] ^ mask[1]), 1002);
    server.close();
  });

  test('RFC 6455 §7.1.1: the client waits for the server to close TCP, and reports the server close code', async () => {
    const { server, url } = await rawServer(ok101, (s) => {
      s.write(encodeFrame(Opcode.CLOSE, true, false, Buffer.from([0x0f, 0xa1, 0x68, 0x69])));
      s.once('data', () => s.end()); // after the client's echo
    });
    const ws = new WebSocket(url);
    const e = await nextEvent<CloseEvent>(ws, 'close');
    assert.deepEqual([e.code, e.reason, e.wasClean], [4001, 'hi', true]);
    server.close();
  });

  test('RFC 6455 §5.5.2: a heartbeat drops a peer that stops answering pings', async () => {
    const { server, url } = await rawServer(ok101); // answers nothing after the handshake
    const ws = new WebSocket(url, [], { heartbeat: 100 });
    const err = await nextEvent<ErrorEvent>(ws, 'error');
    assert.equal((err.error as WebSocketError).code, 'WS_ERR_HEARTBEAT');
    const e = await nextEvent<CloseEvent>(ws, 'close');
    assert.equal(e.code, 1006);
    server.close();
  });
});

test('RFC 6455 §4.1: wss:// connects over TLS with SNI and verifies the certificate', async () => {
  const cert = readFileSync(new URL('cert.pem', fixtures));
  const key = readFileSync(new URL('key.pem', fixtures));
  let sni = '';
  const server = https.createServer({ cert, key, SNICallback: (name, cb) => ((sni = name), cb(null, null as never)) });
  const wss = new WebSocketServer({ server });
  wss.on('connection', (ws: WebSocketConnection) => (ws.onmessage = (e) => ws.send(e.data as string)));
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const port = (server.address() as net.AddressInfo).port;
  const ws = new WebSocket(`wss://127.0.0.1:${port}/`, [], { tls: { ca: cert, servername: 'ws.test' } });
  await nextEvent(ws, 'open');
  assert.equal(sni, 'ws.test');
  ws.send('over tls');
  assert.equal((await nextEvent<MessageEvent>(ws, 'message')).data, 'over tls');
  ws.close();
  await nextEvent(ws, 'close');
  // Without trusting the certificate the handshake fails.
  const untrusted = new WebSocket(`wss://localhost:${port}/`);
  assert.equal((await failure(untrusted)).code, 'WS_ERR_SOCKET');
  await wss.close();
  server.close();
});
