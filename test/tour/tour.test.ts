import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { renderSequence } from '../../lib/tour/diagram.js';
import { percentile, textTable, fmtMs, fmtRate } from '../../lib/tour/stats.js';
import { renderDiagram, renderTable, runTour, toJson } from '../../lib/tour/run.js';
import type { TraceEvent } from '../../lib/trace/index.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

function ev(dir: TraceEvent['dir'], summary: string, size?: number): TraceEvent {
  return { protocol: 'x', dir, kind: 'frame', summary, size };
}

test('SEED.md §1: a sequence diagram draws sent frames to the right, received to the left, notes between the lifelines', () => {
  const out = renderSequence([ev('->', 'GET / Upgrade', 200), ev('<-', '101 Switching Protocols'), ev('--', 'open')], { width: 40 });
  const lines = out.split('\n');
  assert.match(lines[0], /^client\s+server$/);
  assert.match(lines[2], /^ {3}\|-+ GET \/ Upgrade \(200 B\) -+>\|$/);
  assert.match(lines[3], /^ {3}\|<-+ 101 Switching Protocols -+\|$/);
  assert.match(lines[4], /^ {3}\| +\[open\] +\|$/);
  // Every line between the header and the end has both lifelines at the same columns.
  for (const l of lines.slice(1)) assert.equal(l.length, 3 + 40 + 2);
});

test('SEED.md §1: a long run of alike messages is folded into its first ones, a count and the last', () => {
  const events: TraceEvent[] = [ev('->', 'hello')];
  for (let i = 0; i < 50; i++) events.push(ev('->', `text len=${i}`), ev('<-', `text len=${i}`));
  events.push(ev('->', 'close 1000'));
  const out = renderSequence(events, { keep: 2 });
  assert.match(out, /\.\.\. 94 more \.\.\./);
  assert.match(out, /text len=0/);
  assert.match(out, /text len=49/);
  assert.doesNotMatch(out, /text len=20\b/);
  assert.ok(out.split('\n').length < 20);
  // Short runs are not folded.
  const short = renderSequence([ev('->', 'a 1'), ev('->', 'a 2'), ev('->', 'a 3')], { keep: 2 });
  assert.doesNotMatch(short, /more/);
  // A label longer than the arrow is cut, never widening the diagram.
  const long = renderSequence([ev('->', 'x'.repeat(200))], { width: 30 });
  assert.ok(long.split('\n').every((l) => l.length <= 3 + 30 + 2 || l.startsWith('client')));
});

test('SEED.md §comparison: percentiles by nearest rank, and the table pads its columns', () => {
  assert.equal(percentile([5, 1, 4, 2, 3], 50), 3);
  assert.equal(percentile([1, 2, 3, 4, 5, 6, 7, 8, 9, 10], 99), 10);
  assert.equal(percentile([7], 99), 7);
  assert.ok(Number.isNaN(percentile([], 50)));
  assert.equal(fmtMs(0.1234), '0.123 ms');
  assert.equal(fmtMs(5.5), '5.50 ms');
  assert.equal(fmtMs(25), '25.0 ms');
  assert.equal(fmtMs(NaN), '—');
  assert.equal(fmtRate(1500), '1.5k/s');
  assert.equal(fmtRate(2_500_000), '2.50M/s');
  assert.equal(fmtRate(12), '12/s');
  assert.equal(fmtRate(Infinity), '—');
  assert.equal(textTable(['a', 'bb'], [['xxx', 'y']]), 'a    bb\n---  --\nxxx  y');
});

