/**
 * gRPC status codes and the tables that turn other failures into them.
 *
 * A call ends with a status: `grpc-status` (a decimal code) and an optional
 * `grpc-message` (UTF-8, percent-encoded) in the trailers. When a peer or a
 * proxy answers without one, the client synthesizes it from the HTTP status
 * or the RST_STREAM error code, with these tables.
 *
 * - gRPC doc/statuscodes.md: the 17 codes
 * - gRPC doc/http-grpc-status-mapping.md: HTTP status -> gRPC status
 * - gRPC PROTOCOL-HTTP2 §Errors: RST_STREAM code -> gRPC status
 * - gRPC PROTOCOL-HTTP2 §Responses: Percent-Encoded grpc-message
 */

/** gRPC doc/statuscodes.md: the canonical status codes, 0..16. */
export const Status = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  DATA_LOSS: 15,
  UNAUTHENTICATED: 16,
} as const;

export type StatusName = keyof typeof Status;
export type StatusCode = (typeof Status)[StatusName];

const NAMES: string[] = [];
for (const [name, code] of Object.entries(Status)) NAMES[code] = name;

/** The name of a code ("DEADLINE_EXCEEDED"), or "CODE_<n>" for one outside 0..16. */
export function statusName(code: number): string {
  return NAMES[code] ?? `CODE_${code}`;
}

/**
 * Parse a `grpc-status` value: a decimal integer without leading zeros
 * (gRPC PROTOCOL-HTTP2 §Responses). Returns undefined when it is not one.
 * Codes above 16 are kept as they are (statuscodes.md: applications may
 * see codes they do not know and should treat them as UNKNOWN).
 */
export function parseStatus(value: string | undefined): number | undefined {
  if (value === undefined || value.length === 0 || value.length > 10) return undefined;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return undefined;
  }
  if (value.length > 1 && value.charCodeAt(0) === 0x30) return undefined;
  return Number(value);
}

/**
 * gRPC http-grpc-status-mapping.md: the status a client reports when the
 * response has no grpc-status and its HTTP status is not 200.
 */
export function statusFromHttp(httpStatus: number): StatusCode {
  switch (httpStatus) {
    case 400:
      return Status.INTERNAL;
    case 401:
      return Status.UNAUTHENTICATED;
    case 403:
      return Status.PERMISSION_DENIED;
    case 404:
      return Status.UNIMPLEMENTED;
    case 429:
    case 502:
    case 503:
    case 504:
      return Status.UNAVAILABLE;
    default:
      return Status.UNKNOWN;
  }
}

/** RFC 9113 §7: HTTP/2 error codes by number, for messages people read. */
export const HTTP2_ERROR_NAMES = [
  'NO_ERROR',
  'PROTOCOL_ERROR',
  'INTERNAL_ERROR',
  'FLOW_CONTROL_ERROR',
  'SETTINGS_TIMEOUT',
  'STREAM_CLOSED',
  'FRAME_SIZE_ERROR',
  'REFUSED_STREAM',
  'CANCEL',
  'COMPRESSION_ERROR',
  'CONNECT_ERROR',
  'ENHANCE_YOUR_CALM',
  'INADEQUATE_SECURITY',
  'HTTP_1_1_REQUIRED',
];

export function http2ErrorName(code: number): string {
  return HTTP2_ERROR_NAMES[code] ?? `0x${code.toString(16)}`;
}

/**
 * gRPC PROTOCOL-HTTP2 §Errors: the status for a stream the server reset
 * before sending trailers.
 */
export function statusFromRstCode(rstCode: number): StatusCode {
  switch (rstCode) {
    case 7: // REFUSED_STREAM: no processing happened, the call may be retried
      return Status.UNAVAILABLE;
    case 8: // CANCEL, sent by a server
      return Status.CANCELLED;
    case 11: // ENHANCE_YOUR_CALM: the exhausted resource is bandwidth
      return Status.RESOURCE_EXHAUSTED;
    case 12: // INADEQUATE_SECURITY
      return Status.PERMISSION_DENIED;
    default:
      return Status.INTERNAL;
  }
}

// gRPC PROTOCOL-HTTP2 §Responses: Percent-Byte-Unencoded is %x20-%x24 / %x26-%x7E.
const HEX = '0123456789ABCDEF';

function unreserved(b: number): boolean {
  return b >= 0x20 && b <= 0x7e && b !== 0x25;
}

/** Encode a status message for `grpc-message`: UTF-8, then percent-encoding of every byte outside space..~ and of '%'. */
export function percentEncode(message: string): string {
  let plain = true;
  for (let i = 0; i < message.length; i++) {
    if (!unreserved(message.charCodeAt(i))) {
      plain = false;
      break;
    }
  }
  if (plain) return message;
  const bytes = Buffer.from(message, 'utf8');
  let out = '';
  for (const b of bytes) out += unreserved(b) ? String.fromCharCode(b) : '%' + HEX[b >> 4] + HEX[b & 15];
  return out;
}

function hexValue(c: number): number {
  if (c >= 0x30 && c <= 0x39) return c - 0x30;
  if (c >= 0x41 && c <= 0x46) return c - 0x37;
  if (c >= 0x61 && c <= 0x66) return c - 0x57;
  return -1;
}

/**
 * Decode a `grpc-message`. gRPC PROTOCOL-HTTP2 §Responses: decoding invalid
 * values MUST NOT fail or drop the message; a broken %-sequence is kept as
 * it is, and invalid UTF-8 becomes U+FFFD.
 */
export function percentDecode(value: string): string {
  if (value.indexOf('%') === -1) return value;
  const bytes: number[] = [];
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c === 0x25 && i + 2 < value.length) {
      const hi = hexValue(value.charCodeAt(i + 1));
      const lo = hexValue(value.charCodeAt(i + 2));
      if (hi >= 0 && lo >= 0) {
        bytes.push((hi << 4) | lo);
        i += 2;
        continue;
      }
    }
    // Header values reach us as one char per octet; keep them as octets.
    if (c < 0x100) bytes.push(c);
    else for (const b of Buffer.from(value[i], 'utf8')) bytes.push(b);
  }
  return Buffer.from(bytes).toString('utf8');
}
