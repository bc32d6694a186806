/**
 * A child process as a JSON-RPC peer: the parent's half of stdio.
 *
 *   parent                                   child
 *     |------------ spawn (no shell) ---------->|
 *     |------------ requests on stdin --------->|
 *     |<----------- responses on stdout --------|
 *     |<----------- log lines on stderr --------|
 *     |------------ close stdin --------------->|   shutdown, step 1 (wait closeTimeout)
 *     |------------ SIGTERM ------------------->|   step 2 (wait termTimeout)
 *     |------------ SIGKILL ------------------->|   step 3
 *     |<----------- exit code / signal ---------|
 *
 * - The command and its arguments are an array handed to execve: no shell,
 *   so no quoting and no injection (`; rm -rf ~` is just an argument).
 * - The environment is the parent's plus `env`, or only `env` with
 *   `inheritEnv: false`.
 * - stderr is read line by line (lines longer than `maxStderrLine` are cut)
 *   and reported; nothing from stderr ever reaches the protocol.
 * - A command that cannot start (ENOENT, EACCES) rejects `ready` with a
 *   SPAWN_FAILED error that says which and why.
 * - No orphans: children still running when the parent exits are killed
 *   (SIGKILL) from a process 'exit' hook; and a parent that dies closes the
 *   child's stdin, which a well-behaved child takes as the end. Node reaps
 *   every child it started, so there are no zombies.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import type { Tracer } from '../trace/index.js';
import { StdioError } from './errors.js';
import type { Params } from './jsonrpc.js';
import { JsonRpcPeer, type BatchCall, type CallOptions, type PeerOptions, type Settled } from './peer.js';

export interface SpawnOptions extends PeerOptions {
  cwd?: string;
  /** Variables for the child: added to the parent's environment, or alone with inheritEnv false. */
  env?: Record<string, string | undefined>;
  /** Start from the parent's environment (default true). */
  inheritEnv?: boolean;
  /** Longest stderr line kept whole, in bytes (default 64 KiB); longer ones are cut into pieces. */
  maxStderrLine?: number;
}

export interface ExitInfo {
  /** The exit code, or null when a signal ended the child (or it never started). */
  code: number | null;
  signal: NodeJS.Signals | null;
}

export interface ShutdownOptions {
  /** Wait after closing stdin before SIGTERM (default 2000 ms). */
  closeTimeout?: number;
  /** Wait after SIGTERM before SIGKILL (default 2000 ms). */
  termTimeout?: number;
}

export interface ShutdownResult extends ExitInfo {
  /** What ended it: closing stdin, SIGTERM, or SIGKILL. */
  stage: 'stdin-closed' | 'SIGTERM' | 'SIGKILL';
}

