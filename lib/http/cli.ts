/**
 * `barewire http serve`: the in-memory JSON resource of items.ts on a
 * keep-alive HTTP/1.1 server, exactly as INTEROP.md §http fixes it.
 */
import { intFlag, stringFlag, untilSignal, type ProtocolCommand } from '../cli/command.js';
import { createTracePrinter } from '../trace/index.js';
import { createItemsApp } from './items.js';
import { createServer } from './server.js';

const SERVE_USAGE = `usage: barewire http serve [--host H] [--port P] [--trace]

A JSON REST resource in memory (INTEROP.md §http):
  GET/POST /items, GET/PUT/PATCH/DELETE /items/{id}; HEAD and OPTIONS everywhere.
  Strong ETags, If-None-Match -> 304, If-Match -> 412; errors are application/problem+json.
  Bodies: JSON only (415), up to 1 MiB (413); request head up to 16 KiB (431).

flags:
  --host H     address to listen on (default 127.0.0.1)
  --port P     port (default 8000; 0 picks a free one)
  --trace      print every request and response on stderr
`;

export const command: ProtocolCommand = {
  summary: 'HTTP API (RFC 9110, RFC 9111, RFC 9457)',
  verbs: {
    serve: {
      summary: 'serve the in-memory /items JSON resource',
      usage: SERVE_USAGE,
      options: {
        host: { type: 'string' },
        port: { type: 'string' },
        trace: { type: 'boolean' },
      },
      async run(args) {
        const host = stringFlag(args, 'host', '127.0.0.1');
        const port = intFlag(args, 'port', 8000, 0, 65535);
        const tracer = args.values.trace ? createTracePrinter() : undefined;
        const app = createItemsApp({
          onError: (err) => process.stderr.write(`barewire http: unexpected error: ${(err as Error)?.message ?? String(err)}\n`),
        });
        const server = createServer(app, { tracer });
        const { url } = await server.listen(port, host);
        // Listen for the signal before announcing: a peer may signal the moment it reads the line.
        const signalled = untilSignal();
        process.stdout.write(`listening on ${url}\n`);
        const sig = await signalled;
        process.stderr.write(`barewire http: ${sig}, shutting down\n`);
        await server.close();
        return 0;
      },
    },
  },
};
