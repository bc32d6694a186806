import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { startItems, request, sendJson, type Running } from './helpers.js';
import { mergePatch } from '../../lib/http/items.js';

let srv: Running;
before(async () => {
  srv = await startItems();
});
after(() => srv.close());

function assertProblem(r: { status: number; headers: Record<string, unknown>; body: string }, status: number) {
  assert.equal(r.status, status, r.body);
  assert.equal(r.headers['content-type'], 'application/problem+json');
  const p = JSON.parse(r.body);
  assert.equal(p.status, status);
  assert.equal(typeof p.type, 'string');
  assert.equal(typeof p.title, 'string');
  return p;
}

describe('INTEROP.md §http serve: the /items resource', () => {
  test('INTEROP.md §http serve: POST /items creates: 201, Location, the item with a server-owned string id', async () => {
    const r = await sendJson(srv.port, 'POST', '/items', { name: 'first', id: 'mine', n: 1 });
    assert.equal(r.status, 201);
    const item = r.json();
    assert.equal(typeof item.id, 'string');
    assert.notEqual(item.id, 'mine');
    assert.equal(item.name, 'first');
    assert.equal(r.headers.location, `/items/${item.id}`);
    assert.match(String(r.headers.etag), /^"[^"]+"$/);
    const g = await request(srv.port, 'GET', r.headers.location!);
    assert.equal(g.status, 200);
    assert.deepEqual(g.json(), item);
    assert.equal(g.headers['content-type'], 'application/json');
    assert.equal(Number(g.headers['content-length']), Buffer.byteLength(g.body));
  });

  test('INTEROP.md §http serve: GET /items is a JSON array of the items', async () => {
    const a = (await sendJson(srv.port, 'POST', '/items', { k: 'a' })).json();
    const r = await request(srv.port, 'GET', '/items');
    assert.equal(r.status, 200);
    const list = r.json();
    assert.ok(Array.isArray(list));
    assert.ok(list.some((x: { id: string }) => x.id === a.id));
    assert.match(String(r.headers.etag), /^"[^"]+"$/);
  });

  test('INTEROP.md §http serve: PUT replaces the item (id kept), 404 when absent', async () => {
    const a = (await sendJson(srv.port, 'POST', '/items', { k: 'a', extra: true })).json();
    const r = await sendJson(srv.port, 'PUT', `/items/${a.id}`, { k: 'b', id: 'other' });
    assert.equal(r.status, 200);
    assert.deepEqual(r.json(), { id: a.id, k: 'b' });
    const missing = await sendJson(srv.port, 'PUT', '/items/does-not-exist', { k: 'b' });
    assertProblem(missing, 404);
  });

  test('RFC 7396 §2: PATCH merges objects member by member and null removes a member', async () => {
    const a = (await sendJson(srv.port, 'POST', '/items', { a: 1, b: { c: 2, d: 3 }, e: [1, 2] })).json();
    const r = await request(
      srv.port,
      'PATCH',
      `/items/${a.id}`,
      { 'content-type': 'application/merge-patch+json' },
      JSON.stringify({ a: null, b: { d: null, f: 4 }, e: [3], id: 'x' }),
    );
    assert.equal(r.status, 200, r.body);
    assert.deepEqual(r.json(), { id: a.id, b: { c: 2, f: 4 }, e: [3] });
    const j = await sendJson(srv.port, 'PATCH', `/items/${a.id}`, { g: true });
    assert.equal(j.status, 200, 'application/json is accepted for PATCH too');
    assert.equal(j.json().g, true);
    assertProblem(await sendJson(srv.port, 'PATCH', '/items/none', { g: 1 }), 404);
  });

  test('RFC 7396 §3: the examples of the RFC', () => {
    const cases: [unknown, unknown, unknown][] = [
      [{ a: 'b' }, { a: 'c' }, { a: 'c' }],
      [{ a: 'b' }, { b: 'c' }, { a: 'b', b: 'c' }],
      [{ a: 'b' }, { a: null }, {}],
      [{ a: 'b', b: 'c' }, { a: null }, { b: 'c' }],
      [{ a: ['b'] }, { a: 'c' }, { a: 'c' }],
      [{ a: 'c' }, { a: ['b'] }, { a: ['b'] }],
      [{ a: { b: 'c' } }, { a: { b: 'd', c: null } }, { a: { b: 'd' } }],
      [{ a: [{ b: 'c' }] }, { a: [1] }, { a: [1] }],
      [['a', 'b'], ['c', 'd'], ['c', 'd']],
      [{ a: 'b' }, ['c'], ['c']],
      [{ a: 'foo' }, null, null],
      [{ a: 'foo' }, 'bar', 'bar'],
      [{ e: null }, { a: 1 }, { e: null, a: 1 }],
      [[1, 2], { a: 'b', c: null }, { a: 'b' }],
      [{}, { a: { bb: { ccc: null } } }, { a: { bb: {} } }],
    ];
    for (const [target, patch, result] of cases) assert.deepEqual(mergePatch(target as never, patch as never), result, JSON.stringify([target, patch]));
  });

  test('advisory §prototype pollution: a "__proto__" member in a merge patch stays a plain member', async () => {
    const a = (await sendJson(srv.port, 'POST', '/items', { x: 1 })).json();
    const body = '{"__proto__": {"polluted": true}, "constructor": {"prototype": {"polluted": true}}}';
    const r = await request(srv.port, 'PATCH', `/items/${a.id}`, { 'content-type': 'application/merge-patch+json' }, body);
    assert.equal(r.status, 200);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
    assert.deepEqual(JSON.parse(r.body).__proto__, { polluted: true });
    const c = await request(srv.port, 'POST', '/items', { 'content-type': 'application/json' }, body);
    assert.equal(c.status, 201);
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });

  test('INTEROP.md §http serve: DELETE answers 204 and the item is gone', async () => {
    const a = (await sendJson(srv.port, 'POST', '/items', { k: 1 })).json();
    const d = await request(srv.port, 'DELETE', `/items/${a.id}`);
    assert.equal(d.status, 204);
    assert.equal(d.body, '');
    assertProblem(await request(srv.port, 'GET', `/items/${a.id}`), 404);
    assertProblem(await request(srv.port, 'DELETE', `/items/${a.id}`), 404);
  });

  test('RFC 9110 §9.3.2: HEAD has the headers of GET and no body', async () => {
    const a = (await sendJson(srv.port, 'POST', '/items', { k: 'head' })).json();
    const g = await request(srv.port, 'GET', `/items/${a.id}`);
    const h = await request(srv.port, 'HEAD', `/items/${a.id}`);
    assert.equal(h.status, 200);
    assert.equal(h.body, '');
    for (const k of ['content-type', 'content-length', 'etag', 'last-modified', 'cache-control']) assert.equal(h.headers[k], g.headers[k], k);
    const l = await request(srv.port, 'HEAD', '/items');
    assert.equal(l.status, 200);
    assert.equal(l.body, '');
  });

  test('RFC 9110 §9.3.7: OPTIONS answers with Allow (and Accept-Patch where PATCH is taken)', async () => {
    const l = await request(srv.port, 'OPTIONS', '/items');
    assert.ok(l.status === 204 || l.status === 200);
    assert.equal(l.headers.allow, 'GET, HEAD, POST, OPTIONS');
    const i = await request(srv.port, 'OPTIONS', '/items/1');
    assert.equal(i.headers.allow, 'GET, HEAD, PUT, PATCH, DELETE, OPTIONS');
    assert.equal(i.headers['accept-patch'], 'application/merge-patch+json, application/json');
    const star = await request(srv.port, 'OPTIONS', '*');
    assert.equal(star.status, 204);
    assert.ok(String(star.headers.allow).includes('GET'));
  });

  test('RFC 9110 §15.5.6: a method the resource does not have is 405 with Allow', async () => {
    const r = await request(srv.port, 'DELETE', '/items');
    const p = assertProblem(r, 405);
    assert.equal(r.headers.allow, 'GET, HEAD, POST, OPTIONS');
    assert.equal(p.title, 'Method Not Allowed');
    const q = await sendJson(srv.port, 'POST', '/items/1', {});
    assertProblem(q, 405);
    assert.equal(q.headers.allow, 'GET, HEAD, PUT, PATCH, DELETE, OPTIONS');
  });

  test('RFC 9110 §15.5.5: an unknown path is 404 problem+json', async () => {
    const p = assertProblem(await request(srv.port, 'GET', '/nothing/here'), 404);
    assert.equal(p.title, 'Not Found');
    assertProblem(await request(srv.port, 'GET', '/items/1/extra'), 404);
  });

  test('RFC 3986 §2.1: bad percent-encoding in the path is 400 problem+json', async () => {
    for (const p of ['/items/%zz', '/items/%', '/items/%C3%28']) assertProblem(await request(srv.port, 'GET', p), 400);
  });

  test('RFC 9112 §3.2.2: an absolute-form request target is routed by its path', async () => {
    const r = await request(srv.port, 'GET', `http://127.0.0.1:${srv.port}/items?x=1`);
    assert.equal(r.status, 200);
  });

  test('RFC 8259 §8.1: malformed JSON is 400, a leading BOM included', async () => {
    const bad = ['{', '{"a":}', "{'a':1}", '', '{"a":1} x', '\ufeff{"a":1}'];
    for (const b of bad) {
      const r = await request(srv.port, 'POST', '/items', { 'content-type': 'application/json' }, b);
      assertProblem(r, 400);
    }
    const bytes = Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0x22, 0x7d]); // invalid UTF-8 in a string
    assertProblem(await request(srv.port, 'POST', '/items', { 'content-type': 'application/json' }, bytes), 400);
  });

  test('RFC 9110 §15.5.21: well-formed JSON that is not an object is 422', async () => {
    for (const b of ['[]', '[1,2]', '1', '"s"', 'null', 'true']) {
      assertProblem(await request(srv.port, 'POST', '/items', { 'content-type': 'application/json' }, b), 422);
    }
    const a = (await sendJson(srv.port, 'POST', '/items', { k: 1 })).json();
    assertProblem(await request(srv.port, 'PUT', `/items/${a.id}`, { 'content-type': 'application/json' }, '[1]'), 422);
    assertProblem(await request(srv.port, 'PATCH', `/items/${a.id}`, { 'content-type': 'application/merge-patch+json' }, '"x"'), 422);
  });

  test('RFC 9110 §15.5.16: a body with a missing or non-JSON Content-Type is 415', async () => {
    const body = '{"a":1}';
    assertProblem(await request(srv.port, 'POST', '/items', {}, body), 415);
    for (const ct of ['text/plain', 'application/x-www-form-urlencoded', 'application/json garbage', 'application/jsonx', 'application/json; charset=iso-8859-1']) {
      assertProblem(await request(srv.port, 'POST', '/items', { 'content-type': ct }, body), 415);
    }
    for (const ct of ['application/vnd.api+json', 'Application/JSON; charset=UTF-8']) {
      assert.equal((await request(srv.port, 'POST', '/items', { 'content-type': ct }, body)).status, 201, ct);
    }
  });

  test('RFC 5789 §2.2: PATCH with an unsupported patch format is 415 with Accept-Patch', async () => {
    const a = (await sendJson(srv.port, 'POST', '/items', { k: 1 })).json();
    const r = await request(srv.port, 'PATCH', `/items/${a.id}`, { 'content-type': 'application/json-patch+json' }, '[]');
    assertProblem(r, 415);
    assert.equal(r.headers['accept-patch'], 'application/merge-patch+json, application/json');
  });

  test('RFC 9110 §5.3: two Content-Type fields are refused (400), not resolved by guessing', async () => {
    const r = await new Promise<{ status: number }>((resolve, reject) => {
      import('node:http').then(({ default: http }) => {
        const req = http.request({ port: srv.port, host: '127.0.0.1', method: 'POST', path: '/items', agent: false, headers: [['content-type', 'text/plain'], ['content-type', 'application/json'], ['content-length', '7']] as unknown as Record<string, string> }, (res) => {
          res.resume();
          res.on('end', () => resolve({ status: res.statusCode! }));
        });
        req.on('error', reject);
        req.end('{"a":1}');
      });
    });
    assert.equal(r.status, 400);
  });

  test('RFC 9110 §15.5.7: 406 when Accept excludes application/json', async () => {
    assertProblem(await request(srv.port, 'GET', '/items', { accept: 'text/html' }), 406);
    assert.equal((await request(srv.port, 'GET', '/items', { accept: 'text/html, application/json;q=0.5' })).status, 200);
    assert.equal((await request(srv.port, 'GET', '/items', { accept: '*/*' })).status, 200);
  });
});

