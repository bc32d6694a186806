/**
 * The Server-Sent Events scenario: GET with Accept: text/event-stream, the
 * 200 and its headers, then events from the server only: a stream of N, each
 * sent once the previous one arrived (one-way latency, server send to client
 * receive, on the same clock), a burst of N, and the client closing.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { EventSource, createEventStream, type SseStream } from '../sse/index.js';
import { createTraceRecorder } from '../trace/index.js';
import { WireMeter, burstRate, now, smallPayload, timeEach, within, type ScenarioResult } from './measure.js';

export async function sseScenario(messages: number): Promise<ScenarioResult> {
  let stream: SseStream | null = null;
  let streamReady: () => void = () => {};
  const ready = new Promise<void>((r) => (streamReady = r));
  const server = http.createServer((req, res) => {
    if (req.url !== '/events') {
      res.writeHead(404).end();
      return;
    }
    stream = createEventStream(req, res, { heartbeat: 0 });
    streamReady();
  });
  const meter = new WireMeter().watch(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const { port } = server.address() as AddressInfo;
  const rec = createTraceRecorder();
  let id = 0;
  const send = () => {
    id++;
    stream!.send({ event: 'tick', id: String(id), data: smallPayload(id) });
  };
  try {
    const t0 = now();
    const es = new EventSource(`http://127.0.0.1:${port}/events`, { tracer: rec.tracer });
    await within(new Promise((resolve, reject) => {
      es.onopen = resolve;
      es.onerror = () => reject(new Error('tour: EventSource failed to open'));
    }), 5000, 'the EventSource connection');
    await ready;
    const setupMs = now() - t0;

    let onTick: (() => void) | null = null;
    es.addEventListener('tick', () => onTick?.());
    const nextTick = () => new Promise<void>((resolve) => (onTick = resolve));

    // The equivalent of one request/response: the first event.
    const got = nextTick();
    send();
    await within(got, 5000, 'the first event');

    // The stream: one event at a time, one-way latency.
    const before = meter.total();
    const latencyMs = await timeEach(messages, () => {
      const arrived = nextTick();
      send();
      return arrived;
    }, 'an event');
    const bytesPerMessage = (meter.total() - before) / messages;

    // The burst: N events back to back.
    const burstPerSecond = await burstRate(messages, () => {
      let count = 0;
      const all = new Promise<void>((resolve) => {
        onTick = () => {
          if (++count === messages) resolve();
        };
      });
      for (let i = 0; i < messages; i++) send();
      return all;
    });

    es.close();
    return {
      protocol: 'sse',
      title: 'Server-Sent Events (WHATWG HTML)',
      events: rec.events,
      setupMs,
      latencyMs,
      latencyKind: 'one-way',
      bytesPerMessage,
      burstPerSecond,
      payloadBytes: 16,
      direction: 'server to client',
      browser: 'yes (EventSource)',
    };
  } finally {
    (stream as SseStream | null)?.close();
    server.closeAllConnections();
    await new Promise((r) => server.close(r));
  }
}
