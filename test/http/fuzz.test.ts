import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import net from 'node:net';
import { testSeed, Rand, bytewise } from '../support/random.js';
import { parseMediaType, parseAccept, negotiateEncoding } from '../../lib/http/media.js';
import { parseETagList, evaluatePreconditions, parseHttpDate } from '../../lib/http/conditional.js';
import { Router } from '../../lib/http/router.js';
import { BodyAccumulator, decodeJson } from '../../lib/http/body.js';
import { HttpError } from '../../lib/http/errors.js';
import { startItems, statuses } from './helpers.js';

const ALPHABET = ['a', 'b', 'J', '/', ';', '=', '"', '\\', ' ', '\t', ',', '*', '+', '%', '2', 'F', 'q', '.', '0', '1', 'W', ':', '\u0000', '\u00e9', 'json', 'application', 'charset', 'utf-8'];

function randomText(r: Rand, max: number): string {
  let s = '';
  const n = r.int(max);
  for (let i = 0; i < n; i++) s += r.pick(ALPHABET);
  return s;
}

describe('hostile header values', () => {
  test('RFC 9110 §8.3.1: random Content-Type values never throw, and a valid parse is a fixed point', () => {
    const r = new Rand(testSeed('content-type fuzz'));
    for (let i = 0; i < 20_000; i++) {
      const v = randomText(r, 24);
      const mt = parseMediaType(v);
      if (mt === undefined) continue;
      assert.match(mt.type + '/' + mt.subtype, /^[!#$%&'*+.^_`|~0-9a-z-]+\/[!#$%&'*+.^_`|~0-9a-z-]+$/, JSON.stringify(v));
      // Re-serialise with quoted values: the same type and parameters come back.
      const again = parseMediaType(mt.essence + Object.entries(mt.params).map(([k, x]) => `;${k}="${x.replace(/["\\]/g, '\\$&')}"`).join(''));
      assert.deepEqual(again, mt, JSON.stringify(v));
    }
  });

  test('RFC 9110 §12.5.1: random Accept and Accept-Encoding values never throw and stay bounded', () => {
    const r = new Rand(testSeed('accept fuzz'));
    for (let i = 0; i < 20_000; i++) {
      const v = randomText(r, 40);
      const ranges = parseAccept(v)!;
      assert.ok(ranges.length <= 64);
      for (const x of ranges) assert.ok(x.q >= 0 && x.q <= 1);
      assert.ok(['br', 'gzip', 'identity'].includes(negotiateEncoding(v, ['br', 'gzip'])));
    }
    assert.equal(parseAccept('a/b,'.repeat(10_000))!.length, 64);
  });

  test('RFC 9110 §13.1.1: random If-Match / If-None-Match / dates never throw; decisions are one of three', () => {
    const r = new Rand(testSeed('precondition fuzz'));
    for (let i = 0; i < 20_000; i++) {
      const v = randomText(r, 30);
      const list = parseETagList(v);
      assert.ok(['any', 'list', 'malformed', 'too-many'].includes(list.kind));
      const d = evaluatePreconditions({ method: r.pick(['GET', 'PUT']), ifMatch: r.bool() ? v : undefined, ifNoneMatch: r.bool() ? v : undefined, ifModifiedSince: v, ifUnmodifiedSince: v }, { etag: '"a"', lastModified: 0 });
      assert.ok(d === 'proceed' || d === 304 || d === 412);
      const t = parseHttpDate(v);
      assert.ok(Number.isNaN(t) || Number.isFinite(t));
    }
  });

  test('RFC 3986 §2.1: random paths never throw in the router', () => {
    const r = new Rand(testSeed('router fuzz'));
    const router = new Router<number>().add('GET', '/a/:x', 1).add('GET', '/a/b/*rest', 2).add('POST', '/%2F/:y', 3).add('GET', '/', 4);
    for (let i = 0; i < 20_000; i++) {
      const p = (r.bool(0.9) ? '/' : '') + randomText(r, 20);
      const m = router.find(r.pick(['GET', 'HEAD', 'POST', 'OPTIONS', 'DELETE']), p);
      assert.ok(['found', 'options', 'method-not-allowed', 'not-found', 'bad-path', 'redirect'].includes(m.kind));
      if (m.kind === 'found') for (const v of Object.values(m.params)) assert.equal(typeof v, 'string');
    }
  });
});

describe('router descent', () => {
  test('RFC 9110 §4.1: the greedy descent finds exactly what the full depth-first search finds', () => {
    const r = new Rand(testSeed('router descent'));
    const router = new Router<string>();
    const segs = ['a', 'b', 'ab', ':p', '*w'];
    const patterns = new Set<string>();
    while (patterns.size < 60) {
      const depth = r.range(1, 4);
      const parts: string[] = [];
      const used = new Set<string>();
      for (let i = 0; i < depth; i++) {
        let seg = r.pick(segs);
        if (seg === '*w' && i !== depth - 1) seg = 'a';
        if (seg === ':p') seg = `:p${i}`; // one name per depth, so params never conflict
        if (used.has(seg)) seg = 'b';
        used.add(seg);
        parts.push(seg);
      }
      patterns.add('/' + parts.join('/'));
    }
    for (const p of patterns) router.add('GET', p, p);
    const walk = (router as unknown as { walk(n: unknown, p: string, s: number, pct: boolean): { pattern: string } | undefined; root: unknown; count: number });
    let found = 0;
    for (let i = 0; i < 5000; i++) {
      const n = r.range(1, 5);
      const path = '/' + Array.from({ length: n }, () => r.pick(['a', 'b', 'ab', 'x', '', 'a%62'])).join('/');
      const m = router.find('GET', path);
      walk.count = 0;
      const ref = walk.walk(walk.root, path, path.length === 1 ? -1 : 1, path.includes('%'));
      assert.equal(m.kind === 'found' ? m.pattern : undefined, ref?.pattern, path);
      if (m.kind === 'found') found++;
    }
    assert.ok(found > 500, `only ${found} of 5000 paths matched: the table is not exercised`);
  });
});

describe('bodies in random pieces', () => {
  test('RFC 9112 §6.3: the accumulator gives the same bytes however the body is split, and never more than the limit', () => {
    const r = new Rand(testSeed('body splits'));
    for (let i = 0; i < 300; i++) {
      const body = Buffer.from(JSON.stringify({ n: i, s: 'x'.repeat(r.int(500)), a: [1, 2, { b: null }] }));
      const limit = r.range(body.length - 20, body.length + 20);
      const acc = new BodyAccumulator(limit);
      let ok = true;
      for (const piece of r.split(body, 12)) ok = acc.push(piece) && ok;
      assert.equal(ok, body.length <= limit);
      if (ok) assert.deepEqual(decodeJson(acc.finish()), JSON.parse(body.toString()));
    }
    assert.throws(() => decodeJson(Buffer.from([0x22, 0xc3])), (e: HttpError) => e.status === 400);
  });

  test('RFC 9112 §2.2: a request written one byte at a time is answered like one written at once', async () => {
    const srv = await startItems();
    try {
      const body = '{"bytewise":true}';
      const req = Buffer.from(`POST /items HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\nConnection: close\r\n\r\n${body}`);
      const sock = net.connect(srv.port, '127.0.0.1');
      await new Promise((r) => sock.once('connect', r));
      sock.setNoDelay(true);
      let text = '';
      sock.on('data', (c) => (text += c));
      const closed = new Promise((r) => sock.on('close', r));
      for (const b of bytewise(req)) {
        sock.write(b);
        await new Promise((r) => setImmediate(r));
      }
      await closed;
      assert.deepEqual(statuses(text), [201]);
      assert.match(text, /"bytewise":true/);
    } finally {
      await srv.close();
    }
  });
});
