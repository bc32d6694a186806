/**
 * stdio JSON-RPC round trips: a parent calls a child over its stdin/stdout
 * pipes, Content-Length framing, against vscode-jsonrpc doing the same
 * (vscode-jsonrpc client -> vscode-jsonrpc child server). Two loads: one
 * request in flight at a time (latency-bound), and a window of 100 in flight
 * (throughput-bound).
 *
 *   node --import tsx bench/run.ts stdio
 *
 * The children are this same file, started with `--stdio-bench-child barewire|vscode`.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import rpc from 'vscode-jsonrpc/node';
import { compare } from './harness.js';
import { spawnPeer, type ChildPeer } from '../lib/stdio/process.js';
import { serveStdio } from '../lib/stdio/serve.js';
import type { Params } from '../lib/stdio/jsonrpc.js';

const { createMessageConnection, StreamMessageReader, StreamMessageWriter } = rpc;
const SELF = fileURLToPath(import.meta.url);
const childRole = process.argv.indexOf('--stdio-bench-child');

if (childRole !== -1) {
  const role = process.argv[childRole + 1];
  if (role === 'barewire') {
    const framing = process.argv.includes('--ndjson') ? 'ndjson' : 'content-length';
    serveStdio((peer) => peer.onRequest('add', (p: Params | undefined) => (p as number[])[0] + (p as number[])[1]), { framing }).done.then(() => process.exit(0));
  } else {
    const conn = createMessageConnection(new StreamMessageReader(process.stdin), new StreamMessageWriter(process.stdout));
    conn.onRequest('add', (a: number, b: number) => a + b);
    conn.onClose(() => process.exit(0));
    conn.listen();
  }
}

type Call = (i: number) => Promise<unknown>;

async function sequential(call: Call, n: number): Promise<number> {
  for (let i = 0; i < n; i++) {
    const r = await call(i);
    if (r !== i + 1) throw new Error(`wrong answer ${String(r)} for ${i}`);
  }
  return n;
}

async function windowed(call: Call, n: number, width: number): Promise<number> {
  let next = 0;
  const worker = async () => {
    while (next < n) {
      const i = next++;
      const r = await call(i);
      if (r !== i + 1) throw new Error(`wrong answer ${String(r)} for ${i}`);
    }
  };
  await Promise.all(Array.from({ length: width }, worker));
  return n;
}

export default async function main(): Promise<void> {
  const ours: ChildPeer = spawnPeer(process.execPath, ['--import', 'tsx', SELF, '--stdio-bench-child', 'barewire'], { framing: 'content-length' });
  const oursNd: ChildPeer = spawnPeer(process.execPath, ['--import', 'tsx', SELF, '--stdio-bench-child', 'barewire', '--ndjson'], { framing: 'ndjson' });
  const theirsChild: ChildProcess = spawn(process.execPath, ['--import', 'tsx', SELF, '--stdio-bench-child', 'vscode'], { stdio: ['pipe', 'pipe', 'inherit'] });
  const theirs = createMessageConnection(new StreamMessageReader(theirsChild.stdout!), new StreamMessageWriter(theirsChild.stdin!));
  theirs.listen();

  const callOurs: Call = (i) => ours.request('add', [i, 1]);
  const callOursNd: Call = (i) => oursNd.request('add', [i, 1]);
  const callTheirs: Call = (i) => theirs.sendRequest('add', i, 1);
  // Both started: one call each before measuring.
  await Promise.all([callOurs(0), callOursNd(0), callTheirs(0)]);

  await compare(
    'stdio JSON-RPC round trips, 1 in flight (Content-Length)',
    [
      { name: 'barewire', run: () => sequential(callOurs, 3000) },
      { name: 'vscode-jsonrpc', run: () => sequential(callTheirs, 3000) },
    ],
    { unit: 'req/s' },
  );
  await compare(
    'stdio JSON-RPC round trips, 100 in flight (Content-Length)',
    [
      { name: 'barewire', run: () => windowed(callOurs, 30000, 100) },
      { name: 'vscode-jsonrpc', run: () => windowed(callTheirs, 30000, 100) },
    ],
    { unit: 'req/s' },
  );
  await compare(
    'stdio JSON-RPC round trips, 100 in flight (barewire NDJSON vs vscode-jsonrpc Content-Length)',
    [
      { name: 'barewire ndjson', run: () => windowed(callOursNd, 30000, 100) },
      { name: 'vscode-jsonrpc', run: () => windowed(callTheirs, 30000, 100) },
    ],
    { unit: 'req/s' },
  );

  theirs.dispose();
  theirsChild.stdin!.end();
  await Promise.all([ours.shutdown(), oursNd.shutdown(), new Promise((r) => theirsChild.once('close', r))]);
}
