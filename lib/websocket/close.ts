/**
 * Close status codes and the close frame's payload (RFC 6455 §5.5.1, §7.4).
 *
 * A close frame's body is either empty, or a 2-byte big-endian status code
 * followed by a UTF-8 reason. Control frames carry at most 125 bytes
 * (§5.5), so the reason is at most 123 bytes.
 *
 * Which codes may appear on the wire (§7.4.1, §7.4.2 and the IANA
 * "WebSocket Close Code Number Registry"):
 *
 *   0-999      never used                              invalid
 *   1000       normal closure                          valid
 *   1001       going away                              valid
 *   1002       protocol error                          valid
 *   1003       unsupported data                        valid
 *   1004       reserved                                invalid
 *   1005       no status received  (report only)       invalid on the wire
 *   1006       abnormal closure    (report only)       invalid on the wire
 *   1007       invalid frame payload data              valid
 *   1008       policy violation                        valid
 *   1009       message too big                         valid
 *   1010       mandatory extension                     valid
 *   1011       internal error                          valid
 *   1012       service restart    (IANA)               valid
 *   1013       try again later    (IANA)               valid
 *   1014       bad gateway        (IANA)               valid
 *   1015       TLS handshake       (report only)       invalid on the wire
 *   1016-2999  reserved for future protocol use        invalid
 *   3000-3999  registered with IANA (libraries)        valid
 *   4000-4999  private use (applications)              valid
 *   5000-      out of range                            invalid
 */
import { isValidUtf8 } from '../bytes/index.js';
import { WebSocketError } from './errors.js';

export const CloseCode = {
  NORMAL: 1000,
  GOING_AWAY: 1001,
  PROTOCOL_ERROR: 1002,
  UNSUPPORTED_DATA: 1003,
  NO_STATUS: 1005,
  ABNORMAL: 1006,
  INVALID_PAYLOAD: 1007,
  POLICY_VIOLATION: 1008,
  MESSAGE_TOO_BIG: 1009,
  MANDATORY_EXTENSION: 1010,
  INTERNAL_ERROR: 1011,
} as const;

/** Maximum close reason in bytes: 125 (control frame limit) - 2 (code). */
export const MAX_CLOSE_REASON = 123;

/** RFC 6455 §7.4: may `code` be sent in, or accepted from, a close frame? */
export function isValidCloseCode(code: number): boolean {
  if (!Number.isInteger(code)) return false;
  if (code >= 1000 && code <= 1014) return code !== 1004 && code !== 1005 && code !== 1006;
  return code >= 3000 && code <= 4999;
}

/** Bytes of a reason given as a string or any ArrayBufferView (by byteLength, never by element count). */
export function reasonBytes(reason: string | ArrayBufferView | undefined): Uint8Array {
  if (reason === undefined) return new Uint8Array(0);
  if (typeof reason === 'string') return Buffer.from(reason, 'utf8');
  if (ArrayBuffer.isView(reason)) return new Uint8Array(reason.buffer, reason.byteOffset, reason.byteLength);
  throw new WebSocketError('WS_ERR_INVALID_CLOSE_ARGS', 'close reason must be a string or an ArrayBufferView');
}

/**
 * The body of a close frame we send. No code: empty body. A reason needs a
 * code (§5.5.1: "If there is a body, the first two bytes ... MUST be a status code").
 */
export function encodeClosePayload(code?: number, reason?: string | ArrayBufferView): Uint8Array {
  const text = reasonBytes(reason);
  if (code === undefined) {
    if (text.length > 0) throw new WebSocketError('WS_ERR_INVALID_CLOSE_ARGS', 'a close reason needs a close code');
    return new Uint8Array(0);
  }
  if (!isValidCloseCode(code)) throw new WebSocketError('WS_ERR_INVALID_CLOSE_ARGS', `close code ${code} may not be sent (RFC 6455 §7.4)`);
  if (text.length > MAX_CLOSE_REASON) {
    throw new WebSocketError('WS_ERR_INVALID_CLOSE_ARGS', `close reason of ${text.length} bytes is over the ${MAX_CLOSE_REASON}-byte limit`);
  }
  if (!isValidUtf8(text)) throw new WebSocketError('WS_ERR_INVALID_CLOSE_ARGS', 'close reason is not valid UTF-8');
  const out = new Uint8Array(2 + text.length);
  out[0] = code >>> 8;
  out[1] = code & 0xff;
  out.set(text, 2);
  return out;
}

export type ClosePayload = { ok: true; code: number; reason: string } | { ok: false; error: WebSocketError };

/** RFC 6455 §5.5.1, §7.1.5, §7.1.6: read a received close body. Empty body: code 1005. */
export function decodeClosePayload(body: Uint8Array): ClosePayload {
  if (body.length === 0) return { ok: true, code: CloseCode.NO_STATUS, reason: '' };
  if (body.length === 1) {
    return { ok: false, error: new WebSocketError('WS_ERR_INVALID_CLOSE_PAYLOAD', 'close frame with a 1-byte body', 1002) };
  }
  const code = (body[0] << 8) | body[1];
  if (!isValidCloseCode(code)) {
    return { ok: false, error: new WebSocketError('WS_ERR_INVALID_CLOSE_CODE', `invalid close code ${code} received`, 1002) };
  }
  const text = body.subarray(2);
  if (!isValidUtf8(text)) {
    return { ok: false, error: new WebSocketError('WS_ERR_INVALID_UTF8', 'close reason is not valid UTF-8', 1007) };
  }
  return { ok: true, code, reason: Buffer.from(text.buffer, text.byteOffset, text.byteLength).toString('utf8') };
}

/** A text as a close reason: at most 123 bytes of UTF-8, cut on a character boundary. */
export function truncateReason(text: string): string {
  let out = text;
  while (Buffer.byteLength(out) > MAX_CLOSE_REASON) out = out.slice(0, -1);
  return out;
}
