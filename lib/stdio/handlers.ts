/**
 * The callee's side of JSON-RPC: the methods this peer answers, and the
 * requests running in them.
 *
 *   request {id, method, params}
 *     -> no handler:                 -32601 Method not found (JSON-RPC 2.0 §5.1)
 *     -> cancelled before it came:   -32800, the handler never runs
 *     -> handler returns / resolves: {"result": value}   (undefined becomes null)
 *     -> handler throws / rejects:   StdioError -> its code, message, data
 *                                    signal aborted -> -32800 Request cancelled
 *                                    anything else  -> -32603 with data {message}
 *
 *   notification {method, params}
 *     -> `$/cancelRequest {id}`: abort that request's signal (LSP base protocol
 *        §Cancellation Support), or remember the id if the request has not
 *        come yet (the last 1024 such ids)
 *     -> otherwise its handler, if any; never answered, not even with an
 *        error (JSON-RPC 2.0 §4.1); a handler that throws is reported
 *
 * Pure bookkeeping: no streams. The peer (peer.ts) sends what `run` returns.
 */
import { ErrorCodes, StdioError } from './errors.js';
import { errorResponse, resultResponse, type Id, type Params, type ResponseMessage } from './jsonrpc.js';
import { addBounded } from './pending.js';

export interface RequestContext {
  id: Id;
  method: string;
  /** Aborted when the peer sends `$/cancelRequest` for this id, or the connection closes. */
  signal: AbortSignal;
}

export type RequestHandler = (params: Params | undefined, ctx: RequestContext) => unknown;
export type NotificationHandler = (params: Params | undefined, method: string) => void;

/** How many cancels for requests not seen yet are remembered. */
const EARLY_CANCEL_LIMIT = 1024;

/** The message of anything thrown, without ever throwing itself. */
export function messageOf(err: unknown): string {
  if (err instanceof Error) return String(err.message);
  try {
    return String(err);
  } catch {
    return 'a value that cannot be shown';
  }
}

export class Handlers {
  readonly requests = new Map<string, RequestHandler>();
  readonly notifications = new Map<string, NotificationHandler>();
  /** Requests in asynchronous handlers, by id, with the controller that cancels them. */
  private readonly inflight = new Map<Id, AbortController>();
  private readonly earlyCancels = new Set<Id>();

  constructor(
    /** The notification that cancels a request. */
    readonly cancelMethod: string,
    /** A notification handler threw (or rejected). */
    private readonly onNotificationFailed: (method: string, message: string) => void,
  ) {}

  /** Run a request; the response to send, now or later. Never throws, never rejects. */
  run(id: Id, method: string, params: Params | undefined): ResponseMessage | Promise<ResponseMessage> {
    const handler = this.requests.get(method);
    if (!handler) return errorResponse(id, ErrorCodes.MethodNotFound);
    // A cancel that came before its request: answer -32800 without running it.
    if (this.earlyCancels.size > 0 && this.earlyCancels.delete(id)) return errorResponse(id, ErrorCodes.RequestCancelled);
    const ctl = new AbortController();
    const ctx: RequestContext = { id, method, signal: ctl.signal };
    let value: unknown;
    try {
      value = handler(params, ctx);
    } catch (err) {
      return thrownToResponse(id, err, ctl.signal);
    }
    if (!(value instanceof Promise)) return resultResponse(id, value);
    this.inflight.set(id, ctl);
    return value.then(
      (result) => {
        if (this.inflight.get(id) === ctl) this.inflight.delete(id);
        return resultResponse(id, result);
      },
      (err) => {
        if (this.inflight.get(id) === ctl) this.inflight.delete(id);
        return thrownToResponse(id, err, ctl.signal);
      },
    );
  }

  /** Handle a notification (including `$/cancelRequest`). */
  notify(method: string, params: Params | undefined): void {
    if (method === this.cancelMethod) {
      const id = params !== undefined && !Array.isArray(params) ? params.id : undefined;
      if (typeof id !== 'number' && typeof id !== 'string') return; // not a usable cancel; ignored
      const ctl = this.inflight.get(id);
      if (ctl) ctl.abort(new StdioError('REQUEST_CANCELLED', `request ${JSON.stringify(id)} cancelled by the other side`));
      else addBounded(this.earlyCancels, id, EARLY_CANCEL_LIMIT);
      return;
    }
    const handler = this.notifications.get(method);
    if (!handler) return; // JSON-RPC 2.0 §4.1: a notification is never answered, not even with an error
    try {
      const r = handler(params, method) as unknown;
      if (r instanceof Promise) r.catch((err) => this.onNotificationFailed(method, messageOf(err)));
    } catch (err) {
      this.onNotificationFailed(method, messageOf(err));
    }
  }

  /** Abort every request in a handler (the connection is closing). */
  abortAll(reason: StdioError): void {
    for (const ctl of this.inflight.values()) ctl.abort(reason);
  }
}

/** A handler that threw: a StdioError keeps its code, anything else is -32603 with the message as data. */
function thrownToResponse(id: Id, err: unknown, signal: AbortSignal): ResponseMessage {
  if (signal.aborted) return errorResponse(id, ErrorCodes.RequestCancelled);
  if (err instanceof StdioError) return errorResponse(id, err.rpcCode, err.message, err.data);
  return errorResponse(id, ErrorCodes.InternalError, undefined, { message: messageOf(err) });
}
