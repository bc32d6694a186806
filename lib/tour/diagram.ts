/**
 * Sequence diagrams from trace events, in the ASCII style of the article
 * barewire grew from (shared/SEED.md):
 *
 *   client                                     server
 *      |                                         |
 *      |-------- GET / Upgrade: websocket ------>|
 *      |<------- 101 Switching Protocols --------|
 *
 * The events come from the client side's tracer, so `->` is an arrow to the
 * server and `<-` an arrow back; `--` events are notes on the client's line.
 * Long runs of alike events (a stream of N small messages) are folded into
 * their first few, a "... N more ..." line and the last one.
 */
import type { TraceEvent } from '../trace/index.js';

export interface DiagramOptions {
  client?: string;
  server?: string;
  /** Columns between the two lifelines. */
  width?: number;
  /** Alike events shown in full at the start of a run before folding. */
  keep?: number;
}

const INDENT = '   ';

function arrow(label: string, suffix: string, width: number, toServer: boolean): string {
  // Cut the label, never the size after it.
  const room = width - 4 - suffix.length - 2;
  const cut = label.length > room ? label.slice(0, Math.max(0, room - 1)) + '…' : label;
  const text = ` ${cut}${suffix} `;
  const dashes = width - text.length - 1;
  const left = Math.floor(dashes / 2);
  const right = dashes - left;
  return toServer ? `|${'-'.repeat(left)}${text}${'-'.repeat(right)}>|` : `|<${'-'.repeat(left)}${text}${'-'.repeat(right)}|`;
}

function note(label: string, width: number): string {
  let text = label;
  if (text.length > width - 2) text = text.slice(0, width - 3) + '…';
  const pad = width - text.length;
  const left = Math.floor(pad / 2);
  return `|${' '.repeat(left)}${text}${' '.repeat(pad - left)}|`;
}

/** The key under which consecutive events count as "alike" for folding. */
function shape(e: TraceEvent): string {
  // Payload previews and numbers (ids, lengths, counters) do not make events different.
  const summary = e.summary.replace(/"(?:[^"\\]|\\.)*"?…?/g, '"…"').replace(/\d+/g, '#');
  return `${e.dir} ${e.kind} ${summary}`;
}

export function renderSequence(events: readonly TraceEvent[], opts: DiagramOptions = {}): string {
  const width = opts.width ?? 64;
  const keep = opts.keep ?? 2;
  const client = opts.client ?? 'client';
  const server = opts.server ?? 'server';
  const lines: string[] = [];
  lines.push(client.padEnd(INDENT.length + width + 1 - Math.floor(server.length / 2)) + server);
  lines.push(INDENT + note('', width));

  // Fold runs of alike events, or of alike groups of up to 8 (a request and its answer, a whole call).
  const rows: (TraceEvent | string)[] = [];
  let i = 0;
  while (i < events.length) {
    let period = 0;
    let repeats = 0;
    for (let p = 1; p <= 8; p++) {
      let r = 1;
      while (i + (r + 1) * p <= events.length) {
        let same = true;
        for (let k = 0; k < p; k++) if (shape(events[i + r * p + k]) !== shape(events[i + k])) same = false;
        if (!same) break;
        r++;
      }
      if (r > keep + 2 && r * p > repeats * period) {
        period = p;
        repeats = r;
      }
    }
    if (period === 0) {
      rows.push(events[i++]);
      continue;
    }
    for (let k = 0; k < keep * period; k++) rows.push(events[i + k]);
    const hidden = (repeats - keep - 1) * period;
    rows.push(`... ${hidden} more ...`);
    for (let k = 0; k < period; k++) rows.push(events[i + (repeats - 1) * period + k]);
    i += repeats * period;
  }

  for (const row of rows) {
    if (typeof row === 'string') {
      lines.push(INDENT + note(row, width));
      continue;
    }
    const suffix = row.size !== undefined && !row.summary.includes(`${row.size} B`) ? ` (${row.size} B)` : '';
    if (row.dir === '->') lines.push(INDENT + arrow(row.summary, suffix, width, true));
    else if (row.dir === '<-') lines.push(INDENT + arrow(row.summary, suffix, width, false));
    else lines.push(INDENT + note(`[${row.summary}${suffix}]`, width));
  }
  lines.push(INDENT + note('', width));
  return lines.join('\n');
}
