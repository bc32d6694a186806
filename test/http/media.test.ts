import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { parseMediaType, isJsonMediaType, parseAccept, negotiateType, acceptsJson, negotiateEncoding, parseQvalue } from '../../lib/http/media.js';

const json = (v: string | undefined) => isJsonMediaType(parseMediaType(v));

describe('media types', () => {
  test('RFC 9110 §8.3.1: type and subtype are case-insensitive, parameters follow ";"', () => {
    const mt = parseMediaType('Application/JSON; Charset="utf-8"');
    assert.deepEqual(mt, { type: 'application', subtype: 'json', essence: 'application/json', params: { charset: 'utf-8' } });
    assert.ok(json('APPLICATION/Json'));
    assert.ok(json('application/json;charset=UTF-8'));
    assert.ok(json(' application/json ; charset=utf-8 '));
    assert.ok(json('application/json\t;\tcharset=utf-8'));
    assert.ok(json('application/json;'));
  });

  test('RFC 9110 §5.6.4: quoted-string parameter values are unescaped', () => {
    assert.deepEqual(parseMediaType('text/plain; a="x\\"y;z"')?.params, { a: 'x"y;z' });
    assert.equal(parseMediaType('text/plain; a="unterminated'), undefined);
    assert.equal(parseMediaType('text/plain; a="bad\u0001"'), undefined);
  });

  test('INTEROP.md §http: JSON types are application/json and application/*+json', () => {
    assert.ok(json('application/json'));
    assert.ok(json('application/merge-patch+json'));
    assert.ok(json('application/problem+json'));
    assert.ok(!json('application/+json'));
    assert.ok(!json('text/json'));
    assert.ok(!json('application/jsonx'));
    assert.ok(!json('application/json-seq'));
    assert.ok(!json('text/plain'));
    assert.ok(!json(undefined));
    assert.ok(!json(''));
  });

  test('RFC 8259 §8.1: a JSON body in a charset other than UTF-8 is not taken', () => {
    assert.ok(!json('application/json; charset=latin1'));
    assert.ok(json('application/json; charset=utf-8'));
  });

  test('advisory §CVE-2025-32442: casing and whitespace before ";" give the same type to every reader', () => {
    // fastify validated bodies by one reading of the type and parsed them by another.
    // Here there is one parse: either it is exactly application/json or it is not JSON at all.
    for (const v of ['Application/JSON ;charset=utf-8', 'application/json  ;charset=utf-8', 'APPLICATION/JSON']) {
      assert.equal(parseMediaType(v)?.essence, 'application/json', v);
    }
    for (const v of ['application/json garbage', 'application/json x;charset=utf-8', 'application/json,text/plain']) {
      assert.equal(parseMediaType(v), undefined, v);
      assert.ok(!json(v), v);
    }
  });

  test('advisory §CVE-2026-25223: a tab in Content-Type is whitespace before ";" and garbage anywhere else', () => {
    assert.equal(parseMediaType('application/json\t;charset=utf-8')?.essence, 'application/json');
    assert.ok(json('\tapplication/json\t'));
    for (const v of ['application/json\tgarbage', 'application\t/json', 'application/\tjson', 'application/json\t\u000b']) {
      assert.equal(parseMediaType(v), undefined, JSON.stringify(v));
    }
  });

  test('advisory §CVE-2026-3419: the subtype must end where the grammar says (no missing end anchor)', () => {
    for (const v of ['application/json garbage', 'application/json/x', 'application/json;charset=utf-8 x', 'application/json@', 'application/json;;x', 'application/json; charset', 'application/json; =utf-8', 'application/json; charset=', 'application/json; charset=utf-8; charset=latin1']) {
      assert.equal(parseMediaType(v), undefined, v);
    }
    assert.ok(!json('application/jsonp'));
    assert.ok(!json('application/json-seq'));
  });

  test('advisory §CVE-2026-33806: a leading space does not change which type the body is', () => {
    assert.equal(parseMediaType(' application/json')?.essence, 'application/json');
    assert.equal(parseMediaType('  text/plain')?.essence, 'text/plain');
    assert.ok(json(' application/json'));
    assert.ok(!json(' text/plain; x=application/json'));
  });
});

describe('negotiation', () => {
  test('RFC 9110 §12.4.2: qvalues have at most three decimals and lie in 0..1', () => {
    assert.equal(parseQvalue('1'), 1);
    assert.equal(parseQvalue('0.5'), 0.5);
    assert.equal(parseQvalue('0.123'), 0.123);
    assert.equal(parseQvalue('1.000'), 1);
    for (const bad of ['1.1', '2', '0.1234', '-1', '', '.5', 'x']) assert.ok(Number.isNaN(parseQvalue(bad)), bad);
  });

  test('RFC 9110 §12.5.1: the most specific matching range decides, q=0 excludes', () => {
    assert.equal(negotiateType('text/html, application/*;q=0.2', ['application/json']), 'application/json');
    assert.equal(negotiateType('application/*;q=0.5, application/json;q=0', ['application/json']), undefined);
    assert.equal(negotiateType('*/*;q=0', ['application/json']), undefined);
    assert.equal(negotiateType('text/html', ['application/json']), undefined);
    assert.equal(negotiateType('text/html;q=0.9, application/json;q=0.8', ['text/html', 'application/json']), 'text/html');
    assert.equal(negotiateType('application/json, text/html', ['text/html', 'application/json']), 'text/html'); // tie: first offer
    assert.equal(negotiateType(undefined, ['application/json']), 'application/json');
  });

  test('RFC 9110 §12.5.1: malformed Accept elements are skipped; all malformed is like none', () => {
    assert.deepEqual(
      parseAccept('text/html;q=2, application/json, junk, */x')?.map((r) => `${r.type}/${r.subtype}`),
      ['application/json'],
    );
    assert.ok(acceptsJson('garbage'));
    assert.ok(acceptsJson('application/json;q=0.1'));
    assert.ok(!acceptsJson('text/html, image/*'));
    assert.deepEqual(parseAccept('a/b;x="1,2", c/d')?.map((r) => r.params), [{ x: '1,2' }, {}]);
  });

  test('RFC 9110 §12.5.3: Accept-Encoding picks the supported coding of highest weight', () => {
    assert.equal(negotiateEncoding('gzip, deflate, br', ['br', 'gzip']), 'br');
    assert.equal(negotiateEncoding('gzip;q=1, br;q=0.5', ['br', 'gzip']), 'gzip');
    assert.equal(negotiateEncoding('br;q=0, gzip;q=0', ['br', 'gzip']), 'identity');
    assert.equal(negotiateEncoding('*', ['br', 'gzip']), 'br');
    assert.equal(negotiateEncoding('*;q=0.1, br;q=0', ['br', 'gzip']), 'gzip');
    assert.equal(negotiateEncoding('identity', ['br', 'gzip']), 'identity');
    assert.equal(negotiateEncoding(undefined, ['br', 'gzip']), 'identity');
    assert.equal(negotiateEncoding('GZIP;foo=bar', ['br', 'gzip']), 'gzip');
    assert.equal(negotiateEncoding('gzip;q=5', ['br', 'gzip']), 'identity');
  });
});
