/** The tour's comparison table, every figure from the run. */
import { fmtMs, fmtRate, percentile, textTable } from './stats.js';
import type { ScenarioResult } from './measure.js';

export interface Row {
  protocol: string;
  setupMs: number;
  latencyP50Ms: number;
  latencyP99Ms: number;
  latencyKind: string;
  bytesPerMessage: number;
  payloadBytes: number;
  burstPerSecond: number;
  direction: string;
  browser: string;
  messages: number;
}

export function toRow(r: ScenarioResult): Row {
  return {
    protocol: r.protocol,
    setupMs: r.setupMs,
    latencyP50Ms: percentile(r.latencyMs, 50),
    latencyP99Ms: percentile(r.latencyMs, 99),
    latencyKind: r.latencyKind,
    bytesPerMessage: r.bytesPerMessage,
    payloadBytes: r.payloadBytes,
    burstPerSecond: r.burstPerSecond,
    direction: r.direction,
    browser: r.browser,
    messages: r.latencyMs.length,
  };
}

export function renderTable(rows: Row[]): string {
  return textTable(
    ['protocol', 'set-up', 'latency p50', 'latency p99', 'wire bytes/msg', 'burst', 'direction', 'browser'],
    rows.map((r) => [
      r.protocol,
      fmtMs(r.setupMs),
      fmtMs(r.latencyP50Ms) + (r.latencyKind === 'one-way' ? ' (1-way)' : ''),
      fmtMs(r.latencyP99Ms),
      `${r.bytesPerMessage.toFixed(1)} (${r.payloadBytes} B payload)`,
      fmtRate(r.burstPerSecond),
      r.direction,
      r.browser,
    ]),
  );
}
