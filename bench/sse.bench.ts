/**
 * SSE benchmarks (`node --import tsx bench/run.ts sse`):
 *
 *  1. server events/s to 1 and to 100 clients: barewire's SseStream /
 *     SseChannel against the limit, a plain node:http handler writing
 *     preformatted frames (same bytes, same pacing by 'drain'), one write
 *     per event as handlers do, and one write per batch of events (the
 *     ceiling of node:http, and what barewire does with events written in
 *     the same tick). The clients run in a worker thread and count bytes,
 *     so the server's thread does only server work;
 *  2. parser throughput (MB/s) against eventsource-parser, bytes in, events
 *     out (eventsource-parser gets a streaming TextDecoder in front, as it
 *     needs text).
 */
import * as http from 'node:http';
import { Worker } from 'node:worker_threads';
import type { AddressInfo } from 'node:net';
import { createParser as refCreateParser } from 'eventsource-parser';
import { compare } from './harness.js';
import { createEventStream, type SseStream } from '../lib/sse/stream.js';
import { SseChannel } from '../lib/sse/channel.js';
import { createParser } from '../lib/sse/parser.js';
import { encodeEvent, type SseMessage } from '../lib/sse/encoder.js';

const MESSAGE: SseMessage = { event: 'tick', data: JSON.stringify({ n: 12345, text: 'x'.repeat(40) }) };
const FRAME = encodeEvent(MESSAGE);
const FRAME_BYTES = Buffer.byteLength(FRAME);
const BATCH = 64;

interface Rig {
  /** Send `events` events to every client, pacing by drain; resolves when all clients have every byte. */
  round(events: number): Promise<void>;
  close(): Promise<void>;
}

/**
 * The clients live in a worker thread, so the server's thread does only
 * server work: each client counts the bytes it receives, and the worker
 * answers once every client has `target` bytes.
 */
const CLIENTS_WORKER = `
const http = require('node:http');
const { parentPort } = require('node:worker_threads');
let counts = [], reached = 0, target = Infinity;
const agent = new http.Agent({ keepAlive: false, maxSockets: Infinity });
const reqs = [];
parentPort.on('message', (m) => {
  if (m.type === 'connect') {
    counts = new Array(m.n).fill(0);
    let open = 0;
    for (let i = 0; i < m.n; i++) {
      const req = http.get({ port: m.port, host: '127.0.0.1', path: '/', agent }, (res) => {
        res.on('data', (c) => {
          const before = counts[i];
          counts[i] += c.length;
          if (before < target && counts[i] >= target && ++reached === counts.length) {
            target = Infinity;
            parentPort.postMessage('done');
          }
        });
        res.on('error', () => {});
        if (++open === m.n) parentPort.postMessage('connected');
      });
      req.on('error', () => {});
      reqs.push(req);
    }
  } else if (m.type === 'wait') {
    counts.fill(0);
    reached = 0;
    target = m.target;
    parentPort.postMessage('armed');
  } else if (m.type === 'close') {
    for (const r of reqs) r.destroy();
    agent.destroy();
    parentPort.close();
  }
});
`;

async function connectClients(port: number, n: number) {
  const worker = new Worker(CLIENTS_WORKER, { eval: true });
  const next = () => new Promise<void>((resolve) => worker.once('message', () => resolve()));
  const connected = next();
  worker.postMessage({ type: 'connect', port, n });
  await connected;
  return {
    /**
     * Arm the wait for `target` bytes per client; resolves, once armed (so no
     * byte sent after it is missed), to a promise of all clients having them.
     */
    async until(target: number): Promise<{ done: Promise<void> }> {
      const armed = next();
      worker.postMessage({ type: 'wait', target });
      await armed;
      return { done: next() };
    },
    async close() {
      worker.postMessage({ type: 'close' });
      await new Promise((r) => worker.once('exit', r));
    },
  };
}

async function startServer(handler: http.RequestListener) {
  const server = http.createServer(handler);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { server, port: (server.address() as AddressInfo).port };
}

