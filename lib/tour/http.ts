/**
 * The HTTP API scenario: a keep-alive connection, POST to create an item,
 * then N small GET requests one after another (round trips), a burst of N
 * concurrent GETs, and the connection closed.
 */
import http from 'node:http';
import { createItemsApp, createServer, HttpClient } from '../http/index.js';
import { createTraceRecorder } from '../trace/index.js';
import { WireMeter, burstRate, now, timeEach, within, type ScenarioResult } from './measure.js';

export async function httpScenario(messages: number): Promise<ScenarioResult> {
  const server = createServer(createItemsApp());
  const meter = new WireMeter().watch(server.server);
  const { url } = await server.listen(0, '127.0.0.1');
  const rec = createTraceRecorder();
  const agent = new http.Agent({ keepAlive: true, maxSockets: 8 });
  const client = new HttpClient({ baseUrl: url, agent, cache: false, tracer: rec.tracer });
  try {
    // Set-up: the TCP connection and the first request's answer.
    const t0 = now();
    const created = await within(client.request('POST', '/items', { body: { n: 1 } }), 5000, 'the first request');
    const setupMs = now() - t0;
    const id = (created.body as { id: string }).id;

    const before = meter.total();
    const latencyMs = await timeEach(messages, () => client.request('GET', `/items/${id}`), 'a GET');
    const bytesPerMessage = (meter.total() - before) / (2 * messages);

    const burstPerSecond = await burstRate(messages, () => Promise.all(Array.from({ length: messages }, () => client.request('GET', `/items/${id}`))));

    return {
      protocol: 'http',
      title: 'HTTP API (RFC 9110, HTTP/1.1 keep-alive)',
      events: rec.events,
      setupMs,
      latencyMs,
      latencyKind: 'round trip',
      bytesPerMessage,
      burstPerSecond,
      payloadBytes: JSON.stringify({ n: 1, id }).length,
      direction: 'request/response',
      browser: 'yes (fetch)',
    };
  } finally {
    agent.destroy();
    await server.close(1000);
  }
}
