/**
 * The opening handshake (RFC 6455 §4), without I/O: validating the client's
 * GET upgrade, computing Sec-WebSocket-Accept, choosing a subprotocol,
 * parsing the header lists, and checking the server's 101 on the client.
 *
 *   client                                              server
 *     | GET /chat HTTP/1.1                                 |
 *     | Host: server.example.com                           |
 *     | Upgrade: websocket                                 |
 *     | Connection: Upgrade                                |
 *     | Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==        |
 *     | Sec-WebSocket-Version: 13                          |
 *     | Sec-WebSocket-Protocol: chat, superchat            |
 *     | Sec-WebSocket-Extensions: permessage-deflate       |
 *     |--------------------------------------------------->|
 *     |                  HTTP/1.1 101 Switching Protocols  |
 *     |                  Upgrade: websocket                |
 *     |                  Connection: Upgrade               |
 *     |  Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo= |
 *     |                  Sec-WebSocket-Protocol: chat      |
 *     |<---------------------------------------------------|
 *
 * Header lists are read by small linear scanners, never by regular
 * expressions that could backtrack on attacker-chosen text (ws
 * CVE-2021-32640).
 */
import { createHash, randomBytes } from 'node:crypto';
import { isOws, isTchar, isToken } from '../bytes/index.js';

/** RFC 6455 §1.3: the GUID appended to the key before hashing. */
export const WEBSOCKET_GUID = '258EAFA5-E914-47DA-95CA-C5AB0DC85B11';

/** RFC 6455 §4.2.2: base64(SHA-1(key + GUID)). */
export function acceptKey(key: string): string {
  return createHash('sha1').update(key + WEBSOCKET_GUID).digest('base64');
}

/** RFC 6455 §4.1: a nonce of 16 random bytes, base64-encoded. */
export function generateKey(): string {
  return randomBytes(16).toString('base64');
}

/** RFC 6455 §4.2.1 item 5: the key MUST decode to 16 bytes (24 base64 characters ending in "=="). */
export function isValidKey(key: string | undefined): key is string {
  if (typeof key !== 'string' || key.length !== 24 || !key.endsWith('==')) return false;
  for (let i = 0; i < 22; i++) {
    const c = key.charCodeAt(i);
    const ok = (c >= 65 && c <= 90) || (c >= 97 && c <= 122) || (c >= 48 && c <= 57) || c === 43 || c === 47;
    if (!ok) return false;
  }
  // The last character before "==" carries only 2 significant bits: canonical keys end in [AQgw].
  return Buffer.from(key, 'base64').length === 16 && Buffer.from(key, 'base64').toString('base64') === key;
}

function skipOws(s: string, i: number): number {
  while (i < s.length && isOws(s.charCodeAt(i))) i++;
  return i;
}

function readToken(s: string, i: number): number {
  while (i < s.length && isTchar(s.charCodeAt(i))) i++;
  return i;
}

export { isToken };

/**
 * RFC 9110 §5.6.1: `#token`, a comma-separated list of tokens with optional
 * whitespace; empty elements are skipped. Returns null when the text is not
 * such a list. One pass, linear in the length.
 */
export function parseTokenList(value: string): string[] | null {
  const out: string[] = [];
  let i = 0;
  for (;;) {
    i = skipOws(value, i);
    const start = i;
    i = readToken(value, i);
    if (i > start) out.push(value.slice(start, i));
    i = skipOws(value, i);
    if (i === value.length) return out;
    if (value.charCodeAt(i) !== 44 /* , */) return null;
    i++;
  }
}

/** Whether a `#token` header contains `token` (case-insensitive), e.g. Connection: keep-alive, Upgrade. */
export function hasToken(value: string | undefined, token: string): boolean {
  if (value === undefined) return false;
  const list = parseTokenList(value);
  if (list === null) return false;
  const want = token.toLowerCase();
  return list.some((t) => t.toLowerCase() === want);
}

export interface ExtensionOffer {
  name: string;
  /** Parameters in order; `true` for a parameter without a value. */
  params: [string, string | true][];
}

/**
 * RFC 6455 §9.1: Sec-WebSocket-Extensions =
 *   1#( extension-token *( ";" token [ "=" ( token / quoted-string ) ] ) )
 * A quoted value must itself be a token once unescaped. Returns null when
 * the text does not match. One pass, linear in the length.
 */
