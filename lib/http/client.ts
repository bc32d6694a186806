/**
 * A small JSON client over node:http: keep-alive connections, timeouts
 * through AbortSignal, problem+json errors as HttpError, and an ETag-aware
 * conditional-GET cache — the client side of "cacheable".
 *
 *   const api = new HttpClient({ baseUrl: 'http://127.0.0.1:8000' });
 *   const { body } = await api.get('/items/1');     // 200, stored with its ETag
 *   await api.get('/items/1');                       // If-None-Match -> 304 -> cached body
 *   await api.put('/items/1', { name: 'x' }, { headers: { 'if-match': etag } });
 *
 * Revalidation (RFC 9111 §4.3.1): a stored response with a validator is
 * reused only after the server says 304 Not Modified to a conditional GET;
 * the 304's headers update the stored ones (§4.3.4).
 */
import http, { type IncomingHttpHeaders } from 'node:http';
import { brotliDecompress, gunzip } from 'node:zlib';
import { HttpError } from './errors.js';
import { parseProblem, statusText } from './problem.js';
import { isJsonMediaType, parseMediaType } from './media.js';
import { parseCacheControl } from './cache.js';
import { formatBytes, type Tracer } from '../trace/index.js';

export interface ClientOptions {
  baseUrl: string | URL;
  /** Per-request timeout (default 30 s), as an AbortSignal.timeout. */
  timeoutMs?: number;
  /** Headers sent on every request. */
  headers?: Record<string, string>;
  /** Connection pool; default a keep-alive agent owned by this client. */
  agent?: http.Agent;
  /** Largest response body read (default 8 MiB), after decompression. */
  maxResponseBytes?: number;
  /** Conditional-GET cache; `false` turns it off (default a 500-entry cache). */
  cache?: ConditionalCache | false;
  tracer?: Tracer;
}

export interface RequestOptions {
  headers?: Record<string, string>;
  /** A JSON value to send (Content-Type application/json). */
  body?: unknown;
  /** Content-Type for `body` (a JSON type, e.g. application/merge-patch+json). */
  contentType?: string;
  query?: Record<string, string | number>;
  signal?: AbortSignal;
  timeoutMs?: number;
}

export interface ClientResponse<T = unknown> {
  status: number;
  headers: IncomingHttpHeaders;
  body: T;
  /** The body came from the cache after a 304. */
  fromCache: boolean;
}

interface CacheEntry {
  status: number;
  headers: IncomingHttpHeaders;
  body: unknown;
  /** Request header values named by Vary, to check a later request against. */
  varied: Record<string, string | undefined>;
}

/** A bounded map of URL -> last response with a validator, least recently used evicted. */
export class ConditionalCache {
  private readonly map = new Map<string, CacheEntry>();
  constructor(readonly maxEntries = 500) {}
  get size(): number {
    return this.map.size;
  }
  get(key: string): CacheEntry | undefined {
    const e = this.map.get(key);
    if (e !== undefined) {
      this.map.delete(key);
      this.map.set(key, e);
    }
    return e;
  }
  set(key: string, e: CacheEntry): void {
    this.map.delete(key);
    this.map.set(key, e);
    if (this.map.size > this.maxEntries) this.map.delete(this.map.keys().next().value!);
  }
  delete(key: string): void {
    this.map.delete(key);
  }
  clear(): void {
    this.map.clear();
  }
}

const IDEMPOTENT = new Set(['GET', 'HEAD', 'PUT', 'DELETE', 'OPTIONS']);

export class HttpClient {
  readonly baseUrl: URL;
  readonly cache: ConditionalCache | undefined;
  private readonly agent: http.Agent;
  private readonly ownAgent: boolean;
  private readonly opts: ClientOptions;

  constructor(opts: ClientOptions) {
    this.opts = opts;
    this.baseUrl = new URL(opts.baseUrl);
    if (this.baseUrl.protocol !== 'http:') throw new TypeError(`HttpClient speaks http:, got ${this.baseUrl.protocol}`);
    this.ownAgent = opts.agent === undefined;
    this.agent = opts.agent ?? new http.Agent({ keepAlive: true, maxSockets: 64 });
    this.cache = opts.cache === false ? undefined : (opts.cache ?? new ConditionalCache());
  }

