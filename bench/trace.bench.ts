/**
 * What tracing costs when no tracer is attached (issue: "nil within noise").
 *
 * Every protocol reports through `if (this.tracer) this.tracer({...})`. To
 * measure that check itself, this benchmark makes a copy of lib/ with every
 * such check compiled out (`if (false)`) and runs the same hot paths on the
 * original (tracer off) and on the copy (no tracing code at all), interleaved:
 *
 *   - the WebSocket receiver parsing 20,000 small masked frames
 *   - a JSON-RPC peer answering 1,000 requests over in-memory pipes
 *
 * A third candidate attaches a tracer that drops every event, to show what
 * tracing costs when it is on.
 */
import { cpSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { compare } from './harness.js';

const here = fileURLToPath(new URL('.', import.meta.url));
const lib = join(here, '..', 'lib');
const stripped = join(here, '.stripped', 'lib');

/** Copy lib/ and compile every tracer check out of the copy. Returns how many checks were removed. */
function makeStrippedCopy(): number {
  rmSync(join(here, '.stripped'), { recursive: true, force: true });
  mkdirSync(stripped, { recursive: true });
  cpSync(lib, stripped, { recursive: true });
  let removed = 0;
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else if (name.endsWith('.ts')) {
        const src = readFileSync(p, 'utf8');
        const out = src.replace(/\bif \((?:this\.)?tracer\)/g, () => {
          removed++;
          return 'if (false)';
        });
        writeFileSync(p, out);
      }
    }
  };
  walk(stripped);
  return removed;
}

export default async function (): Promise<void> {
  const removed = makeStrippedCopy();
  console.log(`compiled out ${removed} tracer checks in the copy of lib/`);
  const load = (root: string, path: string) => import(pathToFileURL(join(root, path)).href);
  const wsOn = await load(lib, 'websocket/index.ts');
  const wsOff = await load(stripped, 'websocket/index.ts');
  const rpcOn = await load(lib, 'stdio/index.ts');
  const rpcOff = await load(stripped, 'stdio/index.ts');

  // --- WebSocket receiver: 20,000 masked 16-byte text frames in one buffer.
  const frames = 20_000;
  const payload = new TextEncoder().encode('{"n":12345}     ');
  const mask = Uint8Array.of(1, 2, 3, 4);
  const one = wsOn.encodeFrame(wsOn.Opcode.TEXT, true, false, payload, mask);
  const stream = Buffer.concat(Array.from({ length: frames }, () => one));
  const parse = (mod: any, tracer?: (e: unknown) => void) => () => {
    let n = 0;
    const r = new mod.Receiver({ role: 'server', tracer }, {
      onMessage: () => n++,
      onPing() {},
      onPong() {},
      onClose() {},
      onError(e: Error) {
        throw e;
      },
    });
    // 16 KiB reads, as a socket would deliver them.
    for (let i = 0; i < stream.length; i += 16384) r.push(stream.subarray(i, i + 16384));
    if (n !== frames) throw new Error(`parsed ${n} of ${frames}`);
    return n;
  };
  await compare('ws receiver, 20k small frames', [
    { name: 'tracer off', run: parse(wsOn) },
    { name: 'tracing compiled out', run: parse(wsOff) },
    { name: 'tracer on (discarding)', run: parse(wsOn, () => {}) },
  ], { unit: 'frames/s', rounds: 15 });

  // --- JSON-RPC peer: requests and answers over in-memory pipes.
  const requests = 1_000;
  const rpc = (mod: any, tracer?: (e: unknown) => void) => async () => {
    const a2b = new PassThrough();
    const b2a = new PassThrough();
    const client = new mod.JsonRpcPeer(b2a, a2b, { tracer });
    const server = new mod.JsonRpcPeer(a2b, b2a, { tracer });
    server.onRequest('echo', (params: unknown) => params);
    const batch = [];
    for (let i = 0; i < requests; i++) batch.push(client.request('echo', [i]));
    await Promise.all(batch);
    a2b.end();
    b2a.end();
    return requests;
  };
  await compare('JSON-RPC peer, 1k requests in flight', [
    { name: 'tracer off', run: rpc(rpcOn) },
    { name: 'tracing compiled out', run: rpc(rpcOff) },
    { name: 'tracer on (discarding)', run: rpc(rpcOn, () => {}) },
  ], { unit: 'req/s', rounds: 15 });

  rmSync(join(here, '.stripped'), { recursive: true, force: true });
}
