/**
 * Each protocol reports its wire flow through lib/trace, and nothing else
 * draws the tour's diagrams: so the trace of a known exchange must be exactly
 * the expected list of events (direction, kind, and the decoded summary).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { createTraceRecorder, type TraceEvent } from '../../lib/trace/index.js';
import { WebSocket, WebSocketServer, type WebSocketConnection } from '../../lib/websocket/index.js';
import { createItemsApp, createServer, HttpClient } from '../../lib/http/index.js';
import { EventSource, createEventStream } from '../../lib/sse/index.js';
import { grpcScenario } from '../../lib/tour/grpc.js';
import { stdioScenario } from '../../lib/tour/stdio.js';

type Expect = [TraceEvent['dir'], string, RegExp];

function assertTrace(events: TraceEvent[], expected: Expect[]): void {
  const got = events.map((e) => `${e.dir} ${e.kind} ${e.summary}`);
  assert.equal(events.length, expected.length, `events:\n${got.join('\n')}`);
  expected.forEach(([dir, kind, summary], i) => {
    assert.equal(events[i].dir, dir, `event ${i}: ${got[i]}`);
    assert.equal(events[i].kind, kind, `event ${i}: ${got[i]}`);
    assert.match(events[i].summary, summary, `event ${i}: ${got[i]}`);
  });
}

test('RFC 6455 §1.2: a WebSocket echo and close traces handshake, frames with opcode/flags/length, and the ending', async () => {
  const server = http.createServer();
  const srec = createTraceRecorder();
  const wss = new WebSocketServer({ server, tracer: srec.tracer, maxPayload: 1024 });
  wss.on('connection', (c: WebSocketConnection) => (c.onmessage = (e) => c.send(e.data as string)));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `ws://127.0.0.1:${(server.address() as AddressInfo).port}/`;
  try {
    const rec = createTraceRecorder();
    const ws = new WebSocket(url, [], { tracer: rec.tracer, perMessageDeflate: false });
    await new Promise((r) => (ws.onopen = r));
    const echoed = new Promise((r) => (ws.onmessage = r));
    ws.send('hi');
    await echoed;
    ws.close(1000, 'bye');
    await new Promise((r) => (ws.onclose = r));
    assertTrace(rec.events, [
      ['->', 'handshake', /^GET \/ key=\S{24} protocol="" extensions=""$/],
      ['<-', 'handshake', /^101 /],
      ['--', 'open', /^protocol="" extensions=""$/],
      ['->', 'frame', /^text fin=1 rsv=000 mask=1 len=2 "hi"$/],
      ['<-', 'frame', /^text fin=1 rsv=000 mask=0 len=2 "hi"$/],
      ['->', 'frame', /^close fin=1 rsv=000 mask=1 len=5 code=1000 "bye"$/],
      ['<-', 'frame', /^close fin=1 rsv=000 mask=0 len=2 code=1000$/],
      ['--', 'end', /^close 1000: handshake completed, started by this side$/],
    ]);
    assert.deepEqual(rec.events.filter((e) => e.kind === 'frame').map((e) => e.size), [8, 4, 11, 4], 'sizes are header + payload on the wire');

    // The ending says why, in words: a message over the limit.
    const big = new WebSocket(url, [], { perMessageDeflate: false });
    await new Promise((r) => (big.onopen = r));
    big.send('x'.repeat(2048));
    const closed = await new Promise<{ code: number; reason: string }>((r) => (big.onclose = r as never));
    assert.equal(closed.code, 1009);
    const ending = () => srec.filter((e) => e.kind === 'end' && e.summary.startsWith('close 1009'));
    for (let i = 0; i < 200 && ending().length === 0; i++) await new Promise((r) => setTimeout(r, 10));
    assert.match(ending()[0]?.summary ?? '(no ending traced)', /^close 1009: message of 2 KiB over the 1 KiB limit/);
  } finally {
    await wss.close();
    server.close();
  }
});

test('RFC 9110 §6: an HTTP exchange traces each request and response with status and sizes, on both sides', async () => {
  const srec = createTraceRecorder();
  const server = createServer(createItemsApp(), { tracer: srec.tracer });
  const { url } = await server.listen(0);
  const rec = createTraceRecorder();
  const agent = new http.Agent({ keepAlive: true });
  try {
    const client = new HttpClient({ baseUrl: url, agent, cache: false, tracer: rec.tracer });
    await client.request('POST', '/items', { body: { a: 1 } });
    await client.request('GET', '/items/1');
    assertTrace(rec.events, [
      ['->', 'headers', /^POST \/items$/],
      ['<-', 'headers', /^201 Created body 16 B$/],
      ['->', 'headers', /^GET \/items\/1$/],
      ['<-', 'headers', /^200 OK body 16 B$/],
    ]);
    assertTrace(srec.events, [
      ['--', 'open', /^connection from 127\.0\.0\.1:\d+$/],
      ['<-', 'headers', /^POST \/items HTTP\/1\.1 \(\d+ header fields\)$/],
      ['<-', 'data', /^request body 7 B$/],
      ['->', 'headers', /^201 Created .*location=\/items\/1 content-length=16/],
      ['->', 'data', /^response body 16 B$/],
      ['<-', 'headers', /^GET \/items\/1 HTTP\/1\.1/],
      ['->', 'headers', /^200 OK .*etag="[^"]+"/],
      ['->', 'data', /^response body 16 B$/],
    ]);
    assert.ok(srec.events[1].size! > 100, 'the request head size is the real one on the wire');
  } finally {
    agent.destroy();
    await server.close(500);
  }
});

test('WHATWG HTML §9.2.6: an event stream traces the request, the 200, each dispatched event and the ending', async () => {
  const srec = createTraceRecorder();
  const server = http.createServer((req, res) => {
    const s = createEventStream(req, res, { heartbeat: 0, tracer: srec.tracer });
    s.send({ event: 'tick', id: '1', data: 'a\nb' });
    s.send({ data: 'plain' });
    setTimeout(() => s.close(), 20);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  try {
    const rec = createTraceRecorder();
    const es = new EventSource(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`, { tracer: rec.tracer, maxRetries: 0 });
    await new Promise((r) => es.addEventListener('error', r));
    es.close();
    assertTrace(rec.events, [
      ['->', 'handshake', /^GET http:\/\/127\.0\.0\.1:\d+\/$/],
      ['<-', 'headers', /^200 text\/event-stream; charset=utf-8$/],
      ['<-', 'event', /^tick id=1 data="a\\nb"$/],
      ['<-', 'event', /^message id=1 data="plain"$/],
      ['--', 'end', /^server ended the stream$/],
    ]);
    assertTrace(srec.events, [
      ['->', 'headers', /^200 text\/event-stream$/],
      ['->', 'event', /^tick id=1 data="a\\nb"$/],
      ['->', 'event', /^message data="plain"$/],
      ['--', 'end', /^server ended the stream$/],
    ]);
    assert.equal(srec.events[1].size, Buffer.byteLength('event: tick\nid: 1\ndata: a\ndata: b\n\n'));
  } finally {
    server.close();
  }
});

test('gRPC PROTOCOL-HTTP2 §Protocol: one unary call traces HEADERS, a length-prefixed message, half-close, response headers, message and trailers', async () => {
  const r = await grpcScenario(1);
  const firstCall = r.events.slice(0, 7);
  assertTrace(firstCall, [
    ['--', 'open', /^connected to 127\.0\.0\.1:\d+$/],
    ['->', 'headers', /^stream=1 POST \/tour\.Tour\/Echo/],
    ['->', 'message', /^stream=1 len=7 compressed=0$/],
    ['->', 'data', /^stream=1 END_STREAM/],
    ['<-', 'headers', /^stream=1 :status=200 content-type=application\/grpc/],
    ['<-', 'message', /^stream=1 len=7 compressed=0$/],
    ['<-', 'trailers', /^stream=1 grpc-status=0 OK$/],
  ]);
  assert.equal(firstCall[2].size, 12, '5-byte prefix + 7-byte message');
  assert.match(r.events.at(-1)!.summary, /the client closed the channel/);
});

test('JSON-RPC 2.0 §4: a child process exchange traces the spawn, each request and response with ids, and the exit', async () => {
  const r = await stdioScenario(1);
  const kinds = r.events.map((e) => `${e.dir} ${e.kind}`);
  assert.equal(kinds[0], '-- spawn');
  assert.match(r.events[1].summary, /^request echo id=1$/);
  assert.equal(r.events[1].dir, '->');
  assert.match(r.events[2].summary, /^response id=1/);
  assert.equal(r.events[2].dir, '<-');
  assert.equal(r.events[1].size, Buffer.byteLength('{"jsonrpc":"2.0","id":1,"method":"echo","params":["hello"]}\n'));
  assert.deepEqual(kinds.slice(-2), ['-- exit', '-- end']);
  assert.match(r.events.at(-1)!.summary, /exited with code 0/);
});