  get<T = unknown>(path: string, opts?: RequestOptions): Promise<ClientResponse<T>> {
    return this.request<T>('GET', path, opts);
  }
  post<T = unknown>(path: string, body: unknown, opts?: RequestOptions): Promise<ClientResponse<T>> {
    return this.request<T>('POST', path, { ...opts, body });
  }
  put<T = unknown>(path: string, body: unknown, opts?: RequestOptions): Promise<ClientResponse<T>> {
    return this.request<T>('PUT', path, { ...opts, body });
  }
  patch<T = unknown>(path: string, body: unknown, opts?: RequestOptions): Promise<ClientResponse<T>> {
    return this.request<T>('PATCH', path, { contentType: 'application/merge-patch+json', ...opts, body });
  }
  delete<T = unknown>(path: string, opts?: RequestOptions): Promise<ClientResponse<T>> {
    return this.request<T>('DELETE', path, opts);
  }

  /** Close pooled keep-alive connections (only those of an agent this client created). */
  close(): void {
    if (this.ownAgent) this.agent.destroy();
  }

  async request<T = unknown>(method: string, path: string, opts: RequestOptions = {}): Promise<ClientResponse<T>> {
    method = method.toUpperCase();
    const url = new URL(path, this.baseUrl);
    if (opts.query) for (const [k, v] of Object.entries(opts.query)) url.searchParams.set(k, String(v));
    const key = url.href;
    const headers: Record<string, string> = { accept: 'application/json, application/problem+json', 'accept-encoding': 'br, gzip', ...this.opts.headers, ...opts.headers };
    let payload: Buffer | undefined;
    if (opts.body !== undefined) {
      payload = Buffer.from(JSON.stringify(opts.body));
      headers['content-type'] ??= opts.contentType ?? 'application/json';
      headers['content-length'] = String(payload.length);
    }
    // RFC 9111 §4.3.1: revalidate a stored response with its validators.
    const cached = method === 'GET' && this.cache ? this.cache.get(key) : undefined;
    const usable = cached !== undefined && Object.entries(cached.varied).every(([h, v]) => lowerGet(headers, h) === v);
    if (usable && lowerGet(headers, 'if-none-match') === undefined) {
      if (cached!.headers.etag) headers['if-none-match'] = cached!.headers.etag;
      else if (cached!.headers['last-modified']) headers['if-modified-since'] = cached!.headers['last-modified'];
    }
    const timeout = AbortSignal.timeout(opts.timeoutMs ?? this.opts.timeoutMs ?? 30_000);
    const signal = opts.signal ? AbortSignal.any([opts.signal, timeout]) : timeout;

    let raw: { status: number; headers: IncomingHttpHeaders; body: Buffer };
    try {
      raw = await this.exchange(method, url, headers, payload, signal, IDEMPOTENT.has(method));
    } catch (err) {
      if (timeout.aborted) throw new HttpError(0, 'TIMEOUT', `${method} ${url.pathname} timed out`, { cause: err });
      if (opts.signal?.aborted) throw new HttpError(0, 'ABORTED', `${method} ${url.pathname} was aborted`, { cause: err });
      if (err instanceof HttpError) throw err;
      throw new HttpError(0, 'NETWORK', `${method} ${url.pathname} failed: ${(err as Error).message}`, { cause: err });
    }

    if (raw.status === 304 && usable) {
      // RFC 9111 §4.3.4: freshen the stored headers with those of the 304.
      const merged = { ...cached!.headers, ...raw.headers };
      this.cache!.set(key, { ...cached!, headers: merged });
      return { status: cached!.status, headers: merged, body: cached!.body as T, fromCache: true };
    }
    const body = decodeBody(raw.headers, raw.body);
    if (raw.status >= 400) throw errorFromResponse(method, url, raw.status, raw.headers, body);
    if (this.cache && method === 'GET' && raw.status === 200) this.store(key, raw.headers, body, headers);
    else if (this.cache && method !== 'GET' && method !== 'HEAD' && raw.status < 400) this.cache.delete(key); // RFC 9111 §4.4
    return { status: raw.status, headers: raw.headers, body: body as T, fromCache: false };
  }

