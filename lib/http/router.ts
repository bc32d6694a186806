/**
 * The router: method + path pattern -> handler, as a tree of path segments.
 *
 * Patterns are `/`-separated segments, each one of:
 *   static      `items`      matches exactly that (after percent-decoding)
 *   param       `:id`        matches any non-empty segment, decoded, as params.id
 *   wildcard    `*` / `*rest` as the LAST segment: the rest of the path (may be empty)
 *
 * Lookup walks the tree one segment at a time; at each node it tries the
 * static child first, then the param child, then the wildcard, so static
 * segments win over params (`/items/new` beats `/items/:id`). A dead end backs
 * up to the next choice, but every tree node is entered at most once per
 * search (twice per lookup: a greedy pass without recursion first, the full
 * search only if that hits a dead end), so the work is bounded by the size of
 * the route table — never by the shape of the attacker's path. There is no regex anywhere: the ReDoS of
 * path-to-regexp (CVE-2024-45296) needs a backtracking regex to exist.
 *
 * The path identifies the resource first, then the method picks the handler
 * (RFC 9110 §9.1): a path that exists without this method is 405 with an
 * `Allow` listing the methods it has (§15.5.6), plus HEAD wherever GET is
 * (§9.3.2) and OPTIONS everywhere (§9.3.7).
 */

export type Params = Record<string, string>;

export type TrailingSlash =
  /** `/items/` and `/items` are different paths (default). */
  | 'strict'
  /** One trailing slash is ignored when matching. */
  | 'ignore'
  /** A path that only matches with/without its trailing slash is redirected there (308). */
  | 'redirect';

export interface RouterOptions {
  trailingSlash?: TrailingSlash;
}

export type RouteMatch<H> =
  | { kind: 'found'; handler: H; params: Params; pattern: string; allow: string }
  /** OPTIONS on a path without its own OPTIONS handler: answer with Allow. */
  | { kind: 'options'; allow: string; pattern: string }
  | { kind: 'method-not-allowed'; allow: string; pattern: string }
  | { kind: 'not-found' }
  | { kind: 'redirect'; location: string }
  /** The path has invalid percent-encoding (RFC 3986 §2.1) or is not origin-form. */
  | { kind: 'bad-path'; reason: string };

interface Node<H> {
  /** Exact-segment children, keyed by the decoded segment. */
  statics: Map<string, Node<H>> | undefined;
  /** The same children as parallel arrays, for matching in place without slicing the path. */
  staticKeys: string[];
  staticNodes: Node<H>[];
  /** First character code and length of each key: integer checks before comparing text. */
  staticFirst: number[];
  staticLen: number[];
  param: Node<H> | undefined;
  paramName: string;
  /** Set on the node that a trailing wildcard leads to. */
  wildcard: Node<H> | undefined;
  wildcardName: string;
  /** Handlers by method (uppercase); undefined until a route ends here. */
  handlers: Record<string, H> | undefined;
  /** The same as two short parallel arrays: a scan of a few interned strings beats a dictionary lookup. */
  methods: string[];
  fns: H[];
  pattern: string;
  /** Param and wildcard names along the path to this node, in order. */
  names: string[];
  allow: string;
}

function newNode<H>(): Node<H> {
  return { statics: undefined, staticKeys: [], staticNodes: [], staticFirst: [], staticLen: [], param: undefined, paramName: '', wildcard: undefined, wildcardName: '', handlers: undefined, methods: [], fns: [], pattern: '', names: [], allow: '' };
}

const METHOD_ORDER = ['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS'];

/** The Allow value for a set of methods: HEAD with GET, OPTIONS always (RFC 9110 §10.2.1). */
function allowOf(methods: string[]): string {
  const set = new Set(methods);
  if (set.has('GET')) set.add('HEAD');
  set.add('OPTIONS');
  const known = METHOD_ORDER.filter((m) => set.has(m));
  const other = [...set].filter((m) => !METHOD_ORDER.includes(m)).sort();
  return [...known, ...other].join(', ');
}

function handlerFor<H>(node: Node<H>, method: string): H | undefined {
  const methods = node.methods;
  for (let i = 0; i < methods.length; i++) if (methods[i] === method) return node.fns[i];
  return undefined;
}

const EMPTY_PARAMS: Params = Object.freeze({}) as Params;
const NOT_FOUND = Object.freeze({ kind: 'not-found' as const });

/** Decode one segment; undefined when the percent-encoding is invalid (or not UTF-8). */
export function decodeSegment(raw: string): string | undefined {
  if (raw.indexOf('%') === -1) return raw;
  try {
    return decodeURIComponent(raw);
  } catch {
    return undefined;
  }
}

export class Router<H> {
  private readonly root: Node<H> = newNode();
  private readonly trailingSlash: TrailingSlash;
  /** Captured param values of the lookup in progress (lookups are synchronous, so one array serves all). */
  private readonly values: string[] = [];
  private count = 0;
  readonly routes: { method: string; pattern: string }[] = [];

