/**
 * The table of outgoing requests that wait for an answer: the caller's half
 * of id correlation (JSON-RPC 2.0 §4: "The Server MUST reply with the same
 * value in the Response object").
 *
 *   request()  -> add(): a fresh id, a timer, an AbortSignal listener
 *   response   -> take(id): the entry, its timer cleared, its listener removed
 *   timeout    -> abandon(id): rejected REQUEST_TIMEOUT, the id remembered
 *   abort      -> abandon(id): rejected REQUEST_CANCELLED, the id remembered
 *
 * Ids are numbers counting up from 1, never reused. An abandoned id is
 * remembered (the last 1024) so that its late answer is dropped quietly
 * instead of being reported as a response nobody asked for. The table is
 * bounded: `limit` entries at most; the peer refuses requests beyond it.
 */
import { StdioError } from './errors.js';
import type { Id } from './jsonrpc.js';

export interface PendingEntry {
  method: string;
  resolve(value: unknown): void;
  reject(err: StdioError): void;
  timer: ReturnType<typeof setTimeout> | undefined;
  signal: AbortSignal | undefined;
  onAbort: (() => void) | undefined;
}

/** How many ids of abandoned requests (timed out, cancelled) are remembered. */
const ABANDONED_LIMIT = 1024;

/** Add to a Set that forgets its oldest member beyond `limit`. */
export function addBounded<T>(set: Set<T>, value: T, limit: number): void {
  set.add(value);
  if (set.size > limit) set.delete(set.values().next().value as T);
}

export class PendingRequests {
  private readonly entries = new Map<Id, PendingEntry>();
  private readonly abandoned = new Set<Id>();
  private nextId = 1;

  /**
   * @param limit most entries at once
   * @param onAbandon called with the id of a request given up on (the peer sends `$/cancelRequest`)
   */
  constructor(
    readonly limit: number,
    private readonly onAbandon: (id: number) => void,
  ) {}

  get size(): number {
    return this.entries.size;
  }

  /** Whether `count` more requests would go over the limit. */
  wouldOverflow(count: number): boolean {
    return this.entries.size + count > this.limit;
  }

  /** Register a request about to be sent; returns its id. `timeout` 0 waits forever. */
  add(method: string, resolve: (v: unknown) => void, reject: (e: StdioError) => void, timeout: number, signal: AbortSignal | undefined): number {
    const id = this.nextId++;
    const entry: PendingEntry = { method, resolve, reject, timer: undefined, signal, onAbort: undefined };
    if (timeout > 0) {
      entry.timer = setTimeout(() => {
        this.abandon(id, new StdioError('REQUEST_TIMEOUT', `no answer to ${method} (id ${id}) within ${timeout} ms`));
      }, timeout);
    }
    if (signal) {
      entry.onAbort = () => this.abandon(id, new StdioError('REQUEST_CANCELLED', `request ${method} (id ${id}) cancelled`));
      signal.addEventListener('abort', entry.onAbort, { once: true });
    }
    this.entries.set(id, entry);
    return id;
  }

  /** The method of the request waiting under `id` (for trace lines), if any. */
  methodOf(id: Id): string | undefined {
    return this.entries.get(id)?.method;
  }

  /** Remove the entry for `id` (its timer and listener too) and return it; undefined if none. */
  take(id: Id): PendingEntry | undefined {
    const entry = this.entries.get(id);
    if (!entry) return undefined;
    this.entries.delete(id);
    if (entry.timer !== undefined) clearTimeout(entry.timer);
    if (entry.onAbort) entry.signal!.removeEventListener('abort', entry.onAbort);
    return entry;
  }

  /** Give up on a request: reject its caller, remember the id, tell the peer. */
  abandon(id: number, err: StdioError): void {
    const entry = this.take(id);
    if (!entry) return;
    addBounded(this.abandoned, id, ABANDONED_LIMIT);
    this.onAbandon(id);
    entry.reject(err);
  }

  /** True (once) if `id` belongs to a request given up on: its late answer is expected, not an error. */
  forgetAbandoned(id: Id): boolean {
    return this.abandoned.delete(id);
  }

  /** Reject every waiting request with CONNECTION_CLOSED. */
  rejectAll(why: string): void {
    for (const id of [...this.entries.keys()]) {
      const entry = this.take(id)!;
      entry.reject(new StdioError('CONNECTION_CLOSED', `no answer to ${entry.method} (id ${JSON.stringify(id)}): ${why}`));
    }
  }
}
