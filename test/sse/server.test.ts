import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import * as http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { createEventStream, SseStream, type EventStreamOptions } from '../../lib/sse/stream.js';
import { SseChannel } from '../../lib/sse/channel.js';
import { ReplayBuffer } from '../../lib/sse/replay.js';
import { encodeEvent } from '../../lib/sse/encoder.js';
import { SseError } from '../../lib/sse/errors.js';
import { createTraceRecorder } from '../../lib/trace/index.js';
import { listen, get, waitFor, stalledClient } from './net.js';
import { parseChunks } from './helpers.js';

/** A server whose every request becomes an event stream, handed to `onStream`. */
async function streamServer(options: EventStreamOptions, onStream: (s: SseStream) => void = () => {}) {
  const streams: SseStream[] = [];
  const srv = await listen((req, res) => {
    const s = createEventStream(req, res, options);
    streams.push(s);
    onStream(s);
  });
  return { ...srv, streams };
}

describe('server stream', () => {
  test('WHATWG HTML §9.2.7: 200 with text/event-stream and no-cache, headers flushed before any event', async () => {
    const srv = await streamServer({ heartbeat: 0 });
    try {
      const live = await get(srv.url); // resolves on headers alone: nothing was sent yet
      assert.equal(live.res.statusCode, 200);
      assert.equal(live.res.headers['content-type'], 'text/event-stream; charset=utf-8');
      assert.equal(live.res.headers['cache-control'], 'no-cache');
      assert.equal(live.text, '');
      live.destroy();
    } finally {
      await srv.close();
    }
  });

  test('WHATWG HTML §9.2.7: each event is flushed at once, while the response stays open', async () => {
    const srv = await streamServer({ heartbeat: 0 });
    try {
      const live = await get(srv.url);
      srv.streams[0].send({ event: 'tick', id: 1, data: 'one' });
      await waitFor(() => live.text.endsWith('\n\n'), 10_000, 'first event');
      assert.equal(live.text, 'event: tick\nid: 1\ndata: one\n\n');
      srv.streams[0].send({ data: 'two' });
      await waitFor(() => live.text.endsWith('data: two\n\n'), 10_000, 'second event');
      assert.equal(live.ended, false);
      live.destroy();
    } finally {
      await srv.close();
    }
  });

  test('WHATWG HTML §9.2.7: a burst of events in one tick (300 KiB, over the flush size) arrives whole and in order', async () => {
    const srv = await streamServer({ heartbeat: 0 });
    try {
      const live = await get(srv.url);
      const chunk = 'b'.repeat(1024);
      for (let i = 0; i < 300; i++) assert.equal(srv.streams[0].send({ id: i, data: chunk }), true);
      srv.streams[0].close();
      await waitFor(() => live.ended, 20_000, 'end');
      const events = parseChunks([live.text]).events;
      assert.equal(events.length, 300);
      assert.deepEqual(events.map((e) => Number(e.lastEventId)), [...Array(300).keys()]);
      assert.ok(events.every((e) => e.data === chunk));
    } finally {
      await srv.close();
    }
  });

  test('WHATWG HTML §9.2.7: the retry field is sent first; close() ends the response', async () => {
    const srv = await streamServer({ heartbeat: 0, retry: 2500 });
    try {
      const live = await get(srv.url);
      await waitFor(() => live.text === 'retry: 2500\n\n', 10_000, 'retry');
      srv.streams[0].close();
      await waitFor(() => live.ended, 10_000, 'end');
      assert.equal(srv.streams[0].closed, true);
      assert.equal(srv.streams[0].send({ data: 'late' }), false);
      assert.equal(srv.streams[0].signal.reason, 'server ended the stream');
    } finally {
      await srv.close();
    }
  });

  test('WHATWG HTML §9.2.7: a heartbeat comment is sent while the stream is idle', async () => {
    const srv = await streamServer({ heartbeat: 40, heartbeatComment: 'ping' });
    try {
      const live = await get(srv.url);
      await waitFor(() => live.text.includes(': ping\n: ping\n'), 10_000, 'two heartbeats');
      // comments dispatch nothing
      assert.deepEqual(parseChunks([live.text]).events, []);
      live.destroy();
    } finally {
      await srv.close();
    }
  });

  test('WHATWG HTML §9.2.4: Last-Event-ID is read from the request and missed events are replayed', async () => {
    const replay = new ReplayBuffer({ capacity: 10 });
    for (let i = 1; i <= 5; i++) replay.push(String(i), encodeEvent({ id: i, data: `e${i}` }));
    const srv = await streamServer({ heartbeat: 0, replay });
    try {
      const live = await get(srv.url, { 'Last-Event-ID': '3' });
      await waitFor(() => live.text.includes('e5'), 10_000, 'replay');
      assert.equal(srv.streams[0].lastEventId, '3');
      assert.deepEqual(
        parseChunks([live.text]).events.map((e) => e.data),
        ['e4', 'e5'],
      );
      live.destroy();
      // an unknown id replays nothing
      const fresh = await get(srv.url, { 'Last-Event-ID': 'nope' });
      srv.streams[1].send({ data: 'live' });
      await waitFor(() => fresh.text.includes('live'), 10_000, 'live');
      assert.equal(fresh.text, 'data: live\n\n');
      fresh.destroy();
    } finally {
      await srv.close();
    }
  });

  test('WHATWG HTML §9.2.3: the stream signal aborts when the client disconnects, and the trace says why', async () => {
    const rec = createTraceRecorder();
    const srv = await streamServer({ heartbeat: 0, tracer: rec.tracer });
    try {
      const live = await get(srv.url);
      srv.streams[0].send({ data: 'x' });
      await waitFor(() => live.text.length > 0);
      live.destroy();
      await waitFor(() => srv.streams[0].signal.aborted, 10_000, 'abort');
      assert.equal(srv.streams[0].signal.reason, 'client disconnected');
      assert.deepEqual(rec.filter('end').map((e) => e.summary), ['client disconnected']);
      assert.equal(rec.filter('headers').length, 1);
      assert.equal(rec.filter('event').length, 1);
    } finally {
      await srv.close();
    }
  });

  test('WHATWG HTML §9.2.7: a client that stops reading is disconnected when its queue overflows (bounded memory)', async () => {
    const max = 64 * 1024;
    const rec = createTraceRecorder();
    const srv = await streamServer({ heartbeat: 0, maxQueueSize: max, tracer: rec.tracer });
    const socket = await stalledClient(srv.port);
    try {
      await waitFor(() => srv.streams.length === 1);
      const s = srv.streams[0];
      const data = 'z'.repeat(16 * 1024);
      let sent = 0;
      while (!s.closed && sent < 8000) {
        s.send({ data });
        sent++;
        assert.ok(s.queuedSize <= max, `queue ${s.queuedSize} over ${max}`);
      }
      assert.equal(s.closed, true, `still open after ${sent} events of 16 KiB`);
      assert.ok(s.signal.reason instanceof SseError && s.signal.reason.code === 'SLOW_CLIENT');
      assert.match(rec.filter('end')[0].summary, /slow client: .* over the 64 KiB queue limit; disconnected/);
    } finally {
      socket.destroy();
      await srv.close();
    }
  });

  test('WHATWG HTML §9.2.7: with overflow "drop" a slow client misses events but stays connected, then catches up', async () => {
    const max = 64 * 1024;
    const srv = await streamServer({ heartbeat: 0, maxQueueSize: max, overflow: 'drop' });
    const socket = await stalledClient(srv.port);
    try {
      await waitFor(() => srv.streams.length === 1);
      const s = srv.streams[0];
      const data = 'd'.repeat(16 * 1024);
      let sent = 0;
      while (s.dropped === 0 && sent < 8000) {
        s.send({ data });
        sent++;
      }
      assert.ok(s.dropped > 0, 'nothing dropped');
      assert.ok(s.queuedSize <= max);
      assert.equal(s.closed, false);
      assert.equal(s.writable, false);
      let caughtUp = false;
      const drained = s.drained().then(() => (caughtUp = true));
      let received = '';
      socket.setEncoding('latin1');
      socket.on('data', (c: string) => (received += c.length > 64 ? c.slice(-64) : c));
      socket.resume();
      await drained;
      assert.equal(caughtUp, true);
      await waitFor(() => s.queuedSize === 0, 20_000, 'queue drained');
      assert.equal(s.writable, true);
      await s.drained(); // resolves at once when nothing waits
      s.send({ data: 'the-end' });
      await waitFor(() => received.includes('data: the-end'), 20_000, 'last event');
    } finally {
      socket.destroy();
      await srv.close();
    }
  });

  test('WHATWG HTML §9.2.5: send() refuses an injected field and writes nothing', async () => {
    const srv = await streamServer({ heartbeat: 0 });
    try {
      const live = await get(srv.url);
      assert.throws(() => srv.streams[0].send({ event: 'x\ndata: evil', data: 'y' }), (e: unknown) => e instanceof SseError && e.code === 'INVALID_FIELD');
      srv.streams[0].comment('multi\nline');
      await waitFor(() => live.text.length > 0);
      srv.streams[0].close();
      await waitFor(() => live.ended);
      assert.equal(live.text, ': multi\n: line\n');
    } finally {
      await srv.close();
    }
  });
});

