/**
 * The events a WebSocket dispatches, shaped like the web platform's
 * (WHATWG HTML §9.3 "Web sockets": open, message, error, close), on Node's
 * EventTarget. Node 20 has no global CloseEvent, so all are defined here.
 *
 * A connection calls its `on<type>` handler directly when no listener was
 * ever added with addEventListener (the common case, and the fast one);
 * `target` then still names the connection.
 */

/** An event that knows its target even when delivered straight to an `on<type>` handler. */
export class WebSocketEvent extends Event {
  #target: EventTarget | null = null;
  /** @internal */
  setTarget(target: EventTarget): void {
    this.#target = target;
  }
  override get target(): EventTarget | null {
    return super.target ?? this.#target;
  }
  override get currentTarget(): EventTarget | null {
    return super.currentTarget ?? this.#target;
  }
}

/** A message arrived: `data` is a string (text) or binary per `binaryType`. */
export class MessageEvent<T = unknown> extends WebSocketEvent {
  readonly data: T;
  constructor(type: string, init: { data: T }) {
    super(type);
    this.data = init.data;
  }
}

/** The connection closed: the close code and reason, and whether the closing handshake completed. */
export class CloseEvent extends WebSocketEvent {
  readonly code: number;
  readonly reason: string;
  readonly wasClean: boolean;
  constructor(type: string, init: { code?: number; reason?: string; wasClean?: boolean } = {}) {
    super(type);
    this.code = init.code ?? 0;
    this.reason = init.reason ?? '';
    this.wasClean = init.wasClean ?? false;
  }
}

/** The connection failed; `error` says why (a WebSocketError for protocol failures). */
export class ErrorEvent extends WebSocketEvent {
  readonly error: unknown;
  readonly message: string;
  constructor(type: string, init: { error?: unknown; message?: string } = {}) {
    super(type);
    this.error = init.error;
    this.message = init.message ?? (init.error instanceof Error ? init.error.message : '');
  }
}
