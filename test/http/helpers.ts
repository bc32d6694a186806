/** Shared helpers for the http tests: servers on port 0, raw sockets, plain requests. */
import http from 'node:http';
import net from 'node:net';
import { createServer, type HttpServer, type ServerOptions } from '../../lib/http/server.js';
import type { App } from '../../lib/http/app.js';
import { createItemsApp } from '../../lib/http/items.js';

export interface Running {
  server: HttpServer;
  port: number;
  url: string;
  close(): Promise<void>;
}

export async function start(app: App | http.RequestListener, opts: ServerOptions = {}): Promise<Running> {
  const server = createServer(app, opts);
  const { port, url } = await server.listen(0, '127.0.0.1');
  return { server, port, url, close: () => server.close(500) };
}

export function startItems(opts: ServerOptions = {}): Promise<Running> {
  return start(createItemsApp({ onError: () => {} }), opts);
}

export interface Reply {
  status: number;
  headers: http.IncomingHttpHeaders;
  body: string;
  json(): any;
}

/** One request on a fresh connection (agent: false), body as a string or Buffer. */
export function request(
  port: number,
  method: string,
  path: string,
  headers: Record<string, string | number> = {},
  body?: string | Buffer,
): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path, headers, agent: false }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: res.statusCode!, headers: res.headers, body: text, json: () => JSON.parse(text) });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** POST/PUT/PATCH a JSON value. */
export function sendJson(port: number, method: string, path: string, value: unknown, headers: Record<string, string> = {}): Promise<Reply> {
  return request(port, method, path, { 'content-type': 'application/json', ...headers }, JSON.stringify(value));
}

/**
 * Write raw bytes on a new TCP connection and collect everything the server
 * sends until it closes, or until `waitMs` passes (then we close).
 */
export function raw(port: number, data: string | Buffer | (string | Buffer)[], waitMs = 3000): Promise<{ text: string; closedByServer: boolean }> {
  return new Promise((resolve) => {
    const sock = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let done = false;
    const finish = (closedByServer: boolean) => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      sock.destroy();
      resolve({ text: Buffer.concat(chunks).toString('latin1'), closedByServer });
    };
    sock.on('data', (c) => chunks.push(c));
    sock.on('end', () => finish(true));
    sock.on('close', () => finish(true));
    sock.on('error', () => finish(true));
    const timer = setTimeout(() => finish(false), waitMs);
    for (const d of Array.isArray(data) ? data : [data]) sock.write(d);
  });
}

/** The status codes of every response in a raw byte stream, in order. */
export function statuses(text: string): number[] {
  const out: number[] = [];
  let i = 0;
  for (;;) {
    const at = text.indexOf('HTTP/1.1 ', i);
    if (at === -1) return out;
    out.push(Number(text.slice(at + 9, at + 12)));
    i = at + 12;
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}
