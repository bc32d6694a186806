/**
 * The tour: for each protocol, a server and a client on loopback (stdio: a
 * child process), one shared scenario (connect, one request/response or its
 * equivalent, a stream of N small messages, a burst, close), the flow drawn
 * from the client's own trace, then one table measured in this run.
 */
import { renderSequence } from './diagram.js';
import { renderTable, toRow, type Row } from './report.js';
import type { ScenarioResult } from './measure.js';
import type { TraceEvent } from '../trace/index.js';

export type ProtocolName = 'ws' | 'http' | 'grpc' | 'sse' | 'stdio';

/** In the order of the article barewire grew from. */
export const SCENARIOS: Record<ProtocolName, { label: string; load(): Promise<(messages: number) => Promise<ScenarioResult>> }> = {
  ws: { label: 'WebSocket', load: async () => (await import('./ws.js')).wsScenario },
  http: { label: 'HTTP API', load: async () => (await import('./http.js')).httpScenario },
  grpc: { label: 'gRPC', load: async () => (await import('./grpc.js')).grpcScenario },
  sse: { label: 'Server-Sent Events', load: async () => (await import('./sse.js')).sseScenario },
  stdio: { label: 'stdio', load: async () => (await import('./stdio.js')).stdioScenario },
};

export interface TourOptions {
  protocols?: ProtocolName[];
  messages?: number;
  /** Called with each protocol's result as soon as it is measured. */
  onResult?: (r: ScenarioResult) => void;
}

export interface TourResult {
  messages: number;
  results: ScenarioResult[];
  rows: Row[];
}

export async function runTour(opts: TourOptions = {}): Promise<TourResult> {
  const messages = opts.messages ?? 100;
  const names = opts.protocols ?? (Object.keys(SCENARIOS) as ProtocolName[]);
  const results: ScenarioResult[] = [];
  for (const name of names) {
    const scenario = await SCENARIOS[name].load();
    const r = await scenario(messages);
    results.push(r);
    opts.onResult?.(r);
  }
  return { messages, results, rows: results.map(toRow) };
}

export function renderDiagram(r: ScenarioResult): string {
  const server = r.protocol === 'stdio' ? 'child' : 'server';
  const client = r.protocol === 'stdio' ? 'parent' : 'client';
  return `${r.title}\n\n${renderSequence(r.events, { client, server })}`;
}

export { renderTable };

/** A JSON-friendly copy of the results (events without functions, numbers rounded). */
export function toJson(t: TourResult): unknown {
  const round = (n: number) => Math.round(n * 1000) / 1000;
  return {
    messages: t.messages,
    protocols: t.results.map((r, i) => ({
      protocol: r.protocol,
      title: r.title,
      setupMs: round(r.setupMs),
      latency: { kind: r.latencyKind, p50Ms: round(t.rows[i].latencyP50Ms), p99Ms: round(t.rows[i].latencyP99Ms) },
      bytesPerMessage: round(r.bytesPerMessage),
      payloadBytes: r.payloadBytes,
      burstPerSecond: round(r.burstPerSecond),
      direction: r.direction,
      browser: r.browser,
      trace: r.events.map((e: TraceEvent) => ({ dir: e.dir, kind: e.kind, summary: e.summary, size: e.size })),
    })),
  };
}
