import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  acceptKey,
  acceptResponse,
  checkUpgradeRequest,
  checkUpgradeResponse,
  errorResponse,
  formatExtension,
  generateKey,
  hasToken,
  isValidKey,
  parseExtensions,
  parseTokenList,
  selectProtocol,
} from '../../lib/websocket/handshake.js';

const base = {
  host: 'server.example.com',
  upgrade: 'websocket',
  connection: 'Upgrade',
  'sec-websocket-key': 'dGhlIHNhbXBsZSBub25jZQ==',
  'sec-websocket-version': '13',
};

test('RFC 6455 §1.3: the accept value for dGhlIHNhbXBsZSBub25jZQ== is s3pPLMBiTxaQ9kYGzzhZRbK+xOo=', () => {
  assert.equal(acceptKey('dGhlIHNhbXBsZSBub25jZQ=='), 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=');
});

test('RFC 6455 §4.1: a client key is 16 random bytes, base64-encoded, fresh each time', () => {
  const a = generateKey();
  assert.equal(Buffer.from(a, 'base64').length, 16);
  assert.ok(isValidKey(a));
  assert.notEqual(a, generateKey());
});

test('RFC 6455 §4.2.1: Sec-WebSocket-Key must decode to exactly 16 bytes', () => {
  assert.equal(isValidKey('dGhlIHNhbXBsZSBub25jZQ=='), true);
  for (const k of [undefined, '', 'dGhlIHNhbXBsZSBub25jZQ', 'dGhlIHNhbXBsZSBub25jZQ=', 'dGhlIHNhbXBsZSBub25jZXg=', 'dGhlIHNhbXBsZSBub25jZ!==', 'dGhlIHNhbXBsZSBub25jZR==', 'AAAAAAAAAAAAAAAAAAAAAAAAAAAA'])
    assert.equal(isValidKey(k), false, String(k));
});

test('RFC 6455 §4.2.1: a valid request is accepted and its lists parsed', () => {
  const r = checkUpgradeRequest('GET', { ...base, connection: 'keep-alive, Upgrade', upgrade: 'WebSocket', 'sec-websocket-protocol': 'chat, superchat', 'sec-websocket-extensions': 'permessage-deflate; client_max_window_bits', origin: 'http://example.com' });
  assert.ok(r.ok);
  assert.deepEqual(r.protocols, ['chat', 'superchat']);
  assert.deepEqual(r.extensions, [{ name: 'permessage-deflate', params: [['client_max_window_bits', true]] }]);
  assert.equal(r.origin, 'http://example.com');
});

test('RFC 6455 §4.2.1: each malformed handshake gets 400 and a missing or wrong version 426 with Sec-WebSocket-Version: 13', () => {
  const cases: [string, string, Record<string, string | undefined>, number][] = [
    ['not GET', 'POST', base, 400],
    ['no Host', 'GET', { ...base, host: undefined }, 400],
    ['Upgrade not websocket', 'GET', { ...base, upgrade: 'h2c' }, 400],
    ['Connection without Upgrade', 'GET', { ...base, connection: 'keep-alive' }, 400],
    ['no key', 'GET', { ...base, 'sec-websocket-key': undefined }, 400],
    ['short key', 'GET', { ...base, 'sec-websocket-key': 'AAAA' }, 400],
    ['bad protocol list', 'GET', { ...base, 'sec-websocket-protocol': 'a b' }, 400],
    ['duplicate protocol', 'GET', { ...base, 'sec-websocket-protocol': 'a, a' }, 400],
    ['bad extensions', 'GET', { ...base, 'sec-websocket-extensions': 'permessage-deflate; =' }, 400],
    ['no version', 'GET', { ...base, 'sec-websocket-version': undefined }, 426],
    ['version 8', 'GET', { ...base, 'sec-websocket-version': '8' }, 426],
  ];
  for (const [name, method, headers, status] of cases) {
    const r = checkUpgradeRequest(method, headers);
    assert.equal(r.ok, false, name);
    if (!r.ok) {
      assert.equal(r.status, status, name);
      if (status === 426) assert.deepEqual(r.headers, { 'Sec-WebSocket-Version': '13' });
    }
  }
});

test('RFC 9110 §5.6.1: token lists allow optional whitespace and empty elements, and reject junk', () => {
  assert.deepEqual(parseTokenList(' a ,b,\t c '), ['a', 'b', 'c']);
  assert.deepEqual(parseTokenList('a,,b'), ['a', 'b']);
  assert.equal(parseTokenList('a b'), null);
  assert.equal(parseTokenList('a;b'), null);
  assert.equal(hasToken('keep-alive, UPGRADE', 'upgrade'), true);
  assert.equal(hasToken(undefined, 'upgrade'), false);
  assert.equal(hasToken('up grade', 'upgrade'), false);
});

test('RFC 6455 §9.1: extension lists with parameters, quoted values and several offers', () => {
  assert.deepEqual(parseExtensions('permessage-deflate; client_max_window_bits; server_max_window_bits="10", permessage-deflate'), [
    { name: 'permessage-deflate', params: [['client_max_window_bits', true], ['server_max_window_bits', '10']] },
    { name: 'permessage-deflate', params: [] },
  ]);
  assert.deepEqual(parseExtensions('foo;a=1 ; b , ,bar'), [
    { name: 'foo', params: [['a', '1'], ['b', true]] },
    { name: 'bar', params: [] },
  ]);
  assert.deepEqual(parseExtensions('x; q="a\\b"'), [{ name: 'x', params: [['q', 'ab']] }]);
  for (const bad of ['; a', 'foo;', 'foo; a=', 'foo; a="1 0"', 'foo; a="unterminated', 'foo bar', 'foo; a="x\\', 'foo; a=1 2']) assert.equal(parseExtensions(bad), null, bad);
  assert.equal(formatExtension('permessage-deflate', [['server_no_context_takeover', true], ['client_max_window_bits', 10]]), 'permessage-deflate; server_no_context_takeover; client_max_window_bits=10');
});

test('RFC 6455 §4.2.2: the server selects the first offered subprotocol it supports, or none', () => {
  assert.equal(selectProtocol(['a', 'chat', 'b'], ['b', 'chat']), 'chat');
  assert.equal(selectProtocol(['x'], ['chat']), '');
});

test('RFC 6455 §4.2.2: the 101 response carries Upgrade, Connection, Accept and the choices', () => {
  const head = acceptResponse('dGhlIHNhbXBsZSBub25jZQ==', 'chat', 'permessage-deflate');
  assert.match(head, /^HTTP\/1\.1 101 Switching Protocols\r\n/);
  assert.match(head, /\r\nSec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK\+xOo=\r\n/);
  assert.match(head, /\r\nSec-WebSocket-Protocol: chat\r\n/);
  assert.ok(head.endsWith('\r\n\r\n'));
  assert.match(errorResponse(426, 'no', { 'Sec-WebSocket-Version': '13' }), /^HTTP\/1\.1 426 Upgrade Required\r\n[\s\S]*Sec-WebSocket-Version: 13\r\n\r\nno\n$/);
});

test('RFC 6455 §4.1: the client fails the connection on each wrong response field', () => {
  const key = 'dGhlIHNhbXBsZSBub25jZQ==';
  const good = { upgrade: 'websocket', connection: 'Upgrade', 'sec-websocket-accept': 's3pPLMBiTxaQ9kYGzzhZRbK+xOo=' };
  assert.deepEqual(checkUpgradeResponse(101, good, key, [], []), { ok: true, protocol: '', extensions: [] });
  const cases: [string, number, Record<string, string | undefined>, string[], string[]][] = [
    ['status 200', 200, good, [], []],
    ['no Upgrade', 101, { ...good, upgrade: undefined }, [], []],
    ['no Connection', 101, { ...good, connection: 'close' }, [], []],
    ['wrong accept', 101, { ...good, 'sec-websocket-accept': 'AAAA' }, [], []],
    ['protocol not offered', 101, { ...good, 'sec-websocket-protocol': 'chat' }, ['other'], []],
    ['protocol with none offered', 101, { ...good, 'sec-websocket-protocol': 'chat' }, [], []],
    ['extension not offered', 101, { ...good, 'sec-websocket-extensions': 'x-foo' }, [], ['permessage-deflate']],
    ['extension twice', 101, { ...good, 'sec-websocket-extensions': 'permessage-deflate, permessage-deflate' }, [], ['permessage-deflate']],
    ['bad extension syntax', 101, { ...good, 'sec-websocket-extensions': ';;' }, [], ['permessage-deflate']],
  ];
  for (const [name, status, headers, protos, exts] of cases) assert.equal(checkUpgradeResponse(status, headers, key, protos, exts).ok, false, name);
  const ok = checkUpgradeResponse(101, { ...good, 'sec-websocket-protocol': 'chat', 'sec-websocket-extensions': 'permessage-deflate' }, key, ['chat'], ['permessage-deflate']);
  assert.ok(ok.ok && ok.protocol === 'chat' && ok.extensions[0].name === 'permessage-deflate');
});
