/**
 * permessage-deflate (RFC 7692): negotiating its four parameters, and the
 * codec on node:zlib.
 *
 * Negotiation (§7.1). The client offers, the server accepts one offer (its
 * response names the parameters in force) or declines all of them:
 *
 *   server_no_context_takeover        the server resets its compressor after each message
 *   client_no_context_takeover        the client resets its compressor after each message
 *   server_max_window_bits=8..15      the server's LZ77 window at most 2^N bytes
 *   client_max_window_bits[=8..15]    the client's window; without a value in an
 *                                     offer it only says "you may limit mine"
 *
 * Codec (§7.2). A message is compressed with DEFLATE, flushed with
 * Z_SYNC_FLUSH, and the final 4 bytes 00 00 ff ff are removed; the receiver
 * appends them back before inflating. With context takeover the LZ77 window
 * carries over from message to message.
 *
 * Inflation stops as soon as the output passes maxPayload (1009), so a
 * small "decompression bomb" never turns into gigabytes of memory. Text is
 * checked as UTF-8 on each inflated chunk (1007 as soon as it is invalid).
 * The deflate window is never set below 9 bits (zlib's raw deflate cannot
 * honour 8); when the peer limits our window to 8 bits we simply send
 * uncompressed messages, which §6 always allows.
 */
import zlib from 'node:zlib';
import type { Utf8Validator } from '../bytes/index.js';
import { WebSocketError } from './errors.js';
import { formatBytes } from '../trace/index.js';
import { formatExtension, type ExtensionOffer } from './handshake.js';

export const EXTENSION_NAME = 'permessage-deflate';

/** RFC 7692 §7.2.1: the bytes a sync flush ends with, removed on the wire. */
const TRAILER = Buffer.from([0x00, 0x00, 0xff, 0xff]);

/**
 * Size of the inflater's output buffers. Each full buffer is one trip to the
 * thread pool and back, so a 1 MiB message takes 4 trips instead of 16 at
 * 64 KiB (measured: about 0.5 ms less CPU per inflated MiB; ws's 16 KiB takes
 * 64). Node hands out slices of one buffer across messages, so small
 * results are copied out (SMALL_COPY) rather than keep 256 KiB alive.
 */
const INFLATE_CHUNK = 256 * 1024;
const SMALL_COPY = 16 * 1024;

export interface PerMessageDeflateOptions {
  /** Server: always answer server_no_context_takeover. Client: offer it. */
  serverNoContextTakeover?: boolean;
  /** Server: always answer client_no_context_takeover. Client: offer it. */
  clientNoContextTakeover?: boolean;
  /** Server: the largest server window used (and answered when < 15). Client: offer it. */
  serverMaxWindowBits?: number;
  /** Server: answer client_max_window_bits=N when the client allows it. Client: offer a value (default: no value). */
  clientMaxWindowBits?: number;
  /** Messages smaller than this many bytes are sent uncompressed. Default 1024. */
  threshold?: number;
  /** zlib compression level (default zlib's, 6 … Z_DEFAULT_COMPRESSION). */
  level?: number;
  /** zlib memLevel (1-9, default 8): memory of each compressor, 2^(memLevel+9) bytes. */
  memLevel?: number;
}

/** The parameters in force on a connection once negotiated. */
export interface DeflateParams {
  serverNoContextTakeover: boolean;
  clientNoContextTakeover: boolean;
  serverMaxWindowBits: number;
  clientMaxWindowBits: number;
}

/** Parse "8".."15" (RFC 7692 §7.1.2.1: 1*DIGIT, a decimal integer 8-15). */
function windowBits(value: string | true): number | null {
  if (value === true) return null;
  if (!/^[0-9]{1,2}$/.test(value)) return null;
  const n = Number(value);
  return n >= 8 && n <= 15 ? n : null;
}

interface ParsedParams {
  serverNoContextTakeover: boolean;
  clientNoContextTakeover: boolean;
  serverMaxWindowBits?: number;
  /** true: present without a value. */
  clientMaxWindowBits?: number | true;
}

