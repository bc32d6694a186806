import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { evaluatePreconditions, parseETag, parseETagList, strongMatch, weakMatch, strongETag, parseHttpDate, httpDate } from '../../lib/http/conditional.js';
import { cacheControl, parseCacheControl, appendVary, lastModifiedSeconds } from '../../lib/http/cache.js';

const T = (s: string) => parseETag(s)!;

describe('entity tags', () => {
  test('RFC 9110 §8.8.3: entity-tag = [ W/ ] DQUOTE *etagc DQUOTE', () => {
    assert.deepEqual(parseETag('"xyzzy"'), { weak: false, opaque: '"xyzzy"' });
    assert.deepEqual(parseETag('W/"xyzzy"'), { weak: true, opaque: '"xyzzy"' });
    assert.deepEqual(parseETag('""'), { weak: false, opaque: '""' });
    for (const bad of ['xyzzy', '"a', 'w/"a"', '"a b"', '"a"b', 'W/ "a"']) assert.equal(parseETag(bad), undefined, bad);
  });

  test('RFC 9110 §8.8.3.2: strong comparison needs both strong; weak compares opaque-tags only', () => {
    // The table of §8.8.3.2.
    assert.equal(strongMatch(T('W/"1"'), T('W/"1"')), false);
    assert.equal(weakMatch(T('W/"1"'), T('W/"1"')), true);
    assert.equal(strongMatch(T('W/"1"'), T('W/"2"')), false);
    assert.equal(weakMatch(T('W/"1"'), T('W/"2"')), false);
    assert.equal(strongMatch(T('W/"1"'), T('"1"')), false);
    assert.equal(weakMatch(T('W/"1"'), T('"1"')), true);
    assert.equal(strongMatch(T('"1"'), T('"1"')), true);
    assert.equal(weakMatch(T('"1"'), T('"1"')), true);
  });

  test('RFC 9110 §13.1.1: If-Match lists are "*" or comma-separated entity-tags', () => {
    assert.deepEqual(parseETagList('*'), { kind: 'any' });
    assert.deepEqual(parseETagList(' "a" , W/"b",,"c"'), { kind: 'list', tags: [T('"a"'), T('W/"b"'), T('"c"')] });
    assert.equal(parseETagList('"a" "b"').kind, 'malformed');
    assert.equal(parseETagList('*, "a"').kind, 'malformed');
    assert.equal(parseETagList('').kind, 'malformed');
  });

  test('RFC 9110 §8.8.3: a computed strong ETag is the same for the same bytes only', () => {
    assert.equal(strongETag('{"a":1}'), strongETag(Buffer.from('{"a":1}')));
    assert.notEqual(strongETag('{"a":1}'), strongETag('{"a":2}'));
    assert.ok(parseETag(strongETag('x')) !== undefined);
  });
});

