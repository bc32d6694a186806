/**
 * The one error type of barewire/http. It carries the HTTP status code that
 * the error maps to (RFC 9110 §15) and a stable string code for programs.
 *
 * On the server, a handler throws an `HttpError` and the app turns it into an
 * `application/problem+json` response (RFC 9457, see problem.ts). On the
 * client, a non-2xx response becomes an `HttpError` carrying the problem
 * document the server sent.
 *
 * Stable codes (server side):
 *   BAD_REQUEST            400 generic malformed request
 *   BAD_PERCENT_ENCODING   400 a path segment with invalid %XX escapes (RFC 3986 §2.1)
 *   MALFORMED_JSON         400 the body is not JSON (or starts with a BOM, or is not UTF-8)
 *   NOT_FOUND              404 no route for the path
 *   METHOD_NOT_ALLOWED     405 the path exists, not with this method (Allow is set)
 *   NOT_ACCEPTABLE         406 Accept excludes every type we can send
 *   REQUEST_TIMEOUT        408 headers or body not received in time
 *   PRECONDITION_FAILED    412 If-Match / If-Unmodified-Since / If-None-Match failed
 *   CONTENT_TOO_LARGE      413 the body is over the limit (Content-Length or streamed)
 *   UNSUPPORTED_MEDIA_TYPE 415 missing or non-JSON Content-Type on a body
 *   UNPROCESSABLE          422 well-formed JSON that is not what the resource takes
 *   HEADERS_TOO_LARGE      431 request head over the size or count limit (RFC 6585 §5)
 *   INTERNAL               500 an unexpected exception (no details on the wire)
 * Client side: TIMEOUT, ABORTED, NETWORK, RESPONSE_TOO_LARGE, BAD_RESPONSE,
 * and for error responses HTTP_<status> unless the problem document names a code.
 */

export type HttpErrorCode =
  | 'BAD_REQUEST'
  | 'BAD_PERCENT_ENCODING'
  | 'MALFORMED_JSON'
  | 'NOT_FOUND'
  | 'METHOD_NOT_ALLOWED'
  | 'NOT_ACCEPTABLE'
  | 'REQUEST_TIMEOUT'
  | 'PRECONDITION_FAILED'
  | 'CONTENT_TOO_LARGE'
  | 'UNSUPPORTED_MEDIA_TYPE'
  | 'UNPROCESSABLE'
  | 'HEADERS_TOO_LARGE'
  | 'INTERNAL'
  | 'TIMEOUT'
  | 'ABORTED'
  | 'NETWORK'
  | 'RESPONSE_TOO_LARGE'
  | 'BAD_RESPONSE'
  | (string & {});

export interface HttpErrorOptions {
  /** Extra response headers (Allow on 405, Accept-Patch on 415 ...). */
  headers?: Record<string, string>;
  /** RFC 9457 §3.1.4 `detail`: a human explanation of this occurrence. */
  detail?: string;
  /** RFC 9457 §3.1.1 `type` URI; default about:blank. */
  type?: string;
  /** Extension members copied into the problem document. */
  extensions?: Record<string, unknown>;
  /** Whether the connection should close after the response (413 before the body is read). */
  close?: boolean;
  cause?: unknown;
}

export class HttpError extends Error {
  override readonly name = 'HttpError';
  readonly status: number;
  readonly code: HttpErrorCode;
  readonly headers?: Record<string, string>;
  readonly detail?: string;
  readonly type?: string;
  readonly extensions?: Record<string, unknown>;
  readonly close: boolean;

  constructor(status: number, code: HttpErrorCode, message: string, opts: HttpErrorOptions = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.status = status;
    this.code = code;
    this.headers = opts.headers;
    this.detail = opts.detail ?? message;
    this.type = opts.type;
    this.extensions = opts.extensions;
    this.close = opts.close ?? false;
  }
}

export function isHttpError(err: unknown): err is HttpError {
  return err instanceof HttpError;
}
