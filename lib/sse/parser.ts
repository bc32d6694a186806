/**
 * The event stream parser: WHATWG HTML §9.2.5 "Parsing an event stream" and
 * §9.2.6 "Interpreting an event stream", as a pure incremental state
 * machine. Bytes (or already decoded text) go in, in chunks of any size;
 * events, retry values and comments come out through callbacks. No sockets,
 * no timers: it runs on any byte stream (an HTTP body, a fetch body, a file).
 *
 *   const parser = createParser({ onEvent: (e) => console.log(e.type, e.data) });
 *   parser.feed(chunk);   // as many times as chunks arrive
 *   parser.end();         // end of the stream: an unfinished event is dropped
 *
 * The three layers of the spec, top to bottom in this file:
 *   1. decoding  — UTF-8 decode: one leading BOM stripped, bad bytes -> U+FFFD
 *   2. lines     — CRLF, LF or CR ends a line, even when split across chunks
 *   3. fields    — data / event / id / retry / comment, and dispatch on a blank line
 *
 * Hostile input: each chunk is scanned once (no rescanning of a growing
 * buffer), so an event spread over thousands of one-byte chunks costs linear
 * time; a line longer than `maxLineLength` or an event whose data grows past
 * `maxEventSize` stops the parser with an error instead of growing memory.
 */
import { isAscii } from 'node:buffer';
import { SseError } from './errors.js';

/** One dispatched event: the fields of the MessageEvent the spec creates. */
export interface ServerSentEvent {
  /** The event type buffer, or "message" when it was empty. */
  type: string;
  /** The data buffer, lines joined by LF, with the final LF removed. */
  data: string;
  /** The last event ID string at the time of dispatch. */
  lastEventId: string;
}

export interface ParserCallbacks {
  /** A dispatched event (never one with an empty data buffer). */
  onEvent?(event: ServerSentEvent): void;
  /** A valid `retry` field: the new reconnection time in milliseconds. */
  onRetry?(ms: number): void;
  /** A comment line (starting with a colon), without the colon and one leading space. */
  onComment?(text: string): void;
  /**
   * A limit was exceeded. The parser has stopped and ignores input until
   * reset(). Without this callback, feed() throws the error instead.
   */
  onError?(error: SseError): void;
}

export interface ParserOptions {
  /** Longest line accepted, in characters (UTF-16 code units). Default 1 MiB (1,048,576); exactly that is accepted. */
  maxLineLength?: number;
  /** Largest data buffer of one event, in characters. Default 4 MiB (4,194,304); exactly that is accepted. */
  maxEventSize?: number;
  /** The last event ID string to start from (an EventSource that reconnects carries it over). */
  lastEventId?: string;
}

export interface EventStreamParser {
  /** Parse the next chunk: bytes (decoded as UTF-8 here) or text already decoded. */
  feed(chunk: Uint8Array | string): void;
  /**
   * The stream ended. Pending bytes and an unfinished event are discarded
   * (§9.2.6: "If the file ends in the middle of an event ... the incomplete
   * event is not dispatched"); the parser is ready for a new stream and keeps
   * its last event ID.
   */
  end(): void;
  /** Forget everything, the last event ID included (or set it to `lastEventId`), and clear an error. */
  reset(options?: { lastEventId?: string }): void;
  /** The last event ID string: set on each dispatch, kept across events and streams. */
  readonly lastEventId: string;
  /** Whether a limit stopped the parser. */
  readonly failed: boolean;
}

export const DEFAULT_MAX_LINE_LENGTH = 1024 * 1024;
export const DEFAULT_MAX_EVENT_SIZE = 4 * 1024 * 1024;

const LF = 0x0a;
const SPACE = 0x20;
const COLON = 0x3a;
const BOM = 0xfeff;
const STREAM = { stream: true } as const;

/** §9.2.6 "retry": only ASCII digits (at least one). A hand loop, no regex on peer text. */
function isAsciiDigits(value: string): boolean {
  if (value.length === 0) return false;
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return false;
  }
  return true;
}

// Field names compared by character code (no substring, no call into the string builtins).
function isData(t: string, i: number): boolean {
  return t.charCodeAt(i) === 0x64 && t.charCodeAt(i + 1) === 0x61 && t.charCodeAt(i + 2) === 0x74 && t.charCodeAt(i + 3) === 0x61;
}
function isEvent(t: string, i: number): boolean {
  return (
    t.charCodeAt(i) === 0x65 && t.charCodeAt(i + 1) === 0x76 && t.charCodeAt(i + 2) === 0x65 && t.charCodeAt(i + 3) === 0x6e && t.charCodeAt(i + 4) === 0x74
  );
}
function isRetry(t: string, i: number): boolean {
  return (
    t.charCodeAt(i) === 0x72 && t.charCodeAt(i + 1) === 0x65 && t.charCodeAt(i + 2) === 0x74 && t.charCodeAt(i + 3) === 0x72 && t.charCodeAt(i + 4) === 0x79
  );
}

