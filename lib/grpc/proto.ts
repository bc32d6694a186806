/**
 * Service descriptors from protobuf: a parsed .proto service (lib/protobuf)
 * becomes a ServiceDefinition whose codecs are the message types' binary
 * encoding (gRPC PROTOCOL-HTTP2 §Appendix A: Content-Type
 * "application/grpc+proto"; a bare "application/grpc" means protobuf too).
 *
 *   const root = loadProtoFiles(['greeter.proto'], { includeDirs: ['protos'] });
 *   const Greeter = serviceFromProto(root.lookupService('pkg.Greeter'));
 *   server.addService(Greeter, { SayHello: (req) => ({ message: `hi ${req.name}` }) });
 *
 * Decoding failures (DecodeError) surface as INTERNAL "could not parse a
 * received message" from the inbound reader, like any codec's.
 */
import { loadProtoFiles, type MessageType, type Root, type ServiceDescriptor } from '../protobuf/index.js';
import type { Codec, MethodDefinition, ServiceDefinition } from './service.js';

/** The protobuf binary codec of one message type. */
export function protobufCodec<T>(type: MessageType<T>): Codec<T> {
  return {
    serialize: (m) => type.encode(m),
    deserialize: (b) => type.decode(b),
  };
}

/** A ServiceDefinition for a protobuf service descriptor (methods keyed by their .proto names). */
export function serviceFromProto(desc: ServiceDescriptor): ServiceDefinition<Record<string, MethodDefinition>> {
  const methods: Record<string, MethodDefinition> = {};
  for (const m of desc.methods) {
    methods[m.name] = {
      name: m.name,
      service: desc.fullName,
      path: `/${desc.fullName}/${m.name}`,
      requestStream: m.clientStreaming,
      responseStream: m.serverStreaming,
      requestCodec: protobufCodec(m.requestType),
      responseCodec: protobufCodec(m.responseType),
    };
  }
  return { name: desc.fullName, methods };
}

/** Load .proto files and return the ServiceDefinition of `serviceName` (and the Root, for message types). */
export function loadService(files: string | string[], serviceName: string, includeDirs: string[] = []): { service: ServiceDefinition<Record<string, MethodDefinition>>; root: Root } {
  const root = loadProtoFiles(files, { includeDirs });
  return { service: serviceFromProto(root.lookupService(serviceName)), root };
}
