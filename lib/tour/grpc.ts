/**
 * The gRPC scenario: one HTTP/2 connection (preface and SETTINGS), a first
 * unary call, a stream of N small unary calls one after another (round
 * trips), a burst of N calls in flight at once as HTTP/2 streams, a
 * server-streaming call, and the channel closed.
 */
import { Root, parseProto } from '../protobuf/index.js';
import { Channel, Server, createClient, serviceFromProto } from '../grpc/index.js';
import { createTraceRecorder } from '../trace/index.js';
import { WireMeter, burstRate, now, smallPayload, timeEach, within, type ScenarioResult } from './measure.js';

const PROTO = `
syntax = "proto3";
package tour;
message Msg { string text = 1; }
message Count { int32 n = 1; }
service Tour {
  rpc Echo (Msg) returns (Msg);
  rpc Stream (Count) returns (stream Msg);
}
`;

export async function grpcScenario(messages: number): Promise<ScenarioResult> {
  const Tour = serviceFromProto(new Root([parseProto(PROTO, 'tour.proto')]).lookupService('tour.Tour'));
  const server = new Server().addService(Tour, {
    Echo: (req: { text: string }) => req,
    Stream: async function* (req: { n: number }) {
      for (let i = 0; i < req.n; i++) yield { text: smallPayload(i) };
    },
  } as never);
  const { url } = await server.listen(0, '127.0.0.1');
  const meter = new WireMeter().watch(server.http2Server!);
  const rec = createTraceRecorder();
  const channel = new Channel(url, { tracer: rec.tracer });
  const client = createClient(Tour, channel) as unknown as {
    Echo(req: { text: string }): Promise<{ text: string }>;
    Stream(req: { n: number }): AsyncIterable<{ text: string }>;
  };
  try {
    const t0 = now();
    await within(client.Echo({ text: 'hello' }), 5000, 'the first call');
    const setupMs = now() - t0;

    const before = meter.total();
    const latencyMs = await timeEach(messages, (i) => client.Echo({ text: smallPayload(i) }), 'a call');
    const bytesPerMessage = (meter.total() - before) / (2 * messages);

    const burstPerSecond = await burstRate(messages, () => Promise.all(Array.from({ length: messages }, (_, i) => client.Echo({ text: smallPayload(i) }))));

    let streamed = 0;
    for await (const _ of client.Stream({ n: Math.min(messages, 10) })) streamed++;
    if (streamed !== Math.min(messages, 10)) throw new Error(`tour: the server stream gave ${streamed} messages`);

    return {
      protocol: 'grpc',
      title: 'gRPC (HTTP/2, protobuf)',
      events: rec.events,
      setupMs,
      latencyMs,
      latencyKind: 'round trip',
      bytesPerMessage,
      burstPerSecond,
      payloadBytes: 16,
      direction: 'both ways (4 call types)',
      browser: 'no (needs a gRPC-Web proxy)',
    };
  } finally {
    channel.close();
    await server.close(1000);
    // Let the session's 'close' (the trace's ending) arrive before the diagram is drawn.
    await new Promise((r) => setTimeout(r, 10));
  }
}
