/**
 * JSON-RPC 2.0, the messages: what a request, a notification and a response
 * look like, how to tell them apart, and the error objects. No I/O here:
 * text in, classified messages out; values in, objects to send out.
 *
 *   request       {"jsonrpc":"2.0","method":"subtract","params":[42,23],"id":1}
 *   notification  {"jsonrpc":"2.0","method":"update","params":[1,2,3]}       (no id: no reply)
 *   response      {"jsonrpc":"2.0","result":19,"id":1}
 *   error         {"jsonrpc":"2.0","error":{"code":-32601,"message":"Method not found"},"id":1}
 *   batch         [ request-or-notification, ... ]  ->  [ response, ... ]
 *
 * Section numbers are those of the JSON-RPC 2.0 specification
 * (https://www.jsonrpc.org/specification).
 */
import { ERROR_MESSAGES, ErrorCodes } from './errors.js';

/** JSON-RPC 2.0 §4: an id is a String, a Number, or Null. */
export type Id = string | number | null;
/** JSON-RPC 2.0 §4.2: params by position (Array) or by name (Object). */
export type Params = unknown[] | Record<string, unknown>;

export interface ErrorObject {
  code: number;
  message: string;
  data?: unknown;
}

export interface RequestMessage {
  jsonrpc: '2.0';
  method: string;
  params?: Params;
  id: Id;
}

export interface NotificationMessage {
  jsonrpc: '2.0';
  method: string;
  params?: Params;
}

export type ResponseMessage =
  | { jsonrpc: '2.0'; result: unknown; id: Id }
  | { jsonrpc: '2.0'; error: ErrorObject; id: Id };

export type Message = RequestMessage | NotificationMessage | ResponseMessage;

/** One received object, classified. */
export type Incoming =
  | { type: 'request'; id: Id; method: string; params: Params | undefined }
  | { type: 'notification'; method: string; params: Params | undefined }
  | { type: 'response'; id: Id; result: unknown }
  | { type: 'error'; id: Id; error: ErrorObject }
  /** Not a valid message: answer -32600 with `id` (the message's id if it had a valid one, else null). */
  | { type: 'invalid'; id: Id; reason: string };

/** One received text, parsed. */
export type Parsed =
  | { kind: 'single'; message: Incoming }
  | { kind: 'batch'; messages: Incoming[] }
  /** JSON-RPC 2.0 §6: an empty array is an invalid request, answered with a single error. */
  | { kind: 'empty-batch' }
  /** Not JSON at all: answer -32700 with id null. */
  | { kind: 'parse-error'; reason: string };

const hasOwn = Object.prototype.hasOwnProperty;

function isId(v: unknown): v is Id {
  return v === null || typeof v === 'string' || (typeof v === 'number' && Number.isFinite(v));
}

function isObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** Parse one framed text and classify what is in it. */
export function parseText(text: string): Parsed {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    return { kind: 'parse-error', reason: (err as Error).message };
  }
  if (Array.isArray(value)) {
    // JSON-RPC 2.0 §6: a batch is an array of requests (or responses); an empty one is invalid.
    if (value.length === 0) return { kind: 'empty-batch' };
    return { kind: 'batch', messages: value.map(classify) };
  }
  return { kind: 'single', message: classify(value) };
}

/**
 * Tell a received value apart (JSON-RPC 2.0 §4, §4.1, §5). A value is
 * checked member by member; anything that fits none of the shapes is
 * 'invalid'. A request with `"id": null` is a request (answered with id
 * null), not a notification: only a missing id makes a notification.
 */