  private store(key: string, headers: IncomingHttpHeaders, body: unknown, reqHeaders: Record<string, string>): void {
    const cc = parseCacheControl(headers['cache-control']);
    if (cc.has('no-store') || (headers.etag === undefined && headers['last-modified'] === undefined)) return;
    const vary = (headers.vary ?? '').split(',').map((s) => s.trim().toLowerCase()).filter(Boolean);
    if (vary.includes('*')) return; // RFC 9111 §4.1: Vary: * never matches
    const varied: Record<string, string | undefined> = {};
    for (const h of vary) varied[h] = lowerGet(reqHeaders, h);
    this.cache!.set(key, { status: 200, headers, body, varied });
  }

  private exchange(
    method: string,
    url: URL,
    headers: Record<string, string>,
    payload: Buffer | undefined,
    signal: AbortSignal,
    retryable: boolean,
  ): Promise<{ status: number; headers: IncomingHttpHeaders; body: Buffer }> {
    const limit = this.opts.maxResponseBytes ?? 8 * 1024 * 1024;
    const tracer = this.opts.tracer;
    return new Promise((resolve, reject) => {
      const req = http.request(url, { method, headers, agent: this.agent, signal }, (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (c: Buffer) => {
          size += c.length;
          if (size > limit) {
            res.destroy();
            reject(new HttpError(0, 'RESPONSE_TOO_LARGE', `response body over ${formatBytes(limit)}`));
            return;
          }
          chunks.push(c);
        });
        res.on('error', reject);
        res.on('end', () => {
          if (tracer) tracer({ protocol: 'http', dir: '<-', kind: 'headers', summary: `${res.statusCode} ${statusText(res.statusCode!)} body ${formatBytes(size)}`, size });
          const coding = res.headers['content-encoding'];
          const body = Buffer.concat(chunks, size);
          if (coding === 'gzip' || coding === 'br') {
            const done = (err: Error | null, out: Buffer) =>
              err
                ? reject(new HttpError(0, 'BAD_RESPONSE', `could not decode ${coding} body: ${err.message}`))
                : resolve({ status: res.statusCode!, headers: res.headers, body: out });
            // maxOutputLength bounds a decompression bomb.
            if (coding === 'gzip') gunzip(body, { maxOutputLength: limit }, done);
            else brotliDecompress(body, { maxOutputLength: limit }, done);
          } else resolve({ status: res.statusCode!, headers: res.headers, body });
        });
      });
      req.on('error', (err: Error & { code?: string }) => {
        // A pooled connection the server closed as we reused it: retry once (RFC 9112 §9.3.1).
        if (retryable && req.reusedSocket && err.code === 'ECONNRESET') {
          this.exchange(method, url, headers, payload, signal, false).then(resolve, reject);
        } else reject(err);
      });
      if (tracer) tracer({ protocol: 'http', dir: '->', kind: 'headers', summary: `${method} ${url.pathname}${url.search}`, size: payload?.length });
      req.end(payload);
    });
  }
}

function lowerGet(h: Record<string, string>, name: string): string | undefined {
  for (const k of Object.keys(h)) if (k.toLowerCase() === name) return h[k];
  return undefined;
}

/** The body by its Content-Type: JSON parsed, text as a string, nothing as undefined. */
function decodeBody(headers: IncomingHttpHeaders, body: Buffer): unknown {
  if (body.length === 0) return undefined;
  const mt = parseMediaType(headers['content-type']);
  if (isJsonMediaType(mt)) {
    try {
      return JSON.parse(body.toString('utf8'));
    } catch {
      throw new HttpError(0, 'BAD_RESPONSE', 'the response says JSON but is not well-formed JSON');
    }
  }
  return body.toString('utf8');
}

/** A non-2xx response as an HttpError; a problem document's members become its fields. */
function errorFromResponse(method: string, url: URL, status: number, headers: IncomingHttpHeaders, body: unknown): HttpError {
  const problem = parseProblem(body);
  const code = typeof problem?.code === 'string' ? problem.code : `HTTP_${status}`;
  const detail = problem?.detail ?? problem?.title ?? statusText(status);
  const responseHeaders: Record<string, string> = {};
  for (const [k, v] of Object.entries(headers)) if (v !== undefined) responseHeaders[k] = Array.isArray(v) ? v.join(', ') : v;
  return new HttpError(status, code, `${method} ${url.pathname}: ${status} ${statusText(status)}: ${detail}`, {
    detail,
    type: problem?.type,
    extensions: problem ? { ...problem } : undefined,
    headers: responseHeaders,
  });
}
