// Deadlines, cancellation, backpressure, compression, limits, keepalive
// and shutdown, end to end over real sockets.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import * as http2 from 'node:http2';
import * as net from 'node:net';
import { Channel, createClient, GrpcError, Metadata, Server, Status, withCompression, type ServerCall } from '../../lib/grpc/index.js';
import { createTraceRecorder } from '../../lib/trace/index.js';
import { TestSvc, startServer, sleep, rawRequest, rawStatus } from './helpers.js';
import { encodeMessage } from '../../lib/grpc/frame.js';

describe('deadlines and cancellation', () => {
  test('gRPC PROTOCOL-HTTP2 §Requests: the client sends grpc-timeout and the handler sees its deadline', async () => {
    let seen: number | undefined;
    let raw: string | undefined;
    const f = await startServer({
      Unary(_r: unknown, call: ServerCall) {
        seen = call.deadline;
        return 1;
      },
    });
    try {
      const before = Date.now();
      await createClient(TestSvc, f.channel).Unary({}, { timeoutMs: 5000 });
      assert.ok(seen! > before + 4000 && seen! <= before + 5100, `deadline ${seen! - before} ms ahead`);
      await createClient(TestSvc, f.channel).Unary({}, {});
      assert.equal(seen, Infinity);
      const r = await rawRequest(f.url, { ':path': TestSvc.methods.Unary.path, 'grpc-timeout': '2S' }, encodeMessage(Buffer.from('1')));
      raw = r.trailers?.['grpc-status'] as string;
      assert.equal(raw, '0');
    } finally {
      await f.close();
    }
  });

  test('gRPC PROTOCOL-HTTP2 §Client Cancellation: a call past its deadline ends with DEADLINE_EXCEEDED and the handler signal aborts', async () => {
    let aborted: unknown;
    const f = await startServer({
      async Unary(_r: unknown, call: ServerCall) {
        await new Promise<void>((resolve) => call.signal.addEventListener('abort', () => resolve()));
        aborted = call.signal.reason;
        return 1;
      },
    });
    try {
      const t0 = Date.now();
      await assert.rejects(createClient(TestSvc, f.channel).Unary({}, { timeoutMs: 100 }), (e: GrpcError) => e.code === Status.DEADLINE_EXCEEDED);
      assert.ok(Date.now() - t0 < 5000);
      for (let i = 0; i < 100 && aborted === undefined; i++) await sleep(20);
      assert.ok(aborted instanceof GrpcError);
    } finally {
      await f.close();
    }
  });

  test('INTEROP.md §grpc serve: a call past its deadline ends with DEADLINE_EXCEEDED from the server itself', async () => {
    const f = await startServer({ Unary: () => new Promise(() => {}) });
    try {
      // A raw client with no timer of its own: the status can only come from the server.
      const r = await rawRequest(f.url, { ':path': TestSvc.methods.Unary.path, 'grpc-timeout': '50m' }, encodeMessage(Buffer.from('1')));
      const s = rawStatus(r);
      assert.equal(s.code, Status.DEADLINE_EXCEEDED);
      assert.match(decodeURIComponent(s.message!), /50m/);
    } finally {
      await f.close();
    }
  });

  test('gRPC PROTOCOL-HTTP2 §Client Cancellation: cancel sends RST_STREAM CANCEL, the handler signal aborts, the server keeps serving', async () => {
    const rec = createTraceRecorder();
    let resolveAbort!: (r: unknown) => void;
    const abortSeen = new Promise((r) => (resolveAbort = r));
    const f = await startServer(
      {
        async *ServerStream(_r: unknown, call: ServerCall) {
          call.signal.addEventListener('abort', () => resolveAbort(call.signal.reason));
          for (let i = 0; ; i++) {
            yield { i };
            await sleep(5);
          }
        },
        Unary: (r: any) => r,
      },
      { tracer: rec.tracer },
    );
    try {
      const client = createClient(TestSvc, f.channel);
      const call = client.ServerStream({});
      const it = call[Symbol.asyncIterator]();
      assert.deepEqual((await it.next()).value, { i: 0 });
      call.cancel();
      await assert.rejects(it.next(), (e: GrpcError) => e.code === Status.CANCELLED);
      const reason = (await abortSeen) as GrpcError;
      assert.equal(reason.code, Status.CANCELLED);
      assert.match(reason.details, /RST_STREAM CANCEL/);
      assert.ok(rec.filter('rst').some((e) => e.dir === '<-' && /CANCEL/.test(e.summary)));
      assert.equal(await client.Unary(7), 7);
    } finally {
      await f.close();
    }
  });

  test('gRPC PROTOCOL-HTTP2 §Client Cancellation: an AbortSignal cancels the call with CANCELLED', async () => {
    const f = await startServer({ Unary: () => new Promise(() => {}) });
    try {
      const ac = new AbortController();
      const p = createClient(TestSvc, f.channel).Unary({}, { signal: ac.signal });
      setTimeout(() => ac.abort(new Error('user pressed stop')), 50);
      await assert.rejects(p, (e: GrpcError) => e.code === Status.CANCELLED && /user pressed stop/.test(e.details));
      const pre = AbortSignal.abort('before start');
      await assert.rejects(createClient(TestSvc, f.channel).Unary({}, { signal: pre }), (e: GrpcError) => e.code === Status.CANCELLED);
    } finally {
      await f.close();
    }
  });

  test('gRPC PROTOCOL-HTTP2 §Connection failure: a client vanishing mid-stream cancels its calls and the server keeps serving', async () => {
    let reason: unknown;
    const f = await startServer({
      async ClientStream(reqs: AsyncIterable<unknown>, call: ServerCall) {
        try {
          for await (const _ of reqs);
        } catch (e) {
          reason = e;
        }
        assert.ok(call.signal.aborted);
        return 0;
      },
      Unary: (r: any) => r,
    });
    try {
      const session = http2.connect(f.url);
      const stream = session.request({ ':method': 'POST', ':path': TestSvc.methods.ClientStream.path, 'content-type': 'application/grpc' });
      stream.on('error', () => {});
      stream.write(encodeMessage(Buffer.from('1')));
      stream.write(encodeMessage(Buffer.from('12345')).subarray(0, 3));
      await sleep(100);
      session.destroy();
      for (let i = 0; i < 100 && reason === undefined; i++) await sleep(20);
      assert.equal((reason as GrpcError).code, Status.CANCELLED);
      assert.equal(await createClient(TestSvc, f.channel).Unary(3), 3);
    } finally {
      await f.close();
    }
  });
});

