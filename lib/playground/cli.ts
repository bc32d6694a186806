/** `barewire playground [--port P]` (also `npm run playground`). */
import { createTracePrinter } from '../trace/index.js';
import { intFlag, stringFlag, untilSignal, type Verb } from '../cli/command.js';
import { startPlayground } from './server.js';

export const verb: Verb = {
  summary: 'a page in your browser: WebSocket, SSE and HTTP side by side, with the wire shown',
  usage: `usage: barewire playground [--host H] [--port P] [--trace]

Serves one page where you open a WebSocket, subscribe to Server-Sent Events
and call a REST API side by side, each panel showing what crossed the wire.
Open the printed URL in a browser. Runs until SIGINT or SIGTERM.

  --host H    address to listen on (default 127.0.0.1)
  --port P    port (default 8090; 0 picks a free one)
  --trace     also print every wire event to stderr`,
  options: { host: { type: 'string' }, port: { type: 'string' }, trace: { type: 'boolean' } },
  async run(args) {
    const pg = await startPlayground({
      host: stringFlag(args, 'host', '127.0.0.1'),
      port: intFlag(args, 'port', 8090, 0, 65535),
      tracer: args.values.trace ? createTracePrinter() : undefined,
    });
    process.stdout.write(`listening on ${pg.url}/\n`);
    await untilSignal();
    await pg.close();
    return 0;
  },
};