describe('channel', () => {
  test('WHATWG HTML §9.2.7: a channel sends one event to every client and forgets clients that leave', async () => {
    const channel = new SseChannel();
    const srv = await streamServer({ heartbeat: 0 }, (s) => channel.add(s));
    try {
      const clients = await Promise.all([get(srv.url), get(srv.url), get(srv.url)]);
      await waitFor(() => channel.size === 3);
      assert.equal(channel.send({ event: 'news', data: 'hello all' }), 3);
      await channel.drained(); // fast clients: nothing to wait for
      for (const c of clients) await waitFor(() => c.text === 'event: news\ndata: hello all\n\n', 10_000, 'broadcast');
      clients[0].destroy();
      await waitFor(() => channel.size === 2, 10_000, 'client removed');
      assert.equal(channel.comment('bye'), 2);
      channel.close();
      for (const c of clients.slice(1)) await waitFor(() => c.ended, 10_000, 'ended');
      assert.equal(channel.size, 0);
    } finally {
      await srv.close();
    }
  });

  test('WHATWG HTML §9.2.4: a channel with replay resends what a reconnecting client missed', async () => {
    const channel = new SseChannel({ replay: 100 });
    const srv = await streamServer({ heartbeat: 0 }, (s) => channel.add(s));
    try {
      for (let i = 1; i <= 4; i++) channel.send({ id: i, data: `m${i}` });
      const c = await get(srv.url, { 'last-event-id': '2' });
      await waitFor(() => c.text.includes('m4'));
      channel.send({ id: 5, data: 'm5' });
      await waitFor(() => c.text.includes('m5'));
      assert.deepEqual(
        parseChunks([c.text]).events.map((e) => `${e.lastEventId}:${e.data}`),
        ['3:m3', '4:m4', '5:m5'],
      );
      channel.close();
    } finally {
      await srv.close();
    }
  });

  test('WHATWG HTML §9.2.4: events sent in the same tick as a client joins reach it once, through the replay', async () => {
    const channel = new SseChannel({ replay: 10 });
    let n = 0;
    const srv = await streamServer({ heartbeat: 0 }, (s) => {
      if (n++ === 1) {
        channel.send({ id: 1, data: 'one' });
        channel.send({ id: 2, data: 'two' });
      }
      channel.add(s);
    });
    try {
      const a = await get(srv.url);
      await waitFor(() => channel.size === 1);
      channel.send({ id: 0, data: 'zero' });
      await waitFor(() => a.text.includes('zero'));
      const b = await get(srv.url, { 'last-event-id': '0' });
      await waitFor(() => a.text.includes('two') && b.text.includes('two'), 10_000, 'both got two');
      channel.close();
      await waitFor(() => a.ended && b.ended);
      assert.deepEqual(parseChunks([a.text]).events.map((e) => e.data), ['zero', 'one', 'two']);
      assert.deepEqual(parseChunks([b.text]).events.map((e) => e.data), ['one', 'two']);
    } finally {
      await srv.close();
    }
  });

  test('WHATWG HTML §9.2.4: the replay buffer is bounded by count and by size', () => {
    const r = new ReplayBuffer({ capacity: 3, maxSize: 1000 });
    for (let i = 1; i <= 5; i++) r.push(String(i), `w${i}`);
    assert.equal(r.length, 3);
    assert.equal(r.since('1'), undefined);
    assert.deepEqual(r.since('3'), ['w4', 'w5']);
    assert.deepEqual(r.since('5'), []);
    const big = new ReplayBuffer({ capacity: 5000, maxSize: 100 });
    for (let i = 0; i < 3000; i++) big.push(String(i), 'x'.repeat(10));
    assert.equal(big.length, 10);
    assert.deepEqual(big.since('2998'), ['x'.repeat(10)]);
    big.clear();
    assert.equal(big.length, 0);
  });
});

