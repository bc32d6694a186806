import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { runCli, type CliRun } from '../support/cli.js';
import { get, listen, waitFor } from './net.js';
import { parseChunks } from './helpers.js';
import { EventSource as RefEventSource } from 'eventsource';

type Run = CliRun;

function cli(args: string[]): Run {
  return runCli(['sse', ...args]);
}

/** Start `sse serve` on a free port; resolves with the printed URL. */
async function serve(args: string[]): Promise<Run & { url: string }> {
  const run = cli(['serve', '--port', '0', ...args]);
  await waitFor(() => run.stdout.includes('\n'), 30_000, 'listening line');
  const m = /^listening on (http:\/\/127\.0\.0\.1:\d+\/events)\n$/.exec(run.stdout);
  assert.ok(m, `unexpected stdout ${JSON.stringify(run.stdout)}`);
  return Object.assign(run, { url: m[1] });
}

async function stop(run: Run): Promise<number | null> {
  run.child.kill('SIGTERM');
  return run.exit;
}

describe('sse serve', () => {
  test('INTEROP.md §sse serve: prints one listening line; GET /events streams retry first, then ids 1..N as tick {"n": id}, then ends', async () => {
    const srv = await serve(['--interval', '20', '--count', '3']);
    try {
      const live = await get(srv.url);
      assert.equal(live.res.statusCode, 200);
      assert.equal(live.res.headers['content-type'], 'text/event-stream');
      assert.equal(live.res.headers['cache-control'], 'no-cache');
      await waitFor(() => live.ended, 20_000, 'end of response');
      assert.match(live.text, /^retry: \d+\n/);
      const got = parseChunks([live.text]);
      assert.deepEqual(
        got.events.map((e) => [e.type, e.data, e.lastEventId]),
        [1, 2, 3].map((n) => ['tick', `{"n": ${n}}`, String(n)]),
      );
      assert.equal(got.retries.length, 1);
    } finally {
      assert.equal(await stop(srv), 0);
    }
  });

  test('INTEROP.md §sse serve: Last-Event-ID K resumes at K+1, a non-digit value starts at 1, K >= N answers 204', async () => {
    const srv = await serve(['--interval', '10', '--count', '4']);
    try {
      const resumed = await get(srv.url, { 'Last-Event-ID': '2' });
      await waitFor(() => resumed.ended, 20_000);
      assert.deepEqual(parseChunks([resumed.text]).events.map((e) => e.lastEventId), ['3', '4']);
      const odd = await get(srv.url, { 'Last-Event-ID': '2x' });
      await waitFor(() => odd.ended, 20_000);
      assert.deepEqual(parseChunks([odd.text]).events.map((e) => e.lastEventId), ['1', '2', '3', '4']);
      for (const k of ['4', '99']) {
        const done = await get(srv.url, { 'Last-Event-ID': k });
        assert.equal(done.res.statusCode, 204);
      }
      const notFound = await get(srv.url.replace('/events', '/other'));
      assert.equal(notFound.res.statusCode, 404);
    } finally {
      assert.equal(await stop(srv), 0);
    }
  });

  test('INTEROP.md §sse serve: a ": keep-alive" comment while idle; SIGTERM ends open streams and exits 0', async () => {
    const srv = await serve(['--interval', '60000', '--keepalive', '50', '--trace']);
    const live = await get(srv.url);
    await waitFor(() => live.text.includes(': keep-alive\n'), 20_000, 'keep-alive');
    assert.deepEqual(parseChunks([live.text]).events.map((e) => e.data), ['{"n": 1}']);
    assert.equal(await stop(srv), 0);
    await waitFor(() => live.ended, 20_000, 'stream ended by shutdown');
    assert.match(srv.stderr, /-> sse event tick id=1/);
    assert.match(srv.stderr, /-- sse end SIGTERM: server shutting down/);
    assert.equal(srv.stdout.split('\n').length, 2, 'stdout is only the listening line');
  });

  test('INTEROP.md §sse serve: the eventsource package reads ids 1..N, resumes with Last-Event-ID, and stops on the 204', async () => {
    const srv = await serve(['--interval', '10', '--count', '3']);
    try {
      const es = new RefEventSource(srv.url);
      const got: string[] = [];
      es.addEventListener('tick', (e) => got.push(`${e.lastEventId}:${e.data}`));
      let errors = 0;
      es.onerror = () => errors++;
      await waitFor(() => es.readyState === RefEventSource.CLOSED, 20_000, 'closed by 204');
      assert.deepEqual(got, ['1:{"n": 1}', '2:{"n": 2}', '3:{"n": 3}']);
      assert.ok(errors >= 1);
    } finally {
      assert.equal(await stop(srv), 0);
    }
  });

  test('INTEROP.md §sse serve: --help prints usage and exits 0; a bad flag exits 2 with one stderr line', async () => {
    const help = cli(['serve', '--help']);
    assert.equal(await help.exit, 0);
    assert.match(help.stdout, /usage: barewire sse serve/);
    const bad = cli(['serve', '--port', 'x']);
    assert.equal(await bad.exit, 2);
    assert.equal(bad.stderr.trim().split('\n').length, 1);
    assert.equal(bad.stdout, '');
  });
});