  constructor(opts: RouterOptions = {}) {
    this.trailingSlash = opts.trailingSlash ?? 'strict';
  }

  /** Add a route. Throws a TypeError (a programming mistake, not an HTTP error) on a malformed or conflicting pattern. */
  add(method: string, pattern: string, handler: H): this {
    method = method.toUpperCase();
    if (pattern[0] !== '/') throw new TypeError(`route pattern must start with "/": ${pattern}`);
    const segments = pattern === '/' ? [] : pattern.slice(1).split('/');
    let node = this.root;
    const names = new Set<string>();
    for (let i = 0; i < segments.length; i++) {
      const seg = segments[i];
      if (seg[0] === ':') {
        const name = seg.slice(1);
        if (name === '' || names.has(name)) throw new TypeError(`bad or repeated param name in ${pattern}`);
        names.add(name);
        if (node.param === undefined) {
          node.param = newNode();
          node.paramName = name;
        } else if (node.paramName !== name) {
          throw new TypeError(`param :${name} in ${pattern} conflicts with :${node.paramName} at the same position`);
        }
        node = node.param;
      } else if (seg[0] === '*') {
        if (i !== segments.length - 1) throw new TypeError(`wildcard must be the last segment: ${pattern}`);
        const name = seg.length > 1 ? seg.slice(1) : '*';
        if (node.wildcard === undefined) {
          node.wildcard = newNode();
          node.wildcardName = name;
        } else if (node.wildcardName !== name) {
          throw new TypeError(`wildcard *${name} in ${pattern} conflicts with *${node.wildcardName}`);
        }
        node = node.wildcard;
      } else {
        const key = decodeSegment(seg);
        if (key === undefined) throw new TypeError(`bad percent-encoding in pattern ${pattern}`);
        node.statics ??= new Map();
        let child = node.statics.get(key);
        if (child === undefined) {
          child = newNode();
          node.statics.set(key, child);
          node.staticKeys.push(key);
          node.staticNodes.push(child);
          node.staticFirst.push(key.length ? key.charCodeAt(0) : -1);
          node.staticLen.push(key.length);
        }
        node = child;
      }
    }
    node.handlers ??= Object.create(null) as Record<string, H>;
    if (node.handlers[method] !== undefined) throw new TypeError(`duplicate route ${method} ${pattern}`);
    node.handlers[method] = handler;
    node.methods.push(method);
    node.fns.push(handler);
    node.pattern = pattern;
    node.names = segments.filter((s) => s[0] === ':' || s[0] === '*').map((s) => (s[0] === ':' ? s.slice(1) : s.length > 1 ? s.slice(1) : '*'));
    node.allow = allowOf(Object.keys(node.handlers));
    this.routes.push({ method, pattern });
    return this;
  }

  /**
   * Find the route for a method and a path (origin-form, without the query).
   * Never throws on attacker input.
   */
  find(method: string, path: string): RouteMatch<H> {
    if (path.charCodeAt(0) !== 0x2f) return { kind: 'bad-path', reason: 'the request target is not an absolute path' };
    // RFC 3986 §2.1: a "%" must be followed by two hex digits (and the result be UTF-8).
    const hasPct = path.indexOf('%') !== -1;
    if (hasPct && decodeSegment(path) === undefined) {
      return { kind: 'bad-path', reason: 'invalid percent-encoding in the path' };
    }
    let lookup = path;
    if (this.trailingSlash === 'ignore' && path.length > 1 && path.charCodeAt(path.length - 1) === 0x2f) {
      lookup = path.slice(0, -1);
    }
    this.count = 0;
    let node = this.descend(lookup, hasPct);
    if (node === null) {
      // The greedy descent hit a dead end past a branch point: search properly.
      this.count = 0;
      node = this.walk(this.root, lookup, lookup.length === 1 ? -1 : 1, hasPct);
    }
    if (node === undefined) {
      if (this.trailingSlash === 'redirect' && path.length > 1) {
        const other = path.charCodeAt(path.length - 1) === 0x2f ? path.slice(0, -1) : path + '/';
        if (this.walk(this.root, other, other.length === 1 ? -1 : 1, hasPct) !== undefined) return { kind: 'redirect', location: other };
      }
      return NOT_FOUND;
    }
    let handler = handlerFor(node, method);
    if (handler === undefined && method === 'HEAD') handler = handlerFor(node, 'GET'); // RFC 9110 §9.3.2
    if (handler === undefined) {
      if (method === 'OPTIONS') return { kind: 'options', allow: node.allow, pattern: node.pattern };
      return { kind: 'method-not-allowed', allow: node.allow, pattern: node.pattern };
    }
    return { kind: 'found', handler, params: this.count === 0 ? EMPTY_PARAMS : this.params(node.names, this.values), pattern: node.pattern, allow: node.allow };
  }

