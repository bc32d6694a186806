import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import type * as http from 'node:http';
import { EventSource, SseErrorEvent } from '../../lib/sse/eventsource.js';
import { SseError } from '../../lib/sse/errors.js';
import { createTraceRecorder } from '../../lib/trace/index.js';
import { listen, waitFor, type TestServer } from './net.js';

interface Seen {
  method: string;
  url: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  time: number;
}

/** A scripted server: `script(n, req, res)` answers the n-th request (0-based); requests are logged. */
async function scripted(script: (n: number, req: http.IncomingMessage, res: http.ServerResponse, body: string) => void) {
  const seen: Seen[] = [];
  const srv = await listen((req, res) => {
    let body = '';
    req.on('data', (c) => (body += c));
    req.on('end', () => {
      seen.push({ method: req.method!, url: req.url!, headers: req.headers, body, time: Date.now() });
      script(seen.length - 1, req, res, body);
    });
  });
  return Object.assign(srv, { seen });
}

const SSE = { 'content-type': 'text/event-stream' };

/** Collect the events of a source: type/data/lastEventId strings, errors, opens. */
function record(es: EventSource, types: string[] = []) {
  const log: string[] = [];
  es.onopen = () => log.push('open');
  es.onmessage = (e: MessageEvent) => log.push(`message:${e.data}:${e.lastEventId}`);
  es.onerror = (e: SseErrorEvent) => log.push(`error:${es.readyState}:${e.code ?? ''}`);
  for (const t of types) es.addEventListener(t, (e) => log.push(`${t}:${(e as MessageEvent).data}:${(e as MessageEvent).lastEventId}`));
  return log;
}

async function withServer(srv: TestServer, fn: () => Promise<void>) {
  try {
    await fn();
  } finally {
    await srv.close();
  }
}

describe('EventSource interface (WHATWG HTML §9.2.2)', () => {
  test('WHATWG HTML §9.2.2: the constructor parses the URL (SyntaxError when invalid) and starts CONNECTING', async () => {
    assert.throws(() => new EventSource('not a url'), (e: unknown) => e instanceof DOMException && e.name === 'SyntaxError');
    assert.throws(() => new EventSource('ftp://example.com/'), (e: unknown) => e instanceof DOMException && e.name === 'SyntaxError');
    const srv = await scripted((_n, _req, res) => {
      res.writeHead(204);
      res.end();
    });
    await withServer(srv, async () => {
      const es = new EventSource(`${srv.url}/a/../events?x=1`, { withCredentials: true });
      assert.equal(es.readyState, EventSource.CONNECTING);
      assert.equal(es.url, `${srv.url}/events?x=1`);
      assert.equal(es.withCredentials, true);
      assert.equal(es.CLOSED, 2);
      assert.equal(EventSource.OPEN, 1);
      await waitFor(() => es.readyState === EventSource.CLOSED);
    });
  });

  test('WHATWG HTML §9.2.2: onmessage gets "message" events; named events only through addEventListener', async () => {
    const srv = await scripted((_n, _req, res) => {
      res.writeHead(200, SSE);
      res.end('data: a\n\nevent: add\ndata: b\nid: 1\n\ndata: c\n\n');
    });
    await withServer(srv, async () => {
      const es = new EventSource(`${srv.url}/`);
      const log = record(es, ['add']);
      await waitFor(() => log.length >= 4);
      es.close();
      assert.deepEqual(log.slice(0, 4), ['open', 'message:a:', 'add:b:1', 'message:c:1']);
    });
  });

  test('WHATWG HTML §9.2.2: MessageEvent carries data, lastEventId and the origin of the stream', async () => {
    const srv = await scripted((_n, _req, res) => {
      res.writeHead(200, SSE);
      res.write('id: 42\ndata: hi\n\n');
    });
    await withServer(srv, async () => {
      const es = new EventSource(`${srv.url}/`);
      const ev = await new Promise<MessageEvent>((r) => es.addEventListener('message', (e) => r(e as MessageEvent)));
      es.close();
      assert.equal(ev.data, 'hi');
      assert.equal(ev.lastEventId, '42');
      assert.equal(ev.origin, srv.url);
      assert.equal(es.lastEventId, '42');
    });
  });

  test('WHATWG HTML §9.2.2: handler attributes can be replaced and cleared', async () => {
    const srv = await scripted((_n, _req, res) => {
      res.writeHead(200, SSE);
      res.write('data: 1\n\n');
      setTimeout(() => res.write('data: 2\n\n'), 50);
    });
    await withServer(srv, async () => {
      const es = new EventSource(`${srv.url}/`);
      const got: string[] = [];
      es.onmessage = () => got.push('old');
      es.onmessage = (e: MessageEvent) => {
        got.push(`new:${e.data}`);
        es.onmessage = null;
      };
      const all: string[] = [];
      es.addEventListener('message', (e) => all.push((e as MessageEvent).data));
      await waitFor(() => all.length === 2);
      es.close();
      assert.equal(es.onmessage, null);
      assert.deepEqual(got, ['new:1']);
    });
  });

  test('WHATWG HTML §9.2.2: close() sets CLOSED, aborts the request and nothing more is dispatched', async () => {
    const srv = await scripted((_n, _req, res) => {
      res.writeHead(200, SSE);
      res.write('data: first\n\n');
      setTimeout(() => res.write('data: second\n\n'), 100);
    });
    await withServer(srv, async () => {
      const es = new EventSource(`${srv.url}/`);
      const log = record(es);
      es.addEventListener('message', () => es.close());
      await waitFor(() => log.includes('message:first:'));
      await new Promise((r) => setTimeout(r, 300));
      assert.equal(es.readyState, EventSource.CLOSED);
      assert.deepEqual(log, ['open', 'message:first:']);
      assert.equal(srv.seen.length, 1);
    });
  });

  test('WHATWG HTML §9.2.3: within one chunk, events after close() in a handler are not dispatched', async () => {
    const srv = await scripted((_n, _req, res) => {
      res.writeHead(200, SSE);
      res.write('data: 1\n\ndata: 2\n\n');
    });
    await withServer(srv, async () => {
      const es = new EventSource(`${srv.url}/`);
      const got: string[] = [];
      es.onmessage = (e: MessageEvent) => {
        got.push(e.data);
        es.close();
      };
      await waitFor(() => es.readyState === EventSource.CLOSED);
      await new Promise((r) => setTimeout(r, 50));
      assert.deepEqual(got, ['1']);
    });
  });
});