export function parseExtensions(value: string): ExtensionOffer[] | null {
  const out: ExtensionOffer[] = [];
  let i = 0;
  const n = value.length;
  for (;;) {
    i = skipOws(value, i);
    if (i === n) return out;
    if (value.charCodeAt(i) === 44) {
      i++; // empty list element
      continue;
    }
    const start = i;
    i = readToken(value, i);
    if (i === start) return null;
    const offer: ExtensionOffer = { name: value.slice(start, i), params: [] };
    out.push(offer);
    for (;;) {
      i = skipOws(value, i);
      if (i === n) return out;
      const c = value.charCodeAt(i);
      if (c === 44) {
        i++;
        break;
      }
      if (c !== 59 /* ; */) return null;
      i = skipOws(value, i + 1);
      const ps = i;
      i = readToken(value, i);
      if (i === ps) return null;
      const name = value.slice(ps, i);
      i = skipOws(value, i);
      if (i < n && value.charCodeAt(i) === 61 /* = */) {
        i = skipOws(value, i + 1);
        let v: string;
        if (i < n && value.charCodeAt(i) === 34 /* " */) {
          // quoted-string, with backslash escapes
          let text = '';
          i++;
          for (;;) {
            if (i >= n) return null;
            const q = value.charCodeAt(i);
            if (q === 34) {
              i++;
              break;
            }
            if (q === 92 /* \ */) {
              if (i + 1 >= n) return null;
              text += value[i + 1];
              i += 2;
            } else {
              text += value[i];
              i++;
            }
          }
          if (!isToken(text)) return null;
          v = text;
        } else {
          const vs = i;
          i = readToken(value, i);
          if (i === vs) return null;
          v = value.slice(vs, i);
        }
        offer.params.push([name, v]);
      } else {
        offer.params.push([name, true]);
      }
    }
  }
}

/** One extension for a response or offer header: `name; a; b=10`. */
export function formatExtension(name: string, params: [string, string | number | true][]): string {
  let out = name;
  for (const [k, v] of params) out += v === true ? `; ${k}` : `; ${k}=${v}`;
  return out;
}

/** The headers of a request as node:http gives them (lower-case names). */
export type HeaderBag = Record<string, string | string[] | undefined>;

function header(headers: HeaderBag, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v.join(', ') : v;
}

export type UpgradeCheck =
  | { ok: true; key: string; protocols: string[]; extensions: ExtensionOffer[]; origin: string | undefined }
  | { ok: false; status: number; reason: string; headers?: Record<string, string> };

/**
 * RFC 6455 §4.2.1: is this a valid opening handshake? A wrong or missing
 * version gets 426 with `Sec-WebSocket-Version: 13` (§4.4); other faults 400.
 * A request that does not ask to upgrade at all is the caller's business
 * (shared/INTEROP.md: 426).
 */
export function checkUpgradeRequest(method: string | undefined, headers: HeaderBag, httpVersion = '1.1'): UpgradeCheck {
  const bad = (reason: string): UpgradeCheck => ({ ok: false, status: 400, reason });
  // 1. "An HTTP/1.1 or higher GET request"
  if (method !== 'GET') return bad(`method ${method} is not GET`);
  if (httpVersion === '1.0' || httpVersion.startsWith('0.')) return bad(`HTTP/${httpVersion} cannot upgrade (HTTP/1.1 or higher required)`);
  // 2. "A |Host| header field"
  const host = header(headers, 'host');
  if (host === undefined || host.trim() === '') return bad('missing Host header');
  // 3. "An |Upgrade| header field containing the value "websocket""
  if (!hasToken(header(headers, 'upgrade'), 'websocket')) return bad('Upgrade header does not name websocket');
  // 4. "A |Connection| header field that includes the token "Upgrade""
  if (!hasToken(header(headers, 'connection'), 'upgrade')) return bad('Connection header lacks the Upgrade token');
  // 6. "A |Sec-WebSocket-Version| header field, with a value of 13" (else 426, §4.4)
  const version = header(headers, 'sec-websocket-version');
  if (version === undefined || version.trim() !== '13') {
    return {
      ok: false,
      status: 426,
      reason: version === undefined ? 'missing Sec-WebSocket-Version' : `unsupported Sec-WebSocket-Version ${JSON.stringify(version)}`,
      headers: { 'Sec-WebSocket-Version': '13' },
    };
  }
  // 5. "A |Sec-WebSocket-Key| header field with a base64-encoded value that, when decoded, is 16 bytes"
  const key = header(headers, 'sec-websocket-key')?.trim();
  if (!isValidKey(key)) return bad('missing or invalid Sec-WebSocket-Key');
  // 8. "Optionally, a |Sec-WebSocket-Protocol| header field, with a list of values ..."
  let protocols: string[] = [];
  const proto = header(headers, 'sec-websocket-protocol');
  if (proto !== undefined) {
    const list = parseTokenList(proto);
    if (list === null) return bad('invalid Sec-WebSocket-Protocol header');
    if (new Set(list).size !== list.length) return bad('duplicate subprotocol in Sec-WebSocket-Protocol');
    protocols = list;
  }
  // 9. "Optionally, a |Sec-WebSocket-Extensions| header field ..."
  let extensions: ExtensionOffer[] = [];
  const ext = header(headers, 'sec-websocket-extensions');
  if (ext !== undefined) {
    const list = parseExtensions(ext);
    if (list === null) return bad('invalid Sec-WebSocket-Extensions header');
    extensions = list;
  }
  // 7. "Optionally, an |Origin| header field" (for the server's origin policy)
  return { ok: true, key, protocols, extensions, origin: header(headers, 'origin') };
}

