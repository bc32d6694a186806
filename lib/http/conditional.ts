/**
 * Conditional requests (RFC 9110 §13) and entity tags (§8.8.3), as pure
 * functions: header values and the current state of the resource in, a
 * decision out ('proceed', 304 or 412). No I/O; the app calls this.
 *
 *   entity-tag = [ weak ] opaque-tag      weak = "W/"      opaque-tag = DQUOTE *etagc DQUOTE
 *
 * §8.8.3.2: strong comparison needs both tags strong and the opaque-tags
 * equal; weak comparison only the opaque-tags. If-Match uses strong
 * comparison (a weak tag never satisfies it), If-None-Match weak.
 */
import { createHash } from 'node:crypto';

export interface EntityTag {
  weak: boolean;
  /** The opaque-tag including its double quotes. */
  opaque: string;
}

/** How many entity-tags of one If-Match / If-None-Match list we look at. */
export const DEFAULT_MAX_ETAGS = 64;

export type ETagList =
  | { kind: 'any' } // "*"
  | { kind: 'list'; tags: EntityTag[] }
  | { kind: 'malformed' }
  /** More than the allowed number of tags: evaluated conservatively, never scanned. */
  | { kind: 'too-many' };

/** Parse one entity-tag at `pos`; returns [tag, next index] or undefined. */
function parseTag(s: string, pos: number): [EntityTag, number] | undefined {
  let weak = false;
  if (s.charCodeAt(pos) === 0x57 && s.charCodeAt(pos + 1) === 0x2f) {
    weak = true; // %s"W/" is case-sensitive
    pos += 2;
  }
  if (s.charCodeAt(pos) !== 0x22) return undefined;
  const start = pos;
  pos++;
  for (; pos < s.length; pos++) {
    const c = s.charCodeAt(pos);
    if (c === 0x22) return [{ weak, opaque: s.slice(start, pos + 1) }, pos + 1];
    // etagc = %x21 / %x23-7E / obs-text
    if (c < 0x21 || c === 0x7f) return undefined;
  }
  return undefined;
}

/** Parse an entity tag (an ETag response header value). */
export function parseETag(value: string): EntityTag | undefined {
  const s = value.trim();
  const r = parseTag(s, 0);
  return r && r[1] === s.length ? r[0] : undefined;
}

/** `"*" / #entity-tag` (RFC 9110 §13.1.1, §13.1.2), at most `max` tags. */
export function parseETagList(value: string, max = DEFAULT_MAX_ETAGS): ETagList {
  let pos = 0;
  const n = value.length;
  const skipOws = () => {
    while (pos < n && (value.charCodeAt(pos) === 0x20 || value.charCodeAt(pos) === 0x09)) pos++;
  };
  skipOws();
  if (value.charCodeAt(pos) === 0x2a) {
    pos++;
    skipOws();
    return pos === n ? { kind: 'any' } : { kind: 'malformed' };
  }
  const tags: EntityTag[] = [];
  while (pos < n) {
    if (value.charCodeAt(pos) === 0x2c) {
      pos++; // empty list elements are allowed (RFC 9110 §5.6.1.2)
      skipOws();
      continue;
    }
    if (tags.length === max) return { kind: 'too-many' };
    const r = parseTag(value, pos);
    if (r === undefined) return { kind: 'malformed' };
    tags.push(r[0]);
    pos = r[1];
    skipOws();
    if (pos < n && value.charCodeAt(pos) !== 0x2c) return { kind: 'malformed' };
  }
  return tags.length ? { kind: 'list', tags } : { kind: 'malformed' };
}

/** RFC 9110 §8.8.3.2 strong comparison. */
export function strongMatch(a: EntityTag, b: EntityTag): boolean {
  return !a.weak && !b.weak && a.opaque === b.opaque;
}

/** RFC 9110 §8.8.3.2 weak comparison. */
export function weakMatch(a: EntityTag, b: EntityTag): boolean {
  return a.opaque === b.opaque;
}

/** A strong ETag for a representation's bytes: a hash, so equal bytes give equal tags. */
export function strongETag(body: string | Uint8Array): string {
  return '"' + createHash('sha1').update(body).digest('base64url') + '"';
}

/** HTTP-date (RFC 9110 §5.6.7) for a time in ms, as IMF-fixdate. */
export function httpDate(ms: number): string {
  return new Date(ms).toUTCString();
}

const MONTHS = ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];

function digits(s: string, from: number, count: number): number {
  let v = 0;
  for (let i = from; i < from + count; i++) {
    const c = s.charCodeAt(i) - 0x30;
    if (c < 0 || c > 9) return NaN;
    v = v * 10 + c;
  }
  return v;
}

/**
 * Parse an HTTP-date (RFC 9110 §5.6.7) to ms since the epoch, NaN when invalid.
 * IMF-fixdate is parsed by hand; the two obsolete forms recipients MUST
 * accept (rfc850-date, asctime-date) go to Date.parse, length-bounded.
 */