describe('processing model (WHATWG HTML §9.2.3)', () => {
  test('WHATWG HTML §9.2.3: the request asks for text/event-stream', async () => {
    const srv = await scripted((_n, _req, res) => {
      res.writeHead(204);
      res.end();
    });
    await withServer(srv, async () => {
      const es = new EventSource(`${srv.url}/`);
      await waitFor(() => es.readyState === 2);
      assert.equal(srv.seen[0].headers.accept, 'text/event-stream');
      assert.equal(srv.seen[0].headers['last-event-id'], undefined);
      assert.equal(srv.seen[0].method, 'GET');
    });
  });

  test('WHATWG HTML §9.2.3: when the stream ends it reconnects after the retry delay, sending Last-Event-ID', async () => {
    const srv = await scripted((n, _req, res) => {
      if (n === 0) {
        res.writeHead(200, SSE);
        res.end('retry: 150\nid: 7\ndata: first\n\nid: 8\ndata: half'); // the half event is lost
      } else if (n === 1) {
        res.writeHead(200, SSE);
        res.end('data: second\n\n');
      } else {
        res.writeHead(204);
        res.end();
      }
    });
    await withServer(srv, async () => {
      const es = new EventSource(`${srv.url}/`);
      const log = record(es);
      await waitFor(() => es.readyState === EventSource.CLOSED, 20_000);
      assert.deepEqual(log, ['open', 'message:first:7', 'error:0:NETWORK', 'open', 'message:second:7', 'error:0:NETWORK', 'error:2:BAD_STATUS']);
      assert.equal(srv.seen.length, 3);
      assert.equal(srv.seen[1].headers['last-event-id'], '7');
      assert.equal(srv.seen[2].headers['last-event-id'], '7');
      assert.ok(srv.seen[1].time - srv.seen[0].time >= 140, `reconnected after ${srv.seen[1].time - srv.seen[0].time} ms`);
    });
  });

  test('WHATWG HTML §9.2.3: the last event ID is sent as UTF-8', async () => {
    const srv = await scripted((n, _req, res) => {
      if (n === 0) {
        res.writeHead(200, SSE);
        res.end('retry: 10\nid: é✓\ndata: x\n\n');
      } else {
        res.writeHead(204);
        res.end();
      }
    });
    await withServer(srv, async () => {
      const es = new EventSource(`${srv.url}/`);
      await waitFor(() => es.readyState === EventSource.CLOSED, 20_000);
      assert.equal(Buffer.from(srv.seen[1].headers['last-event-id'] as string, 'latin1').toString('utf8'), 'é✓');
    });
  });

  for (const [status, title] of [
    [204, '204 No Content'],
    [500, '500'],
    [404, '404'],
  ] as const) {
    test(`WHATWG HTML §9.2.3: a ${title} response fails the connection: CLOSED, one error event, no reconnection`, async () => {
      const srv = await scripted((_n, _req, res) => {
        res.writeHead(status, SSE);
        res.end(status === 204 ? undefined : 'data: ignored\n\n');
      });
      await withServer(srv, async () => {
        const es = new EventSource(`${srv.url}/`, { reconnectionTime: 20 });
        const log = record(es);
        await waitFor(() => es.readyState === EventSource.CLOSED);
        await new Promise((r) => setTimeout(r, 200));
        assert.deepEqual(log, ['error:2:BAD_STATUS']);
        assert.equal(srv.seen.length, 1);
      });
    });
  }

  test('WHATWG HTML §9.2.3: a Content-Type other than text/event-stream fails the connection', async () => {
    const srv = await scripted((_n, _req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('data: ignored\n\n');
    });
    await withServer(srv, async () => {
      const es = new EventSource(`${srv.url}/`, { reconnectionTime: 20 });
      const log = record(es);
      await waitFor(() => es.readyState === EventSource.CLOSED);
      await new Promise((r) => setTimeout(r, 150));
      assert.deepEqual(log, ['error:2:BAD_CONTENT_TYPE']);
      assert.equal(srv.seen.length, 1);
    });
  });

  test('WHATWG HTML §9.2.3: the content type check ignores case and parameters', async () => {
    const srv = await scripted((_n, _req, res) => {
      res.writeHead(200, { 'content-type': 'Text/Event-Stream ; charset=UTF-8' });
      res.end('data: ok\n\n');
    });
    await withServer(srv, async () => {
      const es = new EventSource(`${srv.url}/`);
      const log = record(es);
      await waitFor(() => log.includes('message:ok:'));
      es.close();
    });
  });

  test('WHATWG HTML §9.2.3: redirects are followed; the origin is the final one', async () => {
    const target = await scripted((_n, _req, res) => {
      res.writeHead(200, SSE);
      res.write('data: moved\n\n');
    });
    const srv = await scripted((n, _req, res) => {
      if (n === 0) res.writeHead(302, { location: '/second' }).end();
      else res.writeHead(307, { location: `${target.url}/final` }).end();
    });
    await withServer(srv, async () => {
      await withServer(target, async () => {
        const es = new EventSource(`${srv.url}/first`);
        const ev = await new Promise<MessageEvent>((r) => es.addEventListener('message', (e) => r(e as MessageEvent)));
        es.close();
        assert.equal(ev.data, 'moved');
        assert.equal(ev.origin, target.url);
        assert.deepEqual(srv.seen.map((s) => s.url), ['/first', '/second']);
        assert.equal(target.seen[0].url, '/final');
        assert.equal(es.url, `${srv.url}/first`);
      });
    });
  });

  test('WHATWG HTML §9.2.3: a redirect loop fails the connection after maxRedirects', async () => {
    const srv = await scripted((_n, _req, res) => res.writeHead(301, { location: '/again' }).end());
    await withServer(srv, async () => {
      const es = new EventSource(`${srv.url}/`, { maxRedirects: 3 });
      const log = record(es);
      await waitFor(() => es.readyState === EventSource.CLOSED);
      assert.deepEqual(log, ['error:2:TOO_MANY_REDIRECTS']);
      assert.equal(srv.seen.length, 4);
    });
  });

  test('WHATWG HTML §9.2.3: a network error reconnects; maxRetries in a row gives up with MAX_RETRIES', async () => {
    const dead = await listen(() => {});
    const url = `${dead.url}/`;
    await dead.close(); // nothing listens there now
    const es = new EventSource(url, { reconnectionTime: 10, maxRetries: 3 });
    const log = record(es);
    await waitFor(() => es.readyState === EventSource.CLOSED, 20_000);
    assert.deepEqual(log, ['error:0:NETWORK', 'error:0:NETWORK', 'error:0:NETWORK', 'error:2:MAX_RETRIES']);
  });

  test('WHATWG HTML §9.2.3: backoff grows the delay between failed attempts', async () => {
    let n = 0;
    const srv = await scripted((_i, req) => {
      n++;
      req.socket.destroy(); // a network error each time
    });
    await withServer(srv, async () => {
      const es = new EventSource(`${srv.url}/`, { reconnectionTime: 30, backoff: { factor: 2, jitter: 0, max: 10_000 }, maxRetries: 3 });
      await waitFor(() => es.readyState === EventSource.CLOSED, 20_000);
      const t = srv.seen.map((s) => s.time);
      assert.equal(n, 4);
      assert.ok(t[1] - t[0] >= 25 && t[2] - t[1] >= 55 && t[3] - t[2] >= 115, `gaps ${t[1] - t[0]}, ${t[2] - t[1]}, ${t[3] - t[2]}`);
    });
  });

  test('WHATWG HTML §9.2.3: an error handler that calls close() stops reconnection', async () => {
    const srv = await scripted((_n, _req, res) => {
      res.writeHead(200, SSE);
      res.end('data: once\n\n');
    });
    await withServer(srv, async () => {
      const es = new EventSource(`${srv.url}/`, { reconnectionTime: 10 });
      es.onerror = () => es.close();
      await waitFor(() => es.readyState === EventSource.CLOSED);
      await new Promise((r) => setTimeout(r, 100));
      assert.equal(srv.seen.length, 1);
    });
  });

  test('WHATWG HTML §9.2.3: a server that stalls mid-event: the partial event is dropped when the idle timeout reconnects', async () => {
    const srv = await scripted((n, _req, res) => {
      res.writeHead(200, SSE);
      if (n === 0) res.write('retry: 10\nid: 1\ndata: complete\n\nid: 2\ndata: partial'); // ... and nothing more
      else res.end('data: fresh\n\n');
    });
    await withServer(srv, async () => {
      const es = new EventSource(`${srv.url}/`, { idleTimeout: 300 });
      const log = record(es);
      await waitFor(() => log.includes('message:fresh:1'), 20_000);
      es.close();
      assert.deepEqual(log.slice(0, 5), ['open', 'message:complete:1', 'error:0:IDLE_TIMEOUT', 'open', 'message:fresh:1']);
      assert.equal(srv.seen[1].headers['last-event-id'], '1');
    });
  });

  test('WHATWG HTML §9.2.6: a connection cut mid-event drops the partial event and reconnects', async () => {
    const srv = await scripted((n, req, res) => {
      res.writeHead(200, SSE);
      if (n === 0) {
        res.write('retry: 10\ndata: partial');
        setTimeout(() => req.socket.destroy(), 50);
      } else res.end('data: whole\n\n');
    });
    await withServer(srv, async () => {
      const es = new EventSource(`${srv.url}/`);
      const log = record(es);
      await waitFor(() => log.includes('message:whole:'), 20_000);
      es.close();
      assert.deepEqual(log.slice(0, 4), ['open', 'error:0:NETWORK', 'open', 'message:whole:']);
    });
  });
});

