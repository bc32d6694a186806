// Hostile and broken peers: raw HTTP/2 requests no gRPC client would send,
// and servers or proxies that answer with something that is not gRPC.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import * as http from 'node:http';
import * as http2 from 'node:http2';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { Channel, createClient, GrpcError, Status } from '../../lib/grpc/index.js';
import { encodeMessage } from '../../lib/grpc/frame.js';
import { createTraceRecorder } from '../../lib/trace/index.js';
import { TestSvc, startServer, sleep, rawRequest, rawStatus } from './helpers.js';

const unaryPath = TestSvc.methods.Unary.path;

describe('bad requests to the server', () => {
  test('gRPC PROTOCOL-HTTP2 §Requests: a content-type that is not application/grpc gets HTTP 415', async () => {
    let called = false;
    const f = await startServer({ Unary: () => (called = true) });
    try {
      for (const ct of ['application/json', 'text/plain', 'application/grpc-web', 'application/grpcx']) {
        const r = await rawRequest(f.url, { ':path': unaryPath, 'content-type': ct }, encodeMessage(Buffer.from('1')));
        assert.equal(r.headers[':status'], 415, ct);
        assert.equal(r.headers['grpc-status'], undefined);
        assert.match(r.body.toString(), /content-type must be application\/grpc/);
      }
      const none = await rawRequest(f.url, { ':path': unaryPath, 'content-type': undefined as unknown as string }, encodeMessage(Buffer.from('1')));
      assert.equal(none.headers[':status'], 415);
      assert.equal(called, false);
    } finally {
      await f.close();
    }
  });

  test('gRPC PROTOCOL-HTTP2 §Requests: a method other than POST gets HTTP 405 with Allow: POST', async () => {
    const f = await startServer({ Unary: (r: any) => r });
    try {
      for (const method of ['GET', 'PUT']) {
        const r = await rawRequest(f.url, { ':method': method, ':path': unaryPath }, method === 'GET' ? undefined : encodeMessage(Buffer.from('1')));
        assert.equal(r.headers[':status'], 405, method);
        assert.equal(r.headers['allow'], 'POST');
      }
    } finally {
      await f.close();
    }
  });

  test('INTEROP.md §grpc serve: a malformed grpc-timeout gets INTERNAL', async () => {
    let called = false;
    const f = await startServer({ Unary: () => (called = true) });
    try {
      for (const t of ['123456789S', '10', 'S', '1x', '-1S', '1.5S']) {
        const r = await rawRequest(f.url, { ':path': unaryPath, 'grpc-timeout': t }, encodeMessage(Buffer.from('1')));
        const s = rawStatus(r);
        assert.equal(s.code, Status.INTERNAL, t);
        assert.match(decodeURIComponent(s.message!), /malformed grpc-timeout/);
      }
      assert.equal(called, false);
    } finally {
      await f.close();
    }
  });

  test('advisory §CVE-2024-37168: a length prefix over the receive limit is refused from the prefix alone, before the body arrives', async () => {
    const rec = createTraceRecorder();
    const f = await startServer({ Raw: (r: Uint8Array) => r }, { tracer: rec.tracer });
    try {
      // Announce 2 GiB and send nothing more; the answer must come without waiting for the body.
      const r = await rawRequest(f.url, { ':path': TestSvc.methods.Raw.path }, async (stream) => {
        stream.write(Buffer.from('007fffffff', 'hex'));
      });
      const s = rawStatus(r);
      assert.equal(s.code, Status.RESOURCE_EXHAUSTED);
      assert.match(decodeURIComponent(s.message!), /2 GiB .* over the 4 MiB receive limit/);
      assert.equal(rec.filter('message').length, 0, 'no message was delivered');
      assert.equal((await createClient(TestSvc, f.channel).Raw(new Uint8Array([1]))).length, 1, 'the server keeps serving');
    } finally {
      await f.close();
    }
  });

  test('advisory §CVE-2024-37168: a small compressed request that inflates past the receive limit gets RESOURCE_EXHAUSTED', async () => {
    const f = await startServer({ Raw: (r: Uint8Array) => r.subarray(0, 1) });
    try {
      const bomb = gzipSync(Buffer.alloc(64 * 1024 * 1024));
      assert.ok(bomb.length < 100 * 1024);
      const r = await rawRequest(f.url, { ':path': TestSvc.methods.Raw.path, 'grpc-encoding': 'gzip' }, encodeMessage(bomb, true));
      const s = rawStatus(r);
      assert.equal(s.code, Status.RESOURCE_EXHAUSTED);
      assert.match(decodeURIComponent(s.message!), /inflates past the 4 MiB receive limit/);
    } finally {
      await f.close();
    }
  });

  test('gRPC PROTOCOL-HTTP2 §Requests: a malformed length prefix (compressed flag 2) ends the call with INTERNAL', async () => {
    const f = await startServer({ Raw: (r: Uint8Array) => r });
    try {
      const r = await rawRequest(f.url, { ':path': TestSvc.methods.Raw.path }, Buffer.from('020000000161', 'hex'));
      assert.equal(rawStatus(r).code, Status.INTERNAL);
      const flagged = await rawRequest(f.url, { ':path': TestSvc.methods.Raw.path }, Buffer.from('010000000161', 'hex'));
      assert.equal(rawStatus(flagged).code, Status.INTERNAL, 'compressed flag without grpc-encoding');
      const cut = await rawRequest(f.url, { ':path': TestSvc.methods.Raw.path }, Buffer.from('0000000010aabb', 'hex'));
      const s = rawStatus(cut);
      assert.equal(s.code, Status.INTERNAL, 'END_STREAM in the middle of a message');
      assert.match(decodeURIComponent(s.message!), /middle of a message/);
    } finally {
      await f.close();
    }
  });

  test('advisory §slow body: a request body trickled a byte at a time with no deadline is bounded by the receive timeout', async () => {
    const rec = createTraceRecorder();
    let called = false;
    const f = await startServer(
      {
        Raw: (r: Uint8Array) => {
          called = r.length === 100;
          return r;
        },
      },
      { receiveTimeoutMs: 300, tracer: rec.tracer },
    );
    try {
      const t0 = Date.now();
      let sent = 0;
      const r = await rawRequest(f.url, { ':path': TestSvc.methods.Raw.path }, async (stream) => {
        stream.write(Buffer.from('0000000064', 'hex')); // a 100-byte message...
        while (!stream.closed && sent < 200) {
          stream.write(Buffer.from([0])); // ...arriving one byte every 50 ms
          sent++;
          await sleep(50);
        }
      });
      const elapsed = Date.now() - t0;
      assert.equal(r.rstCode, http2.constants.NGHTTP2_CANCEL);
      assert.ok(sent < 100, `the stream was reset before the message completed (${sent} bytes sent)`);
      assert.ok(elapsed < 8000, `reset after ${elapsed} ms`);
      assert.equal(called, false);
      assert.ok(rec.filter('rst').some((e) => /trickled/.test(e.summary)));
      assert.equal((await createClient(TestSvc, f.channel).Raw(new Uint8Array([1]))).length, 1, 'the server keeps serving');
    } finally {
      await f.close();
    }
  });
});

