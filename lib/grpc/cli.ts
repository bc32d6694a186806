/**
 * `barewire grpc serve` and `barewire grpc interop`, exactly as
 * shared/INTEROP.md §grpc fixes them.
 */
import { CliError, UsageError, intFlag, stringFlag, untilSignal, type ParsedArgs, type ProtocolCommand } from '../cli/command.js';
import { createTracePrinter } from '../trace/index.js';
import { Channel } from './client.js';
import { GrpcError } from './errors.js';
import { INTEROP_CASES, runInteropCase, type InteropCase } from './interop/client.js';
import { createInteropServer } from './interop/server.js';

const SERVE_USAGE = `usage: barewire grpc serve [--host H] [--port P] [--trace]

Plaintext HTTP/2 (h2c) gRPC server implementing grpc.testing.TestService
(the gRPC interop service) and grpc.health.v1.Health.

  --host H    address to listen on (default 127.0.0.1)
  --port P    port (default 50051; 0 picks a free port)
  --trace     print every HTTP/2 headers, message, trailers, RST_STREAM,
              GOAWAY and PING to stderr, one line each

Prints "listening on http://HOST:PORT" once ready. On SIGINT/SIGTERM it sends
GOAWAY, lets calls in flight finish (at most 5 s) and exits 0.
`;

const INTEROP_USAGE = `usage: barewire grpc interop --server_host H --server_port P --test_case NAME [--trace]

Runs one gRPC interop client test case (or all of them) against a
grpc.testing.TestService server over plaintext HTTP/2.

  --server_host H     server host (e.g. 127.0.0.1)
  --server_port P     server port
  --test_case NAME    one of: ${INTEROP_CASES.join(', ')}, or all
  --use_tls false     accepted for compatibility; only plaintext is supported
  --trace             print the calls' wire events to stderr

Exit status: 0 when the case passes, 1 with the reason on stderr when it
fails, 2 for a usage error.
`;

async function serve(args: ParsedArgs): Promise<number> {
  const host = stringFlag(args, 'host', '127.0.0.1');
  const port = intFlag(args, 'port', 50051, 0, 65535);
  const tracer = args.values.trace ? createTracePrinter() : undefined;
  const { server, health } = createInteropServer({ tracer });
  let url: string;
  try {
    ({ url } = await server.listen(port, host));
  } catch (err) {
    throw new CliError(`cannot listen on ${host}:${port}: ${(err as Error).message}`);
  }
  process.stdout.write(`listening on ${url}\n`);
  const sig = await untilSignal();
  process.stderr.write(`${sig}: sending GOAWAY, waiting for calls in flight (at most 5 s)\n`);
  health.shutdown();
  await server.close(5000);
  return 0;
}

async function interop(args: ParsedArgs): Promise<number> {
  const host = stringFlag(args, 'server_host');
  const portText = stringFlag(args, 'server_port');
  const name = stringFlag(args, 'test_case');
  if (host === undefined) throw new UsageError('--server_host is required');
  if (portText === undefined) throw new UsageError('--server_port is required');
  if (name === undefined) throw new UsageError('--test_case is required');
  const port = intFlag(args, 'server_port', 0, 1, 65535);
  const tls = stringFlag(args, 'use_tls', 'false');
  if (tls !== 'false') throw new UsageError('--use_tls: only plaintext (false) is supported');
  const names: InteropCase[] = name === 'all' ? [...INTEROP_CASES] : [name as InteropCase];
  if (name !== 'all' && !(INTEROP_CASES as readonly string[]).includes(name)) {
    throw new UsageError(`unknown test case ${JSON.stringify(name)}; one of: ${INTEROP_CASES.join(', ')}, all`);
  }
  const shown = host.includes(':') ? `[${host}]` : host;
  const channel = new Channel(`http://${shown}:${port}`, { tracer: args.values.trace ? createTracePrinter() : undefined });
  const failed: string[] = [];
  try {
    for (const c of names) {
      try {
        await runInteropCase(c, channel);
        if (names.length > 1) process.stdout.write(`ok ${c}\n`);
      } catch (err) {
        const reason = err instanceof GrpcError ? `unexpected status ${err.codeName}: ${err.details}` : (err as Error).message;
        if (names.length === 1) throw new CliError(`${c} failed: ${reason}`);
        process.stdout.write(`FAIL ${c}\n`);
        failed.push(`${c} (${reason})`);
      }
    }
  } finally {
    channel.close();
  }
  if (failed.length) throw new CliError(`${failed.length} of ${names.length} cases failed: ${failed.join('; ')}`);
  return 0;
}

export const command: ProtocolCommand = {
  summary: 'gRPC over HTTP/2 (gRPC PROTOCOL-HTTP2), protobuf-lite',
  verbs: {
    serve: {
      summary: 'gRPC interop server: grpc.testing.TestService and grpc.health.v1.Health',
      usage: SERVE_USAGE,
      options: { host: { type: 'string' }, port: { type: 'string' }, trace: { type: 'boolean' } },
      run: serve,
    },
    interop: {
      summary: 'run gRPC interop client test cases against a TestService server',
      usage: INTEROP_USAGE,
      options: {
        server_host: { type: 'string' },
        server_port: { type: 'string' },
        test_case: { type: 'string' },
        use_tls: { type: 'string' },
        trace: { type: 'boolean' },
      },
      run: interop,
    },
  },
};
