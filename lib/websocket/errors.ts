/**
 * One error type for the whole WebSocket module.
 *
 * Every failure carries two things a program can branch on:
 * - `closeCode`: the close status code (RFC 6455 §7.4) that this side sends
 *   to the peer, or reports, because of it (0 when no close frame is
 *   involved, e.g. a handshake that never completed);
 * - `code`: a stable string naming the exact rule that was broken.
 * A handshake refused by a server also carries the HTTP `status` it answered.
 *
 * Stable codes (documented in docs/websocket.md):
 *
 *   frame layer (RFC 6455 §5)          close code
 *   WS_ERR_RESERVED_BITS               1002  RSV2/RSV3, or RSV1 without permessage-deflate
 *   WS_ERR_RSV1_ON_CONTROL_OR_CONT     1002  RSV1 on a control or continuation frame
 *   WS_ERR_INVALID_OPCODE              1002  opcode 3-7 or 0xB-0xF
 *   WS_ERR_EXPECTED_MASK               1002  server got an unmasked frame
 *   WS_ERR_UNEXPECTED_MASK             1002  client got a masked frame
 *   WS_ERR_CONTROL_FRAGMENTED          1002  control frame with FIN=0
 *   WS_ERR_CONTROL_TOO_LONG            1002  control payload over 125 bytes
 *   WS_ERR_UNEXPECTED_CONTINUATION     1002  continuation with no message open
 *   WS_ERR_EXPECTED_CONTINUATION       1002  new data frame inside a fragmented message
 *   WS_ERR_LENGTH_MSB                  1002  64-bit length with the top bit set
 *   WS_ERR_INVALID_CLOSE_PAYLOAD       1002  close payload of 1 byte
 *   WS_ERR_INVALID_CLOSE_CODE          1002  close code not allowed on the wire
 *   WS_ERR_INVALID_UTF8                1007  text or close reason not UTF-8
 *   WS_ERR_MESSAGE_TOO_BIG             1009  message over maxPayload (inflated too)
 *   WS_ERR_TOO_MANY_FRAGMENTS          1008  more data frames in one message than maxFragments
 *   WS_ERR_TOO_MANY_CHUNKS             1008  more buffered input chunks than maxBufferedChunks
 *   WS_ERR_INFLATE                     1007  compressed data that does not inflate
 *   WS_ERR_HEARTBEAT                   1006  no pong before the next heartbeat
 *
 *   handshake (RFC 6455 §4)            (closeCode 0)
 *   WS_ERR_HANDSHAKE                   the opening handshake failed (status, reason)
 *   WS_ERR_HANDSHAKE_TIMEOUT           no 101 before handshakeTimeout
 *   WS_ERR_CLOSED_BEFORE_OPEN          close() called while connecting
 *   WS_ERR_SOCKET                      the TCP/TLS connection failed
 *
 *   API misuse                         (closeCode 0)
 *   WS_ERR_INVALID_STATE               send()/ping() while not OPEN
 *   WS_ERR_INVALID_CLOSE_ARGS          close(code, reason) with a code or reason that may not be sent
 */
export type WebSocketErrorCode =
  | 'WS_ERR_RESERVED_BITS'
  | 'WS_ERR_RSV1_ON_CONTROL_OR_CONT'
  | 'WS_ERR_INVALID_OPCODE'
  | 'WS_ERR_EXPECTED_MASK'
  | 'WS_ERR_UNEXPECTED_MASK'
  | 'WS_ERR_CONTROL_FRAGMENTED'
  | 'WS_ERR_CONTROL_TOO_LONG'
  | 'WS_ERR_UNEXPECTED_CONTINUATION'
  | 'WS_ERR_EXPECTED_CONTINUATION'
  | 'WS_ERR_LENGTH_MSB'
  | 'WS_ERR_INVALID_CLOSE_PAYLOAD'
  | 'WS_ERR_INVALID_CLOSE_CODE'
  | 'WS_ERR_INVALID_UTF8'
  | 'WS_ERR_MESSAGE_TOO_BIG'
  | 'WS_ERR_TOO_MANY_FRAGMENTS'
  | 'WS_ERR_TOO_MANY_CHUNKS'
  | 'WS_ERR_INFLATE'
  | 'WS_ERR_HEARTBEAT'
  | 'WS_ERR_HANDSHAKE'
  | 'WS_ERR_HANDSHAKE_TIMEOUT'
  | 'WS_ERR_CLOSED_BEFORE_OPEN'
  | 'WS_ERR_SOCKET'
  | 'WS_ERR_INVALID_STATE'
  | 'WS_ERR_INVALID_CLOSE_ARGS';

export class WebSocketError extends Error {
  override name = 'WebSocketError';
  constructor(
    /** Stable string naming the rule (see the table above). */
    readonly code: WebSocketErrorCode,
    message: string,
    /** Close code sent or reported because of this error (0: none). */
    readonly closeCode = 0,
    /** HTTP status of a refused handshake (0: none). */
    readonly status = 0,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** Shorthand for the frame-layer failures: a code, a close code and the reason in words. */
export function protocolError(code: WebSocketErrorCode, closeCode: number, message: string): WebSocketError {
  return new WebSocketError(code, message, closeCode);
}