describe('INTEROP.md §http serve: caching and conditional requests', () => {
  test('RFC 9110 §13.1.2: If-None-Match with the current ETag gives 304 with the ETag and no body', async () => {
    const a = (await sendJson(srv.port, 'POST', '/items', { c: 1 })).json();
    const g = await request(srv.port, 'GET', `/items/${a.id}`);
    const etag = String(g.headers.etag);
    const r = await request(srv.port, 'GET', `/items/${a.id}`, { 'if-none-match': etag });
    assert.equal(r.status, 304);
    assert.equal(r.body, '');
    assert.equal(r.headers.etag, etag);
    assert.equal(r.headers['cache-control'], g.headers['cache-control']);
    const w = await request(srv.port, 'GET', `/items/${a.id}`, { 'if-none-match': `"nope", W/${etag}` });
    assert.equal(w.status, 304, 'weak comparison for If-None-Match');
    const other = await request(srv.port, 'GET', `/items/${a.id}`, { 'if-none-match': '"nope"' });
    assert.equal(other.status, 200);
    const h = await request(srv.port, 'HEAD', `/items/${a.id}`, { 'if-none-match': '*' });
    assert.equal(h.status, 304);
  });

  test('RFC 9110 §13.1.2: the list ETag changes when the list changes', async () => {
    const l1 = await request(srv.port, 'GET', '/items');
    assert.equal((await request(srv.port, 'GET', '/items', { 'if-none-match': String(l1.headers.etag) })).status, 304);
    await sendJson(srv.port, 'POST', '/items', { c: 2 });
    const l2 = await request(srv.port, 'GET', '/items', { 'if-none-match': String(l1.headers.etag) });
    assert.equal(l2.status, 200);
    assert.notEqual(l2.headers.etag, l1.headers.etag);
  });

  test('RFC 9110 §13.1.1: If-Match mismatch on PUT, PATCH and DELETE is 412 and nothing changes', async () => {
    const a = (await sendJson(srv.port, 'POST', '/items', { v: 1 })).json();
    const etag = String((await request(srv.port, 'GET', `/items/${a.id}`)).headers.etag);
    assertProblem(await sendJson(srv.port, 'PUT', `/items/${a.id}`, { v: 2 }, { 'if-match': '"stale"' }), 412);
    assertProblem(await sendJson(srv.port, 'PATCH', `/items/${a.id}`, { v: 2 }, { 'if-match': '"stale"' }), 412);
    assertProblem(await request(srv.port, 'DELETE', `/items/${a.id}`, { 'if-match': '"stale"' }), 412);
    assert.deepEqual((await request(srv.port, 'GET', `/items/${a.id}`)).json(), a);
    const ok = await sendJson(srv.port, 'PUT', `/items/${a.id}`, { v: 2 }, { 'if-match': etag });
    assert.equal(ok.status, 200);
    assert.notEqual(ok.headers.etag, etag);
    // The old tag no longer matches: a lost update is prevented.
    assertProblem(await sendJson(srv.port, 'PATCH', `/items/${a.id}`, { v: 3 }, { 'if-match': etag }), 412);
    assert.equal((await request(srv.port, 'DELETE', `/items/${a.id}`, { 'if-match': String(ok.headers.etag) })).status, 204);
  });

  test('RFC 9110 §13.1.1: a weak ETag never satisfies If-Match', async () => {
    const a = (await sendJson(srv.port, 'POST', '/items', { v: 1 })).json();
    const etag = String((await request(srv.port, 'GET', `/items/${a.id}`)).headers.etag);
    assertProblem(await sendJson(srv.port, 'PUT', `/items/${a.id}`, { v: 2 }, { 'if-match': 'W/' + etag }), 412);
    assert.equal((await sendJson(srv.port, 'PUT', `/items/${a.id}`, { v: 2 }, { 'if-match': '*' })).status, 200);
  });

  test('RFC 9110 §13.1.4: If-Unmodified-Since before the last change is 412', async () => {
    const a = (await sendJson(srv.port, 'POST', '/items', { v: 1 })).json();
    const r = await sendJson(srv.port, 'PUT', `/items/${a.id}`, { v: 2 }, { 'if-unmodified-since': 'Sun, 06 Nov 1994 08:49:37 GMT' });
    assertProblem(r, 412);
    const lm = String((await request(srv.port, 'GET', `/items/${a.id}`)).headers['last-modified']);
    assert.equal((await sendJson(srv.port, 'PUT', `/items/${a.id}`, { v: 2 }, { 'if-unmodified-since': lm })).status, 200);
  });

  test('RFC 9110 §13.1.3: If-Modified-Since gives 304 for an unchanged item, and is ignored beside If-None-Match', async () => {
    const a = (await sendJson(srv.port, 'POST', '/items', { v: 1 })).json();
    const g = await request(srv.port, 'GET', `/items/${a.id}`);
    const lm = String(g.headers['last-modified']);
    assert.equal((await request(srv.port, 'GET', `/items/${a.id}`, { 'if-modified-since': lm })).status, 304);
    const both = await request(srv.port, 'GET', `/items/${a.id}`, { 'if-modified-since': lm, 'if-none-match': '"other"' });
    assert.equal(both.status, 200);
  });

  test('advisory §huge If-None-Match: a list of thousands of tags is bounded and answered normally', async () => {
    const a = (await sendJson(srv.port, 'POST', '/items', { v: 1 })).json();
    const etag = String((await request(srv.port, 'GET', `/items/${a.id}`)).headers.etag);
    const many = Array.from({ length: 1200 }, (_, i) => `"t${i}"`).join(',') + ',' + etag;
    const r = await request(srv.port, 'GET', `/items/${a.id}`, { 'if-none-match': many });
    assert.equal(r.status, 200, 'the oversized list is ignored: the full response');
    const m = await sendJson(srv.port, 'PUT', `/items/${a.id}`, { v: 2 }, { 'if-match': many });
    assertProblem(m, 412);
  });
});

describe('INTEROP.md §http serve: bounded memory', () => {
  test('RFC 4918 §11.5: the in-memory store is bounded in items and bytes (507 past it)', async () => {
    const { start } = await import('./helpers.js');
    const { createItemsApp } = await import('../../lib/http/items.js');
    const s = await start(createItemsApp({ maxItems: 2, maxStoreBytes: 200, onError: () => {} }));
    try {
      assert.equal((await sendJson(s.port, 'POST', '/items', { a: 1 })).status, 201);
      const big = await sendJson(s.port, 'POST', '/items', { pad: 'x'.repeat(300) });
      assertProblem(big, 507);
      const second = await sendJson(s.port, 'POST', '/items', { b: 2 });
      assert.equal(second.status, 201);
      assertProblem(await sendJson(s.port, 'POST', '/items', { c: 3 }), 507);
      assertProblem(await sendJson(s.port, 'PUT', '/items/1', { pad: 'y'.repeat(300) }), 507);
      assert.equal((await request(s.port, 'DELETE', '/items/1')).status, 204);
      assert.equal((await sendJson(s.port, 'POST', '/items', { c: 3 })).status, 201);
    } finally {
      await s.close();
    }
  });
});
