// End to end over real sockets: the four call types, status and metadata.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { createClient, GrpcError, Metadata, Status, statusName } from '../../lib/grpc/index.js';
import { createTraceRecorder } from '../../lib/trace/index.js';
import { TestSvc, startServer, sleep } from './helpers.js';

describe('call types', () => {
  test('gRPC PROTOCOL-HTTP2 §Outline: unary — one request, one response, status OK in trailers', async () => {
    const rec = createTraceRecorder();
    const f = await startServer({ Unary: (req: any) => ({ echo: req }) }, { tracer: rec.tracer });
    try {
      const client = createClient(TestSvc, f.channel);
      assert.deepEqual(await client.Unary({ a: 1 }), { echo: { a: 1 } });
      const kinds = rec.events.filter((e) => e.dir !== '--').map((e) => `${e.dir} ${e.kind}`);
      assert.deepEqual(kinds, ['<- headers', '<- message', '-> headers', '-> message', '-> trailers']);
      assert.match(rec.filter('trailers')[0].summary, /grpc-status=0 OK/);
    } finally {
      await f.close();
    }
  });

  test('gRPC PROTOCOL-HTTP2 §Outline: server streaming — responses arrive in order, then the status', async () => {
    const f = await startServer({
      async *ServerStream(req: any) {
        for (let i = 0; i < req.n; i++) yield { i };
      },
    });
    try {
      const client = createClient(TestSvc, f.channel);
      const got: number[] = [];
      const call = client.ServerStream({ n: 50 });
      for await (const m of call) got.push(m.i);
      assert.deepEqual(got, Array.from({ length: 50 }, (_, i) => i));
      assert.equal((await call.status).code, Status.OK);
    } finally {
      await f.close();
    }
  });

  test('gRPC PROTOCOL-HTTP2 §Outline: client streaming — requests until half-close, then one response', async () => {
    const f = await startServer({
      async ClientStream(reqs: AsyncIterable<any>) {
        let sum = 0;
        let n = 0;
        for await (const r of reqs) {
          sum += r.v;
          n++;
        }
        return { sum, n };
      },
    });
    try {
      const call = createClient(TestSvc, f.channel).ClientStream();
      for (let i = 1; i <= 10; i++) await call.write({ v: i });
      call.end();
      assert.deepEqual(await call.response(), { sum: 55, n: 10 });
      const empty = createClient(TestSvc, f.channel).ClientStream();
      empty.end();
      assert.deepEqual(await empty.response(), { sum: 0, n: 0 });
    } finally {
      await f.close();
    }
  });

  test('gRPC PROTOCOL-HTTP2 §Outline: bidirectional streaming — each request answered before the next is sent (ping-pong)', async () => {
    const f = await startServer({
      async *Bidi(reqs: AsyncIterable<any>) {
        for await (const r of reqs) yield { pong: r.ping };
      },
    });
    try {
      const call = createClient(TestSvc, f.channel).Bidi();
      const it = call[Symbol.asyncIterator]();
      for (let i = 0; i < 5; i++) {
        await call.write({ ping: i });
        assert.deepEqual(await it.next(), { done: false, value: { pong: i } });
      }
      call.end();
      assert.deepEqual(await it.next(), { done: true, value: undefined });
    } finally {
      await f.close();
    }
  });

  test('gRPC PROTOCOL-HTTP2 §Responses: initial metadata goes in the response headers and trailing metadata with the status', async () => {
    const f = await startServer({
      Unary(req: any, call) {
        call.sendMetadata(new Metadata({ 'x-initial': String(call.metadata.first('x-req')), 'x-initial-bin': new Uint8Array([0xab, 0xcd]) }));
        call.trailers.set('x-trailing-bin', new Uint8Array([1, 2, 3])).set('x-trailing', 'done');
        return req;
      },
    });
    try {
      const call = f.channel.call(TestSvc.methods.Unary, { metadata: new Metadata({ 'x-req': 'hello' }) });
      await call.write({});
      call.end();
      assert.deepEqual(await call.response(), {});
      const h = await call.headers;
      assert.equal(h.first('x-initial'), 'hello');
      assert.deepEqual(h.first('x-initial-bin'), new Uint8Array([0xab, 0xcd]));
      const s = await call.status;
      assert.equal(s.code, Status.OK);
      assert.deepEqual(s.metadata.first('x-trailing-bin'), new Uint8Array([1, 2, 3]));
      assert.equal(s.metadata.first('x-trailing'), 'done');
    } finally {
      await f.close();
    }
  });
});

