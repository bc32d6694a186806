/**
 * Request bodies: is there one (RFC 9112 §6.3), is it JSON (RFC 9110 §8.3,
 * 415 otherwise), is it within the size limit (413, enforced while the bytes
 * stream in, for Content-Length and chunked alike), is it well-formed (400)?
 *
 * The pure parts (header checks, the size-bounded accumulator, JSON decoding
 * with a nesting limit) come first; `readJsonBody` at the end is the thin
 * adapter that feeds a node:http request through them.
 */
import type { IncomingMessage } from 'node:http';
import { HttpError } from './errors.js';
import { isJsonMediaType, parseMediaType, type MediaType } from './media.js';
import { formatBytes } from '../trace/index.js';

/** 1 MiB: bodies up to and including this many bytes are read (INTEROP.md §http). */
export const DEFAULT_MAX_BODY_BYTES = 1024 * 1024;
/** Deepest nesting of arrays/objects accepted: deeper JSON would overflow recursive code later. */
export const DEFAULT_MAX_JSON_DEPTH = 256;

export interface BodyOptions {
  /** Largest body accepted, in bytes (default 1 MiB; exactly this is accepted). */
  maxBytes?: number;
  /** Deepest JSON nesting accepted (default 256). */
  maxDepth?: number;
  /** Accepted media types as `type/subtype` essences; default: any JSON type. */
  types?: readonly string[];
}

type Headers = IncomingMessage['headers'];

/** RFC 9112 §6.3: a request has a body when it has Transfer-Encoding or a Content-Length > 0. */
export function hasBody(headers: Headers): boolean {
  if (headers['transfer-encoding'] !== undefined) return true;
  const cl = headers['content-length'];
  return cl !== undefined && cl !== '0';
}

/**
 * RFC 9110 §8.3 / §15.5.16: the body's Content-Type must be one we take.
 * A Content-Type sent twice is refused (RFC 9110 §5.3: it is not a list),
 * so that no two readers can disagree about which one counts.
 */
export function checkContentType(headers: Headers, rawHeaders: string[], types?: readonly string[], isPatch = false): MediaType {
  let count = 0;
  for (let i = 0; i < rawHeaders.length; i += 2) {
    if (rawHeaders[i].length === 12 && rawHeaders[i].toLowerCase() === 'content-type') count++;
  }
  if (count > 1) throw new HttpError(400, 'BAD_REQUEST', 'more than one Content-Type header');
  const raw = headers['content-type'];
  const mt = parseMediaType(raw);
  const ok = types === undefined ? isJsonMediaType(mt) : mt !== undefined && types.includes(mt.essence) && isJsonMediaType(mt);
  if (!ok) {
    const what = raw === undefined ? 'no Content-Type' : `Content-Type ${JSON.stringify(raw.slice(0, 100))}`;
    const expected = types === undefined ? 'application/json or application/*+json' : types.join(' or ');
    throw new HttpError(415, 'UNSUPPORTED_MEDIA_TYPE', `a body with ${what}; this resource takes ${expected}`, {
      // RFC 5789 §3.1: a 415 to PATCH says which patch formats are taken.
      headers: isPatch ? { 'accept-patch': (types ?? ['application/json']).join(', ') } : undefined,
    });
  }
  return mt!;
}

/** 413 as an error; the connection closes after it (the rest of the body is never read). */
export function tooLarge(maxBytes: number, got?: number): HttpError {
  const detail =
    got === undefined ? `the body is over the ${formatBytes(maxBytes)} limit` : `a body of ${formatBytes(got)} is over the ${formatBytes(maxBytes)} limit`;
  return new HttpError(413, 'CONTENT_TOO_LARGE', detail, { close: true, extensions: { limit: maxBytes } });
}

/**
 * Collects body chunks up to a byte limit and refuses the chunk that would
 * cross it: at most `maxBytes` are ever held, whatever the framing.
 */
export class BodyAccumulator {
  private chunks: Uint8Array[] = [];
  size = 0;
  constructor(readonly maxBytes: number) {}

  /** Add a chunk; false (and nothing kept) when it would cross the limit. */
  push(chunk: Uint8Array): boolean {
    if (this.size + chunk.length > this.maxBytes) {
      this.size += chunk.length;
      this.chunks = [];
      return false;
    }
    this.size += chunk.length;
    this.chunks.push(chunk);
    return true;
  }

