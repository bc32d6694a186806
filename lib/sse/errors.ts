/**
 * The one error type of barewire/sse.
 *
 * Server-Sent Events have no error codes of their own on the wire: what a
 * peer can see is the HTTP status of the response (a client fails the
 * connection on anything but 200, and stops on 204). So an `SseError` carries
 * that `status` when there is one, and always a stable string `code`:
 *
 *   INVALID_FIELD     encoder: an event name, id or retry that would break the
 *                     framing (a line break, a NULL in an id, a bad retry);
 *                     client: a header (or last event ID) that HTTP cannot carry
 *   LINE_TOO_LONG     parser: a line longer than `maxLineLength` characters
 *   EVENT_TOO_LARGE   parser: an event whose data grew past `maxEventSize`
 *   BAD_STATUS        client: the response status was not 200 (status set)
 *   BAD_CONTENT_TYPE  client: the response was not text/event-stream (status set)
 *   TOO_MANY_REDIRECTS client: more than `maxRedirects` redirects
 *   NETWORK           client: the connection failed or broke (it reconnects)
 *   MAX_RETRIES       client: `maxRetries` reconnection attempts failed in a row
 *   IDLE_TIMEOUT      client: nothing arrived for `idleTimeout` ms (it reconnects)
 *   SLOW_CLIENT       server: the queue of a client that stopped reading overflowed
 */

export type SseErrorCode =
  | 'INVALID_FIELD'
  | 'LINE_TOO_LONG'
  | 'EVENT_TOO_LARGE'
  | 'BAD_STATUS'
  | 'BAD_CONTENT_TYPE'
  | 'TOO_MANY_REDIRECTS'
  | 'NETWORK'
  | 'MAX_RETRIES'
  | 'IDLE_TIMEOUT'
  | 'SLOW_CLIENT';

export class SseError extends Error {
  override readonly name = 'SseError';
  readonly code: SseErrorCode;
  /** The HTTP status of the response involved, when there was one. */
  readonly status: number | undefined;

  constructor(code: SseErrorCode, message: string, options: { status?: number; cause?: unknown } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.status = options.status;
  }
}
