/**
 * Async iteration over a connection's messages, with backpressure:
 *
 *   for await (const data of ws) { ... }
 *
 * Messages wait in a queue until the loop asks for them. When 16 wait
 * unread, the connection stops reading its socket (TCP flow control then
 * slows the peer down); it reads again once the loop has taken half of them.
 * So a slow consumer never makes memory grow without bound.
 */
import type { MessageData, WebSocketConnection } from './connection.js';
import type { MessageEvent } from './events.js';

/** Stop reading when this many messages wait unread. */
export const ITERATOR_HIGH_WATER = 16;

export interface Flow {
  /** Stop reading from the peer. */
  hold(): void;
  /** Read again (undoes one hold). */
  release(): void;
}

export function messageIterator(conn: WebSocketConnection, flow: Flow): AsyncIterableIterator<MessageData> {
  const queue: MessageData[] = [];
  let wake: (() => void) | null = null;
  let ended = conn.readyState === conn.CLOSED;
  let held = false;
  const onMessage = (ev: Event) => {
    queue.push((ev as MessageEvent<MessageData>).data);
    if (!held && queue.length >= ITERATOR_HIGH_WATER) {
      held = true;
      flow.hold();
    }
    wake?.();
  };
  const onClose = () => {
    ended = true;
    wake?.();
  };
  const cleanup = () => {
    conn.removeEventListener('message', onMessage);
    conn.removeEventListener('close', onClose);
    if (held) {
      held = false;
      flow.release();
    }
  };
  conn.addEventListener('message', onMessage);
  conn.addEventListener('close', onClose);
  const iterator: AsyncIterableIterator<MessageData> = {
    async next(): Promise<IteratorResult<MessageData>> {
      for (;;) {
        if (queue.length > 0) {
          const value = queue.shift()!;
          if (held && queue.length < ITERATOR_HIGH_WATER / 2) {
            held = false;
            flow.release();
          }
          return { value, done: false };
        }
        if (ended) {
          cleanup();
          if (conn.error) throw conn.error;
          return { value: undefined, done: true };
        }
        await new Promise<void>((r) => (wake = r));
        wake = null;
      }
    },
    async return(): Promise<IteratorResult<MessageData>> {
      cleanup();
      return { value: undefined, done: true };
    },
    [Symbol.asyncIterator]() {
      return iterator;
    },
  };
  return iterator;
}