describe('backpressure', () => {
  test('gRPC PROTOCOL-HTTP2 §Data Frames: a slow client reader holds a streaming handler back through HTTP/2 flow control', async () => {
    let produced = 0;
    const f = await startServer({
      async *RawStream() {
        for (let i = 0; i < 200; i++) {
          produced++;
          yield new Uint8Array(256 * 1024);
        }
      },
    });
    try {
      const call = createClient(TestSvc, f.channel).RawStream(new Uint8Array(0));
      await sleep(300);
      const early = produced;
      assert.ok(early < 40, `handler ran ahead by ${early} messages of 256 KiB without a reader`);
      let n = 0;
      for await (const _ of call) n++;
      assert.equal(n, 200);
    } finally {
      await f.close();
    }
  });

  test('gRPC PROTOCOL-HTTP2 §Data Frames: a server that does not read holds back the client writer', async () => {
    let release!: () => void;
    const gate = new Promise<void>((r) => (release = r));
    const f = await startServer({
      async RawUpload(reqs: AsyncIterable<Uint8Array>) {
        await gate;
        let total = 0;
        for await (const r of reqs) total += r.length;
        return new Uint8Array(Buffer.from(String(total)));
      },
    });
    try {
      const call = createClient(TestSvc, f.channel).RawUpload();
      let written = 0;
      const writer = (async () => {
        for (let i = 0; i < 100; i++) {
          await call.write(new Uint8Array(256 * 1024));
          written++;
        }
        call.end();
      })();
      await sleep(300);
      assert.ok(written < 40, `client wrote ${written} messages of 256 KiB to a server that was not reading`);
      release();
      await writer;
      assert.equal(Buffer.from(await call.response()).toString(), String(100 * 256 * 1024));
    } finally {
      await f.close();
    }
  });
});

