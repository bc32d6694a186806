import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { createDecoder, encodeContentLength, encodeNdjson, encodeMessage, charsetOf, MAX_HEADER_BYTES, type FrameDiagnostic, type Framing } from '../../lib/stdio/framing.js';
import { bytewise, everySplit, Rand, testSeed } from '../support/random.js';

type Ev = { message: string; size: number } | { diag: FrameDiagnostic };

function decode(framing: Framing, chunks: (Uint8Array | string)[], options: { max?: number; end?: boolean } = {}): Ev[] {
  const events: Ev[] = [];
  const d = createDecoder(framing, {
    maxMessageBytes: options.max,
    onMessage: (message, size) => events.push({ message, size }),
    onDiagnostic: (diag) => events.push({ diag }),
  });
  for (const c of chunks) d.push(typeof c === 'string' ? Buffer.from(c) : c);
  if (options.end !== false) d.end();
  return events;
}

const messages = (evs: Ev[]) => evs.flatMap((e) => ('message' in e ? [e.message] : []));
const diags = (evs: Ev[]) => evs.flatMap((e) => ('diag' in e ? [e.diag] : []));
const bytes = (s: string) => new Uint8Array(Buffer.from(s));

const M1 = '{"jsonrpc":"2.0","method":"subtract","params":[42,23],"id":1}';
const M2 = '{"jsonrpc":"2.0","result":"héllo 😀 wörld","id":2}';

describe('NDJSON framing', () => {
  test('MCP transports §stdio: each line is one message, decoded the same at every split point', () => {
    const wire = bytes(M1 + '\n' + M2 + '\n');
    for (const pieces of everySplit(wire)) assert.deepEqual(messages(decode('ndjson', pieces)), [M1, M2]);
    assert.deepEqual(messages(decode('ndjson', bytewise(wire))), [M1, M2]);
  });

  test('MCP transports §stdio: a message never contains a raw newline (the encoder refuses one)', () => {
    assert.equal(encodeNdjson(JSON.stringify({ s: 'a\nb' })), '{"s":"a\\nb"}\n');
    assert.throws(() => encodeNdjson('{"a":\n1}'), RangeError);
    assert.equal(encodeMessage('ndjson', '{}'), '{}\n');
  });

  test('INTEROP.md §stdio serve: blank lines are ignored and CRLF line ends are tolerated', () => {
    const evs = decode('ndjson', ['\n', '   \t\n', '\r\n', M1 + '\r\n', '\n\n', M2 + '\n']);
    assert.deepEqual(evs.map((e) => ('message' in e ? e.message : e.diag.code)), [M1, M2]);
  });

  test('INTEROP.md §stdio serve: a last message without a trailing newline is handled at end of input', () => {
    assert.deepEqual(messages(decode('ndjson', [M1 + '\n', M2.slice(0, 10), M2.slice(10)])), [M1, M2]);
    assert.deepEqual(messages(decode('ndjson', [M1 + '\n', M2], { end: false })), [M1]);
  });

  test('MCP transports §stdio: the size on the wire counts the newline', () => {
    const evs = decode('ndjson', [M1 + '\n']);
    assert.deepEqual(evs, [{ message: M1, size: Buffer.byteLength(M1) + 1 }]);
  });

  test('JSON-RPC 2.0 §5.1: a line over the size limit is reported and skipped; the next line is decoded (resync)', () => {
    const big = '{"x":"' + 'a'.repeat(200) + '"}';
    for (const chunks of [[big + '\n' + M1 + '\n'], [big.slice(0, 50), big.slice(50, 150), big.slice(150) + '\n' + M1 + '\n'], bytewise(bytes(big + '\n' + M1 + '\n'))]) {
      const evs = decode('ndjson', chunks, { max: 100 });
      assert.deepEqual(messages(evs), [M1]);
      const ds = diags(evs);
      assert.equal(ds.length, 1);
      assert.equal(ds[0].code, 'MESSAGE_TOO_LARGE');
      assert.equal(ds[0].fatal, false);
      assert.equal(ds[0].size, big.length + 1);
      assert.match(ds[0].message, /over the 100 B limit/);
    }
  });

  test('JSON-RPC 2.0 §5.1: a message of exactly the limit is accepted, one byte more is not', () => {
    const exact = '"' + 'b'.repeat(98) + '"';
    assert.deepEqual(messages(decode('ndjson', [exact + '\r\n'], { max: 100 })), [exact]);
    assert.deepEqual(messages(decode('ndjson', bytewise(bytes(exact + '\n')), { max: 100 })), [exact]);
    const over = exact + ' ';
    assert.equal(diags(decode('ndjson', [over + '\n'], { max: 100 }))[0].code, 'MESSAGE_TOO_LARGE');
    assert.equal(diags(decode('ndjson', bytewise(bytes(over + '\n')), { max: 100 }))[0].code, 'MESSAGE_TOO_LARGE');
    // An over-long last line at end of input is reported too.
    assert.equal(diags(decode('ndjson', ['x'.repeat(300)], { max: 100 }))[0].code, 'MESSAGE_TOO_LARGE');
  });

  test('advisory §invalid-utf8: a line that is not UTF-8 is reported, not a crash; the stream goes on', () => {
    const evs = decode('ndjson', [new Uint8Array([0x7b, 0xff, 0xfe, 0x7d, 0x0a]), M1 + '\n']);
    assert.deepEqual(messages(evs), [M1]);
    assert.equal(diags(evs)[0].code, 'INVALID_UTF8');
    assert.equal(diags(evs)[0].preview, '{..}');
  });

  test('MCP transports §stdio: random splits of many messages give the same messages (seeded)', () => {
    const rand = new Rand(testSeed('ndjson random splits'));
    const list = Array.from({ length: 50 }, (_, i) => JSON.stringify({ jsonrpc: '2.0', id: i, result: 'ü€😀'.repeat(rand.int(20)) }));
    const wire = bytes(list.join('\n') + '\n');
    for (let round = 0; round < 20; round++) assert.deepEqual(messages(decode('ndjson', rand.split(wire, 40))), list);
  });
});

