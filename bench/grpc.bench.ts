/**
 * gRPC: barewire against @grpc/grpc-js, in one process, interleaved rounds.
 *
 *   node --import tsx bench/run.ts grpc
 *
 * Both sides use the same identity codec (messages are raw bytes), so the
 * rows compare transports, not protobuf codecs:
 * - server rows: the grpc-js client drives a barewire server, then a grpc-js server;
 * - client rows: a barewire client, then a grpc-js client, drive the same grpc-js server
 *   (and, for streaming, also the same barewire server, which sends faster).
 * Unary calls run 64 at a time; server streaming sends 64-byte messages.
 */
import * as grpc from '@grpc/grpc-js';
import { compare } from './harness.js';
import { Channel, Server, createClient, defineService, rawCodec, serverStreaming, unary } from '../lib/grpc/index.js';

const CONCURRENCY = 64;
const UNARY_CALLS = Number(process.env.GRPC_BENCH_CALLS ?? 4000);
const STREAM_MSGS = Number(process.env.GRPC_BENCH_MSGS ?? 40000);
const STREAM_SIZE = 64;

const Bench = defineService('bench.Bench', {
  Echo: unary(rawCodec, rawCodec),
  Stream: serverStreaming(rawCodec, rawCodec),
});

const identity = (b: Buffer) => b;
const jsDefinition: grpc.ServiceDefinition = {
  Echo: { path: '/bench.Bench/Echo', requestStream: false, responseStream: false, requestSerialize: identity, requestDeserialize: identity, responseSerialize: identity, responseDeserialize: identity },
  Stream: { path: '/bench.Bench/Stream', requestStream: false, responseStream: true, requestSerialize: identity, requestDeserialize: identity, responseSerialize: identity, responseDeserialize: identity },
};
const JsClient = grpc.makeGenericClientConstructor(jsDefinition, 'Bench');

/** How many messages a Stream request asks for: its first 4 bytes, big-endian. */
function wantCount(req: Uint8Array): number {
  return ((req[0] << 24) | (req[1] << 16) | (req[2] << 8) | req[3]) >>> 0;
}
function countRequest(n: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
}

async function startBarewire(): Promise<{ port: number; close(): Promise<void> }> {
  const server = new Server().addService(Bench, {
    Echo: (req: Uint8Array) => req,
    async *Stream(req: Uint8Array) {
      const msg = new Uint8Array(STREAM_SIZE);
      for (let i = wantCount(req); i > 0; i--) yield msg;
    },
  });
  const { port } = await server.listen(0);
  return { port, close: () => server.close(1000) };
}