/**
 * How many bytes at the start of `bytes` end on a character boundary: all of
 * them, unless the last character is cut short (its lead byte, in the last
 * three bytes, announces more bytes than follow). Cutting just before a lead
 * byte never changes what the UTF-8 decoder produces: a lead byte always
 * ends whatever came before it (a complete character, or an error already
 * replaced by U+FFFD) and starts afresh.
 */
function completeLength(bytes: Uint8Array): number {
  const n = bytes.length;
  for (let i = n - 1; i >= 0 && i >= n - 3; i--) {
    const b = bytes[i];
    if ((b & 0xc0) === 0x80) continue; // a continuation byte: look further back
    const need = b < 0xc0 ? 1 : b < 0xe0 ? 2 : b < 0xf0 ? 3 : b < 0xf8 ? 4 : 1;
    return i + need > n ? i : n;
  }
  return n;
}

/** Start a parser for one event stream (or several in a row: see end()). */
export function createParser(callbacks: ParserCallbacks = {}, options: ParserOptions = {}): EventStreamParser {
  return new Parser(callbacks, options);
}

/**
 * The state machine. A class rather than closures so that every parser in a
 * process shares the same methods: the hot paths stay monomorphic however
 * many streams are open.
 */
class Parser implements EventStreamParser {
  private readonly onEvent: ParserCallbacks['onEvent'];
  private readonly onRetry: ParserCallbacks['onRetry'];
  private readonly onComment: ParserCallbacks['onComment'];
  private readonly onError: ParserCallbacks['onError'];
  private readonly maxLineLength: number;
  private readonly maxEventSize: number;

  // --- layer 1: decoding ---------------------------------------------------
  // §9.2.5: "Streams must be decoded using the UTF-8 decode algorithm": one
  // leading BOM stripped, invalid bytes replaced by U+FFFD, a character split
  // across chunks decoded whole. The WHATWG TextDecoder does the replacing;
  // the BOM is stripped in feedText; and a character cut by a chunk boundary
  // is held back (`carry`) and decoded with the next chunk, so every piece
  // decoded is whole (see completeLength). That lets a piece that is all
  // ASCII (nearly all of them, in practice) take TextDecoder's one-shot fast
  // path, several times faster than its streaming mode, which other text
  // keeps using (it is the faster one for non-ASCII text).
  private readonly textDecoder = new TextDecoder('utf-8', { ignoreBOM: true });
  private readonly asciiDecoder = new TextDecoder('utf-8', { ignoreBOM: true });
  /** The bytes of a character cut by the end of the previous chunk (at most 3). */
  private carry: Uint8Array | undefined = undefined;
  /** Whether the stream has started (a BOM is only stripped first). */
  private started = false;

  // --- layer 2: lines --------------------------------------------------------
  /** Pieces of the line not yet terminated (joined once, when it ends). */
  private parts: string[] = [];
  private partsLength = 0;
  /** The previous chunk ended with CR: an LF at the start of the next one completes a CRLF. */
  private afterCR = false;

  // --- layer 3: fields -------------------------------------------------------
  private data = '';
  /** Whether the data buffer is non-empty ("data:" with no value still makes it "\n"). */
  private hasData = false;
  private eventType = '';
  private idBuffer: string;
  /** The event source's last event ID string (§9.2.6 dispatch step 1). */
  private lastId: string;

  private stopped = false;
  /** Bumped by reset()/end()/a failure, so a callback that calls them stops the chunk in progress. */
  private epoch = 0;

  constructor(callbacks: ParserCallbacks, options: ParserOptions) {
    this.onEvent = callbacks.onEvent;
    this.onRetry = callbacks.onRetry;
    this.onComment = callbacks.onComment;
    this.onError = callbacks.onError;
    this.maxLineLength = options.maxLineLength ?? DEFAULT_MAX_LINE_LENGTH;
    this.maxEventSize = options.maxEventSize ?? DEFAULT_MAX_EVENT_SIZE;
    this.idBuffer = this.lastId = options.lastEventId ?? '';
  }

  get lastEventId(): string {
    return this.lastId;
  }

  get failed(): boolean {
    return this.stopped;
  }

  feed(chunk: Uint8Array | string): void {
    if (this.stopped) return;
    this.feedText(typeof chunk === 'string' ? chunk : this.decodeBytes(chunk));
  }

