/**
 * The interop .proto sources, embedded so `barewire grpc serve|interop` work
 * from the npm package (which ships only dist/). Copied unchanged from
 * shared/interop/grpc/ (their include root: imports read "grpc/testing/...").
 */
import { Root, parseProto } from '../../protobuf/index.js';

/** Path (relative to the include root) -> .proto source. */
export const INTEROP_PROTOS: Record<string, string> = {
  'grpc/testing/empty.proto': `// grpc.testing.Empty, as in grpc/grpc src/proto/grpc/testing/empty.proto.
syntax = "proto3";

package grpc.testing;

// An empty message; EmptyCall takes and returns it.
message Empty {}
`,
  'grpc/testing/messages.proto': `// Messages of the gRPC interop TestService, as in grpc/grpc
// src/proto/grpc/testing/messages.proto. Names and field numbers are the
// upstream ones; messages and fields that no interop test case used by
// barewire needs are left out (the numbers they take upstream stay unused).
syntax = "proto3";

package grpc.testing;

// Wrapper so that "unset" and "false" can be told apart.
message BoolValue {
  bool value = 1;
}

// The type of payload that should be returned.
enum PayloadType {
  // Compressable text format.
  COMPRESSABLE = 0;
}

// A block of data, to simply increase gRPC message size.
message Payload {
  PayloadType type = 1;
  bytes body = 2;
}

// A status the client asks the server to end the call with.
message EchoStatus {
  int32 code = 1;
  string message = 2;
}

// Unary request. (Upstream fields 4, 5 and 9-11 are left out.)
message SimpleRequest {
  // Desired payload type in the response.
  PayloadType response_type = 1;
  // Desired payload size in the response, in bytes.
  int32 response_size = 2;
  // Optional input payload.
  Payload payload = 3;
  // Whether the server should compress the response.
  BoolValue response_compressed = 6;
  // If set, the server ends the call with this status.
  EchoStatus response_status = 7;
  // Whether the server should expect this request to be compressed.
  BoolValue expect_compressed = 8;
}

// Unary response. (Upstream fields 2-6 are left out.)
message SimpleResponse {
  Payload payload = 1;
}

// Client-streaming request.
message StreamingInputCallRequest {
  Payload payload = 1;
  // Whether the server should expect this request to be compressed.
  BoolValue expect_compressed = 2;
}

// Client-streaming response.
message StreamingInputCallResponse {
  // Sum of the payload body sizes received from the client.
  int32 aggregated_payload_size = 1;
}

// Configuration for one response of a streaming call.
message ResponseParameters {
  // Payload body size of this response, in bytes.
  int32 size = 1;
  // Delay before sending this response, in microseconds.
  int32 interval_us = 2;
  // Whether the server should compress this response.
  BoolValue compressed = 3;
}

// Server-streaming (and bidi) request. (Upstream field 8 is left out.)
message StreamingOutputCallRequest {
  PayloadType response_type = 1;
  // One response per entry, in order.
  repeated ResponseParameters response_parameters = 2;
  // Optional input payload.
  Payload payload = 3;
  // If set, the server ends the call with this status.
  EchoStatus response_status = 7;
}

// Server-streaming (and bidi) response.
message StreamingOutputCallResponse {
  Payload payload = 1;
}
`,
  'grpc/testing/test.proto': `// The gRPC interop test services, as in grpc/grpc
// src/proto/grpc/testing/test.proto (CacheableUnaryCall and
// ReconnectService are left out).
syntax = "proto3";

import "grpc/testing/empty.proto";
import "grpc/testing/messages.proto";

package grpc.testing;

service TestService {
  // One empty request followed by one empty response.
  rpc EmptyCall(grpc.testing.Empty) returns (grpc.testing.Empty);

  // One request followed by one response.
  rpc UnaryCall(SimpleRequest) returns (SimpleResponse);

  // One request followed by a sequence of responses (streamed download).
  rpc StreamingOutputCall(StreamingOutputCallRequest)
      returns (stream StreamingOutputCallResponse);

  // A sequence of requests followed by one response (streamed upload).
  rpc StreamingInputCall(stream StreamingInputCallRequest)
      returns (StreamingInputCallResponse);

  // Each request is answered as it arrives (full duplex).
  rpc FullDuplexCall(stream StreamingOutputCallRequest)
      returns (stream StreamingOutputCallResponse);

  // All requests are buffered until the client half-closes, then answered
  // in order.
  rpc HalfDuplexCall(stream StreamingOutputCallRequest)
      returns (stream StreamingOutputCallResponse);

  // Not implemented by servers: calls answer UNIMPLEMENTED.
  rpc UnimplementedCall(grpc.testing.Empty) returns (grpc.testing.Empty);
}

// A service that no server implements.
service UnimplementedService {
  rpc UnimplementedCall(grpc.testing.Empty) returns (grpc.testing.Empty);
}
`,
  'grpc/health/v1/health.proto': `// gRPC health checking protocol, as in grpc/grpc-proto
// grpc/health/v1/health.proto (List is left out).
syntax = "proto3";

package grpc.health.v1;

message HealthCheckRequest {
  // Service name; "" asks about the server as a whole.
  string service = 1;
}

message HealthCheckResponse {
  enum ServingStatus {
    UNKNOWN = 0;
    SERVING = 1;
    NOT_SERVING = 2;
    SERVICE_UNKNOWN = 3;  // Used only by the Watch method.
  }
  ServingStatus status = 1;
}

service Health {
  // Health of one service, or of the server ("" service). Unknown
  // services fail with NOT_FOUND.
  rpc Check(HealthCheckRequest) returns (HealthCheckResponse);

  // Streams the serving status: the current one at once, then each change.
  rpc Watch(HealthCheckRequest) returns (stream HealthCheckResponse);
}
`,
};

let root: Root | undefined;

/** The parsed interop protos (grpc.testing.* and grpc.health.v1.*), built once. */
export function interopRoot(): Root {
  root ??= new Root(Object.entries(INTEROP_PROTOS).map(([name, src]) => parseProto(src, name)));
  return root;
}
