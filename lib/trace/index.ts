/**
 * barewire/trace: the one interface through which every protocol reports
 * what crossed the wire, and why a connection ended.
 *
 * A protocol holds an optional `tracer` and reports like this:
 *
 *   if (this.tracer) this.tracer({ protocol: 'ws', dir: '->', kind: 'frame', summary: 'text fin len=5' });
 *
 * With no tracer attached, the cost is one property read and a branch: the
 * event object is never built. The CLI's --trace flag attaches the printer
 * below; the tour and the tests attach a recorder.
 */

/** `->` sent by this side, `<-` received from the peer, `--` a local fact (state, ending). */
export type Direction = '->' | '<-' | '--';

export interface TraceEvent {
  /** Which protocol reports: 'ws', 'sse', 'http', 'grpc', 'stdio'. */
  protocol: string;
  dir: Direction;
  /**
   * What it is: 'handshake', 'frame', 'headers', 'data', 'trailers', 'rst',
   * 'goaway', 'ping', 'event', 'message', 'stderr', 'spawn', 'exit', 'open',
   * 'end' (the connection ended; `summary` says why, in words).
   */
  kind: string;
  /** One decoded line for a person: "text fin=1 rsv=000 mask=1 len=5 'hello'". */
  summary: string;
  /** Bytes this unit took on the wire, framing included, when known. */
  size?: number;
  /** Which connection, stream or process: an id the protocol chooses. */
  conn?: string | number;
  /** Structured fields (opcode, flags, status, ...) for programs such as the tour. */
  fields?: Record<string, unknown>;
  /** Milliseconds (performance.now()); filled in by the recorder or printer when absent. */
  time?: number;
}

export type Tracer = (event: TraceEvent) => void;

/** One line for an event: `-> ws frame text fin=1 len=5 [conn]`. */
export function formatTraceEvent(e: TraceEvent): string {
  const conn = e.conn === undefined ? '' : ` [${e.conn}]`;
  return `${e.dir} ${e.protocol} ${e.kind} ${e.summary}${conn}`;
}

export interface Writable {
  write(chunk: string): unknown;
}

/** The printer behind every CLI `--trace`: one line per event, to stderr by default. */
export function createTracePrinter(out: Writable = process.stderr): Tracer {
  return (e) => {
    out.write(formatTraceEvent(e) + '\n');
  };
}

export interface TraceRecorder {
  tracer: Tracer;
  events: TraceEvent[];
  /** Events of one kind, or matching a predicate. */
  filter(pred: string | ((e: TraceEvent) => boolean)): TraceEvent[];
  clear(): void;
}

/** Keep every event in memory, time-stamped (for tests and the tour). */
export function createTraceRecorder(limit = 100_000): TraceRecorder {
  const events: TraceEvent[] = [];
  return {
    events,
    tracer(e) {
      if (events.length >= limit) return;
      events.push(e.time === undefined ? { ...e, time: performance.now() } : e);
    },
    filter(pred) {
      return typeof pred === 'string' ? events.filter((e) => e.kind === pred) : events.filter(pred);
    },
    clear() {
      events.length = 0;
    },
  };
}

/** Send every event to each of the tracers given (undefined ones are skipped). */
export function teeTracers(...tracers: (Tracer | undefined)[]): Tracer | undefined {
  const live = tracers.filter((t): t is Tracer => t !== undefined);
  if (live.length === 0) return undefined;
  if (live.length === 1) return live[0];
  return (e) => {
    for (const t of live) t(e);
  };
}

/** Label every event of `tracer` with a connection id (a server gives each connection its own). */
export function withConn(tracer: Tracer | undefined, conn: string | number): Tracer | undefined {
  if (tracer === undefined) return undefined;
  return (e) => tracer(e.conn === undefined ? { ...e, conn } : e);
}

const UNITS = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];

/** A byte count for people: 70 MiB, 1.5 KiB, 12 B. */
export function formatBytes(n: number): string {
  let u = 0;
  let v = n;
  while (v >= 1024 && u < UNITS.length - 1) {
    v /= 1024;
    u++;
  }
  const text = u === 0 || Number.isInteger(v) ? String(v) : v.toFixed(1).replace(/\.0$/, '');
  return `${text} ${UNITS[u]}`;
}

/**
 * A short preview of a payload for a trace line: printable ASCII text is
 * quoted (and cut at `max` characters), anything else shown as hex.
 */
export function preview(payload: Uint8Array | string, max = 32): string {
  if (typeof payload === 'string') {
    const cut = payload.length > max ? payload.slice(0, max) + '…' : payload;
    return JSON.stringify(cut);
  }
  const n = Math.min(payload.length, max);
  let printable = true;
  for (let i = 0; i < n; i++) {
    const b = payload[i];
    if (b < 0x20 || b > 0x7e) {
      printable = false;
      break;
    }
  }
  const more = payload.length > max ? '…' : '';
  if (printable) return JSON.stringify(String.fromCharCode(...payload.subarray(0, n))) + more;
  return Buffer.from(payload.buffer, payload.byteOffset, n).toString('hex') + more;
}