describe('hostile input over a socket', () => {
  test('WHATWG HTML §9.2.5: invalid UTF-8 from the server arrives as U+FFFD', async () => {
    const srv = await scripted((_n, _req, res) => {
      res.writeHead(200, SSE);
      res.write(Buffer.from([0xef, 0xbb, 0xbf, ...Buffer.from('data: a'), 0xff, 0xfe, ...Buffer.from('b\n\n')]));
    });
    await withServer(srv, async () => {
      const es = new EventSource(`${srv.url}/`);
      const ev = await new Promise<MessageEvent>((r) => es.addEventListener('message', (e) => r(e as MessageEvent)));
      es.close();
      assert.equal(ev.data, 'a\uFFFD\uFFFDb');
    });
  });

  test('WHATWG HTML §9.2.5: a 1 MiB data line is delivered whole, in many TCP chunks', async () => {
    const big = 'q'.repeat(1024 * 1024 - 6);
    const srv = await scripted((_n, _req, res) => {
      res.writeHead(200, SSE);
      res.write(`data: ${big}\n\n`);
    });
    await withServer(srv, async () => {
      const es = new EventSource(`${srv.url}/`);
      const ev = await new Promise<MessageEvent>((r) => es.addEventListener('message', (e) => r(e as MessageEvent)));
      es.close();
      assert.equal(ev.data.length, big.length);
    });
  });

  test('WHATWG HTML §9.2.5: a line that never ends hits the line limit: error event and a closed connection, no reconnect', async () => {
    let stop = false;
    let socketClosed = false;
    const srv = await scripted((_n, req, res) => {
      res.writeHead(200, SSE);
      req.socket.on('close', () => (socketClosed = true));
      const chunk = 'x'.repeat(16 * 1024);
      const pump = () => {
        while (!stop && res.write(chunk));
        if (!stop) res.once('drain', pump);
      };
      res.write('data: ');
      pump();
    });
    await withServer(srv, async () => {
      const es = new EventSource(`${srv.url}/`, { maxLineLength: 256 * 1024, reconnectionTime: 10 });
      const log = record(es);
      await waitFor(() => es.readyState === EventSource.CLOSED, 20_000);
      stop = true;
      await waitFor(() => socketClosed, 20_000, 'server side of the socket closed');
      assert.deepEqual(log, ['open', 'error:2:LINE_TOO_LONG']);
      assert.equal(srv.seen.length, 1);
    });
  });
});

