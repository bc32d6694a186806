/**
 * barewire/grpc: gRPC over HTTP/2 (node:http2), generic over a message codec,
 * with protobuf-lite descriptors from lib/protobuf.
 *
 *   const server = new Server().addService(Greeter, { SayHello: (req) => ({ message: `hi ${req.name}` }) });
 *   await server.listen(50051);
 *   const client = createClient(Greeter, new Channel('http://127.0.0.1:50051'));
 *   const reply = await client.SayHello({ name: 'you' }, { timeoutMs: 1000 });
 */
export { Status, statusName, statusFromHttp, statusFromRstCode, percentEncode, percentDecode, parseStatus, type StatusCode, type StatusName } from './status.js';
export { GrpcError, isGrpcError } from './errors.js';
export { Metadata, isGrpcContentType, isReservedHeader, type MetadataValue } from './metadata.js';
export { parseTimeout, formatTimeout, type TimeoutParse } from './timeout.js';
export { encodeMessage, MessageDeframer, PREFIX_BYTES, DEFAULT_MAX_RECEIVE_MESSAGE_SIZE, type ReceivedMessage, type DeframeError } from './frame.js';
export { compressMessage, decompressMessage, SUPPORTED_ENCODINGS, ACCEPT_ENCODING, type Encoding } from './compression.js';
export {
  defineService,
  unary,
  serverStreaming,
  clientStreaming,
  bidiStreaming,
  rawCodec,
  jsonCodec,
  withCompression,
  OutgoingMessage,
  type Codec,
  type MethodDefinition,
  type MethodSpec,
  type ServiceDefinition,
} from './service.js';
export {
  Server,
  type ServerOptions,
  type ServerCall,
  type ServiceImplementation,
  type UnaryHandler,
  type ServerStreamingHandler,
  type ClientStreamingHandler,
  type BidiStreamingHandler,
} from './server.js';
export { Channel, ClientCall, createClient, type ChannelOptions, type CallOptions, type CallStatus, type ClientStub } from './client.js';
export { serviceFromProto, loadService, protobufCodec } from './proto.js';
export { HealthService, ServingStatus, healthDefinition, type ServingStatusName } from './health.js';
