/**
 * The app: routes and middleware in, node:http `(req, res)` handler out.
 *
 * One request goes through these steps:
 *
 *   request ──> middleware (CORS, logging ...) ──> router.find(method, path)
 *      found         -> Accept check (406) -> handler(ctx) -> value -> JSON response
 *      OPTIONS       -> 204 + Allow                                  (RFC 9110 §9.3.7)
 *      no method     -> 405 + Allow                                  (RFC 9110 §15.5.6)
 *      no path       -> 404;  bad %XX -> 400
 *   any throw ──> problem+json (RFC 9457); unexpected exceptions -> bare 500
 *
 * Responses written through `ctx.send` get an exact Content-Length, an ETag
 * on request, conditional GET (304, RFC 9110 §13.2), and compression when
 * accepted and worthwhile.
 */
import type { IncomingMessage, OutgoingHttpHeaders, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { HttpError } from './errors.js';
import { Router, type Params, type TrailingSlash } from './router.js';
import { acceptsJson } from './media.js';
import { readJsonBody, hasBody, DEFAULT_MAX_BODY_BYTES, DEFAULT_MAX_JSON_DEPTH, type BodyOptions } from './body.js';
import { evaluatePreconditions, httpDate, strongETag, type CurrentState, DEFAULT_MAX_ETAGS } from './conditional.js';
import { appendVary, cacheControl, type CacheControl } from './cache.js';
import { chooseEncoding, compress, encodedETag, DEFAULT_COMPRESSION_THRESHOLD, type CompressionOptions } from './compress.js';
import { PROBLEM_JSON, problemFromThrown } from './problem.js';

/** Names of `:param` and `*rest` segments in a route pattern, as a type. */
export type ParamKeys<P extends string> = P extends `${string}:${infer Name}/${infer Rest}`
  ? Name | ParamKeys<`/${Rest}`>
  : P extends `${string}:${infer Name}`
    ? Name
    : P extends `${string}/*${infer W}`
      ? W extends '' ? '*' : W
      : never;

export type Handler<P extends Params = Params> = (ctx: Context<P>) => unknown;
export type Middleware = (ctx: Context, next: () => Promise<void>) => unknown;

export interface AppOptions {
  trailingSlash?: TrailingSlash;
  /** Largest request body (default 1 MiB, exactly that accepted). */
  maxBodyBytes?: number;
  /** Deepest JSON nesting in a request body (default 256). */
  maxJsonDepth?: number;
  /** Compression of responses; false turns it off. */
  compression?: CompressionOptions | false;
  /** Most entity-tags read from one If-Match / If-None-Match (default 64). */
  maxETags?: number;
  /** Called with unexpected exceptions (the client only sees a bare 500). Default: one line on stderr. */
  onError?: (err: unknown, ctx: Context) => void;
}

export interface SendOptions {
  /** `true`: a strong ETag computed from the body; a string: that ETag. */
  etag?: boolean | string;
  /** Last-Modified (RFC 9110 §8.8.2). */
  lastModified?: number | Date;
  cacheControl?: string | CacheControl;
  /** Request header names that selected this representation (Vary). */
  vary?: string[];
  headers?: OutgoingHttpHeaders;
  /** Media type of the body (default application/json). */
  contentType?: string;
}

const EMPTY: Params = Object.freeze({}) as Params;

/** What a handler sees: the request, its params, and ways to answer. */
export class Context<P extends Params = Params> {
  params: P = EMPTY as P;
  /** The matched route pattern ('' before routing or when none matched). */
  route = '';
  /** The Allow value of the matched path (RFC 9110 §10.2.1). */
  allow = '';
  /** Whether a response has been started through this context. */
  responded = false;
  private _query: URLSearchParams | undefined;
  private _state: Record<string, unknown> | undefined;
  private _body: Promise<unknown> | undefined;

  constructor(
    readonly app: App,
    readonly req: IncomingMessage,
    readonly res: ServerResponse,
    readonly method: string,
    /** The path, still percent-encoded, without the query. */
    readonly path: string,
    readonly rawQuery: string,
  ) {}

  /** Per-request scratch space for middleware (made on first use). */
  get state(): Record<string, unknown> {
    return (this._state ??= {});
  }

  /** The query string parsed (RFC 3986 §3.4, application/x-www-form-urlencoded rules). */
  get query(): URLSearchParams {
    return (this._query ??= new URLSearchParams(this.rawQuery));
  }

  header(name: string): string | undefined {
    const v = this.req.headers[name.toLowerCase()];
    return Array.isArray(v) ? v.join(', ') : v;
  }

  /**
   * A list-valued request header read straight from rawHeaders (lines
   * joined with ", ", RFC 9110 §5.3), without making node build the whole
   * `req.headers` object — the hot path reads only Accept and Accept-Encoding.
   */
  rawHeader(lowerName: string): string | undefined {
    const raw = this.req.rawHeaders;
    let out: string | undefined;
    for (let i = 0; i < raw.length; i += 2) {
      const k = raw[i];
      if (k.length === lowerName.length && (k === lowerName || k.toLowerCase() === lowerName)) {
        out = out === undefined ? raw[i + 1] : out + ', ' + raw[i + 1];
      }
    }
    return out;
  }

  /** The request body as JSON (415 / 413 / 400 / 422 as body.ts says). Read once; later calls share it. */
  json<T = unknown>(opts?: BodyOptions): Promise<T> {
    this._body ??= readJsonBody(this.req, {
      maxBytes: this.app.maxBodyBytes,
      maxDepth: this.app.maxJsonDepth,
      ...opts,
    });
    return this._body as Promise<T>;
  }

  /** The request body, which must be a JSON object (else 422). */
  async jsonObject(opts?: BodyOptions): Promise<Record<string, unknown>> {
    const v = await this.json(opts);
    if (v === null || typeof v !== 'object' || Array.isArray(v)) {
      const kind = v === null ? 'null' : Array.isArray(v) ? 'an array' : `a ${typeof v}`;
      throw new HttpError(422, 'UNPROCESSABLE', `the JSON body must be an object, got ${kind}`);
    }
    return v as Record<string, unknown>;
  }

  /**
   * Evaluate If-Match / If-Unmodified-Since / If-None-Match (RFC 9110 §13.2.2)
   * before changing state: throws 412 when they fail. Returns 304 when a
   * GET/HEAD is not modified (send() does that by itself for GET).
   */
  preconditions(state: CurrentState): 'proceed' | 304 {
    const h = this.req.headers;
    if (h['if-match'] === undefined && h['if-none-match'] === undefined && h['if-unmodified-since'] === undefined && h['if-modified-since'] === undefined) {
      return 'proceed';
    }
    const d = evaluatePreconditions(
      { method: this.method, ifMatch: h['if-match'], ifNoneMatch: h['if-none-match'], ifModifiedSince: h['if-modified-since'], ifUnmodifiedSince: h['if-unmodified-since'] },
      { maxETags: this.app.maxETags, ...state },
    );
    if (d === 412) throw new HttpError(412, 'PRECONDITION_FAILED', 'a precondition of the request (If-Match, If-None-Match or If-Unmodified-Since) is false');
    return d;
  }

  /** Answer with a JSON value (or nothing when `value` is undefined). */
  send(status: number, value?: unknown, opts?: SendOptions): void | Promise<void> {
    const body = value === undefined ? '' : JSON.stringify(value);
    return this.sendText(status, body, opts);
  }

  /** 204 No Content. */
  noContent(headers?: OutgoingHttpHeaders): void {
    this.begin();
    this.res.writeHead(204, headers);
    this.res.end();
  }

  /** 201 Created with Location (RFC 9110 §15.3.2, §10.2.2). */
  created(location: string, value: unknown, opts: SendOptions = {}): void | Promise<void> {
    return this.send(201, value, { ...opts, headers: { ...opts.headers, location } });
  }

  private begin(): void {
    if (this.responded) throw new Error('a response was already sent for this request');
    this.responded = true;
  }

  /** Write a text body of a given type, with caching and compression. */
  sendText(status: number, body: string, opts?: SendOptions): void | Promise<void> {
    this.begin();
    const res = this.res;
    const head = this.method === 'HEAD';
    const comp = this.app.compression;
    // The common case: no validators, nothing to compress. As cheap as node:http itself.
    if (opts === undefined && (comp === false || body.length < comp.threshold! || this.rawHeader('accept-encoding') === undefined)) {
      res.writeHead(status, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(head ? undefined : body);
      return;
    }
    const o = opts ?? {};
    const headers: OutgoingHttpHeaders = { 'content-type': o.contentType ?? 'application/json' };
    let etag = o.etag === true ? strongETag(body) : typeof o.etag === 'string' ? o.etag : undefined;
    const lm = o.lastModified instanceof Date ? o.lastModified.getTime() : o.lastModified;
    if (o.cacheControl !== undefined) headers['cache-control'] = typeof o.cacheControl === 'string' ? o.cacheControl : cacheControl(o.cacheControl);
    let vary = o.vary?.length ? appendVary(undefined, ...o.vary) : undefined;
    const size = Buffer.byteLength(body);
    let coding: 'br' | 'gzip' | undefined;
    if (comp !== false && status !== 204 && size >= comp.threshold!) {
      // The coding depends on Accept-Encoding from here on, whatever it is now (RFC 9110 §12.5.5).
      vary = appendVary(vary, 'Accept-Encoding');
      coding = chooseEncoding(this.req.headers['accept-encoding'], size, comp);
      if (coding !== undefined && etag !== undefined) etag = encodedETag(etag, coding);
    }
    if (etag !== undefined) headers.etag = etag;
    if (lm !== undefined) headers['last-modified'] = httpDate(lm);
    if (vary !== undefined) headers.vary = vary;
    if (o.headers) Object.assign(headers, o.headers);

    // RFC 9110 §13.2.1: preconditions only matter when the answer would be 2xx.
    if ((this.method === 'GET' || head) && status >= 200 && status < 300 && (etag !== undefined || lm !== undefined)) {
      const h = this.req.headers;
      if (h['if-none-match'] !== undefined || h['if-modified-since'] !== undefined || h['if-match'] !== undefined || h['if-unmodified-since'] !== undefined) {
        const d = evaluatePreconditions(
          { method: this.method, ifMatch: h['if-match'], ifNoneMatch: h['if-none-match'], ifModifiedSince: h['if-modified-since'], ifUnmodifiedSince: h['if-unmodified-since'] },
          { etag, lastModified: lm, maxETags: this.app.maxETags },
        );
        if (d === 304) {
          // RFC 9110 §15.4.5: same validators and caching headers as the 200 would have, no content.
          delete headers['content-type'];
          res.writeHead(304, headers);
          res.end();
          return;
        }
        if (d === 412) {
          this.responded = false;
          throw new HttpError(412, 'PRECONDITION_FAILED', 'If-Match or If-Unmodified-Since is false for the current representation');
        }
      }
    }
    if (coding === undefined) {
      headers['content-length'] = size;
      res.writeHead(status, headers);
      res.end(head ? undefined : body);
      return;
    }
    headers['content-encoding'] = coding;
    return compress(Buffer.from(body), coding, comp === false ? undefined : comp).then((buf) => {
      headers['content-length'] = buf.length;
      res.writeHead(status, headers);
      res.end(head ? undefined : buf);
    });
  }
}

/** How long to keep reading (and discarding) after answering with close while the client still sends. */
const LINGER_MS = 2000;

/**
 * After an error that closes the connection before the body was read (413),
 * close our side but keep reading for a moment, so the client's remaining
 * upload does not turn into a TCP reset that destroys our response before
 * the client reads it (RFC 9112 §9.6 "staged" close).
 */
function lingerAfterResponse(req: IncomingMessage, res: ServerResponse): void {
  const sock = res.socket as (Socket & { destroySoon?: () => void }) | null;
  if (!sock || typeof sock.destroySoon !== 'function') return;
  sock.destroySoon = () => {
    sock.end();
    req.resume();
    const t = setTimeout(() => sock.destroy(), LINGER_MS);
    t.unref();
    sock.once('close', () => clearTimeout(t));
  };
}

export class App {
  readonly router: Router<Handler<any>>;
  readonly middleware: Middleware[] = [];
  readonly maxBodyBytes: number;
  readonly maxJsonDepth: number;
  readonly maxETags: number;
  readonly compression: (CompressionOptions & { threshold: number }) | false;
  private readonly onError: (err: unknown, ctx: Context) => void;

  constructor(opts: AppOptions = {}) {
    this.router = new Router({ trailingSlash: opts.trailingSlash });
    this.maxBodyBytes = opts.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
    this.maxJsonDepth = opts.maxJsonDepth ?? DEFAULT_MAX_JSON_DEPTH;
    this.maxETags = opts.maxETags ?? DEFAULT_MAX_ETAGS;
    this.compression = opts.compression === false ? false : { ...opts.compression, threshold: opts.compression?.threshold ?? DEFAULT_COMPRESSION_THRESHOLD };
    this.onError =
      opts.onError ??
      ((err, ctx) => process.stderr.write(`barewire http: ${ctx.method} ${ctx.path}: unexpected ${(err as Error)?.stack?.split('\n')[0] ?? String(err)}\n`));
  }

  route<Pat extends string>(method: string, pattern: Pat, handler: Handler<Record<ParamKeys<Pat>, string>>): this {
    this.router.add(method, pattern, handler);
    return this;
  }
  get<Pat extends string>(pattern: Pat, handler: Handler<Record<ParamKeys<Pat>, string>>): this {
    return this.route('GET', pattern, handler);
  }
  post<Pat extends string>(pattern: Pat, handler: Handler<Record<ParamKeys<Pat>, string>>): this {
    return this.route('POST', pattern, handler);
  }
  put<Pat extends string>(pattern: Pat, handler: Handler<Record<ParamKeys<Pat>, string>>): this {
    return this.route('PUT', pattern, handler);
  }
  patch<Pat extends string>(pattern: Pat, handler: Handler<Record<ParamKeys<Pat>, string>>): this {
    return this.route('PATCH', pattern, handler);
  }
  delete<Pat extends string>(pattern: Pat, handler: Handler<Record<ParamKeys<Pat>, string>>): this {
    return this.route('DELETE', pattern, handler);
  }
  use(mw: Middleware): this {
    this.middleware.push(mw);
    return this;
  }

  /** The node:http request listener. */
  readonly handle = (req: IncomingMessage, res: ServerResponse): void => {
    let url = req.url ?? '/';
    // RFC 9112 §3.2.2: absolute-form targets are accepted; the path is what routes.
    if (url.charCodeAt(0) !== 0x2f && url !== '*') url = stripAuthority(url);
    const q = url.indexOf('?');
    const ctx = new Context(this, req, res, req.method!, q === -1 ? url : url.slice(0, q), q === -1 ? '' : url.slice(q + 1));
    let p: unknown;
    try {
      p = this.middleware.length === 0 ? this.dispatch(ctx) : this.runMiddleware(ctx, 0);
    } catch (err) {
      this.fail(ctx, err);
      return;
    }
    if (p !== undefined) (p as Promise<void>).then(undefined, (err) => this.fail(ctx, err));
  };

  private runMiddleware(ctx: Context, i: number): Promise<void> {
    if (i === this.middleware.length) return Promise.resolve(this.dispatch(ctx));
    try {
      return Promise.resolve(this.middleware[i](ctx, () => this.runMiddleware(ctx, i + 1))).then(() => undefined);
    } catch (err) {
      return Promise.reject(err);
    }
  }

  /** Route and run the handler. Returns a promise only when something is asynchronous. */
  dispatch(ctx: Context): void | Promise<void> {
    if (ctx.method === 'OPTIONS' && ctx.path === '*') {
      // RFC 9110 §9.3.7: OPTIONS * asks about the server in general.
      ctx.noContent({ allow: 'GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS' });
      return;
    }
    const m = this.router.find(ctx.method, ctx.path);
    switch (m.kind) {
      case 'found': {
        ctx.params = m.params;
        ctx.route = m.pattern;
        ctx.allow = m.allow;
        // RFC 9110 §15.5.7: 406 when Accept excludes the only type we send.
        const accept = ctx.rawHeader('accept');
        if (accept !== undefined && ctx.method !== 'OPTIONS' && !acceptsJson(accept)) {
          throw new HttpError(406, 'NOT_ACCEPTABLE', `this resource is only available as application/json; Accept was ${JSON.stringify(accept.slice(0, 200))}`);
        }
        const r = m.handler(ctx);
        if (r instanceof Promise) return r.then((v) => finish(ctx, v));
        return finish(ctx, r);
      }
      case 'options':
        ctx.noContent({ allow: m.allow });
        return;
      case 'method-not-allowed':
        throw new HttpError(405, 'METHOD_NOT_ALLOWED', `${ctx.method} is not allowed on ${m.pattern}; allowed: ${m.allow}`, { headers: { allow: m.allow } });
      case 'not-found':
        throw new HttpError(404, 'NOT_FOUND', `no resource at ${ctx.path.slice(0, 200)}`);
      case 'redirect': {
        // RFC 9110 §15.4.9: 308 keeps the method and body on the retry.
        const location = m.location + (ctx.rawQuery ? '?' + ctx.rawQuery : '');
        ctx.responded = true;
        ctx.res.writeHead(308, { location });
        ctx.res.end();
        return;
      }
      case 'bad-path':
        throw new HttpError(400, 'BAD_PERCENT_ENCODING', m.reason);
    }
  }

  /** Answer a thrown value as problem+json. Never throws. */
  fail(ctx: Context, err: unknown): void {
    const { problem, headers, close } = problemFromThrown(err);
    if (!(err instanceof HttpError)) {
      try {
        this.onError(err, ctx);
      } catch {
        // a failing error hook must not take the server down
      }
    }
    const res = ctx.res;
    if (res.headersSent || res.writableEnded) {
      // Too late for a problem document: the status line is out. Cut the connection
      // so the client sees a truncated response rather than a complete-looking one.
      res.destroy();
      return;
    }
    ctx.responded = true;
    const body = JSON.stringify(problem);
    const h: OutgoingHttpHeaders = { 'content-type': PROBLEM_JSON, 'content-length': Buffer.byteLength(body) };
    if (headers) Object.assign(h, headers);
    // An error answered before the body has fully arrived: close rather than
    // read (and discard) a body of unknown size to keep the connection.
    if (close || (!ctx.req.complete && hasBody(ctx.req.headers))) {
      h.connection = 'close';
      lingerAfterResponse(ctx.req, res);
    }
    res.writeHead(problem.status, h);
    res.end(ctx.method === 'HEAD' ? undefined : body);
  }
}

function finish(ctx: Context, value: unknown): void | Promise<void> {
  if (ctx.responded) return;
  if (value === undefined) return ctx.noContent();
  return ctx.sendText(200, JSON.stringify(value));
}

/** `http://host:port/path?q` -> `/path?q`; anything else -> '' (a bad path). */
function stripAuthority(url: string): string {
  const scheme = url.indexOf('://');
  if (scheme === -1) return url;
  const slash = url.indexOf('/', scheme + 3);
  if (slash !== -1) return url.slice(slash);
  const q = url.indexOf('?', scheme + 3);
  return q === -1 ? '/' : '/' + url.slice(q);
}

export function createApp(opts?: AppOptions): App {
  return new App(opts);
}
