/**
 * barewire/websocket: WebSocket (RFC 6455) with permessage-deflate (RFC 7692),
 * server and client, from scratch on node:http / node:net / node:tls.
 *
 *   import { WebSocketServer, WebSocket } from 'barewire/websocket';
 *
 *   const wss = new WebSocketServer({ port: 8080 });
 *   wss.on('connection', (ws) => { ws.onmessage = (e) => ws.send(e.data); });
 *
 *   const ws = new WebSocket('ws://127.0.0.1:8080/');
 *   for await (const data of ws) console.log(data);
 *
 * The sans-I/O core (frame.ts, receiver.ts, close.ts, handshake.ts, the
 * negotiation in deflate.ts) is exported too, for other transports and for
 * learners.
 */
export { WebSocket, type ClientOptions } from './client.js';
export { WebSocketServer, type ServerOptions, type VerifyInfo, type VerifyResult } from './server.js';
export {
  WebSocketConnection,
  type BinaryType,
  type ConnectionOptions,
  type MessageData,
  type SendData,
  type SendOptions,
} from './connection.js';
export { WebSocketEvent, MessageEvent, CloseEvent, ErrorEvent } from './events.js';
export { WebSocketError, type WebSocketErrorCode } from './errors.js';
export { CloseCode, MAX_CLOSE_REASON, isValidCloseCode, encodeClosePayload, decodeClosePayload } from './close.js';
export { Opcode, encodeFrame, writeHeader, headerSize, maskInto, unmask, describeFrame, opcodeName } from './frame.js';
export { Receiver, DEFAULT_MAX_PAYLOAD, DEFAULT_MAX_FRAGMENTS, DEFAULT_MAX_BUFFERED_CHUNKS, type ReceiverHandler, type ReceiverOptions } from './receiver.js';
export {
  acceptKey,
  generateKey,
  isValidKey,
  parseTokenList,
  parseExtensions,
  checkUpgradeRequest,
  checkUpgradeResponse,
  type ExtensionOffer,
} from './handshake.js';
export { acceptOffer, checkAcceptance, clientOffer, DeflateCodec, type DeflateParams, type PerMessageDeflateOptions } from './deflate.js';
