/**
 * Service descriptors: what a server implements and a client calls.
 *
 * gRPC PROTOCOL-HTTP2 §Requests: Path → ":path" "/" Service-Name "/" {method name},
 * and Appendix A: Service-Name → ?( {proto package name} "." ) {service name}.
 *
 * The transport is generic over a codec per method (bytes <-> message),
 * so the same server and client carry protobuf (lib/protobuf), JSON or raw
 * bytes. A descriptor comes from a parsed .proto (see proto.ts) or is
 * written in TypeScript with defineService().
 */

/** Turns one message into bytes and back. Throwing from deserialize fails the call with INTERNAL. */
export interface Codec<T> {
  serialize(message: T): Uint8Array;
  deserialize(bytes: Uint8Array): T;
}

export interface MethodSpec<Req = any, Res = any, CS extends boolean = boolean, SS extends boolean = boolean> {
  /** The client sends a stream of requests. */
  requestStream: CS;
  /** The server sends a stream of responses. */
  responseStream: SS;
  requestCodec: Codec<Req>;
  responseCodec: Codec<Res>;
}

export interface MethodDefinition<Req = any, Res = any, CS extends boolean = boolean, SS extends boolean = boolean>
  extends MethodSpec<Req, Res, CS, SS> {
  /** The method's name as declared ("UnaryCall"). */
  name: string;
  /** The service's full name ("grpc.testing.TestService"). */
  service: string;
  /** The HTTP/2 :path, "/grpc.testing.TestService/UnaryCall". */
  path: string;
}

export interface ServiceDefinition<M extends Record<string, MethodSpec> = Record<string, MethodSpec>> {
  /** Full name, with the package: "grpc.testing.TestService". */
  name: string;
  methods: { [K in keyof M]: MethodDefinition<ReqOf<M[K]>, ResOf<M[K]>, M[K]['requestStream'], M[K]['responseStream']> };
}

export type ReqOf<M> = M extends MethodSpec<infer Req, any, any, any> ? Req : never;
export type ResOf<M> = M extends MethodSpec<any, infer Res, any, any> ? Res : never;

/** Describe a service in TypeScript: `defineService('pkg.Greeter', { SayHello: unary(reqCodec, resCodec) })`. */
export function defineService<M extends Record<string, MethodSpec>>(name: string, methods: M): ServiceDefinition<M> {
  const out: Record<string, MethodDefinition> = {};
  for (const [method, spec] of Object.entries(methods)) {
    out[method] = { ...spec, name: method, service: name, path: `/${name}/${method}` };
  }
  return { name, methods: out as ServiceDefinition<M>['methods'] };
}

/** A unary method spec. */
export function unary<Req, Res>(requestCodec: Codec<Req>, responseCodec: Codec<Res>): MethodSpec<Req, Res, false, false> {
  return { requestStream: false, responseStream: false, requestCodec, responseCodec };
}

/** A server-streaming method spec. */
export function serverStreaming<Req, Res>(requestCodec: Codec<Req>, responseCodec: Codec<Res>): MethodSpec<Req, Res, false, true> {
  return { requestStream: false, responseStream: true, requestCodec, responseCodec };
}

/** A client-streaming method spec. */
export function clientStreaming<Req, Res>(requestCodec: Codec<Req>, responseCodec: Codec<Res>): MethodSpec<Req, Res, true, false> {
  return { requestStream: true, responseStream: false, requestCodec, responseCodec };
}

/** A bidirectional-streaming method spec. */
export function bidiStreaming<Req, Res>(requestCodec: Codec<Req>, responseCodec: Codec<Res>): MethodSpec<Req, Res, true, true> {
  return { requestStream: true, responseStream: true, requestCodec, responseCodec };
}

/** Messages that are their own bytes. */
export const rawCodec: Codec<Uint8Array> = {
  serialize: (m) => m,
  deserialize: (b) => b,
};

/** JSON text as UTF-8 (handy for tests and for services without a schema). */
export function jsonCodec<T = unknown>(): Codec<T> {
  return {
    serialize: (m) => Buffer.from(JSON.stringify(m)),
    deserialize: (b) => JSON.parse(Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('utf8')) as T,
  };
}

/**
 * A message to send together with how to send it: `compress: false` sends
 * this one message uncompressed even when the call has a grpc-encoding;
 * `compress: true` compresses it (when the call has an encoding).
 */
export class OutgoingMessage<T> {
  constructor(
    readonly message: T,
    readonly compress: boolean,
  ) {}
}

/** Mark a response (or request) for per-message compression. */
export function withCompression<T>(message: T, compress: boolean): OutgoingMessage<T> {
  return new OutgoingMessage(message, compress);
}
