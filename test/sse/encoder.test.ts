import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { encodeEvent, encodeComment, splitLines, type SseMessage } from '../../lib/sse/encoder.js';
import { SseError } from '../../lib/sse/errors.js';
import { parseChunks, ev } from './helpers.js';
import { Rand, testSeed } from '../support/random.js';

const invalid = (e: unknown) => e instanceof SseError && e.code === 'INVALID_FIELD';

describe('encoder', () => {
  test('WHATWG HTML §9.2.5: an event is its fields, one per line, ended by a blank line', () => {
    assert.equal(encodeEvent({ data: 'hello' }), 'data: hello\n\n');
    assert.equal(
      encodeEvent({ comment: 'c', event: 'tick', id: 7, retry: 1000, data: '{"n": 7}' }),
      ': c\nevent: tick\nid: 7\nretry: 1000\ndata: {"n": 7}\n\n',
    );
    assert.equal(encodeEvent({ id: '' }), 'id\n\n');
    assert.equal(encodeEvent({ event: '', data: '' }), 'event\ndata\n\n');
    assert.equal(encodeEvent({}), '\n');
  });

  test('WHATWG HTML §9.2.5: data with CR, LF or CRLF becomes several data lines', () => {
    assert.equal(encodeEvent({ data: 'a\nb\rc\r\nd' }), 'data: a\ndata: b\ndata: c\ndata: d\n\n');
    assert.equal(encodeEvent({ data: '\n' }), 'data\ndata\n\n');
    assert.equal(encodeEvent({ data: 'x\r\n' }), 'data: x\ndata\n\n');
  });

  test('WHATWG HTML §9.2.6: leading spaces in values survive the one-space stripping', () => {
    const wire = encodeEvent({ event: ' spaced', data: '  two' });
    assert.deepEqual(parseChunks([wire]).events, [ev('  two', ' spaced')]);
  });

  test('WHATWG HTML §9.2.5: comments are split into comment lines', () => {
    assert.equal(encodeComment('keep-alive'), ': keep-alive\n');
    assert.equal(encodeComment(''), ':\n');
    assert.equal(encodeComment('a\r\nb\rc\n'), ': a\n: b\n: c\n:\n');
  });

  test('WHATWG HTML §9.2.5: splitLines treats CRLF, LF and CR as one terminator each', () => {
    assert.deepEqual(splitLines('a\r\nb\n\rc\r'), ['a', 'b', '', 'c', '']);
    assert.deepEqual(splitLines(''), ['']);
  });

  test('WHATWG HTML §9.2.6: an id containing NULL is refused (readers would ignore it)', () => {
    assert.throws(() => encodeEvent({ id: 'a\0b', data: 'x' }), invalid);
  });

  test('WHATWG HTML §9.2.6: retry must be ASCII digits: negative, fractional or non-finite values are refused', () => {
    for (const retry of [-1, 1.5, NaN, Infinity, 2 ** 60]) assert.throws(() => encodeEvent({ retry }), invalid, String(retry));
    assert.equal(encodeEvent({ retry: 0 }), 'retry: 0\n\n');
  });
});

describe('advisories: newline injection', () => {
  // The 2026 advisories against h3 (GHSA-4hxc-9384-m385), hono
  // (GHSA-p6xx-57qc-3wxr, hono#5299), sse-channel (#42), fastify-sse-v2
  // (#110) and eventsource-encoder: a value with a CR or LF written as is
  // lets its author add fields or whole events to the stream.
  const attack = 'x\n\nevent: admin\rdata: injected\r\nid: 999';

  test('advisory §GHSA-p6xx-57qc-3wxr: a line break (LF, CR or CRLF) in the event name is refused', () => {
    for (const br of ['\n', '\r', '\r\n']) assert.throws(() => encodeEvent({ event: `a${br}data: evil`, data: 'x' }), invalid);
  });

  test('advisory §GHSA-p6xx-57qc-3wxr: a line break (LF, CR or CRLF) in the id is refused', () => {
    for (const br of ['\n', '\r', '\r\n']) assert.throws(() => encodeEvent({ id: `1${br}data: evil`, data: 'x' }), invalid);
  });

  test('advisory §hono#5299: a retry that is not a number cannot carry a line break', () => {
    assert.throws(() => encodeEvent({ retry: '1\ndata: evil' as unknown as number }), invalid);
  });

  test('advisory §GHSA-4hxc-9384-m385: data with CR, LF or CRLF cannot start a new event or field', () => {
    const wire = encodeEvent({ data: attack });
    const got = parseChunks([wire]);
    assert.deepEqual(got.events, [ev(attack.replace(/\r\n|\r/g, '\n'))]);
    assert.equal(got.lastEventId, '');
  });

  test('advisory §fastify-sse-v2#110: a comment with line breaks stays comment lines', () => {
    const wire = encodeComment(attack) + encodeEvent({ comment: attack, data: 'ok' });
    const got = parseChunks([wire]);
    assert.deepEqual(got.events, [ev('ok')]);
    assert.equal(got.comments.length, 10);
  });

  test('advisory §sse-channel#42: event, id and retry values are refused, never concatenated raw', () => {
    for (const m of [{ event: attack }, { id: attack }, { retry: attack as unknown as number }]) {
      assert.throws(() => encodeEvent({ ...m, data: 'x' }), invalid);
    }
  });

  test('advisory §eventsource-encoder newline injection: a lone CR in data is a line break too', () => {
    const wire = encodeEvent({ data: 'safe\revent: admin\rdata: evil' });
    assert.equal(wire, 'data: safe\ndata: event: admin\ndata: data: evil\n\n');
    assert.deepEqual(parseChunks([wire]).events, [ev('safe\nevent: admin\ndata: evil')]);
  });

  test('WHATWG HTML §9.2.6: random events survive encode -> parse at random splits (round trip)', () => {
    const seed = testSeed('sse encoder round trip');
    const rand = new Rand(seed);
    const alphabet = ['a', 'b', ' ', ':', '\n', '\r', '\r\n', 'é', '😀', '\0', '\uFEFF', 'data: ', 'id: '];
    const text = (n: number) => Array.from({ length: n }, () => rand.pick(alphabet)).join('');
    for (let round = 0; round < 200; round++) {
      const messages: SseMessage[] = [];
      let wire = '';
      for (let i = 0; i < rand.range(1, 6); i++) {
        const m: SseMessage = { data: text(rand.int(12)) };
        if (rand.bool()) m.event = text(rand.int(5)).replace(/[\r\n]/g, '') || 'e';
        if (rand.bool()) m.id = text(rand.int(5)).replace(/[\r\n\0]/g, '');
        if (rand.bool(0.2)) m.comment = text(rand.int(8));
        messages.push(m);
        wire += encodeEvent(m);
      }
      const got = parseChunks(rand.split(new TextEncoder().encode(wire), 6));
      let lastId = '';
      const expected = messages.map((m) => {
        if (m.id !== undefined) lastId = String(m.id);
        return ev(m.data!.replace(/\r\n|\r/g, '\n'), m.event || 'message', lastId);
      });
      assert.deepEqual(got.events, expected, `round ${round}: ${JSON.stringify(wire)}`);
    }
  });
});
