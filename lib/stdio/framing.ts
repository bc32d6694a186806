/**
 * Framing: how one JSON text is cut out of a byte stream, and how it is put
 * back in. A pipe has no message boundaries; the two peers agree on one of
 * two conventions.
 *
 * NDJSON (the Model Context Protocol's stdio transport): one JSON text per
 * line, ended by `\n`. A message never contains a raw newline — JSON escapes
 * newlines inside strings as `\n`, and whitespace between tokens is not
 * needed — so the first `\n` always ends the message.
 *
 *   {"jsonrpc":"2.0","method":"sum","params":[1,2],"id":1}\n
 *
 * Content-Length (the Language Server Protocol's base protocol): a header
 * part of `Name: value\r\n` fields, an empty line, then exactly
 * Content-Length bytes of content. The length counts UTF-8 bytes, not
 * characters and not UTF-16 code units ("é" is 2, "😀" is 4).
 *
 *   Content-Length: 52\r\n
 *   \r\n
 *   {"jsonrpc":"2.0","method":"sum","params":[1,2],"id":1}
 *
 * Both decoders here are pure and incremental: feed them chunks cut anywhere
 * (a byte at a time works), and they call `onMessage` with each complete
 * text and `onDiagnostic` with anything that is not one. They own no
 * streams and no timers.
 *
 * What they do with bad input:
 * - a line that is not part of the protocol (a server's banner or log line
 *   on stdout: MCP inspector#343, python-sdk#409) is a diagnostic, and the
 *   stream goes on;
 * - invalid UTF-8 in a message: a diagnostic, the message is dropped;
 * - a message over `maxMessageBytes`: NDJSON reports it and skips to the
 *   next newline (the framing resynchronises by itself); Content-Length
 *   cannot trust the rest of the stream, so it reports a fatal diagnostic
 *   and stops (the connection should close);
 * - a header part that is malformed or never ends: fatal, as above.
 */
import { isUtf8 } from 'node:buffer';
import { ChunkQueue } from '../bytes/index.js';
import { formatBytes } from '../trace/index.js';

export type Framing = 'ndjson' | 'content-length';

/** Default largest message: 64 MiB of content (the header part is not counted). */
export const DEFAULT_MAX_MESSAGE_BYTES = 64 * 1024 * 1024;
/** Largest header part of the Content-Length framing (all fields and line ends). */
export const MAX_HEADER_BYTES = 8 * 1024;

export type FrameDiagnosticCode =
  /** A line that is not part of the protocol (banner, log line); skipped. */
  | 'NON_PROTOCOL_LINE'
  /** A message that is not valid UTF-8; dropped. */
  | 'INVALID_UTF8'
  /** A message over the size limit; skipped (NDJSON) or fatal (Content-Length). */
  | 'MESSAGE_TOO_LARGE'
  /** Content-Type with a charset other than utf-8; the message is dropped. */
  | 'UNSUPPORTED_CHARSET'
  /** A malformed header part (Content-Length framing); fatal. */
  | 'BAD_HEADER'
  /** The input ended inside a message. */
  | 'TRUNCATED';

export interface FrameDiagnostic {
  code: FrameDiagnosticCode;
  /** One line for a person. */
  message: string;
  /** True when the decoder stopped: the stream cannot be resynchronised. */
  fatal: boolean;
  /** Bytes the skipped unit took, when known. */
  size?: number;
  /** The start of the offending bytes, for the diagnostic (latin1, at most 64 chars). */
  preview?: string;
}

export interface DecoderOptions {
  /** Largest message content in bytes (default 64 MiB; exactly the limit is accepted). */
  maxMessageBytes?: number;
  /** A complete message: its text and the bytes it took on the wire (framing included). */
  onMessage(text: string, size: number): void;
  onDiagnostic(d: FrameDiagnostic): void;
}

