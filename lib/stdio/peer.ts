/**
 * A JSON-RPC 2.0 peer over any readable/writable pair: a child's
 * stdout/stdin, our own stdin/stdout, a socket, two PassThroughs in a test.
 * Either side may send requests and notifications; the peer is both client
 * and server, as LSP and MCP need.
 *
 *      input (readable)                                    output (writable)
 *   bytes -> FrameDecoder -> text -> parseText -> dispatch -> send -> encode -> bytes
 *                                                  |
 *             requests/notifications -> handlers --+--> responses
 *             responses -> pending requests (by id) -> resolve / reject
 *
 * What the adapter owns (the cores in framing.ts and jsonrpc.ts own none):
 * - correlation (pending.ts): each outgoing request gets a fresh numeric
 *   id; a response resolves the request with that id; a response to an id
 *   we never sent (or no longer wait for) is a diagnostic, never a crash;
 * - limits: `maxPending` outgoing requests waiting for answers (more are
 *   refused at once); `maxConcurrent` incoming requests in handlers (above
 *   it the peer stops reading its input, so the sender feels backpressure
 *   through the pipe);
 * - time: a timeout per request (default 30 s), after which the request is
 *   rejected and `$/cancelRequest` is sent;
 * - cancellation (LSP base protocol §Cancellation Support): an AbortSignal
 *   on the caller's side sends `$/cancelRequest {id}`; on the callee's side
 *   (handlers.ts) that notification aborts the handler's `signal`, and the
 *   request is answered -32800. A cancel that arrives before its request is
 *   kept (a bounded set) and the request is answered -32800 when it comes;
 * - backpressure: when more than `maxOutputBuffer` bytes wait in the
 *   output (the peer is not reading), the peer stops reading input until the
 *   output drains, so a sender that never reads its answers cannot grow our
 *   memory. The bound is well above what requests in flight put there: both
 *   sides of a pipe pausing at the pipe's own small buffer would deadlock
 *   two peers that send to each other at once;
 * - ordered delivery: handlers are called in the order messages arrive, and
 *   messages are written in the order they are sent.
 */
import { EventEmitter } from 'node:events';
import type { Readable, Writable } from 'node:stream';
import type { Tracer } from '../trace/index.js';
import { preview } from '../trace/index.js';
import { ErrorCodes, StdioError } from './errors.js';
import { PendingRequests } from './pending.js';
import { Handlers, type NotificationHandler, type RequestHandler } from './handlers.js';

export type { RequestContext, RequestHandler, NotificationHandler } from './handlers.js';
import { createDecoder, encodeMessage, type FrameDecoder, type FrameDiagnostic, type FrameDiagnosticCode, type Framing } from './framing.js';
import {
  describe,
  errorResponse,
  invalidRequestResponse,
  notificationMessage,
  parseErrorResponse,
  parseText,
  requestMessage,
  type Id,
  type Incoming,
  type Message,
  type Params,
  type ResponseMessage,
} from './jsonrpc.js';

export interface PeerOptions {
  /** 'ndjson' (default, as MCP) or 'content-length' (as LSP). */
  framing?: Framing;
  /** Largest message accepted, in bytes (default 64 MiB). */
  maxMessageBytes?: number;
  /** Milliseconds to wait for each answer; 0 waits forever (default 30000). */
  requestTimeout?: number;
  /** Outgoing requests waiting for answers at once; more are refused (default 1024). */
  maxPending?: number;
  /** Incoming requests in handlers at once; above it, input is paused (default 1024). */
  maxConcurrent?: number;
  /** Bytes waiting in the output above which input is paused until it drains (default 16 MiB). */
  maxOutputBuffer?: number;
  /**
   * Answer input that is not valid JSON-RPC with error responses (-32700,
   * -32600), as a server must (default true). A client reading a child's
   * stdout sets false: stray lines are then only reported.
   */
  answerInvalid?: boolean;
  /** The notification that cancels a request (default `$/cancelRequest`). */
  cancelMethod?: string;
  tracer?: Tracer;
  /** Connection label for trace events. */
  conn?: string | number;
}

