import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  createTracePrinter,
  createTraceRecorder,
  formatBytes,
  formatTraceEvent,
  preview,
  teeTracers,
  withConn,
  type Tracer,
} from '../../lib/trace/index.js';

/**
 * A fake protocol, as every real one reports: a "ping" line protocol whose
 * core takes bytes and emits events, and reports to an optional tracer.
 */
class FakeLineProtocol {
  constructor(private tracer?: Tracer) {}
  builtEvents = 0;
  send(text: string): Uint8Array {
    const bytes = new TextEncoder().encode(text + '\n');
    if (this.tracer) {
      this.builtEvents++;
      this.tracer({ protocol: 'fake', dir: '->', kind: 'message', summary: `line ${preview(text)}`, size: bytes.length });
    }
    return bytes;
  }
  receive(bytes: Uint8Array): string {
    const text = new TextDecoder().decode(bytes).trimEnd();
    if (this.tracer) {
      this.builtEvents++;
      this.tracer({ protocol: 'fake', dir: '<-', kind: 'message', summary: `line ${preview(text)}`, size: bytes.length });
    }
    return text;
  }
  end(reason: string): void {
    if (this.tracer) this.tracer({ protocol: 'fake', dir: '--', kind: 'end', summary: reason });
  }
}

test('INTEROP.md §--trace: a protocol reports sent and received units with direction, kind and size', () => {
  const rec = createTraceRecorder();
  const p = new FakeLineProtocol(withConn(rec.tracer, 'c1'));
  p.receive(p.send('hello'));
  p.end('peer closed after 1 message');
  assert.deepEqual(
    rec.events.map((e) => [e.dir, e.kind, e.summary, e.size, e.conn]),
    [
      ['->', 'message', 'line "hello"', 6, 'c1'],
      ['<-', 'message', 'line "hello"', 6, 'c1'],
      ['--', 'end', 'peer closed after 1 message', undefined, 'c1'],
    ],
  );
  assert.ok(rec.events.every((e) => typeof e.time === 'number'), 'the recorder stamps time');
  assert.equal(rec.filter('end').length, 1);
  assert.equal(rec.filter((e) => e.dir === '->').length, 1);
  rec.clear();
  assert.equal(rec.events.length, 0);
});

test('INTEROP.md §--trace: with no tracer attached no event object is built', () => {
  const p = new FakeLineProtocol(undefined);
  p.receive(p.send('x'));
  assert.equal(p.builtEvents, 0);
  assert.equal(teeTracers(undefined, undefined), undefined);
  assert.equal(withConn(undefined, 1), undefined);
});

test('INTEROP.md §--trace: the printer writes one line per event, direction first', () => {
  const lines: string[] = [];
  const printer = createTracePrinter({ write: (s: string) => lines.push(s) });
  const rec = createTraceRecorder();
  const both = teeTracers(printer, rec.tracer)!;
  const p = new FakeLineProtocol(both);
  p.send('a');
  p.end('done');
  assert.deepEqual(lines, ['-> fake message line "a"\n', '-- fake end done\n']);
  assert.equal(rec.events.length, 2);
  assert.equal(
    formatTraceEvent({ protocol: 'ws', dir: '<-', kind: 'frame', summary: 'text fin=1 len=5', conn: 3 }),
    '<- ws frame text fin=1 len=5 [3]',
  );
  // A single tracer passes through teeTracers unchanged.
  assert.equal(teeTracers(printer), printer);
  // An event that already names its connection keeps it.
  const seen: unknown[] = [];
  withConn((e) => seen.push(e.conn), 'outer')!({ protocol: 'x', dir: '--', kind: 'end', summary: '', conn: 'inner' });
  assert.deepEqual(seen, ['inner']);
});

test('INTEROP.md §--trace: the recorder keeps at most its limit of events', () => {
  const rec = createTraceRecorder(3);
  for (let i = 0; i < 10; i++) rec.tracer({ protocol: 'x', dir: '->', kind: 'frame', summary: String(i), time: i });
  assert.deepEqual(rec.events.map((e) => e.time), [0, 1, 2]);
});

test('INTEROP.md §--trace: sizes and payload previews read well', () => {
  assert.equal(formatBytes(12), '12 B');
  assert.equal(formatBytes(1536), '1.5 KiB');
  assert.equal(formatBytes(64 * 1024 * 1024), '64 MiB');
  assert.equal(formatBytes(70 * 1024 * 1024), '70 MiB');
  assert.equal(formatBytes(2 ** 50), '1024 TiB');
  assert.equal(preview('hello'), '"hello"');
  assert.equal(preview('x'.repeat(40), 4), '"xxxx…"');
  assert.equal(preview(new TextEncoder().encode('hi there')), '"hi there"');
  assert.equal(preview(Uint8Array.of(0, 1, 0xff)), '0001ff');
  assert.equal(preview(new Uint8Array(40), 2), '0000…');
  assert.equal(preview(new TextEncoder().encode('abcdef'), 3), '"abc"…');
});
