/**
 * WebSocket benchmarks: barewire against ws, interleaved in one run.
 *
 *   node --import tsx bench/run.ts websocket
 *
 * 1. Server echo throughput: the same load client (ws's) against the
 *    barewire server and the ws server; 16 B, 1 KiB, 64 KiB, 1 MiB, with and
 *    without permessage-deflate. Each round sends N messages keeping a
 *    window of them in flight, and counts echoes per second.
 * 2. Client echo throughput: the barewire client and the ws client against
 *    the same (ws) server.
 * 3. Memory per idle connection: IDLE connections (default 5000,
 *    BENCH_WS_IDLE to change) opened from a child process to each server;
 *    the server process's heap + external + array buffers (after GC) and RSS
 *    growth, divided by the count.
 */
import { once } from 'node:events';
import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import v8 from 'node:v8';
import vm from 'node:vm';
import WS, { WebSocketServer as WSServer } from 'ws';
import { compare } from './harness.js';
import { WebSocketServer, WebSocket, type WebSocketConnection } from '../lib/websocket/index.js';

const SIZES: [string, number, number][] = [
  // label, bytes, messages per round
  ['16 B', 16, 20000],
  ['1 KiB', 1024, 10000],
  ['64 KiB', 64 * 1024, 600],
  ['1 MiB', 1024 * 1024, 40],
];
const WINDOW = 64;
/** BENCH_WS_SIZES="16 B,1 KiB" runs only those rows. */
const ONLY_SIZES = process.env.BENCH_WS_SIZES?.split(',').map((x) => x.trim());
const sizes = () => SIZES.filter(([label]) => !ONLY_SIZES || ONLY_SIZES.includes(label));

/** A payload that compresses like real text (JSON-ish), the same for every candidate. */
function payload(size: number): Buffer {
  const unit = Buffer.from('{"id":12345,"name":"barewire","tags":["ws","bench"],"ok":true,"n":0.125}\n');
  const out = Buffer.alloc(size);
  for (let i = 0; i < size; i++) out[i] = unit[i % unit.length] ^ ((i * 7919) % 97 === 0 ? 1 : 0);
  return out;
}

interface EchoClient {
  send(data: Buffer): void;
  onEcho(cb: () => void): void;
  close(): Promise<void>;
}

async function wsClient(url: string, deflate: boolean): Promise<EchoClient> {
  const ws = new WS(url, { perMessageDeflate: deflate });
  await once(ws, 'open');
  let cb = () => {};
  ws.on('message', () => cb());
  return {
    send: (d) => ws.send(d),
    onEcho: (f) => (cb = f),
    close: async () => {
      ws.close();
      await once(ws, 'close');
    },
  };
}

async function barewireClient(url: string, deflate: boolean): Promise<EchoClient> {
  const ws = new WebSocket(url, [], { perMessageDeflate: deflate });
  await new Promise((r) => ws.addEventListener('open', r, { once: true }));
  let cb = () => {};
  ws.onmessage = () => cb();
  return {
    send: (d) => ws.send(d),
    onEcho: (f) => (cb = f),
    close: async () => {
      ws.close();
      await new Promise((r) => ws.addEventListener('close', r, { once: true }));
    },
  };
}

/** Send `n` messages with WINDOW in flight; resolve with n when all echoes are back. */
function echoRound(client: EchoClient, data: Buffer, n: number): Promise<number> {
  return new Promise((resolve) => {
    let sent = 0;
    let got = 0;
    client.onEcho(() => {
      got++;
      if (sent < n) {
        client.send(data);
        sent++;
      }
      if (got === n) resolve(n);
    });
    for (; sent < Math.min(WINDOW, n); sent++) client.send(data);
  });
}

async function barewireEchoServer(deflate: boolean) {
  const wss = new WebSocketServer({ port: 0, host: '127.0.0.1', perMessageDeflate: deflate, maxPayload: 100 * 1024 * 1024 });
  await once(wss, 'listening');
  wss.on('connection', (ws: WebSocketConnection) => (ws.onmessage = (e) => ws.send(e.data as Buffer)));
  return { url: wss.url, close: () => wss.close() };
}

async function wsEchoServer(deflate: boolean) {
  const wss = new WSServer({ port: 0, host: '127.0.0.1', perMessageDeflate: deflate, maxPayload: 100 * 1024 * 1024 });
  await once(wss, 'listening');
  wss.on('connection', (ws) => ws.on('message', (data, isBinary) => ws.send(data, { binary: isBinary })));
  const port = (wss.address() as { port: number }).port;
  return {
    url: `ws://127.0.0.1:${port}/`,
    close: () =>
      new Promise<void>((resolve) => {
        for (const c of wss.clients) c.terminate();
        wss.close(() => resolve());
      }),
  };
}