export type DiagnosticCode =
  | FrameDiagnosticCode
  /** Input that is not JSON (a banner, a log line, broken JSON). */
  | 'NOT_JSON'
  /** JSON that is not a valid JSON-RPC message. */
  | 'INVALID_MESSAGE'
  /** A response for an id we are not waiting for. */
  | 'UNKNOWN_RESPONSE_ID'
  /** An error response with id null: the peer could not read something we sent. */
  | 'PEER_ERROR'
  /** A notification handler threw. */
  | 'HANDLER_FAILED'
  /** The output failed (the other side closed its end of the pipe). */
  | 'WRITE_FAILED';

export interface Diagnostic {
  code: DiagnosticCode;
  message: string;
  /** True when the connection cannot go on. */
  fatal: boolean;
  preview?: string;
}

export interface CallOptions {
  signal?: AbortSignal;
  /** Overrides the peer's requestTimeout for this call (0: no timeout). */
  timeout?: number;
}

export interface BatchCall {
  method: string;
  params?: Params;
  /** Send as a notification (no id, no answer). */
  notification?: boolean;
}

export type Settled = { ok: true; result: unknown } | { ok: false; error: StdioError };

export class JsonRpcPeer extends EventEmitter {
  readonly framing: Framing;
  private readonly input: Readable;
  private readonly output: Writable;
  private readonly decoder: FrameDecoder;
  private readonly tracer: Tracer | undefined;
  private readonly conn: string | number | undefined;
  private readonly requestTimeout: number;
  private readonly maxConcurrent: number;
  private readonly maxOutputBuffer: number;
  private readonly answerInvalid: boolean;

  private readonly handlers: Handlers;
  private readonly pending: PendingRequests;
  /** Incoming requests (single or in batches) not answered yet. */
  private active = 0;

  private corked = false;
  private pausedForDrain = false;
  private pausedForLoad = false;
  /** Set when no more input will come: why (end of input, a framing error, close()). */
  private ending: string | undefined;
  private outputBroken = false;
  private dropInput = false;
  private isClosed = false;
  private closeReason = '';
  private resolveClosed!: (reason: string) => void;
  /** Resolves with the reason in words once the input ended and every incoming request was answered (or close() was called). */
  readonly closed: Promise<string>;

  /** Counts for the story of a connection's end ("after writing a non-JSON line to stdout"). */
  readonly stats = { received: 0, sent: 0, notJson: 0, invalidUtf8: 0, lastDiagnostic: undefined as Diagnostic | undefined };

  constructor(input: Readable, output: Writable, options: PeerOptions = {}) {
    super();
    this.input = input;
    this.output = output;
    this.framing = options.framing ?? 'ndjson';
    this.tracer = options.tracer;
    this.conn = options.conn;
    this.requestTimeout = options.requestTimeout ?? 30_000;
    this.pending = new PendingRequests(options.maxPending ?? 1024, (id) => {
      // LSP base protocol §Cancellation Support: tell the other side we gave up.
      if (!this.isClosed && !this.outputBroken) this.send(notificationMessage(this.handlers.cancelMethod, { id }));
    });
    this.maxConcurrent = options.maxConcurrent ?? 1024;
    this.maxOutputBuffer = options.maxOutputBuffer ?? 16 * 1024 * 1024;
    this.answerInvalid = options.answerInvalid ?? true;
    this.handlers = new Handlers(options.cancelMethod ?? '$/cancelRequest', (method, message) =>
      this.diagnose({ code: 'HANDLER_FAILED', message: `notification handler for ${method} threw: ${message}`, fatal: false }),
    );
    this.closed = new Promise((resolve) => (this.resolveClosed = resolve));
    this.decoder = createDecoder(this.framing, {
      maxMessageBytes: options.maxMessageBytes,
      onMessage: (text, size) => this.onText(text, size),
      onDiagnostic: (d) => this.onFrameDiagnostic(d),
    });
    input.on('data', this.onData);
    input.on('end', this.onEnd);
    input.on('error', this.onInputError);
    output.on('error', this.onOutputError);
  }

