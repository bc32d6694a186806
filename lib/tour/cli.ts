/** `barewire tour` (also `npm start`). */
import { UsageError, intFlag, listFlag, type Verb } from '../cli/command.js';
import { SCENARIOS, renderDiagram, renderTable, runTour, toJson, type ProtocolName } from './run.js';

export const verb: Verb = {
  summary: 'all five protocols on the wire, drawn and measured side by side',
  usage: `usage: barewire tour [--protocol NAME]... [--messages N] [--json] [--no-diagram]

Starts a server and a client for each protocol on loopback (stdio: a child
process), runs one small scenario on each (connect, one request/response or
its equivalent, a stream of N small messages, a burst, close), prints each
real flow as a sequence diagram, then one table measured in this run.

  --protocol NAME   only this protocol (ws, http, grpc, sse, stdio); repeatable
  --messages N      messages in the stream and the burst (default 100)
  --json            machine-readable output on stdout instead
  --no-diagram      the table only`,
  options: {
    protocol: { type: 'string', multiple: true },
    messages: { type: 'string' },
    json: { type: 'boolean' },
    'no-diagram': { type: 'boolean' },
  },
  async run(args) {
    const names = listFlag(args, 'protocol');
    for (const n of names) if (!(n in SCENARIOS)) throw new UsageError(`unknown protocol ${JSON.stringify(n)}; one of ${Object.keys(SCENARIOS).join(', ')}`);
    const messages = intFlag(args, 'messages', 100, 1, 100_000);
    const json = args.values.json === true;
    const diagrams = !json && args.values['no-diagram'] !== true;
    const out = process.stdout;
    if (!json) out.write(`barewire tour: ${names.length ? names.join(', ') : 'all five protocols'}, ${messages} messages each, on this machine (node ${process.version})\n\n`);
    const tour = await runTour({
      protocols: names.length ? (names as ProtocolName[]) : undefined,
      messages,
      onResult: (r) => {
        if (diagrams) out.write(renderDiagram(r) + '\n\n');
      },
    });
    if (json) out.write(JSON.stringify(toJson(tour)) + '\n');
    else {
      out.write(renderTable(tour.rows) + '\n\n');
      out.write(
        'set-up: connect until ready (stdio: spawn until the first answer); latency: per message of the stream\n' +
          '(round trip, or server send to client receive for SSE); wire bytes/msg: everything on the wire, both\n' +
          'ways, framing and headers included, per small message; burst: messages/s for N sent back to back.\n',
      );
    }
    return 0;
  },
};