/** A plain HTTP/2 server that answers every request with `respond`. */
async function fakeServer(respond: (stream: http2.ServerHttp2Stream) => void): Promise<{ url: string; close(): Promise<void> }> {
  const h2 = http2.createServer();
  const sessions = new Set<http2.ServerHttp2Session>();
  h2.on('session', (s) => sessions.add(s));
  h2.on('stream', (stream) => {
    stream.on('error', () => {});
    respond(stream);
  });
  await new Promise<void>((r) => h2.listen(0, '127.0.0.1', r));
  return {
    url: `http://127.0.0.1:${(h2.address() as AddressInfo).port}`,
    close: () =>
      new Promise<void>((r) => {
        for (const s of sessions) s.destroy();
        h2.close(() => r());
      }),
  };
}

async function callFake(respond: (stream: http2.ServerHttp2Stream) => void, channelOptions = {}): Promise<GrpcError> {
  const fake = await fakeServer(respond);
  const channel = new Channel(fake.url, channelOptions);
  try {
    await createClient(TestSvc, channel).Raw(new Uint8Array([1]));
    throw new Error('call succeeded');
  } catch (e) {
    assert.ok(e instanceof GrpcError, String(e));
    return e;
  } finally {
    channel.close();
    await fake.close();
  }
}

describe('broken servers and proxies, seen by the client', () => {
  test('advisory §non-gRPC proxy response: an HTTP 404 text body becomes UNIMPLEMENTED without the body read as a length prefix', async () => {
    // "Not Found" read as a prefix would be flag 0x4e: INTERNAL. The mapping must win.
    const e = await callFake((s) => {
      s.respond({ ':status': 404, 'content-type': 'text/plain' });
      s.end('Not Found: no route to upstream\n'.repeat(100));
    });
    assert.equal(e.code, Status.UNIMPLEMENTED);
    assert.match(e.details, /HTTP 404 with content-type text\/plain, not a gRPC response/);
  });

  test('gRPC http-grpc-status-mapping §HTTP to gRPC: a 503 from a proxy is UNAVAILABLE, a 401 UNAUTHENTICATED', async () => {
    const e503 = await callFake((s) => {
      s.respond({ ':status': 503, 'content-type': 'text/html' });
      s.end('<html>busy</html>');
    });
    assert.equal(e503.code, Status.UNAVAILABLE);
    const e401 = await callFake((s) => {
      s.respond({ ':status': 401 });
      s.end();
    });
    assert.equal(e401.code, Status.UNAUTHENTICATED);
  });

  test('gRPC http-grpc-status-mapping §HTTP to gRPC: HTTP 200 with a non-gRPC content-type is UNKNOWN, its body unread', async () => {
    const e = await callFake((s) => {
      s.respond({ ':status': 200, 'content-type': 'text/html' });
      s.end('\xff\xff\xff\xff\xff<html>');
    });
    assert.equal(e.code, Status.UNKNOWN);
    assert.match(e.details, /content-type text\/html, not application\/grpc/);
  });

  test('gRPC PROTOCOL-HTTP2 §Errors: RST_STREAM before trailers maps to a status with a message saying so', async () => {
    const internal = await callFake((s) => {
      s.respond({ ':status': 200, 'content-type': 'application/grpc' });
      s.write(encodeMessage(Buffer.from('x')).subarray(0, 3));
      // destroy() resets without END_STREAM (close() would end the stream first).
      setTimeout(() => s.destroy(new Error('upstream failed')), 20);
    });
    assert.equal(internal.code, Status.INTERNAL);
    assert.equal(internal.details, 'server closed the stream with RST_STREAM INTERNAL_ERROR before sending trailers');
    const refused = await callFake((s) => s.close(http2.constants.NGHTTP2_REFUSED_STREAM));
    assert.equal(refused.code, Status.UNAVAILABLE);
    const calm = await callFake((s) => s.close(http2.constants.NGHTTP2_ENHANCE_YOUR_CALM));
    assert.equal(calm.code, Status.RESOURCE_EXHAUSTED);
  });

  test('gRPC PROTOCOL-HTTP2 §Responses: a response that ends without grpc-status gets a synthesized status', async () => {
    const noTrailers = await callFake((s) => {
      s.respond({ ':status': 200, 'content-type': 'application/grpc' });
      s.end(encodeMessage(Buffer.from('x')));
    });
    assert.equal(noTrailers.code, Status.INTERNAL);
    assert.match(noTrailers.details, /without trailers/);
    const badStatus = await callFake((s) => {
      s.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
      s.on('wantTrailers', () => s.sendTrailers({ 'grpc-status': 'OK' }));
      s.end();
    });
    assert.equal(badStatus.code, Status.UNKNOWN);
    assert.match(badStatus.details, /without a valid grpc-status/);
  });

  test('advisory §CVE-2024-37168: the client refuses an over-limit prefix and a compressed bomb from a server', async () => {
    const big = await callFake((s) => {
      s.respond({ ':status': 200, 'content-type': 'application/grpc' });
      s.write(Buffer.from('0010000000', 'hex'));
    });
    assert.equal(big.code, Status.RESOURCE_EXHAUSTED);
    assert.match(big.details, /256 MiB .* over the 4 MiB receive limit/);
    const bomb = gzipSync(Buffer.alloc(32 * 1024 * 1024));
    const inflated = await callFake((s) => {
      s.respond({ ':status': 200, 'content-type': 'application/grpc', 'grpc-encoding': 'gzip' }, { waitForTrailers: true });
      s.on('wantTrailers', () => s.sendTrailers({ 'grpc-status': '0' }));
      s.end(encodeMessage(bomb, true));
    });
    assert.equal(inflated.code, Status.RESOURCE_EXHAUSTED);
    assert.match(inflated.details, /inflates past the 4 MiB receive limit/);
  });

  test('gRPC PROTOCOL-HTTP2 §Responses: a unary response with two messages, or none, is an error', async () => {
    const two = await callFake((s) => {
      s.respond({ ':status': 200, 'content-type': 'application/grpc' }, { waitForTrailers: true });
      s.on('wantTrailers', () => s.sendTrailers({ 'grpc-status': '0' }));
      s.end(Buffer.concat([encodeMessage(Buffer.from('a')), encodeMessage(Buffer.from('b'))]));
    });
    assert.equal(two.code, Status.INTERNAL);
    assert.match(two.details, /more than one response/);
    const none = await callFake((s) => {
      s.respond({ ':status': 200, 'content-type': 'application/grpc', 'grpc-status': '0' }, { endStream: true });
    });
    assert.equal(none.code, Status.INTERNAL);
    assert.match(none.details, /no response message/);
  });

  test('gRPC PROTOCOL-HTTP2 §Connection failure: a server that does not speak HTTP/2 fails the call with UNAVAILABLE saying so', async () => {
    const h1 = http.createServer((_req, res) => res.end('hello from HTTP/1.1'));
    await new Promise<void>((r) => h1.listen(0, '127.0.0.1', r));
    const channel = new Channel(`127.0.0.1:${(h1.address() as AddressInfo).port}`);
    try {
      await assert.rejects(createClient(TestSvc, channel).Unary(1), (e: GrpcError) => {
        assert.equal(e.code, Status.UNAVAILABLE);
        assert.match(e.details, /did not answer in HTTP\/2 \(is it a gRPC server speaking plaintext h2c\?\)/);
        return true;
      });
    } finally {
      channel.close();
      h1.closeAllConnections();
      h1.close();
    }
  });
});