  // ---- public API ----

  /** Handle requests for `method`; the handler's return value (or promise) is the result. */
  onRequest(method: string, handler: RequestHandler): this {
    this.handlers.requests.set(method, handler);
    return this;
  }

  /** Handle notifications for `method`. */
  onNotification(method: string, handler: NotificationHandler): this {
    this.handlers.notifications.set(method, handler);
    return this;
  }

  /** Outgoing requests waiting for an answer. */
  get pendingCount(): number {
    return this.pending.size;
  }

  /** Incoming requests not answered yet. */
  get activeCount(): number {
    return this.active;
  }

  /** Call `method` on the other side; resolves with its result, rejects with a StdioError. */
  request<T = unknown>(method: string, params?: Params, options: CallOptions = {}): Promise<T> {
    const refused = this.refuse(options.signal, 1);
    if (refused) return Promise.reject(refused);
    return new Promise<T>((resolve, reject) => {
      const id = this.pending.add(method, resolve as (v: unknown) => void, reject, options.timeout ?? this.requestTimeout, options.signal);
      try {
        this.send(requestMessage(method, params, id));
      } catch (err) {
        this.pending.take(id);
        reject(err);
      }
    });
  }

  /** Send a notification (JSON-RPC 2.0 §4.1): no id, no answer. */
  notify(method: string, params?: Params): void {
    if (this.isClosed) return;
    this.send(notificationMessage(method, params));
  }

  /**
   * Send several calls as one batch (JSON-RPC 2.0 §6). Resolves with one
   * entry per call in the order given: undefined for notifications, else
   * `{ok, result}` or `{ok: false, error}`.
   */
  batch(calls: BatchCall[], options: CallOptions = {}): Promise<(Settled | undefined)[]> {
    if (calls.length === 0) return Promise.reject(new RangeError('a batch needs at least one call (JSON-RPC 2.0 §6)'));
    const requests = calls.filter((c) => !c.notification).length;
    const refused = this.refuse(options.signal, requests);
    if (refused) return Promise.reject(refused);
    const messages: Message[] = [];
    const waits: Promise<Settled | undefined>[] = [];
    for (const c of calls) {
      if (c.notification) {
        messages.push(notificationMessage(c.method, c.params));
        waits.push(Promise.resolve(undefined));
        continue;
      }
      waits.push(
        new Promise<Settled>((resolve) => {
          const id = this.pending.add(
            c.method,
            (result) => resolve({ ok: true, result }),
            (error) => resolve({ ok: false, error }),
            options.timeout ?? this.requestTimeout,
            options.signal,
          );
          messages.push(requestMessage(c.method, c.params, id));
        }),
      );
    }
    try {
      this.send(messages);
    } catch (err) {
      for (const m of messages) if ('id' in m) this.pending.take(m.id);
      return Promise.reject(err);
    }
    return Promise.all(waits);
  }

  /**
   * Stop: stop reading, reject requests still waiting with CONNECTION_CLOSED,
   * abort handlers in progress (each answers -32800). `closed` resolves once
   * they have answered, or after `graceMs` if some handler never does. The
   * output is left open (its owner ends it).
   */
  close(reason = 'closed by this side', graceMs = 5000): void {
    if (this.isClosed || this.ending !== undefined) return;
    // Messages still to come from the chunk being decoded are dropped too.
    this.dropInput = true;
    this.stopInput(reason);
    this.handlers.abortAll(new StdioError('CONNECTION_CLOSED', reason));
    if (this.active === 0) return this.finish(reason);
    const timer = setTimeout(() => this.finish(`${reason} (${this.active} requests still unanswered after ${graceMs} ms)`), graceMs);
    this.once('close', () => clearTimeout(timer));
  }