export interface FrameDecoder {
  readonly framing: Framing;
  /** Feed the next chunk of input. */
  push(chunk: Uint8Array): void;
  /** The input ended: a last NDJSON line without `\n` is still a message. */
  end(): void;
  /** True after a fatal diagnostic: the decoder ignores further input. */
  readonly stopped: boolean;
}

export function createDecoder(framing: Framing, options: DecoderOptions): FrameDecoder {
  return framing === 'ndjson' ? new NdjsonDecoder(options) : new ContentLengthDecoder(options);
}

/** One framed message, ready to write. */
export function encodeMessage(framing: Framing, text: string): string {
  return framing === 'ndjson' ? encodeNdjson(text) : encodeContentLength(text);
}

/** NDJSON: the text and `\n`. A raw newline inside would split the message in two, so it is refused. */
export function encodeNdjson(text: string): string {
  if (text.indexOf('\n') !== -1) throw new RangeError('an NDJSON message must not contain a raw newline');
  return text + '\n';
}

/** LSP base protocol §Header Part: Content-Length in UTF-8 bytes, then the empty line, then the content. */
export function encodeContentLength(text: string): string {
  return `Content-Length: ${Buffer.byteLength(text, 'utf8')}\r\n\r\n${text}`;
}

const LF = 0x0a;
const CR = 0x0d;

function asBuffer(chunk: Uint8Array): Buffer {
  return Buffer.isBuffer(chunk) ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
}

function latin1Preview(bytes: Uint8Array, max = 64): string {
  const b = asBuffer(bytes);
  const text = b.toString('latin1', 0, Math.min(b.length, max)).replace(/[\x00-\x1f\x7f-\xff]/g, '.');
  return b.length > max ? text + '…' : text;
}

/** Whether bytes[start..end) is only spaces, tabs and CRs (a blank line). */
function isBlank(bytes: Uint8Array, start: number, end: number): boolean {
  for (let i = start; i < end; i++) {
    const b = bytes[i];
    if (b !== 0x20 && b !== 0x09 && b !== CR) return false;
  }
  return true;
}

/**
 * NDJSON decoder. States: reading a line, or skipping the rest of a line
 * that went over the limit. Lines that are blank are ignored; a trailing
 * `\r` is dropped (CRLF line ends are tolerated).
 */
class NdjsonDecoder implements FrameDecoder {
  readonly framing = 'ndjson' as const;
  readonly stopped = false;
  private readonly max: number;
  private readonly onMessage: DecoderOptions['onMessage'];
  private readonly onDiagnostic: DecoderOptions['onDiagnostic'];
  /** Pieces of a line that has not ended yet. */
  private pending: Buffer[] = [];
  private pendingBytes = 0;
  /** Skipping an over-long line up to its newline; counts the bytes skipped. */
  private skipping = false;
  private skipped = 0;

  constructor(options: DecoderOptions) {
    this.max = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
    this.onMessage = options.onMessage;
    this.onDiagnostic = options.onDiagnostic;
  }

  push(chunk: Uint8Array): void {
    const buf = asBuffer(chunk);
    let start = 0;
    if (this.skipping) {
      const nl = buf.indexOf(LF);
      if (nl === -1) {
        this.skipped += buf.length;
        return;
      }
      this.skipping = false;
      this.tooLarge(this.skipped + nl + 1);
      start = nl + 1;
    }
    if (this.pendingBytes > 0) {
      const nl = buf.indexOf(LF, start);
      if (nl === -1) {
        this.hold(buf, start);
        return;
      }
      if (this.pendingBytes + (nl - start) > this.max + 1) {
        // The line's end arrived, but it is over the limit: report and drop it.
        const size = this.pendingBytes + nl - start + 1;
        this.dropPending();
        this.tooLarge(size);
      } else {
        this.pending.push(buf.subarray(start, nl));
        const line = Buffer.concat(this.pending, this.pendingBytes + nl - start);
        this.dropPending();
        this.line(line, 0, line.length, line.length + 1);
      }
      start = nl + 1;
    }
    for (;;) {
      const nl = buf.indexOf(LF, start);
      if (nl === -1) break;
      if (nl - start > this.max + 1) this.tooLarge(nl - start + 1);
      else this.line(buf, start, nl, nl - start + 1);
      start = nl + 1;
    }
    if (start < buf.length) this.hold(buf, start);
  }