/** RFC 7692 §7.1: each known parameter at most once, with a valid value; anything else invalid. */
function parseParams(params: [string, string | true][]): ParsedParams | string {
  const out: ParsedParams = { serverNoContextTakeover: false, clientNoContextTakeover: false };
  const seen = new Set<string>();
  for (const [name, value] of params) {
    if (seen.has(name)) return `duplicate parameter ${name}`;
    seen.add(name);
    switch (name) {
      case 'server_no_context_takeover':
        if (value !== true) return `${name} takes no value`;
        out.serverNoContextTakeover = true;
        break;
      case 'client_no_context_takeover':
        if (value !== true) return `${name} takes no value`;
        out.clientNoContextTakeover = true;
        break;
      case 'server_max_window_bits': {
        const bits = windowBits(value);
        if (bits === null) return `invalid ${name} ${JSON.stringify(value)}`;
        out.serverMaxWindowBits = bits;
        break;
      }
      case 'client_max_window_bits': {
        if (value === true) out.clientMaxWindowBits = true;
        else {
          const bits = windowBits(value);
          if (bits === null) return `invalid ${name} ${JSON.stringify(value)}`;
          out.clientMaxWindowBits = bits;
        }
        break;
      }
      default:
        return `unknown parameter ${name}`;
    }
  }
  return out;
}

/** The client's offer (shared/INTEROP.md: `permessage-deflate; client_max_window_bits`). */
export function clientOffer(opts: PerMessageDeflateOptions = {}): string {
  const params: [string, string | number | true][] = [];
  if (opts.serverNoContextTakeover) params.push(['server_no_context_takeover', true]);
  if (opts.clientNoContextTakeover) params.push(['client_no_context_takeover', true]);
  if (opts.serverMaxWindowBits !== undefined) params.push(['server_max_window_bits', opts.serverMaxWindowBits]);
  params.push(['client_max_window_bits', opts.clientMaxWindowBits ?? true]);
  return formatExtension(EXTENSION_NAME, params);
}

/**
 * Server side (RFC 7692 §5, §7.1): accept the first acceptable
 * permessage-deflate offer. Returns the response header value and the
 * parameters in force, or null when every offer is declined (the connection
 * then opens without compression).
 */
export function acceptOffer(offers: ExtensionOffer[], opts: PerMessageDeflateOptions = {}): { header: string; params: DeflateParams } | null {
  for (const offer of offers) {
    if (offer.name !== EXTENSION_NAME) continue;
    const p = parseParams(offer.params);
    if (typeof p === 'string') continue; // §5: decline an offer we cannot accept, try the next
    const params: DeflateParams = {
      serverNoContextTakeover: p.serverNoContextTakeover || !!opts.serverNoContextTakeover,
      clientNoContextTakeover: p.clientNoContextTakeover || !!opts.clientNoContextTakeover,
      serverMaxWindowBits: Math.min(p.serverMaxWindowBits ?? 15, opts.serverMaxWindowBits ?? 15),
      clientMaxWindowBits: 15,
    };
    const response: [string, string | number | true][] = [];
    if (params.serverNoContextTakeover) response.push(['server_no_context_takeover', true]);
    if (params.clientNoContextTakeover) response.push(['client_no_context_takeover', true]);
    // §7.1.2.1: an offer with server_max_window_bits is accepted by answering it with a value <= it.
    if (p.serverMaxWindowBits !== undefined || params.serverMaxWindowBits < 15) response.push(['server_max_window_bits', params.serverMaxWindowBits]);
    // §7.1.2.2: client_max_window_bits may be answered only if it was offered.
    if (p.clientMaxWindowBits !== undefined) {
      const offered = p.clientMaxWindowBits === true ? 15 : p.clientMaxWindowBits;
      const bits = Math.min(offered, opts.clientMaxWindowBits ?? 15);
      params.clientMaxWindowBits = bits;
      if (opts.clientMaxWindowBits !== undefined || p.clientMaxWindowBits !== true) response.push(['client_max_window_bits', bits]);
    }
    return { header: formatExtension(EXTENSION_NAME, response), params };
  }
  return null;
}

/**
 * Client side (RFC 7692 §7.1): check the server's answer to our offer.
 * Returns the parameters in force, or the reason to fail the connection.
 */
