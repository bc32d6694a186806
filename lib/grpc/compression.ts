/**
 * Message compression: grpc-encoding, grpc-accept-encoding and the
 * Compressed-Flag of each length-prefixed message.
 *
 * gRPC PROTOCOL-HTTP2 §Requests:
 *   Message-Encoding        → "grpc-encoding" Content-Coding
 *   Message-Accept-Encoding → "grpc-accept-encoding" Content-Coding *("," Content-Coding)
 *   Content-Coding → "identity" / "gzip" / "deflate" / "snappy" / {custom}
 * Compression contexts are NOT kept across messages: each message is
 * compressed on its own, and a message may be sent uncompressed (flag 0)
 * even when the call declares an encoding.
 *
 * gRPC compression.md: a server that receives an encoding it does not
 * support answers UNIMPLEMENTED and lists what it supports in
 * grpc-accept-encoding.
 *
 * Inflation is bounded while it runs: zlib stops as soon as the output
 * passes the receive limit, so a small "zip bomb" never allocates more than
 * the limit (grpc-js CVE-2024-37168).
 */
import * as zlib from 'node:zlib';
import { promisify } from 'node:util';
import { GrpcError } from './errors.js';
import { Status } from './status.js';
import { formatBytes } from '../trace/index.js';

export type Encoding = 'identity' | 'gzip' | 'deflate';

/** Encodings barewire implements, in the order we advertise them. */
export const SUPPORTED_ENCODINGS: readonly Encoding[] = ['identity', 'deflate', 'gzip'];

/** The grpc-accept-encoding value we send. */
export const ACCEPT_ENCODING = SUPPORTED_ENCODINGS.join(',');

export function isSupportedEncoding(name: string): name is Encoding {
  return name === 'identity' || name === 'gzip' || name === 'deflate';
}

/** The codings listed in a grpc-accept-encoding value (lowercased, trimmed). */
export function parseAcceptEncoding(value: string | undefined): string[] {
  if (!value) return [];
  return value
    .split(',')
    .map((s) => s.trim().toLowerCase())
    .filter((s) => s.length > 0);
}

const gzipAsync = promisify(zlib.gzip);
const deflateAsync = promisify(zlib.deflate);
type Inflate = (buf: Uint8Array, opts: zlib.ZlibOptions, cb: (err: Error | null, out: Buffer) => void) => void;

/** Compress one message with `encoding` ('identity' returns it unchanged). */
export async function compressMessage(encoding: Encoding, data: Uint8Array): Promise<Uint8Array> {
  switch (encoding) {
    case 'gzip':
      return gzipAsync(data);
    case 'deflate':
      return deflateAsync(data);
    default:
      return data;
  }
}

/**
 * Decompress one message, failing with RESOURCE_EXHAUSTED as soon as the
 * output would pass `maxSize` bytes (exactly `maxSize` is accepted), and
 * with INTERNAL when the bytes are not valid for the encoding.
 */
export function decompressMessage(encoding: string, data: Uint8Array, maxSize: number): Promise<Uint8Array> {
  let inflate: Inflate;
  if (encoding === 'gzip') inflate = zlib.gunzip as unknown as Inflate;
  else if (encoding === 'deflate') inflate = zlib.inflate as unknown as Inflate;
  else {
    return Promise.reject(
      new GrpcError(Status.INTERNAL, `received a compressed message but the call's grpc-encoding is ${JSON.stringify(encoding)}`),
    );
  }
  const limit = Math.max(1, Math.min(maxSize, 0x7fff_ffff));
  return new Promise((resolve, reject) => {
    inflate(data, { maxOutputLength: limit }, (err, out) => {
      if (err) {
        if ((err as NodeJS.ErrnoException).code === 'ERR_BUFFER_TOO_LARGE') {
          reject(
            new GrpcError(
              Status.RESOURCE_EXHAUSTED,
              `compressed message of ${formatBytes(data.byteLength)} inflates past the ${formatBytes(maxSize)} receive limit`,
            ),
          );
        } else {
          reject(new GrpcError(Status.INTERNAL, `could not decompress a ${encoding} message: ${err.message}`));
        }
        return;
      }
      if (out.byteLength > maxSize) {
        reject(new GrpcError(Status.RESOURCE_EXHAUSTED, `decompressed message of ${formatBytes(out.byteLength)} is over the ${formatBytes(maxSize)} receive limit`));
        return;
      }
      resolve(out);
    });
  });
}
