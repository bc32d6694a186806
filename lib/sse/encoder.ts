/**
 * The event stream encoder: fields in, text/event-stream text out
 * (WHATWG HTML §9.2.5 gives the grammar, §9.2.7 the authoring notes).
 *
 *   encodeEvent({ event: 'tick', id: 7, data: 'a\nb' })
 *   // "event: tick\nid: 7\ndata: a\ndata: b\n\n"
 *
 * Injection safety. Every value either becomes safe lines or is refused:
 *   - data and comments may hold any text: each CR, LF or CRLF in them starts
 *     a new `data:` (or `:`) line, so the reader gets the same text back and
 *     no field or event can be smuggled in (the 2026 advisories against h3,
 *     hono, eventsource-encoder and sse-channel were exactly this);
 *   - an event name, id or retry has no way to carry a line break, so one
 *     with a CR or LF (or an id with a NULL, which readers ignore) is refused
 *     with SseError INVALID_FIELD, never written.
 */
import { SseError } from './errors.js';

/** One event to send. Every field is optional; an event with no data dispatches nothing but still sets the id. */
export interface SseMessage {
  /** The event type (`event:`); readers default it to "message". */
  event?: string;
  /** The payload; CR, LF and CRLF become separate `data:` lines. */
  data?: string;
  /** The event id (`id:`); becomes the reader's last event ID. */
  id?: string | number;
  /** Reconnection time in milliseconds (`retry:`), a whole number >= 0. */
  retry?: number;
  /** A comment line ahead of the event (ignored by readers; keeps proxies awake). */
  comment?: string;
}

/**
 * Split on CRLF, LF or CR — the three line terminators of §9.2.5 — with a
 * plain scan (no regex on caller text).
 */
export function splitLines(text: string): string[] {
  const lines: string[] = [];
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x0a || c === 0x0d) {
      lines.push(text.slice(start, i));
      if (c === 0x0d && text.charCodeAt(i + 1) === 0x0a) i++;
      start = i + 1;
    }
  }
  lines.push(text.slice(start));
  return lines;
}

function hasLineBreak(text: string): boolean {
  return text.indexOf('\n') !== -1 || text.indexOf('\r') !== -1;
}

/**
 * `field: value` lines for data or comments: `bare` for an empty line
 * ("data" / ":"), `prefix` before a non-empty one ("data: " / ": ").
 */
function fieldLines(bare: string, prefix: string, text: string): string {
  if (!hasLineBreak(text)) return text === '' ? bare + '\n' : prefix + text + '\n';
  let out = '';
  for (const line of splitLines(text)) out += line === '' ? bare + '\n' : prefix + line + '\n';
  return out;
}

/** A comment: one `: text` line per line of `text` (an empty comment is a lone colon). */
export function encodeComment(text: string): string {
  return fieldLines(':', ': ', text);
}

/** Check the fields that cannot be split; throws SseError INVALID_FIELD. */
export function validateMessage(message: SseMessage): void {
  const { event, id, retry } = message;
  if (event !== undefined && hasLineBreak(event)) {
    throw new SseError('INVALID_FIELD', `event name ${JSON.stringify(event)} contains a line break`);
  }
  if (id !== undefined) {
    const s = String(id);
    if (hasLineBreak(s)) throw new SseError('INVALID_FIELD', `event id ${JSON.stringify(s)} contains a line break`);
    // §9.2.6: readers ignore an id containing NULL, so sending one is a bug.
    if (s.indexOf('\0') !== -1) throw new SseError('INVALID_FIELD', `event id ${JSON.stringify(s)} contains NULL`);
  }
  if (retry !== undefined && !(Number.isSafeInteger(retry) && retry >= 0)) {
    // §9.2.6: readers only accept ASCII digits.
    throw new SseError('INVALID_FIELD', `retry must be a whole number of milliseconds >= 0, got ${String(retry)}`);
  }
}

/**
 * One event as wire text, ending with the blank line that dispatches it.
 * Field order: comment, event, id, retry, data (order does not matter to
 * readers; data last reads naturally). Throws SseError INVALID_FIELD.
 */
export function encodeEvent(message: SseMessage): string {
  validateMessage(message);
  let out = '';
  if (message.comment !== undefined) out += fieldLines(':', ': ', message.comment);
  if (message.event !== undefined) out += message.event === '' ? 'event\n' : 'event: ' + message.event + '\n';
  if (message.id !== undefined) {
    const id = String(message.id);
    out += id === '' ? 'id\n' : 'id: ' + id + '\n';
  }
  if (message.retry !== undefined) out += 'retry: ' + message.retry + '\n';
  if (message.data !== undefined) out += fieldLines('data', 'data: ', message.data);
  return out + '\n';
}
