import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { PassThrough, Writable } from 'node:stream';
import { JsonRpcPeer, type Diagnostic } from '../../lib/stdio/peer.js';
import { StdioError, invalidParams } from '../../lib/stdio/errors.js';
import { createTraceRecorder } from '../../lib/trace/index.js';
import { demoMethods } from '../../lib/stdio/serve.js';
import { contentLengthMessages, peerPair, until } from './helpers.js';
import { Rand, testSeed } from '../support/random.js';

/** A peer whose other side is raw text we write and read. */
function rawPeer(options: ConstructorParameters<typeof JsonRpcPeer>[2] = {}) {
  const input = new PassThrough();
  const output = new PassThrough();
  const written: string[] = [];
  output.setEncoding('utf8');
  output.on('data', (s: string) => written.push(s));
  const peer = new JsonRpcPeer(input, output, options);
  const diagnostics: Diagnostic[] = [];
  peer.on('diagnostic', (d: Diagnostic) => diagnostics.push(d));
  const sent = () =>
    written
      .join('')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l));
  return { peer, input, output, sent, diagnostics };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('JSON-RPC peer', () => {
  test('JSON-RPC 2.0 §4: both sides send requests on one connection and each answer finds its request by id', async () => {
    const { a, b } = peerPair();
    a.onRequest('whoami', () => 'a');
    b.onRequest('whoami', () => 'b');
    b.onRequest('slow', async (params) => {
      await new Promise((r) => setTimeout(r, 30));
      return params;
    });
    const slow = a.request('slow', ['first']);
    const [ra, rb] = await Promise.all([b.request('whoami'), a.request('whoami')]);
    assert.deepEqual([ra, rb], ['a', 'b']);
    assert.deepEqual(await slow, ['first']); // answered after the later requests: out of order is fine
    a.close();
    b.close();
  });

  test('JSON-RPC 2.0 §4.2: params by position and by name reach the handler as sent', async () => {
    const { a, b } = peerPair();
    demoMethods(b);
    assert.equal(await a.request('subtract', [42, 23]), 19);
    assert.equal(await a.request('subtract', { subtrahend: 23, minuend: 42 }), 19);
    a.close();
    b.close();
  });

  test('JSON-RPC 2.0 §4.1: notifications are delivered in order and never answered', async () => {
    const { a, b, bToA } = peerPair();
    const seen: unknown[] = [];
    b.onNotification('tick', (p) => seen.push(p));
    const replies: Buffer[] = [];
    bToA.on('data', (c: Buffer) => replies.push(c));
    for (let i = 0; i < 100; i++) a.notify('tick', [i]);
    await until(() => seen.length === 100);
    assert.deepEqual(seen, Array.from({ length: 100 }, (_, i) => [i]));
    await tick();
    assert.equal(replies.length, 0);
    a.close();
    b.close();
  });

  test('JSON-RPC 2.0 §5.1: a handler that throws becomes an error response; a StdioError keeps its code, others are -32603 with data', async () => {
    const { a, b } = peerPair();
    b.onRequest('bad', () => {
      throw invalidParams('need x');
    });
    b.onRequest('boom', async () => {
      throw new Error('disk on fire');
    });
    b.onRequest('custom', () => {
      throw new StdioError('SERVER_ERROR', 'database unavailable', { rpcCode: -32001, data: { retry: true } });
    });
    b.onRequest('str', () => {
      throw 'plain string';
    });
    b.onRequest('weird', () => {
      throw Object.create(null); // String() of it throws
    });
    await assert.rejects(a.request('bad'), (e: StdioError) => e.code === 'INVALID_PARAMS' && e.rpcCode === -32602 && e.data === 'need x' && e.remote);
    await assert.rejects(a.request('boom'), (e: StdioError) => e.rpcCode === -32603 && e.message === 'Internal error' && (e.data as { message: string }).message === 'disk on fire');
    await assert.rejects(a.request('custom'), (e: StdioError) => e.code === 'SERVER_ERROR' && e.rpcCode === -32001 && (e.data as { retry: boolean }).retry);
    await assert.rejects(a.request('str'), (e: StdioError) => (e.data as { message: string }).message === 'plain string');
    await assert.rejects(a.request('weird'), (e: StdioError) => (e.data as { message: string }).message === 'a value that cannot be shown');
    await assert.rejects(a.request('nope'), (e: StdioError) => e.code === 'METHOD_NOT_FOUND' && e.rpcCode === -32601);
    a.close();
    b.close();
  });

  test('JSON-RPC 2.0 §6: a batch goes out as one array and each call gets its own answer, in call order', async () => {
    const { a, b, aToB } = peerPair();
    demoMethods(b);
    const frames: string[] = [];
    aToB.on('data', (c: Buffer) => frames.push(c.toString()));
    const results = await a.batch([
      { method: 'sum', params: [1, 2, 4] },
      { method: 'notify_hello', params: [7], notification: true },
      { method: 'subtract', params: [42, 23] },
      { method: 'foo.get', params: { name: 'myself' } },
      { method: 'get_data' },
    ]);
    assert.equal(frames.length, 1);
    assert.equal(JSON.parse(frames[0]).length, 5);
    assert.deepEqual(results.slice(0, 3), [{ ok: true, result: 7 }, undefined, { ok: true, result: 19 }]);
    assert.equal(results[3]?.ok, false);
    assert.equal(results[3]?.ok === false && results[3].error.code, 'METHOD_NOT_FOUND');
    assert.deepEqual(results[4], { ok: true, result: ['hello', 5] });
    await assert.rejects(a.batch([]), RangeError);
    assert.deepEqual(await a.batch([{ method: 'update', notification: true }]), [undefined]);
    a.close();
    b.close();
  });

  test('LSP base protocol §Cancellation Support: aborting the caller\'s signal sends $/cancelRequest, the handler sees its signal abort, the answer is -32800', async () => {
    const { a, b, bToA } = peerPair();
    let handlerSignal: AbortSignal | undefined;
    b.onRequest('wait', (_p, ctx) => {
      handlerSignal = ctx.signal;
      return new Promise((_resolve, reject) => ctx.signal.addEventListener('abort', () => reject(ctx.signal.reason)));
    });
    const answers: string[] = [];
    bToA.on('data', (c: Buffer) => answers.push(c.toString()));
    const diags: Diagnostic[] = [];
    a.on('diagnostic', (d: Diagnostic) => diags.push(d));
    const ac = new AbortController();
    const p = a.request('wait', [], { signal: ac.signal });
    await until(() => handlerSignal !== undefined);
    ac.abort();
    await assert.rejects(p, (e: StdioError) => e.code === 'REQUEST_CANCELLED' && !e.remote);
    await until(() => handlerSignal!.aborted);
    await until(() => answers.join('').includes('-32800'));
    assert.deepEqual(JSON.parse(answers.join('').trim()), { jsonrpc: '2.0', error: { code: -32800, message: 'Request cancelled' }, id: 1 });
    await tick();
    assert.deepEqual(diags, []); // the late -32800 for an abandoned id is dropped quietly
    // An already aborted signal refuses at once and sends nothing.
    await assert.rejects(a.request('wait', [], { signal: AbortSignal.abort() }), (e: StdioError) => e.code === 'REQUEST_CANCELLED');
    assert.equal(a.pendingCount, 0);
    a.close();
    b.close();
  });

  test('LSP base protocol §Cancellation Support: a $/cancelRequest that arrives before its request is not lost', async () => {
    const { peer, input, sent } = rawPeer();
    let called = false;
    peer.onRequest('work', () => {
      called = true;
      return 1;
    });
    input.write('{"jsonrpc":"2.0","method":"$/cancelRequest","params":{"id":7}}\n');
    input.write('{"jsonrpc":"2.0","method":"work","id":7}\n{"jsonrpc":"2.0","method":"work","id":8}\n');
    await until(() => sent().length === 2);
    assert.deepEqual(sent(), [
      { jsonrpc: '2.0', error: { code: -32800, message: 'Request cancelled' }, id: 7 },
      { jsonrpc: '2.0', result: 1, id: 8 },
    ]);
    assert.equal(called, true); // id 8 ran; id 7 never did
    peer.close();
  });

  test('INTEROP.md §stdio serve: $/cancelRequest for an unknown id, or without a usable id, is ignored (no reply)', async () => {
    const { peer, input, sent } = rawPeer();
    demoMethods(peer);
    input.write('{"jsonrpc":"2.0","method":"$/cancelRequest","params":{"id":"nobody"}}\n{"jsonrpc":"2.0","method":"$/cancelRequest","params":[1]}\n{"jsonrpc":"2.0","method":"$/cancelRequest"}\n');
    input.end('{"jsonrpc":"2.0","method":"get_data","id":1}\n');
    await peer.closed;
    assert.deepEqual(sent(), [{ jsonrpc: '2.0', result: ['hello', 5], id: 1 }]);
  });

  test('advisory §request-timeout: a request with no answer within its timeout is rejected, and $/cancelRequest is sent', async () => {
    const { peer, sent } = rawPeer({ requestTimeout: 40 });
    const t0 = Date.now();
    await assert.rejects(peer.request('never'), (e: StdioError) => e.code === 'REQUEST_TIMEOUT' && /within 40 ms/.test(e.message));
    assert.ok(Date.now() - t0 >= 30);
    await until(() => sent().length === 2);
    assert.deepEqual(sent()[1], { jsonrpc: '2.0', method: '$/cancelRequest', params: { id: 1 } });
    // A per-call timeout overrides the peer's.
    await assert.rejects(peer.request('never', undefined, { timeout: 10 }), (e: StdioError) => e.code === 'REQUEST_TIMEOUT');
    peer.close();
  });

  test('JSON-RPC 2.0 §5: a response to an unknown id is ignored with a diagnostic', async () => {
    const { peer, input, sent, diagnostics } = rawPeer({ answerInvalid: false });
    input.write('{"jsonrpc":"2.0","result":1,"id":99}\n{"jsonrpc":"2.0","error":{"code":-32000,"message":"x"},"id":98}\n{"jsonrpc":"2.0","error":{"code":-32700,"message":"Parse error"},"id":null}\n');
    await until(() => diagnostics.length === 3);
    assert.deepEqual(diagnostics.map((d) => d.code), ['UNKNOWN_RESPONSE_ID', 'UNKNOWN_RESPONSE_ID', 'PEER_ERROR']);
    assert.match(diagnostics[0].message, /id 99/);
    assert.deepEqual(sent(), []);
    peer.close();
  });

  test('advisory §pending-limit: the number of pending requests is bounded; more are refused at once, nothing written', async () => {
    const { peer, sent } = rawPeer({ maxPending: 3, requestTimeout: 0 });
    const ps = [peer.request('a'), peer.request('b'), peer.request('c')];
    ps.forEach((p) => p.catch(() => {}));
    await assert.rejects(peer.request('d'), (e: StdioError) => e.code === 'TOO_MANY_PENDING' && /limit 3/.test(e.message));
    await assert.rejects(peer.batch([{ method: 'e' }]), (e: StdioError) => e.code === 'TOO_MANY_PENDING');
    assert.equal(peer.pendingCount, 3);
    await tick();
    assert.equal(sent().length, 3);
    peer.close();
    for (const p of ps) await assert.rejects(p, (e: StdioError) => e.code === 'CONNECTION_CLOSED');
  });

  test('advisory §pending-limit: incoming requests in handlers are bounded; above the limit the peer stops reading', async () => {
    const { peer, input, sent } = rawPeer({ maxConcurrent: 4 });
    const release: (() => void)[] = [];
    peer.onRequest('hold', () => new Promise<string>((r) => release.push(() => r('done'))));
    for (let i = 1; i <= 4; i++) input.write(`{"jsonrpc":"2.0","method":"hold","id":${i}}\n`);
    await until(() => release.length === 4);
    assert.equal(input.isPaused(), true);
    input.write('{"jsonrpc":"2.0","method":"hold","id":5}\n');
    await tick();
    assert.equal(release.length, 4); // not read yet
    release.splice(0).forEach((r) => r());
    await until(() => release.length === 1);
    release[0]();
    await until(() => sent().length === 5);
    assert.equal(peer.activeCount, 0);
    peer.close();
  });

  test('advisory §backpressure: when more than maxOutputBuffer bytes wait in the output the peer stops reading input until it drains', async () => {
    const input = new PassThrough();
    let callback: (() => void) | undefined;
    let writes = 0;
    const output = new Writable({
      highWaterMark: 64,
      write(_chunk, _enc, cb) {
        writes++;
        callback = cb; // hold: the pipe is full
      },
    });
    const peer = new JsonRpcPeer(input, output, { maxOutputBuffer: 64 });
    demoMethods(peer);
    input.write('{"jsonrpc":"2.0","method":"echo","params":["' + 'x'.repeat(100) + '"],"id":1}\n');
    await until(() => input.isPaused(), 5000, 'input paused');
    input.write('{"jsonrpc":"2.0","method":"echo","params":[2],"id":2}\n');
    await tick();
    assert.equal(writes, 1);
    callback!();
    await until(() => writes === 2, 5000, 'second answer written after drain');
    callback!();
    peer.close();
  });

  test('advisory §backpressure: two peers with a thousand requests in flight each way over small pipes do not deadlock', async () => {
    // Each side's output fills its pipe long before the other side answers:
    // pausing input at the pipe's own buffer would stop both forever.
    const a2b = new PassThrough({ highWaterMark: 1024 });
    const b2a = new PassThrough({ highWaterMark: 1024 });
    const a = new JsonRpcPeer(b2a, a2b);
    const b = new JsonRpcPeer(a2b, b2a);
    a.onRequest('echo', (p) => p);
    b.onRequest('echo', (p) => p);
    const calls = [];
    for (let i = 0; i < 1000; i++) calls.push(a.request('echo', [i], { timeout: 20000 }), b.request('echo', [i], { timeout: 20000 }));
    const results = await Promise.all(calls);
    assert.equal(results.length, 2000);
    assert.deepEqual(results[1998], [999]);
    a.close();
    b.close();
  });

  test('INTEROP.md §stdio serve: at end of input, requests in flight are answered before the peer closes; outgoing ones are rejected', async () => {
    const { peer, input, sent } = rawPeer();
    demoMethods(peer);
    const mine = peer.request('ask');
    input.end('{"jsonrpc":"2.0","method":"sleep","params":{"ms":50},"id":"late"}\n');
    await assert.rejects(mine, (e: StdioError) => e.code === 'CONNECTION_CLOSED');
    const reason = await peer.closed;
    assert.equal(reason, 'end of input');
    await until(() => sent().length === 2);
    assert.deepEqual(sent().at(-1), { jsonrpc: '2.0', result: null, id: 'late' });
    await assert.rejects(peer.request('after'), (e: StdioError) => e.code === 'CONNECTION_CLOSED');
    peer.notify('ignored'); // no throw after close
  });

  test('advisory §inspector#343: a banner line from the other side is a diagnostic and the connection goes on', async () => {
    const rec = createTraceRecorder();
    const { peer, input, sent, diagnostics } = rawPeer({ answerInvalid: false, tracer: rec.tracer });
    const p = peer.request('initialize');
    input.write('MCP Nightwatch server running on stdio\n');
    input.write('{"jsonrpc":"2.0","result":{"ok":true},"id":1}\n');
    assert.deepEqual(await p, { ok: true });
    assert.equal(diagnostics[0].code, 'NOT_JSON');
    assert.equal(diagnostics[0].preview, 'MCP Nightwatch server running on stdio');
    await tick();
    assert.equal(sent().length, 1); // only our request: no error answer to a banner
    assert.ok(rec.filter('diagnostic').some((e) => e.summary.startsWith('NOT_JSON')));
    peer.close();
  });

  test('advisory §python-sdk#409: an error text on stdout between responses does not fail the requests waiting', async () => {
    const { peer, input, diagnostics } = rawPeer({ answerInvalid: false });
    const p1 = peer.request('a');
    const p2 = peer.request('b');
    input.write('{"jsonrpc":"2.0","result":"one","id":1}\nError: type object is not subscriptable\n{"jsonrpc":"2.0","result":"two","id":2}\n');
    assert.deepEqual(await Promise.all([p1, p2]), ['one', 'two']);
    assert.deepEqual(diagnostics.map((d) => d.code), ['NOT_JSON']);
    assert.equal(peer.stats.notJson, 1);
    peer.close();
  });

  test('advisory §python-sdk#924: a log line glued before a message (no newline between) is reported and the message still read', async () => {
    const { peer, input, diagnostics } = rawPeer({ answerInvalid: false });
    const p = peer.request('initialize');
    input.write('[50] Add log_handler to original_logger fsspec.mapping{"jsonrpc":"2.0","id":1,"result":{"ok":1}}\n');
    input.write('note: {"jsonrpc" is how a message starts\n');
    assert.deepEqual(await p, { ok: 1 });
    await until(() => diagnostics.length === 3);
    assert.deepEqual(diagnostics.map((d) => [d.code, d.preview]), [
      ['NOT_JSON', '[50] Add log_handler to original_logger fsspec.mapping'],
      ['NOT_JSON', 'note: '],
      ['NOT_JSON', '{"jsonrpc" is how a message starts'],
    ]);
    peer.close();
  });

  test('JSON-RPC 2.0 §5.1: invalid messages from a client-side peer are reported, not answered', async () => {
    const { peer, input, sent, diagnostics } = rawPeer({ answerInvalid: false });
    input.write('[]\n{"jsonrpc":"2.0","method":5}\n');
    await until(() => diagnostics.length === 2);
    assert.deepEqual(diagnostics.map((d) => d.code), ['INVALID_MESSAGE', 'INVALID_MESSAGE']);
    assert.deepEqual(sent(), []);
    peer.close();
  });

  test('LSP base protocol §Header Part: a fatal framing error answers -32700, rejects what waits and closes', async () => {
    const input = new PassThrough();
    const output = new PassThrough();
    let written = '';
    output.on('data', (c: Buffer) => (written += c.toString()));
    const peer = new JsonRpcPeer(input, output, { framing: 'content-length' });
    const waiting = peer.request('question');
    input.write('Content-Length: 2\r\n\r\n{}');
    input.write('Content-Length: 10\r\nbroken\r\n');
    const reason = await peer.closed;
    assert.match(reason, /^framing error: expected a header field/);
    await assert.rejects(waiting, (e: StdioError) => e.code === 'CONNECTION_CLOSED' && /framing error/.test(e.message));
    await until(() => contentLengthMessages(written).length === 3);
    const sent = contentLengthMessages(written) as { id: unknown; error?: { code: number } }[];
    assert.equal(sent[0].id, 1); // our request
    assert.deepEqual(sent[1], { jsonrpc: '2.0', error: { code: -32600, message: 'Invalid Request' }, id: null });
    assert.equal(sent[2].error?.code, -32700);
    assert.equal(sent[2].id, null);
  });

  test('JSON-RPC 2.0 §5.1: a message over the limit is answered -32600 with id null (NDJSON resyncs)', async () => {
    const { peer, input, sent } = rawPeer({ maxMessageBytes: 64 });
    demoMethods(peer);
    input.end('{"jsonrpc":"2.0","method":"echo","params":["' + 'y'.repeat(100) + '"],"id":1}\n{"jsonrpc":"2.0","method":"sum","params":[1,2],"id":2}\n');
    await peer.closed;
    assert.equal(sent().length, 2);
    assert.deepEqual(sent()[0].error.code, -32600);
    assert.equal(sent()[0].id, null);
    assert.deepEqual(sent()[1], { jsonrpc: '2.0', result: 3, id: 2 });
  });

  test('advisory §invalid-utf8: invalid UTF-8 is answered -32700 by a server and counted', async () => {
    const { peer, input, sent } = rawPeer();
    input.end(Buffer.from([0x7b, 0xed, 0xa0, 0x80, 0x7d, 0x0a]));
    await peer.closed;
    assert.equal(sent()[0].error.code, -32700);
    assert.equal(peer.stats.invalidUtf8, 1);
  });

  test('JSON-RPC 2.0 §4.1: a notification handler that throws is a diagnostic, never an answer', async () => {
    const { peer, input, sent, diagnostics } = rawPeer();
    peer.onNotification('n', () => {
      throw new Error('bad');
    });
    peer.onNotification('m', async () => {
      throw new Error('worse');
    });
    input.write('{"jsonrpc":"2.0","method":"n"}\n{"jsonrpc":"2.0","method":"m"}\n');
    await until(() => diagnostics.length === 2);
    assert.deepEqual(diagnostics.map((d) => d.code), ['HANDLER_FAILED', 'HANDLER_FAILED']);
    assert.deepEqual(sent(), []);
    peer.close();
  });

  test('INTEROP.md §Rules common to every verb: the trace shows every message in and out, direction first, with method and id, and the ending', async () => {
    const rec = createTraceRecorder();
    const { a, b } = peerPair({ tracer: rec.tracer, conn: 'A' });
    demoMethods(b);
    await a.request('subtract', [5, 3]);
    a.notify('update', [1]);
    a.close('done here');
    b.close();
    const lines = rec.events.map((e) => `${e.dir} ${e.kind} ${e.summary}`);
    assert.deepEqual(lines, ['-> message request subtract id=1', '<- message response id=1 (subtract)', '-> message notification update', '-- end done here']);
    assert.ok(rec.events.every((e) => e.protocol === 'stdio' && e.conn === 'A'));
    assert.equal(rec.events[0].size, Buffer.byteLength('{"jsonrpc":"2.0","method":"subtract","params":[5,3],"id":1}\n'));
  });

  test('LSP base protocol §Cancellation Support: close() aborts handlers in flight; they answer -32800', async () => {
    const { peer, input, sent } = rawPeer();
    demoMethods(peer);
    input.write('{"jsonrpc":"2.0","method":"sleep","params":{"ms":100000},"id":1}\n');
    await until(() => peer.activeCount === 1);
    peer.close('shutting down');
    await until(() => sent().length === 1);
    assert.deepEqual(sent()[0], { jsonrpc: '2.0', error: { code: -32800, message: 'Request cancelled' }, id: 1 });
  });

  test('advisory §huge-message: an NDJSON line over the 64 MiB default is answered -32600 and skipped; the next request is served', async () => {
    const { peer, input, sent } = rawPeer();
    demoMethods(peer);
    const mib = Buffer.alloc(1024 * 1024, 0x61);
    input.write('{"jsonrpc":"2.0","method":"echo","params":["');
    for (let i = 0; i < 65; i++) input.write(mib);
    input.end('"],"id":1}\n{"jsonrpc":"2.0","method":"sum","params":[2,2],"id":2}\n');
    await peer.closed;
    await until(() => sent().length === 2);
    assert.equal(sent()[0].error.code, -32600);
    assert.equal(sent()[0].id, null);
    assert.match(sent()[0].error.data, /^message of 65 MiB over the 64 MiB limit/);
    assert.deepEqual(sent()[1], { jsonrpc: '2.0', result: 4, id: 2 });
  });

  test('advisory §deep-nesting: params nested 100000 deep echoed back are answered -32603, not a crash; the next request is served', async () => {
    const { peer, input, sent } = rawPeer();
    demoMethods(peer);
    input.end('{"jsonrpc":"2.0","method":"echo","params":' + '['.repeat(1e5) + ']'.repeat(1e5) + ',"id":1}\n{"jsonrpc":"2.0","method":"sum","params":[1],"id":2}\n');
    await peer.closed;
    await until(() => sent().length === 2);
    assert.equal(sent()[0].error.code, -32603);
    assert.match(sent()[0].error.data.message, /^result cannot be sent as JSON/);
    assert.deepEqual(sent()[1], { jsonrpc: '2.0', result: 1, id: 2 });
  });

  test('JSON-RPC 2.0 §5.1: values JSON cannot carry: params refuse to send, a result becomes -32603 (also inside a batch)', async () => {
    const { a, b } = peerPair();
    b.onRequest('big', () => 10n);
    b.onRequest('ok', () => 1);
    await assert.rejects(a.request('x', [1n] as unknown as unknown[]), (e: StdioError) => e.code === 'INVALID_PARAMS' && /cannot be sent as JSON/.test(e.message));
    const cyclic: Record<string, unknown> = {};
    cyclic.self = cyclic;
    await assert.rejects(a.batch([{ method: 'x', params: cyclic }]), (e: StdioError) => e.code === 'INVALID_PARAMS');
    assert.throws(() => a.notify('n', cyclic), (e: StdioError) => e.code === 'INVALID_PARAMS');
    assert.equal(a.pendingCount, 0);
    await assert.rejects(a.request('big'), (e: StdioError) => e.rpcCode === -32603);
    const r = await a.batch([{ method: 'ok' }, { method: 'big' }]);
    assert.deepEqual(r[0], { ok: true, result: 1 });
    assert.equal(r[1]?.ok === false && r[1].error.rpcCode, -32603);
    a.close();
    b.close();
  });

  test('advisory §fuzz: random bytes and broken JSON-RPC never crash a peer, in either framing (seeded)', async () => {
    const rand = new Rand(testSeed('stdio peer fuzz'));
    const pieces = ['{', '}', '[', ']', '"jsonrpc":"2.0"', '"id":', '1', 'null', '"method":"sum"', '"params":[1,2]', ',', ':', '\n', '\r\n', 'Content-Length: ', '12', '\r\n\r\n', '$/cancelRequest', '"result":', '"error":{"code":-1,"message":"m"}', '\u00e9', '😀'];
    for (const framing of ['ndjson', 'content-length'] as const) {
      for (let round = 0; round < 30; round++) {
        const { peer, input, output } = rawPeer({ framing, maxMessageBytes: 4096 });
        let out = '';
        output.on('data', (c: string) => (out += c));
        demoMethods(peer);
        for (let i = 0; i < 40; i++) {
          input.write(rand.bool(0.3) ? Buffer.from(rand.bytes(rand.range(1, 64))) : Buffer.from(Array.from({ length: rand.range(1, 12) }, () => rand.pick(pieces)).join('')));
        }
        input.end('\n{"jsonrpc":"2.0","method":"sum","params":[1,2],"id":"last"}\n');
        const reason = await peer.closed;
        assert.ok(reason === 'end of input' || reason.startsWith('framing error'), reason);
        // NDJSON resynchronises at every newline: the last request is always answered.
        if (framing === 'ndjson') await until(() => out.includes('{"jsonrpc":"2.0","result":3,"id":"last"}'), 5000, `answer in round ${round}`);
      }
    }
  });

  test('advisory §graceful-close: close() waits for aborted handlers to answer, at most the grace period', async () => {
    const { peer, input } = rawPeer();
    peer.onRequest('stubborn', () => new Promise(() => {})); // ignores its signal
    input.write('{"jsonrpc":"2.0","method":"stubborn","id":1}\n');
    await until(() => peer.activeCount === 1);
    peer.close('bye', 50);
    peer.close('twice is harmless');
    assert.equal(await peer.closed, 'bye (1 requests still unanswered after 50 ms)');
  });

  test('advisory §graceful-close: after close() no further message of the same chunk is handled', async () => {
    const { peer, input, sent } = rawPeer();
    const seen: unknown[] = [];
    peer.onNotification('stop', () => peer.close('stop requested'));
    peer.onNotification('after', (p) => seen.push(p));
    input.write('{"jsonrpc":"2.0","method":"stop"}\n{"jsonrpc":"2.0","method":"after"}\n{"jsonrpc":"2.0","method":"x","id":1}\n');
    assert.equal(await peer.closed, 'stop requested');
    await tick();
    assert.deepEqual(seen, []);
    assert.deepEqual(sent(), []);
  });

  test('advisory §epipe: a failed output (EPIPE) is a diagnostic, not a crash; later requests are refused', async () => {
    const input = new PassThrough();
    const output = new Writable({
      write(_c, _e, cb) {
        cb(Object.assign(new Error('write EPIPE'), { code: 'EPIPE' }));
      },
    });
    const peer = new JsonRpcPeer(input, output);
    const diags: Diagnostic[] = [];
    peer.on('diagnostic', (d: Diagnostic) => diags.push(d));
    peer.notify('x');
    await until(() => diags.length === 1);
    assert.equal(diags[0].code, 'WRITE_FAILED');
    await assert.rejects(peer.request('y'), (e: StdioError) => e.code === 'CONNECTION_CLOSED');
    input.destroy(new Error('gone'));
    assert.match(await peer.closed, /input failed: gone/);
  });
});