describe('compression', () => {
  test('gRPC PROTOCOL-HTTP2 §Requests: gzip and deflate requests and responses round trip with the compressed flag per message', async () => {
    for (const enc of ['gzip', 'deflate'] as const) {
      const flags: boolean[] = [];
      const f = await startServer(
        {
          async *Bidi(reqs: AsyncIterable<any>, call: ServerCall) {
            assert.equal(call.requestEncoding, enc);
            for await (const r of reqs) {
              flags.push(call.lastRequestCompressed);
              yield withCompression({ echo: r }, r.compressReply);
            }
          },
        },
        { responseEncoding: enc },
        { compression: enc },
      );
      try {
        const call = createClient(TestSvc, f.channel).Bidi();
        const it = call[Symbol.asyncIterator]();
        await call.write({ compressReply: true, pad: 'x'.repeat(1000) });
        assert.deepEqual((await it.next()).value.echo.compressReply, true);
        assert.equal(call.lastMessageCompressed, true);
        await call.write(withCompression({ compressReply: false }, false));
        assert.deepEqual((await it.next()).value.echo.compressReply, false);
        assert.equal(call.lastMessageCompressed, false);
        call.end();
        assert.equal((await it.next()).done, true);
        assert.deepEqual(flags, [true, false]);
        const h = await call.headers;
        assert.equal(h.size, h.has('date') ? 1 : 0);
      } finally {
        await f.close();
      }
    }
  });

  test('gRPC compression §Compression Method Asymmetry Between Peers: an unsupported grpc-encoding gets UNIMPLEMENTED with grpc-accept-encoding', async () => {
    const f = await startServer({ Unary: (r: any) => r });
    try {
      const r = await rawRequest(f.url, { ':path': TestSvc.methods.Unary.path, 'grpc-encoding': 'snappy' }, encodeMessage(Buffer.from('1'), true));
      assert.equal(rawStatus(r).code, Status.UNIMPLEMENTED);
      assert.equal(r.headers['grpc-accept-encoding'], 'identity,deflate,gzip');
    } finally {
      await f.close();
    }
  });

  test('gRPC compression §Compression Method Asymmetry Between Peers: a server does not compress for a client that does not accept the encoding', async () => {
    const f = await startServer({ Unary: (r: any) => r }, { responseEncoding: 'gzip' });
    try {
      const r = await rawRequest(f.url, { ':path': TestSvc.methods.Unary.path, 'grpc-accept-encoding': 'identity' }, encodeMessage(Buffer.from('"abc"')));
      assert.equal(r.headers['grpc-encoding'], undefined);
      assert.equal(r.body[0], 0, 'compressed flag 0');
      const r2 = await rawRequest(f.url, { ':path': TestSvc.methods.Unary.path, 'grpc-accept-encoding': 'gzip' }, encodeMessage(Buffer.from('"abc"')));
      assert.equal(r2.headers['grpc-encoding'], 'gzip');
      assert.equal(r2.body[0], 1, 'compressed flag 1');
    } finally {
      await f.close();
    }
  });
});

