import { test } from 'node:test';
import assert from 'node:assert/strict';
import { isOws, isTchar, isToken } from '../../lib/bytes/index.js';

test('RFC 9110 §5.6.2: tchar is exactly the 15 symbols, DIGIT and ALPHA', () => {
  const allowed = new Set("!#$%&'*+-.^_`|~0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ");
  for (let c = 0; c < 0x110; c++) assert.equal(isTchar(c), allowed.has(String.fromCharCode(c)), `code ${c}`);
});

test('RFC 9110 §5.6.2: a token is one or more tchars; separators, spaces, controls and non-ASCII are not', () => {
  for (const t of ['websocket', 'permessage-deflate', 'application', 'x_y.z~1', "!#$%&'*+-.^_`|~"]) assert.equal(isToken(t), true, t);
  for (const t of ['', 'a b', 'a,b', 'a;b', 'a"b', 'a/b', 'a=b', 'a\tb', 'caf\u00e9', 'a\u0000', '(x)', '{x}', 'a\\b', 'a@b', 'a:b', 'a?b', '[x]']) {
    assert.equal(isToken(t), false, JSON.stringify(t));
  }
});

test('RFC 9110 §5.6.3: OWS is space or horizontal tab only', () => {
  assert.equal(isOws(0x20), true);
  assert.equal(isOws(0x09), true);
  for (const c of [0x0a, 0x0d, 0x0b, 0x0c, 0xa0, 0x41]) assert.equal(isOws(c), false);
});
