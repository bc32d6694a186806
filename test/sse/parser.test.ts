import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { createParser, DEFAULT_MAX_LINE_LENGTH } from '../../lib/sse/parser.js';
import { SseError } from '../../lib/sse/errors.js';
import { parseEverySplit, parseChunks, ev } from './helpers.js';
import { hex, Rand, testSeed } from '../support/random.js';

describe('decoding (WHATWG HTML §9.2.5)', () => {
  test('WHATWG HTML §9.2.5: one leading UTF-8 BOM is stripped, at every chunk boundary', () => {
    parseEverySplit(new Uint8Array([...hex('efbbbf'), ...new TextEncoder().encode('data: a\n\n')]), { events: [ev('a')] });
  });

  test('WHATWG HTML §9.2.5: only the first BOM is stripped; a second one is data', () => {
    const input = new Uint8Array([0xef, 0xbb, 0xbf, 0xef, 0xbb, 0xbf, ...new TextEncoder().encode('data: a\n\n')]);
    // the second BOM starts the first line, so the field name is "\uFEFFdata" and is ignored
    parseEverySplit(input, { events: [] });
    const inData = new Uint8Array([0xef, 0xbb, 0xbf, ...new TextEncoder().encode('data: '), 0xef, 0xbb, 0xbf, 0x0a, 0x0a]);
    parseEverySplit(inData, { events: [ev('\uFEFF')] });
  });

  test('WHATWG HTML §9.2.5: a BOM is stripped from text input too', () => {
    assert.deepEqual(parseChunks(['\uFEFFdata: a\n\n']).events, [ev('a')]);
    assert.deepEqual(parseChunks(['\uFEFF', 'data: a\n\n']).events, [ev('a')]);
    assert.deepEqual(parseChunks(['data: a\n\n', '\uFEFFdata: b\n\n']).events, [ev('a')]);
  });

  test('WHATWG HTML §9.2.5: invalid UTF-8 bytes decode as U+FFFD, at every chunk boundary', () => {
    // 0xff is never valid; c3 followed by ASCII is a truncated sequence; ed a0 80 is a surrogate; c0 80 is overlong
    const input = new Uint8Array([
      ...new TextEncoder().encode('data: a'),
      0xff,
      0xc3,
      0x62,
      0xed,
      0xa0,
      0x80,
      0xc0,
      0x80,
      0x0a,
      0x0a,
    ]);
    parseEverySplit(input, { events: [ev('a\uFFFD\uFFFDb\uFFFD\uFFFD\uFFFD\uFFFD\uFFFD')] });
  });

  test('WHATWG HTML §9.2.5: multi-byte characters split across chunks decode whole', () => {
    parseEverySplit('data: héllo wörld 😀 ✓\n\n', { events: [ev('héllo wörld 😀 ✓')] });
  });

  test('WHATWG HTML §9.2.5: random bytes decode exactly as one WHATWG UTF-8 decode of the whole, at random splits', () => {
    const rand = new Rand(testSeed('sse parser utf-8 decoding'));
    // bytes that make valid, truncated, overlong and stray sequences likely
    const alphabet = [0x41, 0x20, 0xc3, 0xa9, 0xe2, 0x82, 0xac, 0xf0, 0x9f, 0x98, 0x80, 0xed, 0xa0, 0xc0, 0xff, 0xef, 0xbb, 0xbf, 0xf4, 0x90, 0xe0];
    const prefix = new TextEncoder().encode('data: ');
    for (let round = 0; round < 500; round++) {
      const body = Uint8Array.from({ length: rand.range(1, 24) }, () => rand.pick(alphabet));
      const input = new Uint8Array([...prefix, ...body, 0x0a, 0x0a]);
      const expected = new TextDecoder('utf-8', { ignoreBOM: true }).decode(body);
      const got = parseChunks(rand.split(input, 8));
      assert.deepEqual(got.events, [ev(expected)], `round ${round}: ${Buffer.from(body).toString('hex')}`);
    }
  });

  test('WHATWG HTML §9.2.5: a truncated sequence at end of stream is discarded with the unfinished event', () => {
    const got = parseChunks([new Uint8Array([0x64, 0x61, 0x74, 0x61, 0x3a, 0xe2, 0x82])]);
    assert.deepEqual(got.events, []);
  });
});