  end(): void {
    if (this.skipping) {
      this.skipping = false;
      this.tooLarge(this.skipped);
      return;
    }
    if (this.pendingBytes === 0) return;
    const line = Buffer.concat(this.pending, this.pendingBytes);
    this.dropPending();
    // A last message without a trailing newline is still a message.
    this.line(line, 0, line.length, line.length);
  }

  /** Keep buf[start..] as the start of a line; switch to skipping if it is already too long. */
  private hold(buf: Buffer, start: number): void {
    const n = buf.length - start;
    // +1: a CR before the LF is not content, so one byte over may still be fine.
    if (this.pendingBytes + n > this.max + 1) {
      this.skipping = true;
      this.skipped = this.pendingBytes + n;
      this.dropPending();
      return;
    }
    // Copy: the caller may reuse its chunk after push() returns.
    this.pending.push(Buffer.from(buf.subarray(start)));
    this.pendingBytes += n;
  }

  private dropPending(): void {
    this.pending = [];
    this.pendingBytes = 0;
  }

  private tooLarge(size: number): void {
    this.onDiagnostic({
      code: 'MESSAGE_TOO_LARGE',
      message: `message of ${formatBytes(size)} over the ${formatBytes(this.max)} limit; skipped to the next line`,
      fatal: false,
      size,
    });
  }

  /** One line without its `\n`: bytes[start..end). */
  private line(bytes: Buffer, start: number, end: number, size: number): void {
    if (end > start && bytes[end - 1] === CR) end--;
    const first = bytes[start];
    // Fast path: a JSON object or array. Otherwise check for a blank line.
    if (first !== 0x7b && first !== 0x5b && isBlank(bytes, start, end)) return;
    if (end - start > this.max) {
      this.tooLarge(size);
      return;
    }
    const view = bytes.subarray(start, end);
    if (!isUtf8(view)) {
      this.onDiagnostic({ code: 'INVALID_UTF8', message: 'a line that is not valid UTF-8; dropped', fatal: false, size, preview: latin1Preview(view) });
      return;
    }
    this.onMessage(bytes.toString('utf8', start, end), size);
  }
}

const enum ClState {
  /** Reading header lines up to the empty line. */
  Header,
  /** Waiting for `length` bytes of content. */
  Content,
  /** Skipping a non-protocol line that is too long to hold. */
  SkipLine,
  /** Stopped after a fatal error. */
  Stopped,
}

/** Header field names are tokens (RFC 9110 §5.6.2): letters, digits and a few marks. */
function isToken(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    const ok =
      (c >= 0x30 && c <= 0x39) ||
      (c >= 0x41 && c <= 0x5a) ||
      (c >= 0x61 && c <= 0x7a) ||
      c === 0x2d || c === 0x5f || c === 0x2e || c === 0x21 || c === 0x23 || c === 0x24 ||
      c === 0x25 || c === 0x26 || c === 0x27 || c === 0x2a || c === 0x2b || c === 0x5e ||
      c === 0x60 || c === 0x7c || c === 0x7e;
    if (!ok) return false;
  }
  return true;
}

function isDigits(s: string): boolean {
  if (s.length === 0 || s.length > 15) return false;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return false;
  }
  return true;
}

/** The charset parameter of a Content-Type value, lowercased, or undefined. */
export function charsetOf(contentType: string): string | undefined {
  for (const part of contentType.split(';').slice(1)) {
    const eq = part.indexOf('=');
    if (eq === -1) continue;
    if (part.slice(0, eq).trim().toLowerCase() !== 'charset') continue;
    let v = part.slice(eq + 1).trim();
    if (v.length >= 2 && v.startsWith('"') && v.endsWith('"')) v = v.slice(1, -1);
    return v.toLowerCase();
  }
  return undefined;
}

