/**
 * RFC 9110 §5.6.2 tokens, the grammar of HTTP header names and of many
 * header values (media types, Upgrade, Sec-WebSocket-Protocol, parameters):
 *
 *   token = 1*tchar
 *   tchar = "!" / "#" / "$" / "%" / "&" / "'" / "*" / "+" / "-" / "." /
 *           "^" / "_" / "`" / "|" / "~" / DIGIT / ALPHA
 *
 * A lookup table, so header parsers scan attacker text in linear time with
 * no regular expression.
 */
const TCHAR = new Uint8Array(128);
for (const c of "!#$%&'*+-.^_`|~") TCHAR[c.charCodeAt(0)] = 1;
for (let c = 0x30; c <= 0x39; c++) TCHAR[c] = 1; // DIGIT
for (let c = 0x41; c <= 0x5a; c++) TCHAR[c] = 1; // A-Z
for (let c = 0x61; c <= 0x7a; c++) TCHAR[c] = 1; // a-z

/** Whether the character code `c` is a tchar. */
export function isTchar(c: number): boolean {
  return c < 128 && TCHAR[c] === 1;
}

/** Whether `s` is a token: one or more tchars. */
export function isToken(s: string): boolean {
  if (s.length === 0) return false;
  for (let i = 0; i < s.length; i++) if (!isTchar(s.charCodeAt(i))) return false;
  return true;
}

/** RFC 9110 §5.6.3: OWS = *( SP / HTAB ). */
export function isOws(c: number): boolean {
  return c === 0x20 || c === 0x09;
}