describe('preconditions', () => {
  const etag = '"v1"';
  const lastModified = Date.UTC(2024, 0, 1, 12, 0, 0);
  const before = httpDate(lastModified - 60_000);
  const at = httpDate(lastModified);
  const after = httpDate(lastModified + 60_000);

  test('RFC 9110 §13.1.1: If-Match with a strongly matching tag proceeds, otherwise 412', () => {
    assert.equal(evaluatePreconditions({ method: 'PUT', ifMatch: '"v0", "v1"' }, { etag }), 'proceed');
    assert.equal(evaluatePreconditions({ method: 'PUT', ifMatch: '"v0"' }, { etag }), 412);
    assert.equal(evaluatePreconditions({ method: 'PUT', ifMatch: '*' }, { etag }), 'proceed');
    assert.equal(evaluatePreconditions({ method: 'PUT', ifMatch: '*' }, { exists: false }), 412);
    assert.equal(evaluatePreconditions({ method: 'DELETE', ifMatch: '"v1"' }, {}), 412);
  });

  test('RFC 9110 §13.1.1: a weak entity-tag never satisfies If-Match', () => {
    assert.equal(evaluatePreconditions({ method: 'PUT', ifMatch: 'W/"v1"' }, { etag }), 412);
    assert.equal(evaluatePreconditions({ method: 'PUT', ifMatch: '"v1"' }, { etag: 'W/"v1"' }), 412);
  });

  test('RFC 9110 §13.1.1: a malformed If-Match fails rather than guessing', () => {
    assert.equal(evaluatePreconditions({ method: 'PATCH', ifMatch: 'v1' }, { etag }), 412);
  });

  test('RFC 9110 §13.1.2: If-None-Match matching (weakly) gives 304 for GET/HEAD and 412 otherwise', () => {
    assert.equal(evaluatePreconditions({ method: 'GET', ifNoneMatch: '"v1"' }, { etag }), 304);
    assert.equal(evaluatePreconditions({ method: 'HEAD', ifNoneMatch: 'W/"v1"' }, { etag }), 304);
    assert.equal(evaluatePreconditions({ method: 'GET', ifNoneMatch: '"v2"' }, { etag }), 'proceed');
    assert.equal(evaluatePreconditions({ method: 'PUT', ifNoneMatch: '*' }, { etag }), 412);
    assert.equal(evaluatePreconditions({ method: 'PUT', ifNoneMatch: '*' }, { exists: false }), 'proceed');
    assert.equal(evaluatePreconditions({ method: 'GET', ifNoneMatch: 'junk' }, { etag }), 'proceed');
  });

  test('RFC 9110 §13.1.3: If-Modified-Since gives 304 when not modified since, for GET/HEAD only', () => {
    assert.equal(evaluatePreconditions({ method: 'GET', ifModifiedSince: at }, { lastModified }), 304);
    assert.equal(evaluatePreconditions({ method: 'GET', ifModifiedSince: after }, { lastModified }), 304);
    assert.equal(evaluatePreconditions({ method: 'GET', ifModifiedSince: before }, { lastModified }), 'proceed');
    assert.equal(evaluatePreconditions({ method: 'POST', ifModifiedSince: after }, { lastModified }), 'proceed');
    assert.equal(evaluatePreconditions({ method: 'GET', ifModifiedSince: 'yesterday' }, { lastModified }), 'proceed');
  });

  test('RFC 9110 §13.1.3: If-Modified-Since is ignored when If-None-Match is present', () => {
    // The tag changed (a new representation in the same second): a date alone would wrongly say 304.
    assert.equal(evaluatePreconditions({ method: 'GET', ifNoneMatch: '"v0"', ifModifiedSince: after }, { etag, lastModified }), 'proceed');
  });

  test('RFC 9110 §13.1.4: If-Unmodified-Since gives 412 when modified since, ignored beside If-Match', () => {
    assert.equal(evaluatePreconditions({ method: 'PUT', ifUnmodifiedSince: before }, { lastModified }), 412);
    assert.equal(evaluatePreconditions({ method: 'PUT', ifUnmodifiedSince: at }, { lastModified }), 'proceed');
    assert.equal(evaluatePreconditions({ method: 'PUT', ifMatch: '"v1"', ifUnmodifiedSince: before }, { etag, lastModified }), 'proceed');
    assert.equal(evaluatePreconditions({ method: 'PUT', ifUnmodifiedSince: 'garbage' }, { lastModified }), 'proceed');
  });

  test('RFC 9110 §13.2.2: If-Match is evaluated before If-None-Match', () => {
    assert.equal(evaluatePreconditions({ method: 'GET', ifMatch: '"v0"', ifNoneMatch: '"v1"' }, { etag }), 412);
    assert.equal(evaluatePreconditions({ method: 'GET', ifMatch: '"v1"', ifNoneMatch: '"v1"' }, { etag }), 304);
  });

  test('advisory §huge If-None-Match: a list longer than the bound is not scanned', () => {
    const many = Array.from({ length: 100_000 }, (_, i) => `"t${i}"`).join(', ');
    assert.deepEqual(parseETagList(many), { kind: 'too-many' });
    const withMatch = many + ', "v1"';
    // Ignored for If-None-Match (the full response is always correct) ...
    assert.equal(evaluatePreconditions({ method: 'GET', ifNoneMatch: withMatch }, { etag }), 'proceed');
    // ... and a failure for If-Match (no change on an unproven precondition).
    assert.equal(evaluatePreconditions({ method: 'PUT', ifMatch: withMatch }, { etag }), 412);
    assert.equal(evaluatePreconditions({ method: 'GET', ifNoneMatch: '"a", "v1"' }, { etag, maxETags: 1 }), 'proceed');
  });
});

describe('dates and caching helpers', () => {
  test('RFC 9110 §5.6.7: IMF-fixdate and both obsolete forms parse to the same instant', () => {
    const t = Date.UTC(1994, 10, 6, 8, 49, 37);
    assert.equal(parseHttpDate('Sun, 06 Nov 1994 08:49:37 GMT'), t);
    assert.equal(parseHttpDate('Sunday, 06-Nov-94 08:49:37 GMT'), t);
    assert.equal(parseHttpDate('Sun Nov  6 08:49:37 1994'), t);
    assert.equal(httpDate(t), 'Sun, 06 Nov 1994 08:49:37 GMT');
    for (const bad of ['Sun, 06 Xyz 1994 08:49:37 GMT', 'Sun, 32 Nov 1994 08:49:37 GMT', '1994-11-06', 'x'.repeat(100), undefined]) {
      assert.ok(Number.isNaN(parseHttpDate(bad)), String(bad));
    }
  });

  test('RFC 9111 §5.2.2: Cache-Control directives are built and parsed', () => {
    assert.equal(cacheControl({ public: true, maxAge: 60, staleWhileRevalidate: 30 }), 'public, max-age=60, stale-while-revalidate=30');
    assert.equal(cacheControl({ private: true, noCache: true, mustRevalidate: true }), 'private, no-cache, must-revalidate');
    assert.equal(cacheControl({ noStore: true, noTransform: true, sMaxAge: 5, immutable: true }), 'no-store, no-transform, s-maxage=5, immutable');
    assert.throws(() => cacheControl({ maxAge: -1 }), RangeError);
    const cc = parseCacheControl('No-Store, max-age="60", , private');
    assert.equal(cc.get('no-store'), '');
    assert.equal(cc.get('max-age'), '60');
    assert.ok(cc.has('private'));
    assert.equal(parseCacheControl(undefined).size, 0);
  });

  test('RFC 9110 §12.5.5: Vary accumulates field names once, case-insensitively; * absorbs all', () => {
    assert.equal(appendVary(undefined, 'Accept-Encoding'), 'Accept-Encoding');
    assert.equal(appendVary('Origin', 'accept-encoding', 'ORIGIN'), 'Origin, accept-encoding');
    assert.equal(appendVary('*', 'Origin'), '*');
    assert.equal(appendVary('Origin', '*'), '*');
  });

  test('RFC 9110 §8.8.2: Last-Modified has one-second resolution', () => {
    assert.equal(lastModifiedSeconds(1_700_000_000_999), 1_700_000_000_000);
  });
});
