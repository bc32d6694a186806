import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { startPlayground, type Playground } from '../../lib/playground/server.js';
import { WebSocket } from '../../lib/websocket/index.js';
import { EventSource } from '../../lib/sse/index.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
let pg: Playground;

before(async () => {
  pg = await startPlayground({ tickMs: 30 });
});
after(async () => {
  await pg.close();
});

function get(path: string, headers: Record<string, string> = {}): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get(pg.url + path, { headers }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (d) => (body += d));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body }));
      })
      .on('error', reject);
  });
}

test('issue 10 §playground: the page is served as HTML, with the three panels', async () => {
  const r = await get('/');
  assert.equal(r.status, 200);
  assert.match(String(r.headers['content-type']), /^text\/html/);
  assert.equal(Number(r.headers['content-length']), Buffer.byteLength(r.body));
  for (const id of ['ws-open', 'sse-open', 'http-create', 'ws-wire', 'sse-wire', 'http-wire']) assert.ok(r.body.includes(`id="${id}"`), id);
  assert.equal((await get('/favicon.ico')).status, 204);
});

test('issue 10 §playground: the REST panel talks to the items resource, with ETags and problem+json', async () => {
  const list = await get('/items');
  assert.equal(list.status, 200);
  assert.ok(list.headers.etag);
  const cond = await get('/items', { 'if-none-match': String(list.headers.etag) });
  assert.equal(cond.status, 304);
  const missing = await get('/items/nope');
  assert.equal(missing.status, 404);
  assert.match(String(missing.headers['content-type']), /problem\+json/);
});

test('issue 10 §playground: the WebSocket panel echoes with the chat subprotocol and the wire panel receives its trace', async () => {
  const trace = new EventSource(pg.url + '/trace');
  const lines: { protocol: string; dir: string; kind: string; summary: string }[] = [];
  trace.addEventListener('trace', (e) => lines.push(JSON.parse((e as MessageEvent).data)));
  await new Promise((r) => (trace.onopen = r));
  const ws = new WebSocket(pg.url.replace('http', 'ws') + '/ws', ['chat']);
  await new Promise((r) => (ws.onopen = r));
  assert.equal(ws.protocol, 'chat');
  const echoed = new Promise<unknown>((r) => (ws.onmessage = (e) => r(e.data)));
  ws.send('ping from test');
  assert.equal(await echoed, 'ping from test');
  ws.close();
  await new Promise((r) => (ws.onclose = r));
  for (let i = 0; i < 100 && !lines.some((l) => l.protocol === 'ws' && l.kind === 'frame' && l.dir === '->'); i++) await new Promise((r) => setTimeout(r, 20));
  trace.close();
  assert.ok(lines.some((l) => l.protocol === 'ws' && l.kind === 'handshake' && l.dir === '<-'), 'the upgrade request');
  assert.ok(lines.some((l) => l.protocol === 'ws' && l.kind === 'frame' && l.dir === '->' && l.summary.includes('ping from test')), 'the echoed frame');
  assert.ok(!lines.some((l) => l.summary.includes('/trace')), 'the trace stream does not trace itself');
});

test('issue 10 §playground: SSE ticks resume after a server-side drop without loss or repeats', async () => {
  const es = new EventSource(pg.url + '/events');
  const ids: number[] = [];
  es.addEventListener('tick', (e) => ids.push(Number((e as MessageEvent).lastEventId)));
  while (ids.length < 3) await new Promise((r) => setTimeout(r, 10));
  const drop = await new Promise<http.IncomingMessage>((resolve) => http.request(pg.url + '/events/drop', { method: 'POST' }, resolve).end());
  assert.equal(drop.statusCode, 204);
  assert.equal(drop.headers['x-dropped'], '1');
  const before = ids.length;
  for (let i = 0; i < 300 && ids.length < before + 5; i++) await new Promise((r) => setTimeout(r, 20));
  es.close();
  assert.ok(ids.length >= before + 5, 'events after the reconnect');
  for (let i = 1; i < ids.length; i++) assert.equal(ids[i], ids[i - 1] + 1, `ids ${ids.join(',')}`);
});

test('issue 10 §playground: `barewire playground --port 0` prints its URL and exits 0 on SIGTERM', async () => {
  const child = spawn(process.execPath, ['--import', 'tsx', 'lib/cli.ts', 'playground', '--port', '0'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.setEncoding('utf8');
  await new Promise<void>((resolve) => {
    child.stdout.on('data', (d) => {
      out += d;
      if (out.includes('\n')) resolve();
    });
  });
  assert.match(out, /^listening on http:\/\/127\.0\.0\.1:\d+\/\n$/);
  const page = await new Promise<number>((resolve) => http.get(out.slice('listening on '.length).trim(), (res) => { res.resume(); resolve(res.statusCode!); }));
  assert.equal(page, 200);
  child.kill('SIGTERM');
  const code = await new Promise((r) => child.on('exit', r));
  assert.equal(code, 0);
});