async function serverThroughput(): Promise<void> {
  for (const deflate of [false, true]) {
    const ours = await barewireEchoServer(deflate);
    const theirs = await wsEchoServer(deflate);
    const toOurs = await wsClient(ours.url, deflate);
    const toTheirs = await wsClient(theirs.url, deflate);
    for (const [label, size, count] of sizes()) {
      const n = deflate ? Math.ceil(count / 2) : count;
      const data = payload(size);
      await compare(
        `ws server echo ${label}${deflate ? ' deflate' : ''}`,
        [
          { name: 'barewire server', run: () => echoRound(toOurs, data, n) },
          { name: 'ws server', run: () => echoRound(toTheirs, data, n) },
        ],
        { unit: 'msg/s', bytesPerOp: size, rounds: Number(process.env.BENCH_ROUNDS ?? 5) },
      );
    }
    await toOurs.close();
    await toTheirs.close();
    await ours.close();
    await theirs.close();
  }
}

async function clientThroughput(): Promise<void> {
  for (const deflate of [false, true]) {
    const server = await wsEchoServer(deflate);
    const ours = await barewireClient(server.url, deflate);
    const theirs = await wsClient(server.url, deflate);
    for (const [label, size, count] of sizes()) {
      const n = deflate ? Math.ceil(count / 2) : count;
      const data = payload(size);
      await compare(
        `ws client echo ${label}${deflate ? ' deflate' : ''}`,
        [
          { name: 'barewire client', run: () => echoRound(ours, data, n) },
          { name: 'ws client', run: () => echoRound(theirs, data, n) },
        ],
        { unit: 'msg/s', bytesPerOp: size, rounds: Number(process.env.BENCH_ROUNDS ?? 5) },
      );
    }
    await ours.close();
    await theirs.close();
    await server.close();
  }
}

// --- memory per idle connection -------------------------------------------------------------
// Each server runs in a fresh child process (so one candidate's heap growth never
// flatters the next), the idle clients in another.

function heapish(gc: () => void): { total: number; rss: number } {
  gc();
  gc();
  const m = process.memoryUsage();
  return { total: m.heapUsed + m.external, rss: m.rss };
}

/** Child: run one echo server; report memory when asked. */
async function serverChild(kind: string): Promise<void> {
  v8.setFlagsFromString('--expose-gc');
  const gc = vm.runInNewContext('gc') as () => void;
  const server = kind === 'barewire' ? await barewireEchoServer(true) : await wsEchoServer(true);
  const before = heapish(gc);
  process.send!({ url: server.url });
  process.on('message', () => {
    const after = heapish(gc);
    process.send!({ heap: after.total - before.total, rss: after.rss - before.rss });
  });
}

/** Child: open `count` idle connections to `url`, report, wait to be killed. */
async function idleChild(url: string, count: number): Promise<void> {
  const sockets: WS[] = [];
  for (let i = 0; i < count; i += 100) {
    await Promise.all(
      Array.from({ length: Math.min(100, count - i) }, async () => {
        const ws = new WS(url, { perMessageDeflate: true });
        ws.on('error', () => {});
        sockets.push(ws);
        await once(ws, 'open');
      }),
    );
  }
  process.send!('ready');
}

async function memoryPerConnection(): Promise<{ name: string; heap: number; rss: number; count: number }[]> {
  const count = Number(process.env.BENCH_WS_IDLE ?? 5000);
  const self = fileURLToPath(import.meta.url);
  const results = [];
  for (const [name, kind] of [
    ['barewire server', 'barewire'],
    ['ws server', 'ws'],
  ] as const) {
    const server = fork(self, ['--mem-server', kind], { execArgv: ['--import', 'tsx'] });
    const [{ url }] = (await once(server, 'message')) as [{ url: string }];
    const clients = fork(self, ['--idle-child', url, String(count)], { execArgv: ['--import', 'tsx'] });
    const [msg] = await once(clients, 'message');
    if (msg !== 'ready') throw new Error('idle clients failed');
    await new Promise((r) => setTimeout(r, 1000));
    server.send('report');
    const [{ heap, rss }] = (await once(server, 'message')) as [{ heap: number; rss: number }];
    results.push({ name, heap: heap / count, rss: rss / count, count });
    clients.kill();
    server.kill();
    await Promise.all([once(clients, 'exit'), once(server, 'exit')]);
  }
  console.log(`\nmemory per idle connection (${count} connections, permessage-deflate negotiated, server process)`);
  for (const r of results) console.log(`  ${r.name.padEnd(18)} heap+external ${(r.heap / 1024).toFixed(2)} KiB   rss ${(r.rss / 1024).toFixed(2)} KiB`);
  console.log(`  ratio barewire/ws: heap+external ${(results[0].heap / results[1].heap).toFixed(2)}x, rss ${(results[0].rss / results[1].rss).toFixed(2)}x`);
  return results;
}

if (process.argv[2] === '--idle-child') await idleChild(process.argv[3], Number(process.argv[4]));
if (process.argv[2] === '--mem-server') await serverChild(process.argv[3]);

export default async function (): Promise<void> {
  const only = process.env.BENCH_WS_ONLY; // 'server', 'client' or 'memory'
  if (!only || only === 'server') await serverThroughput();
  if (!only || only === 'client') await clientThroughput();
  if (!only || only === 'memory') await memoryPerConnection();
}
