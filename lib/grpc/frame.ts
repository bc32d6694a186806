/**
 * Length-prefixed messages: how gRPC cuts a stream of DATA bytes into
 * messages. Sans-I/O: bytes in, messages out.
 *
 * gRPC PROTOCOL-HTTP2 §Requests:
 *   Length-Prefixed-Message → Compressed-Flag Message-Length Message
 *   Compressed-Flag → 0 / 1          ; 1 byte unsigned integer
 *   Message-Length  → {length}       ; 4 byte unsigned integer, big endian
 *   Message         → *{binary octet}
 *
 *    0        1                 5
 *   +--------+-----------------+---------------------------+
 *   | flag   | length (u32 BE) | message (length bytes)    |
 *   +--------+-----------------+---------------------------+
 *
 * gRPC PROTOCOL-HTTP2 §Data Frames: DATA frame boundaries have no relation
 * to message boundaries, so the deframer takes chunks of any size (one byte
 * at a time works) and keeps the unfinished remainder in a ChunkQueue.
 *
 * The receive limit is enforced from the prefix alone: a 5-byte prefix that
 * announces more than `maxMessageSize` is refused before a single byte of
 * the message is buffered (the attack grpc-js CVE-2024-37168 was about).
 */
import { ChunkQueue, readU32BE } from '../bytes/index.js';
import { formatBytes } from '../trace/index.js';

export const PREFIX_BYTES = 5;

/** Largest length the 4-byte prefix can express. */
export const MAX_FRAMEABLE = 0xffff_ffff;

/** Default receive limit, as in gRPC implementations: 4 MiB. */
export const DEFAULT_MAX_RECEIVE_MESSAGE_SIZE = 4 * 1024 * 1024;

/** Frame one message: flag byte, big-endian length, then the bytes (one copy). */
export function encodeMessage(message: Uint8Array, compressed = false): Buffer {
  const n = message.byteLength;
  const out = Buffer.allocUnsafe(PREFIX_BYTES + n);
  out[0] = compressed ? 1 : 0;
  out[1] = n >>> 24;
  out[2] = (n >>> 16) & 0xff;
  out[3] = (n >>> 8) & 0xff;
  out[4] = n & 0xff;
  out.set(message, PREFIX_BYTES);
  return out;
}

export interface ReceivedMessage {
  /** The Compressed-Flag: the bytes are in the call's grpc-encoding. */
  compressed: boolean;
  /** The message bytes, still compressed when `compressed` is set. */
  data: Uint8Array;
}

/** Why the message stream cannot go on; the call ends with `status`. */
export interface DeframeError {
  /** RESOURCE_EXHAUSTED (8) for an over-limit length, INTERNAL (13) for a malformed prefix. */
  status: 8 | 13;
  reason: string;
}

export interface DeframerOptions {
  /** Largest message accepted, in bytes (default 4 MiB). Exactly the limit is accepted. */
  maxMessageSize?: number;
}

/**
 * The incremental parser of length-prefixed messages. States:
 *
 *   PREFIX --5 bytes--> BODY --length bytes--> PREFIX ...
 *      \--flag not 0/1 or length > limit--> FAILED (sticky)
 */
export class MessageDeframer {
  readonly maxMessageSize: number;
  private readonly queue = new ChunkQueue();
  private state: 'PREFIX' | 'BODY' | 'FAILED' = 'PREFIX';
  private compressed = false;
  private length = 0;
  /** The error, once failed: every later push returns it again. */
  error: DeframeError | undefined;

  constructor(options: DeframerOptions = {}) {
    this.maxMessageSize = options.maxMessageSize ?? DEFAULT_MAX_RECEIVE_MESSAGE_SIZE;
  }

  /** Whether part of a message (prefix or body) has been received and not finished. */
  get midMessage(): boolean {
    return this.state === 'BODY' || this.queue.length > 0;
  }

  /** Bytes buffered and not yet delivered. */
  get buffered(): number {
    return this.queue.length;
  }

  /**
   * Feed received bytes; returns the messages they complete (possibly none),
   * or the error that ends the stream. `out` collects messages.
   */
  push(chunk: Uint8Array, out: ReceivedMessage[]): DeframeError | undefined {
    if (this.state === 'FAILED') return this.error;
    this.queue.push(chunk);
    const q = this.queue;
    for (;;) {
      if (this.state === 'PREFIX') {
        if (q.length < PREFIX_BYTES) return undefined;
        const prefix = q.read(PREFIX_BYTES);
        const flag = prefix[0];
        const length = readU32BE(prefix, 1);
        if (flag > 1) {
          return this.fail(13, `message prefix has compressed flag ${flag}, which is neither 0 nor 1 (the stream is not gRPC framing)`);
        }
        if (length > this.maxMessageSize) {
          return this.fail(8, `received message of ${formatBytes(length)} (${length} bytes) is over the ${formatBytes(this.maxMessageSize)} receive limit`);
        }
        this.compressed = flag === 1;
        this.length = length;
        this.state = 'BODY';
      }
      if (q.length < this.length) return undefined;
      out.push({ compressed: this.compressed, data: q.read(this.length) });
      this.state = 'PREFIX';
    }
  }

  private fail(status: 8 | 13, reason: string): DeframeError {
    this.state = 'FAILED';
    this.queue.clear();
    this.error = { status, reason };
    return this.error;
  }
}
