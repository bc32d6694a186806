/**
 * Strict, incremental UTF-8 validation (RFC 3629 §3 and §4).
 *
 * A well-formed sequence is one of these (the table of RFC 3629 §4):
 *
 *   00..7F
 *   C2..DF  80..BF
 *   E0      A0..BF  80..BF         (no overlong 3-byte forms)
 *   E1..EC  80..BF  80..BF
 *   ED      80..9F  80..BF         (no surrogates D800..DFFF)
 *   EE..EF  80..BF  80..BF
 *   F0      90..BF  80..BF  80..BF (no overlong 4-byte forms)
 *   F1..F3  80..BF  80..BF  80..BF
 *   F4      80..8F  80..BF  80..BF (nothing above U+10FFFF)
 *
 * C0, C1 and F5..FF never appear. The only state a validator needs between
 * fragments is how many continuation bytes are still owed and which range
 * the next one must fall in; because the ranges above are checked byte by
 * byte, the validator says "invalid" at the first byte that can no longer be
 * part of a valid text (RFC 6455 §8.1 asks a WebSocket endpoint to fail that
 * early). Whole runs of complete sequences go to Node's native validator.
 */
import { isUtf8 } from 'node:buffer';

/** The number of continuation bytes that follow lead byte `b`, or -1 if `b` cannot lead. */
function continuationCount(b: number): number {
  if (b < 0x80) return 0;
  if (b < 0xc2) return -1; // 80..BF are continuations; C0, C1 only make overlongs
  if (b < 0xe0) return 1;
  if (b < 0xf0) return 2;
  if (b < 0xf5) return 3;
  return -1;
}

export class Utf8Validator {
  /** Continuation bytes still owed by the sequence in progress. */
  private need = 0;
  /** Allowed range of the next continuation byte. */
  private lo = 0x80;
  private hi = 0xbf;
  /** False once an invalid byte was seen; stays false until reset(). */
  valid = true;

  /**
   * Feed the next fragment (`bytes[start..end)`). Returns false as soon as
   * the text so far can no longer be valid UTF-8.
   */
  push(bytes: Uint8Array, start = 0, end = bytes.length): boolean {
    if (!this.valid) return false;
    let i = start;
    // Finish a sequence left open by the previous fragment.
    while (this.need > 0 && i < end) {
      if (!this.step(bytes[i++])) return (this.valid = false);
    }
    if (i === end) return true;
    // Find where the last, possibly incomplete, sequence starts: a lead byte
    // within the last four bytes whose sequence runs past the end.
    let tail = end;
    for (let j = end - 1; j >= i && j >= end - 4; j--) {
      const b = bytes[j];
      if (b >= 0x80 && b < 0xc0) continue; // continuation byte: keep looking back
      const count = continuationCount(b);
      if (count > 0 && j + count >= end) tail = j;
      break;
    }
    if (tail > i && !isUtf8(bytes.subarray(i, tail))) return (this.valid = false);
    for (let j = tail; j < end; j++) {
      if (!this.step(bytes[j])) return (this.valid = false);
    }
    return true;
  }

  /** One byte through the table above. */
  private step(b: number): boolean {
    if (this.need > 0) {
      if (b < this.lo || b > this.hi) return false;
      this.lo = 0x80;
      this.hi = 0xbf;
      this.need--;
      return true;
    }
    const count = continuationCount(b);
    if (count < 0) return false;
    this.need = count;
    if (b === 0xe0) this.lo = 0xa0;
    else if (b === 0xed) this.hi = 0x9f;
    else if (b === 0xf0) this.lo = 0x90;
    else if (b === 0xf4) this.hi = 0x8f;
    return true;
  }

  /** True when everything fed so far is valid and no sequence is left open. */
  end(): boolean {
    return this.valid && this.need === 0;
  }

  /** Whether a sequence is open (bytes are owed). */
  get pending(): boolean {
    return this.need > 0;
  }

  reset(): void {
    this.need = 0;
    this.lo = 0x80;
    this.hi = 0xbf;
    this.valid = true;
  }
}

/** One-shot strict check of a complete text. */
export function isValidUtf8(bytes: Uint8Array): boolean {
  return isUtf8(bytes);
}
