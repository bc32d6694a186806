import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { gunzipSync, brotliDecompressSync } from 'node:zlib';
import http from 'node:http';
import { start, request, sendJson, raw } from './helpers.js';
import { createApp } from '../../lib/http/app.js';
import { cors, requestLogger } from '../../lib/http/middleware.js';
import { HttpError } from '../../lib/http/errors.js';
import { chooseEncoding, encodedETag } from '../../lib/http/compress.js';
import { parseProblem, problemOf, statusText } from '../../lib/http/problem.js';
import { BodyAccumulator, decodeJson, hasBody, jsonDepth } from '../../lib/http/body.js';

function binaryRequest(port: number, path: string, headers: Record<string, string>): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    http
      .get({ port, host: '127.0.0.1', path, headers, agent: false }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks) }));
      })
      .on('error', reject);
  });
}

describe('app', () => {
  test('RFC 9110 §8.6: a JSON response carries the exact Content-Length; query and typed params reach the handler', async () => {
    const app = createApp();
    app.get('/users/:id/posts/:post', (ctx) => ({ id: ctx.params.id, post: ctx.params.post, q: ctx.query.get('q'), h: ctx.header('X-Test') ?? null, route: ctx.route }));
    app.get('/none', () => undefined);
    const s = await start(app);
    try {
      const r = await request(s.port, 'GET', '/users/7/posts/%C3%A9?q=a%20b', { 'x-test': 'yes' });
      assert.equal(r.status, 200);
      assert.deepEqual(r.json(), { id: '7', post: 'é', q: 'a b', h: 'yes', route: '/users/:id/posts/:post' });
      assert.equal(Number(r.headers['content-length']), Buffer.byteLength(r.body));
      const n = await request(s.port, 'GET', '/none');
      assert.equal(n.status, 204);
    } finally {
      await s.close();
    }
  });

  test('RFC 9457 §3.1: thrown HttpErrors become problem documents with type, title, status, detail and extensions', async () => {
    const app = createApp();
    app.get('/teapot', () => {
      throw new HttpError(409, 'CONFLICT', 'version conflict', { type: 'https://example.com/probs/conflict', extensions: { current: 3, status: 999 }, headers: { 'retry-after': '1' } });
    });
    const s = await start(app);
    try {
      const r = await request(s.port, 'GET', '/teapot');
      assert.equal(r.status, 409);
      assert.equal(r.headers['content-type'], 'application/problem+json');
      assert.equal(r.headers['retry-after'], '1');
      assert.deepEqual(r.json(), { type: 'https://example.com/probs/conflict', title: 'Conflict', status: 409, detail: 'version conflict', code: 'CONFLICT', current: 3 });
      const h = await request(s.port, 'HEAD', '/teapot');
      assert.equal(h.status, 409);
      assert.equal(h.body, '');
    } finally {
      await s.close();
    }
  });

  test('RFC 9457 §3.1: problem documents parse back, members of the wrong type ignored', () => {
    assert.deepEqual(parseProblem({ status: '404', title: 5, type: 'x' }), { status: 0, title: '', type: 'x', detail: undefined });
    assert.equal(parseProblem([1]), undefined);
    assert.equal(parseProblem({ a: 1 }), undefined);
    assert.equal(parseProblem({ status: 404 })?.title, 'Not Found');
    assert.equal(statusText(599), 'Server Error');
    assert.equal(statusText(499), 'Client Error');
    assert.equal(statusText(299), 'Unknown');
    assert.equal(problemOf(new HttpError(400, 'X', '', { detail: '' })).detail, undefined);
  });

  test('RFC 9110 §15.4.9: trailing-slash redirect keeps the query; OPTIONS * lists the methods', async () => {
    const app = createApp({ trailingSlash: 'redirect' });
    app.get('/a', () => ({}));
    const s = await start(app);
    try {
      const r = await request(s.port, 'GET', '/a/?x=1');
      assert.equal(r.status, 308);
      assert.equal(r.headers.location, '/a?x=1');
    } finally {
      await s.close();
    }
  });

  test('RFC 9110 §8.4: large responses are compressed with br or gzip when accepted, with Vary and a distinct strong ETag', async () => {
    const app = createApp();
    const big = { items: Array.from({ length: 200 }, (_, i) => ({ id: i, name: `item number ${i}` })) };
    app.get('/big', (ctx) => ctx.send(200, big, { etag: true }));
    app.get('/small', (ctx) => ctx.send(200, { a: 1 }, { etag: true }));
    const s = await start(app);
    try {
      const id = await binaryRequest(s.port, '/big', {});
      assert.equal(id.headers['content-encoding'], undefined);
      assert.equal(id.headers.vary, 'Accept-Encoding');
      const gz = await binaryRequest(s.port, '/big', { 'accept-encoding': 'gzip' });
      assert.equal(gz.headers['content-encoding'], 'gzip');
      assert.equal(Number(gz.headers['content-length']), gz.body.length);
      assert.deepEqual(JSON.parse(gunzipSync(gz.body).toString()), big);
      assert.equal(gz.headers.vary, 'Accept-Encoding');
      const br = await binaryRequest(s.port, '/big', { 'accept-encoding': 'gzip, br' });
      assert.equal(br.headers['content-encoding'], 'br');
      assert.deepEqual(JSON.parse(brotliDecompressSync(br.body).toString()), big);
      assert.ok(br.body.length < id.body.length / 3);
      assert.notEqual(br.headers.etag, id.headers.etag);
      assert.notEqual(br.headers.etag, gz.headers.etag);
      // Revalidating the compressed representation with its own tag:
      const nm = await binaryRequest(s.port, '/big', { 'accept-encoding': 'br', 'if-none-match': String(br.headers.etag) });
      assert.equal(nm.status, 304);
      const small = await binaryRequest(s.port, '/small', { 'accept-encoding': 'gzip' });
      assert.equal(small.headers['content-encoding'], undefined);
      assert.equal(small.headers.vary, undefined);
      const head = await new Promise<http.IncomingMessage>((resolve) => http.request({ port: s.port, host: '127.0.0.1', path: '/big', method: 'HEAD', headers: { 'accept-encoding': 'gzip' }, agent: false }, (res) => { res.resume(); resolve(res); }).end());
      assert.equal(head.headers['content-length'], gz.headers['content-length']);
    } finally {
      await s.close();
    }
    assert.equal(chooseEncoding('gzip', 10), undefined);
    assert.equal(chooseEncoding(undefined, 10_000), undefined);
    assert.equal(chooseEncoding('identity', 10_000), undefined);
    assert.equal(encodedETag('"abc"', 'br'), '"abc-br"');
  });

  test('RFC 9111 §5.2: send() writes Cache-Control, Last-Modified and Vary, and answers If-Modified-Since', async () => {
    const app = createApp({ compression: false });
    const lm = Date.UTC(2024, 0, 2, 3, 4, 5);
    app.get('/r', (ctx) => ctx.send(200, { a: 1 }, { lastModified: new Date(lm), cacheControl: { public: true, maxAge: 60 }, vary: ['Accept-Language'] }));
    app.get('/tagged', (ctx) => ctx.send(200, { a: 1 }, { etag: '"t1"' }));
    const s = await start(app);
    try {
      const r = await request(s.port, 'GET', '/r');
      assert.equal(r.headers['cache-control'], 'public, max-age=60');
      assert.equal(r.headers['last-modified'], 'Tue, 02 Jan 2024 03:04:05 GMT');
      assert.equal(r.headers.vary, 'Accept-Language');
      const c = await request(s.port, 'GET', '/r', { 'if-modified-since': 'Tue, 02 Jan 2024 03:04:05 GMT' });
      assert.equal(c.status, 304);
      assert.equal(c.headers['cache-control'], 'public, max-age=60');
      const m = await request(s.port, 'GET', '/tagged', { 'if-match': '"other"' });
      assert.equal(m.status, 412);
      assert.equal((await request(s.port, 'GET', '/tagged', { 'if-match': '"t1"' })).status, 200);
    } finally {
      await s.close();
    }
  });

  test('WHATWG Fetch §3.2: the CORS middleware answers preflights and labels responses for allowed origins', async () => {
    const lines: string[] = [];
    const app = createApp();
    app.use(requestLogger((l) => lines.push(l)));
    app.use(cors({ origin: ['https://app.example'], credentials: true }));
    app.get('/data', () => ({ ok: true }));
    const s = await start(app);
    try {
      const pre = await request(s.port, 'OPTIONS', '/data', { origin: 'https://app.example', 'access-control-request-method': 'PUT', 'access-control-request-headers': 'content-type, if-match' });
      assert.equal(pre.status, 204);
      assert.equal(pre.headers['access-control-allow-origin'], 'https://app.example');
      assert.equal(pre.headers['access-control-allow-credentials'], 'true');
      assert.match(String(pre.headers['access-control-allow-methods']), /PUT/);
      assert.equal(pre.headers['access-control-allow-headers'], 'content-type, if-match');
      assert.equal(pre.headers.vary, 'Origin');
      const get = await request(s.port, 'GET', '/data?x=1', { origin: 'https://app.example' });
      assert.equal(get.headers['access-control-allow-origin'], 'https://app.example');
      assert.match(String(get.headers['access-control-expose-headers']), /ETag/);
      const evil = await request(s.port, 'GET', '/data', { origin: 'https://evil.example' });
      assert.equal(evil.status, 200);
      assert.equal(evil.headers['access-control-allow-origin'], undefined);
      const none = await request(s.port, 'GET', '/data');
      assert.equal(none.headers['access-control-allow-origin'], undefined);
      const nf = await request(s.port, 'GET', '/nope', { origin: 'https://app.example' });
      assert.equal(nf.status, 404);
      assert.equal(nf.headers['access-control-allow-origin'], 'https://app.example', 'errors are readable cross-origin too');
      await new Promise((r) => setTimeout(r, 100)); // 'finish' may fire after the client has the response
      assert.ok(lines.some((l) => /^GET \/data\?x=1 200 \d+\.\dms$/.test(l)), JSON.stringify(lines));
      assert.ok(lines.some((l) => /^OPTIONS \/data 204 /.test(l)));
      const any = createApp().use(cors());
      any.get('/x', () => ({}));
      const s2 = await start(any);
      const a = await request(s2.port, 'GET', '/x', { origin: 'https://whoever.example' });
      assert.equal(a.headers['access-control-allow-origin'], '*');
      await s2.close();
    } finally {
      await s.close();
    }
  });

  test('RFC 9110 §15.6.1: middleware that throws gives a problem response; a throwing onError hook is contained', async () => {
    const app = createApp({
      onError: () => {
        throw new Error('hook broke');
      },
    });
    app.use(() => {
      throw new HttpError(401, 'UNAUTHORIZED', 'no token');
    });
    const s = await start(app);
    const app2 = createApp({
      onError: () => {
        throw new Error('hook broke');
      },
    });
    app2.use(async () => {
      throw new Error('boom');
    });
    const s2 = await start(app2);
    try {
      assert.equal((await request(s.port, 'GET', '/x')).status, 401);
      assert.equal((await request(s2.port, 'GET', '/x')).status, 500);
    } finally {
      await s.close();
      await s2.close();
    }
  });

  test('RFC 9112 §6.3: body helpers: presence, bounded accumulation, strict decoding', () => {
    assert.equal(hasBody({}), false);
    assert.equal(hasBody({ 'content-length': '0' }), false);
    assert.equal(hasBody({ 'content-length': '3' }), true);
    assert.equal(hasBody({ 'transfer-encoding': 'chunked' }), true);
    const acc = new BodyAccumulator(5);
    assert.equal(acc.push(Buffer.from('abc')), true);
    assert.equal(acc.push(Buffer.from('de')), true);
    assert.equal(acc.finish().toString(), 'abcde');
    assert.equal(acc.push(Buffer.from('f')), false);
    assert.equal(jsonDepth(Buffer.from('{"a":"[[[[\\"[["}'), 10), 1);
    assert.equal(jsonDepth(Buffer.from('[[[]]]'), 10), 3);
    assert.deepEqual(decodeJson(Buffer.from('{"a":[1]}')), { a: [1] });
    assert.throws(() => decodeJson(Buffer.from([0xef, 0xbb, 0xbf, 0x7b, 0x7d])), (e: HttpError) => e.status === 400);
  });

  test('RFC 9112 §2.2: a stream of random requests gets answers and never a crash', async () => {
    const app = createApp({ onError: () => {} });
    app.post('/echo', async (ctx) => ctx.json());
    const s = await start(app);
    try {
      for (const junk of ['\r\n\r\n', 'POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: abc\r\n\r\n', 'POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n0\r\n\r\n', 'POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Type: application/json\r\n\r\nzz\r\n']) {
        const r = await raw(s.port, junk, 2000);
        assert.ok(r.text === '' || r.text.startsWith('HTTP/1.1 4'), JSON.stringify(junk) + ' -> ' + r.text.slice(0, 30));
      }
      assert.deepEqual((await sendJson(s.port, 'POST', '/echo', [1, 'two'])).json(), [1, 'two']);
    } finally {
      await s.close();
    }
  });
});

describe('bodies in handlers', () => {
  test('RFC 9112 §6.3: the body is read once; a second ctx.json() gets the same value', async () => {
    const app = createApp();
    app.post('/twice', async (ctx) => {
      const a = await ctx.json();
      const b = await ctx.json();
      return { same: a === b, a };
    });
    const s = await start(app);
    try {
      const r = await sendJson(s.port, 'POST', '/twice', { x: 1 });
      assert.deepEqual(r.json(), { same: true, a: { x: 1 } });
    } finally {
      await s.close();
    }
  });

  test('RFC 9112 §9.6: an error answered while the body is still arriving closes the connection', async () => {
    const app = createApp();
    const s = await start(app);
    try {
      const r = await raw(s.port, 'POST /nowhere HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n{"a":', 3000);
      assert.ok(r.text.startsWith('HTTP/1.1 404 '), r.text.slice(0, 30));
      assert.match(r.text, /Connection: close/i);
      assert.ok(r.closedByServer);
    } finally {
      await s.close();
    }
  });
});
