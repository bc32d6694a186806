import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { once } from 'node:events';
import WS, { WebSocketServer as WSServer } from 'ws';
import { WebSocketServer, WebSocket, WebSocketConnection, type CloseEvent, type MessageEvent } from '../../lib/websocket/index.js';
import { Rand, testSeed } from '../support/random.js';
import { createTraceRecorder } from '../../lib/trace/index.js';
import { nextEvent } from './helpers.js';

/** Messages that cover the length boundaries, text and binary, compressible or not. */
function corpus(seed: number): (string | Buffer)[] {
  const rand = new Rand(seed);
  const out: (string | Buffer)[] = ['', 'hello', 'ünïcødé ✓ 𝄞'];
  for (const n of [1, 125, 126, 127, 1023, 1024, 65535, 65536, 300000]) {
    out.push('t'.repeat(n));
    out.push(Buffer.from(rand.bytes(n)));
  }
  out.push(Buffer.alloc(2 * 1024 * 1024, 'a'));
  return out;
}

const same = (a: unknown, b: unknown) => (typeof a === 'string' ? a === b : Buffer.isBuffer(b) && Buffer.compare(a as Buffer, b) === 0);

for (const deflate of [false, true]) {
  const label = deflate ? 'with permessage-deflate' : 'without permessage-deflate';
  describe(`interop ${label}`, () => {
    test(`RFC 6455 §5.6: the ws client echoes every message through the barewire server, ${label}`, async () => {
      const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate: deflate });
      await once(wss, 'listening');
      wss.on('connection', (ws: WebSocketConnection) => (ws.onmessage = (e) => ws.send(e.data as string | Buffer)));
      const client = new WS(wss.url, { perMessageDeflate: deflate });
      await once(client, 'open');
      assert.equal(client.extensions.includes('permessage-deflate'), deflate);
      const messages = corpus(testSeed(`interop ws client ${label}`));
      const got: (string | Buffer)[] = [];
      const done = new Promise<void>((resolve) =>
        client.on('message', (data: Buffer, isBinary: boolean) => {
          got.push(isBinary ? data : data.toString('utf8'));
          if (got.length === messages.length) resolve();
        }),
      );
      for (const m of messages) client.send(m, { binary: typeof m !== 'string' });
      await done;
      for (let i = 0; i < messages.length; i++) assert.ok(same(messages[i], got[i]), `message ${i}`);
      client.close(1000, 'bye');
      const [code] = await once(client, 'close');
      assert.equal(code, 1000);
      await wss.close();
    });

    test(`RFC 6455 §5.6: the barewire client echoes every message through the ws server, ${label}`, async () => {
      const server = new WSServer({ port: 0, host: '127.0.0.1', perMessageDeflate: deflate ? { threshold: 0 } : false });
      await once(server, 'listening');
      server.on('connection', (ws) => ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary })));
      const port = (server.address() as { port: number }).port;
      const client = new WebSocket(`ws://127.0.0.1:${port}/`, [], { perMessageDeflate: deflate });
      await nextEvent(client, 'open');
      assert.equal(client.extensions.includes('permessage-deflate'), deflate);
      const messages = corpus(testSeed(`interop barewire client ${label}`));
      const got: unknown[] = [];
      const done = new Promise<void>((resolve) => {
        client.onmessage = (e) => {
          got.push(e.data);
          if (got.length === messages.length) resolve();
        };
      });
      for (const m of messages) client.send(m);
      await done;
      for (let i = 0; i < messages.length; i++) assert.ok(same(messages[i], got[i]), `message ${i}`);
      client.close(1000);
      const e = await nextEvent<CloseEvent>(client, 'close');
      assert.deepEqual([e.code, e.wasClean], [1000, true]);
      server.close();
    });

    test(`RFC 6455 §7.4.1: the ws server closing with 1001 is seen by the barewire client, ${label}`, async () => {
      const server = new WSServer({ port: 0, host: '127.0.0.1', perMessageDeflate: deflate });
      await once(server, 'listening');
      server.on('connection', (ws) => ws.close(1001, 'going away'));
      const client = new WebSocket(`ws://127.0.0.1:${(server.address() as { port: number }).port}/`, [], { perMessageDeflate: deflate });
      const e = await nextEvent<CloseEvent>(client, 'close');
      assert.deepEqual([e.code, e.reason, e.wasClean], [1001, 'going away', true]);
      server.close();
    });
  });
}