/** RFC 6455 §4.2.2 item 5: the 101 response head (with any extra headers). */
export function acceptResponse(key: string, protocol: string, extensions: string, extra: Record<string, string> = {}): string {
  const lines = ['HTTP/1.1 101 Switching Protocols', 'Upgrade: websocket', 'Connection: Upgrade', `Sec-WebSocket-Accept: ${acceptKey(key)}`];
  if (protocol) lines.push(`Sec-WebSocket-Protocol: ${protocol}`);
  if (extensions) lines.push(`Sec-WebSocket-Extensions: ${extensions}`);
  for (const [k, v] of Object.entries(extra)) lines.push(`${k}: ${v}`);
  return lines.join('\r\n') + '\r\n\r\n';
}

const STATUS_TEXT: Record<number, string> = {
  400: 'Bad Request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  426: 'Upgrade Required',
  431: 'Request Header Fields Too Large',
  500: 'Internal Server Error',
  503: 'Service Unavailable',
};

/** A complete refusal: status line, headers, a one-line text body; the connection closes. */
export function errorResponse(status: number, reason: string, extra: Record<string, string> = {}): string {
  const body = reason.replace(/[\r\n]/g, ' ') + '\n';
  const lines = [
    `HTTP/1.1 ${status} ${STATUS_TEXT[status] ?? 'Error'}`,
    'Connection: close',
    'Content-Type: text/plain; charset=utf-8',
    `Content-Length: ${Buffer.byteLength(body)}`,
  ];
  for (const [k, v] of Object.entries(extra)) lines.push(`${k}: ${v}`);
  return lines.join('\r\n') + '\r\n\r\n' + body;
}

/** The server's choice (RFC 6455 §4.2.2 item 5.4): the first offered protocol it supports, or none. */
export function selectProtocol(offered: string[], supported: readonly string[]): string {
  for (const p of offered) if (supported.includes(p)) return p;
  return '';
}

export type ResponseCheck = { ok: true; protocol: string; extensions: ExtensionOffer[] } | { ok: false; reason: string };

/**
 * RFC 6455 §4.1, the client's checks of the server's response: status 101,
 * Upgrade websocket, Connection Upgrade, the right Sec-WebSocket-Accept, a
 * subprotocol only if one was offered (and then one of those offered), and
 * extensions only as offered (the caller checks their parameters).
 */
export function checkUpgradeResponse(status: number | undefined, headers: HeaderBag, key: string, offeredProtocols: readonly string[], offeredExtensions: readonly string[]): ResponseCheck {
  if (status !== 101) return { ok: false, reason: `unexpected server response: ${status}` };
  if (!hasToken(header(headers, 'upgrade'), 'websocket')) return { ok: false, reason: 'response Upgrade header is not websocket' };
  if (!hasToken(header(headers, 'connection'), 'upgrade')) return { ok: false, reason: 'response Connection header lacks Upgrade' };
  if (header(headers, 'sec-websocket-accept')?.trim() !== acceptKey(key)) return { ok: false, reason: 'invalid Sec-WebSocket-Accept' };
  // Item 6: a subprotocol must be one that was offered (choosing none is allowed).
  const protocol = header(headers, 'sec-websocket-protocol')?.trim() ?? '';
  if (protocol !== '' && !offeredProtocols.includes(protocol)) {
    return { ok: false, reason: `server selected a subprotocol that was not offered: ${JSON.stringify(protocol)}` };
  }
  let extensions: ExtensionOffer[] = [];
  const ext = header(headers, 'sec-websocket-extensions');
  if (ext !== undefined) {
    const list = parseExtensions(ext);
    if (list === null) return { ok: false, reason: 'invalid Sec-WebSocket-Extensions in response' };
    for (const e of list) {
      if (!offeredExtensions.includes(e.name)) return { ok: false, reason: `server accepted an extension that was not offered: ${e.name}` };
    }
    if (new Set(list.map((e) => e.name)).size !== list.length) return { ok: false, reason: 'an extension accepted twice in the response' };
    extensions = list;
  }
  return { ok: true, protocol, extensions };
}
