/**
 * What every tour scenario measures, and the tools to measure it on real
 * sockets: a wire meter that counts the bytes each TCP connection carried
 * (both directions, framing and headers included), and a clock.
 */
import type { Server, Socket } from 'node:net';
import type { TraceEvent } from '../trace/index.js';

export interface ScenarioResult {
  protocol: 'ws' | 'sse' | 'http' | 'grpc' | 'stdio';
  title: string;
  /** What the client side saw, in order: `->` to the server, `<-` back. */
  events: TraceEvent[];
  /** From "connect" to ready for the first message (handshake, or process start), ms. */
  setupMs: number;
  /** One latency sample per message of the stream, ms. */
  latencyMs: number[];
  /** 'round trip' (request to its answer) or 'one-way' (server send to client receive). */
  latencyKind: 'round trip' | 'one-way';
  /** Bytes on the wire (both directions, everything) per small message of the stream. */
  bytesPerMessage: number;
  /** Messages per second for a burst of N sent back to back. */
  burstPerSecond: number;
  /** Payload bytes of each small message. */
  payloadBytes: number;
  direction: string;
  browser: string;
}

export const now = (): number => performance.now();

/** A small message of a fixed size (16 bytes of JSON) whose content changes. */
export function smallPayload(i: number): string {
  return JSON.stringify({ n: i % 1000000 }).padEnd(16, ' ');
}

/** Counts bytes read and written over every connection a server accepts. */
export class WireMeter {
  private readonly sockets = new Set<Socket>();
  private readonly base = new Map<Socket, number>();

  watch(server: Server): this {
    server.on('connection', (s: Socket) => this.sockets.add(s));
    return this;
  }

  /** Total bytes both ways so far on every connection seen. */
  total(): number {
    let n = 0;
    for (const s of this.sockets) n += (s.bytesRead ?? 0) + (s.bytesWritten ?? 0);
    return n;
  }
}

/** The stream: `one(i)` for i = 0..n-1, one after another; the latency of each, ms. */
export async function timeEach(n: number, one: (i: number) => Promise<unknown>, what: string): Promise<number[]> {
  const latencyMs: number[] = [];
  for (let i = 0; i < n; i++) {
    const t = now();
    await within(one(i), 5000, what);
    latencyMs.push(now() - t);
  }
  return latencyMs;
}

/** The burst: `n` messages that `all()` sends back to back and resolves once all are through; per second. */
export async function burstRate(n: number, all: () => Promise<unknown>): Promise<number> {
  const t = now();
  await within(all(), 10000, 'the burst');
  return n / ((now() - t) / 1000);
}

/** Reject when `p` takes longer than `ms`, naming what was awaited. */
export async function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  try {
    return await Promise.race([
      p,
      new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`tour: ${what} took longer than ${ms} ms`)), ms);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
