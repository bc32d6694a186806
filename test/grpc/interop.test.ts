// Interop with the reference implementation, @grpc/grpc-js, both ways, for
// every case INTEROP.md lists: its client against our TestService server,
// and our interop client against a grpc-js TestService server.
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { Channel, GrpcError, Status } from '../../lib/grpc/index.js';
import { createInteropServer } from '../../lib/grpc/interop/server.js';
import { INTEROP_CASES, runInteropCase, InteropFailure, type InteropCase } from '../../lib/grpc/interop/client.js';
import { INTEROP_PROTOS } from '../../lib/grpc/interop/protos.js';
import { HealthService, ServingStatus, healthDefinition } from '../../lib/grpc/health.js';
import { grpcJsCases, protoRoot, startGrpcJsServer } from './grpcjs.js';
import type { Server } from '../../lib/grpc/server.js';

describe('grpc-js client against the barewire TestService server', () => {
  let server: Server;
  let cases: ReturnType<typeof grpcJsCases>;
  before(async () => {
    server = createInteropServer().server;
    const { port } = await server.listen(0);
    cases = grpcJsCases(port);
  });
  after(async () => {
    (cases as unknown as { close(): void }).close();
    await server.close(1000);
  });
  for (const name of INTEROP_CASES) {
    test(`gRPC interop §${name}: the grpc-js client passes against our server`, async () => {
      await cases[name]();
    });
  }
});

describe('barewire interop client against a grpc-js TestService server', () => {
  let js: Awaited<ReturnType<typeof startGrpcJsServer>>;
  let channel: Channel;
  before(async () => {
    js = await startGrpcJsServer();
    channel = new Channel(`127.0.0.1:${js.port}`);
  });
  after(async () => {
    channel.close();
    await js.close();
  });
  for (const name of INTEROP_CASES) {
    if (name === 'server_compressed_unary' || name === 'server_compressed_streaming') {
      // grpc-js servers never compress responses (their compressed flag is always 0):
      // the case must fail, and our client must say it was the flag.
      test(`gRPC interop §${name}: our client detects that a grpc-js server does not set the compressed flag`, async () => {
        await assert.rejects(runInteropCase(name, channel), (e: Error) => e instanceof InteropFailure && /compressed flag/.test(e.message));
      });
      continue;
    }
    test(`gRPC interop §${name}: our client passes against the grpc-js server`, async () => {
      await runInteropCase(name as InteropCase, channel);
    });
  }
});

describe('barewire against barewire', () => {
  test('gRPC interop §Client: every case passes between our own client and server, compressed flags included', async () => {
    const { server } = createInteropServer();
    const { url } = await server.listen(0);
    const channel = new Channel(url);
    try {
      for (const name of INTEROP_CASES) await runInteropCase(name, channel);
      await assert.rejects(runInteropCase('nope' as InteropCase, channel), /unknown test case/);
    } finally {
      channel.close();
      await server.close(1000);
    }
  });

  test('gRPC interop §Server: interop server features — HalfDuplexCall, interval_us, unsupported response_type', async () => {
    const { server } = createInteropServer();
    const { url } = await server.listen(0);
    const channel = new Channel(url);
    const { testServiceDefinitions } = await import('../../lib/grpc/interop/server.js');
    const m = testServiceDefinitions().TestService.methods;
    try {
      const half = channel.call(m.HalfDuplexCall);
      let answered = 0;
      const reading = (async () => {
        for await (const r of half) {
          answered++;
          assert.equal((r as any).payload.body.length, answered * 10);
        }
      })();
      await half.write({ responseParameters: [{ size: 10 }] });
      await half.write({ responseParameters: [{ size: 20, intervalUs: 20_000 }] });
      await new Promise((r) => setTimeout(r, 50));
      assert.equal(answered, 0, 'HalfDuplexCall answers only after the half-close');
      half.end();
      await reading;
      assert.equal(answered, 2);
      await assert.rejects(channel.unary(m.UnaryCall, { responseType: 1, responseSize: 1 }), (e: GrpcError) => e.code === Status.INVALID_ARGUMENT);
      const so = channel.call(m.StreamingOutputCall);
      so.write({ responseStatus: { code: 9, message: 'no' } }).catch(() => {});
      so.end();
      await assert.rejects((async () => { for await (const _ of so); })(), (e: GrpcError) => e.code === 9);
    } finally {
      channel.close();
      await server.close(1000);
    }
  });

  test('INTEROP.md §grpc: the embedded interop protos are the shared ones, unchanged', () => {
    const root = protoRoot;
    assert.deepEqual(Object.keys(INTEROP_PROTOS).sort(), ['grpc/health/v1/health.proto', 'grpc/testing/empty.proto', 'grpc/testing/messages.proto', 'grpc/testing/test.proto']);
    for (const [name, src] of Object.entries(INTEROP_PROTOS)) assert.equal(src, readFileSync(root + name, 'utf8'), name);
  });
});

