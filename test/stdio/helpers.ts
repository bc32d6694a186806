/** Shared helpers of the stdio tests: in-memory pipes, a served demo server, the CLI as a child. */
import { PassThrough } from 'node:stream';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { JsonRpcPeer, type PeerOptions } from '../../lib/stdio/peer.js';
import { demoMethods, serveStdio } from '../../lib/stdio/serve.js';
import type { Framing } from '../../lib/stdio/framing.js';

export const ROOT = fileURLToPath(new URL('../..', import.meta.url));
export const FIXTURES = fileURLToPath(new URL('./fixtures/', import.meta.url));
export const CLI = ['--import', 'tsx', 'lib/cli.ts'];

/** Run `input` through a demo server (in memory) until end of input; the raw output. */
export async function serveText(input: string | Uint8Array, framing: Framing = 'ndjson', options: PeerOptions = {}): Promise<string> {
  const inp = new PassThrough();
  const out = new PassThrough();
  const chunks: Buffer[] = [];
  out.on('data', (c: Buffer) => chunks.push(c));
  const { done } = serveStdio(demoMethods, { input: inp, output: out, framing, keepStdoutClean: false, ...options });
  inp.end(input);
  await done;
  return Buffer.concat(chunks).toString('utf8');
}

/** Split NDJSON output into parsed values. */
export function lines(text: string): unknown[] {
  return text
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l));
}

/** Split Content-Length output into parsed values (checking each length in bytes). */
export function contentLengthMessages(text: string): unknown[] {
  const buf = Buffer.from(text);
  const out: unknown[] = [];
  let pos = 0;
  while (pos < buf.length) {
    const end = buf.indexOf('\r\n\r\n', pos);
    if (end === -1) throw new Error('no header terminator in output');
    const header = buf.toString('latin1', pos, end);
    const m = /^Content-Length: (\d+)$/m.exec(header);
    if (!m) throw new Error(`no Content-Length in ${JSON.stringify(header)}`);
    const n = Number(m[1]);
    out.push(JSON.parse(buf.toString('utf8', end + 4, end + 4 + n)));
    pos = end + 4 + n;
  }
  return out;
}

/** Two peers connected back to back through in-memory pipes. */
export function peerPair(a: PeerOptions = {}, b: PeerOptions = {}): { a: JsonRpcPeer; b: JsonRpcPeer; aToB: PassThrough; bToA: PassThrough } {
  const aToB = new PassThrough();
  const bToA = new PassThrough();
  return { a: new JsonRpcPeer(bToA, aToB, a), b: new JsonRpcPeer(aToB, bToA, b), aToB, bToA };
}

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Run the CLI (`node --import tsx lib/cli.ts ARGS`) with `input` on stdin. */
export function runCli(args: string[], input?: string | Buffer, opts: { timeoutMs?: number; env?: NodeJS.ProcessEnv } = {}): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [...CLI, ...args], { cwd: ROOT, stdio: ['pipe', 'pipe', 'pipe'], env: opts.env ?? process.env });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => err.push(c));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`cli ${args.join(' ')} did not exit within ${opts.timeoutMs ?? 60000} ms; stderr: ${Buffer.concat(err)}`));
    }, opts.timeoutMs ?? 60000);
    child.on('error', reject);
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') });
    });
    child.stdin.on('error', () => {});
    if (input !== undefined) child.stdin.end(input);
  });
}

export { waitFor as until } from '../support/wait.js';
