/**
 * The playground server: one page and three protocols on one port, all
 * served by barewire's own modules.
 *
 *   GET  /             the page (page.ts)
 *   /items...          the REST resource of `barewire http serve` (lib/http)
 *   GET  /events       an SSE stream: a `tick` event every second, resumable
 *                      with Last-Event-ID (lib/sse)
 *   POST /events/drop  cut every /events connection from the server side, to
 *                      watch the browser reconnect with Last-Event-ID
 *   GET  /trace        an SSE stream of what crossed the wire on the three
 *                      others, from their tracers (lib/trace)
 *   /ws                a WebSocket echo, subprotocol `chat` (lib/websocket)
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createItemsApp, createServer, type HttpServer } from '../http/index.js';
import { SseChannel, createEventStream } from '../sse/index.js';
import { WebSocketServer, type WebSocketConnection } from '../websocket/index.js';
import type { TraceEvent, Tracer } from '../trace/index.js';
import { PAGE } from './page.js';

export interface PlaygroundOptions {
  port?: number;
  host?: string;
  /** Milliseconds between SSE ticks (default 1000). */
  tickMs?: number;
  /** Largest WebSocket message (default 64 MiB). */
  maxPayload?: number;
  /** Also receive every trace event (for the CLI's --trace). */
  tracer?: Tracer;
}

export interface Playground {
  url: string;
  http: HttpServer;
  ws: WebSocketServer;
  close(): Promise<void>;
}

export async function startPlayground(opts: PlaygroundOptions = {}): Promise<Playground> {
  // The wire panel: every trace event goes to the page over /trace. That
  // channel has no tracer of its own, so showing events makes no new ones.
  const traceChannel = new SseChannel();
  const tracer: Tracer = (e: TraceEvent) => {
    opts.tracer?.(e);
    if (e.protocol === 'http' && (e.summary.includes('/trace') || e.summary.includes('/favicon'))) return;
    if (e.fields?.clients === 0) return; // a tick nobody was subscribed to
    if (traceChannel.size === 0) return;
    traceChannel.send({ event: 'trace', data: JSON.stringify({ protocol: e.protocol, dir: e.dir, kind: e.kind, summary: e.summary, size: e.size }) });
  };

  const ticks = new SseChannel({ replay: 1000, tracer });
  let tick = 0;
  const timer = setInterval(() => {
    tick++;
    ticks.send({ event: 'tick', id: String(tick), data: JSON.stringify({ n: tick, at: new Date().toISOString() }) });
  }, opts.tickMs ?? 1000);

  const items = createItemsApp();
  const handler = (req: IncomingMessage, res: ServerResponse): void => {
    const path = (req.url ?? '/').split('?')[0];
    if (path === '/' && (req.method === 'GET' || req.method === 'HEAD')) {
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8', 'content-length': Buffer.byteLength(PAGE), 'cache-control': 'no-cache' });
      res.end(req.method === 'HEAD' ? undefined : PAGE);
      return;
    }
    if (path === '/favicon.ico') {
      res.writeHead(204).end();
      return;
    }
    if (path === '/events' && req.method === 'GET') {
      // The channel replays what a reconnecting client missed (its Last-Event-ID).
      ticks.add(createEventStream(req, res, { retry: 1000, tracer, heartbeat: 15000 }));
      return;
    }
    if (path === '/events/drop' && req.method === 'POST') {
      const n = ticks.size;
      for (const s of [...ticks.clients]) s.close('dropped on purpose from the playground');
      res.writeHead(204, { 'x-dropped': String(n) }).end();
      return;
    }
    if (path === '/trace' && req.method === 'GET') {
      traceChannel.add(createEventStream(req, res, { heartbeat: 15000 }));
      return;
    }
    items.handle(req, res);
  };

  const http = createServer(handler, { tracer });
  const ws = new WebSocketServer({ server: http.server, path: '/ws', protocols: ['chat'], tracer, maxPayload: opts.maxPayload });
  ws.on('connection', (conn: WebSocketConnection) => {
    conn.onmessage = (e) => conn.send(e.data as string | Uint8Array);
  });
  const { url } = await http.listen(opts.port ?? 0, opts.host ?? '127.0.0.1');
  return {
    url,
    http,
    ws,
    async close() {
      clearInterval(timer);
      ticks.close('playground shutting down');
      traceChannel.close('playground shutting down');
      await ws.close();
      await http.close(2000);
    },
  };
}
