/** Real-socket helpers for test/sse: servers on a free port, raw clients, waiting with timeouts. */
import * as http from 'node:http';
import * as net from 'node:net';
import type { AddressInfo } from 'node:net';

export interface TestServer {
  server: http.Server;
  port: number;
  url: string;
  close(): Promise<void>;
}

export async function listen(handler: http.RequestListener): Promise<TestServer> {
  const server = http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const port = (server.address() as AddressInfo).port;
  return {
    server,
    port,
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export { waitFor } from '../support/wait.js';

/** A GET whose body text accumulates in `text` as it arrives. */
export interface LiveResponse {
  res: http.IncomingMessage;
  text: string;
  ended: boolean;
  destroy(): void;
}

export function get(url: string, headers: Record<string, string> = {}): Promise<LiveResponse> {
  return new Promise((resolve, reject) => {
    const req = http.get(url, { headers, agent: false }, (res) => {
      const live: LiveResponse = { res, text: '', ended: false, destroy: () => req.destroy() };
      res.setEncoding('utf8');
      res.on('data', (c: string) => (live.text += c));
      res.on('end', () => (live.ended = true));
      res.on('error', () => {});
      resolve(live);
    });
    req.on('error', reject);
  });
}

/** A raw TCP client that sends a GET and then reads nothing until told to. */
export function stalledClient(port: number, path = '/'): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1', () => {
      socket.pause();
      socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
      resolve(socket);
    });
    socket.on('error', () => {});
    socket.once('error', reject);
  });
}