export function classify(value: unknown): Incoming {
  if (!isObject(value)) return { type: 'invalid', id: null, reason: 'not an object' };
  const rawId = value.id;
  const hasId = hasOwn.call(value, 'id');
  const id: Id = hasId && isId(rawId) ? rawId : null;
  if (value.jsonrpc !== '2.0') return { type: 'invalid', id, reason: 'jsonrpc is not "2.0"' };
  if (hasId && !isId(rawId)) return { type: 'invalid', id: null, reason: 'id is not a String, Number or Null' };
  if (hasOwn.call(value, 'method')) {
    const method = value.method;
    if (typeof method !== 'string') return { type: 'invalid', id, reason: 'method is not a String' };
    const params = value.params;
    // §4.2: params, if present, MUST be Structured (an Array or an Object).
    if (params !== undefined && (typeof params !== 'object' || params === null)) {
      return { type: 'invalid', id, reason: 'params is neither an Array nor an Object' };
    }
    if (!hasId) return { type: 'notification', method, params: params as Params | undefined };
    return { type: 'request', id, method, params: params as Params | undefined };
  }
  // §5: a response has result or error, never both, and always an id.
  const hasResult = hasOwn.call(value, 'result');
  const hasError = hasOwn.call(value, 'error');
  if (!hasId) return { type: 'invalid', id: null, reason: 'neither a method nor an id' };
  if (hasResult === hasError) return { type: 'invalid', id, reason: 'a response needs exactly one of result and error' };
  if (hasResult) return { type: 'response', id, result: value.result };
  const error = value.error;
  // §5.1: code MUST be an integer, message MUST be a String.
  if (!isObject(error) || !Number.isInteger(error.code) || typeof error.message !== 'string') {
    return { type: 'invalid', id, reason: 'error is not an error object' };
  }
  const eo: ErrorObject = { code: error.code as number, message: error.message };
  if (hasOwn.call(error, 'data')) eo.data = error.data;
  return { type: 'error', id, error: eo };
}

// ---- building messages (values in, JSON text out) ----

export function requestMessage(method: string, params: Params | undefined, id: Id): RequestMessage {
  return params === undefined ? { jsonrpc: '2.0', method, id } : { jsonrpc: '2.0', method, params, id };
}

export function notificationMessage(method: string, params?: Params): NotificationMessage {
  return params === undefined ? { jsonrpc: '2.0', method } : { jsonrpc: '2.0', method, params };
}

/** §5: on success, result is REQUIRED (null when there is nothing to return). */
export function resultResponse(id: Id, result: unknown): ResponseMessage {
  return { jsonrpc: '2.0', result: result === undefined ? null : result, id };
}

/** §5.1: an error object with the specification's message for its code unless one is given. */
export function errorObject(code: number, message?: string, data?: unknown): ErrorObject {
  const eo: ErrorObject = { code, message: message ?? ERROR_MESSAGES[code] ?? 'Server error' };
  if (data !== undefined) eo.data = data;
  return eo;
}

export function errorResponse(id: Id, code: number, message?: string, data?: unknown): ResponseMessage {
  return { jsonrpc: '2.0', error: errorObject(code, message, data), id };
}

/** The answer to text that is not JSON (§5.1, §7 "rpc call with invalid JSON"). */
export function parseErrorResponse(data?: unknown): ResponseMessage {
  return errorResponse(null, ErrorCodes.ParseError, undefined, data);
}

/** The answer to a value that is not a valid request (§5.1, §7 "rpc call with invalid Request object"). */
export function invalidRequestResponse(id: Id, data?: unknown): ResponseMessage {
  return errorResponse(id, ErrorCodes.InvalidRequest, undefined, data);
}

/** A short description of a message for a trace line: `request subtract id=1`. */
export function describe(m: Incoming | Message): string {
  if ('type' in m) {
    switch (m.type) {
      case 'request':
        return `request ${m.method} id=${JSON.stringify(m.id)}`;
      case 'notification':
        return `notification ${m.method}`;
      case 'response':
        return `response id=${JSON.stringify(m.id)}`;
      case 'error':
        return `error ${m.error.code} ${JSON.stringify(m.error.message)} id=${JSON.stringify(m.id)}`;
      default:
        return `invalid (${m.reason})`;
    }
  }
  if ('method' in m) return 'id' in m ? `request ${m.method} id=${JSON.stringify(m.id)}` : `notification ${m.method}`;
  if ('error' in m) return `error ${m.error.code} ${JSON.stringify(m.error.message)} id=${JSON.stringify(m.id)}`;
  return `response id=${JSON.stringify(m.id)}`;
}
