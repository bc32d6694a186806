/**
 * Media types and content negotiation (RFC 9110 §8.3.1, §12.5.1, §12.5.3).
 *
 * One strict parser for `type "/" subtype *( OWS ";" OWS parameter )` used
 * everywhere a media type is read, so that a request cannot be one type to a
 * check and another to the body parser. Hand-written, one pass, no regex:
 * case and whitespace are handled by the grammar, and anything left over
 * after the last parameter (`application/json garbage`) makes the whole value
 * invalid — the fastify Content-Type bypasses (CVE-2025-32442 and successors)
 * came from matching a prefix of the header and ignoring the rest.
 */
import { isOws, isTchar } from '../bytes/index.js';

export interface MediaType {
  /** Lowercase type, e.g. "application". */
  type: string;
  /** Lowercase subtype, e.g. "merge-patch+json". */
  subtype: string;
  /** `type/subtype`, lowercase. */
  essence: string;
  /** Parameters; names lowercase, values as sent (quoted-string unescaped). */
  params: Record<string, string>;
}


/** A cursor over one header value. */
class Scanner {
  pos = 0;
  constructor(readonly s: string) {}
  get done(): boolean {
    return this.pos >= this.s.length;
  }
  peek(): number {
    return this.pos < this.s.length ? this.s.charCodeAt(this.pos) : -1;
  }
  skipOws(): void {
    while (this.pos < this.s.length && isOws(this.s.charCodeAt(this.pos))) this.pos++;
  }
  /** token = 1*tchar; '' when none. */
  token(): string {
    const start = this.pos;
    while (this.pos < this.s.length && isTchar(this.s.charCodeAt(this.pos))) this.pos++;
    return this.s.slice(start, this.pos);
  }
  /** RFC 9110 §5.6.4 quoted-string, unescaped; undefined when malformed. */
  quoted(): string | undefined {
    if (this.peek() !== 0x22) return undefined;
    this.pos++;
    let out = '';
    while (this.pos < this.s.length) {
      const c = this.s.charCodeAt(this.pos++);
      if (c === 0x22) return out;
      if (c === 0x5c) {
        // quoted-pair = "\" ( HTAB / SP / VCHAR / obs-text )
        if (this.pos >= this.s.length) return undefined;
        const d = this.s.charCodeAt(this.pos++);
        if (d !== 0x09 && (d < 0x20 || d === 0x7f)) return undefined;
        out += String.fromCharCode(d);
        continue;
      }
      // qdtext = HTAB / SP / %x21 / %x23-5B / %x5D-7E / obs-text
      if (c !== 0x09 && (c < 0x20 || c === 0x7f)) return undefined;
      out += String.fromCharCode(c);
    }
    return undefined; // no closing quote
  }
}

/**
 * Parse the parameters after a media type (or media range): `*( OWS ";" OWS [ name "=" value ] )`.
 * Stops before `stop` (a comma inside Accept). Returns undefined when malformed.
 */
function parseParams(sc: Scanner, stopAtComma: boolean): Record<string, string> | undefined {
  const params: Record<string, string> = {};
  for (;;) {
    sc.skipOws();
    const c = sc.peek();
    if (c === -1 || (stopAtComma && c === 0x2c)) return params;
    if (c !== 0x3b) return undefined; // trailing garbage: not ";"
    sc.pos++;
    sc.skipOws();
    const d = sc.peek();
    if (d === -1 || d === 0x3b || (stopAtComma && d === 0x2c)) continue; // empty parameter is allowed
    const name = sc.token().toLowerCase();
    if (name === '' || sc.peek() !== 0x3d) return undefined;
    sc.pos++;
    const value = sc.peek() === 0x22 ? sc.quoted() : sc.token();
    if (value === undefined || value === '') return undefined;
    if (Object.prototype.hasOwnProperty.call(params, name)) return undefined; // duplicate parameter
    params[name] = value;
  }
}

/** Parse a Content-Type value; undefined when it is not exactly one valid media type. */
export function parseMediaType(value: string | undefined): MediaType | undefined {
  if (value === undefined) return undefined;
  const sc = new Scanner(value);
  sc.skipOws();
  const type = sc.token().toLowerCase();
  if (type === '' || sc.peek() !== 0x2f) return undefined;
  sc.pos++;
  const subtype = sc.token().toLowerCase();
  if (subtype === '') return undefined;
  const params = parseParams(sc, false);
  if (params === undefined) return undefined;
  return { type, subtype, essence: `${type}/${subtype}`, params };
}

/**
 * Whether a media type is JSON: `application/json` or `application/<x>+json`
 * (INTEROP.md §http), with no charset other than UTF-8 (RFC 8259 §8.1: JSON
 * exchanged between systems MUST be UTF-8).
 */
export function isJsonMediaType(mt: MediaType | undefined): boolean {
  if (mt === undefined || mt.type !== 'application') return false;
  const st = mt.subtype;
  if (st !== 'json' && !(st.length > 5 && st.endsWith('+json'))) return false;
  const cs = mt.params.charset;
  return cs === undefined || cs.toLowerCase() === 'utf-8';
}

/** One element of an Accept list. */
export interface MediaRange {
  type: string;
  subtype: string;
  params: Record<string, string>;
  /** RFC 9110 §12.4.2 weight, 0..1. */
  q: number;
}