async function startGrpcJs(): Promise<{ port: number; close(): Promise<void> }> {
  const server = new grpc.Server();
  server.addService(jsDefinition, {
    Echo: (call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) => cb(null, call.request),
    Stream: (call: grpc.ServerWritableStream<Buffer, Buffer>) => {
      const msg = Buffer.alloc(STREAM_SIZE);
      let left = wantCount(call.request);
      const pump = () => {
        while (left > 0) {
          left--;
          if (!call.write(msg)) return void call.once('drain', pump);
        }
        call.end();
      };
      pump();
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  return { port, close: () => new Promise((r) => server.tryShutdown(() => r())) };
}

/** Run `total` calls of `one()`, CONCURRENCY at a time. */
async function pool(total: number, one: () => Promise<unknown>): Promise<number> {
  let started = 0;
  const worker = async () => {
    while (started < total) {
      started++;
      await one();
    }
  };
  await Promise.all(Array.from({ length: CONCURRENCY }, worker));
  return total;
}

function jsUnary(client: grpc.Client, payload: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    (client as any).Echo(payload, (err: Error | null, res: Buffer) => (err ? reject(err) : resolve(res))),
  );
}

function jsStream(client: grpc.Client, n: number): Promise<number> {
  return new Promise((resolve, reject) => {
    let got = 0;
    const call = (client as any).Stream(countRequest(n));
    call.on('data', () => got++);
    call.on('end', () => resolve(got));
    call.on('error', reject);
  });
}

async function bwStream(stub: ReturnType<typeof createClient<typeof Bench>>, n: number): Promise<number> {
  let got = 0;
  for await (const _ of stub.Stream(countRequest(n))) got++;
  return got;
}

/**
 * CPU per call, which load on a shared machine disturbs much less than
 * calls/s: process CPU time (client and server together, one process) over
 * a batch of calls, alternating the candidates, the median of 5 batches.
 */
async function cpuPerCall(title: string, candidates: [string, () => Promise<number>][]): Promise<void> {
  const per: number[][] = candidates.map(() => []);
  for (let round = 0; round < 5; round++) {
    for (let i = 0; i < candidates.length; i++) {
      const u0 = process.cpuUsage();
      const ops = await candidates[i][1]();
      const u = process.cpuUsage(u0);
      per[i].push((u.user + u.system) / ops);
    }
  }
  const med = (xs: number[]) => [...xs].sort((a, b) => a - b)[xs.length >> 1];
  console.log(`\n${title}: CPU per call (client + server, median of 5)`);
  for (let i = 0; i < candidates.length; i++) console.log(`  ${candidates[i][0].padEnd(22)} ${med(per[i]).toFixed(0)} µs`);
}

export default async function (): Promise<void> {
  const bw = await startBarewire();
  const js = await startGrpcJs();
  const jsToBw = new JsClient(`127.0.0.1:${bw.port}`, grpc.credentials.createInsecure());
  const jsToJs = new JsClient(`127.0.0.1:${js.port}`, grpc.credentials.createInsecure());
  const bwChannel = new Channel(`127.0.0.1:${js.port}`);
  const bwToJs = createClient(Bench, bwChannel);
  const bwChannel2 = new Channel(`127.0.0.1:${bw.port}`);
  const bwToBw = createClient(Bench, bwChannel2);
  try {
    for (const size of [0, 1024]) {
      const payload = Buffer.alloc(size, 7);
      await compare(
        `grpc server: unary ${size ? '1 KiB' : '0 B'}, 64 concurrent (grpc-js client)`,
        [
          { name: 'barewire server', run: () => pool(UNARY_CALLS, () => jsUnary(jsToBw, payload)) },
          { name: 'grpc-js server', run: () => pool(UNARY_CALLS, () => jsUnary(jsToJs, payload)) },
        ],
        { unit: 'calls/s' },
      );
      await cpuPerCall(`grpc server: unary ${size ? '1 KiB' : '0 B'}, 64 concurrent (grpc-js client)`, [
        ['barewire server', () => pool(UNARY_CALLS, () => jsUnary(jsToBw, payload))],
        ['grpc-js server', () => pool(UNARY_CALLS, () => jsUnary(jsToJs, payload))],
      ]);
      await compare(
        `grpc client: unary ${size ? '1 KiB' : '0 B'}, 64 concurrent (grpc-js server)`,
        [
          { name: 'barewire client', run: () => pool(UNARY_CALLS, () => bwToJs.Echo(payload)) },
          { name: 'grpc-js client', run: () => pool(UNARY_CALLS, () => jsUnary(jsToJs, payload)) },
        ],
        { unit: 'calls/s' },
      );
    }
    await compare(
      'grpc server: server streaming 64 B messages (grpc-js client)',
      [
        { name: 'barewire server', run: () => jsStream(jsToBw, STREAM_MSGS) },
        { name: 'grpc-js server', run: () => jsStream(jsToJs, STREAM_MSGS) },
      ],
      { unit: 'msg/s', bytesPerOp: STREAM_SIZE },
    );
    await compare(
      'grpc client: server streaming 64 B messages (grpc-js server)',
      [
        { name: 'barewire client', run: () => bwStream(bwToJs, STREAM_MSGS) },
        { name: 'grpc-js client', run: () => jsStream(jsToJs, STREAM_MSGS) },
      ],
      { unit: 'msg/s', bytesPerOp: STREAM_SIZE },
    );
    // The grpc-js server's send rate caps the row above; on the faster barewire server the clients themselves are measured.
    await compare(
      'grpc client: server streaming 64 B messages (barewire server)',
      [
        { name: 'barewire client', run: () => bwStream(bwToBw, STREAM_MSGS) },
        { name: 'grpc-js client', run: () => jsStream(jsToBw, STREAM_MSGS) },
      ],
      { unit: 'msg/s', bytesPerOp: STREAM_SIZE },
    );
  } finally {
    bwChannel2.close();
    jsToBw.close();
    jsToJs.close();
    bwChannel.close();
    await bw.close();
    await js.close();
  }
}