  end(): void {
    // Whatever is pending (bytes of a truncated sequence, an unterminated
    // line, an undispatched event) belongs to an incomplete event: dropped.
    this.clearStream();
    this.idBuffer = this.lastId;
  }

  reset(options: { lastEventId?: string } = {}): void {
    this.clearStream();
    this.stopped = false;
    this.idBuffer = this.lastId = options.lastEventId ?? '';
  }

  private clearStream(): void {
    this.epoch++;
    this.carry = undefined;
    this.started = false;
    this.parts = [];
    this.partsLength = 0;
    this.afterCR = false;
    this.data = '';
    this.hasData = false;
    this.eventType = '';
  }

  private fail(code: 'LINE_TOO_LONG' | 'EVENT_TOO_LARGE', message: string): void {
    this.stopped = true;
    this.epoch++;
    this.parts = [];
    this.partsLength = 0;
    this.data = '';
    this.hasData = false;
    const error = new SseError(code, message);
    const onError = this.onError;
    if (onError) onError(error);
    else throw error;
  }

  private lineTooLong(): void {
    this.fail('LINE_TOO_LONG', `line over the ${this.maxLineLength}-character limit`);
  }

  // --- layer 1 -------------------------------------------------------------

  private decodeBytes(chunk: Uint8Array): string {
    let bytes = chunk;
    const carry = this.carry;
    if (carry !== undefined) {
      bytes = new Uint8Array(carry.length + chunk.length);
      bytes.set(carry);
      bytes.set(chunk, carry.length);
      this.carry = undefined;
    }
    const cut = completeLength(bytes);
    if (cut < bytes.length) this.carry = bytes.slice(cut);
    if (cut === 0) return '';
    const piece = cut === bytes.length ? bytes : bytes.subarray(0, cut);
    return isAscii(piece) ? this.asciiDecoder.decode(piece) : this.textDecoder.decode(piece, STREAM);
  }

  // --- layer 2 -------------------------------------------------------------

  /** §9.2.5: split decoded text into lines; CRLF, LF and CR each end one. */
  private feedText(text: string): void {
    const n = text.length;
    if (n === 0) return;
    let pos = 0;
    if (!this.started) {
      this.started = true;
      if (text.charCodeAt(0) === BOM) pos = 1; // "One leading U+FEFF BYTE ORDER MARK character must be ignored"
    }
    if (this.afterCR) {
      this.afterCR = false;
      if (text.charCodeAt(pos) === LF) pos++; // the LF of a CRLF split across chunks
    }
    const at = this.epoch;
    const max = this.maxLineLength;
    // The next CR and LF are each searched once and reused until passed: linear time.
    let cr = text.indexOf('\r', pos);
    let lf = text.indexOf('\n', pos);
    while (cr !== -1 || lf !== -1) {
      let end: number;
      let next: number;
      if (lf !== -1 && (cr === -1 || lf < cr)) {
        end = lf;
        next = lf + 1;
        lf = text.indexOf('\n', next);
      } else {
        end = cr;
        next = cr + 1;
        if (next === n) this.afterCR = true;
        else if (text.charCodeAt(next) === LF) {
          next++;
          lf = text.indexOf('\n', next);
        }
        cr = text.indexOf('\r', next);
      }
      if (this.parts.length === 0) {
        if (end - pos > max) return this.lineTooLong();
        // The three lines that make up nearly every stream, handled inline
        // (the same rules as processLine): blank, "data:", "event:".
        if (end === pos) this.dispatch();
        else if (text.charCodeAt(pos + 4) === COLON && isData(text, pos)) {
          this.appendData(text.slice(text.charCodeAt(pos + 5) === SPACE && pos + 5 < end ? pos + 6 : pos + 5, end));
        } else if (text.charCodeAt(pos + 5) === COLON && isEvent(text, pos)) {
          this.eventType = text.slice(text.charCodeAt(pos + 6) === SPACE && pos + 6 < end ? pos + 7 : pos + 6, end);
        } else this.processLine(text, pos, end);
      } else {
        // the line began in an earlier chunk: join its pieces once
        if (this.partsLength + (end - pos) > max) return this.lineTooLong();
        this.parts.push(text.slice(pos, end));
        const line = this.parts.join('');
        this.parts = [];
        this.partsLength = 0;
        this.processLine(line, 0, line.length);
      }
      if (this.epoch !== at) return; // failed, or a callback reset the parser
      pos = next;
      // The blank line that ends nearly every event, right after its last
      // field ("data: x\n\n"): dispatch without another trip round the loop.
      if (lf === pos && (cr === -1 || cr > lf)) {
        this.dispatch();
        if (this.epoch !== at) return;
        pos = lf + 1;
        lf = text.indexOf('\n', pos);
      }
    }
    if (pos < n) {
      // An unterminated line: keep it, bounded, until its end arrives.
      if (this.partsLength + (n - pos) > max) return this.lineTooLong();
      this.parts.push(pos === 0 ? text : text.slice(pos));
      this.partsLength += n - pos;
    }
  }

