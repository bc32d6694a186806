/**
 * grpc.testing.TestService, the interop server, as gRPC's
 * interop-test-descriptions.md §Server describes it, plus
 * grpc.health.v1.Health ("" and grpc.testing.TestService SERVING).
 *
 * Server features implemented: EmptyCall, UnaryCall, StreamingOutputCall,
 * StreamingInputCall, FullDuplexCall, HalfDuplexCall (UnimplementedCall has
 * no handler, so it answers UNIMPLEMENTED), CompressedResponse,
 * CompressedRequest, Echo Status, Echo Metadata, and
 * ResponseParameters.interval_us.
 */
import { GrpcError } from '../errors.js';
import { HealthService } from '../health.js';
import { Metadata } from '../metadata.js';
import { serviceFromProto } from '../proto.js';
import { Server, type ServerCall, type ServerOptions } from '../server.js';
import { withCompression, type OutgoingMessage } from '../service.js';
import { Status } from '../status.js';
import { interopRoot } from './protos.js';

export const ECHO_INITIAL = 'x-grpc-test-echo-initial';
export const ECHO_TRAILING = 'x-grpc-test-echo-trailing-bin';

/** grpc.testing.TestService and grpc.testing.UnimplementedService definitions (protobuf codecs). */
export function testServiceDefinitions() {
  const root = interopRoot();
  return {
    TestService: serviceFromProto(root.lookupService('grpc.testing.TestService')),
    UnimplementedService: serviceFromProto(root.lookupService('grpc.testing.UnimplementedService')),
  };
}

interface Payload {
  type?: number;
  body?: Uint8Array;
}
interface EchoStatus {
  code: number;
  message: string;
}
interface ResponseParameters {
  size: number;
  intervalUs: number;
  compressed?: { value: boolean };
}
interface StreamingOutputCallRequest {
  responseType: number;
  responseParameters: ResponseParameters[];
  payload?: Payload;
  responseStatus?: EchoStatus;
}

/** interop §UnaryCall: a payload of `size` zero bytes, of a type we support (only COMPRESSABLE = 0). */
function payload(type: number, size: number): Payload {
  if (type !== 0) throw new GrpcError(Status.INVALID_ARGUMENT, `response_type ${type} is not supported (only COMPRESSABLE)`);
  if (size < 0) throw new GrpcError(Status.INVALID_ARGUMENT, `response size ${size} is negative`);
  return { type: 0, body: new Uint8Array(size) };
}

/** interop §Echo Metadata: initial metadata back in the headers, trailing-bin back in the trailers. */
function echoMetadata(call: ServerCall): void {
  const initial = call.metadata.get(ECHO_INITIAL);
  if (initial.length) {
    const md = new Metadata();
    for (const v of initial) md.add(ECHO_INITIAL, v);
    call.sendMetadata(md);
  }
  for (const v of call.metadata.get(ECHO_TRAILING)) call.trailers.add(ECHO_TRAILING, v);
}

/** interop §CompressedResponse: compress with gzip when the client accepts it (each response says whether). */
function negotiateCompression(call: ServerCall): void {
  if (call.acceptEncodings.includes('gzip')) call.responseEncoding = 'gzip';
  else if (call.acceptEncodings.includes('deflate')) call.responseEncoding = 'deflate';
}

/** interop §Echo Status: end the call with the status the client asked for. */
function echoStatus(status: EchoStatus | undefined): void {
  if (status && status.code !== 0) throw new GrpcError(status.code, status.message);
}

/** interop §CompressedRequest: expect_compressed set and the request not compressed -> INVALID_ARGUMENT. */
function checkCompressed(expect: { value: boolean } | undefined, call: ServerCall): void {
  if (expect?.value && !call.lastRequestCompressed) {
    throw new GrpcError(Status.INVALID_ARGUMENT, 'expect_compressed is set but the request message was not compressed');
  }
}

function sleepUs(us: number, signal: AbortSignal): Promise<void> {
  if (us <= 0) return Promise.resolve();
  return new Promise((resolve) => {
    const t = setTimeout(done, us / 1000);
    function done() {
      clearTimeout(t);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}

async function* respond(req: StreamingOutputCallRequest, call: ServerCall): AsyncGenerator<OutgoingMessage<{ payload: Payload }>> {
  for (const p of req.responseParameters) {
    await sleepUs(p.intervalUs, call.signal);
    yield withCompression({ payload: payload(req.responseType, p.size) }, p.compressed?.value ?? false);
  }
}

/** The TestService handlers. */
export function testServiceImplementation() {
  return {
    EmptyCall(_req: unknown, call: ServerCall) {
      echoMetadata(call);
      return {};
    },
    UnaryCall(req: { responseType: number; responseSize: number; responseCompressed?: { value: boolean }; responseStatus?: EchoStatus; expectCompressed?: { value: boolean } }, call: ServerCall) {
      echoMetadata(call);
      negotiateCompression(call);
      checkCompressed(req.expectCompressed, call);
      echoStatus(req.responseStatus);
      return withCompression({ payload: payload(req.responseType, req.responseSize) }, req.responseCompressed?.value ?? false);
    },
    async *StreamingOutputCall(req: StreamingOutputCallRequest, call: ServerCall) {
      echoMetadata(call);
      negotiateCompression(call);
      echoStatus(req.responseStatus);
      yield* respond(req, call);
    },
    async StreamingInputCall(reqs: AsyncIterable<{ payload?: Payload; expectCompressed?: { value: boolean } }>, call: ServerCall) {
      echoMetadata(call);
      let aggregatedPayloadSize = 0;
      for await (const r of reqs) {
        checkCompressed(r.expectCompressed, call);
        aggregatedPayloadSize += r.payload?.body?.length ?? 0;
      }
      return { aggregatedPayloadSize };
    },
    async *FullDuplexCall(reqs: AsyncIterable<StreamingOutputCallRequest>, call: ServerCall) {
      echoMetadata(call);
      negotiateCompression(call);
      for await (const r of reqs) {
        echoStatus(r.responseStatus);
        yield* respond(r, call);
      }
    },
    async *HalfDuplexCall(reqs: AsyncIterable<StreamingOutputCallRequest>, call: ServerCall) {
      echoMetadata(call);
      negotiateCompression(call);
      const all: StreamingOutputCallRequest[] = [];
      for await (const r of reqs) all.push(r);
      for (const r of all) {
        echoStatus(r.responseStatus);
        yield* respond(r, call);
      }
    },
  };
}

/** A Server with TestService and Health, not yet listening. */
export function createInteropServer(options: ServerOptions = {}): { server: Server; health: HealthService } {
  const { TestService } = testServiceDefinitions();
  // INTEROP.md §grpc serve: any other name is NOT_FOUND, from Check and from Watch.
  const health = new HealthService({ '': 'SERVING', 'grpc.testing.TestService': 'SERVING' }, { watchUnknown: 'NOT_FOUND' });
  const server = new Server(options).addService(TestService, testServiceImplementation()).addService(health.definition, health.implementation());
  return { server, health };
}
