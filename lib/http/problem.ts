/**
 * Problem Details for HTTP APIs (RFC 9457): every error the API sends is a
 * JSON object of media type `application/problem+json` with at least
 * `type`, `title` and `status`.
 *
 * RFC 9457 §3.1: the members are `type` (a URI reference; "about:blank" when
 * the problem has no more meaning than the status code, §4.2.1), `title` (a
 * short summary, for about:blank the status phrase), `status` (the status code
 * of this occurrence), `detail` (this occurrence, in words) and `instance`.
 * Extension members may be added (we add `code`, our stable error code).
 */
import { HttpError } from './errors.js';

export const PROBLEM_JSON = 'application/problem+json';

/** RFC 9110 §15 reason phrases (and RFC 6585 §5 for 431). */
export const STATUS_TEXT: Readonly<Record<number, string>> = {
  200: 'OK',
  201: 'Created',
  202: 'Accepted',
  204: 'No Content',
  301: 'Moved Permanently',
  304: 'Not Modified',
  308: 'Permanent Redirect',
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  405: 'Method Not Allowed',
  406: 'Not Acceptable',
  408: 'Request Timeout',
  409: 'Conflict',
  410: 'Gone',
  411: 'Length Required',
  412: 'Precondition Failed',
  413: 'Content Too Large',
  414: 'URI Too Long',
  415: 'Unsupported Media Type',
  422: 'Unprocessable Content',
  428: 'Precondition Required',
  429: 'Too Many Requests',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  501: 'Not Implemented',
  502: 'Bad Gateway',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
  507: 'Insufficient Storage',
};

export function statusText(status: number): string {
  return STATUS_TEXT[status] ?? (status >= 500 ? 'Server Error' : status >= 400 ? 'Client Error' : 'Unknown');
}

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail?: string;
  instance?: string;
  [extension: string]: unknown;
}

/** The problem document for an HttpError (RFC 9457 §3). */
export function problemOf(err: HttpError): Problem {
  const p: Problem = {
    type: err.type ?? 'about:blank',
    title: statusText(err.status),
    status: err.status,
  };
  if (err.detail) p.detail = err.detail;
  p.code = err.code;
  if (err.extensions) {
    for (const key of Object.keys(err.extensions)) {
      if (key !== 'type' && key !== 'title' && key !== 'status') p[key] = err.extensions[key];
    }
  }
  return p;
}

/**
 * The problem for an unexpected exception: a bare 500 with nothing from the
 * exception on the wire (no message, no stack: they can leak internals).
 */
export function internalProblem(): Problem {
  return { type: 'about:blank', title: 'Internal Server Error', status: 500, code: 'INTERNAL' };
}

/** Turn any thrown value into [problem, extra headers, close-connection?]. */
export function problemFromThrown(err: unknown): { problem: Problem; headers?: Record<string, string>; close: boolean } {
  if (err instanceof HttpError) return { problem: problemOf(err), headers: err.headers, close: err.close };
  return { problem: internalProblem(), close: false };
}

/** Parse a problem document received by a client; undefined when it is not one. */
export function parseProblem(value: unknown): Problem | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return undefined;
  const v = value as Record<string, unknown>;
  // RFC 9457 §3.1: members of the wrong type are ignored (treated as absent).
  const status = typeof v.status === 'number' && Number.isInteger(v.status) ? v.status : undefined;
  if (status === undefined && typeof v.title !== 'string' && typeof v.type !== 'string') return undefined;
  return {
    ...v,
    type: typeof v.type === 'string' ? v.type : 'about:blank',
    title: typeof v.title === 'string' ? v.title : status !== undefined ? statusText(status) : '',
    status: status ?? 0,
    detail: typeof v.detail === 'string' ? v.detail : undefined,
  };
}
