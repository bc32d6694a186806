/**
 * Real-browser interop: headless Chromium (Debian's chromium package, driven
 * by playwright-core) against barewire's servers. Run with
 * `npm run test:browser`; .ci/run installs chromium when it is missing.
 */
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { mkdirSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { WebSocketServer, type WebSocketConnection } from '../../lib/websocket/index.js';
import { createEventStream } from '../../lib/sse/index.js';
import { createItemsApp } from '../../lib/http/index.js';
import { startPlayground, type Playground } from '../../lib/playground/server.js';

/** The page's document, inside functions that run in the browser. */
declare const document: any;

const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const ARTIFACTS = join(process.cwd(), 'test-artifacts');

let context: BrowserContext;
let page: Page;
let profile: string;
let origin: string;
let server: http.Server;
let wss: WebSocketServer;
let sseConnections = 0;
const sseLastEventIds: string[] = [];

/** One origin for everything, so fetch and EventSource need no CORS. */
async function startServers(): Promise<void> {
  const items = createItemsApp();
  server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/') {
      res.writeHead(200, { 'content-type': 'text/html' }).end('<!doctype html><title>barewire browser tests</title>');
    } else if (url.pathname === '/sse/ticks') {
      // Three named events, then the server drops the connection; a
      // reconnect with Last-Event-ID: 3 gets 4 and 5 and then 204.
      sseConnections++;
      const last = typeof req.headers['last-event-id'] === 'string' ? req.headers['last-event-id'] : '';
      sseLastEventIds.push(last);
      if (last === '5') {
        res.writeHead(204).end();
        return;
      }
      const stream = createEventStream(req, res, { retry: 200, heartbeat: 0 });
      const from = last === '' ? 1 : Number(last) + 1;
      const to = last === '' ? 3 : 5;
      for (let i = from; i <= to; i++) stream.send({ event: i === 2 ? 'special' : undefined, id: String(i), data: `tick ${i}` });
      setTimeout(() => res.destroy(), 50);
    } else if (url.pathname === '/sse/204') {
      res.writeHead(204).end();
    } else {
      items.handle(req, res);
    }
  });
  wss = new WebSocketServer({ server, path: '/ws', maxPayload: 2 * 1024 * 1024 });
  wss.on('connection', (ws: WebSocketConnection) => {
    ws.onmessage = (e) => ws.send(e.data as string | Uint8Array);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

before(async () => {
  await startServers();
  profile = mkdtempSync(join(tmpdir(), 'barewire-chromium-'));
  context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  page = context.pages()[0] ?? (await context.newPage());
  await page.goto(origin + '/');
});

after(async () => {
  await context?.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
  await wss?.close();
  server?.closeAllConnections();
  await new Promise((r) => server?.close(r));
});

/** Run a WebSocket exchange in the page; resolves with what the page saw. */
function inPage<T>(fn: (arg: any) => Promise<T>, arg?: unknown): Promise<T> {
  return page.evaluate(fn, arg);
}

describe('WebSocket in Chromium', () => {
  test('RFC 6455 §6: a browser echoes text and binary through barewire, with permessage-deflate negotiated (RFC 7692 §5)', async () => {
    const r = await inPage(async (url: string) => {
      const ws = new WebSocket(url);
      ws.binaryType = 'arraybuffer';
      await new Promise((ok, fail) => { ws.onopen = ok; ws.onerror = fail; });
      // (No named inner functions here: the bundler's keep-names helper does not exist in the page.)
      let p = new Promise<any>((ok) => { ws.onmessage = (e) => ok(e.data); });
      ws.send('héllo, barewire ✓');
      const text = await p;
      p = new Promise<any>((ok) => { ws.onmessage = (e) => ok(e.data); });
      ws.send(new Uint8Array([0, 1, 2, 253, 254, 255]));
      const bin = Array.from(new Uint8Array(await p));
      const extensions = ws.extensions;
      const closed = new Promise<any>((ok) => { ws.onclose = (e) => ok({ code: e.code, clean: e.wasClean }); });
      ws.close(1000, 'done');
      return { text, bin, extensions, close: await closed };
    }, origin.replace('http', 'ws') + '/ws');
    assert.equal(r.text, 'héllo, barewire ✓');
    assert.deepEqual(r.bin, [0, 1, 2, 253, 254, 255]);
    assert.match(r.extensions, /^permessage-deflate/);
    assert.deepEqual(r.close, { code: 1000, clean: true }, 'RFC 6455 §7.1.5: 1000 normal closure seen by the page');
  });

  test('RFC 6455 §5.4: a 1 MiB message makes the round trip intact', async () => {
    const r = await inPage(async (url: string) => {
      const ws = new WebSocket(url);
      ws.binaryType = 'arraybuffer';
      await new Promise((ok, fail) => { ws.onopen = ok; ws.onerror = fail; });
      const data = new Uint8Array(1024 * 1024);
      for (let i = 0; i < data.length; i++) data[i] = (i * 7919) & 0xff;
      const got = new Promise<ArrayBuffer>((ok) => { ws.onmessage = (e) => ok(e.data); });
      ws.send(data);
      const back = new Uint8Array(await got);
      let same = back.length === data.length;
      for (let i = 0; same && i < data.length; i++) if (back[i] !== data[i]) same = false;
      // And 1 MiB of text, which the server must validate as UTF-8.
      const text = 'é'.repeat(512 * 1024);
      const gotText = new Promise<string>((ok) => { ws.onmessage = (e) => ok(e.data); });
      ws.send(text);
      const sameText = (await gotText) === text;
      ws.close();
      return { length: back.length, same, sameText };
    }, origin.replace('http', 'ws') + '/ws');
    assert.deepEqual(r, { length: 1024 * 1024, same: true, sameText: true });
  });

  test('RFC 6455 §7.4.1: a message over the server limit is closed with 1009, as the page sees it', async () => {
    const r = await inPage(async (url: string) => {
      const ws = new WebSocket(url);
      await new Promise((ok, fail) => { ws.onopen = ok; ws.onerror = fail; });
      const closed = new Promise<any>((ok) => { ws.onclose = (e) => ok({ code: e.code, reason: e.reason }); });
      ws.send(new Uint8Array(3 * 1024 * 1024)); // limit is 2 MiB
      return closed;
    }, origin.replace('http', 'ws') + '/ws');
    assert.equal(r.code, 1009);
  });

  test('RFC 6455 §7.4.1: server shutdown closes the page\'s connection with 1001', async () => {
    const own = http.createServer();
    const shutting = new WebSocketServer({ server: own });
    await new Promise<void>((ok) => own.listen(0, '127.0.0.1', ok));
    const url = `ws://127.0.0.1:${(own.address() as AddressInfo).port}/`;
    const pending = inPage(async (u: string) => {
      const ws = new WebSocket(u);
      await new Promise((ok, fail) => { ws.onopen = ok; ws.onerror = fail; });
      (globalThis as any).__opened = true;
      return new Promise<any>((ok) => { ws.onclose = (e) => ok({ code: e.code, clean: e.wasClean }); });
    }, url);
    await page.waitForFunction(() => (globalThis as any).__opened === true);
    await shutting.close();
    own.close();
    assert.deepEqual(await pending, { code: 1001, clean: true });
  });
});

describe('EventSource in Chromium', () => {
  test('WHATWG HTML §9.2.4: the page receives events, a named event, reconnects with Last-Event-ID after a drop, and stops on 204', async () => {
    sseConnections = 0;
    sseLastEventIds.length = 0;
    const r = await inPage(async (url: string) => {
      const es = new EventSource(url);
      const seen: string[] = [];
      es.onmessage = (e) => seen.push(`message ${e.lastEventId} ${e.data}`);
      es.addEventListener('special', (e: any) => seen.push(`special ${e.lastEventId} ${e.data}`));
      await new Promise<void>((ok) => {
        es.onerror = () => {
          if (es.readyState === EventSource.CLOSED) ok();
        };
      });
      return { seen, state: es.readyState };
    }, origin + '/sse/ticks');
    assert.deepEqual(r.seen, ['message 1 tick 1', 'special 2 tick 2', 'message 3 tick 3', 'message 4 tick 4', 'message 5 tick 5']);
    assert.equal(r.state, 2, 'CLOSED after the 204');
    assert.deepEqual(sseLastEventIds, ['', '3', '5'], 'Last-Event-ID sent on each reconnection');
    assert.equal(sseConnections, 3);
  });

  test('WHATWG HTML §9.2.3: a 204 on the first request fails the connection without retrying', async () => {
    const state = await inPage(async (url: string) => {
      const es = new EventSource(url);
      await new Promise((ok) => { es.onerror = ok; });
      await new Promise((ok) => setTimeout(ok, 300));
      return es.readyState;
    }, origin + '/sse/204');
    assert.equal(state, 2);
  });
});

describe('fetch against the HTTP API in Chromium', () => {
  test('RFC 9110 §13.1.2: the browser cache revalidates with If-None-Match and gets 304 from barewire', async () => {
    const r = await inPage(async (base: string) => {
      const created = await fetch(base + '/items', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"name":"browser"}' });
      const item: any = await created.json();
      // cache: 'no-cache' makes the browser revalidate what it stored.
      const first = await fetch(base + '/items/' + item.id, { cache: 'no-cache' } as any);
      const firstBody = await first.json();
      const etag = first.headers.get('etag');
      const second = await fetch(base + '/items/' + item.id, { cache: 'no-cache' } as any);
      const manual = await fetch(base + '/items/' + item.id, { cache: 'no-store', headers: { 'if-none-match': etag! } } as any);
      return { created: created.status, location: created.headers.get('location'), firstBody, etag, second: second.status, secondBody: await second.json(), manual: manual.status };
    }, origin);
    assert.equal(r.created, 201);
    assert.match(r.location!, /^\/items\/\d+$/);
    assert.match(r.etag!, /^"[^"]+"$/, 'a strong ETag');
    assert.equal(r.second, 200, 'the cache turns the 304 into the stored 200 for the page');
    assert.deepEqual(r.secondBody, r.firstBody);
    assert.equal(r.manual, 304, 'a page-sent If-None-Match sees the 304 itself');
  });

  test('RFC 9457 §3: a bad request gets application/problem+json the page can read', async () => {
    const r = await inPage(async (base: string) => {
      const res = await fetch(base + '/items', { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"oops": ' });
      return { status: res.status, type: res.headers.get('content-type'), body: (await res.json()) as any };
    }, origin);
    assert.equal(r.status, 400);
    assert.match(r.type!, /^application\/problem\+json/);
    assert.equal(r.body.status, 400);
    assert.equal(typeof r.body.title, 'string');
    assert.equal(typeof r.body.type, 'string');
  });
});

describe('the playground page', () => {
  let pg: Playground;
  before(async () => {
    pg = await startPlayground({ tickMs: 100 });
  });
  after(async () => {
    await pg?.close();
  });

  test('issue 10 §playground: the page works end to end: WebSocket, SSE with a resume, REST with a 304, wire panels filled', async () => {
    const p = await context.newPage();
    await p.setViewportSize({ width: 1400, height: 900 });
    const errors: string[] = [];
    p.on('pageerror', (e) => errors.push(e.message));
    await p.goto(pg.url + '/');
    await p.click('#ws-open');
    await p.waitForSelector('#ws-send:not([disabled])');
    await p.click('#ws-send');
    await p.click('#ws-bin');
    await p.waitForFunction(() => (document.getElementById('ws-log')!.textContent!.match(/←/g) ?? []).length >= 2);
    assert.match((await p.textContent('#ws-status'))!, /subprotocol: chat · extensions: permessage-deflate/);

    await p.click('#sse-open');
    await p.waitForFunction(() => (document.getElementById('sse-log')!.textContent!.match(/tick id=/g) ?? []).length >= 2);
    await p.click('#sse-drop');
    await p.waitForFunction(() => /Last-Event-ID: \d+/.test(document.getElementById('sse-wire')!.textContent!), undefined, { timeout: 10000 });
    const ids = (await p.textContent('#sse-log'))!.match(/tick id=(\d+)/g)!.map((s) => Number(s.slice(8)));
    for (let i = 1; i < ids.length; i++) assert.equal(ids[i], ids[i - 1] + 1, `no event lost or repeated across the reconnect: ${ids}`);

    await p.click('#http-create');
    await p.waitForFunction(() => /201 Created/.test(document.getElementById('http-log')!.textContent!));
    await p.click('#http-cond');
    await p.waitForFunction(() => /304 Not Modified/.test(document.getElementById('http-log')!.textContent!));
    for (const panel of ['#ws-wire', '#sse-wire', '#http-wire']) {
      assert.ok(((await p.textContent(panel)) ?? '').length > 20, `${panel} shows wire events`);
    }
    assert.match((await p.textContent('#ws-wire'))!, /handshake 101/);
    mkdirSync(ARTIFACTS, { recursive: true });
    const shot = join(ARTIFACTS, 'playground.png');
    await p.screenshot({ path: shot });
    assert.ok(statSync(shot).size > 10_000);
    assert.deepEqual(errors, []);
    await p.close();
  });
});