export function parseHttpDate(value: string | undefined): number {
  if (value === undefined) return NaN;
  const s = value.trim();
  // IMF-fixdate: "Sun, 06 Nov 1994 08:49:37 GMT"
  if (s.length === 29 && s[3] === ',' && s[4] === ' ' && s[7] === ' ' && s[11] === ' ' && s[16] === ' ' && s[19] === ':' && s[22] === ':' && s.endsWith(' GMT')) {
    const day = digits(s, 5, 2);
    const month = MONTHS.indexOf(s.slice(8, 11));
    const year = digits(s, 12, 4);
    const h = digits(s, 17, 2);
    const m = digits(s, 20, 2);
    const sec = digits(s, 23, 2);
    if (month < 0 || day < 1 || day > 31 || h > 23 || m > 59 || sec > 60) return NaN;
    return Date.UTC(year, month, day, h, m, sec);
  }
  if (s.length > 40) return NaN;
  // rfc850-date: "Sunday, 06-Nov-94 08:49:37 GMT"
  if (s.endsWith(' GMT') && s.indexOf(',') > 5 && s.charCodeAt(s.indexOf(',') + 4) === 0x2d) return Date.parse(s);
  // asctime-date: "Sun Nov  6 08:49:37 1994"
  if (s.length === 24 && s[3] === ' ' && s[7] === ' ' && s[10] === ' ') return Date.parse(s + ' GMT');
  return NaN;
}

/** The precondition headers of a request, as received. */
export interface Preconditions {
  method: string;
  ifMatch?: string;
  ifNoneMatch?: string;
  ifModifiedSince?: string;
  ifUnmodifiedSince?: string;
}

/** What the server knows about the selected representation. */
export interface CurrentState {
  /** Its ETag header value (e.g. `"abc"` or `W/"abc"`); undefined when it has none. */
  etag?: string;
  /** Last-Modified, ms since the epoch. */
  lastModified?: number;
  /** Whether there is a current representation (If-Match: * / If-None-Match: *). */
  exists?: boolean;
  /** Bound on tags read from a list (default DEFAULT_MAX_ETAGS). */
  maxETags?: number;
}

export type Decision = 'proceed' | 304 | 412;

/**
 * RFC 9110 §13.2.2: evaluate preconditions in the required order.
 *   1. If-Match -> false: 412
 *   2. else If-Unmodified-Since -> false: 412
 *   3. If-None-Match -> false: 304 for GET/HEAD, else 412
 *   4. else (GET/HEAD) If-Modified-Since -> false: 304
 */
export function evaluatePreconditions(req: Preconditions, cur: CurrentState): Decision {
  const exists = cur.exists ?? true;
  const current = cur.etag === undefined ? undefined : parseETag(cur.etag);
  const safe = req.method === 'GET' || req.method === 'HEAD';
  const max = cur.maxETags ?? DEFAULT_MAX_ETAGS;

  if (req.ifMatch !== undefined) {
    // §13.1.1: true for "*" when a current representation exists, or when a
    // listed tag strongly matches. A malformed or oversized list cannot prove
    // a match, so it fails: an unsafe change is never made on a guess.
    const list = parseETagList(req.ifMatch, max);
    let ok = false;
    if (list.kind === 'any') ok = exists;
    else if (list.kind === 'list' && current !== undefined && exists) ok = list.tags.some((t) => strongMatch(t, current));
    if (!ok) return 412;
  } else if (req.ifUnmodifiedSince !== undefined && cur.lastModified !== undefined) {
    // §13.1.4: ignored when If-Match is present, the date is invalid, or no modification date is known.
    const since = parseHttpDate(req.ifUnmodifiedSince);
    if (!Number.isNaN(since) && Math.floor(cur.lastModified / 1000) * 1000 > since) return 412;
  }

  if (req.ifNoneMatch !== undefined) {
    // §13.1.2: false for "*" when a representation exists, or when a listed
    // tag weakly matches. A malformed or oversized list is ignored: the full
    // response is always a correct answer to a GET.
    const list = parseETagList(req.ifNoneMatch, max);
    let matched = false;
    if (list.kind === 'any') matched = exists;
    else if (list.kind === 'list' && current !== undefined && exists) matched = list.tags.some((t) => weakMatch(t, current));
    if (matched) return safe ? 304 : 412;
  } else if (safe && req.ifModifiedSince !== undefined && cur.lastModified !== undefined && exists) {
    // §13.1.3: only for GET/HEAD and only without If-None-Match.
    const since = parseHttpDate(req.ifModifiedSince);
    if (!Number.isNaN(since) && Math.floor(cur.lastModified / 1000) * 1000 <= since) return 304;
  }
  return 'proceed';
}
