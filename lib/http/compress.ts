/**
 * Response compression (RFC 9110 §8.4 Content-Encoding, §12.5.3
 * Accept-Encoding) with node:zlib: br or gzip when the client accepts it and
 * the body is big enough to be worth it. Small bodies go as they are: the
 * framing of a compressed stream costs more than it saves below ~1 KiB.
 *
 * A compressed response is a different representation, so its strong ETag
 * differs from the uncompressed one (RFC 9110 §8.8.3): we add a suffix.
 */
import { brotliCompress, constants, gzip } from 'node:zlib';
import { negotiateEncoding } from './media.js';

export interface CompressionOptions {
  /** Bodies smaller than this many bytes are sent uncompressed (default 1024). */
  threshold?: number;
  /** Codings offered, in server preference order (default ['br', 'gzip']). */
  encodings?: readonly ('br' | 'gzip')[];
  /** Brotli quality 0-11 (default 4: fast, still much better than gzip for JSON). */
  brotliQuality?: number;
}

export const DEFAULT_COMPRESSION_THRESHOLD = 1024;

/** Which coding to use for a body of `size` bytes, or undefined for none. */
export function chooseEncoding(acceptEncoding: string | undefined, size: number, opts: CompressionOptions = {}): 'br' | 'gzip' | undefined {
  if (acceptEncoding === undefined || size < (opts.threshold ?? DEFAULT_COMPRESSION_THRESHOLD)) return undefined;
  const coding = negotiateEncoding(acceptEncoding, opts.encodings ?? ['br', 'gzip']);
  return coding === 'br' || coding === 'gzip' ? coding : undefined;
}

/** The ETag of the encoded representation: `"abc"` -> `"abc-br"`. */
export function encodedETag(etag: string, coding: string): string {
  return etag.slice(0, -1) + '-' + coding + '"';
}

export function compress(body: Buffer, coding: 'br' | 'gzip', opts: CompressionOptions = {}): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const done = (err: Error | null, out: Buffer) => (err ? reject(err) : resolve(out));
    if (coding === 'gzip') gzip(body, done);
    else
      brotliCompress(
        body,
        {
          params: {
            [constants.BROTLI_PARAM_QUALITY]: opts.brotliQuality ?? 4,
            [constants.BROTLI_PARAM_SIZE_HINT]: body.length,
            [constants.BROTLI_PARAM_MODE]: constants.BROTLI_MODE_TEXT,
          },
        },
        done,
      );
  });
}
