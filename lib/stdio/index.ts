/**
 * barewire/stdio: JSON-RPC 2.0 between processes over stdin and stdout.
 *
 * - framing.ts   NDJSON and Content-Length framing (pure, incremental)
 * - jsonrpc.ts   JSON-RPC 2.0 messages: parse, classify, build (pure)
 * - pending.ts   outgoing requests waiting for answers: ids, timeouts, aborts
 * - handlers.ts  incoming requests and notifications: handlers, cancellation
 * - peer.ts      a peer over any readable/writable pair: requests both ways,
 *                batches, limits, backpressure
 * - process.ts   a child process as a peer: spawn without a shell, stderr
 *                lines, graceful shutdown, no orphans
 * - serve.ts     serving on this process's own stdin/stdout
 * - errors.ts    StdioError: JSON-RPC code + stable string code
 *
 *   const child = spawnPeer('node', ['server.js'], { framing: 'content-length' });
 *   await child.ready;
 *   console.log(await child.request('subtract', [42, 23])); // 19
 *   await child.shutdown();
 */
export { ErrorCodes, ERROR_MESSAGES, StdioError, invalidParams, codeForRpcCode, type StdioErrorCode } from './errors.js';
export {
  createDecoder,
  encodeMessage,
  encodeNdjson,
  encodeContentLength,
  DEFAULT_MAX_MESSAGE_BYTES,
  MAX_HEADER_BYTES,
  type Framing,
  type FrameDecoder,
  type FrameDiagnostic,
  type FrameDiagnosticCode,
  type DecoderOptions,
} from './framing.js';
export {
  parseText,
  classify,
  requestMessage,
  notificationMessage,
  resultResponse,
  errorResponse,
  errorObject,
  parseErrorResponse,
  invalidRequestResponse,
  type Id,
  type Params,
  type ErrorObject,
  type Message,
  type RequestMessage,
  type NotificationMessage,
  type ResponseMessage,
  type Incoming,
  type Parsed,
} from './jsonrpc.js';
export {
  JsonRpcPeer,
  type PeerOptions,
  type RequestContext,
  type RequestHandler,
  type NotificationHandler,
  type CallOptions,
  type BatchCall,
  type Settled,
  type Diagnostic,
  type DiagnosticCode,
} from './peer.js';
export { ChildPeer, spawnPeer, type SpawnOptions, type ExitInfo, type ShutdownOptions, type ShutdownResult } from './process.js';
export { serveStdio, demoMethods, type ServeOptions, type Served } from './serve.js';