describe('extras', () => {
  test('WHATWG HTML §9.2.3: POST with a body and custom headers (SSE over POST)', async () => {
    const srv = await scripted((_n, _req, res, body) => {
      res.writeHead(200, SSE);
      res.end(`data: you said ${body}\n\n`);
    });
    await withServer(srv, async () => {
      const es = new EventSource(`${srv.url}/complete`, {
        method: 'POST',
        body: '{"prompt":"hi"}',
        headers: { 'Content-Type': 'application/json', Authorization: 'Bearer t0k3n' },
        maxRetries: 0,
      });
      const log = record(es);
      await waitFor(() => es.readyState === EventSource.CLOSED);
      assert.deepEqual(log, ['open', 'message:you said {"prompt":"hi"}:', 'error:2:MAX_RETRIES']);
      assert.equal(srv.seen[0].method, 'POST');
      assert.equal(srv.seen[0].headers.authorization, 'Bearer t0k3n');
      assert.equal(srv.seen[0].headers['content-type'], 'application/json');
    });
  });

  test('WHATWG HTML §9.2.3: a 303 after POST becomes a GET without the body', async () => {
    const srv = await scripted((n, _req, res) => {
      if (n === 0) res.writeHead(303, { location: '/result' }).end();
      else {
        res.writeHead(204);
        res.end();
      }
    });
    await withServer(srv, async () => {
      const es = new EventSource(`${srv.url}/start`, { method: 'POST', body: 'payload', headers: { 'content-type': 'text/plain' } });
      await waitFor(() => es.readyState === EventSource.CLOSED);
      assert.equal(srv.seen[1].method, 'GET');
      assert.equal(srv.seen[1].body, '');
      assert.equal(srv.seen[1].headers['content-type'], undefined);
    });
  });

  test('WHATWG HTML §9.2.2: async iteration yields every event and ends on 204', async () => {
    const srv = await scripted((n, _req, res) => {
      if (n === 0) {
        res.writeHead(200, SSE);
        res.end('retry: 10\nid: 1\ndata: a\n\nevent: named\nid: 2\ndata: b\n\n');
      } else {
        res.writeHead(204);
        res.end();
      }
    });
    await withServer(srv, async () => {
      const got: string[] = [];
      for await (const e of new EventSource(`${srv.url}/`)) got.push(`${e.type}:${e.data}:${e.lastEventId}`);
      assert.deepEqual(got, ['message:a:1', 'named:b:2']);
    });
  });

  test('WHATWG HTML §9.2.2: leaving an async iteration early closes the source', async () => {
    const srv = await scripted((_n, _req, res) => {
      res.writeHead(200, SSE);
      res.write('data: 1\n\ndata: 2\n\n');
    });
    await withServer(srv, async () => {
      const es = new EventSource(`${srv.url}/`);
      for await (const e of es) {
        assert.equal(e.data, '1');
        break;
      }
      assert.equal(es.readyState, EventSource.CLOSED);
    });
  });

  test('WHATWG HTML §9.2.3: async iteration throws when the connection fails', async () => {
    const srv = await scripted((_n, _req, res) => {
      res.writeHead(500);
      res.end();
    });
    await withServer(srv, async () => {
      await assert.rejects(
        (async () => {
          for await (const _ of new EventSource(`${srv.url}/`)) void _;
        })(),
        (e: unknown) => e instanceof SseError && e.code === 'BAD_STATUS' && e.status === 500,
      );
    });
  });

  test('WHATWG HTML §9.2.2: an AbortSignal closes the source (and an aborted one never connects)', async () => {
    const srv = await scripted((_n, _req, res) => {
      res.writeHead(200, SSE);
      res.write('data: x\n\n');
    });
    await withServer(srv, async () => {
      const ac = new AbortController();
      const es = new EventSource(`${srv.url}/`, { signal: ac.signal });
      const got: string[] = [];
      const loop = (async () => {
        for await (const e of es) {
          got.push(e.data);
          ac.abort();
        }
      })();
      await loop;
      assert.deepEqual(got, ['x']);
      assert.equal(es.readyState, EventSource.CLOSED);
      const pre = new EventSource(`${srv.url}/`, { signal: AbortSignal.abort() });
      assert.equal(pre.readyState, EventSource.CLOSED);
      await new Promise((r) => setTimeout(r, 50));
      assert.equal(srv.seen.length, 1);
      for await (const _ of pre) assert.fail('no events from a closed source');
    });
  });

  test('WHATWG HTML §9.2.3: the tracer reports requests, responses, events and why each connection ended', async () => {
    const rec = createTraceRecorder();
    const srv = await scripted((n, _req, res) => {
      if (n === 0) {
        res.writeHead(200, SSE);
        res.end('retry: 10\nid: 1\ndata: a\n\n');
      } else res.writeHead(204).end();
    });
    await withServer(srv, async () => {
      const es = new EventSource(`${srv.url}/`, { tracer: rec.tracer });
      await waitFor(() => es.readyState === EventSource.CLOSED);
      assert.deepEqual(
        rec.events.map((e) => `${e.dir} ${e.kind}`),
        ['-> handshake', '<- headers', '<- event', '-- end', '-- open', '-> handshake', '<- headers', '-- end'],
      );
      assert.deepEqual(rec.filter('end').map((e) => e.summary), ['server ended the stream', 'server answered 204 No Content: stop']);
      assert.match(rec.filter('handshake')[1].summary, /Last-Event-ID: 1/);
    });
  });
});