async function barewireRig(clients: number): Promise<Rig> {
  const channel = new SseChannel();
  const streams: SseStream[] = [];
  const { server, port } = await startServer((req, res) => {
    const s = createEventStream(req, res, { heartbeat: 0, maxQueueSize: 64 * 1024 * 1024 });
    streams.push(s);
    channel.add(s);
  });
  const c = await connectClients(port, clients);
  while (channel.size < clients) await new Promise((r) => setTimeout(r, 1));
  return {
    async round(events) {
      const { done } = await c.until(events * FRAME_BYTES);
      for (let i = 0; i < events; i += BATCH) {
        if (clients === 1) for (let k = 0; k < BATCH; k++) streams[0].send(MESSAGE);
        else for (let k = 0; k < BATCH; k++) channel.send(MESSAGE);
        await channel.drained();
      }
      await done;
    },
    async close() {
      channel.close();
      await c.close();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

/** The limit: a plain handler writing preformatted frames, one write per event (or, `joined`, one per batch). */
async function plainRig(clients: number, joined = false): Promise<Rig> {
  const responses: http.ServerResponse[] = [];
  const { server, port } = await startServer((req, res) => {
    res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
    res.flushHeaders();
    req.socket.setNoDelay(true);
    responses.push(res);
  });
  const c = await connectClients(port, clients);
  while (responses.length < clients) await new Promise((r) => setTimeout(r, 1));
  const frame = Buffer.from(FRAME);
  const batchFrame = Buffer.from(FRAME.repeat(BATCH));
  return {
    async round(events) {
      const { done } = await c.until(events * FRAME_BYTES);
      for (let i = 0; i < events; i += BATCH) {
        if (joined) for (const r of responses) r.write(batchFrame);
        else if (clients === 1) for (let k = 0; k < BATCH; k++) responses[0].write(FRAME);
        else for (let k = 0; k < BATCH; k++) for (const r of responses) r.write(frame);
        await Promise.all(responses.filter((r) => r.writableNeedDrain).map((r) => new Promise((ok) => r.once('drain', ok))));
      }
      await done;
    },
    async close() {
      for (const r of responses) r.end();
      await c.close();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

async function serverBench(clients: number, events: number) {
  const ours = await barewireRig(clients);
  const plain = await plainRig(clients);
  const joined = await plainRig(clients, true);
  await compare(
    `sse server: ${events} events to ${clients} client${clients > 1 ? 's' : ''}`,
    [
      { name: 'barewire', run: async () => (await ours.round(events), events * clients) },
      { name: 'node:http preformatted', run: async () => (await plain.round(events), events * clients) },
      { name: 'node:http joined per tick', run: async () => (await joined.round(events), events * clients) },
    ],
    { unit: 'events/s' },
  );
  await ours.close();
  await plain.close();
  await joined.close();
}

/** A mixed stream: many small token events (LLM style), some multi-line ones, comments, ids. */
function corpus(): Uint8Array {
  let text = '';
  let n = 0;
  while (text.length < 4 * 1024 * 1024) {
    n++;
    if (n % 50 === 0) text += ': keep-alive\n\n';
    if (n % 10 === 0) text += `id: ${n}\nevent: block\ndata: line one of ${n}\ndata: line two ${'é'.repeat(20)}\ndata: {"k":[1,2,3]}\n\n`;
    else text += `event: delta\ndata: {"choices":[{"delta":{"content":"tok${n}"}}]}\n\n`;
  }
  return new TextEncoder().encode(text);
}

function chunked(bytes: Uint8Array, size: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < bytes.length; i += size) out.push(bytes.subarray(i, i + size));
  return out;
}

/** Median CPU milliseconds of one call of each function, measured interleaved (less sensitive to a loaded machine than wall time). */
function cpuTimes(fns: (() => unknown)[], rounds = 9): number[] {
  const samples: number[][] = fns.map(() => []);
  for (let r = 0; r < rounds; r++) {
    fns.forEach((f, i) => {
      const u0 = process.cpuUsage();
      f();
      const u = process.cpuUsage(u0);
      samples[i].push((u.user + u.system) / 1000);
    });
  }
  return samples.map((xs) => [...xs].sort((a, b) => a - b)[xs.length >> 1]);
}

async function parserBench(chunkSize: number) {
  const bytes = corpus();
  const chunks = chunked(bytes, chunkSize);
  let sink = 0;
  const ours = () => {
    const p = createParser({ onEvent: (e) => (sink += e.data.length) });
    for (const c of chunks) p.feed(c);
    return 1;
  };
  const theirs = () => {
    const p = refCreateParser({ onEvent: (e) => (sink += e.data.length) });
    const d = new TextDecoder();
    for (const c of chunks) p.feed(d.decode(c, { stream: true }));
    return 1;
  };
  // three streams per round: longer samples average out more of a busy machine's noise
  const thrice = (f: () => number) => () => f() + f() + f();
  await compare(
    `sse parser: 4 MiB stream in ${chunkSize}-byte chunks`,
    [
      { name: 'barewire', run: thrice(ours) },
      { name: 'eventsource-parser', run: thrice(theirs) },
    ],
    { unit: 'streams/s', bytesPerOp: bytes.length },
  );
  const [a, b] = cpuTimes([ours, theirs]);
  console.log(`  CPU time per 4 MiB stream (median of 9, interleaved): barewire ${a.toFixed(1)} ms, eventsource-parser ${b.toFixed(1)} ms, barewire/eventsource-parser speed = ${(b / a).toFixed(2)}x`);
  if (sink === 0) throw new Error('no events parsed');
}

/** SSE_BENCH=parser or SSE_BENCH=server runs only that half. */
export default async function () {
  const only = process.env.SSE_BENCH;
  if (only !== 'server') {
    await parserBench(16 * 1024);
    await parserBench(64);
  }
  if (only !== 'parser') {
    await serverBench(1, 20_000);
    await serverBench(100, 1_000);
  }
}
