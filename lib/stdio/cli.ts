/**
 * `barewire stdio serve` and `barewire stdio call`, exactly as
 * shared/INTEROP.md §stdio fixes them.
 */
import { CliError, intFlag, stringFlag, untilSignal, UsageError, type ParsedArgs, type ProtocolCommand, type Verb } from '../cli/command.js';
import { createTracePrinter } from '../trace/index.js';
import { StdioError } from './errors.js';
import type { Framing } from './framing.js';
import type { Params } from './jsonrpc.js';
import { spawnPeer } from './process.js';
import { demoMethods, serveStdio } from './serve.js';

function framingFlag(args: ParsedArgs): Framing {
  const f = stringFlag(args, 'framing', 'ndjson');
  if (f !== 'ndjson' && f !== 'content-length') throw new UsageError(`--framing takes ndjson or content-length, got ${JSON.stringify(f)}`);
  return f;
}

const serve: Verb = {
  summary: 'JSON-RPC 2.0 server on this process\'s stdin/stdout (the methods of JSON-RPC 2.0 §7)',
  usage: `usage: barewire stdio serve [--framing ndjson|content-length] [--trace]

A JSON-RPC 2.0 server on its own stdin and stdout. Methods: subtract, sum,
get_data, echo, sleep {"ms": N} (cancellable with $/cancelRequest), and the
notifications update and notify_hello. Only protocol messages go to stdout;
logs and --trace go to stderr. At end of stdin it answers what is in flight
and exits 0.

  --framing F   ndjson (default: one JSON text per line, as MCP) or
                content-length (Content-Length headers, as LSP)
  --trace       print every message to stderr
`,
  options: { framing: { type: 'string' }, trace: { type: 'boolean' } },
  async run(args) {
    const framing = framingFlag(args);
    const tracer = args.values.trace ? createTracePrinter() : undefined;
    const { peer, done } = serveStdio(demoMethods, { framing, tracer });
    const signal = untilSignal().then((sig) => {
      // Graceful: stop reading, cancel what runs (each answers -32800), flush, exit 0.
      peer.close(`${sig}: shutting down`);
    });
    void signal;
    const reason = await done;
    process.stdin.destroy();
    if (reason.startsWith('framing error')) throw new CliError(reason, 1);
    return 0;
  },
};

function paramsFlag(args: ParsedArgs): Params | undefined {
  const raw = stringFlag(args, 'params');
  if (raw === undefined) return undefined;
  let v: unknown;
  try {
    v = JSON.parse(raw);
  } catch (err) {
    throw new UsageError(`--params is not JSON: ${(err as Error).message}`);
  }
  if (typeof v !== 'object' || v === null) throw new UsageError('--params must be a JSON array or object (JSON-RPC 2.0 §4.2)');
  return v as Params;
}

const call: Verb = {
  summary: 'spawn COMMAND (no shell), call METHOD on it over stdin/stdout, print the result',
  usage: `usage: barewire stdio call [--framing F] [--timeout MS] --method M [--params JSON] [--trace] -- COMMAND [ARGS...]

Spawns COMMAND (no shell), sends one request, prints the JSON result as one
line on stdout, then closes the child's stdin and waits: 2 s, SIGTERM, 2 s,
SIGKILL. The child's stderr is passed through to stderr.

  --framing F    ndjson (default) or content-length
  --timeout MS   how long to wait for the answer (default 30000)
  --method M     the method to call (required)
  --params JSON  an array (by position) or object (by name)
  --trace        print every message and process event to stderr

exit status: 0 with a result; 1 with an error response (printed to stderr);
2 when no answer came (the child died, could not start, or --timeout passed).
`,
  options: {
    framing: { type: 'string' },
    timeout: { type: 'string' },
    method: { type: 'string' },
    params: { type: 'string' },
    trace: { type: 'boolean' },
  },
  positionals: true,
  async run(args) {
    const framing = framingFlag(args);
    const timeout = intFlag(args, 'timeout', 30_000, 1);
    const method = stringFlag(args, 'method');
    if (method === undefined) throw new UsageError('--method is required');
    const params = paramsFlag(args);
    const [command, ...commandArgs] = args.positionals;
    if (command === undefined) throw new UsageError('a command to run is required after --');
    const tracer = args.values.trace ? createTracePrinter() : undefined;
    const child = spawnPeer(command, commandArgs, { framing, tracer, requestTimeout: timeout });
    child.on('stderr', (line: string) => process.stderr.write(line + '\n'));
    try {
      await child.ready;
    } catch (err) {
      throw new CliError((err as Error).message, 2);
    }
    const interrupted = untilSignal().then((sig) => new StdioError('CONNECTION_CLOSED', `interrupted by ${sig}`));
    let outcome: { result: unknown } | StdioError;
    try {
      outcome = await Promise.race([child.request(method, params).then((result) => ({ result })), interrupted]);
    } catch (err) {
      outcome = err as StdioError;
    }
    if (!(outcome instanceof StdioError)) {
      process.stdout.write(JSON.stringify(outcome.result ?? null) + '\n');
      await child.shutdown();
      return 0;
    }
    if (outcome.remote) {
      const data = outcome.data === undefined ? '' : ` ${JSON.stringify(outcome.data)}`;
      process.stderr.write(`barewire: error ${outcome.rpcCode} ${outcome.message}${data}\n`);
      await child.shutdown();
      return 1;
    }
    await child.shutdown();
    const why = outcome.code === 'REQUEST_TIMEOUT' ? outcome.message : `${outcome.message}; ${child.endReason}`;
    throw new CliError(`no answer: ${why}`, 2);
  },
};

export const command: ProtocolCommand = {
  summary: 'JSON-RPC 2.0 over a child process\'s stdin/stdout (NDJSON as MCP, Content-Length as LSP)',
  verbs: { serve, call },
};
