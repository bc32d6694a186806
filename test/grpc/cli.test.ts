// `barewire grpc serve` and `barewire grpc interop`, spawned as INTEROP.md
// says conformance suites start them: node --import tsx lib/cli.ts ...
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { runCli, type CliRun } from '../support/cli.js';
import * as net from 'node:net';
import { Channel, GrpcError, Status } from '../../lib/grpc/index.js';
import { testServiceDefinitions } from '../../lib/grpc/interop/server.js';
import { healthDefinition, ServingStatus } from '../../lib/grpc/health.js';
import { startGrpcJsServer } from './grpcjs.js';

type Run = CliRun;

function run(args: string[]): Run {
  return runCli(['grpc', ...args]);
}

async function listening(r: Run): Promise<string> {
  for (let i = 0; i < 600; i++) {
    const m = /^listening on (http:\/\/127\.0\.0\.1:\d+)\n/.exec(r.stdout);
    if (m) return m[1];
    if (r.child.exitCode !== null) break;
    await new Promise((res) => setTimeout(res, 50));
  }
  r.child.kill('SIGKILL');
  throw new Error(`no listening line; stderr: ${r.stderr}`);
}

describe('grpc serve', () => {
  test('INTEROP.md §grpc serve: prints the URL, serves TestService and Health, and on SIGTERM lets the call in flight finish, then exits 0', async () => {
    const r = run(['serve', '--port', '0', '--trace']);
    const url = await listening(r);
    assert.equal(r.stdout, `listening on ${url}\n`);
    const channel = new Channel(url);
    try {
      const { TestService } = testServiceDefinitions();
      const h = healthDefinition().methods;
      assert.deepEqual(await channel.unary(h.Check, { service: 'grpc.testing.TestService' }), { status: ServingStatus.SERVING });
      await assert.rejects(channel.unary(h.Check, { service: 'other' }), (e: GrpcError) => e.code === Status.NOT_FOUND);
      const slow = channel.call(TestService.methods.StreamingOutputCall);
      slow.write({ responseParameters: [{ size: 3, intervalUs: 400_000 }] }).catch(() => {});
      slow.end();
      await slow.opened;
      await new Promise((res) => setTimeout(res, 100));
      r.child.kill('SIGTERM');
      const got: any[] = [];
      for await (const m of slow) got.push(m);
      assert.equal(got.length, 1);
      assert.equal((await slow.status).code, Status.OK);
      assert.equal(await r.exit, 0);
      assert.match(r.stderr, /-> grpc goaway NO_ERROR/);
      assert.match(r.stderr, /<- grpc headers stream=1 POST \/grpc.health.v1.Health\/Check/);
      assert.match(r.stderr, /-> grpc trailers stream=\d+ grpc-status=0 OK/);
      assert.match(r.stderr, /-- grpc end /);
      assert.equal(r.stdout, `listening on ${url}\n`, 'nothing else on stdout');
    } finally {
      channel.close();
      r.child.kill('SIGKILL');
    }
  });

  test('INTEROP.md §grpc serve: a port already in use fails with one line on stderr and exit 1', async () => {
    const blocker = net.createServer();
    await new Promise<void>((res) => blocker.listen(0, '127.0.0.1', res));
    const port = (blocker.address() as net.AddressInfo).port;
    try {
      const r = run(['serve', '--port', String(port)]);
      assert.equal(await r.exit, 1);
      assert.match(r.stderr, /^barewire: cannot listen on 127\.0\.0\.1:\d+: .*EADDRINUSE.*\n$/);
    } finally {
      blocker.close();
    }
  });
});