  /** The static child of `node` named by path[start, end), if any. */
  private staticChild(node: Node<H>, path: string, start: number, end: number, hasPct: boolean): Node<H> | undefined {
    const lens = node.staticLen;
    if (hasPct || lens.length > 16) {
      // Decoded segments, or a wide fan-out: one slice and a hash lookup.
      const raw = path.slice(start, end);
      return node.statics?.get(hasPct && raw.indexOf('%') !== -1 ? decodeSegment(raw)! : raw);
    }
    // A few static keys: compare them in place (length, first character, text), no slicing.
    const len = end - start;
    const first = len ? path.charCodeAt(start) : -1;
    for (let i = 0; i < lens.length; i++) {
      if (lens[i] === len && node.staticFirst[i] === first && (len < 2 || path.startsWith(node.staticKeys[i], start))) return node.staticNodes[i];
    }
    return undefined;
  }

  /**
   * The common case without recursion: take the first choice at every level
   * (static, else param, else wildcard). It finds what walk() would find
   * whenever it succeeds, because walk() tries the same choice first; on a
   * dead end it returns null if some level had an untried alternative (then
   * walk() searches), undefined if there was none (a plain 404).
   */
  private descend(path: string, hasPct: boolean): Node<H> | undefined | null {
    let node = this.root;
    let start = path.length === 1 ? -1 : 1;
    let branched = false;
    while (start !== -1) {
      const slash = path.indexOf('/', start);
      const end = slash === -1 ? path.length : slash;
      const child = this.staticChild(node, path, start, end, hasPct);
      if (child !== undefined) {
        if (node.param !== undefined || node.wildcard !== undefined) branched = true;
        node = child;
      } else if (node.param !== undefined && end > start) {
        if (node.wildcard !== undefined) branched = true;
        const raw = path.slice(start, end);
        this.values[this.count++] = hasPct && raw.indexOf('%') !== -1 ? decodeSegment(raw)! : raw;
        node = node.param;
      } else if (node.wildcard !== undefined && node.wildcard.handlers !== undefined) {
        this.values[this.count++] = hasPct ? decodeSegment(path.slice(start))! : path.slice(start);
        return node.wildcard;
      } else {
        return branched ? null : undefined;
      }
      start = slash === -1 ? -1 : slash + 1;
    }
    if (node.handlers !== undefined) return node;
    return branched ? null : undefined;
  }

  /**
   * Depth-first over the tree, static > param > wildcard at each level.
   * `start` is the index where the next segment begins, -1 when none is left.
   */
  private walk(node: Node<H>, path: string, start: number, hasPct: boolean): Node<H> | undefined {
    if (start === -1) return node.handlers !== undefined ? node : undefined;
    const slash = path.indexOf('/', start);
    const next = slash === -1 ? -1 : slash + 1;
    const end = slash === -1 ? path.length : slash;
    let seg: string | undefined;
    if (hasPct || node.staticKeys.length > 16) {
      // Decoded segments, or a wide fan-out: one slice and a hash lookup.
      const raw = path.slice(start, end);
      seg = hasPct && raw.indexOf('%') !== -1 ? decodeSegment(raw)! : raw; // validated in find()
      const child = node.statics?.get(seg);
      if (child !== undefined) {
        const found = this.walk(child, path, next, hasPct);
        if (found !== undefined) return found;
      }
    } else {
      // A few static keys: compare them in place (same length, same characters), no slicing.
      const lens = node.staticLen;
      const len = end - start;
      const first = len ? path.charCodeAt(start) : -1;
      for (let i = 0; i < lens.length; i++) {
        if (lens[i] === len && node.staticFirst[i] === first && (len < 2 || path.startsWith(node.staticKeys[i], start))) {
          const child = node.staticNodes[i];
          if (next === -1) {
            if (child.handlers !== undefined) return child; // the last segment: no call needed
          } else {
            const found = this.walk(child, path, next, hasPct);
            if (found !== undefined) return found;
          }
          break;
        }
      }
      if (node.param === undefined && node.wildcard === undefined) return undefined;
      seg = path.slice(start, end);
    }
    if (node.param !== undefined && seg !== '') {
      this.values[this.count++] = seg;
      const child = node.param;
      if (next === -1) {
        if (child.handlers !== undefined) return child;
      } else {
        const found = this.walk(child, path, next, hasPct);
        if (found !== undefined) return found;
      }
      this.count--;
    }
    if (node.wildcard !== undefined && node.wildcard.handlers !== undefined) {
      this.values[this.count++] = decodeSegment(path.slice(start))!;
      return node.wildcard;
    }
    return undefined;
  }

  /** Pair the captured values with the names along the matched pattern. */
  private params(names: string[], values: string[]): Params {
    const params: Params = {};
    for (let i = 0; i < names.length; i++) params[names[i]] = values[i];
    return params;
  }
}