describe('advisories', () => {
  test('advisory §CVE-2022-1650: a redirect to another origin drops Authorization and Cookie; same origin keeps them', async () => {
    const other = await scripted((_n, _req, res) => res.writeHead(204).end());
    const srv = await scripted((n, _req, res) => {
      if (n === 0) res.writeHead(302, { location: '/same' }).end();
      else res.writeHead(307, { location: `${other.url}/other` }).end();
    });
    await withServer(srv, async () => {
      await withServer(other, async () => {
        const es = new EventSource(`${srv.url}/start`, { headers: { Authorization: 'Bearer secret', Cookie: 'session=1', 'X-Custom': 'kept' } });
        await waitFor(() => es.readyState === EventSource.CLOSED);
        assert.equal(srv.seen[1].headers.authorization, 'Bearer secret');
        assert.equal(srv.seen[1].headers.cookie, 'session=1');
        const cross = other.seen[0].headers;
        assert.equal(cross.authorization, undefined);
        assert.equal(cross.cookie, undefined);
        assert.equal(cross['x-custom'], 'kept');
      });
    });
  });
});

describe('hostile ids and headers', () => {
  test('WHATWG HTML §9.2.4: a last event ID that HTTP cannot carry fails the connection instead of crashing', async () => {
    const srv = await scripted((_n, _req, res) => {
      res.writeHead(200, SSE);
      res.end('retry: 10\nid: a\x01b\ndata: x\n\n');
    });
    await withServer(srv, async () => {
      const es = new EventSource(`${srv.url}/`);
      const log = record(es);
      await waitFor(() => es.readyState === EventSource.CLOSED, 20_000);
      assert.deepEqual(log, ['open', 'message:x:a\x01b', 'error:0:NETWORK', 'error:2:INVALID_FIELD']);
      assert.equal(srv.seen.length, 1);
    });
  });

  test('WHATWG HTML §9.2.4: init.lastEventId is sent on the first request', async () => {
    const srv = await scripted((_n, _req, res) => res.writeHead(204).end());
    await withServer(srv, async () => {
      const es = new EventSource(`${srv.url}/`, { lastEventId: '41' });
      assert.equal(es.lastEventId, '41');
      await waitFor(() => es.readyState === EventSource.CLOSED);
      assert.equal(srv.seen[0].headers['last-event-id'], '41');
    });
  });
});
