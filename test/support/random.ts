/**
 * Seeded randomness for tests: the same seed gives the same cases, and each
 * randomised test prints its seed so a failure can be replayed with
 * BAREWIRE_SEED=<seed>.
 */

/** mulberry32: a tiny, fast 32-bit PRNG. Returns floats in [0, 1). */
export function prng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** The seed for a randomised test: BAREWIRE_SEED if set, else the fixed default; printed. */
export function testSeed(name: string, fallback = 0x5eed): number {
  const env = process.env.BAREWIRE_SEED;
  const seed = env ? Number(env) : fallback;
  console.log(`# ${name}: seed ${seed} (replay with BAREWIRE_SEED=${seed})`);
  return seed;
}

export class Rand {
  readonly next: () => number;
  constructor(seed: number) {
    this.next = prng(seed);
  }
  /** Integer in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  /** Integer in [lo, hi]. */
  range(lo: number, hi: number): number {
    return lo + this.int(hi - lo + 1);
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)];
  }
  bytes(n: number): Uint8Array {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) out[i] = this.int(256);
    return out;
  }
  bool(p = 0.5): boolean {
    return this.next() < p;
  }
  /** Split `data` into pieces at random boundaries (each piece at least 1 byte). */
  split(data: Uint8Array, maxPieces = 8): Uint8Array[] {
    const pieces: Uint8Array[] = [];
    let pos = 0;
    while (pos < data.length) {
      const left = data.length - pos;
      const take = pieces.length >= maxPieces - 1 ? left : this.range(1, left);
      pieces.push(data.subarray(pos, pos + take));
      pos += take;
    }
    return pieces;
  }
}

/** Every way to cut `data` into two pieces (and the whole), for "any split" parser tests. */
export function* everySplit(data: Uint8Array): Generator<Uint8Array[]> {
  yield [data];
  for (let i = 1; i < data.length; i++) yield [data.subarray(0, i), data.subarray(i)];
}

/** One byte at a time. */
export function bytewise(data: Uint8Array): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < data.length; i++) out.push(data.subarray(i, i + 1));
  return out;
}

export function hex(s: string): Uint8Array {
  return Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
}

export function toHex(b: Uint8Array): string {
  return Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
}
