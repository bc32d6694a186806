import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { CLI, FIXTURES, ROOT, contentLengthMessages, lines, runCli, until } from './helpers.js';

const node = process.execPath;
const CHILD = join(FIXTURES, 'child.mjs');
const SERVE = [node, ...CLI, 'stdio', 'serve'];

describe('barewire stdio CLI', { concurrency: 3 }, () => {
  test('INTEROP.md §Rules common to every verb: --help prints usage to stdout and exits 0', async () => {
    for (const args of [['stdio', '--help'], ['stdio', 'serve', '--help'], ['stdio', 'call', '--help']]) {
      const r = await runCli(args);
      assert.equal(r.code, 0);
      assert.match(r.stdout, /^usage: barewire stdio/);
    }
  });

  test('INTEROP.md §stdio serve: blank lines are ignored; a last message without a newline is answered; exit 0', async () => {
    const r = await runCli(['stdio', 'serve'], '\n\n{"jsonrpc":"2.0","method":"sum","params":[1,2,3],"id":1}\n   \n{"jsonrpc":"2.0","method":"get_data","id":2}');
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(lines(r.stdout), [
      { jsonrpc: '2.0', result: 6, id: 1 },
      { jsonrpc: '2.0', result: ['hello', 5], id: 2 },
    ]);
    assert.equal(r.stderr, '');
  });

  test('INTEROP.md §stdio serve: requests are handled concurrently; a sleep blocks nothing and is answered before exit', async () => {
    const r = await runCli(['stdio', 'serve'], '{"jsonrpc":"2.0","method":"sleep","params":{"ms":400},"id":"slow"}\n{"jsonrpc":"2.0","method":"subtract","params":[5,3],"id":"fast"}\n');
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(lines(r.stdout), [
      { jsonrpc: '2.0', result: 2, id: 'fast' },
      { jsonrpc: '2.0', result: null, id: 'slow' },
    ]);
  });

  test('INTEROP.md §stdio serve: $/cancelRequest makes a sleep answer -32800; a cancel for an unknown id is ignored', async () => {
    const child = spawn(node, [...CLI, 'stdio', 'serve'], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stdin.write('{"jsonrpc":"2.0","method":"sleep","params":{"ms":60000},"id":42}\n');
    child.stdin.write('{"jsonrpc":"2.0","method":"$/cancelRequest","params":{"id":"unknown"}}\n');
    child.stdin.write('{"jsonrpc":"2.0","method":"echo","params":["first"],"id":1}\n');
    await until(() => out.includes('"first"'), 30000, 'echo answer');
    child.stdin.end('{"jsonrpc":"2.0","method":"$/cancelRequest","params":{"id":42}}\n');
    const code = await new Promise((r) => child.on('close', r));
    assert.equal(code, 0);
    assert.deepEqual(lines(out), [
      { jsonrpc: '2.0', result: ['first'], id: 1 },
      { jsonrpc: '2.0', error: { code: -32800, message: 'Request cancelled' }, id: 42 },
    ]);
  });

  test('INTEROP.md §stdio serve: with content-length framing it writes Content-Length headers only', async () => {
    const msg = '{"jsonrpc":"2.0","method":"echo","params":["héllo 😀"],"id":1}';
    const r = await runCli(['stdio', 'serve', '--framing', 'content-length'], `Content-Length: ${Buffer.byteLength(msg)}\r\n\r\n${msg}`);
    assert.equal(r.code, 0, r.stderr);
    const body = '{"jsonrpc":"2.0","result":["héllo 😀"],"id":1}';
    assert.equal(r.stdout, `Content-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`);
    assert.deepEqual(contentLengthMessages(r.stdout), [JSON.parse(body)]);
  });

  test('INTEROP.md §stdio serve: nothing but protocol messages on stdout, even with --trace (the trace goes to stderr)', async () => {
    const r = await runCli(['stdio', 'serve', '--trace'], 'hello\n{"jsonrpc":"2.0","method":"update","params":[1]}\n{"jsonrpc":"2.0","method":"sum","params":[1],"id":1}\n');
    assert.equal(r.code, 0);
    assert.deepEqual(lines(r.stdout), [
      { jsonrpc: '2.0', error: { code: -32700, message: 'Parse error' }, id: null },
      { jsonrpc: '2.0', result: 1, id: 1 },
    ]);
    const trace = r.stderr.trim().split('\n');
    assert.ok(trace.includes('<- stdio message request sum id=1'), r.stderr);
    assert.ok(trace.includes('-> stdio message response id=1'), r.stderr);
    assert.ok(trace.includes('<- stdio message notification update'), r.stderr);
    assert.equal(trace.at(-1), '-- stdio end end of input');
  });

  test('LSP base protocol §Header Part: a broken header part makes serve answer -32700 and exit 1 with one line', async () => {
    const r = await runCli(['stdio', 'serve', '--framing', 'content-length'], 'Content-Length: 5\r\nnot a header\r\n\r\n');
    assert.equal(r.code, 1);
    assert.equal(contentLengthMessages(r.stdout).length, 1);
    assert.match(r.stderr, /^barewire: framing error: expected a header field or the empty line/);
    assert.equal(r.stderr.trim().split('\n').length, 1);
  });

  test('advisory §huge-message: a Content-Length of 70 MiB over the 64 MiB limit is refused before buffering: -32600, exit 1, one line', async () => {
    const r = await runCli(['stdio', 'serve', '--framing', 'content-length'], 'Content-Length: 73400320\r\n\r\n{"jsonrpc":"2.0"');
    assert.equal(r.code, 1);
    assert.equal(r.stderr, 'barewire: framing error: message of 70 MiB over the 64 MiB limit\n');
    assert.deepEqual(contentLengthMessages(r.stdout), [{ jsonrpc: '2.0', error: { code: -32600, message: 'Invalid Request', data: 'message of 70 MiB over the 64 MiB limit' }, id: null }]);
  });

  test('INTEROP.md §Rules common to every verb: SIGTERM shuts serve down gracefully (in-flight requests answered -32800), exit 0', async () => {
    const child = spawn(node, [...CLI, 'stdio', 'serve'], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stdin.write('{"jsonrpc":"2.0","method":"sleep","params":{"ms":60000},"id":1}\n{"jsonrpc":"2.0","method":"get_data","id":2}\n');
    await until(() => out.includes('"hello"'), 30000, 'get_data answer');
    child.kill('SIGTERM');
    const code = await new Promise((r) => child.on('close', r));
    assert.equal(code, 0);
    assert.deepEqual(lines(out)[1], { jsonrpc: '2.0', error: { code: -32800, message: 'Request cancelled' }, id: 1 });
  });

  test('INTEROP.md §Rules common to every verb: a bad flag is a usage error: exit 2 and one line', async () => {
    for (const args of [
      ['stdio', 'serve', '--framing', 'xml'],
      ['stdio', 'call', '--method', 'm'],
      ['stdio', 'call', '--', 'x'],
      ['stdio', 'call', '--method', 'm', '--params', '{bad', '--', 'x'],
      ['stdio', 'call', '--method', 'm', '--params', '5', '--', 'x'],
      ['stdio', 'call', '--method', 'm', '--timeout', 'soon', '--', 'x'],
    ]) {
      const r = await runCli(args);
      assert.equal(r.code, 2, args.join(' '));
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.match(r.stderr, /^barewire: /);
    }
  });

  test('INTEROP.md §stdio call: calls `stdio serve` as a child and prints the result as one line; exit 0', async () => {
    for (const framing of ['ndjson', 'content-length']) {
      const r = await runCli(['stdio', 'call', '--framing', framing, '--method', 'subtract', '--params', '{"minuend":42,"subtrahend":23}', '--', ...SERVE, '--framing', framing]);
      assert.equal(r.code, 0, r.stderr);
      assert.equal(r.stdout, '19\n');
    }
  });

  test('INTEROP.md §stdio call: an error response is printed to stderr, exit 1', async () => {
    const r = await runCli(['stdio', 'call', '--method', 'nope', '--', ...SERVE]);
    assert.equal(r.code, 1);
    assert.equal(r.stdout, '');
    assert.equal(r.stderr, 'barewire: error -32601 Method not found\n');
    const d = await runCli(['stdio', 'call', '--method', 'm', '--', node, CHILD, 'error']);
    assert.equal(d.code, 1);
    assert.equal(d.stderr, 'child error ready\nbarewire: error -32001 no such widget {"widget":7}\n');
  });

  test('INTEROP.md §stdio call: no answer because the child died: exit 2, the reason in words', async () => {
    const r = await runCli(['stdio', 'call', '--method', 'm', '--', node, CHILD, 'die']);
    assert.equal(r.code, 2);
    assert.equal(r.stdout, '');
    assert.match(r.stderr, /^barewire: no answer: .*child exited with code 1 after writing a non-JSON line to stdout$/m);
  });

  test('INTEROP.md §stdio call: no answer within --timeout: exit 2', async () => {
    const r = await runCli(['stdio', 'call', '--timeout', '300', '--method', 'm', '--', node, CHILD, 'silent']);
    assert.equal(r.code, 2);
    assert.match(r.stderr, /barewire: no answer: no answer to m \(id 1\) within 300 ms/);
  });

  test('INTEROP.md §stdio call: SIGTERM to `call` itself stops waiting, shuts the child down and exits 2', async () => {
    const child = spawn(node, [...CLI, 'stdio', 'call', '--method', 'm', '--', node, CHILD, 'silent'], { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    await until(() => err.includes('child silent ready'), 30000, 'child ready');
    child.kill('SIGTERM');
    const code = await new Promise((r) => child.on('close', r));
    assert.equal(code, 2);
    assert.match(err, /barewire: no answer: interrupted by SIGTERM; child exited with code 0 after its stdin was closed/);
  });

  test('INTEROP.md §stdio call: a command that cannot start: exit 2, one line naming ENOENT', async () => {
    const r = await runCli(['stdio', 'call', '--method', 'm', '--', 'barewire-no-such-command-xyz']);
    assert.equal(r.code, 2);
    assert.equal(r.stderr, 'barewire: cannot start "barewire-no-such-command-xyz": no such file or directory (ENOENT): check the command name and PATH\n');
  });

  test('INTEROP.md §stdio call: no shell; the child\'s stderr is passed through; --trace shows spawn, messages, exit and the ending', async () => {
    const r = await runCli(['stdio', 'call', '--trace', '--method', 'argv', '--', node, CHILD, 'stderr', '$(id)', '; ls']);
    assert.equal(r.code, 0, r.stderr);
    const result = JSON.parse(r.stdout) as { method: string };
    assert.equal(result.method, 'argv');
    for (const line of ['starting up', 'ready on stdio', 'no newline at the endchild stderr ready']) assert.ok(r.stderr.split('\n').includes(line), r.stderr);
    assert.match(r.stderr, /^-- stdio spawn .*child\.mjs" "stderr" "\$\(id\)" "; ls" pid \d+/m);
    assert.match(r.stderr, /^-> stdio message request argv id=1 \[pid \d+\]$/m);
    assert.match(r.stderr, /^-- stdio end child exited with code 0 after its stdin was closed \[pid \d+\]$/m);
    const a = await runCli(['stdio', 'call', '--method', 'q', '--', node, CHILD, 'argv', '$(id)', '; ls', '*']);
    assert.deepEqual(JSON.parse(a.stdout), ['$(id)', '; ls', '*']);
  });

  test('INTEROP.md §stdio call: a child that ignores the end of stdin and SIGTERM is killed after 2 s + 2 s; the result still counts', async () => {
    const t0 = Date.now();
    const r = await runCli(['stdio', 'call', '--trace', '--method', 'm', '--', node, CHILD, 'ignore-sigterm']);
    const took = Date.now() - t0;
    assert.equal(r.code, 0, r.stderr);
    assert.deepEqual(JSON.parse(r.stdout), { method: 'm', params: null });
    assert.ok(took >= 3900, `took ${took} ms`);
    assert.match(r.stderr, /-> stdio exit SIGTERM after 2000 ms without exit/);
    assert.match(r.stderr, /-> stdio exit SIGKILL after 2000 ms without exit/);
    assert.match(r.stderr, /-- stdio end child killed by SIGKILL after ignoring SIGTERM for 2000 ms/);
  });
});
