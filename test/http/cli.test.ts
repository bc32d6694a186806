import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { request } from './helpers.js';
import { waitFor } from '../support/wait.js';

const root = fileURLToPath(new URL('../..', import.meta.url));

function run(args: string[]): ChildProcess {
  return spawn(process.execPath, ['--import', 'tsx', 'lib/cli.ts', ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
}

function collect(child: ChildProcess): { out: () => string; err: () => string; exit: Promise<number | null> } {
  let out = '';
  let err = '';
  child.stdout!.on('data', (c) => (out += c));
  child.stderr!.on('data', (c) => (err += c));
  const exit = new Promise<number | null>((r) => child.on('exit', (code) => r(code)));
  return { out: () => out, err: () => err, exit };
}


describe('cli', () => {
  test('INTEROP.md §http serve: prints "listening on http://HOST:PORT", serves /items, exits 0 on SIGTERM', async () => {
    const child = run(['http', 'serve', '--port', '0', '--trace']);
    const io = collect(child);
    try {
      await waitFor(() => io.out().includes('\n'));
      const m = /^listening on http:\/\/127\.0\.0\.1:(\d+)\n$/.exec(io.out());
      assert.ok(m, JSON.stringify(io.out()));
      const port = Number(m[1]);
      const r = await request(port, 'POST', '/items', { 'content-type': 'application/json' }, '{"a":1}');
      assert.equal(r.status, 201);
      assert.equal((await request(port, 'GET', '/items')).json().length, 1);
      await waitFor(() => io.err().includes('-> http headers 201 Created'));
      assert.match(io.err(), /<- http headers POST \/items HTTP\/1\.1/);
      child.kill('SIGTERM');
      assert.equal(await io.exit, 0);
      assert.equal(io.out().split('\n').filter(Boolean).length, 1, 'stdout has only the listening line');
    } finally {
      child.kill('SIGKILL');
    }
  });

  test('INTEROP.md §http serve: SIGINT also shuts down gracefully with exit 0', async () => {
    const child = run(['http', 'serve', '--port', '0', '--host', '127.0.0.1']);
    const io = collect(child);
    try {
      await waitFor(() => io.out().includes('\n'));
      child.kill('SIGINT');
      assert.equal(await io.exit, 0);
    } finally {
      child.kill('SIGKILL');
    }
  });

  test('INTEROP.md §Rules common to every verb: --help prints usage and exits 0; bad flags exit 2 with one line', async () => {
    const help = collect(run(['http', 'serve', '--help']));
    assert.equal(await help.exit, 0);
    assert.match(help.out(), /usage: barewire http serve/);
    const bad = collect(run(['http', 'serve', '--port', 'abc']));
    assert.equal(await bad.exit, 2);
    assert.equal(bad.err().trim().split('\n').length, 1);
    const unknown = collect(run(['http', 'serve', '--nope']));
    assert.equal(await unknown.exit, 2);
  });

  test('INTEROP.md §Rules common to every verb: a port in use is a one-line failure, non-zero exit', async () => {
    const first = run(['http', 'serve', '--port', '0']);
    const io = collect(first);
    try {
      await waitFor(() => io.out().includes('\n'));
      const port = /:(\d+)\n/.exec(io.out())![1];
      const second = collect(run(['http', 'serve', '--port', port]));
      assert.notEqual(await second.exit, 0);
      assert.match(second.err(), /^barewire: .*EADDRINUSE/);
      assert.equal(second.err().trim().split('\n').length, 1);
    } finally {
      first.kill('SIGTERM');
      await io.exit;
    }
  });
});