/** RFC 9110 §12.4.2 qvalue = ( "0" [ "." 0*3DIGIT ] ) / ( "1" [ "." 0*3("0") ] ); NaN when malformed. */
export function parseQvalue(s: string): number {
  if (s.length === 0 || s.length > 5) return NaN;
  const first = s.charCodeAt(0);
  if (first !== 0x30 && first !== 0x31) return NaN;
  if (s.length === 1) return first - 0x30;
  if (s.charCodeAt(1) !== 0x2e) return NaN;
  for (let i = 2; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x30 || c > 0x39 || (first === 0x31 && c !== 0x30)) return NaN;
  }
  return Number(s);
}

/** Most elements of one list header we look at; the rest are ignored (bounded work). */
export const MAX_LIST_ELEMENTS = 64;

/**
 * Parse an Accept value (RFC 9110 §12.5.1) into media ranges. Malformed
 * elements are skipped; undefined when the header is absent.
 */
export function parseAccept(value: string | undefined): MediaRange[] | undefined {
  if (value === undefined) return undefined;
  const out: MediaRange[] = [];
  const sc = new Scanner(value);
  while (!sc.done && out.length < MAX_LIST_ELEMENTS) {
    sc.skipOws();
    if (sc.peek() === 0x2c) {
      sc.pos++;
      continue;
    }
    const range = parseRange(sc);
    if (range) out.push(range);
    // Skip to the next comma (the rest of a malformed element), honouring quotes.
    while (!sc.done && sc.peek() !== 0x2c) {
      if (sc.peek() === 0x22) {
        if (sc.quoted() === undefined) return out;
      } else sc.pos++;
    }
  }
  return out;
}

function parseRange(sc: Scanner): MediaRange | undefined {
  const type = sc.token().toLowerCase();
  if (type === '' || sc.peek() !== 0x2f) return undefined;
  sc.pos++;
  const subtype = sc.token().toLowerCase();
  if (subtype === '' || (type === '*' && subtype !== '*')) return undefined;
  const params = parseParams(sc, true);
  if (params === undefined) return undefined;
  let q = 1;
  if (params.q !== undefined) {
    q = parseQvalue(params.q);
    if (Number.isNaN(q)) return undefined;
    delete params.q;
  }
  return { type, subtype, params, q };
}

/**
 * RFC 9110 §12.5.1: pick the offered type the client prefers, or undefined
 * when every offer is excluded (the caller answers 406). The most specific
 * matching range decides an offer's weight; q=0 means "not acceptable".
 * Ties go to the first offer. No Accept header means anything is acceptable.
 */
export function negotiateType(accept: string | undefined, offers: readonly string[]): string | undefined {
  if (accept === undefined) return offers[0];
  const ranges = parseAccept(accept);
  if (ranges === undefined || ranges.length === 0) return offers[0]; // nothing parseable: treat as absent
  let best: string | undefined;
  let bestQ = 0;
  for (const offer of offers) {
    const slash = offer.indexOf('/');
    const type = offer.slice(0, slash);
    const subtype = offer.slice(slash + 1);
    let specificity = -1;
    let q = 0;
    for (const r of ranges) {
      let s: number;
      if (r.type === type && r.subtype === subtype) s = 2;
      else if (r.type === type && r.subtype === '*') s = 1;
      else if (r.type === '*') s = 0;
      else continue;
      if (s > specificity) {
        specificity = s;
        q = r.q;
      }
    }
    if (q > bestQ) {
      best = offer;
      bestQ = q;
    }
  }
  return best;
}

/** Fast path used per request: does this Accept value let us send application/json? */
export function acceptsJson(accept: string | undefined): boolean {
  if (accept === undefined || accept === '*/*' || accept === 'application/json') return true;
  return negotiateType(accept, ['application/json']) !== undefined;
}

/**
 * RFC 9110 §12.5.3 Accept-Encoding: the first of `supported` with the highest
 * weight, 'identity' when none is acceptable. `*` matches any coding not
 * listed; q=0 excludes.
 */
export function negotiateEncoding(acceptEncoding: string | undefined, supported: readonly string[]): string {
  if (acceptEncoding === undefined || acceptEncoding === '') return 'identity';
  const weights = new Map<string, number>();
  let star: number | undefined;
  const sc = new Scanner(acceptEncoding);
  let n = 0;
  while (!sc.done && n++ < MAX_LIST_ELEMENTS) {
    sc.skipOws();
    if (sc.peek() === 0x2c) {
      sc.pos++;
      continue;
    }
    const coding = sc.token().toLowerCase();
    let q = 1;
    sc.skipOws();
    if (sc.peek() === 0x3b) {
      const params = parseParams(sc, true);
      q = params === undefined ? NaN : params.q === undefined ? 1 : parseQvalue(params.q);
    }
    if (coding !== '' && !Number.isNaN(q)) {
      if (coding === '*') star = q;
      else if (!weights.has(coding)) weights.set(coding, q);
    }
    while (!sc.done && sc.peek() !== 0x2c) sc.pos++;
  }
  let best = 'identity';
  let bestQ = 0;
  for (const coding of supported) {
    const q = weights.get(coding) ?? star ?? 0;
    if (q > bestQ) {
      best = coding;
      bestQ = q;
    }
  }
  return best;
}
