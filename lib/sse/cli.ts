/**
 * `barewire sse serve` and `barewire sse listen`, exactly as
 * shared/INTEROP.md §sse fixes them.
 *
 * serve: GET /events streams `retry: 1000`, then `id: n`, `event: tick`,
 * `data: {"n": n}` every --interval ms; ids run 1..N over the life of the
 * server (a client resuming with Last-Event-ID: K gets K+1 onwards; K >= N
 * answers 204, which tells clients to stop); `: keep-alive` comments every
 * --keepalive ms while idle; any other path 404.
 *
 * listen: an EventSource on URL; one stdout line per dispatched event;
 * exit 0 after --max-events or on 204, 1 when the connection fails
 * (non-200, wrong content type, a limit).
 */
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { CliError, UsageError, headerFlags, intFlag, stringFlag, untilSignal, type ParsedArgs, type ProtocolCommand, type Verb } from '../cli/command.js';
import { createTracePrinter, type Tracer } from '../trace/index.js';
import { EventSource, type SseErrorEvent } from './eventsource.js';
import { createEventStream, type SseStream } from './stream.js';

/** The reconnection time the demo server asks for. */
const SERVE_RETRY = 1000;

function isDigits(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return false;
  }
  return true;
}

const serve: Verb = {
  summary: 'stream numbered tick events on GET /events',
  usage: `usage: barewire sse serve [--host H] [--port P] [--interval MS] [--count N] [--keepalive MS] [--trace]

  GET /events answers 200 text/event-stream: "retry: ${SERVE_RETRY}", then events
  id: n / event: tick / data: {"n": n}, one every --interval ms (default 1000).
  Ids run 1..N over the life of the server (--count N; default no end); after
  the last one the response ends. Last-Event-ID: K resumes at K+1; K >= N gets
  204 No Content. ": keep-alive" every --keepalive ms while idle (default 15000).
  Any other path: 404. Runs until SIGINT/SIGTERM, then ends every stream and exits 0.

  --host H         address to bind (default 127.0.0.1)
  --port P         port (default 8081; 0 picks a free one)
  --interval MS    milliseconds between events (default 1000)
  --count N        total number of events (default: no end)
  --keepalive MS   comment line while idle (default 15000; 0 = none)
  --trace          print every event on the wire to stderr
`,
  options: {
    host: { type: 'string' },
    port: { type: 'string' },
    interval: { type: 'string' },
    count: { type: 'string' },
    keepalive: { type: 'string' },
    trace: { type: 'boolean' },
  },
  async run(args: ParsedArgs) {
    const host = stringFlag(args, 'host', '127.0.0.1');
    const port = intFlag(args, 'port', 8081, 0, 65535);
    const interval = intFlag(args, 'interval', 1000, 1);
    const count = args.values.count === undefined ? Infinity : intFlag(args, 'count', 0);
    const keepalive = intFlag(args, 'keepalive', 15000);
    const tracer: Tracer | undefined = args.values.trace ? createTracePrinter() : undefined;
    const streams = new Set<SseStream>();

    const server = http.createServer((req, res) => {
      const path = (req.url ?? '/').split('?')[0];
      if (path !== '/events') {
        res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found: try GET /events\n');
        return;
      }
      if (req.method !== 'GET' && req.method !== 'HEAD') {
        res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' }).end('method not allowed\n');
        return;
      }
      // INTEROP.md: Last-Event-ID of digits only resumes after it; anything else starts from 1.
      const header = req.headers['last-event-id'];
      let next = typeof header === 'string' && isDigits(header) ? Number(header) + 1 : 1;
      if (next > count) {
        if (tracer) tracer({ protocol: 'sse', dir: '->', kind: 'headers', summary: `204 No Content (Last-Event-ID: ${header}, all ${count} events sent)` });
        res.writeHead(204).end();
        return;
      }
      if (req.method === 'HEAD') {
        res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' }).end();
        return;
      }
      // INTEROP.md names the content type exactly: no charset parameter here.
      const stream = createEventStream(req, res, {
        retry: SERVE_RETRY,
        heartbeat: keepalive,
        tracer,
        headers: { 'content-type': 'text/event-stream' },
      });
      streams.add(stream);
      const tick = () => {
        stream.send({ id: next, event: 'tick', data: `{"n": ${next}}` });
        if (next >= count) {
          clearInterval(timer);
          stream.close(`all ${count} events sent`);
        }
        next++;
      };
      const timer = setInterval(tick, interval);
      stream.signal.addEventListener('abort', () => {
        clearInterval(timer);
        streams.delete(stream);
      });
      tick();
    });

    await new Promise<void>((resolve, reject) => {
      server.once('error', (err) => reject(new CliError(`cannot listen on ${host}:${port}: ${err.message}`)));
      server.listen(port, host, () => resolve());
    });
    const addr = server.address() as AddressInfo;
    const shown = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
    process.stdout.write(`listening on http://${shown}:${addr.port}/events\n`);

    const sig = await untilSignal();
    if (tracer) tracer({ protocol: 'sse', dir: '--', kind: 'end', summary: `${sig}: server shutting down, ending ${streams.size} streams` });
    for (const s of [...streams]) s.close(`${sig}: server shutting down`);
    await new Promise<void>((resolve) => {
      const force = setTimeout(() => {
        server.closeAllConnections();
      }, 5000);
      force.unref();
      server.close(() => {
        clearTimeout(force);
        resolve();
      });
      server.closeIdleConnections();
    });
    return 0;
  },
};

