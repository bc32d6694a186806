/**
 * Shared test helpers for test/sse: run the parser over an input cut at
 * every possible boundary (and byte by byte) and check every cut gives the
 * same result.
 */
import assert from 'node:assert/strict';
import { createParser, type ParserOptions, type ServerSentEvent } from '../../lib/sse/parser.js';
import { everySplit, bytewise } from '../support/random.js';

export interface Parsed {
  events: ServerSentEvent[];
  retries: number[];
  comments: string[];
  errors: string[];
  lastEventId: string;
}

export function parseChunks(chunks: (Uint8Array | string)[], options: ParserOptions = {}, end = true): Parsed {
  const out: Parsed = { events: [], retries: [], comments: [], errors: [], lastEventId: '' };
  const parser = createParser(
    {
      onEvent: (e) => out.events.push(e),
      onRetry: (ms) => out.retries.push(ms),
      onComment: (c) => out.comments.push(c),
      onError: (e) => out.errors.push(e.code),
    },
    options,
  );
  for (const c of chunks) parser.feed(c);
  out.lastEventId = parser.lastEventId;
  if (end) parser.end();
  return out;
}

export function bytesOf(input: string | Uint8Array): Uint8Array {
  return typeof input === 'string' ? new TextEncoder().encode(input) : input;
}

/**
 * Parse `input` whole, split at every boundary into two chunks, and byte by
 * byte; all must equal `expected` (fields left out of `expected` are not checked).
 */
export function parseEverySplit(input: string | Uint8Array, expected: Partial<Parsed>, options: ParserOptions = {}): void {
  const bytes = bytesOf(input);
  const cuts = [...everySplit(bytes), bytewise(bytes)];
  // three pieces too, at a few spread positions, to catch state carried over two boundaries
  for (let i = 1; i < bytes.length - 1; i += Math.max(1, bytes.length >> 3)) {
    cuts.push([bytes.subarray(0, i), bytes.subarray(i, i + 1), bytes.subarray(i + 1)]);
  }
  for (const chunks of cuts) {
    const got = parseChunks(chunks, options);
    const where = `split ${chunks.map((c) => c.length).join('+')}`;
    for (const key of Object.keys(expected) as (keyof Parsed)[]) {
      assert.deepEqual(got[key], expected[key], `${key} differs at ${where}`);
    }
  }
}

export function ev(data: string, type = 'message', lastEventId = ''): ServerSentEvent {
  return { type, data, lastEventId };
}