describe('Content-Length framing', () => {
  const framed = (s: string) => encodeContentLength(s);

  test('LSP base protocol §Header Part: a message decodes the same at every split point', () => {
    const wire = bytes(framed(M1) + framed(M2));
    for (const pieces of everySplit(wire)) assert.deepEqual(messages(decode('content-length', pieces)), [M1, M2]);
    assert.deepEqual(messages(decode('content-length', bytewise(wire))), [M1, M2]);
  });

  test('LSP base protocol §Header Part: Content-Length counts UTF-8 bytes, not UTF-16 code units', () => {
    const text = '{"s":"é😀"}';
    assert.equal(text.length, 11); // UTF-16 code units
    assert.equal(framed(text), `Content-Length: 14\r\n\r\n${text}`); // 'é' is 2 bytes, '😀' is 4
    assert.deepEqual(messages(decode('content-length', bytewise(bytes(framed(text) + framed(M1))))), [text, M1]);
    // A sender that counts UTF-16 units cuts the message short: that is caught, not silently accepted.
    const wrong = `Content-Length: ${text.length}\r\n\r\n${text}`;
    const evs = decode('content-length', [wrong + framed(M1)]);
    assert.notDeepEqual(messages(evs)[0], text);
  });

  test('LSP base protocol §Header Part: the size on the wire counts the header part', () => {
    const evs = decode('content-length', [framed(M1)]);
    assert.deepEqual(evs, [{ message: M1, size: Buffer.byteLength(framed(M1)) }]);
  });

  test('LSP base protocol §Header Part: Content-Type is tolerated (utf-8, and the old spelling utf8); names are case-insensitive; other fields ignored', () => {
    const wire = [
      `Content-Type: application/vscode-jsonrpc; charset=utf-8\r\nContent-Length: ${M1.length}\r\n\r\n${M1}`,
      `content-length: ${M1.length}\r\nCONTENT-TYPE: application/vscode-jsonrpc; charset="UTF8"\r\nX-Other: 1\r\n\r\n${M1}`,
      `Content-Length:${M1.length}\n\n${M1}`, // bare LF tolerated, no space after the colon
    ];
    assert.deepEqual(messages(decode('content-length', wire)), [M1, M1, M1]);
    assert.equal(charsetOf('application/json'), undefined);
    assert.equal(charsetOf('a/b; q=1; Charset = "Latin1"'), 'latin1');
  });

  test('LSP base protocol §Content Part: a charset other than utf-8 is reported and the message dropped; the stream stays in sync', () => {
    const evs = decode('content-length', [`Content-Length: ${M1.length}\r\nContent-Type: text/plain; charset=latin1\r\n\r\n${M1}` + framed(M2)]);
    assert.deepEqual(messages(evs), [M2]);
    assert.equal(diags(evs)[0].code, 'UNSUPPORTED_CHARSET');
  });

  test('LSP base protocol §Header Part: a header part without Content-Length is fatal', () => {
    const evs = decode('content-length', [`Content-Type: application/json\r\n\r\n${M1}` + framed(M2)]);
    assert.deepEqual(messages(evs), []);
    assert.equal(diags(evs).length, 1);
    assert.equal(diags(evs)[0].code, 'BAD_HEADER');
    assert.equal(diags(evs)[0].fatal, true);
    assert.match(diags(evs)[0].message, /without a Content-Length/);
  });

  test('LSP base protocol §Header Part: a Content-Length that is not a number, or two different ones, is fatal', () => {
    for (const h of ['Content-Length: -5', 'Content-Length: 1e3', 'Content-Length: ', 'Content-Length: 9999999999999999', 'Content-Length: 5\r\nContent-Length: 6']) {
      const evs = decode('content-length', [`${h}\r\n\r\n{}`]);
      assert.equal(diags(evs)[0]?.code, 'BAD_HEADER', h);
      assert.equal(diags(evs)[0].fatal, true);
    }
    // The same value twice is fine.
    assert.deepEqual(messages(decode('content-length', [`Content-Length: 2\r\nContent-Length: 2\r\n\r\n{}`])), ['{}']);
  });

  test('LSP base protocol §Header Part: a missing header terminator (content right after the fields) is fatal', () => {
    const evs = decode('content-length', [`Content-Length: ${M1.length}\r\n${M1}\r\n` + framed(M2)]);
    assert.deepEqual(messages(evs), []);
    assert.equal(diags(evs)[0].code, 'BAD_HEADER');
    assert.match(diags(evs)[0].message, /expected a header field or the empty line/);
    // And input that ends inside the header part is reported as truncated.
    const cut = decode('content-length', [`Content-Length: ${M1.length}\r\n${M1}`]);
    assert.equal(diags(cut)[0].code, 'TRUNCATED');
  });

  test('LSP base protocol §Header Part: a header part that never ends is fatal after 8 KiB, not buffered forever', () => {
    const d = decode('content-length', ['Content-Length: 5\r\n', 'X-Pad: ' + 'a'.repeat(MAX_HEADER_BYTES) ], { end: false });
    assert.equal(diags(d)[0].code, 'BAD_HEADER');
    assert.equal(diags(d)[0].fatal, true);
    const lines = decode('content-length', ['Content-Length: 5\r\n' + 'X-Pad: aaaaaaaaaa\r\n'.repeat(600)], { end: false });
    assert.equal(diags(lines)[0].code, 'BAD_HEADER');
  });

  test('LSP base protocol §Header Part: a Content-Length too small gives a broken message and the stream is reported, not crashed', () => {
    const evs = decode('content-length', [`Content-Length: 10\r\n\r\n${M1}\r\n` + framed(M2)]);
    assert.equal(messages(evs)[0], M1.slice(0, 10));
    assert.ok(diags(evs).some((d) => d.code === 'NON_PROTOCOL_LINE'));
  });

  test('LSP base protocol §Header Part: a Content-Length too large swallows what follows and input ends truncated', () => {
    const evs = decode('content-length', [`Content-Length: ${M1.length + 30}\r\n\r\n${M1}` + framed('{}')]);
    assert.deepEqual(messages(evs), []);
    assert.equal(diags(evs)[0].code, 'TRUNCATED');
    assert.equal(diags(evs)[0].message, `input ended ${M1.length + Buffer.byteLength(framed("{}"))} bytes into a message of ${M1.length + 30} bytes`);
  });

  test('JSON-RPC 2.0 §5.1: a Content-Length over the limit is fatal before any content is buffered; exactly the limit is accepted', () => {
    const evs = decode('content-length', [`Content-Length: 101\r\n\r\n`], { max: 100, end: false });
    assert.equal(diags(evs)[0].code, 'MESSAGE_TOO_LARGE');
    assert.equal(diags(evs)[0].fatal, true);
    assert.equal(diags(evs)[0].size, 101);
    const exact = '"' + 'c'.repeat(98) + '"';
    assert.deepEqual(messages(decode('content-length', [framed(exact)], { max: 100 })), [exact]);
  });

  test('advisory §inspector#343: lines before the first header (a banner on stdout) are reported and skipped', () => {
    const evs = decode('content-length', ['Server starting on stdio...\n', 'log: ready\r\n', '\r\n', framed(M1)]);
    assert.deepEqual(messages(evs), [M1]);
    assert.deepEqual(diags(evs).map((d) => [d.code, d.preview]), [
      ['NON_PROTOCOL_LINE', 'Server starting on stdio...'],
      ['NON_PROTOCOL_LINE', 'log: ready'],
    ]);
    // A banner line longer than the header limit is skipped to its end too.
    const long = decode('content-length', ['#'.repeat(MAX_HEADER_BYTES * 2), '#'.repeat(100) + '\n' + framed(M1)]);
    assert.deepEqual(messages(long), [M1]);
    assert.equal(diags(long)[0].code, 'NON_PROTOCOL_LINE');
    assert.equal(diags(long)[0].size, MAX_HEADER_BYTES * 2 + 101);
  });

  test('advisory §invalid-utf8: content that is not UTF-8 is reported, not a crash; the next message is decoded', () => {
    const bad = Buffer.concat([Buffer.from('Content-Length: 4\r\n\r\n'), Buffer.from([0x22, 0xc0, 0xaf, 0x22])]);
    const evs = decode('content-length', [bad, framed(M1)]);
    assert.deepEqual(messages(evs), [M1]);
    assert.equal(diags(evs)[0].code, 'INVALID_UTF8');
  });

  test('LSP base protocol §Header Part: after a fatal error the decoder ignores further input', () => {
    const events: Ev[] = [];
    const d = createDecoder('content-length', { onMessage: (message, size) => events.push({ message, size }), onDiagnostic: (diag) => events.push({ diag }) });
    d.push(bytes('Content-Length: x\r\n\r\n'));
    assert.equal(d.stopped, true);
    d.push(bytes(framed(M1)));
    d.end();
    assert.equal(events.length, 1);
  });

  test('LSP base protocol §Header Part: random splits of many messages give the same messages (seeded)', () => {
    const rand = new Rand(testSeed('content-length random splits'));
    const list = Array.from({ length: 50 }, (_, i) => JSON.stringify({ jsonrpc: '2.0', id: i, result: 'ü€😀\n'.repeat(rand.int(20)) }));
    const wire = bytes(list.map(framed).join(''));
    for (let round = 0; round < 20; round++) assert.deepEqual(messages(decode('content-length', rand.split(wire, 40))), list);
  });
});