/**
 * LSP base protocol decoder. Header lines end with `\r\n` (a bare `\n` is
 * tolerated); field names are case-insensitive; Content-Length is required;
 * Content-Type is optional and only its charset matters (utf-8, or the old
 * spelling utf8); other fields are ignored. A header part starts with
 * Content-Length or Content-Type: lines before one of those (a banner,
 * "INFO: listening") are a child's stray output: reported, skipped.
 */
class ContentLengthDecoder implements FrameDecoder {
  readonly framing = 'content-length' as const;
  private readonly max: number;
  private readonly onMessage: DecoderOptions['onMessage'];
  private readonly onDiagnostic: DecoderOptions['onDiagnostic'];
  private readonly queue = new ChunkQueue();
  private state = ClState.Header;
  /** Where to resume the search for `\n` in the queue. */
  private scanned = 0;
  /** Header part so far: bytes, fields seen, their values. */
  private headerBytes = 0;
  private fields = 0;
  private length = -1;
  private charsetOk = true;
  private skippedLine = 0;

  constructor(options: DecoderOptions) {
    this.max = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
    this.onMessage = options.onMessage;
    this.onDiagnostic = options.onDiagnostic;
  }

  get stopped(): boolean {
    return this.state === ClState.Stopped;
  }

  push(chunk: Uint8Array): void {
    if (this.state === ClState.Stopped || chunk.length === 0) return;
    // Copy: the caller may reuse its chunk after push() returns.
    this.queue.push(Buffer.from(chunk));
    this.run();
  }

  end(): void {
    if (this.state === ClState.Stopped) return;
    if (this.state === ClState.Content) {
      this.fail('TRUNCATED', `input ended ${this.queue.length} bytes into a message of ${this.length} bytes`, false);
    } else if (this.state === ClState.SkipLine || this.queue.length > 0 || this.fields > 0) {
      const what = this.fields > 0 ? 'inside a header part (no empty line ended it)' : 'inside a line that is not a header';
      this.fail('TRUNCATED', `input ended ${what}`, false, this.queue.length > 0 ? latin1Preview(this.queue.peek(this.queue.length)) : undefined);
    }
    this.queue.clear();
    this.state = ClState.Stopped;
  }

  private run(): void {
    for (;;) {
      if (this.state === ClState.Content) {
        if (this.queue.length < this.length) return;
        this.content();
        continue;
      }
      if (this.state === ClState.Stopped) return;
      const nl = this.queue.indexOf(LF, this.scanned);
      if (nl === -1) {
        this.scanned = this.queue.length;
        this.overlongLine();
        return;
      }
      this.scanned = 0;
      const raw = this.queue.read(nl + 1);
      if (this.state === ClState.SkipLine) {
        this.state = ClState.Header;
        this.nonProtocol(this.skippedLine + raw.length, undefined);
        continue;
      }
      this.headerLine(raw);
    }
  }

  /** No `\n` in what is buffered: is it too long to be a header line? */
  private overlongLine(): void {
    if (this.state === ClState.SkipLine) {
      this.skippedLine += this.queue.length;
      this.queue.clear();
      this.scanned = 0;
      return;
    }
    if (this.headerBytes + this.queue.length <= MAX_HEADER_BYTES) return;
    if (this.fields > 0) {
      this.fail('BAD_HEADER', `header part over ${formatBytes(MAX_HEADER_BYTES)} without the empty line that ends it`, true);
      return;
    }
    // A long line of stray output before any header: skip it to its end.
    this.state = ClState.SkipLine;
    this.skippedLine = this.queue.length;
    this.queue.clear();
    this.scanned = 0;
  }

