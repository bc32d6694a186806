import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { once } from 'node:events';
import { fileURLToPath } from 'node:url';
import WS, { WebSocketServer as WSServer } from 'ws';
import { RawPeer, cframe } from './helpers.js';
import { Opcode } from '../../lib/websocket/frame.js';

const root = fileURLToPath(new URL('../../', import.meta.url));

function cli(args: string[]): { child: ChildProcess; out: () => string; err: () => string; exit: Promise<number> } {
  const child = spawn(process.execPath, ['--import', 'tsx', 'lib/cli.ts', 'ws', ...args], { cwd: root, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  let err = '';
  child.stdout!.on('data', (c) => (out += c));
  child.stderr!.on('data', (c) => (err += c));
  const exit = new Promise<number>((resolve) => child.on('exit', (code) => resolve(code ?? 1)));
  return { child, out: () => out, err: () => err, exit };
}

async function serve(args: string[] = []) {
  const proc = cli(['serve', '--port', '0', ...args]);
  const deadline = Date.now() + 30000;
  while (!/listening on /.test(proc.out())) {
    if (Date.now() > deadline) throw new Error('no listening line: ' + proc.err());
    await new Promise((r) => setTimeout(r, 50));
  }
  const url = /listening on (\S+)/.exec(proc.out())![1];
  return { ...proc, url, port: Number(new URL(url).port) };
}

test('INTEROP.md §ws serve: prints one listening line, echoes text and binary, honours --protocol, exits 0 on SIGTERM after closing with 1001', async () => {
  const s = await serve(['--protocol', 'chat', '--protocol', 'other', '--trace']);
  assert.match(s.out(), /^listening on ws:\/\/127\.0\.0\.1:\d+\/\n$/);
  const client = new WS(s.url, ['x', 'other', 'chat']);
  await once(client, 'open');
  assert.equal(client.protocol, 'other');
  assert.equal(client.extensions, 'permessage-deflate');
  client.send('hello');
  const [text, isBinary] = await once(client, 'message');
  assert.deepEqual([text.toString(), isBinary], ['hello', false]);
  client.send(Buffer.from([0, 1, 2]));
  const [bin, isBinary2] = await once(client, 'message');
  assert.deepEqual([bin, isBinary2], [Buffer.from([0, 1, 2]), true]);
  const plain = await fetch(s.url.replace('ws:', 'http:'));
  assert.equal(plain.status, 426);
  assert.equal(plain.headers.get('sec-websocket-version'), '13');
  await plain.text();
  const closed = once(client, 'close');
  s.child.kill('SIGTERM');
  const [code] = await closed;
  assert.equal(code, 1001);
  assert.equal(await s.exit, 0);
  assert.match(s.err(), /<- ws frame text fin=1 rsv=100 mask=1 len=7 \(compressed\)/);
  assert.match(s.err(), /-> ws frame text fin=1 rsv=000 mask=0 len=5 "hello"/);
  assert.match(s.err(), /-> ws frame close fin=1 rsv=000 mask=0 .*code=1001/);
  assert.match(s.err(), /-- ws end GET \/ is not an upgrade request: answered 426/);
  assert.equal(s.out().split('\n').filter(Boolean).length, 1, 'stdout carries only the listening line');
});

test('INTEROP.md §ws serve: --no-deflate declines the extension and --max-payload closes bigger messages with 1009', async () => {
  const s = await serve(['--no-deflate', '--max-payload', '100']);
  const client = new WS(s.url);
  await once(client, 'open');
  assert.equal(client.extensions, '');
  client.send(Buffer.alloc(100));
  const [exact] = await once(client, 'message');
  assert.equal(exact.length, 100, 'exactly the limit is accepted');
  client.send(Buffer.alloc(101));
  const [code] = await once(client, 'close');
  assert.equal(code, 1009);
  // Invalid UTF-8 from a raw peer: 1007.
  const peer = await RawPeer.upgraded(s.port);
  peer.write(cframe(Opcode.TEXT, Buffer.from([0xff])));
  assert.equal((await peer.closeFrame()).code, 1007);
  s.child.kill('SIGINT');
  assert.equal(await s.exit, 0);
});

test('INTEROP.md §ws connect: stdin lines go out as text, messages come out on stdout, end of stdin closes with 1000', async () => {
  const server = new WSServer({ port: 0, host: '127.0.0.1' });
  await once(server, 'listening');
  const seen: string[] = [];
  server.on('connection', (ws, req) => {
    seen.push(String(req.headers['x-test']), String(req.headers['sec-websocket-extensions']));
    ws.on('message', (data, isBinary) => {
      ws.send(data, { binary: isBinary });
      ws.send(Buffer.from([0xde, 0xad, 0xbe, 0xef]), { binary: true });
    });
  });
  const port = (server.address() as { port: number }).port;
  const c = cli(['connect', `ws://127.0.0.1:${port}/`, '--header', 'X-Test: yes']);
  c.child.stdin!.write('first line\n');
  await new Promise((r) => setTimeout(r, 300));
  c.child.stdin!.end('second line\n');
  assert.equal(await c.exit, 0);
  assert.deepEqual(seen, ['yes', 'permessage-deflate; client_max_window_bits']);
  assert.equal(c.out(), 'first line\n<binary 4 bytes: deadbeef>\nsecond line\n<binary 4 bytes: deadbeef>\n');
  assert.match(c.err(), /closed 1000/);
  server.close();
});

test('INTEROP.md §ws connect: --echo sends every message back, prints nothing, exits 0 when the server closes with 1000', async () => {
  const server = new WSServer({ port: 0, host: '127.0.0.1', perMessageDeflate: true });
  await once(server, 'listening');
  const echoed = new Promise<unknown[]>((resolve) =>
    server.on('connection', (ws) => {
      const got: unknown[] = [];
      ws.on('message', (data, isBinary) => {
        got.push(isBinary ? data : data.toString());
        if (got.length === 2) {
          ws.close(1000);
          resolve(got);
        }
      });
      ws.send('text back');
      ws.send(Buffer.from([1, 2, 3]), { binary: true });
    }),
  );
  const c = cli(['connect', `ws://127.0.0.1:${(server.address() as { port: number }).port}/`, '--echo', '--no-deflate']);
  assert.deepEqual(await echoed, ['text back', Buffer.from([1, 2, 3])]);
  assert.equal(await c.exit, 0);
  assert.equal(c.out(), '');
  server.close();
});

test('INTEROP.md §ws connect: exits 1 with the close code on stderr when the server closes with another code', async () => {
  const server = new WSServer({ port: 0, host: '127.0.0.1' });
  await once(server, 'listening');
  server.on('connection', (ws) => ws.close(4000, 'custom'));
  const c = cli(['connect', `ws://127.0.0.1:${(server.address() as { port: number }).port}/`]);
  assert.equal(await c.exit, 1);
  assert.match(c.err(), /^barewire: connection closed 4000 custom\n$/);
  server.close();
});

test('INTEROP.md §ws connect: a failed connection exits 1 with one line; a usage error exits 2; --help exits 0', async () => {
  const refused = cli(['connect', 'ws://127.0.0.1:1/']);
  refused.child.stdin!.end();
  assert.equal(await refused.exit, 1);
  assert.equal(refused.err().trim().split('\n').length, 1);
  assert.match(refused.err(), /connection closed 1006.*connection failed/);
  const usage = cli(['connect']);
  assert.equal(await usage.exit, 2);
  const badUrl = cli(['connect', 'ftp://x/']);
  assert.equal(await badUrl.exit, 2);
  const help = cli(['serve', '--help']);
  assert.equal(await help.exit, 0);
  assert.match(help.out(), /usage: barewire ws serve/);
  const badPort = cli(['serve', '--port', 'abc']);
  assert.equal(await badPort.exit, 2);
});

test('INTEROP.md §ws serve: a port that cannot be listened on exits 1 with one line on stderr', async () => {
  const s = await serve();
  const second = cli(['serve', '--port', String(s.port)]);
  assert.equal(await second.exit, 1);
  assert.match(second.err(), /^barewire: cannot listen on 127\.0\.0\.1:\d+: .*EADDRINUSE.*\n$/);
  s.child.kill('SIGTERM');
  assert.equal(await s.exit, 0);
});

test('INTEROP.md §ws serve: a peer that sends without reading is no longer read once 4 MiB of echoes wait', async () => {
  const s = await serve(['--no-deflate']);
  const peer = await RawPeer.upgraded(s.port);
  peer.socket.pause(); // never read the echoes
  const chunk = cframe(Opcode.BINARY, Buffer.alloc(1024 * 1024));
  for (let i = 0; i < 64; i++) peer.socket.write(chunk);
  await new Promise((r) => setTimeout(r, 3000));
  // Most of the 64 MiB is still in our own socket buffer: the server stopped reading.
  assert.ok(peer.socket.writableLength > 16 * 1024 * 1024, `still unsent: ${peer.socket.writableLength}`);
  peer.destroy();
  s.child.kill('SIGTERM');
  assert.equal(await s.exit, 0);
});