describe('limits', () => {
  test('gRPC PROTOCOL-HTTP2 §Requests: a request over the server receive limit gets RESOURCE_EXHAUSTED', async () => {
    const f = await startServer({ Raw: (r: Uint8Array) => r }, { maxReceiveMessageSize: 1024 });
    try {
      const client = createClient(TestSvc, f.channel);
      assert.equal((await client.Raw(new Uint8Array(1024))).length, 1024);
      await assert.rejects(client.Raw(new Uint8Array(1025)), (e: GrpcError) => e.code === Status.RESOURCE_EXHAUSTED && /receive limit/.test(e.details));
      assert.equal((await client.Raw(new Uint8Array(3))).length, 3, 'the server still serves');
    } finally {
      await f.close();
    }
  });

  test('gRPC PROTOCOL-HTTP2 §Responses: a response over the client receive limit or the server send limit gets RESOURCE_EXHAUSTED', async () => {
    const f = await startServer({ Raw: (r: Uint8Array) => new Uint8Array(r[0] * 1024) }, { maxSendMessageSize: 8 * 1024 }, { maxReceiveMessageSize: 2048 });
    try {
      const client = createClient(TestSvc, f.channel);
      assert.equal((await client.Raw(new Uint8Array([2]))).length, 2048);
      await assert.rejects(client.Raw(new Uint8Array([4])), (e: GrpcError) => e.code === Status.RESOURCE_EXHAUSTED && /2 KiB receive limit/.test(e.details));
      const wide = new Channel(f.url);
      try {
        await assert.rejects(createClient(TestSvc, wide).Raw(new Uint8Array([9])), (e: GrpcError) => e.code === Status.RESOURCE_EXHAUSTED && /send limit/.test(e.details));
      } finally {
        wide.close();
      }
    } finally {
      await f.close();
    }
  });

  test('gRPC PROTOCOL-HTTP2 §Requests: a request over the client send limit fails locally with RESOURCE_EXHAUSTED', async () => {
    const f = await startServer({ Raw: (r: Uint8Array) => r }, {}, { maxSendMessageSize: 10 });
    try {
      await assert.rejects(createClient(TestSvc, f.channel).Raw(new Uint8Array(11)), (e: GrpcError) => e.code === Status.RESOURCE_EXHAUSTED && /send limit/.test(e.details));
    } finally {
      await f.close();
    }
  });

  test('gRPC PROTOCOL-HTTP2 §Requests: request metadata over the server header-list limit is refused, and the server keeps serving', async () => {
    const f = await startServer({ Unary: (r: any) => r }, { maxHeaderListSize: 8192 });
    try {
      const client = createClient(TestSvc, f.channel);
      await assert.rejects(client.Unary(1, { metadata: new Metadata({ 'x-big': 'a'.repeat(20_000) }) }), (e: GrpcError) => {
        assert.equal(e.code, Status.RESOURCE_EXHAUSTED);
        assert.match(e.details, /RST_STREAM ENHANCE_YOUR_CALM/);
        return true;
      });
      assert.equal(await client.Unary(2, { metadata: new Metadata({ 'x-small': 'a'.repeat(1000) }) }), 2);
    } finally {
      await f.close();
    }
  });

  test('RFC 9113 §6.5.2: SETTINGS_MAX_CONCURRENT_STREAMS bounds the calls running at once on a connection', async () => {
    let running = 0;
    let peak = 0;
    const f = await startServer(
      {
        async Unary(r: any) {
          running++;
          peak = Math.max(peak, running);
          await sleep(50);
          running--;
          return r;
        },
      },
      { maxConcurrentStreams: 2 },
    );
    try {
      const client = createClient(TestSvc, f.channel);
      const out = await Promise.all(Array.from({ length: 8 }, (_, i) => client.Unary(i)));
      assert.deepEqual(out, [0, 1, 2, 3, 4, 5, 6, 7]);
      assert.ok(peak <= 2, `peak ${peak}`);
    } finally {
      await f.close();
    }
  });
});

