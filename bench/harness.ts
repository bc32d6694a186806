/**
 * The one benchmark harness: candidates run interleaved, round after round,
 * in one process and one run, so a noisy shared machine slows them alike.
 * Reports each candidate's median rate with its min-max, and the ratio of the
 * first candidate (barewire) to each other one, computed round by round
 * (median and min-max of the per-round ratios).
 *
 *   await compare('ws echo 1 KiB', [
 *     { name: 'barewire', run: () => echo(barewireServer, 1000) },   // returns ops done
 *     { name: 'ws', run: () => echo(wsServer, 1000) },
 *   ], { unit: 'msg/s', bytesPerOp: 1024 });
 */

export interface Candidate {
  name: string;
  /** One round of work; returns how many operations it did. */
  run(): Promise<number> | number;
}

export interface CompareOptions {
  /** Measured rounds (default 7, or BENCH_ROUNDS). */
  rounds?: number;
  /** Unmeasured warm-up rounds per candidate (default 1). */
  warmup?: number;
  /** Name of the rate unit (default 'ops/s'). */
  unit?: string;
  /** When set, MB/s is reported too. */
  bytesPerOp?: number;
}

export interface CandidateResult {
  name: string;
  median: number;
  min: number;
  max: number;
  /** Per-round rates. */
  rates: number[];
  /** Ratio of the first candidate to this one (1 for the first itself). */
  ratio: { median: number; min: number; max: number };
}

export interface BenchResult {
  title: string;
  unit: string;
  bytesPerOp?: number;
  candidates: CandidateResult[];
}

const results: BenchResult[] = [];

export function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export function fmtRate(n: number): string {
  if (n >= 1e6) return (n / 1e6).toFixed(2) + 'M';
  if (n >= 1e3) return (n / 1e3).toFixed(1) + 'k';
  return n.toFixed(1);
}

export async function compare(title: string, candidates: Candidate[], opts: CompareOptions = {}): Promise<BenchResult> {
  const rounds = opts.rounds ?? Number(process.env.BENCH_ROUNDS ?? 7);
  const warmup = opts.warmup ?? 1;
  const unit = opts.unit ?? 'ops/s';
  for (let w = 0; w < warmup; w++) for (const c of candidates) await c.run();
  const rates: number[][] = candidates.map(() => []);
  for (let r = 0; r < rounds; r++) {
    // Rotate the order each round so no candidate always runs first.
    for (let k = 0; k < candidates.length; k++) {
      const i = (k + r) % candidates.length;
      const t0 = process.hrtime.bigint();
      const ops = await candidates[i].run();
      const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
      rates[i].push(ops / seconds);
    }
  }
  const out: BenchResult = {
    title,
    unit,
    bytesPerOp: opts.bytesPerOp,
    candidates: candidates.map((c, i) => {
      const ratios = rates[0].map((a, r) => a / rates[i][r]);
      return {
        name: c.name,
        median: median(rates[i]),
        min: Math.min(...rates[i]),
        max: Math.max(...rates[i]),
        rates: rates[i],
        ratio: { median: median(ratios), min: Math.min(...ratios), max: Math.max(...ratios) },
      };
    }),
  };
  results.push(out);
  printResult(out);
  return out;
}

function printResult(r: BenchResult): void {
  const lines = [`\n${r.title}  (${r.candidates[0].rates.length} interleaved rounds)`];
  for (const c of r.candidates) {
    const mb = r.bytesPerOp ? `  ${((c.median * r.bytesPerOp) / 1e6).toFixed(1)} MB/s` : '';
    const ratio = c === r.candidates[0] ? '' : `  ${r.candidates[0].name}/${c.name} = ${c.ratio.median.toFixed(2)}x (${c.ratio.min.toFixed(2)}-${c.ratio.max.toFixed(2)})`;
    lines.push(`  ${c.name.padEnd(22)} ${fmtRate(c.median).padStart(8)} ${r.unit} (${fmtRate(c.min)}-${fmtRate(c.max)})${mb}${ratio}`);
  }
  console.log(lines.join('\n'));
}

/** Every result so far as a Markdown table (for docs/<protocol>.md). */
export function markdownTable(list: BenchResult[] = results): string {
  const rows = ['| benchmark | candidate | median | min-max | ratio barewire/candidate (min-max) |', '|---|---|---:|---:|---:|'];
  for (const r of list) {
    for (const c of r.candidates) {
      const ratio = c === r.candidates[0] ? '—' : `${c.ratio.median.toFixed(2)}x (${c.ratio.min.toFixed(2)}-${c.ratio.max.toFixed(2)})`;
      rows.push(`| ${r.title} | ${c.name} | ${fmtRate(c.median)} ${r.unit} | ${fmtRate(c.min)}-${fmtRate(c.max)} | ${ratio} |`);
    }
  }
  return rows.join('\n');
}

export function allResults(): BenchResult[] {
  return results;
}