  finish(): Buffer {
    const c = this.chunks;
    if (c.length === 1) return Buffer.from(c[0].buffer, c[0].byteOffset, c[0].length);
    return Buffer.concat(c, this.size);
  }
}

/** Nesting depth of JSON text, counting [ and { outside strings. */
export function jsonDepth(bytes: Uint8Array, stopAt: number): number {
  let depth = 0;
  let max = 0;
  let inString = false;
  for (let i = 0; i < bytes.length; i++) {
    const b = bytes[i];
    if (inString) {
      if (b === 0x5c) i++; // skip the escaped byte
      else if (b === 0x22) inString = false;
    } else if (b === 0x22) inString = true;
    else if (b === 0x5b || b === 0x7b) {
      if (++depth > max) {
        max = depth;
        if (max > stopAt) return max;
      }
    } else if (b === 0x5d || b === 0x7d) depth--;
  }
  return max;
}

const utf8 = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });

/**
 * Decode a JSON body: strict UTF-8, no byte order mark (RFC 8259 §8.1:
 * senders MUST NOT add one; INTEROP.md makes it a 400), bounded nesting.
 */
export function decodeJson(bytes: Uint8Array, maxDepth = DEFAULT_MAX_JSON_DEPTH): unknown {
  if (bytes.length >= 3 && bytes[0] === 0xef && bytes[1] === 0xbb && bytes[2] === 0xbf) {
    throw new HttpError(400, 'MALFORMED_JSON', 'the JSON body starts with a byte order mark (RFC 8259 §8.1)');
  }
  let text: string;
  try {
    text = utf8.decode(bytes);
  } catch {
    throw new HttpError(400, 'MALFORMED_JSON', 'the JSON body is not valid UTF-8');
  }
  // Depth can only exceed maxDepth if there are more than 2*maxDepth bytes.
  if (bytes.length > 2 * maxDepth && jsonDepth(bytes, maxDepth) > maxDepth) {
    throw new HttpError(422, 'UNPROCESSABLE', `the JSON body nests deeper than ${maxDepth} levels`);
  }
  try {
    return JSON.parse(text);
  } catch (err) {
    throw new HttpError(400, 'MALFORMED_JSON', `the body is not well-formed JSON: ${(err as Error).message.slice(0, 200)}`);
  }
}

/**
 * Read and parse a JSON request body from node:http: 415 on a wrong type,
 * 413 as soon as the announced or streamed size passes the limit (the rest
 * is never buffered), 400 on malformed JSON. A request without a body is
 * malformed JSON (an empty document).
 */
export function readJsonBody(req: IncomingMessage, opts: BodyOptions = {}): Promise<unknown> {
  const maxBytes = opts.maxBytes ?? DEFAULT_MAX_BODY_BYTES;
  const maxDepth = opts.maxDepth ?? DEFAULT_MAX_JSON_DEPTH;
  const headers = req.headers;
  if (!hasBody(headers)) return Promise.reject(new HttpError(400, 'MALFORMED_JSON', 'a JSON body is required and none was sent'));
  try {
    checkContentType(headers, req.rawHeaders, opts.types, req.method === 'PATCH');
  } catch (err) {
    return Promise.reject(err);
  }
  const cl = headers['content-length'];
  if (cl !== undefined && Number(cl) > maxBytes) return Promise.reject(tooLarge(maxBytes, Number(cl)));
  return new Promise((resolve, reject) => {
    const acc = new BodyAccumulator(maxBytes);
    const cleanup = () => {
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('error', onError);
      req.off('close', onClose);
    };
    const onData = (chunk: Buffer) => {
      if (!acc.push(chunk)) {
        cleanup();
        reject(tooLarge(maxBytes));
      }
    };
    const onEnd = () => {
      cleanup();
      try {
        resolve(decodeJson(acc.finish(), maxDepth));
      } catch (err) {
        reject(err);
      }
    };
    const onError = (err: Error) => {
      cleanup();
      reject(new HttpError(400, 'BAD_REQUEST', `the request body could not be read: ${err.message}`, { close: true }));
    };
    const onClose = () => {
      if (req.complete) return;
      cleanup();
      reject(new HttpError(400, 'BAD_REQUEST', 'the connection closed before the body was complete', { close: true }));
    };
    req.on('data', onData);
    req.on('end', onEnd);
    req.on('error', onError);
    req.on('close', onClose);
  });
}
