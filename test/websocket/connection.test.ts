import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import net from 'node:net';
import { WebSocketServer, WebSocket, WebSocketConnection, WebSocketError, type CloseEvent, type MessageEvent, type ErrorEvent } from '../../lib/websocket/index.js';
import { acceptKey } from '../../lib/websocket/handshake.js';
import { createTraceRecorder } from '../../lib/trace/index.js';
import { RawPeer, cframe, nextEvent } from './helpers.js';
import { Opcode } from '../../lib/websocket/frame.js';

describe('connection behaviour', () => {
  let wss: WebSocketServer;
  let url: string;
  let port: number;
  const rec = createTraceRecorder();
  before(async () => {
    wss = new WebSocketServer({ port: 0, host: '127.0.0.1', tracer: rec.tracer, maxPayload: 1000, perMessageDeflate: { threshold: 100 } });
    await once(wss, 'listening');
    wss.on('connection', (ws: WebSocketConnection) => {
      ws.onmessage = (e) => {
        if (e.data === 'burst') for (let i = 0; i < 100; i++) ws.send(`b${i}`);
        else if (e.data === 'fragmented') ws.send('y'.repeat(500), { fragmentSize: 100 });
        else ws.send(e.data as string | Buffer);
      };
      ws.onerror = () => {};
    });
    url = wss.url;
    port = (wss.address() as net.AddressInfo).port;
  });
  after(async () => wss.close());

  test('WHATWG HTML §9.3: listeners added with addEventListener and the on<type> handler both receive each event', async () => {
    const ws = new WebSocket(url);
    const seen: string[] = [];
    ws.addEventListener('message', (e) => seen.push('listener ' + (e as MessageEvent).data + ' ' + (e.target === ws)));
    ws.onmessage = (e) => seen.push('handler ' + e.data + ' ' + (e.target === ws));
    await nextEvent(ws, 'open');
    ws.send('x');
    await nextEvent(ws, 'message');
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(seen, ['listener x true', 'handler x true']);
    ws.onmessage = null;
    assert.equal(ws.onmessage, null);
    ws.close();
    await nextEvent(ws, 'close');
  });

  test('WHATWG HTML §9.3: an exception thrown by a handler is reported as uncaught and the connection goes on', async () => {
    const ws = new WebSocket(url);
    await nextEvent(ws, 'open');
    const uncaught = new Promise<Error>((resolve) => {
      const listeners = process.listeners('uncaughtException');
      process.removeAllListeners('uncaughtException');
      process.once('uncaughtException', (err) => {
        for (const l of listeners) process.on('uncaughtException', l);
        resolve(err);
      });
    });
    let n = 0;
    ws.onmessage = () => {
      if (++n === 1) throw new Error('app bug');
    };
    ws.send('one');
    ws.send('two');
    assert.equal((await uncaught).message, 'app bug');
    while (n < 2) await new Promise((r) => setTimeout(r, 10));
    assert.equal(ws.readyState, WebSocket.OPEN);
    ws.close();
    await nextEvent(ws, 'close');
  });

  test('RFC 7692 §6.1: a compressed message sent as fragments sets RSV1 on the first frame only', async () => {
    rec.clear();
    const ws = new WebSocket(url);
    await nextEvent(ws, 'open');
    ws.send('fragmented');
    assert.equal((await nextEvent<MessageEvent>(ws, 'message')).data, 'y'.repeat(500));
    const sent = rec.events.filter((e) => e.dir === '->' && e.kind === 'frame' && e.fields!.opcode !== 8);
    const frames = sent.filter((e) => e.fields!.opcode === 1 || e.fields!.opcode === 0);
    assert.ok(frames.length >= 1);
    assert.equal(frames[0].fields!.rsv, 4, 'RSV1 on the first frame');
    for (const f of frames.slice(1)) assert.equal(f.fields!.rsv, 0, 'no RSV1 on continuations');
    ws.close();
    await nextEvent(ws, 'close');
  });

  test('RFC 6455 §7.1.7: a failure is traced as the end of the connection with the close code and why', async () => {
    rec.clear();
    const peer = await RawPeer.upgraded(port);
    peer.write(cframe(Opcode.BINARY, Buffer.alloc(1001)));
    assert.equal((await peer.closeFrame()).code, 1009);
    await peer.closed();
    await new Promise((r) => setTimeout(r, 50));
    const end = rec.filter('end').at(-1)!;
    assert.match(end.summary, /^close 1009: message of 1001 B over the 1000 B limit$/);
  });

  test('WHATWG HTML §9.3: reading pauses while an async iterator is not consumed, and resumes when it is', async () => {
    const ws = new WebSocket(url);
    await nextEvent(ws, 'open');
    const it = ws[Symbol.asyncIterator]();
    ws.send('burst');
    const socket = (ws as unknown as { socket: net.Socket }).socket;
    const deadline = Date.now() + 10000;
    while (!socket.isPaused() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    assert.ok(socket.isPaused(), 'the socket stops reading while 16 messages wait');
    const got: unknown[] = [];
    for (let i = 0; i < 100; i++) got.push((await it.next()).value);
    assert.deepEqual(got, Array.from({ length: 100 }, (_, i) => `b${i}`));
    assert.equal(socket.isPaused(), false);
    await it.return!();
    ws.close();
    await nextEvent(ws, 'close');
  });

  test('RFC 6455 §7.1.7: async iteration throws the error that failed the connection', async () => {
    const ws = new WebSocket(url);
    await nextEvent(ws, 'open');
    ws.send('z'.repeat(2000)); // over the server's 1000-byte limit: the server closes 1009
    const seen: unknown[] = [];
    ws.onerror = () => {};
    for await (const m of ws) seen.push(m);
    assert.deepEqual(seen, []);
    // The client saw a clean close with 1009 (the server failed it, the client did not).
    const failing = new WebSocket(`ws://127.0.0.1:${port}/`, [], { maxPayload: 10 });
    await nextEvent(failing, 'open');
    failing.onerror = () => {};
    failing.send('echo me back please');
    await assert.rejects(
      (async () => {
        for await (const _ of failing) void _;
      })(),
      (e: WebSocketError) => e.closeCode === 1009,
    );
  });

  test('RFC 6455 §5.5.2: a heartbeat keeps a responsive peer open', async () => {
    const ws = new WebSocket(url, [], { heartbeat: 500 });
    await nextEvent(ws, 'open');
    await new Promise((r) => setTimeout(r, 1600));
    assert.equal(ws.readyState, WebSocket.OPEN);
    ws.close();
    assert.equal((await nextEvent<CloseEvent>(ws, 'close')).code, 1005);
  });
});

test('RFC 6455 §7.1.1: a client whose close is never answered drops TCP after closeTimeout with 1006', async () => {
  const server = net.createServer((socket) => {
    socket.on('error', () => {});
    socket.once('data', (c) => {
      const key = /Sec-WebSocket-Key: (\S+)/i.exec(c.toString())![1];
      socket.write(`HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\nSec-WebSocket-Accept: ${acceptKey(key)}\r\n\r\n`);
    });
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const ws = new WebSocket(`ws://127.0.0.1:${(server.address() as net.AddressInfo).port}/`, [], { closeTimeout: 200 });
  await nextEvent(ws, 'open');
  ws.close(1000);
  const e = await nextEvent<CloseEvent>(ws, 'close');
  assert.deepEqual([e.code, e.wasClean], [1006, false]);
  ws.terminate();
  server.close();
});

test('WHATWG HTML §9.3: terminate() drops an open connection at once and the peer sees 1006', async () => {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1' });
  await once(wss, 'listening');
  const serverSide = new Promise<CloseEvent>((resolve) => wss.on('connection', (ws: WebSocketConnection) => ws.addEventListener('close', (e) => resolve(e as CloseEvent))));
  const ws = new WebSocket(wss.url);
  await nextEvent(ws, 'open');
  ws.terminate();
  const [mine, theirs] = await Promise.all([nextEvent<CloseEvent>(ws, 'close'), serverSide]);
  assert.equal(mine.code, 1006);
  assert.equal(theirs.code, 1006);
  ws.terminate();
  const pending = new WebSocket(wss.url);
  pending.terminate();
  assert.equal((await nextEvent<ErrorEvent>(pending, 'error')).error instanceof WebSocketError, true);
  await wss.close();
});