  /** No more input will be read: refuse new calls, reject the waiting ones, finish when the last answer is out. */
  private stopInput(reason: string): void {
    this.ending = reason;
    this.input.off('data', this.onData);
    this.input.off('end', this.onEnd);
    this.input.pause();
    this.pending.rejectAll(reason);
  }

  // ---- sending ----

  private refuse(signal: AbortSignal | undefined, count: number): StdioError | undefined {
    if (this.isClosed || this.ending !== undefined) return new StdioError('CONNECTION_CLOSED', `connection closed: ${this.ending ?? this.closeReason}`);
    if (this.outputBroken) return new StdioError('CONNECTION_CLOSED', 'connection closed: the output failed');
    if (this.pending.wouldOverflow(count)) {
      return new StdioError('TOO_MANY_PENDING', `${this.pending.size} requests already wait for answers (limit ${this.pending.limit})`);
    }
    if (signal?.aborted) return new StdioError('REQUEST_CANCELLED', 'request cancelled before it was sent');
    return undefined;
  }

  private readonly uncork = (): void => {
    this.corked = false;
    this.output.uncork();
  };

  /**
   * Write one message (or a batch). Writes in one tick are corked into one
   * write to the pipe. A value JSON cannot carry (a BigInt, a cycle, nesting
   * deeper than the stack) throws a StdioError for requests and
   * notifications; a response with such a result is answered -32603 instead,
   * so hostile params echoed back can never crash the peer.
   */
  private send(msg: Message | Message[]): void {
    if (this.outputBroken || this.output.writableEnded || this.output.destroyed) return;
    let text: string;
    try {
      text = JSON.stringify(msg);
    } catch (err) {
      text = this.unserializable(msg, err as Error);
    }
    const framed = encodeMessage(this.framing, text);
    this.stats.sent++;
    if (this.tracer) this.traceMessage('->', msg, Buffer.byteLength(framed));
    if (!this.corked) {
      this.corked = true;
      this.output.cork();
      process.nextTick(this.uncork);
    }
    if (!this.output.write(framed) && !this.pausedForDrain && this.output.writableLength > this.maxOutputBuffer) {
      // Backpressure: the peer is not reading. Read no more until it does.
      this.pausedForDrain = true;
      this.input.pause();
      this.output.once('drain', () => {
        this.pausedForDrain = false;
        this.maybeResume();
      });
    }
  }

  private unserializable(msg: Message | Message[], err: Error): string {
    const fallback = (m: Message): string => {
      try {
        return JSON.stringify(m);
      } catch (e) {
        if ('method' in m) throw new StdioError('INVALID_PARAMS', `params of ${m.method} cannot be sent as JSON: ${(e as Error).message}`);
        return JSON.stringify(errorResponse(m.id, ErrorCodes.InternalError, undefined, { message: `result cannot be sent as JSON: ${(e as Error).message}` }));
      }
    };
    if (Array.isArray(msg)) return `[${msg.map(fallback).join(',')}]`;
    if ('method' in msg) throw new StdioError('INVALID_PARAMS', `params of ${msg.method} cannot be sent as JSON: ${err.message}`);
    return fallback(msg);
  }

  private maybeResume(): void {
    if (!this.pausedForDrain && !this.pausedForLoad && this.ending === undefined) this.input.resume();
  }

  // ---- receiving ----

  private readonly onData = (chunk: Buffer | string): void => {
    this.decoder.push(typeof chunk === 'string' ? Buffer.from(chunk) : chunk);
  };

  private readonly onEnd = (): void => {
    this.decoder.end();
    if (this.ending !== undefined) return;
    this.stopInput('end of input');
    this.maybeFinish();
  };

