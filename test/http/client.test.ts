import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import { startItems, start, sleep, type Running } from './helpers.js';
import { HttpClient, ConditionalCache } from '../../lib/http/client.js';
import { HttpError } from '../../lib/http/errors.js';
import { createApp } from '../../lib/http/app.js';
import { createTraceRecorder } from '../../lib/trace/index.js';

describe('client', () => {
  let srv: Running;
  let api: HttpClient;
  before(async () => {
    srv = await startItems();
    api = new HttpClient({ baseUrl: srv.url });
  });
  after(async () => {
    api.close();
    await srv.close();
  });

  test('RFC 9110 §9.3: the client sends and receives JSON over one keep-alive connection', async () => {
    const sockets = new Set<unknown>();
    srv.server.server.on('connection', (s) => sockets.add(s));
    const created = await api.post<{ id: string; name: string }>('/items', { name: 'c' });
    assert.equal(created.status, 201);
    assert.equal(created.body.name, 'c');
    const got = await api.get<{ id: string }>(`/items/${created.body.id}`);
    assert.equal(got.body.id, created.body.id);
    const patched = await api.patch<{ name?: string; x: number }>(`/items/${created.body.id}`, { name: null, x: 1 });
    assert.deepEqual(patched.body, { id: created.body.id, x: 1 });
    const put = await api.put<{ y: number }>(`/items/${created.body.id}`, { y: 2 });
    assert.equal(put.body.y, 2);
    const del = await api.delete(`/items/${created.body.id}`);
    assert.equal(del.status, 204);
    assert.equal(del.body, undefined);
    assert.ok(sockets.size <= 1, `${sockets.size} connections for 5 sequential requests`);
  });

  test('RFC 9457 §3: a problem+json response becomes an HttpError with status, code and the problem members', async () => {
    await assert.rejects(api.get('/items/does-not-exist'), (err: unknown) => {
      assert.ok(err instanceof HttpError);
      assert.equal(err.status, 404);
      assert.equal(err.code, 'NOT_FOUND');
      assert.equal(err.type, 'about:blank');
      assert.equal(err.extensions?.title, 'Not Found');
      return true;
    });
    await assert.rejects(api.request('DELETE', '/items'), (err: HttpError) => err.status === 405 && err.headers?.allow === 'GET, HEAD, POST, OPTIONS');
  });

  test('RFC 9111 §4.3.1: a GET with an ETag is revalidated with If-None-Match and served from the cache on 304', async () => {
    const rec: string[] = [];
    srv.server.server.on('request', (req: http.IncomingMessage) => rec.push(`${req.method} ${req.url} inm=${req.headers['if-none-match'] ?? '-'}`));
    const created = (await api.post<{ id: string }>('/items', { v: 1 })).body;
    const path = `/items/${created.id}`;
    const first = await api.get(path);
    assert.equal(first.fromCache, false);
    const second = await api.get(path);
    assert.equal(second.fromCache, true);
    assert.equal(second.status, 200);
    assert.deepEqual(second.body, first.body);
    assert.ok(rec.at(-1)!.includes(`inm=${first.headers.etag}`), rec.at(-1));
    // A change on the server: the revalidation gets the new body.
    await api.put(path, { v: 2 });
    const third = await api.get<{ v: number }>(path);
    assert.equal(third.fromCache, false);
    assert.equal(third.body.v, 2);
  });

  test('RFC 9111 §3: responses with no-store or Vary: * are not kept', async () => {
    const app = createApp();
    let n = 0;
    app.get('/nostore', (ctx) => ctx.send(200, { n: ++n }, { etag: '"a"', cacheControl: { noStore: true } }));
    app.get('/varystar', (ctx) => ctx.send(200, { n: ++n }, { etag: '"b"', vary: ['*'] }));
    app.get('/vary', (ctx) => ctx.send(200, { lang: ctx.header('accept-language') ?? null }, { etag: ctx.header('accept-language') === 'fr' ? '"fr"' : '"en"', vary: ['Accept-Language'] }));
    const s = await start(app);
    const cache = new ConditionalCache(2);
    const c = new HttpClient({ baseUrl: s.url, cache });
    try {
      await c.get('/nostore');
      assert.equal((await c.get('/nostore')).fromCache, false);
      await c.get('/varystar');
      assert.equal((await c.get('/varystar')).fromCache, false);
      await c.get('/vary', { headers: { 'accept-language': 'en' } });
      const fr = await c.get<{ lang: string }>('/vary', { headers: { 'accept-language': 'fr' } });
      assert.equal(fr.fromCache, false, 'a different Accept-Language is not served from the en entry');
      assert.equal(fr.body.lang, 'fr');
      assert.equal((await c.get('/vary', { headers: { 'accept-language': 'fr' } })).fromCache, true);
      assert.ok(cache.size <= 2);
    } finally {
      c.close();
      await s.close();
    }
  });

  test('RFC 9110 §15.5.9: a request that takes too long is aborted by its AbortSignal timeout (TIMEOUT)', async () => {
    const app = createApp();
    app.get('/slow', async () => {
      await sleep(2000);
      return {};
    });
    const s = await start(app);
    const c = new HttpClient({ baseUrl: s.url, timeoutMs: 100 });
    try {
      await assert.rejects(c.get('/slow'), (e: HttpError) => e.code === 'TIMEOUT');
      const ac = new AbortController();
      const p = c.get('/slow', { signal: ac.signal, timeoutMs: 5000 });
      setTimeout(() => ac.abort(), 50);
      await assert.rejects(p, (e: HttpError) => e.code === 'ABORTED');
    } finally {
      c.close();
      await s.close();
    }
  });

  test('RFC 9110 §8.4: compressed responses are decoded, bounded by maxResponseBytes', async () => {
    const app = createApp();
    app.get('/big', () => ({ data: 'x'.repeat(100_000) }));
    const s = await start(app);
    const c = new HttpClient({ baseUrl: s.url, cache: false });
    const small = new HttpClient({ baseUrl: s.url, maxResponseBytes: 10_000, cache: false });
    try {
      const r = await c.get<{ data: string }>('/big');
      assert.equal(r.body.data.length, 100_000);
      assert.ok(['br', 'gzip'].includes(String(r.headers['content-encoding'])));
      await assert.rejects(small.get('/big'), (e: HttpError) => e.code === 'BAD_RESPONSE' || e.code === 'RESPONSE_TOO_LARGE');
      const plain = await small.get('/big', { headers: { 'accept-encoding': 'identity' } }).catch((e: HttpError) => e);
      assert.equal((plain as HttpError).code, 'RESPONSE_TOO_LARGE');
    } finally {
      c.close();
      small.close();
      await s.close();
    }
  });

  test('RFC 9110 §15.6: a refused connection is a NETWORK error; a non-JSON body is text', async () => {
    const dead = new HttpClient({ baseUrl: 'http://127.0.0.1:1' });
    await assert.rejects(dead.get('/'), (e: HttpError) => e.code === 'NETWORK' && e.status === 0);
    dead.close();
    assert.throws(() => new HttpClient({ baseUrl: 'https://example.com' }), TypeError);
    const s = await start((req, res) => {
      if (req.url!.startsWith('/text')) res.end('hello');
      else if (req.url === '/badjson') {
        res.setHeader('content-type', 'application/json');
        res.end('{nope');
      } else {
        res.statusCode = 503;
        res.end('down');
      }
    });
    const rec = createTraceRecorder();
    const c = new HttpClient({ baseUrl: s.url, tracer: rec.tracer });
    try {
      assert.equal((await c.get('/text', { query: { a: 1 } })).body, 'hello');
      await assert.rejects(c.get('/badjson'), (e: HttpError) => e.code === 'BAD_RESPONSE');
      await assert.rejects(c.get('/down'), (e: HttpError) => e.status === 503 && e.code === 'HTTP_503');
      assert.ok(rec.events.some((e) => e.dir === '->' && e.summary === 'GET /text?a=1'));
    } finally {
      c.close();
      await s.close();
    }
  });
});