export function checkAcceptance(ext: ExtensionOffer, opts: PerMessageDeflateOptions = {}): DeflateParams | string {
  const p = parseParams(ext.params);
  if (typeof p === 'string') return `permessage-deflate response: ${p}`;
  if (opts.serverNoContextTakeover && !p.serverNoContextTakeover) return 'permessage-deflate response: server_no_context_takeover was requested but not accepted';
  if (opts.serverMaxWindowBits !== undefined && (p.serverMaxWindowBits === undefined || p.serverMaxWindowBits > opts.serverMaxWindowBits)) {
    return 'permessage-deflate response: server_max_window_bits missing or above the offer';
  }
  if (p.clientMaxWindowBits === true) return 'permessage-deflate response: client_max_window_bits needs a value';
  if (p.clientMaxWindowBits !== undefined && opts.clientMaxWindowBits !== undefined && p.clientMaxWindowBits > opts.clientMaxWindowBits) {
    return 'permessage-deflate response: client_max_window_bits above the offer';
  }
  return {
    serverNoContextTakeover: p.serverNoContextTakeover,
    clientNoContextTakeover: p.clientNoContextTakeover || !!opts.clientNoContextTakeover,
    serverMaxWindowBits: p.serverMaxWindowBits ?? 15,
    clientMaxWindowBits: p.clientMaxWindowBits ?? opts.clientMaxWindowBits ?? 15,
  };
}

type Done = (error: WebSocketError | null, data?: Buffer) => void;

/**
 * One connection's compressor and decompressor. Each is created on first
 * use (an idle connection holds no zlib memory) and used for one message at
 * a time: the caller waits for the callback before the next call, which is
 * what keeps messages in order. Each stream's listeners are attached once;
 * the message in progress lives in fields.
 */
export class DeflateCodec {
  private deflater: zlib.DeflateRaw | null = null;
  private inflater: zlib.InflateRaw | null = null;
  private readonly ownWindow: number;
  private readonly resetOwn: boolean;
  readonly threshold: number;
  /** False when the peer limited our window to 8 bits: we send uncompressed. */
  readonly canCompress: boolean;
  private closed = false;

  // The message being compressed.
  private outChunks: Buffer[] = [];
  private outLength = 0;
  // The message being inflated.
  private inChunks: Buffer[] = [];
  private inLength = 0;
  private inUtf8: Utf8Validator | null = null;
  private inDone: Done | null = null;

  constructor(
    readonly params: DeflateParams,
    role: 'server' | 'client',
    private readonly maxPayload: number,
    private readonly opts: PerMessageDeflateOptions = {},
  ) {
    this.ownWindow = role === 'server' ? params.serverMaxWindowBits : params.clientMaxWindowBits;
    this.resetOwn = role === 'server' ? params.serverNoContextTakeover : params.clientNoContextTakeover;
    this.threshold = opts.threshold ?? 1024;
    this.canCompress = this.ownWindow >= 9;
  }

  /** Should a message of `length` bytes be compressed? */
  wants(length: number): boolean {
    return this.canCompress && length >= this.threshold;
  }

  /** RFC 7692 §7.2.1: compress one whole message. */
  compress(data: Uint8Array, done: Done): void {
    if (this.closed) return done(new WebSocketError('WS_ERR_INVALID_STATE', 'compressor closed'));
    let d = this.deflater;
    if (d === null) {
      d = this.deflater = zlib.createDeflateRaw({
        windowBits: this.ownWindow,
        level: this.opts.level ?? zlib.constants.Z_DEFAULT_COMPRESSION,
        memLevel: this.opts.memLevel ?? 8,
        // Every write ends with a sync flush: one write per message, one trip to the thread pool.
        flush: zlib.constants.Z_SYNC_FLUSH,
      });
      d.on('data', (c: Buffer) => {
        this.outChunks.push(c);
        this.outLength += c.length;
      });
    }
    d.write(data, () => {
      const chunks = this.outChunks;
      const length = this.outLength;
      this.outChunks = [];
      this.outLength = 0;
      if (this.closed) return done(new WebSocketError('WS_ERR_INVALID_STATE', 'compressor closed'));
      let out = chunks.length === 1 ? chunks[0] : Buffer.concat(chunks, length);
      // §7.2.1: remove the 4 octets 00 00 ff ff at the tail end.
      if (out.length >= 4 && out[out.length - 4] === 0 && out[out.length - 3] === 0 && out[out.length - 2] === 0xff && out[out.length - 1] === 0xff) {
        out = out.subarray(0, out.length - 4);
      }
      // §7.1.1.1 / §7.1.1.2: no context takeover: start each message with an empty window.
      if (this.resetOwn) d.reset();
      done(null, out);
    });
  }

