/**
 * `barewire ws serve` and `barewire ws connect`, exactly as
 * shared/INTEROP.md §ws fixes them: an echo server, and a line-based (or
 * echoing) client. --trace prints every frame decoded, through lib/trace.
 */
import { createInterface } from 'node:readline';
import { CliError, intFlag, headerFlags, listFlag, stringFlag, untilSignal, UsageError, type ProtocolCommand } from '../cli/command.js';
import { createTracePrinter } from '../trace/index.js';
import { WebSocket } from './client.js';
import type { MessageData, WebSocketConnection } from './connection.js';
import { WebSocketServer } from './server.js';

const DEFAULT_MAX = 64 * 1024 * 1024;
/** The echo server stops reading a peer while this many bytes of echoes wait to be sent. */
const ECHO_HIGH_WATER = 4 * 1024 * 1024;

function toHexPreview(data: Buffer): string {
  return data.subarray(0, 64).toString('hex');
}

export const command: ProtocolCommand = {
  summary: 'WebSocket (RFC 6455, RFC 7692)',
  verbs: {
    serve: {
      summary: 'echo server: every message comes back unchanged',
      usage: `usage: barewire ws serve [--host H] [--port P] [--protocol P]... [--no-deflate] [--max-payload BYTES] [--trace]

Echo server on every path (text stays text, binary stays binary).
  --host H             address to listen on (default 127.0.0.1)
  --port P             port (default 8080; 0 picks a free one)
  --protocol P         a supported subprotocol (repeatable); the first one the client offers is chosen
  --no-deflate         do not negotiate permessage-deflate
  --max-payload BYTES  largest message accepted, after inflation (default 67108864); bigger closes with 1009
  --trace              print every frame on stderr
Prints "listening on ws://HOST:PORT/" when ready; SIGINT/SIGTERM close every connection with 1001 and exit 0.`,
      options: {
        host: { type: 'string' },
        port: { type: 'string' },
        protocol: { type: 'string', multiple: true },
        'no-deflate': { type: 'boolean' },
        'max-payload': { type: 'string' },
        trace: { type: 'boolean' },
      },
      async run(args) {
        const host = stringFlag(args, 'host', '127.0.0.1');
        const port = intFlag(args, 'port', 8080, 0, 65535);
        const maxPayload = intFlag(args, 'max-payload', DEFAULT_MAX, 0);
        const wss = new WebSocketServer({
          host,
          port,
          protocols: listFlag(args, 'protocol'),
          perMessageDeflate: !args.values['no-deflate'],
          maxPayload,
          tracer: args.values.trace ? createTracePrinter() : undefined,
        });
        await new Promise<void>((resolve, reject) => {
          wss.once('listening', resolve);
          wss.once('error', (err: Error) => reject(new CliError(`cannot listen on ${host}:${port}: ${err.message}`)));
        });
        wss.on('connection', (ws: WebSocketConnection) => {
          let paused = false;
          ws.onmessage = (e) => {
            ws.send(e.data as string | Buffer);
            // A peer that sends without reading: stop reading it until our echoes drain.
            if (!paused && ws.bufferedAmount > ECHO_HIGH_WATER) {
              paused = true;
              ws.pause();
              ws.addEventListener('drain', () => ((paused = false), ws.resume()), { once: true });
            }
          };
          ws.onerror = () => {};
        });
        process.stdout.write(`listening on ${wss.url}\n`);
        await untilSignal();
        await wss.close();
        return 0;
      },
    },
    connect: {
      summary: 'client: stdin lines out as text messages, messages in on stdout',
      usage: `usage: barewire ws connect URL [--protocol P]... [--header 'K: V']... [--echo] [--no-deflate] [--max-payload BYTES] [--trace]

Connects to a ws:// or wss:// URL, offering permessage-deflate unless --no-deflate.
Each stdin line is sent as a text message; each text message received is printed as a line,
a binary one as <binary N bytes: HEX>. End of stdin closes with 1000.
  --protocol P         offer this subprotocol (repeatable)
  --header 'K: V'      extra request header (repeatable)
  --echo               send every message straight back; read no stdin, print nothing
  --no-deflate         do not offer permessage-deflate
  --max-payload BYTES  largest message accepted (default 67108864); bigger closes with 1009
  --trace              print every frame on stderr
Exit 0 after a clean close with 1000, 1001 or no code; 1 otherwise.`,
      options: {
        protocol: { type: 'string', multiple: true },
        header: { type: 'string', multiple: true },
        echo: { type: 'boolean' },
        'no-deflate': { type: 'boolean' },
        'max-payload': { type: 'string' },
        trace: { type: 'boolean' },
      },
      positionals: true,
      async run(args) {
        if (args.positionals.length !== 1) throw new UsageError('ws connect takes exactly one URL');
        const url = args.positionals[0];
        const echo = !!args.values.echo;
        let ws: WebSocket;
        try {
          ws = new WebSocket(url, listFlag(args, 'protocol'), {
            headers: headerFlags(args),
            perMessageDeflate: !args.values['no-deflate'],
            maxPayload: intFlag(args, 'max-payload', DEFAULT_MAX, 0),
            tracer: args.values.trace ? createTracePrinter() : undefined,
          });
        } catch (err) {
          throw new UsageError((err as Error).message);
        }
        ws.binaryType = 'nodebuffer';
        let failure = '';
        ws.onerror = (e) => {
          failure = e.message;
        };
        ws.onmessage = (e) => {
          const data = e.data as MessageData;
          if (echo) return ws.send(data as string | Buffer);
          if (typeof data === 'string') process.stdout.write(data + '\n');
          else {
            const buf = data as Buffer;
            process.stdout.write(`<binary ${buf.length} bytes: ${toHexPreview(buf)}>\n`);
          }
        };
        const closed = new Promise<{ code: number; reason: string; wasClean: boolean }>((resolve) => {
          ws.onclose = (e) => resolve({ code: e.code, reason: e.reason, wasClean: e.wasClean });
        });
        if (!echo) {
          const opened = new Promise<boolean>((resolve) => {
            ws.addEventListener('open', () => resolve(true));
            ws.addEventListener('close', () => resolve(false));
          });
          const rl = createInterface({ input: process.stdin, crlfDelay: Infinity });
          const lines: string[] = [];
          let open = false;
          let inputDone = false;
          rl.on('line', (line) => {
            if (open) {
              if (ws.readyState === ws.OPEN) ws.send(line);
            } else lines.push(line);
          });
          rl.on('close', () => {
            inputDone = true;
            if (open && ws.readyState === ws.OPEN) ws.close(1000);
          });
          void opened.then((ok) => {
            if (!ok) return rl.close();
            open = true;
            for (const line of lines) ws.send(line);
            if (inputDone) ws.close(1000);
          });
          void closed.then(() => rl.close());
        }
        const { code, reason, wasClean } = await closed;
        process.stdin.unref?.();
        if (wasClean && (code === 1000 || code === 1001 || code === 1005)) {
          process.stderr.write(`closed ${code}${reason ? ` ${reason}` : ''}\n`);
          return 0;
        }
        throw new CliError(`connection closed ${code}${reason ? ` ${reason}` : ''}${failure ? `: ${failure}` : ''}`);
      },
    },
  },
};