describe('grpc interop', () => {
  test('INTEROP.md §grpc interop: --test_case all passes against grpc serve and exits 0', async () => {
    const s = run(['serve', '--port', '0']);
    try {
      const url = await listening(s);
      const port = url.split(':').pop()!;
      const r = run(['interop', '--server_host', '127.0.0.1', `--server_port=${port}`, '--test_case', 'all']);
      assert.equal(await r.exit, 0, r.stderr);
      assert.equal(r.stdout.trim().split('\n').length, 18);
      assert.match(r.stdout, /^ok empty_unary\n/);
      const one = run(['interop', '--server_host', '127.0.0.1', '--server_port', port, '--test_case', 'server_compressed_streaming']);
      assert.equal(await one.exit, 0, one.stderr);
      assert.equal(one.stdout, '');
    } finally {
      s.child.kill('SIGTERM');
      assert.equal(await s.exit, 0);
    }
  });

  test('INTEROP.md §grpc interop: a failing case exits 1 with the reason on stderr (grpc-js servers never set the compressed flag)', async () => {
    const js = await startGrpcJsServer();
    try {
      const ok = run(['interop', '--server_host', '127.0.0.1', '--server_port', String(js.port), '--test_case', 'large_unary']);
      assert.equal(await ok.exit, 0, ok.stderr);
      const bad = run(['interop', '--server_host', '127.0.0.1', '--server_port', String(js.port), '--test_case', 'server_compressed_unary']);
      assert.equal(await bad.exit, 1);
      assert.match(bad.stderr, /^barewire: server_compressed_unary failed: .*compressed flag was 0\n$/);
      const all = run(['interop', '--server_host', '127.0.0.1', '--server_port', String(js.port), '--test_case', 'all']);
      assert.equal(await all.exit, 1);
      assert.match(all.stdout, /FAIL server_compressed_unary/);
      assert.match(all.stderr, /^barewire: 2 of 18 cases failed: server_compressed_unary .*server_compressed_streaming/);
    } finally {
      await js.close();
    }
  });

  test('INTEROP.md §grpc interop: no server listening exits 1 saying the connection was refused', async () => {
    const probe = net.createServer();
    await new Promise<void>((res) => probe.listen(0, '127.0.0.1', res));
    const port = (probe.address() as net.AddressInfo).port;
    await new Promise((res) => probe.close(res));
    const r = run(['interop', '--server_host', '127.0.0.1', '--server_port', String(port), '--test_case', 'empty_unary']);
    assert.equal(await r.exit, 1);
    assert.match(r.stderr, /^barewire: empty_unary failed: unexpected status UNAVAILABLE: could not connect to 127\.0\.0\.1:\d+: connection refused/);
  });

  test('INTEROP.md §grpc interop: usage errors exit 2 (unknown case, missing flag, bad port, TLS) and --help exits 0', async () => {
    const cases: [string[], RegExp][] = [
      [['interop', '--server_host', 'h', '--server_port', '1', '--test_case', 'nope'], /unknown test case "nope"/],
      [['interop', '--server_port', '1', '--test_case', 'all'], /--server_host is required/],
      [['interop', '--server_host', 'h', '--test_case', 'all'], /--server_port is required/],
      [['interop', '--server_host', 'h', '--server_port', '1'], /--test_case is required/],
      [['interop', '--server_host', 'h', '--server_port', 'x', '--test_case', 'all'], /--server_port takes a whole number/],
      [['interop', '--server_host', 'h', '--server_port', '1', '--test_case', 'all', '--use_tls', 'true'], /only plaintext/],
      [['interop', '--bogus'], /bogus/],
    ];
    await Promise.all(
      cases.map(async ([args, re]) => {
        const r = run(args);
        assert.equal(await r.exit, 2, args.join(' '));
        assert.match(r.stderr, re);
        assert.equal(r.stderr.split('\n').length, 2, 'one line');
      }),
    );
    const help = run(['interop', '--help']);
    assert.equal(await help.exit, 0);
    assert.match(help.stdout, /--test_case NAME/);
    const shelp = run(['serve', '--help']);
    assert.equal(await shelp.exit, 0);
    assert.match(shelp.stdout, /listening on http:\/\/HOST:PORT/);
  });
});