describe('lines (WHATWG HTML §9.2.5)', () => {
  test('WHATWG HTML §9.2.5: LF, CR and CRLF each end a line', () => {
    parseEverySplit('data: a\n\ndata: b\r\rdata: c\r\n\r\n', { events: [ev('a'), ev('b'), ev('c')] });
  });

  test('WHATWG HTML §9.2.5: a CRLF split across two chunks is one line end, not two', () => {
    const got = parseChunks(['data: a\r', '\ndata: b\r', '\n\r', '\n']);
    assert.deepEqual(got.events, [ev('a\nb')]);
  });

  test('WHATWG HTML §9.2.5: LF then CR is two line ends (a blank line dispatches)', () => {
    parseEverySplit('data: a\n\rdata: b\n\n', { events: [ev('a'), ev('b')] });
  });

  test('WHATWG HTML §9.2.5: mixed terminators in one event', () => {
    parseEverySplit('data: 1\rdata: 2\ndata: 3\r\n\n', { events: [ev('1\n2\n3')] });
  });

  test('WHATWG HTML §9.2.5: a CR at the very end dispatches at once, without waiting for a possible LF', () => {
    const events: string[] = [];
    const p = createParser({ onEvent: (e) => events.push(e.data) });
    p.feed('data: now\r\r');
    assert.deepEqual(events, ['now']);
    p.feed('\ndata: next\n\n'); // the LF completes the CRLF, it is not a blank line of its own
    assert.deepEqual(events, ['now', 'next']);
  });

  test('WHATWG HTML §9.2.5: CR inside a chunk followed by a non-LF character', () => {
    parseEverySplit('data:x\rdata:y\r\r', { events: [ev('x\ny')] });
  });
});