describe('status', () => {
  test('gRPC statuscodes §Status codes: every one of the 17 codes and its message reaches the client', async () => {
    const f = await startServer({
      Unary(req: any) {
        if (req.code === 0) return { ok: true };
        throw new GrpcError(req.code, `status ${statusName(req.code)} ☺ 100%`);
      },
    });
    try {
      const client = createClient(TestSvc, f.channel);
      assert.deepEqual(await client.Unary({ code: 0 }), { ok: true });
      for (let code = 1; code <= 16; code++) {
        await assert.rejects(client.Unary({ code }), (e: GrpcError) => {
          assert.equal(e.code, code);
          assert.equal(e.details, `status ${statusName(code)} ☺ 100%`);
          return true;
        });
      }
    } finally {
      await f.close();
    }
  });

  test('gRPC PROTOCOL-HTTP2 §Responses: an error after messages comes in trailers, after the messages, with trailing metadata', async () => {
    const f = await startServer({
      async *ServerStream() {
        yield { n: 1 };
        yield { n: 2 };
        throw new GrpcError(Status.ABORTED, 'stopped after two', new Metadata({ 'x-why': 'test' }));
      },
    });
    try {
      const call = createClient(TestSvc, f.channel).ServerStream({});
      const got: unknown[] = [];
      await assert.rejects(
        (async () => {
          for await (const m of call) got.push(m);
        })(),
        (e: GrpcError) => e.code === Status.ABORTED && e.details === 'stopped after two' && e.metadata.first('x-why') === 'test',
      );
      assert.deepEqual(got, [{ n: 1 }, { n: 2 }]);
    } finally {
      await f.close();
    }
  });

  test('gRPC statuscodes §Status codes: a handler error without a status becomes INTERNAL and its text stays on the server', async () => {
    const seen: unknown[] = [];
    const f = await startServer(
      {
        Unary() {
          throw new Error('secret database password in stack');
        },
      },
      { onHandlerError: (err) => seen.push(err) },
    );
    try {
      await assert.rejects(createClient(TestSvc, f.channel).Unary({}), (e: GrpcError) => e.code === Status.INTERNAL && !e.details.includes('secret'));
      assert.equal(seen.length, 1);
    } finally {
      await f.close();
    }
  });

  test('gRPC statuscodes §UNIMPLEMENTED: an unknown method or unknown service answers UNIMPLEMENTED', async () => {
    const f = await startServer({ Unary: (r: any) => r });
    try {
      await assert.rejects(createClient(TestSvc, f.channel).Missing({}), (e: GrpcError) => e.code === Status.UNIMPLEMENTED && /Missing/.test(e.details));
      const other = { ...TestSvc.methods.Unary, path: '/no.such.Service/Unary' };
      await assert.rejects(f.channel.unary(other, {}), (e: GrpcError) => e.code === Status.UNIMPLEMENTED && /no\.such\.Service/.test(e.details));
    } finally {
      await f.close();
    }
  });

  test('gRPC PROTOCOL-HTTP2 §Requests: a unary call with zero or two request messages fails with INTERNAL', async () => {
    const f = await startServer({ Unary: (r: any) => r });
    try {
      const none = f.channel.call(TestSvc.methods.Unary);
      none.end();
      await assert.rejects(none.response(), (e: GrpcError) => e.code === Status.INTERNAL && /without sending one/.test(e.details));
      const two = f.channel.call(TestSvc.methods.Unary);
      await two.write(1);
      await two.write(2);
      two.end();
      await assert.rejects(two.response(), (e: GrpcError) => e.code === Status.INTERNAL && /second one/.test(e.details));
    } finally {
      await f.close();
    }
  });

  test('gRPC PROTOCOL-HTTP2 §Outline: many concurrent calls share one connection and all complete', async () => {
    const f = await startServer({
      async Unary(r: any) {
        await sleep(r % 7);
        return r * 2;
      },
    });
    try {
      const client = createClient(TestSvc, f.channel);
      const out = await Promise.all(Array.from({ length: 200 }, (_, i) => client.Unary(i)));
      assert.deepEqual(out, Array.from({ length: 200 }, (_, i) => i * 2));
      assert.equal(f.server.connections, 1);
    } finally {
      await f.close();
    }
  });
});
