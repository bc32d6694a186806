/**
 * The client: the WHATWG `EventSource` interface (HTML §9.2.2) and its
 * processing model (§9.2.3), on node:http / node:https, with the parser of
 * parser.ts doing §9.2.5-§9.2.6.
 *
 *   const es = new EventSource('http://127.0.0.1:8081/events');
 *   es.onmessage = (e) => console.log(e.data);
 *   es.addEventListener('tick', (e) => console.log((e as MessageEvent).lastEventId));
 *
 * The connection's life, as the spec draws it:
 *
 *        new EventSource(url)
 *               |
 *               v
 *        CONNECTING --- 200 + text/event-stream ---> OPEN  ("open" fired)
 *           ^   |                                     |
 *           |   +-- other status / content type ----+ |  stream ends or breaks
 *           |   |   (204 too): fail the connection  | |  ("error" fired, reconnect)
 *           |   v                                   | |
 *           |  CLOSED <---- close() from anywhere ---+ |
 *           |                                          |
 *           +------ wait the reconnection time <-------+
 *                   (then fetch again with Last-Event-ID)
 *
 * Beyond the spec (what users of EventSource packages ask for), all in the
 * second constructor argument: `headers`, `method` and `body` (SSE over
 * POST, as streaming completion APIs use), `maxRetries`, `backoff` with
 * jitter, `signal`, `idleTimeout`, parser limits, `tracer`; and
 * `for await (const event of source)`.
 */
import * as http from 'node:http';
import * as https from 'node:https';
import type { Tracer } from '../trace/index.js';
import { preview } from '../trace/index.js';
import { SseError } from './errors.js';
import { createParser, type EventStreamParser, type ServerSentEvent } from './parser.js';

export interface EventSourceInit {
  /** Stored and reported (§9.2.2); Node has no cookie jar, so it changes nothing else. */
  withCredentials?: boolean;
  /** Extra request headers. Authorization and Cookie are dropped on a redirect to another origin. */
  headers?: Record<string, string>;
  /** Request method. Default GET. */
  method?: string;
  /** Request body (for POST). */
  body?: string | Uint8Array;
  /** The initial reconnection time in ms, until the server sends `retry:`. Default 3000. */
  reconnectionTime?: number;
  /** Reconnection attempts in a row without a successful open before giving up. Default Infinity. */
  maxRetries?: number;
  /**
   * Exponential backoff on consecutive failures (§9.2.3 allows waiting
   * "some more"): delay = min(max, time * factor^failures), minus up to
   * `jitter` of it at random. Off by default (the spec's fixed delay).
   */
  backoff?: { factor?: number; max?: number; jitter?: number } | boolean;
  /** Aborting it closes the source. */
  signal?: AbortSignal;
  /** Reconnect when nothing arrives for this many ms (0 = never, the default). */
  idleTimeout?: number;
  /** Redirects followed per connection. Default 20 (as fetch). */
  maxRedirects?: number;
  /** Parser limits (see parser.ts). */
  maxLineLength?: number;
  maxEventSize?: number;
  /** A last event ID to start from (sent as Last-Event-ID on the first request). */
  lastEventId?: string;
  tracer?: Tracer;
  /** Passed to http(s).request, e.g. a custom Agent or TLS options. */
  requestOptions?: http.RequestOptions & https.RequestOptions;
}

/** The `error` event: a plain Event in browsers; here it also says what went wrong. */
export class SseErrorEvent extends Event {
  readonly error: SseError | undefined;
  constructor(error?: SseError) {
    super('error');
    this.error = error;
  }
  get message(): string {
    return this.error?.message ?? '';
  }
  get code(): string | undefined {
    return this.error?.code;
  }
  get status(): number | undefined {
    return this.error?.status;
  }
}

type Handler = ((this: EventSource, ev: any) => any) | null;

const REDIRECTS = new Set([301, 302, 303, 307, 308]);
/** Headers that carry credentials, dropped on a cross-origin redirect (CVE-2022-1650). */
const CREDENTIAL_HEADERS = new Set(['authorization', 'cookie', 'proxy-authorization']);

export class EventSource extends EventTarget {
  static readonly CONNECTING = 0;
  static readonly OPEN = 1;
  static readonly CLOSED = 2;
  readonly CONNECTING = 0;
  readonly OPEN = 1;
  readonly CLOSED = 2;

  readonly url: string;
  readonly withCredentials: boolean;
  private state: 0 | 1 | 2 = 0;

