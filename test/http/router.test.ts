import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { Router } from '../../lib/http/router.js';

function table(opts?: ConstructorParameters<typeof Router<string>>[0]) {
  return new Router<string>(opts)
    .add('GET', '/', 'root')
    .add('GET', '/items', 'list')
    .add('POST', '/items', 'create')
    .add('GET', '/items/new', 'new-form')
    .add('GET', '/items/:id', 'get')
    .add('DELETE', '/items/:id', 'del')
    .add('GET', '/items/:id/tags/:tag', 'tag')
    .add('GET', '/files/*path', 'files')
    .add('GET', '/users/:id', 'user')
    .add('GET', '/users/me/settings', 'settings');
}

describe('router', () => {
  test('RFC 9110 §4.1: static paths and the root match exactly', () => {
    const r = table();
    const m = r.find('GET', '/');
    assert.equal(m.kind, 'found');
    assert.equal(m.kind === 'found' && m.handler, 'root');
    const l = r.find('GET', '/items');
    assert.equal(l.kind === 'found' && l.handler, 'list');
    assert.equal(r.find('GET', '/itemsx').kind, 'not-found');
    assert.equal(r.find('GET', '/nope/deeper').kind, 'not-found');
  });

  test('RFC 9110 §4.1: named params capture one non-empty segment', () => {
    const r = table();
    const m = r.find('GET', '/items/42/tags/red');
    assert.equal(m.kind, 'found');
    if (m.kind === 'found') {
      assert.equal(m.handler, 'tag');
      assert.deepEqual({ ...m.params }, { id: '42', tag: 'red' });
      assert.equal(m.pattern, '/items/:id/tags/:tag');
    }
    // An empty segment is not a param value.
    assert.equal(r.find('GET', '/items//tags/red').kind, 'not-found');
  });

  test('RFC 9110 §4.1: a static segment wins over a param at the same position', () => {
    const r = table();
    const m = r.find('GET', '/items/new');
    assert.equal(m.kind === 'found' && m.handler, 'new-form');
    const p = r.find('GET', '/items/old');
    assert.equal(p.kind === 'found' && p.handler, 'get');
  });

  test('RFC 9110 §4.1: a static dead end falls back to the param branch', () => {
    const r = table();
    // /users/me exists only as a prefix of /users/me/settings; /users/:id must still match.
    const m = r.find('GET', '/users/me');
    assert.equal(m.kind === 'found' && m.handler, 'user');
    assert.deepEqual(m.kind === 'found' && { ...m.params }, { id: 'me' });
    const s = r.find('GET', '/users/me/settings');
    assert.equal(s.kind === 'found' && s.handler, 'settings');
  });

  test('RFC 9110 §4.1: a trailing wildcard takes the rest of the path, slashes included', () => {
    const r = table();
    const m = r.find('GET', '/files/a/b/c.txt');
    assert.deepEqual(m.kind === 'found' && { ...m.params }, { path: 'a/b/c.txt' });
    const e = r.find('GET', '/files/');
    assert.deepEqual(e.kind === 'found' && { ...e.params }, { path: '' });
    assert.equal(r.find('GET', '/files').kind, 'not-found');
    const anon = new Router<string>().add('GET', '/static/*', 's').find('GET', '/static/x/y');
    assert.deepEqual(anon.kind === 'found' && { ...anon.params }, { '*': 'x/y' });
  });

  test('RFC 3986 §2.1: params are percent-decoded (UTF-8), static segments compare decoded', () => {
    const r = table();
    const m = r.find('GET', '/items/caf%C3%A9%20au%2Flait');
    assert.deepEqual(m.kind === 'found' && { ...m.params }, { id: 'café au/lait' });
    const s = r.find('GET', '/it%65ms');
    assert.equal(s.kind === 'found' && s.handler, 'list');
  });

  test('RFC 3986 §2.1: bad percent-encoding is a bad path (400), never an exception', () => {
    const r = table();
    for (const p of ['/items/%', '/items/%2', '/items/%zz', '/items/%C3', '/items/%FF%FE', '/nope/%G0']) {
      const m = r.find('GET', p);
      assert.equal(m.kind, 'bad-path', p);
    }
    assert.equal(r.find('GET', 'items').kind, 'bad-path');
  });

  test('RFC 9110 §15.5.6: a known path without the method is 405 with Allow listing its methods', () => {
    const r = table();
    const m = r.find('PUT', '/items');
    assert.equal(m.kind, 'method-not-allowed');
    assert.equal(m.kind === 'method-not-allowed' && m.allow, 'GET, HEAD, POST, OPTIONS');
    const d = r.find('POST', '/items/7');
    assert.equal(d.kind === 'method-not-allowed' && d.allow, 'GET, HEAD, DELETE, OPTIONS');
  });

  test('RFC 9110 §9.3.2: HEAD is served by the GET handler', () => {
    const m = table().find('HEAD', '/items/7');
    assert.equal(m.kind === 'found' && m.handler, 'get');
  });

  test('RFC 9110 §9.3.7: OPTIONS without its own handler answers with Allow', () => {
    const m = table().find('OPTIONS', '/items');
    assert.equal(m.kind, 'options');
    assert.equal(m.kind === 'options' && m.allow, 'GET, HEAD, POST, OPTIONS');
    const own = new Router<string>().add('OPTIONS', '/x', 'opt').add('GET', '/x', 'g').find('OPTIONS', '/x');
    assert.equal(own.kind === 'found' && own.handler, 'opt');
  });

  test('RFC 9110 §4.2.3: trailing-slash policy strict keeps /a and /a/ apart', () => {
    const r = table();
    assert.equal(r.find('GET', '/items/').kind, 'not-found');
  });

  test('RFC 9110 §4.2.3: trailing-slash policy ignore matches /a/ as /a', () => {
    const r = table({ trailingSlash: 'ignore' });
    const m = r.find('GET', '/items/');
    assert.equal(m.kind === 'found' && m.handler, 'list');
    assert.equal(r.find('GET', '/').kind, 'found');
  });

  test('RFC 9110 §15.4.9: trailing-slash policy redirect points at the one form that exists', () => {
    const r = table({ trailingSlash: 'redirect' });
    assert.deepEqual(r.find('GET', '/items/'), { kind: 'redirect', location: '/items' });
    const r2 = new Router<string>({ trailingSlash: 'redirect' }).add('GET', '/dir/', 'd');
    assert.deepEqual(r2.find('GET', '/dir'), { kind: 'redirect', location: '/dir/' });
    assert.equal(r2.find('GET', '/other').kind, 'not-found');
  });

  test('RFC 9110 §4.1: conflicting or malformed patterns are refused when added', () => {
    assert.throws(() => new Router().add('GET', 'x', 1), TypeError);
    assert.throws(() => new Router().add('GET', '/a/:id', 1).add('GET', '/a/:name', 2), TypeError);
    assert.throws(() => new Router().add('GET', '/a/*/b', 1), TypeError);
    assert.throws(() => new Router().add('GET', '/a/:', 1), TypeError);
    assert.throws(() => new Router().add('GET', '/a/:x/:x', 1), TypeError);
    assert.throws(() => new Router().add('GET', '/a', 1).add('get', '/a', 2), TypeError);
    assert.throws(() => new Router().add('GET', '/a/*x', 1).add('GET', '/a/*y', 2), TypeError);
    assert.throws(() => new Router().add('GET', '/%zz', 1), TypeError);
  });

  test('advisory §CVE-2024-45296: attacker paths cannot make matching backtrack catastrophically', () => {
    // path-to-regexp compiled `/:a-:b` style routes to regexes that backtrack
    // exponentially. Here every tree node is entered at most once per lookup,
    // so even a table built to force fallbacks at every level stays linear.
    const r = new Router<number>();
    let pattern = '';
    for (let i = 0; i < 20; i++) {
      pattern += '/:p' + i;
      r.add('GET', pattern + '/end', i);
      r.add('GET', pattern.replace(/:p(\d+)$/, 's$1') + '/x', i); // a static sibling at each level
    }
    const hostile = ['/' + 'a-'.repeat(20000), '/' + 'x/'.repeat(5000), '/' + 's0/'.repeat(3000) + 'zz', '/' + '%41'.repeat(10000) + '/nope'];
    const t0 = performance.now();
    for (let k = 0; k < 50; k++) for (const p of hostile) assert.notEqual(r.find('GET', p).kind, 'found');
    const ms = performance.now() - t0;
    // Exponential behaviour would take years; linear takes milliseconds. Generous bound for a loaded machine.
    assert.ok(ms < 5000, `200 hostile lookups took ${ms.toFixed(0)} ms`);
  });
});
