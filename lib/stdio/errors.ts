/**
 * The one error type of barewire/stdio.
 *
 * A `StdioError` carries two codes:
 * - `rpcCode`: the JSON-RPC 2.0 error code (JSON-RPC 2.0 §5.1), the number
 *   that travels in an error response (`{"code": -32601, ...}`);
 * - `code`: a stable string naming what went wrong, for programs
 *   (`'METHOD_NOT_FOUND'`, `'REQUEST_TIMEOUT'`, `'SPAWN_FAILED'` ...).
 *
 * Errors that never travel on the wire (a timeout, a process that could not
 * start) still carry the JSON-RPC code that best describes them, so a caller
 * can treat every failure of a request alike.
 */

/** JSON-RPC 2.0 §5.1: the error codes the specification reserves, plus LSP's -32800. */
export const ErrorCodes = {
  /** Invalid JSON was received by the server. */
  ParseError: -32700,
  /** The JSON sent is not a valid Request object. */
  InvalidRequest: -32600,
  /** The method does not exist / is not available. */
  MethodNotFound: -32601,
  /** Invalid method parameter(s). */
  InvalidParams: -32602,
  /** Internal JSON-RPC error. */
  InternalError: -32603,
  /** -32000 to -32099: reserved for implementation-defined server errors. */
  ServerErrorStart: -32099,
  ServerErrorEnd: -32000,
  /** LSP base protocol: the request was cancelled (`$/cancelRequest`). */
  RequestCancelled: -32800,
} as const;

/** The `message` the specification gives each code (JSON-RPC 2.0 §5.1). */
export const ERROR_MESSAGES: Readonly<Record<number, string>> = {
  [-32700]: 'Parse error',
  [-32600]: 'Invalid Request',
  [-32601]: 'Method not found',
  [-32602]: 'Invalid params',
  [-32603]: 'Internal error',
  [-32800]: 'Request cancelled',
};

/** The stable string codes, one per way things fail. */
export type StdioErrorCode =
  // error responses (JSON-RPC 2.0 §5.1)
  | 'PARSE_ERROR'
  | 'INVALID_REQUEST'
  | 'METHOD_NOT_FOUND'
  | 'INVALID_PARAMS'
  | 'INTERNAL_ERROR'
  | 'SERVER_ERROR'
  | 'REQUEST_CANCELLED'
  /** An error response whose code is none of the above (application-defined). */
  | 'APPLICATION_ERROR'
  // local failures of a request
  | 'REQUEST_TIMEOUT'
  | 'TOO_MANY_PENDING'
  | 'CONNECTION_CLOSED'
  // framing
  | 'MESSAGE_TOO_LARGE'
  | 'BAD_HEADER'
  | 'INVALID_UTF8'
  | 'TRUNCATED'
  // processes
  | 'SPAWN_FAILED';

const BY_RPC_CODE: Readonly<Record<number, StdioErrorCode>> = {
  [-32700]: 'PARSE_ERROR',
  [-32600]: 'INVALID_REQUEST',
  [-32601]: 'METHOD_NOT_FOUND',
  [-32602]: 'INVALID_PARAMS',
  [-32603]: 'INTERNAL_ERROR',
  [-32800]: 'REQUEST_CANCELLED',
};

const RPC_CODE_OF: Partial<Record<StdioErrorCode, number>> = {
  PARSE_ERROR: -32700,
  INVALID_REQUEST: -32600,
  METHOD_NOT_FOUND: -32601,
  INVALID_PARAMS: -32602,
  INTERNAL_ERROR: -32603,
  SERVER_ERROR: -32000,
  REQUEST_CANCELLED: -32800,
  REQUEST_TIMEOUT: -32800,
  MESSAGE_TOO_LARGE: -32600,
  BAD_HEADER: -32700,
  INVALID_UTF8: -32700,
  TRUNCATED: -32700,
};

/** The stable string code for a JSON-RPC error code received in a response. */
export function codeForRpcCode(rpcCode: number): StdioErrorCode {
  const known = BY_RPC_CODE[rpcCode];
  if (known) return known;
  if (rpcCode >= -32099 && rpcCode <= -32000) return 'SERVER_ERROR';
  return 'APPLICATION_ERROR';
}

export class StdioError extends Error {
  override readonly name = 'StdioError';
  /** Stable string code. */
  readonly code: StdioErrorCode;
  /** JSON-RPC 2.0 §5.1 error code (the number sent in an error response). */
  readonly rpcCode: number;
  /** The error object's `data` member, when there is one. */
  readonly data?: unknown;
  /** True when the other side sent this error in an error response; false for local failures (timeout, closed, ...). */
  readonly remote: boolean;

  constructor(code: StdioErrorCode, message: string, options: { rpcCode?: number; data?: unknown; cause?: unknown; remote?: boolean } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.remote = options.remote ?? false;
    this.rpcCode = options.rpcCode ?? RPC_CODE_OF[code] ?? ErrorCodes.InternalError;
    if (options.data !== undefined) this.data = options.data;
  }

  /** An error from the error object of a response (JSON-RPC 2.0 §5.1). */
  static fromErrorObject(error: { code: number; message: string; data?: unknown }): StdioError {
    return new StdioError(codeForRpcCode(error.code), error.message, { rpcCode: error.code, data: error.data, remote: true });
  }
}

/** Throw this from a handler to answer -32602 Invalid params. */
export function invalidParams(detail: string): StdioError {
  return new StdioError('INVALID_PARAMS', ERROR_MESSAGES[-32602], { data: detail });
}