  // --- layer 3 -------------------------------------------------------------

  /**
   * §9.2.6: one line, `text[start..end)`, without its terminator. Fields are
   * told apart by their character codes in place, so a line costs one string
   * allocation (its value) and no field-name string.
   */
  private processLine(text: string, start: number, end: number): void {
    // "If the line is empty (a blank line): dispatch the event."
    if (start === end) return this.dispatch();
    // "If the line starts with a U+003A COLON character (:): ignore the line." (a comment)
    if (text.charCodeAt(start) === COLON) {
      const onComment = this.onComment;
      if (onComment) onComment(text.slice(text.charCodeAt(start + 1) === SPACE && start + 1 < end ? start + 2 : start + 1, end));
      return;
    }
    // "If the line contains a U+003A COLON": the field name is what comes
    // before the first colon, the value what comes after, minus one leading
    // space. "Otherwise": the whole line is the name, the value is empty.
    // Fast path first: "data:" and "event:" are nearly every line of a real stream.
    let colon: number;
    if (text.charCodeAt(start + 4) === COLON && isData(text, start)) colon = start + 4;
    else if (text.charCodeAt(start + 5) === COLON && isEvent(text, start)) colon = start + 5;
    else {
      // a bounded scan: it never looks past the end of this line
      colon = start;
      while (colon < end && text.charCodeAt(colon) !== COLON) colon++;
    }
    let valueStart = colon + 1;
    if (valueStart < end && text.charCodeAt(valueStart) === SPACE) valueStart++;
    if (valueStart > end) valueStart = end;
    // "Process the field", matching the name by length and characters.
    switch (colon - start) {
      case 4: // data
        if (isData(text, start)) this.appendData(text.slice(valueStart, end));
        return;
      case 5:
        if (isEvent(text, start)) {
          this.eventType = text.slice(valueStart, end);
        } else if (isRetry(text, start)) {
          // "If the field value consists of only ASCII digits, ... set the event
          // stream's reconnection time to that integer. Otherwise, ignore the field."
          const value = text.slice(valueStart, end);
          const onRetry = this.onRetry;
          if (isAsciiDigits(value) && onRetry) onRetry(Number(value));
        }
        return;
      case 2:
        if (text.charCodeAt(start) === 0x69 && text.charCodeAt(start + 1) === 0x64) {
          // "If the field value does not contain U+0000 NULL, then set the last
          // event ID buffer to the field value. Otherwise, ignore the field."
          const value = text.slice(valueStart, end);
          if (value.indexOf('\0') === -1) this.idBuffer = value;
        }
        return;
      default:
        // "Otherwise: the field is ignored."
        return;
    }
  }

  /** §9.2.6 "data": "Append the field value to the data buffer, then append a single LF." */
  private appendData(value: string): void {
    if (this.hasData) {
      if (this.data.length + 1 + value.length > this.maxEventSize) return this.eventTooLarge();
      this.data += '\n' + value;
    } else {
      if (value.length > this.maxEventSize) return this.eventTooLarge();
      this.data = value;
      this.hasData = true;
    }
  }

  private eventTooLarge(): void {
    this.fail('EVENT_TOO_LARGE', `event data over the ${this.maxEventSize}-character limit`);
  }

  /** §9.2.6: "dispatch the event". */
  private dispatch(): void {
    // Step 1: the last event ID string takes the buffer's value, which is
    // not reset, so it stays until the server sends another id.
    this.lastId = this.idBuffer;
    // Step 2: an empty data buffer dispatches nothing (and resets the type).
    if (!this.hasData) {
      this.eventType = '';
      return;
    }
    // Step 3 (the final LF removed) holds by construction: lines are joined with LF.
    // Steps 4-6: the event, type "message" unless the type buffer says otherwise.
    const event: ServerSentEvent = { type: this.eventType === '' ? 'message' : this.eventType, data: this.data, lastEventId: this.lastId };
    // Step 7: clear the data and event type buffers.
    this.data = '';
    this.hasData = false;
    this.eventType = '';
    const onEvent = this.onEvent;
    if (onEvent) onEvent(event);
  }
}
