/**
 * Serving JSON-RPC on this process's own stdin and stdout, as a language
 * server or an MCP server does when an editor or an agent starts it.
 *
 *   parent ──stdin──▶  this process  ──stdout──▶ parent     (protocol only)
 *                                    ──stderr──▶ parent's log
 *
 * Two rules make a well-behaved child:
 * - stdout carries protocol messages and nothing else. One stray
 *   `console.log` breaks a client that is strict about framing, so logs go
 *   to stderr (serveStdio can reroute console.log/info/debug there).
 * - end of stdin means the parent is done: answer every request still in
 *   flight, then exit 0.
 *
 * demoMethods() are the methods of `barewire stdio serve`
 * (shared/INTEROP.md §stdio), taken from the examples of JSON-RPC 2.0 §7.
 */
import type { Readable, Writable } from 'node:stream';
import { invalidParams, StdioError } from './errors.js';
import type { Params } from './jsonrpc.js';
import { JsonRpcPeer, type PeerOptions, type RequestContext } from './peer.js';

export interface ServeOptions extends PeerOptions {
  /** Default process.stdin. */
  input?: Readable;
  /** Default process.stdout. */
  output?: Writable;
  /** Send console.log, console.info and console.debug to stderr while serving (default true). */
  keepStdoutClean?: boolean;
}

export interface Served {
  peer: JsonRpcPeer;
  /** Resolves, with the reason in words, once input ended, every request was answered and the output flushed. */
  done: Promise<string>;
}

/** Serve on stdin/stdout (or the given pair). `setup` registers the handlers before any input is read. */
export function serveStdio(setup: (peer: JsonRpcPeer) => void, options: ServeOptions = {}): Served {
  const input = options.input ?? process.stdin;
  const output = options.output ?? process.stdout;
  const restore = options.keepStdoutClean === false ? undefined : rerouteConsole();
  const peer = new JsonRpcPeer(input, output, options);
  setup(peer);
  const done = peer.closed.then(async (reason) => {
    restore?.();
    // Wait until everything written has left this process.
    await new Promise<void>((resolve) => {
      if (!output.writable) return resolve();
      output.write('', () => resolve());
    });
    return reason;
  });
  return { peer, done };
}

/** Point console.log/info/debug at stderr; returns the function that restores them. */
function rerouteConsole(): () => void {
  const saved = { log: console.log, info: console.info, debug: console.debug };
  console.log = console.info = console.debug = console.error;
  return () => {
    console.log = saved.log;
    console.info = saved.info;
    console.debug = saved.debug;
  };
}

function numberAt(params: Params | undefined, index: number, name: string): number {
  const v = Array.isArray(params) ? params[index] : params?.[name];
  if (typeof v !== 'number') throw invalidParams(`${name} must be a number`);
  return v;
}

/** Longest `sleep` accepted, in ms (the largest timer delay Node allows). */
const MAX_SLEEP_MS = 2 ** 31 - 1;

function sleep(params: Params | undefined, ctx: RequestContext): Promise<null> {
  const ms = Array.isArray(params) || params === undefined ? undefined : params.ms;
  if (typeof ms !== 'number' || !Number.isInteger(ms) || ms < 0 || ms > MAX_SLEEP_MS) {
    throw invalidParams(`ms must be a whole number of milliseconds from 0 to ${MAX_SLEEP_MS}`);
  }
  return new Promise((resolve, reject) => {
    const onAbort = () => {
      clearTimeout(timer);
      reject(ctx.signal.reason ?? new StdioError('REQUEST_CANCELLED', 'cancelled'));
    };
    const timer = setTimeout(() => {
      ctx.signal.removeEventListener('abort', onAbort);
      resolve(null);
    }, ms);
    ctx.signal.addEventListener('abort', onAbort, { once: true });
  });
}

/** The methods of `barewire stdio serve` (shared/INTEROP.md §stdio). */
export function demoMethods(peer: JsonRpcPeer): void {
  // JSON-RPC 2.0 §4.2: params by position [minuend, subtrahend] or by name.
  peer.onRequest('subtract', (params) => {
    if (params === undefined) throw invalidParams('subtract takes [minuend, subtrahend] or {"minuend", "subtrahend"}');
    return numberAt(params, 0, 'minuend') - numberAt(params, 1, 'subtrahend');
  });
  peer.onRequest('sum', (params) => {
    if (!Array.isArray(params)) throw invalidParams('sum takes an array of numbers');
    let total = 0;
    for (const v of params) {
      if (typeof v !== 'number') throw invalidParams('sum takes an array of numbers');
      total += v;
    }
    return total;
  });
  peer.onRequest('get_data', () => ['hello', 5]);
  peer.onRequest('echo', (params) => (params === undefined ? null : params));
  peer.onRequest('sleep', sleep);
  // Accepted as notifications (no reply); as requests they answer null.
  for (const method of ['update', 'notify_hello']) {
    peer.onNotification(method, () => {});
    peer.onRequest(method, () => null);
  }
}
