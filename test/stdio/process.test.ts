import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, writeFileSync, rmSync, chmodSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnPeer, type ChildPeer } from '../../lib/stdio/process.js';
import { StdioError } from '../../lib/stdio/errors.js';
import type { Diagnostic } from '../../lib/stdio/peer.js';
import { createTraceRecorder } from '../../lib/trace/index.js';
import { CLI, FIXTURES, ROOT, until } from './helpers.js';

const CHILD = join(FIXTURES, 'child.mjs');
const node = process.execPath;

function fixture(mode: string, extra: string[] = [], options: Parameters<typeof spawnPeer>[2] = {}): ChildPeer {
  return spawnPeer(node, [CHILD, mode, ...extra], options);
}

/** Wait for the fixture to say its signal handlers are installed. */
function readyLine(c: ChildPeer): Promise<void> {
  return new Promise((resolve) => c.on('stderr', (l: string) => l.endsWith('ready') && resolve()));
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('child processes', () => {
  test('INTEROP.md §stdio call: a child is spawned, called, and ends when its stdin is closed', async () => {
    const rec = createTraceRecorder();
    const c = fixture('serve', [], { tracer: rec.tracer });
    await c.ready;
    assert.deepEqual(await c.request('hello', ['world']), { method: 'hello', params: ['world'] });
    const r = await c.shutdown();
    assert.deepEqual(r, { code: 0, signal: null, stage: 'stdin-closed' });
    assert.equal(c.endReason, 'child exited with code 0 after its stdin was closed');
    const events = rec.events.filter((e) => e.kind !== 'stderr');
    assert.deepEqual(events.map((e) => e.kind), ['spawn', 'message', 'message', 'exit', 'end']);
    assert.match(events[0].summary, new RegExp(`child\\.mjs" "serve" pid ${c.pid}$`));
    assert.equal(events[1].summary, 'request hello id=1');
    assert.equal(events[2].summary, 'response id=1 (hello)');
    assert.equal(events[4].summary, 'child exited with code 0 after its stdin was closed');
    assert.deepEqual(rec.filter('stderr').map((e) => e.summary), ['child serve ready']);
  });

  test('LSP base protocol §Header Part: a Content-Length child is spoken to in its framing', async () => {
    const c = fixture('serve', ['--content-length'], { framing: 'content-length' });
    assert.deepEqual(await c.request('ü', { s: '😀 é' }), { method: 'ü', params: { s: '😀 é' } });
    await c.shutdown();
  });

  test('advisory §shell-injection: arguments go to the program as they are, with no shell', async () => {
    const args = ['; echo pwned', '$(id)', '`id`', '"quoted" \'x\'', '*', '&& exit 3', ''];
    const c = fixture('argv', args);
    assert.deepEqual(await c.request('argv'), args);
    await c.shutdown();
  });

  test('advisory §env-control: the child gets the parent\'s environment plus env, or only env', async () => {
    process.env.BAREWIRE_PARENT_VAR = 'from-parent';
    const merged = fixture('env', [], { env: { EXTRA: 'x' } });
    assert.equal(await merged.request('get', ['BAREWIRE_PARENT_VAR']), 'from-parent');
    assert.equal(await merged.request('get', ['EXTRA']), 'x');
    await merged.shutdown();
    const only = fixture('env', [], { env: { ONLY: 'y' }, inheritEnv: false });
    assert.equal(await only.request('get', ['ONLY']), 'y');
    assert.equal(await only.request('get', ['BAREWIRE_PARENT_VAR']), null);
    await only.shutdown();
  });

  test('advisory §spawn-ENOENT: a command that does not exist is reported clearly, not thrown', async () => {
    const rec = createTraceRecorder();
    const c = spawnPeer('barewire-no-such-command-xyz', ['a'], { tracer: rec.tracer });
    await assert.rejects(c.ready, (e: StdioError) => e.code === 'SPAWN_FAILED' && /cannot start "barewire-no-such-command-xyz": no such file or directory \(ENOENT\)/.test(e.message));
    await assert.rejects(c.request('x'), (e: StdioError) => e.code === 'SPAWN_FAILED');
    assert.deepEqual(await c.shutdown(), { code: null, signal: null, stage: 'stdin-closed' });
    await c.exited;
    assert.match(c.endReason, /ENOENT/);
    assert.equal(rec.filter('end').length, 1);
  });

  test('advisory §spawn-EACCES: a file that is not executable is reported clearly', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'barewire-stdio-'));
    try {
      const file = join(dir, 'not-executable.sh');
      writeFileSync(file, '#!/bin/sh\necho hi\n');
      chmodSync(file, 0o644);
      const c = spawnPeer(file);
      await assert.rejects(c.ready, (e: StdioError) => e.code === 'SPAWN_FAILED' && /permission denied \(EACCES\)/.test(e.message));
      await c.exited;
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('advisory §stderr-lines: stderr is captured line by line (CRLF and a last line without newline included) and never mixed with the protocol', async () => {
    const rec = createTraceRecorder();
    const c = fixture('stderr', [], { tracer: rec.tracer });
    const lines: string[] = [];
    c.on('stderr', (l: string) => lines.push(l));
    assert.deepEqual(await c.request('x'), { method: 'x', params: null });
    await c.shutdown();
    assert.deepEqual(lines, ['starting up', 'ready on stdio', 'no newline at the endchild stderr ready']);
    assert.deepEqual(rec.filter('stderr').map((e) => e.dir + ' ' + e.summary), lines.map((l) => '<- ' + l));
  });

  test('advisory §stderr-lines: a stderr line longer than the limit is cut, memory stays bounded', async () => {
    const c = spawnPeer(node, ['-e', 'process.stderr.write("x".repeat(100) + "\\n")'], { maxStderrLine: 30 });
    const lines: string[] = [];
    c.on('stderr', (l: string) => lines.push(l));
    await c.exited;
    assert.deepEqual(lines.map((l) => l.length), [30, 30, 30, 10]);
  });

  test('advisory §inspector#343: a child that prints a banner on stdout still works; the banner is a diagnostic', async () => {
    const c = fixture('banner');
    const diags: Diagnostic[] = [];
    c.on('diagnostic', (d: Diagnostic) => diags.push(d));
    assert.deepEqual(await c.request('tools/list'), { method: 'tools/list', params: null });
    assert.equal(diags.length, 1);
    assert.equal(diags[0].code, 'NOT_JSON');
    assert.equal(diags[0].preview, 'MCP Nightwatch server running on stdio');
    await c.shutdown();
  });

  test('advisory §garbage-stdout: a child writing garbage and invalid UTF-8 to stdout is reported, not a crash; the ending says why', async () => {
    const rec = createTraceRecorder();
    const c = fixture('garbage', [], { tracer: rec.tracer });
    const diags: Diagnostic[] = [];
    c.on('diagnostic', (d: Diagnostic) => diags.push(d));
    const info = await c.exited;
    assert.deepEqual(info, { code: 1, signal: null });
    assert.deepEqual(diags.map((d) => d.code).sort(), ['INVALID_UTF8', 'INVALID_UTF8', 'NOT_JSON']);
    assert.equal(c.endReason, 'child exited with code 1 after writing a non-JSON line to stdout');
    assert.equal(rec.filter('end')[0].summary, c.endReason);
  });

  test('advisory §child-dies: a child that dies before answering fails the request at once with CONNECTION_CLOSED', async () => {
    const c = fixture('die');
    await assert.rejects(c.request('anything'), (e: StdioError) => e.code === 'CONNECTION_CLOSED');
    await c.exited;
    assert.equal(c.endReason, 'child exited with code 1 after writing a non-JSON line to stdout');
  });

  test('INTEROP.md §stdio call: a child that ignores the end of stdin is ended with SIGTERM', async () => {
    const c = fixture('linger');
    await readyLine(c);
    const r = await c.shutdown({ closeTimeout: 200, termTimeout: 5000 });
    assert.deepEqual(r, { code: null, signal: 'SIGTERM', stage: 'SIGTERM' });
    assert.equal(c.endReason, 'child ended by SIGTERM after 200 ms with stdin closed');
  });

  test('INTEROP.md §stdio call: a child that ignores SIGTERM is killed with SIGKILL', async () => {
    const rec = createTraceRecorder();
    const c = fixture('ignore-sigterm', [], { tracer: rec.tracer });
    const lines: string[] = [];
    c.on('stderr', (l: string) => lines.push(l));
    await readyLine(c);
    const r = await c.shutdown({ closeTimeout: 100, termTimeout: 300 });
    assert.deepEqual(r, { code: null, signal: 'SIGKILL', stage: 'SIGKILL' });
    assert.ok(lines.includes('ignoring SIGTERM'));
    assert.equal(c.endReason, 'child killed by SIGKILL after ignoring SIGTERM for 300 ms');
    assert.deepEqual(rec.filter((e) => e.dir === '->' && e.kind === 'exit').map((e) => e.summary), ['SIGTERM after 100 ms without exit', 'SIGKILL after 300 ms without exit']);
    assert.equal(alive(c.pid!), false);
  });

  test('advisory §orphan-child: a child still running when the parent exits is killed, not orphaned', async () => {
    const parent = spawn(node, ['--import', 'tsx', join(FIXTURES, 'parent-exits.ts')], { cwd: ROOT, stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    parent.stdout.on('data', (c: Buffer) => (out += c.toString()));
    const code = await new Promise((resolve) => parent.on('close', resolve));
    assert.equal(code, 0);
    const pid = Number(out.trim());
    assert.ok(pid > 0, `child pid printed: ${JSON.stringify(out)}`);
    await until(() => !alive(pid), 10000, `child ${pid} to be gone`);
  });

  test('advisory §child-killed: a child killed from outside is reported with its signal; what waited is rejected', async () => {
    const c = fixture('silent');
    await readyLine(c);
    const pending = c.request('x', [], { timeout: 0 });
    process.kill(c.pid!, 'SIGKILL');
    await assert.rejects(pending, (e: StdioError) => e.code === 'CONNECTION_CLOSED');
    assert.deepEqual(await c.exited, { code: null, signal: 'SIGKILL' });
    assert.equal(c.endReason, 'child killed by SIGKILL');
  });

  test('INTEROP.md §stdio serve: `barewire stdio serve` as a child: requests both framings, concurrency, batches', async () => {
    for (const framing of ['ndjson', 'content-length'] as const) {
      const c = spawnPeer(node, [...CLI, 'stdio', 'serve', '--framing', framing], { cwd: ROOT, framing });
      const slow = c.request('sleep', { ms: 300 });
      assert.equal(await c.request('subtract', [42, 23]), 19); // not blocked by the sleep
      const ac = new AbortController();
      const cancelled = c.request('sleep', { ms: 60000 }, { signal: ac.signal });
      ac.abort();
      await assert.rejects(cancelled, (e: StdioError) => e.code === 'REQUEST_CANCELLED');
      const batch = await c.batch([{ method: 'sum', params: [1, 2] }, { method: 'update', notification: true }, { method: 'nope' }]);
      assert.deepEqual(batch[0], { ok: true, result: 3 });
      assert.equal(batch[1], undefined);
      assert.equal(batch[2]?.ok === false && batch[2].error.rpcCode, -32601);
      assert.equal(await slow, null);
      const r = await c.shutdown();
      assert.deepEqual(r, { code: 0, signal: null, stage: 'stdin-closed' });
    }
  });
});