describe('connection lifecycle', () => {
  test('gRPC PROTOCOL-HTTP2 §GOAWAY Frame: shutdown sends GOAWAY, lets the call in flight finish, and refuses new ones', async () => {
    const rec = createTraceRecorder();
    let started!: () => void;
    const inFlight = new Promise<void>((r) => (started = r));
    const f = await startServer(
      {
        async Unary(r: any) {
          started();
          await sleep(200);
          return r;
        },
      },
      { tracer: rec.tracer },
    );
    try {
      const client = createClient(TestSvc, f.channel);
      const call = client.Unary('slow');
      await inFlight;
      const closing = f.server.close(5000);
      assert.equal(await call, 'slow');
      await closing;
      assert.ok(rec.filter('goaway').some((e) => e.dir === '->'));
      assert.ok(rec.filter('end').some((e) => /GOAWAY NO_ERROR: server shutting down/.test(e.summary)));
      await assert.rejects(client.Unary('late'), (e: GrpcError) => e.code === Status.UNAVAILABLE && /connection refused/.test(e.details));
    } finally {
      f.channel.close();
      await f.server.close();
    }
  });

  test('gRPC PROTOCOL-HTTP2 §GOAWAY Frame: calls still running when the shutdown grace ends are cancelled', async () => {
    let signalReason: unknown;
    const f = await startServer({
      async Unary(_r: unknown, call: ServerCall) {
        await new Promise((r) => call.signal.addEventListener('abort', r));
        signalReason = call.signal.reason;
        return 0;
      },
    });
    const p = createClient(TestSvc, f.channel)
      .Unary({})
      .then(
        () => undefined,
        (e: GrpcError) => e,
      );
    await sleep(100);
    await f.server.close(100);
    const err = await p;
    assert.equal(err?.code, Status.UNAVAILABLE);
    assert.match(err!.details, /GOAWAY NO_ERROR; \/barewire.test.Echo\/Unary did not finish/);
    assert.equal((signalReason as GrpcError).code, Status.UNAVAILABLE);
    f.channel.close();
  });

  test('gRPC PROTOCOL-HTTP2 §Connection failure: a refused connection fails with UNAVAILABLE saying so, and the channel reconnects later', async () => {
    const probe = net.createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as net.AddressInfo).port;
    await new Promise((r) => probe.close(r));
    const channel = new Channel(`127.0.0.1:${port}`);
    try {
      await assert.rejects(createClient(TestSvc, channel).Unary(1), (e: GrpcError) => e.code === Status.UNAVAILABLE && /connection refused/.test(e.details));
      const server = new Server().addService(TestSvc, { Unary: (r: any) => r });
      await server.listen(port);
      try {
        assert.equal(await createClient(TestSvc, channel).Unary(5), 5);
        // The session drops (server restarts); the next call opens a new one.
        await server.close(100);
        const again = new Server().addService(TestSvc, { Unary: (r: any) => r + 1 });
        await again.listen(port);
        try {
          assert.equal(await createClient(TestSvc, channel).Unary(5), 6);
        } finally {
          channel.close();
          await again.close(100);
        }
      } finally {
        await server.close(100);
      }
    } finally {
      channel.close();
    }
  });

  test('gRPC PROTOCOL-HTTP2 §PING Frame: the server sends keepalive PINGs and the connection stays up when they are answered', async () => {
    const rec = createTraceRecorder();
    const f = await startServer({ Unary: (r: any) => r }, { keepaliveTimeMs: 50, tracer: rec.tracer });
    try {
      assert.equal(await createClient(TestSvc, f.channel).Unary(1), 1);
      await sleep(300);
      assert.ok(rec.filter((e) => e.kind === 'ping' && e.dir === '<-').length >= 2);
      assert.equal(await createClient(TestSvc, f.channel).Unary(2), 2);
      assert.equal(f.server.connections, 1);
    } finally {
      await f.close();
    }
  });

  test('gRPC PROTOCOL-HTTP2 §PING Frame: a client that never answers the server keepalive PING is disconnected', async () => {
    const rec = createTraceRecorder();
    const f = await startServer({ Unary: (r: any) => r }, { keepaliveTimeMs: 100, keepaliveTimeoutMs: 200, tracer: rec.tracer });
    // A raw peer: the HTTP/2 client preface and an empty SETTINGS frame, then silence (no PING ack).
    const sock = net.connect(f.port, '127.0.0.1');
    sock.on('error', () => {});
    sock.on('data', () => {});
    sock.write(Buffer.concat([Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'), Buffer.from('000000040000000000', 'hex')]));
    try {
      await new Promise((resolve, reject) => {
        sock.once('close', resolve);
        setTimeout(() => reject(new Error('the server kept a peer that does not answer PINGs')), 10_000).unref();
      });
      for (let i = 0; i < 50 && !rec.filter('end').length; i++) await sleep(20);
      assert.ok(rec.filter('end').some((e) => /keepalive PING not answered within 200 ms/.test(e.summary)));
    } finally {
      sock.destroy();
      await f.close();
    }
  });

  test('gRPC PROTOCOL-HTTP2 §PING Frame: a client keepalive PING with no answer fails the calls with UNAVAILABLE', async () => {
    // A peer that completes the HTTP/2 preface exchange, then never answers anything.
    const sockets: net.Socket[] = [];
    const mute = net.createServer((s) => {
      sockets.push(s);
      s.on('error', () => {});
      s.write(Buffer.from('000000040000000000', 'hex'));
      s.resume();
    });
    await new Promise<void>((r) => mute.listen(0, '127.0.0.1', r));
    const port = (mute.address() as net.AddressInfo).port;
    const channel = new Channel(`127.0.0.1:${port}`, { keepaliveTimeMs: 100, keepaliveTimeoutMs: 200 });
    try {
      await assert.rejects(createClient(TestSvc, channel).Unary(1), (e: GrpcError) => e.code === Status.UNAVAILABLE && /keepalive PING .* not answered/.test(e.details));
    } finally {
      channel.close();
      for (const s of sockets) s.destroy();
      await new Promise((r) => mute.close(r));
    }
  });

  test('gRPC PROTOCOL-HTTP2 §GOAWAY Frame: GOAWAY ENHANCE_YOUR_CALM too_many_pings is reported and raises the keepalive interval', async () => {
    const h2 = http2.createServer();
    const sessions: http2.ServerHttp2Session[] = [];
    h2.on('session', (s) => {
      sessions.push(s);
      s.on('ping', () => s.goaway(11, 0, Buffer.from('too_many_pings')));
    });
    h2.on('stream', () => {});
    await new Promise<void>((r) => h2.listen(0, '127.0.0.1', r));
    const port = (h2.address() as net.AddressInfo).port;
    const channel = new Channel(`127.0.0.1:${port}`, { keepaliveTimeMs: 50 });
    try {
      await assert.rejects(createClient(TestSvc, channel).Unary(1, { timeoutMs: 3000 }), (e: GrpcError) => {
        assert.equal(e.code, Status.UNAVAILABLE);
        assert.match(e.details, /peer sent GOAWAY ENHANCE_YOUR_CALM too_many_pings: keepalive interval raised to 100 ms/);
        return true;
      });
    } finally {
      channel.close();
      h2.close();
      for (const s of sessions) s.destroy();
    }
  });

  test('gRPC PROTOCOL-HTTP2 §Connection Management: an idle connection is closed by the server with GOAWAY', async () => {
    const rec = createTraceRecorder();
    const f = await startServer({ Unary: (r: any) => r }, { idleTimeoutMs: 100, tracer: rec.tracer });
    try {
      assert.equal(await createClient(TestSvc, f.channel).Unary(1), 1);
      for (let i = 0; i < 100 && f.server.connections > 0; i++) await sleep(20);
      assert.equal(f.server.connections, 0);
      assert.ok(rec.filter('end').some((e) => /idle/.test(e.summary)));
      assert.equal(await createClient(TestSvc, f.channel).Unary(2), 2, 'the channel reconnects');
    } finally {
      await f.close();
    }
  });

  test('gRPC PROTOCOL-HTTP2 §Requests: metadata reaches the handler (repeated keys may arrive joined with ","), reserved headers do not', async () => {
    let md: Metadata | undefined;
    const f = await startServer({
      Unary(r: any, call: ServerCall) {
        md = call.metadata;
        return r;
      },
    });
    try {
      await createClient(TestSvc, f.channel).Unary(1, { metadata: new Metadata({ 'x-a': ['1', '2'], 'x-b-bin': new Uint8Array([0]) }) });
      // Node joins repeated header fields with ", "; the spec calls that semantically equivalent.
      assert.deepEqual(md!.get('x-a'), ['1, 2']);
      assert.deepEqual(md!.first('x-b-bin'), new Uint8Array([0]));
      assert.ok(!md!.has('content-type') && !md!.has('te') && !md!.has('user-agent') && !md!.has('grpc-accept-encoding'));
    } finally {
      await f.close();
    }
  });
});