  /**
   * RFC 7692 §7.2.2: inflate one whole message (the trailer appended). Fails
   * with 1009 the moment the output passes maxPayload, with 1007 on corrupt
   * data or (when `utf8` is given) text that is not UTF-8.
   */
  decompress(data: Uint8Array, utf8: Utf8Validator | null, done: Done): void {
    if (this.closed) return done(new WebSocketError('WS_ERR_INVALID_STATE', 'decompressor closed'));
    let inf = this.inflater;
    if (inf === null) {
      inf = this.inflater = zlib.createInflateRaw({ windowBits: 15, flush: zlib.constants.Z_SYNC_FLUSH, chunkSize: INFLATE_CHUNK });
      const stream = inf;
      stream.on('data', (c: Buffer) => this.inflated(stream, c));
      stream.on('error', (err: Error) => this.finishInflate(stream, new WebSocketError('WS_ERR_INFLATE', `invalid compressed data: ${err.message}`, 1007, 0, { cause: err })));
    }
    this.inDone = done;
    this.inUtf8 = utf8;
    const stream = inf;
    // The trailer goes in the same write for small messages (one trip to the thread pool).
    const afterWrite = () => {
      if (this.inDone === null || this.inflater !== stream) return;
      if (this.inUtf8 !== null && !this.inUtf8.end()) {
        return this.finishInflate(stream, new WebSocketError('WS_ERR_INVALID_UTF8', 'text message is not valid UTF-8', 1007));
      }
      this.finishInflate(stream, null);
    };
    if (data.length <= 65536) {
      const input = Buffer.allocUnsafe(data.length + 4);
      input.set(data, 0);
      input.set(TRAILER, data.length);
      stream.write(input, afterWrite);
    } else {
      stream.write(data);
      stream.write(TRAILER, afterWrite);
    }
  }

  private inflated(stream: zlib.InflateRaw, c: Buffer): void {
    if (this.inDone === null || this.inflater !== stream) return;
    this.inLength += c.length;
    if (this.maxPayload > 0 && this.inLength > this.maxPayload) {
      return this.finishInflate(stream, new WebSocketError('WS_ERR_MESSAGE_TOO_BIG', `inflated message over the ${formatBytes(this.maxPayload)} limit`, 1009));
    }
    if (this.inUtf8 !== null && !this.inUtf8.push(c)) {
      return this.finishInflate(stream, new WebSocketError('WS_ERR_INVALID_UTF8', 'text message is not valid UTF-8', 1007));
    }
    this.inChunks.push(c);
  }

  private finishInflate(stream: zlib.InflateRaw, error: WebSocketError | null): void {
    const done = this.inDone;
    if (done === null || this.inflater !== stream) return;
    const chunks = this.inChunks;
    const length = this.inLength;
    this.inDone = null;
    this.inUtf8 = null;
    this.inChunks = [];
    this.inLength = 0;
    if (error) {
      // The stream is left in an unknown state (or mid-bomb): throw it away.
      this.inflater = null;
      stream.close();
      return done(error);
    }
    if (chunks.length !== 1) return done(null, Buffer.concat(chunks, length));
    // One slice of the shared output buffer: copy it when small (see INFLATE_CHUNK).
    done(null, length < SMALL_COPY ? Buffer.from(chunks[0]) : chunks[0]);
  }

  /** Free zlib memory (the connection is over). */
  close(): void {
    this.closed = true;
    this.deflater?.close();
    this.inflater?.close();
    this.deflater = null;
    this.inflater = null;
  }
}