  /** The reconnection time in ms (§9.2.3), changed by `retry:`. */
  reconnectionTime: number;
  private readonly init: EventSourceInit;
  private readonly parser: EventStreamParser;
  private readonly tracer: Tracer | undefined;
  private req: http.ClientRequest | undefined;
  private res: http.IncomingMessage | undefined;
  private timer: NodeJS.Timeout | undefined;
  /** Incremented per request, so callbacks of an older request are ignored. */
  private attempt = 0;
  /** Reconnection attempts since the last successful open. */
  private failures = 0;
  private origin = '';
  private readonly handlers = new Map<string, { fn: Handler; wrapper: (e: Event) => void }>();
  private readonly sinks = new Set<(e: MessageEvent | SseErrorEvent | null) => void>();
  /** Forget the init.signal listener once closed (a long-lived signal must not keep this alive). */
  private dropSignal: (() => void) | undefined;

  constructor(url: string | URL, init: EventSourceInit = {}) {
    super();
    let parsed: URL;
    try {
      parsed = new URL(String(url));
    } catch {
      // §9.2.2: "If urlRecord is failure, then throw a SyntaxError DOMException."
      throw new DOMException(`invalid URL ${JSON.stringify(String(url))}`, 'SyntaxError');
    }
    if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
      throw new DOMException(`EventSource needs an http: or https: URL, got ${parsed.protocol}`, 'SyntaxError');
    }
    this.url = parsed.href;
    this.withCredentials = init.withCredentials ?? false;
    this.init = init;
    this.tracer = init.tracer;
    this.reconnectionTime = init.reconnectionTime ?? 3000;
    this.parser = createParser(
      {
        onEvent: (e) => this.dispatchMessage(e),
        onRetry: (ms) => {
          this.reconnectionTime = ms;
        },
        onError: (err) => this.failConnection(err),
      },
      { maxLineLength: init.maxLineLength, maxEventSize: init.maxEventSize, lastEventId: init.lastEventId },
    );
    if (init.signal) {
      if (init.signal.aborted) {
        this.state = 2;
        return;
      }
      const onAbort = () => this.close();
      init.signal.addEventListener('abort', onAbort, { once: true });
      this.dropSignal = () => init.signal!.removeEventListener('abort', onAbort);
    }
    // §9.2.2: the constructor returns at once; the request is fetched in parallel.
    setImmediate(() => this.connect());
  }

  /** 0 CONNECTING, 1 OPEN, 2 CLOSED. */
  get readyState(): number {
    return this.state;
  }

  /** The last event ID string (§9.2.3), sent as Last-Event-ID on reconnection. */
  get lastEventId(): string {
    return this.parser.lastEventId;
  }

  get onopen(): Handler {
    return this.handlers.get('open')?.fn ?? null;
  }
  set onopen(fn: Handler) {
    this.setHandler('open', fn);
  }
  get onmessage(): Handler {
    return this.handlers.get('message')?.fn ?? null;
  }
  set onmessage(fn: Handler) {
    this.setHandler('message', fn);
  }
  get onerror(): Handler {
    return this.handlers.get('error')?.fn ?? null;
  }
  set onerror(fn: Handler) {
    this.setHandler('error', fn);
  }

  /** §9.2.2 close(): abort the fetch, CLOSED, and no more events. */
  close(): void {
    if (this.state === 2) return;
    this.state = 2;
    this.dropSignal?.();
    this.abortRequest('closed by the client');
    for (const sink of this.sinks) sink(null);
  }

  /**
   * Every dispatched event (message and named ones), in order, until the
   * source closes; it throws the error when the connection fails. A slow
   * consumer pauses the response (TCP backpressure) instead of queueing
   * without bound. Leaving the loop early (break, return, throw) closes the
   * source, as leaving a stream's loop destroys the stream.
   */
  async *[Symbol.asyncIterator](): AsyncGenerator<MessageEvent, void, undefined> {
    const queue: (MessageEvent | SseErrorEvent | null)[] = [];
    let wake: (() => void) | undefined;
    const sink = (e: MessageEvent | SseErrorEvent | null) => {
      queue.push(e);
      if (queue.length >= 1000) this.res?.pause();
      wake?.();
    };
    this.sinks.add(sink);
    if (this.state === 2) queue.push(null);
    let finished = false;
    try {
      for (;;) {
        while (queue.length === 0) await new Promise<void>((r) => (wake = r));
        wake = undefined;
        const item = queue.shift()!;
        if (queue.length < 100) this.res?.resume();
        if (item === null || item instanceof SseErrorEvent) {
          finished = true;
          if (item === null) return;
          throw item.error;
        }
        yield item;
      }
    } finally {
      this.sinks.delete(sink);
      if (!finished) this.close();
    }
  }

  private setHandler(type: string, fn: Handler): void {
    const current = this.handlers.get(type);
    if (current) {
      current.fn = typeof fn === 'function' ? fn : null;
      return;
    }
    if (typeof fn !== 'function') return;
    const entry = { fn: fn as Handler, wrapper: (e: Event) => entry.fn?.call(this, e) };
    this.handlers.set(type, entry);
    this.addEventListener(type, entry.wrapper);
  }

  // --- §9.2.3 processing model -------------------------------------------------

  private connect(): void {
    if (this.state === 2) return;
    const headers: Record<string, string> = { accept: 'text/event-stream', 'cache-control': 'no-cache' };
    for (const [k, v] of Object.entries(this.init.headers ?? {})) headers[k.toLowerCase()] = v;
    // §9.2.3: "If the event source's last event ID string is not the empty
    // string, set `Last-Event-ID` to the last event ID string, encoded as UTF-8."
    const last = this.parser.lastEventId;
    if (last !== '') headers['last-event-id'] = Buffer.from(last, 'utf8').toString('latin1');
    this.request(new URL(this.url), this.init.method ?? 'GET', this.init.body, headers, 0);
  }

  private request(url: URL, method: string, body: string | Uint8Array | undefined, headers: Record<string, string>, redirects: number): void {
    const attempt = ++this.attempt;
    const mod = url.protocol === 'https:' ? https : http;
    if (this.tracer) {
      this.tracer({ protocol: 'sse', dir: '->', kind: 'handshake', summary: `${method} ${url.href}${headers['last-event-id'] !== undefined ? ` Last-Event-ID: ${headers['last-event-id']}` : ''}`, fields: { method, url: url.href, headers } });
    }
    let req: http.ClientRequest;
    try {
      req = mod.request(url, { ...this.init.requestOptions, method, headers }, (res) => {
        if (attempt !== this.attempt) return void res.destroy();
        this.onResponse(res, url, method, body, headers, redirects);
      });
    } catch (err) {
      // Node refuses a header value it cannot send (a control character in
      // a custom header, or in a last event ID the server chose): retrying
      // would fail the same way, so the connection fails.
      return this.failConnection(new SseError('INVALID_FIELD', `cannot send the request: ${(err as Error).message}`, { cause: err }));
    }
    this.req = req;
    req.on('error', (err) => {
      if (attempt !== this.attempt || this.state === 2) return;
      const e = err instanceof SseError ? err : new SseError('NETWORK', `connection to ${url.host} failed: ${err.message}`, { cause: err });
      this.reestablish(e);
    });
    const idle = this.init.idleTimeout ?? 0;
    if (idle > 0) {
      req.setTimeout(idle, () => req.destroy(new SseError('IDLE_TIMEOUT', `nothing received for ${idle} ms`)));
    }
    req.end(body);
  }

  private onResponse(
    res: http.IncomingMessage,
    url: URL,
    method: string,
    body: string | Uint8Array | undefined,
    headers: Record<string, string>,
    redirects: number,
  ): void {
    const status = res.statusCode ?? 0;
    const location = res.headers.location;
    if (this.tracer) {
      this.tracer({ protocol: 'sse', dir: '<-', kind: 'headers', summary: `${status} ${res.headers['content-type'] ?? '(no content type)'}${location ? ` Location: ${location}` : ''}`, fields: { status, headers: res.headers } });
    }
    // Redirects are followed, as fetch does.
    if (REDIRECTS.has(status) && location !== undefined) {
      res.resume();
      const max = this.init.maxRedirects ?? 20;
      if (redirects >= max) return this.failConnection(new SseError('TOO_MANY_REDIRECTS', `more than ${max} redirects`, { status }));
      let next: URL;
      try {
        next = new URL(location, url);
      } catch {
        return this.failConnection(new SseError('BAD_STATUS', `redirect to an invalid URL ${JSON.stringify(location)}`, { status }));
      }
      if (next.protocol !== 'http:' && next.protocol !== 'https:') {
        return this.failConnection(new SseError('BAD_STATUS', `redirect to a non-HTTP URL ${next.href}`, { status }));
      }
      const nextHeaders = { ...headers };
      // advisory CVE-2022-1650: credentials must not follow a redirect to another origin.
      if (next.origin !== url.origin) for (const k of Object.keys(nextHeaders)) if (CREDENTIAL_HEADERS.has(k)) delete nextHeaders[k];
      // fetch: 303, and 301/302 after POST, become a GET without a body.
      if (status === 303 || ((status === 301 || status === 302) && method === 'POST')) {
        if (method !== 'GET' && method !== 'HEAD') method = 'GET';
        body = undefined;
        delete nextHeaders['content-type'];
        delete nextHeaders['content-length'];
      }
      return this.request(next, method, body, nextHeaders, redirects + 1);
    }
    // §9.2.3: "if res's status is not 200, or if res's `Content-Type` is not
    // `text/event-stream`, then fail the connection." (204 included: it tells
    // the client to stop.)
    if (status !== 200) {
      res.resume();
      const why = status === 204 ? 'server answered 204 No Content: stop' : `server answered ${status} ${res.statusMessage ?? ''}`.trimEnd();
      return this.failConnection(new SseError('BAD_STATUS', why, { status }));
    }
    const type = res.headers['content-type'] ?? '';
    const essence = type.split(';')[0].trim().toLowerCase();
    if (essence !== 'text/event-stream') {
      res.resume();
      return this.failConnection(new SseError('BAD_CONTENT_TYPE', `content type ${JSON.stringify(type)} is not text/event-stream`, { status }));
    }
    // §9.2.3 "announce the connection": OPEN, then fire "open".
    this.res = res;
    this.origin = url.origin;
    this.state = 1;
    this.failures = 0;
    this.dispatchEvent(new Event('open'));
    const attempt = this.attempt;
    res.on('data', (chunk: Buffer) => {
      if (attempt === this.attempt && this.state !== 2) this.parser.feed(chunk);
    });
    res.on('end', () => {
      if (attempt === this.attempt) this.reestablish(new SseError('NETWORK', 'server ended the stream'));
    });
    res.on('error', (err) => {
      if (attempt !== this.attempt) return;
      const e = err instanceof SseError ? err : new SseError('NETWORK', `stream broke: ${err.message}`, { cause: err });
      this.reestablish(e);
    });
    res.on('close', () => {
      if (attempt === this.attempt && !res.complete) this.reestablish(new SseError('NETWORK', 'connection closed mid-stream'));
    });
  }

  private dispatchMessage(e: ServerSentEvent): void {
    // §9.2.6: "queue a task which, if the readyState attribute is set to a
    // value other than CLOSED, dispatches the newly created event".
    if (this.state === 2) return;
    if (this.tracer) {
      this.tracer({ protocol: 'sse', dir: '<-', kind: 'event', summary: `${e.type}${e.lastEventId ? ` id=${e.lastEventId}` : ''} data=${preview(e.data)}`, fields: { ...e } });
    }
    const event = new MessageEvent(e.type, { data: e.data, lastEventId: e.lastEventId, origin: this.origin });
    this.dispatchEvent(event);
    for (const sink of this.sinks) sink(event);
  }

  /** §9.2.3 "reestablish the connection": CONNECTING, "error", wait, fetch again. */
  private reestablish(error: SseError): void {
    if (this.state === 2) return;
    this.attempt++; // callbacks of the old request are stale from now on
    this.abortRequest(error.message);
    this.parser.end(); // an unfinished event is dropped
    const maxRetries = this.init.maxRetries ?? Infinity;
    if (this.failures >= maxRetries) {
      return this.failConnection(new SseError('MAX_RETRIES', `gave up after ${this.failures} reconnection attempts (last: ${error.message})`, { cause: error }));
    }
    this.state = 0;
    this.dispatchEvent(new SseErrorEvent(error));
    if (this.state !== 0) return; // an error handler called close()
    const delay = this.delay();
    this.failures++;
    if (this.tracer) this.tracer({ protocol: 'sse', dir: '--', kind: 'open', summary: `reconnecting in ${delay} ms (${error.message})`, fields: { delay } });
    this.timer = setTimeout(() => {
      this.timer = undefined;
      if (this.state === 0) this.connect();
    }, delay);
  }

  /** The wait before the next attempt: the reconnection time, with optional backoff and jitter. */
  private delay(): number {
    const base = this.reconnectionTime;
    const b = this.init.backoff;
    if (!b) return Math.min(base, 2 ** 31 - 1);
    const { factor = 2, max = 30_000, jitter = 0.5 } = b === true ? {} : b;
    const grown = Math.min(max, base * factor ** this.failures);
    return Math.max(0, Math.round(grown * (1 - jitter * Math.random())));
  }

  /** §9.2.3 "fail the connection": CLOSED, "error", and never reconnect. */
  private failConnection(error: SseError): void {
    if (this.state === 2) return;
    this.state = 2;
    this.dropSignal?.();
    this.attempt++;
    this.abortRequest(error.message);
    const ev = new SseErrorEvent(error);
    this.dispatchEvent(ev);
    // for iteration, 204 No Content is the server's normal way to say "done"
    for (const sink of this.sinks) sink(error.status === 204 ? null : ev);
  }

  private abortRequest(why: string): void {
    if (this.timer) {
      clearTimeout(this.timer);
      this.timer = undefined;
    }
    const hadConnection = this.req !== undefined;
    if (this.req) {
      this.req.destroy();
      this.req = undefined;
    }
    if (this.res) {
      this.res.destroy();
      this.res = undefined;
    }
    if (hadConnection && this.tracer) this.tracer({ protocol: 'sse', dir: '--', kind: 'end', summary: why });
  }
}
