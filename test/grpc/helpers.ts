// Shared fixtures for the gRPC tests: a JSON-codec test service, a server
// and channel that clean up after themselves, and a raw HTTP/2 client for
// sending what a well-behaved gRPC client never would.
import * as http2 from 'node:http2';
import { once } from 'node:events';
import {
  Channel,
  Server,
  bidiStreaming,
  clientStreaming,
  defineService,
  jsonCodec,
  serverStreaming,
  unary,
  rawCodec,
  type ChannelOptions,
  type ServerOptions,
  type ServiceImplementation,
} from '../../lib/grpc/index.js';

const j = jsonCodec<any>();

export const TestSvc = defineService('barewire.test.Echo', {
  Unary: unary(j, j),
  ServerStream: serverStreaming(j, j),
  ClientStream: clientStreaming(j, j),
  Bidi: bidiStreaming(j, j),
  Raw: unary(rawCodec, rawCodec),
  RawStream: serverStreaming(rawCodec, rawCodec),
  RawUpload: clientStreaming(rawCodec, rawCodec),
  Missing: unary(j, j),
});

export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

export interface Fixture {
  server: Server;
  url: string;
  port: number;
  channel: Channel;
  close(): Promise<void>;
}

export async function startServer(
  impl: Partial<ServiceImplementation<typeof TestSvc>>,
  serverOptions: ServerOptions = {},
  channelOptions: ChannelOptions = {},
): Promise<Fixture> {
  const server = new Server(serverOptions).addService(TestSvc, impl);
  const { url, port } = await server.listen(0);
  const channel = new Channel(url, channelOptions);
  return {
    server,
    url,
    port,
    channel,
    async close() {
      channel.close();
      await server.close(1000);
    },
  };
}

export interface RawResponse {
  headers: http2.IncomingHttpHeaders;
  trailers: http2.IncomingHttpHeaders | undefined;
  body: Buffer;
  rstCode: number | undefined;
}

/** Send one request over a plain node:http2 client and collect everything that comes back. */
export async function rawRequest(
  url: string,
  headers: http2.OutgoingHttpHeaders,
  body?: Uint8Array | ((stream: http2.ClientHttp2Stream) => Promise<void> | void),
): Promise<RawResponse> {
  const session = http2.connect(url);
  session.on('error', () => {});
  try {
    const stream = session.request({ ':method': 'POST', 'content-type': 'application/grpc', te: 'trailers', ...headers });
    stream.on('error', () => {});
    const chunks: Buffer[] = [];
    let resHeaders: http2.IncomingHttpHeaders = {};
    let trailers: http2.IncomingHttpHeaders | undefined;
    stream.on('response', (h) => (resHeaders = h));
    stream.on('trailers', (t) => (trailers = t));
    stream.on('data', (c: Buffer) => chunks.push(c));
    const closed = once(stream, 'close');
    if (typeof body === 'function') await body(stream);
    else stream.end(body);
    await closed;
    return { headers: resHeaders, trailers, body: Buffer.concat(chunks), rstCode: stream.rstCode };
  } finally {
    session.destroy();
  }
}

/** The grpc-status of a raw response, wherever it came (trailers or Trailers-Only). */
export function rawStatus(r: RawResponse): { code: number | undefined; message: string | undefined } {
  const src = r.trailers?.['grpc-status'] !== undefined ? r.trailers : r.headers;
  const code = src['grpc-status'];
  return { code: code === undefined ? undefined : Number(code), message: src['grpc-message'] as string | undefined };
}