  private readonly onInputError = (err: Error): void => {
    this.diagnose({ code: 'WRITE_FAILED', message: `input failed: ${err.message}`, fatal: true });
    if (this.ending !== undefined) return;
    this.stopInput(`input failed: ${err.message}`);
    this.maybeFinish();
  };

  private readonly onOutputError = (err: Error): void => {
    if (this.outputBroken) return;
    this.outputBroken = true;
    this.diagnose({ code: 'WRITE_FAILED', message: `output failed: ${err.message}`, fatal: false });
  };

  private onFrameDiagnostic(d: FrameDiagnostic): void {
    if (d.code === 'INVALID_UTF8') this.stats.invalidUtf8++;
    else if (d.code === 'NON_PROTOCOL_LINE') this.stats.notJson++;
    this.diagnose(d);
    if (this.answerInvalid) {
      // A message was lost: say so, with id null since its id is unknown (JSON-RPC 2.0 §5).
      if (d.code === 'MESSAGE_TOO_LARGE') this.send(invalidRequestResponse(null, d.message));
      else if (d.code === 'INVALID_UTF8' || d.code === 'BAD_HEADER') this.send(parseErrorResponse(d.message));
    }
    if (d.fatal && this.ending === undefined) {
      this.stopInput(`framing error: ${d.message}`);
      this.maybeFinish();
    }
  }

  private diagnose(d: Diagnostic): void {
    this.stats.lastDiagnostic = d;
    if (this.tracer) this.trace('--', 'diagnostic', `${d.code}: ${d.message}${d.preview === undefined ? '' : ' ' + JSON.stringify(d.preview)}`);
    if (this.listenerCount('diagnostic') > 0) this.emit('diagnostic', d);
  }

  private onText(text: string, size: number): void {
    if (this.dropInput) return;
    this.stats.received++;
    const parsed = parseText(text);
    switch (parsed.kind) {
      case 'single': {
        if (this.tracer) this.trace('<-', 'message', this.describeIncoming(parsed.message), size);
        const answer = this.dispatch(parsed.message);
        if (answer === undefined) return;
        if (answer instanceof Promise) answer.then((r) => this.answered(r));
        else this.answered(answer);
        return;
      }
      case 'batch':
        if (this.tracer) this.trace('<-', 'message', `batch [${parsed.messages.map((m) => this.describeIncoming(m)).join(', ')}]`, size);
        this.dispatchBatch(parsed.messages);
        return;
      case 'empty-batch':
        if (this.tracer) this.trace('<-', 'message', 'batch [] (empty)', size);
        if (this.answerInvalid) this.send(invalidRequestResponse(null));
        else this.diagnose({ code: 'INVALID_MESSAGE', message: 'an empty batch', fatal: false });
        return;
      default: {
        this.stats.notJson++;
        if (this.tracer) this.trace('<-', 'message', `not JSON ${preview(text, 40)}`, size);
        // A child's log line printed without a newline glues itself to the next message
        // ("[50] loading...{"jsonrpc":"2.0",...}", python-sdk#924): a client reads the message after the prefix.
        const glued = this.answerInvalid ? -1 : text.indexOf('{"jsonrpc"', 1);
        const prefix = glued > 0 ? text.slice(0, glued) : text;
        this.diagnose({ code: 'NOT_JSON', message: `input that is not JSON (${parsed.reason}); skipped`, fatal: false, preview: prefix.slice(0, 64) });
        // JSON-RPC 2.0 §5.1: -32700, "Invalid JSON was received by the server".
        if (this.answerInvalid) this.send(parseErrorResponse());
        else if (glued > 0) this.onText(text.slice(glued), size - Buffer.byteLength(prefix));
      }
    }
  }

  /** An incoming request (or a whole batch) was answered: send it, maybe read again, maybe finish. */
  private answered(r: ResponseMessage | ResponseMessage[]): void {
    this.active--;
    this.send(r as Message | Message[]);
    if (this.pausedForLoad && this.active < this.maxConcurrent) {
      this.pausedForLoad = false;
      this.maybeResume();
    }
    if (this.ending !== undefined) this.maybeFinish();
  }