test('SEED.md §comparison: the tour runs every protocol end to end; each diagram shows its real flow and the table is complete', async () => {
  const tour = await runTour({ messages: 5 });
  const byName = new Map(tour.results.map((r) => [r.protocol, r]));
  for (const p of ['ws', 'http', 'grpc', 'sse', 'stdio'] as const) assert.ok(byName.has(p), `${p} ran`);

  const ws = renderDiagram(byName.get('ws')!);
  assert.match(ws, /\|-+ GET \/ .*-->\|/, 'the upgrade request goes to the server');
  assert.match(ws, /\|<-+ 101 /, 'the 101 comes back');
  assert.match(ws, /text fin=1 .*mask=1 len=16/, 'a masked client text frame of the stream');
  assert.match(ws, /close .*1000/);

  const http = renderDiagram(byName.get('http')!);
  assert.match(http, /POST \/items/);
  assert.match(http, /201 Created/);
  assert.match(http, /GET \/items\/1/);

  const sse = renderDiagram(byName.get('sse')!);
  assert.match(sse, /GET http:\/\/127\.0\.0\.1:\d+\/events/);
  assert.match(sse, /<-+ 200 text\/event-stream/);
  assert.match(sse, /tick id=1 /);

  const stdio = renderDiagram(byName.get('stdio')!);
  assert.match(stdio, /^parent +child$/m);
  assert.match(stdio, /request echo id=1/);
  assert.match(stdio, /response id=1/);
  assert.match(stdio, /exited with code 0/);

  for (const row of tour.rows) {
    assert.ok(row.setupMs > 0, `${row.protocol} set-up measured`);
    assert.equal(row.messages, 5);
    assert.ok(row.latencyP50Ms > 0 && row.latencyP99Ms >= row.latencyP50Ms, `${row.protocol} latency measured`);
    assert.ok(row.bytesPerMessage >= row.payloadBytes, `${row.protocol}: ${row.bytesPerMessage} wire bytes carry a ${row.payloadBytes} B payload`);
    assert.ok(row.burstPerSecond > 0);
  }
  // Framing costs differ as the protocols do: a WebSocket frame is far
  // smaller than an HTTP request and response.
  const rows = new Map(tour.rows.map((r) => [r.protocol, r]));
  assert.ok(rows.get('ws')!.bytesPerMessage < 30, `ws ${rows.get('ws')!.bytesPerMessage}`);
  assert.ok(rows.get('http')!.bytesPerMessage > 100, `http ${rows.get('http')!.bytesPerMessage}`);

  const table = renderTable(tour.rows);
  assert.match(table, /^protocol +set-up +latency p50 +latency p99 +wire bytes\/msg +burst +direction +browser$/m);
  for (const p of byName.keys()) assert.match(table, new RegExp(`^${p} `, 'm'));
  const json = toJson(tour) as { protocols: { protocol: string; trace: unknown[] }[] };
  assert.equal(json.protocols.length, tour.results.length);
  assert.ok(json.protocols.every((p) => p.trace.length > 0));
});

test('INTEROP.md §tour: `barewire tour` exits 0 with the diagrams and the table; --json is machine-readable', () => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', 'lib/cli.ts', 'tour', '--messages', '3', '--protocol', 'ws', '--protocol', 'sse'], { cwd: root, encoding: 'utf8', timeout: 60_000 });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /WebSocket \(RFC 6455\)/);
  assert.match(r.stdout, /Server-Sent Events/);
  assert.match(r.stdout, /^ws +\d/m);
  assert.match(r.stdout, /^sse +\d/m);
  assert.doesNotMatch(r.stdout, /^http /m);
  const j = spawnSync(process.execPath, ['--import', 'tsx', 'lib/cli.ts', 'tour', '--messages', '2', '--protocol', 'http', '--json'], { cwd: root, encoding: 'utf8', timeout: 60_000 });
  assert.equal(j.status, 0, j.stderr);
  const parsed = JSON.parse(j.stdout);
  assert.equal(parsed.protocols[0].protocol, 'http');
  assert.equal(parsed.messages, 2);
  const nd = spawnSync(process.execPath, ['--import', 'tsx', 'lib/cli.ts', 'tour', '--messages', '2', '--protocol', 'ws', '--no-diagram'], { cwd: root, encoding: 'utf8', timeout: 60_000 });
  assert.equal(nd.status, 0);
  assert.doesNotMatch(nd.stdout, /\|-+/);
  const bad = spawnSync(process.execPath, ['--import', 'tsx', 'lib/cli.ts', 'tour', '--protocol', 'carrier-pigeon'], { cwd: root, encoding: 'utf8', timeout: 60_000 });
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /unknown protocol "carrier-pigeon"/);
  const help = spawnSync(process.execPath, ['--import', 'tsx', 'lib/cli.ts', 'tour', '--help'], { cwd: root, encoding: 'utf8', timeout: 60_000 });
  assert.equal(help.status, 0);
  assert.match(help.stdout, /usage: barewire tour/);
});