describe('fields and dispatch (WHATWG HTML §9.2.6)', () => {
  test('WHATWG HTML §9.2.6: data lines are joined with LF and the final LF removed', () => {
    parseEverySplit('data: YHOO\ndata: +2\ndata: 10\n\n', { events: [ev('YHOO\n+2\n10')] });
  });

  test('WHATWG HTML §9.2.6: the spec example with empty data lines ("data" alone appends an empty line)', () => {
    // the second block's data buffer is "\n\n" -> one LF removed -> "\n"; the third never ends
    parseEverySplit('data\n\ndata\ndata\n\ndata:', { events: [ev(''), ev('\n')] });
  });

  test('WHATWG HTML §9.2.6: the spec example "data:test" and "data: test" are the same', () => {
    parseEverySplit('data:test\n\ndata: test\n\n', { events: [ev('test'), ev('test')] });
  });

  test('WHATWG HTML §9.2.6: only one leading space after the colon is stripped', () => {
    parseEverySplit('data:  two\n\ndata:\tx\n\n', { events: [ev(' two'), ev('\tx')] });
  });

  test('WHATWG HTML §9.2.6: the value is everything after the first colon', () => {
    parseEverySplit('data: a:b: c\n\n', { events: [ev('a:b: c')] });
  });

  test('WHATWG HTML §9.2.6: a line starting with a colon is a comment and is ignored', () => {
    parseEverySplit(': hello\n:\n:no space\ndata: x\n\n', { events: [ev('x')], comments: ['hello', '', 'no space'] });
  });

  test('WHATWG HTML §9.2.6: a comment-only block dispatches nothing', () => {
    parseEverySplit(': keep-alive\n\n: keep-alive\n\n', { events: [], comments: ['keep-alive', 'keep-alive'] });
  });

  test('WHATWG HTML §9.2.6: unknown fields and case variants of known ones are ignored', () => {
    parseEverySplit('Data: no\nDATA: no\nfoo: bar\ndata : no\ndata: yes\n\n', { events: [ev('yes')] });
  });

  test('WHATWG HTML §9.2.6: event sets the type; the type resets to "message" after each dispatch', () => {
    parseEverySplit('event: add\ndata: 1\n\ndata: 2\n\n', { events: [ev('1', 'add'), ev('2')] });
  });

  test('WHATWG HTML §9.2.6: an empty event field means "message"', () => {
    parseEverySplit('event\ndata: a\n\nevent:\ndata: b\n\n', { events: [ev('a'), ev('b')] });
  });

  test('WHATWG HTML §9.2.6 step 2: an empty data buffer dispatches nothing and resets the event type', () => {
    parseEverySplit('event: lost\n\ndata: x\n\n', { events: [ev('x')] });
  });

  test('WHATWG HTML §9.2.6: the last event ID is kept across events until the server changes it', () => {
    parseEverySplit('id: 1\ndata: a\n\ndata: b\n\nid: 2\ndata: c\n\n', {
      events: [ev('a', 'message', '1'), ev('b', 'message', '1'), ev('c', 'message', '2')],
      lastEventId: '2',
    });
  });

  test('WHATWG HTML §9.2.6: an empty id field resets the last event ID', () => {
    parseEverySplit('id: 1\ndata: a\n\nid\ndata: b\n\nid: 3\ndata: c\n\nid:\ndata: d\n\n', {
      events: [ev('a', 'message', '1'), ev('b', 'message', ''), ev('c', 'message', '3'), ev('d', 'message', '')],
    });
  });

  test('WHATWG HTML §9.2.6: an id containing NULL is ignored', () => {
    parseEverySplit('id: 1\ndata: a\n\nid: 2\0x\ndata: b\n\n', {
      events: [ev('a', 'message', '1'), ev('b', 'message', '1')],
    });
  });

  test('WHATWG HTML §9.2.6 step 1: an id in a block without data still sets the last event ID', () => {
    parseEverySplit('id: 7\n\ndata: x\n\n', { events: [ev('x', 'message', '7')], lastEventId: '7' });
  });

  test('WHATWG HTML §9.2.6 step 1: the last event ID changes only when a block is dispatched', () => {
    const got = parseChunks(['id: 1\ndata: a\n\nid: 2\ndata: b\n'], {}, false);
    assert.equal(got.lastEventId, '1');
  });

  test('WHATWG HTML §9.2.6: retry with only ASCII digits sets the reconnection time; anything else is ignored', () => {
    parseEverySplit('retry: 1000\nretry: 0\nretry: 1a\nretry: -1\nretry:\nretry:  5\nretry: 1.5\nretry: ５\nretry:007\n\n', {
      retries: [1000, 0, 7],
      events: [],
    });
  });

  test('WHATWG HTML §9.2.6: a field line without a colon uses the whole line as the name and an empty value', () => {
    parseEverySplit('data\n\n', { events: [ev('')] });
  });

  test('WHATWG HTML §9.2.6: an event not ended by a blank line at end of stream is not dispatched', () => {
    parseEverySplit('data: a\n\ndata: b\n', { events: [ev('a')] });
    parseEverySplit('data: a\n\ndata: b', { events: [ev('a')] });
  });

  test('WHATWG HTML §9.2.6: end() keeps the last event ID and starts a fresh stream (a BOM is stripped again)', () => {
    const events: string[] = [];
    const p = createParser({ onEvent: (e) => events.push(`${e.data}/${e.lastEventId}`) });
    p.feed('id: 5\ndata: a\n\ndata: half');
    p.end();
    p.feed(new Uint8Array([0xef, 0xbb, 0xbf]));
    p.feed('data: b\n\n');
    assert.deepEqual(events, ['a/5', 'b/5']);
    assert.equal(p.lastEventId, '5');
    p.reset();
    assert.equal(p.lastEventId, '');
    p.reset({ lastEventId: '9' });
    p.feed('data: c\n\n');
    assert.deepEqual(events.at(-1), 'c/9');
  });

  test('WHATWG HTML §9.2.6: a callback that resets the parser stops the rest of the chunk', () => {
    const events: string[] = [];
    const p = createParser({
      onEvent: (e) => {
        events.push(e.data);
        if (e.data === 'stop') p.reset();
      },
    });
    p.feed('data: stop\n\ndata: dropped\n\n');
    p.feed('data: after\n\n');
    assert.deepEqual(events, ['stop', 'after']);
  });

  test('WHATWG HTML §9.2.6: a long realistic stream parses the same at every split', () => {
    const input =
      ': stream start\nretry: 2500\n\nid: 1\nevent: tick\ndata: {"n": 1}\n\n' +
      'id: 2\r\nevent: tick\r\ndata: {"n": 2}\r\n\r\n' +
      'data: line 1\rdata: line 2\r\r' +
      'id\nevent: x\ndata\n\n';
    parseEverySplit(input, {
      events: [ev('{"n": 1}', 'tick', '1'), ev('{"n": 2}', 'tick', '2'), ev('line 1\nline 2', 'message', '2'), ev('', 'x', '')],
      retries: [2500],
      comments: ['stream start'],
    });
  });
});