  /** JSON-RPC 2.0 §6: answer a batch with one array, after every request in it is done; nothing if it held only notifications. */
  private dispatchBatch(messages: Incoming[]): void {
    const answers: (ResponseMessage | Promise<ResponseMessage>)[] = [];
    for (const m of messages) {
      const a = this.dispatch(m);
      if (a !== undefined) answers.push(a);
    }
    if (answers.length === 0) return;
    // From here the batch counts as one unit in `active`.
    this.active -= answers.length - 1;
    Promise.all(answers).then((list) => this.answered(list));
  }

  /**
   * One incoming message. Returns the response to send (or a promise of it)
   * for requests and invalid messages, undefined for the rest.
   */
  private dispatch(m: Incoming): ResponseMessage | Promise<ResponseMessage> | undefined {
    switch (m.type) {
      case 'request':
        return this.handleRequest(m.id, m.method, m.params);
      case 'notification':
        this.handlers.notify(m.method, m.params);
        return undefined;
      case 'response': {
        const entry = this.pending.take(m.id);
        if (entry) entry.resolve(m.result);
        else this.unknownResponse(m.id);
        return undefined;
      }
      case 'error': {
        const entry = this.pending.take(m.id);
        if (entry) entry.reject(StdioError.fromErrorObject(m.error));
        else if (m.id === null) this.diagnose({ code: 'PEER_ERROR', message: `the other side answered error ${m.error.code} ${m.error.message} with id null`, fatal: false });
        else this.unknownResponse(m.id);
        return undefined;
      }
      default:
        this.diagnose({ code: 'INVALID_MESSAGE', message: `not a JSON-RPC 2.0 message: ${m.reason}`, fatal: false });
        if (!this.answerInvalid) return undefined;
        this.active++;
        // JSON-RPC 2.0 §5.1 gives the error object exactly; the reason went to the diagnostic only.
        return invalidRequestResponse(m.id);
    }
  }

  private unknownResponse(id: Id): void {
    if (this.pending.forgetAbandoned(id)) return; // the late answer to a request we gave up on
    this.diagnose({ code: 'UNKNOWN_RESPONSE_ID', message: `a response for id ${JSON.stringify(id)}, which no request is waiting for; ignored`, fatal: false });
  }

  private handleRequest(id: Id, method: string, params: Params | undefined): ResponseMessage | Promise<ResponseMessage> {
    this.active++;
    if (this.active >= this.maxConcurrent && !this.pausedForLoad) {
      this.pausedForLoad = true;
      this.input.pause();
    }
    return this.handlers.run(id, method, params);
  }

  // ---- ending ----

  private maybeFinish(): void {
    if (this.active === 0) this.finish(this.ending!);
  }

  private finish(reason: string): void {
    if (this.isClosed) return;
    this.isClosed = true;
    this.closeReason = reason;
    this.pending.rejectAll(reason);
    if (this.tracer) this.trace('--', 'end', reason);
    this.resolveClosed(reason);
    this.emit('close', reason);
  }

  // ---- tracing ----

  /** A received message for a trace line; a response names the method it answers. */
  private describeIncoming(m: Incoming): string {
    const method = m.type === 'response' || m.type === 'error' ? this.pending.methodOf(m.id) : undefined;
    return method === undefined ? describe(m) : `${describe(m)} (${method})`;
  }

  private traceMessage(dir: '->' | '<-', msg: Message | Message[], size: number): void {
    const summary = Array.isArray(msg) ? `batch [${msg.map(describe).join(', ')}]` : describe(msg);
    this.trace(dir, 'message', summary, size);
  }

  private trace(dir: '->' | '<-' | '--', kind: string, summary: string, size?: number): void {
    this.tracer!({ protocol: 'stdio', dir, kind, summary, size, conn: this.conn });
  }
}