describe('http2', () => {
  test('WHATWG HTML §9.2.7: the stream helper works on node:http2 (compat API), many streams on one connection', async () => {
    const server = http2.createServer((req, res) => {
      const s = createEventStream(req, res, { heartbeat: 0, retry: 100 });
      s.send({ event: 'hello', id: req.url.slice(1), data: 'over h2' });
      s.close();
    });
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
    const port = (server.address() as AddressInfo).port;
    const session = http2.connect(`http://127.0.0.1:${port}`);
    try {
      // more than the six connections per origin that HTTP/1.1 browsers allow
      const bodies = await Promise.all(
        Array.from({ length: 8 }, (_, i) =>
          new Promise<{ headers: http2.IncomingHttpHeaders; body: string }>((resolve, reject) => {
            const st = session.request({ ':path': `/${i}` });
            let headers: http2.IncomingHttpHeaders = {};
            let body = '';
            st.setEncoding('utf8');
            st.on('response', (h) => (headers = h));
            st.on('data', (c: string) => (body += c));
            st.on('end', () => resolve({ headers, body }));
            st.on('error', reject);
          }),
        ),
      );
      bodies.forEach(({ headers, body }, i) => {
        assert.equal(headers[':status'], 200);
        assert.equal(headers['content-type'], 'text/event-stream; charset=utf-8');
        assert.equal(headers.connection, undefined);
        assert.equal(body, `retry: 100\n\nevent: hello\nid: ${i}\ndata: over h2\n\n`);
      });
    } finally {
      session.close();
      await new Promise<void>((r) => server.close(() => r()));
    }
  });
});

