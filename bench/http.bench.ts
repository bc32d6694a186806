/**
 * HTTP API benchmarks (`node --import tsx bench/run.ts http`):
 *
 *  1. requests/s for a small JSON GET (`{"hello":"world"}`) over 50
 *     keep-alive connections: barewire (router + app + server adapter)
 *     against a bare node:http handler writing the same bytes (the floor of
 *     Node) and fastify. One load generator (autocannon, programmatic) in this
 *     process; the three servers live in one child process, so the generator
 *     and the server under test each get a core.
 *  2. the same barewire server with keep-alive against a new TCP connection
 *     per request (our own small node:http generator for both), to put a number
 *     on the cost. Also 1. measured per second of server CPU, which is far
 *     steadier than wall-clock rates on a shared machine.
 *  3. router lookups/s on a 40-route table, barewire's Router against
 *     find-my-way (fastify's router), in process.
 *
 * The child is this same file run with BAREWIRE_HTTP_BENCH_CHILD=1.
 */
import { spawn } from 'node:child_process';
import http from 'node:http';
import { fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';
import { compare } from './harness.js';
import { Router } from '../lib/http/router.js';

const DURATION_S = Number(process.env.BENCH_HTTP_SECONDS ?? 3);
const CONNECTIONS = 50;

// ---------- the child: three servers ----------

async function serveAll(): Promise<void> {
  const { createApp } = await import('../lib/http/app.js');
  const { createServer } = await import('../lib/http/server.js');
  const { default: Fastify } = await import('fastify');

  const app = createApp();
  app.get('/hello', () => ({ hello: 'world' }));
  // A realistic table around it, so the lookup is not trivially the only route.
  app.get('/items', () => []);
  app.get('/items/:id', (ctx) => ({ id: ctx.params.id }));
  app.post('/items', () => ({}));
  const bw = createServer(app);
  const bwAddr = await bw.listen(0);

  const bare = http.createServer((req, res) => {
    const body = JSON.stringify({ hello: 'world' });
    res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
    res.end(body);
  });
  await new Promise<void>((r) => bare.listen(0, '127.0.0.1', () => r()));

  const fastify = Fastify({ logger: false });
  fastify.get('/hello', async () => ({ hello: 'world' }));
  fastify.get('/items', async () => []);
  fastify.get('/items/:id', async (req) => ({ id: (req.params as { id: string }).id }));
  fastify.post('/items', async () => ({}));
  await fastify.listen({ port: 0, host: '127.0.0.1' });
  const fPort = (fastify.server.address() as AddressInfo).port;

  process.stdout.write(JSON.stringify({ barewire: bwAddr.port, node: (bare.address() as AddressInfo).port, fastify: fPort }) + '\n');
  // The parent asks for this process's CPU time around each round (IPC).
  process.on('message', () => {
    const u = process.cpuUsage();
    process.send!((u.user + u.system) / 1e6);
  });
  process.on('disconnect', () => process.exit(0));
}

if (process.env.BAREWIRE_HTTP_BENCH_CHILD === '1') {
  await serveAll();
}

// ---------- the parent: load and compare ----------

async function load(port: number): Promise<number> {
  // autocannon ships no types; this is the part of its programmatic API we use.
  const name = 'autocannon';
  const { default: autocannon } = (await import(name)) as {
    default: (o: { url: string; connections: number; duration: number; pipelining: number }) => Promise<{ non2xx: number; errors: number; requests: { total: number } }>;
  };
  const result = await autocannon({
    url: `http://127.0.0.1:${port}/hello`,
    connections: CONNECTIONS,
    duration: DURATION_S,
    pipelining: 1,
  });
  if (result.non2xx || result.errors) throw new Error(`port ${port}: ${result.non2xx} non-2xx, ${result.errors} errors`);
  return result.requests.total;
}

/**
 * A small generator for the keep-alive comparison: `CONNECTIONS` loops of
 * sequential GETs for `DURATION_S`, through a keep-alive agent or with a new
 * connection (agent: false) for every request. Same client code both ways.
 */
async function ownLoad(port: number, keepAlive: boolean): Promise<number> {
  const agent = keepAlive ? new http.Agent({ keepAlive: true, maxSockets: CONNECTIONS }) : false;
  const until = Date.now() + DURATION_S * 1000;
  let done = 0;
  const one = () =>
    new Promise<void>((resolve, reject) => {
      http
        .get({ host: '127.0.0.1', port, path: '/hello', agent }, (res) => {
          res.resume();
          res.on('end', () => {
            done++;
            resolve();
          });
        })
        .on('error', reject);
    });
  await Promise.all(
    Array.from({ length: CONNECTIONS }, async () => {
      while (Date.now() < until) await one();
    }),
  );
  if (agent) agent.destroy();
  return done;
}

async function routerBench(): Promise<void> {
  const { default: FindMyWay } = await import('find-my-way');
  const routes: [string, string][] = [];
  for (const r of ['users', 'orgs', 'repos', 'teams', 'gists', 'issues', 'events', 'projects']) {
    routes.push(['GET', `/${r}`], ['POST', `/${r}`], ['GET', `/${r}/:id`], ['PUT', `/${r}/:id`], ['DELETE', `/${r}/:id`]);
  }
  routes.push(['GET', '/repos/:id/issues/:number'], ['GET', '/repos/:id/pulls/:number/files'], ['GET', '/static/*']);
  const ours = new Router<number>();
  const fmw = FindMyWay();
  routes.forEach(([m, p], i) => {
    ours.add(m, p, i);
    fmw.on(m as 'GET', p, () => i);
  });
  const paths = ['/users', '/users/42', '/repos/barewire', '/repos/barewire/issues/7', '/repos/x/pulls/3/files', '/static/css/site.css', '/gists/abc123', '/nope/nothing'];
  const N = 200_000;
  let sink = 0;
  await compare(
    'router lookup (40 routes, 8 paths)',
    [
      {
        name: 'barewire',
        run: () => {
          for (let i = 0; i < N; i++) {
            const m = ours.find('GET', paths[i & 7]);
            if (m.kind === 'found') sink += m.handler;
          }
          return N;
        },
      },
      {
        name: 'find-my-way',
        run: () => {
          for (let i = 0; i < N; i++) {
            const m = fmw.find('GET', paths[i & 7]);
            if (m) sink += 1;
          }
          return N;
        },
      },
    ],
    { unit: 'lookups/s' },
  );
  if (sink === -1) console.log(sink);
}

export default async function (): Promise<void> {
  await routerBench();

  const self = fileURLToPath(import.meta.url);
  const child = spawn(process.execPath, ['--import', 'tsx', self], {
    env: { ...process.env, BAREWIRE_HTTP_BENCH_CHILD: '1' },
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
  });
  const serverCpu = () =>
    new Promise<number>((resolve) => {
      child.once('message', (m) => resolve(m as number));
      child.send('cpu');
    });
  /**
   * Requests per second of server CPU: the same load, divided by the CPU time
   * the server process spent on it. On a shared, loaded machine this is far
   * steadier than wall-clock throughput. The harness divides by wall time, so
   * the count is scaled by wall/cpu.
   */
  const perCpu = async (port: number): Promise<number> => {
    const c0 = await serverCpu();
    const t0 = process.hrtime.bigint();
    const n = await load(port);
    const wall = Number(process.hrtime.bigint() - t0) / 1e9;
    const cpu = (await serverCpu()) - c0;
    return (n * wall) / cpu;
  };
  const ports = await new Promise<{ barewire: number; node: number; fastify: number }>((resolve, reject) => {
    let buf = '';
    child.stdout!.on('data', (c) => {
      buf += c;
      const nl = buf.indexOf('\n');
      if (nl !== -1) resolve(JSON.parse(buf.slice(0, nl)));
    });
    child.on('exit', (code) => reject(new Error(`server child exited with ${code}`)));
  });
  try {
    await compare(
      `small JSON GET, keep-alive, ${CONNECTIONS} connections (autocannon, ${DURATION_S} s per round)`,
      [
        { name: 'barewire', run: () => load(ports.barewire) },
        { name: 'node:http bare handler', run: () => load(ports.node) },
        { name: 'fastify', run: () => load(ports.fastify) },
      ],
      { unit: 'req/s', rounds: Number(process.env.BENCH_ROUNDS ?? 5) },
    );
    await compare(
      `small JSON GET, keep-alive, ${CONNECTIONS} connections, per server CPU-second`,
      [
        { name: 'barewire', run: () => perCpu(ports.barewire) },
        { name: 'node:http bare handler', run: () => perCpu(ports.node) },
        { name: 'fastify', run: () => perCpu(ports.fastify) },
      ],
      { unit: 'req/CPU-s', rounds: Number(process.env.BENCH_ROUNDS ?? 5) },
    );
    // SEED.md's "TCP connection overhead for each request", measured.
    await compare(
      `keep-alive vs a connection per request (barewire, ${CONNECTIONS} concurrent node:http clients)`,
      [
        { name: 'barewire keep-alive', run: () => ownLoad(ports.barewire, true) },
        { name: 'barewire connection per request', run: () => ownLoad(ports.barewire, false) },
      ],
      { unit: 'req/s', rounds: 3 },
    );
  } finally {
    child.disconnect();
    child.kill();
  }
}