/** One line for a person: `type: data`, line breaks in data shown as \n. */
function humanLine(type: string, data: string): string {
  return `${type}: ${data.split('\n').join('\\n')}`;
}

const listen: Verb = {
  summary: 'connect with EventSource semantics and print each event',
  usage: `usage: barewire sse listen URL [--header 'K: V']... [--max-events N] [--json] [--trace]

  Connects to URL as an EventSource: the spec's parsing, dispatch and
  reconnection (Last-Event-ID sent, retry: honoured). Each event prints one
  stdout line: "type: data", or with --json {"type":...,"data":...,"lastEventId":...}.
  Exit 0 after --max-events events or when the server answers 204; exit 1 when
  the connection fails (a status other than 200, a content type other than
  text/event-stream).

  --header 'K: V'   extra request header (repeatable)
  --max-events N    exit after N events
  --json            one JSON object per event
  --trace           print requests, responses and events to stderr
`,
  options: {
    header: { type: 'string', multiple: true },
    'max-events': { type: 'string' },
    json: { type: 'boolean' },
    trace: { type: 'boolean' },
  },
  positionals: true,
  async run(args: ParsedArgs) {
    if (args.positionals.length !== 1) throw new UsageError('sse listen takes exactly one URL');
    const url = args.positionals[0];
    const headers = headerFlags(args);
    const maxEvents = args.values['max-events'] === undefined ? Infinity : intFlag(args, 'max-events', 0, 1);
    const json = args.values.json === true;
    const tracer = args.values.trace ? createTracePrinter() : undefined;
    let source: EventSource;
    try {
      source = new EventSource(url, { headers, tracer });
    } catch (err) {
      throw new UsageError((err as Error).message);
    }
    source.onerror = (e: SseErrorEvent) => {
      // stderr only: stdout carries events and nothing else
      if (source.readyState !== EventSource.CLOSED) process.stderr.write(`barewire: ${e.message}; reconnecting in ${source.reconnectionTime} ms\n`);
    };
    void untilSignal().then(() => source.close());
    let seen = 0;
    try {
      // The iterator yields every dispatched event, named ones included; it
      // ends on close() or a 204, and throws when the connection fails.
      for await (const m of source) {
        const data = String(m.data);
        process.stdout.write((json ? JSON.stringify({ type: m.type, data, lastEventId: m.lastEventId }) : humanLine(m.type, data)) + '\n');
        if (++seen >= maxEvents) break;
      }
    } catch (err) {
      throw new CliError((err as Error).message, 1);
    } finally {
      source.close();
    }
    return 0;
  },
};

export const command: ProtocolCommand = {
  summary: 'Server-Sent Events (WHATWG HTML, "Server-sent events")',
  verbs: { serve, listen },
};
