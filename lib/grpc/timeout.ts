/**
 * The grpc-timeout header: how a deadline crosses the wire.
 *
 * gRPC PROTOCOL-HTTP2 §Requests:
 *   Timeout      → "grpc-timeout" TimeoutValue TimeoutUnit
 *   TimeoutValue → positive integer as ASCII string of at most 8 digits
 *   TimeoutUnit  → Hour "H" / Minute "M" / Second "S" / Millisecond "m"
 *                  / Microsecond "u" / Nanosecond "n"
 *
 * The value is relative (time left), so each hop re-encodes what remains of
 * its own deadline. Parsing is a fixed walk over at most 9 characters: no
 * regular expression ever sees attacker text.
 */

/** Milliseconds per unit. */
const UNIT_MS: Record<string, number> = {
  H: 3_600_000,
  M: 60_000,
  S: 1000,
  m: 1,
  u: 0.001,
  n: 0.000001,
};

/** Longest TimeoutValue the grammar allows. */
export const MAX_TIMEOUT_DIGITS = 8;

export type TimeoutParse = { ok: true; ms: number } | { ok: false; reason: string };

/**
 * Parse a grpc-timeout value into milliseconds (fractions kept for u and n).
 * A value of 0 is accepted and means the deadline has already passed.
 */
export function parseTimeout(value: string): TimeoutParse {
  const n = value.length;
  if (n < 2) return { ok: false, reason: `grpc-timeout ${JSON.stringify(value)} needs digits and a unit` };
  if (n - 1 > MAX_TIMEOUT_DIGITS) {
    return { ok: false, reason: `grpc-timeout ${JSON.stringify(value.slice(0, 16))} has more than ${MAX_TIMEOUT_DIGITS} digits` };
  }
  let amount = 0;
  for (let i = 0; i < n - 1; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x30 || c > 0x39) return { ok: false, reason: `grpc-timeout ${JSON.stringify(value)} has a non-digit in its value` };
    amount = amount * 10 + (c - 0x30);
  }
  const perUnit = UNIT_MS[value[n - 1]];
  if (perUnit === undefined) return { ok: false, reason: `grpc-timeout ${JSON.stringify(value)} has an unknown unit (H M S m u n)` };
  return { ok: true, ms: amount * perUnit };
}

const MAX_VALUE = 99_999_999;

/**
 * Encode a time left (ms) as a grpc-timeout value: the finest unit whose
 * value fits in 8 digits, rounded up so a deadline is never shortened.
 * Negative or zero time left encodes as "1n" (already expired, still valid).
 */
export function formatTimeout(ms: number): string {
  if (!(ms > 0)) return '1n';
  const ns = Math.ceil(ms * 1e6);
  if (ns <= MAX_VALUE) return `${ns}n`;
  const us = Math.ceil(ms * 1e3);
  if (us <= MAX_VALUE) return `${us}u`;
  const m = Math.ceil(ms);
  if (m <= MAX_VALUE) return `${m}m`;
  const s = Math.ceil(ms / 1000);
  if (s <= MAX_VALUE) return `${s}S`;
  const min = Math.ceil(ms / 60_000);
  if (min <= MAX_VALUE) return `${min}M`;
  return `${Math.min(MAX_VALUE, Math.ceil(ms / 3_600_000))}H`;
}