describe('sse listen', () => {
  test('INTEROP.md §sse listen: --json prints {"type","data","lastEventId"} lines; reconnects with Last-Event-ID and exits 0 on 204', async () => {
    const srv = await serve(['--interval', '10', '--count', '3']);
    try {
      const run = cli(['listen', '--json', srv.url]);
      assert.equal(await run.exit, 0, run.stderr);
      assert.equal(
        run.stdout,
        [1, 2, 3].map((n) => `{"type":"tick","data":"{\\"n\\": ${n}}","lastEventId":"${n}"}\n`).join(''),
      );
    } finally {
      await stop(srv);
    }
  });

  test('INTEROP.md §sse listen: --max-events N exits 0 after N events; the human form is "type: data"', async () => {
    const srv = await serve(['--interval', '10']);
    try {
      const run = cli(['listen', '--max-events', '2', '--header', 'X-Test: 1', srv.url]);
      assert.equal(await run.exit, 0, run.stderr);
      assert.equal(run.stdout, 'tick: {"n": 1}\ntick: {"n": 2}\n');
    } finally {
      await stop(srv);
    }
  });

  test('INTEROP.md §sse listen: a non-200 status or a wrong content type exits 1 with one stderr line', async () => {
    const srv = await listen((req, res) => {
      if (req.url === '/500') res.writeHead(500).end();
      else res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
    try {
      for (const path of ['/500', '/json']) {
        const run = cli(['listen', '--trace', `${srv.url}${path}`]);
        assert.equal(await run.exit, 1);
        assert.equal(run.stdout, '');
        const lines = run.stderr.trim().split('\n');
        assert.match(lines.at(-1)!, path === '/500' ? /^barewire: server answered 500/ : /^barewire: content type "application\/json" is not text\/event-stream/);
        assert.ok(lines.some((l) => l.startsWith('-> sse handshake GET')));
      }
    } finally {
      await srv.close();
    }
  });

  test('INTEROP.md §sse listen: a multi-line data field prints on one line; a missing URL is a usage error (exit 2)', async () => {
    const srv = await listen((_req, res) => {
      res.writeHead(200, { 'content-type': 'text/event-stream' });
      res.write('event: note\ndata: a\ndata: b\n\n');
    });
    try {
      const run = cli(['listen', '--max-events', '1', srv.url]);
      assert.equal(await run.exit, 0);
      assert.equal(run.stdout, 'note: a\\nb\n');
      const none = cli(['listen']);
      assert.equal(await none.exit, 2);
      const badUrl = cli(['listen', 'nope']);
      assert.equal(await badUrl.exit, 2);
      assert.match(badUrl.stderr, /^barewire: invalid URL/);
    } finally {
      await srv.close();
    }
  });
});
