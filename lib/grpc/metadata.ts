/**
 * Metadata: the custom key/value pairs of a call, sent as HTTP/2 headers
 * (initial metadata) and trailers (trailing metadata).
 *
 * gRPC PROTOCOL-HTTP2 §Requests:
 * - Custom-Metadata → Binary-Header / ASCII-Header; keys are lowercase
 *   1*( %x30-39 / %x61-7A / "_" / "-" / ".") (0-9 a-z _ - .)
 * - Binary-Header: the key ends in "-bin" and the value is base64.
 *   Implementations MUST accept padded and un-padded values and should emit
 *   un-padded values; values joined with "," are split before decoding.
 * - Header names starting with "grpc-" are reserved for gRPC itself, and so
 *   are the HTTP/2 pseudo-headers and the call-definition headers.
 */
import { GrpcError } from './errors.js';
import { Status } from './status.js';

export type MetadataValue = string | Uint8Array;

/** Headers the transport owns; never taken from or given to applications as metadata. */
const RESERVED = new Set([
  'content-type',
  'te',
  'user-agent',
  'host',
  'connection',
  'keep-alive',
  'proxy-connection',
  'transfer-encoding',
  'upgrade',
  'content-length',
  'accept-encoding',
]);

/** Whether `key` is reserved for the transport (pseudo-headers, grpc-*, call definition). */
export function isReservedHeader(key: string): boolean {
  return key.charCodeAt(0) === 0x3a /* : */ || key.startsWith('grpc-') || RESERVED.has(key);
}

function validKey(key: string): boolean {
  if (key.length === 0) return false;
  for (let i = 0; i < key.length; i++) {
    const c = key.charCodeAt(i);
    const ok = (c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x7a) || c === 0x5f || c === 0x2d || c === 0x2e;
    if (!ok) return false;
  }
  return true;
}

function validAsciiValue(v: string): boolean {
  for (let i = 0; i < v.length; i++) {
    const c = v.charCodeAt(i);
    if (c < 0x20 || c > 0x7e) return false;
  }
  return true;
}

export function isBinaryKey(key: string): boolean {
  return key.endsWith('-bin');
}

/** Base64 without padding (what gRPC emits for -bin values). */
export function encodeBinaryValue(value: Uint8Array): string {
  return Buffer.from(value.buffer, value.byteOffset, value.byteLength).toString('base64').replace(/=+$/, '');
}

/** Base64, padded or not (node's decoder takes both). */
export function decodeBinaryValue(value: string): Uint8Array {
  return new Uint8Array(Buffer.from(value.trim(), 'base64'));
}

export class Metadata {
  private readonly map = new Map<string, MetadataValue[]>();

  constructor(init?: Record<string, MetadataValue | MetadataValue[]>) {
    if (init) for (const [k, v] of Object.entries(init)) for (const x of Array.isArray(v) ? v : [v]) this.add(k, x);
  }

  /** Replace every value of `key` with `value`. */
  set(key: string, value: MetadataValue): this {
    key = key.toLowerCase();
    this.check(key, value);
    this.map.set(key, [value]);
    return this;
  }

  /** Add one more value to `key`. */
  add(key: string, value: MetadataValue): this {
    key = key.toLowerCase();
    this.check(key, value);
    const list = this.map.get(key);
    if (list) list.push(value);
    else this.map.set(key, [value]);
    return this;
  }

  /** All values of `key` (strings, or bytes for -bin keys). */
  get(key: string): MetadataValue[] {
    return this.map.get(key.toLowerCase()) ?? [];
  }

  /** The first value of `key`, or undefined. */
  first(key: string): MetadataValue | undefined {
    return this.map.get(key.toLowerCase())?.[0];
  }

  has(key: string): boolean {
    return this.map.has(key.toLowerCase());
  }

  delete(key: string): boolean {
    return this.map.delete(key.toLowerCase());
  }

  get size(): number {
    return this.map.size;
  }

  keys(): IterableIterator<string> {
    return this.map.keys();
  }

  entries(): IterableIterator<[string, MetadataValue[]]> {
    return this.map.entries();
  }

  clone(): Metadata {
    const m = new Metadata();
    for (const [k, v] of this.map) m.map.set(k, [...v]);
    return m;
  }

  /** Copy every pair of `other` into this one. */
  merge(other: Metadata): this {
    for (const [k, vs] of other.map) for (const v of vs) this.add(k, v);
    return this;
  }

  /** A plain object for display and tests: -bin values as hex. */
  toJSON(): Record<string, string[]> {
    const out: Record<string, string[]> = {};
    for (const [k, vs] of this.map) out[k] = vs.map((v) => (typeof v === 'string' ? v : Buffer.from(v).toString('hex')));
    return out;
  }

  /** Write these pairs into an HTTP/2 header object (binary values base64, unpadded). */
  writeHeaders(headers: Record<string, string | string[]>): void {
    for (const [k, vs] of this.map) {
      const encoded = vs.map((v) => (typeof v === 'string' ? v : encodeBinaryValue(v)));
      headers[k] = encoded.length === 1 ? encoded[0] : encoded;
    }
  }

  private check(key: string, value: MetadataValue): void {
    if (!validKey(key)) throw new GrpcError(Status.INTERNAL, `metadata key ${JSON.stringify(key)} is not 0-9 a-z _ - .`);
    if (isReservedHeader(key)) throw new GrpcError(Status.INTERNAL, `metadata key ${JSON.stringify(key)} is reserved for the gRPC transport`);
    if (isBinaryKey(key)) {
      if (typeof value === 'string') throw new GrpcError(Status.INTERNAL, `metadata key ${JSON.stringify(key)} ends in -bin and takes bytes`);
    } else if (typeof value !== 'string' || !validAsciiValue(value)) {
      throw new GrpcError(Status.INTERNAL, `metadata value of ${JSON.stringify(key)} must be printable ASCII`);
    }
  }

  /**
   * Metadata from received HTTP/2 headers or trailers: reserved headers are
   * left out, -bin values are base64-decoded (each comma-separated part on
   * its own), and keys or values that are not valid gRPC metadata are
   * dropped rather than failing the call (PROTOCOL-HTTP2 §Requests).
   */
  static fromHeaders(headers: Record<string, string | string[] | number | undefined>): Metadata {
    const md = new Metadata();
    for (const key of Object.keys(headers)) {
      if (isReservedHeader(key) || !validKey(key)) continue;
      const raw = headers[key];
      if (raw === undefined) continue;
      const values = Array.isArray(raw) ? raw : [String(raw)];
      const list: MetadataValue[] = [];
      if (isBinaryKey(key)) {
        for (const v of values) for (const part of v.split(',')) list.push(decodeBinaryValue(part));
      } else {
        for (const v of values) {
          const t = v.trim();
          if (validAsciiValue(t)) list.push(t);
        }
      }
      if (list.length) md.map.set(key, list);
    }
    return md;
  }
}

/** gRPC PROTOCOL-HTTP2 §Requests: Content-Type → "application/grpc" [("+proto" / "+json" / {custom})]. */
export function isGrpcContentType(ct: string | undefined): boolean {
  if (ct === undefined || !ct.startsWith('application/grpc')) return false;
  const next = ct.charCodeAt(16);
  return ct.length === 16 || next === 0x2b /* + */ || next === 0x3b /* ; */;
}