// ---- no orphans: kill what is still running when this process exits ----
const live = new Set<ChildProcess>();
let hooked = false;
function killLiveChildren(): void {
  for (const child of live) {
    try {
      child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
}

function spawnFailure(command: string, err: NodeJS.ErrnoException): StdioError {
  const why =
    err.code === 'ENOENT'
      ? 'no such file or directory (ENOENT): check the command name and PATH'
      : err.code === 'EACCES'
        ? 'permission denied (EACCES): the file is not executable, or is a directory'
        : `${err.message}${err.code ? ` (${err.code})` : ''}`;
  return new StdioError('SPAWN_FAILED', `cannot start ${JSON.stringify(command)}: ${why}`, { cause: err });
}

export class ChildPeer extends EventEmitter {
  readonly child: ChildProcess;
  readonly peer: JsonRpcPeer;
  readonly command: string;
  /** Resolves once the process runs; rejects with SPAWN_FAILED if it cannot start. */
  readonly ready: Promise<void>;
  /** Resolves when the process has exited and its stdout and stderr are closed. */
  readonly exited: Promise<ExitInfo>;
  /** The ending in words, once exited: "child exited with code 1 after writing a non-JSON line to stdout". */
  endReason = '';
  private readonly tracer: Tracer | undefined;
  private readonly conn: string | number;
  private exit: ExitInfo | undefined;
  private spawnError: StdioError | undefined;
  private signalled: { signal: NodeJS.Signals; afterMs: number } | undefined;
  private stdinClosedByUs = false;
  private stderrTail = '';
  private readonly maxStderrLine: number;

  constructor(command: string, args: readonly string[] = [], options: SpawnOptions = {}) {
    super();
    this.command = command;
    this.tracer = options.tracer;
    this.maxStderrLine = options.maxStderrLine ?? 64 * 1024;
    const env = options.inheritEnv === false ? { ...options.env } : { ...process.env, ...options.env };
    this.child = spawn(command, args, { cwd: options.cwd, env, shell: false, stdio: ['pipe', 'pipe', 'pipe'], windowsHide: true });
    this.conn = options.conn ?? `pid ${this.child.pid ?? '?'}`;
    if (this.child.pid !== undefined) {
      live.add(this.child);
      if (!hooked) {
        hooked = true;
        process.once('exit', killLiveChildren);
      }
    }
    const t = this.tracer;
    // The child's own ending is told below, with more words than the peer knows.
    const peerTracer: Tracer | undefined = t && ((e) => (e.kind === 'end' ? undefined : t(e)));
    this.peer = new JsonRpcPeer(this.child.stdout!, this.child.stdin!, { answerInvalid: false, ...options, tracer: peerTracer, conn: this.conn });
    this.peer.on('diagnostic', (d) => this.emit('diagnostic', d));
    this.ready = new Promise((resolve, reject) => {
      this.child.once('spawn', () => {
        if (t) t({ protocol: 'stdio', dir: '--', kind: 'spawn', summary: `${command} ${args.map((a) => JSON.stringify(a)).join(' ')} pid ${this.child.pid}`.trim(), conn: this.conn });
        resolve();
      });
      this.child.once('error', (err: NodeJS.ErrnoException) => {
        if (this.child.pid !== undefined) return; // a failure after start (a kill that failed): not a spawn failure
        this.spawnError = spawnFailure(command, err);
        reject(this.spawnError);
      });
    });
    this.ready.catch(() => {});
    this.child.on('error', () => {}); // reported through `ready`; never an uncaught 'error'
    this.child.stderr!.setEncoding('utf8');
    this.child.stderr!.on('data', (text: string) => this.onStderr(text));
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code, signal) => {
        this.exit = { code, signal };
        live.delete(this.child);
        if (t) t({ protocol: 'stdio', dir: '--', kind: 'exit', summary: code !== null ? `code ${code}` : `signal ${signal}`, conn: this.conn, fields: { code, signal } });
      });
      this.child.once('close', (code: number | null, signal: NodeJS.Signals | null) => {
        this.flushStderr();
        const info = this.exit ?? { code, signal };
        this.peer.close(this.spawnError ? this.spawnError.message : 'child exited');
        this.endReason = this.spawnError ? this.spawnError.message : this.describeEnd(info);
        if (t) t({ protocol: 'stdio', dir: '--', kind: 'end', summary: this.endReason, conn: this.conn, fields: { ...info } });
        this.emit('exit', info);
        resolve(info);
      });
    });
  }

  get pid(): number | undefined {
    return this.child.pid;
  }

  request<T = unknown>(method: string, params?: Params, options?: CallOptions): Promise<T> {
    if (this.spawnError) return Promise.reject(this.spawnError);
    return this.peer.request<T>(method, params, options);
  }

  notify(method: string, params?: Params): void {
    this.peer.notify(method, params);
  }

  batch(calls: BatchCall[], options?: CallOptions): Promise<(Settled | undefined)[]> {
    return this.peer.batch(calls, options);
  }

  /** Close the child's stdin: the polite way to say "we are done". */
  closeStdin(): void {
    if (this.stdinClosedByUs) return;
    this.stdinClosedByUs = true;
    this.child.stdin!.end();
  }

  /**
   * Graceful shutdown: close stdin and wait; then SIGTERM and wait; then
   * SIGKILL. Resolves with how the child ended and at which step.
   */
  async shutdown(options: ShutdownOptions = {}): Promise<ShutdownResult> {
    const closeTimeout = options.closeTimeout ?? 2000;
    const termTimeout = options.termTimeout ?? 2000;
    if (this.spawnError) return { code: null, signal: null, stage: 'stdin-closed' };
    this.closeStdin();
    let info = await this.waitExit(closeTimeout);
    if (info) return { ...info, stage: 'stdin-closed' };
    this.signal('SIGTERM', closeTimeout);
    info = await this.waitExit(termTimeout);
    if (info) return { ...info, stage: 'SIGTERM' };
    this.signal('SIGKILL', termTimeout);
    return { ...(await this.exited), stage: 'SIGKILL' };
  }

  private signal(signal: NodeJS.Signals, afterMs: number): void {
    this.signalled = { signal, afterMs };
    if (this.tracer) this.tracer({ protocol: 'stdio', dir: '->', kind: 'exit', summary: `${signal} after ${afterMs} ms without exit`, conn: this.conn });
    this.child.kill(signal);
  }

  private waitExit(ms: number): Promise<ExitInfo | undefined> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => resolve(undefined), ms);
      this.exited.then((info) => {
        clearTimeout(timer);
        resolve(info);
      });
    });
  }

  private onStderr(text: string): void {
    let start = 0;
    let data = this.stderrTail + text;
    this.stderrTail = '';
    for (;;) {
      const nl = data.indexOf('\n', start);
      if (nl === -1) break;
      this.stderrLine(data.slice(start, nl > start && data.charCodeAt(nl - 1) === 13 ? nl - 1 : nl));
      start = nl + 1;
    }
    data = data.slice(start);
    // A line that will not end soon is cut now: memory stays bounded.
    while (data.length > this.maxStderrLine) {
      this.stderrLine(data.slice(0, this.maxStderrLine));
      data = data.slice(this.maxStderrLine);
    }
    this.stderrTail = data;
  }

  private flushStderr(): void {
    if (this.stderrTail.length > 0) this.stderrLine(this.stderrTail);
    this.stderrTail = '';
  }

  private stderrLine(line: string): void {
    // Lines longer than the limit are reported in pieces of at most maxStderrLine.
    while (line.length > this.maxStderrLine) {
      this.stderrLine(line.slice(0, this.maxStderrLine));
      line = line.slice(this.maxStderrLine);
    }
    if (this.tracer) this.tracer({ protocol: 'stdio', dir: '<-', kind: 'stderr', summary: line, conn: this.conn });
    this.emit('stderr', line);
  }

  /** The ending in words, for the trace and for people. */
  private describeEnd(info: ExitInfo): string {
    let s: string;
    if (info.code !== null) s = `child exited with code ${info.code}`;
    else if (this.signalled && this.signalled.signal === info.signal) {
      s = this.signalled.signal === 'SIGKILL' ? `child killed by SIGKILL after ignoring SIGTERM for ${this.signalled.afterMs} ms` : `child ended by SIGTERM after ${this.signalled.afterMs} ms with stdin closed`;
    } else s = `child killed by ${info.signal}`;
    const stats = this.peer.stats;
    const d = stats.lastDiagnostic;
    if (d && (d.code === 'NOT_JSON' || d.code === 'NON_PROTOCOL_LINE')) s += ` after writing ${stats.notJson > 1 ? `${stats.notJson} non-JSON lines` : 'a non-JSON line'} to stdout`;
    else if (d && d.code === 'INVALID_UTF8') s += ' after writing invalid UTF-8 to stdout';
    else if (d && d.fatal) s += ` after a framing error (${d.message})`;
    else if (this.stdinClosedByUs && info.code !== null) s += ' after its stdin was closed';
    return s;
  }
}

/** Start `command` with `args` (no shell) and talk JSON-RPC with it over its stdin and stdout. */
export function spawnPeer(command: string, args: readonly string[] = [], options: SpawnOptions = {}): ChildPeer {
  return new ChildPeer(command, args, options);
}
