// Services described by .proto files (lib/protobuf) and typed stubs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { Channel, Server, createClient, loadService, serviceFromProto, protobufCodec } from '../../lib/grpc/index.js';
import { interopRoot } from '../../lib/grpc/interop/protos.js';
import { protoRoot } from './grpcjs.js';

const protos = protoRoot;

test('gRPC PROTOCOL-HTTP2 §Appendix A: a .proto service becomes /package.Service/Method paths with protobuf codecs', async () => {
  const { service, root } = loadService(['grpc/testing/test.proto'], 'grpc.testing.TestService', [protos]);
  assert.equal(service.name, 'grpc.testing.TestService');
  const m = service.methods.StreamingInputCall;
  assert.equal(m.path, '/grpc.testing.TestService/StreamingInputCall');
  assert.equal(m.requestStream, true);
  assert.equal(m.responseStream, false);
  assert.equal(service.methods.FullDuplexCall.responseStream, true);
  const SimpleRequest = root.lookupType('grpc.testing.SimpleRequest');
  const codec = protobufCodec(SimpleRequest);
  const bytes = codec.serialize({ responseSize: 5 });
  assert.deepEqual([...bytes], [0x10, 0x05], 'field 2 varint 5');
  assert.equal(codec.deserialize(bytes).responseSize, 5);

  const server = new Server().addService(service, {
    UnaryCall: (req: any) => ({ payload: { body: new Uint8Array(req.responseSize) } }),
  });
  const { url } = await server.listen(0);
  const channel = new Channel(url);
  try {
    const client = createClient(service, channel);
    const res = await (client.UnaryCall as (r: unknown) => Promise<any>)({ responseSize: 3 });
    assert.deepEqual([...res.payload.body], [0, 0, 0]);
  } finally {
    channel.close();
    await server.close(1000);
  }
});

test('gRPC PROTOCOL-HTTP2 §Appendix A: the embedded interop protos give the same descriptors as the files', () => {
  const fromFiles = loadService(['grpc/testing/test.proto'], 'grpc.testing.TestService', [protos]).service;
  const embedded = serviceFromProto(interopRoot().lookupService('grpc.testing.TestService'));
  const shape = (s: typeof fromFiles) => Object.values(s.methods).map((m) => [m.path, m.requestStream, m.responseStream]);
  assert.deepEqual(shape(embedded), shape(fromFiles));
});

test('gRPC PROTOCOL-HTTP2 §Appendix A: typed stubs from TypeScript protobuf schemas (defineMessage + defineService)', async () => {
  const { defineMessage } = await import('../../lib/protobuf/index.js');
  const { defineService, unary, bidiStreaming } = await import('../../lib/grpc/index.js');
  const HelloRequest = defineMessage('demo.HelloRequest', { name: { no: 1, type: 'string' } });
  const HelloReply = defineMessage('demo.HelloReply', { message: { no: 1, type: 'string' }, count: { no: 2, type: 'int64' } });
  const Greeter = defineService('demo.Greeter', {
    SayHello: unary(protobufCodec(HelloRequest), protobufCodec(HelloReply)),
    Chat: bidiStreaming(protobufCodec(HelloRequest), protobufCodec(HelloReply)),
  });
  let n = 0n;
  const server = new Server().addService(Greeter, {
    SayHello: (req) => ({ message: `hello ${req.name}`, count: ++n }),
    async *Chat(reqs) {
      for await (const r of reqs) yield { message: r.name.toUpperCase(), count: ++n };
    },
  });
  const { url } = await server.listen(0);
  const channel = new Channel(url);
  try {
    const client = createClient(Greeter, channel);
    const reply = await client.SayHello({ name: 'you' });
    // Typed: reply.message is a string and reply.count a bigint, checked by tsc.
    const text: string = reply.message;
    const count: bigint = reply.count;
    assert.equal(text, 'hello you');
    assert.equal(count, 1n);
    const chat = client.Chat();
    await chat.write({ name: 'a' });
    chat.end();
    const all = [];
    for await (const m of chat) all.push(m.message);
    assert.deepEqual(all, ['A']);
  } finally {
    channel.close();
    await server.close(1000);
  }
});