  private headerLine(raw: Uint8Array): void {
    this.headerBytes += raw.length;
    let end = raw.length - 1;
    if (end > 0 && raw[end - 1] === CR) end--;
    const line = asBuffer(raw).toString('latin1', 0, end);
    if (line.length === 0) {
      // The empty line: the header part is complete (or, before any field, a stray blank line).
      if (this.fields === 0) {
        this.headerBytes = 0;
        return;
      }
      this.endOfHeader();
      return;
    }
    if (this.headerBytes > MAX_HEADER_BYTES && this.fields > 0) {
      this.fail('BAD_HEADER', `header part over ${formatBytes(MAX_HEADER_BYTES)}`, true);
      return;
    }
    const colon = line.indexOf(':');
    const name = colon > 0 ? line.slice(0, colon) : '';
    const lower = name.toLowerCase();
    // A header part starts with one of the two fields LSP defines; before that,
    // any other line ("INFO: starting", a banner) is a child's stray output.
    const starts = this.fields > 0 || lower === 'content-length' || lower === 'content-type';
    if (!starts || !isToken(name)) {
      if (this.fields === 0) {
        this.headerBytes = 0;
        this.nonProtocol(raw.length, latin1Preview(raw.subarray(0, end)));
        return;
      }
      this.fail('BAD_HEADER', `expected a header field or the empty line that ends the header part, got ${JSON.stringify(latin1Preview(raw.subarray(0, end), 40))}`, true);
      return;
    }
    this.fields++;
    const value = line.slice(colon + 1).trim();
    if (lower === 'content-length') {
      if (!isDigits(value)) {
        this.fail('BAD_HEADER', `Content-Length is not a number of bytes: ${JSON.stringify(value.slice(0, 40))}`, true);
        return;
      }
      const n = Number(value);
      if (this.length !== -1 && this.length !== n) {
        this.fail('BAD_HEADER', `two different Content-Length values: ${this.length} and ${n}`, true);
        return;
      }
      this.length = n;
    } else if (lower === 'content-type') {
      const charset = charsetOf(value);
      // LSP base protocol: utf-8 is the only encoding; "utf8" is accepted for old clients.
      this.charsetOk = charset === undefined || charset === 'utf-8' || charset === 'utf8';
    }
    // Other fields are ignored.
  }

  private endOfHeader(): void {
    if (this.length === -1) {
      this.fail('BAD_HEADER', 'header part without a Content-Length field', true);
      return;
    }
    if (this.length > this.max) {
      this.fail('MESSAGE_TOO_LARGE', `message of ${formatBytes(this.length)} over the ${formatBytes(this.max)} limit`, true, undefined, this.length);
      return;
    }
    this.state = ClState.Content;
  }

  private content(): void {
    const bytes = this.queue.read(this.length);
    const size = this.headerBytes + this.length;
    const charsetOk = this.charsetOk;
    this.state = ClState.Header;
    this.headerBytes = 0;
    this.fields = 0;
    this.length = -1;
    this.charsetOk = true;
    if (!charsetOk) {
      this.onDiagnostic({ code: 'UNSUPPORTED_CHARSET', message: 'Content-Type charset other than utf-8; message dropped', fatal: false, size });
      return;
    }
    if (!isUtf8(bytes)) {
      this.onDiagnostic({ code: 'INVALID_UTF8', message: 'message content that is not valid UTF-8; dropped', fatal: false, size, preview: latin1Preview(bytes) });
      return;
    }
    this.onMessage(asBuffer(bytes).toString('utf8'), size);
  }

  private nonProtocol(size: number, preview: string | undefined): void {
    this.onDiagnostic({ code: 'NON_PROTOCOL_LINE', message: 'a line that is not part of the protocol; skipped', fatal: false, size, preview });
  }

  private fail(code: FrameDiagnosticCode, message: string, fatal: boolean, preview?: string, size?: number): void {
    if (fatal) {
      this.state = ClState.Stopped;
      this.queue.clear();
    }
    this.onDiagnostic({ code, message, fatal, preview, size });
  }
}
