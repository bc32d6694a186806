/**
 * The WebSocket scenario: upgrade handshake, one echo, a stream of N small
 * messages each echoed back (round trips), a burst of N, close handshake.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { WebSocket, WebSocketServer, type WebSocketConnection } from '../websocket/index.js';
import { createTraceRecorder } from '../trace/index.js';
import { WireMeter, burstRate, now, smallPayload, timeEach, within, type ScenarioResult } from './measure.js';

function nextMessage(ws: WebSocket): Promise<unknown> {
  return new Promise((resolve) => ws.addEventListener('message', (e) => resolve((e as MessageEvent).data), { once: true }));
}

export async function wsScenario(messages: number): Promise<ScenarioResult> {
  const server = http.createServer();
  const meter = new WireMeter().watch(server);
  const wss = new WebSocketServer({ server });
  wss.on('connection', (conn: WebSocketConnection) => {
    conn.onmessage = (e) => conn.send(e.data as string);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  const rec = createTraceRecorder();
  try {
    const t0 = now();
    const ws = new WebSocket(`ws://127.0.0.1:${port}/`, [], { tracer: rec.tracer });
    await within(new Promise((resolve, reject) => {
      ws.onopen = resolve;
      ws.onerror = () => reject(new Error('tour: WebSocket failed to open'));
    }), 5000, 'the WebSocket handshake');
    const setupMs = now() - t0;

    // One request/response: a message and its echo.
    ws.send('hello');
    await within(nextMessage(ws), 5000, 'the first echo');

    // The stream: N small messages, each echoed.
    const before = meter.total();
    const latencyMs = await timeEach(messages, (i) => {
      const reply = nextMessage(ws);
      ws.send(smallPayload(i));
      return reply;
    }, 'an echo');
    const bytesPerMessage = (meter.total() - before) / (2 * messages);

    // The burst: N messages back to back, until all echoes are in.
    const burstPerSecond = await burstRate(messages, () => new Promise<void>((resolve) => {
      let got = 0;
      const onMessage = () => {
        if (++got === messages) {
          ws.removeEventListener('message', onMessage);
          resolve();
        }
      };
      ws.addEventListener('message', onMessage);
      for (let i = 0; i < messages; i++) ws.send(smallPayload(i));
    }));

    await within(new Promise((resolve) => {
      ws.onclose = resolve;
      ws.close(1000, 'tour done');
    }), 5000, 'the close handshake');
    return {
      protocol: 'ws',
      title: 'WebSocket (RFC 6455)',
      events: rec.events,
      setupMs,
      latencyMs,
      latencyKind: 'round trip',
      bytesPerMessage,
      burstPerSecond,
      payloadBytes: 16,
      direction: 'both ways, full duplex',
      browser: 'yes (WebSocket API)',
    };
  } finally {
    await wss.close();
    await new Promise((r) => server.close(r));
  }
}