test('RFC 7692 §7.1: the ws client offering every parameter gets them honoured by the barewire server', async () => {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate: { threshold: 0 } });
  await once(wss, 'listening');
  const accepted = new Promise<string>((resolve) =>
    wss.on('connection', (ws: WebSocketConnection) => {
      ws.onmessage = (e) => ws.send(e.data as string);
      resolve(ws.extensions);
    }),
  );
  const client = new WS(wss.url, {
    perMessageDeflate: { serverNoContextTakeover: true, clientNoContextTakeover: true, serverMaxWindowBits: 10, clientMaxWindowBits: 9, threshold: 0 },
  });
  await once(client, 'open');
  assert.equal(
    await accepted,
    'permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=10; client_max_window_bits=9',
  );
  const text = 'compress me '.repeat(1000);
  for (let i = 0; i < 5; i++) {
    client.send(text);
    const [data] = await once(client, 'message');
    assert.equal(data.toString(), text);
  }
  client.close();
  await once(client, 'close');
  await wss.close();
});

test('RFC 7692 §7.1: the barewire client offering every parameter works against the ws server', async () => {
  const server = new WSServer({ port: 0, host: '127.0.0.1', perMessageDeflate: { threshold: 0 } });
  await once(server, 'listening');
  server.on('connection', (ws) => ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary })));
  const client = new WebSocket(`ws://127.0.0.1:${(server.address() as { port: number }).port}/`, [], {
    perMessageDeflate: { serverNoContextTakeover: true, clientNoContextTakeover: true, serverMaxWindowBits: 11, clientMaxWindowBits: 10, threshold: 0 },
  });
  await nextEvent(client, 'open');
  assert.match(client.extensions, /server_no_context_takeover/);
  assert.match(client.extensions, /server_max_window_bits=11/);
  const text = 'the same text again and again '.repeat(500);
  for (let i = 0; i < 5; i++) {
    client.send(text);
    assert.equal((await nextEvent<MessageEvent>(client, 'message')).data, text);
  }
  client.close();
  await nextEvent(client, 'close');
  server.close();
});

test('RFC 6455 §5.4: fragmented messages interoperate both ways', async () => {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', fragmentSize: 100 });
  await once(wss, 'listening');
  wss.on('connection', (ws: WebSocketConnection) => (ws.onmessage = (e) => ws.send(e.data as string)));
  const client = new WS(wss.url);
  await once(client, 'open');
  const text = 'fragment '.repeat(100);
  // ws sends fragments with fin: false
  client.send(text.slice(0, 300), { fin: false });
  client.send(text.slice(300), { fin: true });
  const [data] = await once(client, 'message');
  assert.equal(data.toString(), text);
  client.close();
  await once(client, 'close');
  await wss.close();
});

test('RFC 7692 §7.1.2.1: an 8-bit window is accepted both ways, and barewire then sends uncompressed', async () => {
  // zlib cannot deflate with a 256-byte window; uncompressed messages are always allowed (§6).
  const rec = createTraceRecorder();
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', tracer: rec.tracer, perMessageDeflate: { threshold: 0 } });
  await once(wss, 'listening');
  wss.on('connection', (ws: WebSocketConnection) => (ws.onmessage = (e) => ws.send(e.data as string)));
  const client = new WS(wss.url, { perMessageDeflate: { serverMaxWindowBits: 8, threshold: 0 } });
  await once(client, 'open');
  const text = 'window of eight bits '.repeat(200);
  client.send(text);
  const [data] = await once(client, 'message');
  assert.equal(data.toString(), text);
  const sent = rec.events.filter((e) => e.dir === '->' && e.kind === 'frame' && e.fields!.opcode === 1);
  assert.equal(sent[0].fields!.rsv, 0, 'sent uncompressed');
  client.close();
  await once(client, 'close');
  await wss.close();

  const server = new WSServer({ port: 0, host: '127.0.0.1', perMessageDeflate: { clientMaxWindowBits: 8, threshold: 0 } });
  await once(server, 'listening');
  server.on('connection', (ws) => ws.on('message', (d, isBinary) => ws.send(d, { binary: isBinary })));
  const ours = new WebSocket(`ws://127.0.0.1:${(server.address() as { port: number }).port}/`);
  await nextEvent(ours, 'open');
  assert.match(ours.extensions, /client_max_window_bits=8/);
  ours.send(text);
  assert.equal((await nextEvent<MessageEvent>(ours, 'message')).data, text);
  ours.close();
  await nextEvent(ours, 'close');
  server.close();
});