describe('public surface', () => {
  test('WHATWG HTML §9.2.7: index.ts exports the whole module; a traced channel reports each broadcast', async () => {
    const sse = await import('../../lib/sse/index.js');
    for (const name of ['createParser', 'encodeEvent', 'encodeComment', 'createEventStream', 'SseChannel', 'EventSource', 'SseError', 'ReplayBuffer', 'SseErrorEvent']) {
      assert.ok(name in sse, `index exports ${name}`);
    }
    const rec = createTraceRecorder();
    const channel = new sse.SseChannel({ tracer: rec.tracer });
    const srv = await streamServer({ heartbeat: 0 }, (s) => channel.add(s));
    try {
      const es = new sse.EventSource(`${srv.url}/`);
      await waitFor(() => channel.size === 1);
      channel.send({ id: 'x', data: 'traced' });
      const ev = await new Promise<MessageEvent>((r) => es.addEventListener('message', (e) => r(e as MessageEvent)));
      assert.equal(ev.data, 'traced');
      assert.deepEqual(rec.filter('event').map((e) => e.summary), ['message id=x data="traced" to 1 clients']);
      assert.equal(channel.delete(srv.streams[0]), true);
      assert.equal(channel.send({ data: 'nobody' }), 0);
      es.close();
      // a stream that already ended is not added
      await waitFor(() => srv.streams[0].closed);
      channel.add(srv.streams[0]);
      assert.equal(channel.size, 0);
    } finally {
      await srv.close();
    }
  });
});