describe('limits', () => {
  test('WHATWG HTML §9.2.5: a line of exactly maxLineLength is accepted; one character more is LINE_TOO_LONG', () => {
    const max = 64;
    const ok = 'data: ' + 'x'.repeat(max - 6) + '\n\n';
    parseEverySplit(ok, { events: [ev('x'.repeat(max - 6))], errors: [] }, { maxLineLength: max });
    const bad = 'data: ' + 'x'.repeat(max - 5) + '\n\n';
    parseEverySplit(bad, { events: [], errors: ['LINE_TOO_LONG'] }, { maxLineLength: max });
  });

  test('WHATWG HTML §9.2.5: a 1 MiB data line parses with the default limits; over the 1 MiB line limit it fails', () => {
    const payload = 'y'.repeat(DEFAULT_MAX_LINE_LENGTH - 6);
    const chunks: string[] = [];
    const whole = 'data: ' + payload + '\n\n';
    for (let i = 0; i < whole.length; i += 16 * 1024) chunks.push(whole.slice(i, i + 16 * 1024));
    const got = parseChunks(chunks);
    assert.equal(got.events.length, 1);
    assert.equal(got.events[0].data.length, payload.length);
    const over = parseChunks(['data: ' + payload + 'zz', '\n\n']);
    assert.deepEqual(over.errors, ['LINE_TOO_LONG']);
    assert.deepEqual(over.events, []);
  });

  test('WHATWG HTML §9.2.5: a line that never ends stops the parser at the limit instead of growing memory', () => {
    const errors: string[] = [];
    const p = createParser({ onError: (e) => errors.push(e.code) }, { maxLineLength: 1000 });
    for (let i = 0; i < 10_000; i++) p.feed('data: endless ');
    assert.deepEqual(errors, ['LINE_TOO_LONG']);
    assert.equal(p.failed, true);
    p.feed('\n\ndata: ignored\n\n'); // still failed: input ignored
    assert.deepEqual(errors, ['LINE_TOO_LONG']);
  });

  test('WHATWG HTML §9.2.6: data growing past maxEventSize is EVENT_TOO_LARGE; exactly the limit is accepted', () => {
    const opts = { maxEventSize: 10 };
    parseEverySplit('data: 12345\ndata: 6789\n\n', { events: [ev('12345\n6789')], errors: [] }, opts);
    parseEverySplit('data: 12345\ndata: 67890\n\n', { events: [], errors: ['EVENT_TOO_LARGE'] }, opts);
    parseEverySplit('data: 12345678901\n\n', { events: [], errors: ['EVENT_TOO_LARGE'] }, opts);
  });

  test('WHATWG HTML §9.2.5: without onError a limit error is thrown from feed(), and reset() recovers', () => {
    const events: string[] = [];
    const p = createParser({ onEvent: (e) => events.push(e.data) }, { maxLineLength: 8 });
    assert.throws(
      () => p.feed('data: far too long\n'),
      (e: unknown) => e instanceof SseError && e.code === 'LINE_TOO_LONG',
    );
    p.reset();
    assert.equal(p.failed, false);
    p.feed('data: ok\n\n');
    assert.deepEqual(events, ['ok']);
  });
});

describe('advisories', () => {
  test('advisory §eventsource-parser#28: one event over 1,000,000 one-character chunks parses in linear time', () => {
    // a quadratic parser (rescanning or re-concatenating its buffer per chunk)
    // needs ~10^12 steps here; a linear one well under a second
    const events: number[] = [];
    const p = createParser({ onEvent: (e) => events.push(e.data.length) }, { maxLineLength: 2_000_000 });
    const t0 = performance.now();
    p.feed('data: ');
    for (let i = 0; i < 1_000_000; i++) p.feed('a');
    p.feed('\n\n');
    const ms = performance.now() - t0;
    assert.deepEqual(events, [1_000_000]);
    assert.ok(ms < 20_000, `took ${ms.toFixed(0)} ms`);
  });

  test('advisory §eventsource-parser#28: many one-byte chunks of bytes (through the decoder) stay linear too', () => {
    const p = createParser({}, {});
    const byte = new Uint8Array([0x61]);
    const t0 = performance.now();
    p.feed('data: ');
    for (let i = 0; i < 300_000; i++) p.feed(byte);
    const ms = performance.now() - t0;
    assert.ok(ms < 20_000, `took ${ms.toFixed(0)} ms`);
  });
});