describe('health', () => {
  test('INTEROP.md §grpc serve: Health Check and Watch — "" and TestService are SERVING, any other name is NOT_FOUND', async () => {
    const { server } = createInteropServer();
    const { url } = await server.listen(0);
    const channel = new Channel(url);
    const h = healthDefinition().methods;
    try {
      assert.deepEqual(await channel.unary(h.Check, { service: '' }), { status: ServingStatus.SERVING });
      assert.deepEqual(await channel.unary(h.Check, { service: 'grpc.testing.TestService' }), { status: ServingStatus.SERVING });
      await assert.rejects(channel.unary(h.Check, { service: 'no.Such' }), (e: GrpcError) => e.code === Status.NOT_FOUND);
      const watch = channel.call(h.Watch);
      watch.write({ service: '' }).catch(() => {});
      watch.end();
      const it = watch[Symbol.asyncIterator]();
      assert.deepEqual((await it.next()).value, { status: ServingStatus.SERVING });
      watch.cancel();
      const unknown = channel.call(h.Watch);
      unknown.write({ service: 'no.Such' }).catch(() => {});
      unknown.end();
      await assert.rejects((async () => { for await (const _ of unknown); })(), (e: GrpcError) => e.code === Status.NOT_FOUND);
    } finally {
      channel.close();
      await server.close(1000);
    }
  });

  test('gRPC health-checking §Watch: the status at once, then each change; SERVICE_UNKNOWN for an unknown service without ending the call', async () => {
    const health = new HealthService({ svc: 'SERVING' });
    const { Server } = await import('../../lib/grpc/server.js');
    const server = new Server().addService(health.definition, health.implementation());
    const { url } = await server.listen(0);
    const channel = new Channel(url);
    const h = health.definition.methods;
    try {
      const watch = channel.call(h.Watch);
      watch.write({ service: 'svc' }).catch(() => {});
      watch.end();
      const it = watch[Symbol.asyncIterator]();
      assert.deepEqual((await it.next()).value, { status: ServingStatus.SERVING });
      health.setStatus('svc', 'NOT_SERVING');
      assert.deepEqual((await it.next()).value, { status: ServingStatus.NOT_SERVING });
      health.setStatus('svc', 'NOT_SERVING');
      health.setStatus('svc', 'SERVING');
      assert.deepEqual((await it.next()).value, { status: ServingStatus.SERVING });
      const unknown = channel.call(h.Watch);
      unknown.write({ service: 'later' }).catch(() => {});
      unknown.end();
      const u = unknown[Symbol.asyncIterator]();
      assert.deepEqual((await u.next()).value, { status: ServingStatus.SERVICE_UNKNOWN });
      health.setStatus('later', 'SERVING');
      assert.deepEqual((await u.next()).value, { status: ServingStatus.SERVING });
      assert.equal(unknown.done, false);
      unknown.cancel();
      health.shutdown();
      assert.deepEqual((await it.next()).value, { status: ServingStatus.NOT_SERVING });
      assert.equal(health.getStatus('svc'), ServingStatus.NOT_SERVING);
      watch.cancel();
      assert.equal((await watch.status).code, Status.CANCELLED);
    } finally {
      channel.close();
      await server.close(1000);
    }
  });
});
