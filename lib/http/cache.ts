/**
 * Caching helpers (RFC 9111) for responses: Cache-Control directives,
 * Vary, Last-Modified. Pure functions over header values.
 *
 * An API response is cacheable by default only when it says so: the server
 * states freshness with Cache-Control (RFC 9111 §5.2.2), gives a validator
 * (ETag, Last-Modified: RFC 9110 §8.8) so a stale copy can be revalidated
 * with a conditional request, and lists in Vary (RFC 9110 §12.5.5) every
 * request header that chose the representation.
 */

export interface CacheControl {
  /** §5.2.2.1 max-age, seconds. */
  maxAge?: number;
  /** §5.2.2.10 s-maxage, seconds (shared caches). */
  sMaxAge?: number;
  /** §5.2.2.4 no-cache: store, but revalidate before every use. */
  noCache?: boolean;
  /** §5.2.2.5 no-store. */
  noStore?: boolean;
  /** §5.2.2.7 private. */
  private?: boolean;
  /** §5.2.2.9 public. */
  public?: boolean;
  /** §5.2.2.2 must-revalidate. */
  mustRevalidate?: boolean;
  /** §5.2.2.6 no-transform. */
  noTransform?: boolean;
  /** RFC 8246 immutable. */
  immutable?: boolean;
  /** RFC 5861 stale-while-revalidate, seconds. */
  staleWhileRevalidate?: number;
}

function seconds(name: string, v: number): string {
  if (!Number.isInteger(v) || v < 0) throw new RangeError(`Cache-Control ${name} must be a whole number of seconds, got ${v}`);
  return `${name}=${v}`;
}

/** Build a Cache-Control value: cacheControl({ maxAge: 60, public: true }) -> "public, max-age=60". */
export function cacheControl(cc: CacheControl): string {
  const out: string[] = [];
  if (cc.public) out.push('public');
  if (cc.private) out.push('private');
  if (cc.noStore) out.push('no-store');
  if (cc.noCache) out.push('no-cache');
  if (cc.noTransform) out.push('no-transform');
  if (cc.maxAge !== undefined) out.push(seconds('max-age', cc.maxAge));
  if (cc.sMaxAge !== undefined) out.push(seconds('s-maxage', cc.sMaxAge));
  if (cc.mustRevalidate) out.push('must-revalidate');
  if (cc.staleWhileRevalidate !== undefined) out.push(seconds('stale-while-revalidate', cc.staleWhileRevalidate));
  if (cc.immutable) out.push('immutable');
  return out.join(', ');
}

/**
 * Parse a Cache-Control value into lowercase directive -> argument ('' when
 * none). RFC 9111 §5.2: directive names are case-insensitive; arguments are
 * token or quoted-string. Malformed pieces are skipped. At most 32 directives.
 */
export function parseCacheControl(value: string | undefined): Map<string, string> {
  const out = new Map<string, string>();
  if (value === undefined) return out;
  for (const part of value.split(',', 32)) {
    const eq = part.indexOf('=');
    const name = (eq === -1 ? part : part.slice(0, eq)).trim().toLowerCase();
    if (name === '') continue;
    let arg = eq === -1 ? '' : part.slice(eq + 1).trim();
    if (arg.length >= 2 && arg[0] === '"' && arg[arg.length - 1] === '"') arg = arg.slice(1, -1);
    if (!out.has(name)) out.set(name, arg);
  }
  return out;
}

/**
 * Add field names to a Vary value (RFC 9110 §12.5.5), case-insensitively
 * without duplicates; "*" absorbs everything.
 */
export function appendVary(existing: string | undefined, ...fields: string[]): string {
  const list = existing ? existing.split(',').map((s) => s.trim()).filter(Boolean) : [];
  if (list.includes('*')) return '*';
  for (const f of fields) {
    if (f === '*') return '*';
    if (!list.some((x) => x.toLowerCase() === f.toLowerCase())) list.push(f);
  }
  return list.join(', ');
}

/** Last-Modified has one-second resolution (RFC 9110 §8.8.2): truncate ms to that. */
export function lastModifiedSeconds(ms: number): number {
  return Math.floor(ms / 1000) * 1000;
}
