// The reference peer, @grpc/grpc-js (devDependency), on the interop protos:
// a TestService server and an interop client written against its API, for
// testing barewire against it in both directions.
import * as grpc from '@grpc/grpc-js';
import * as protoLoader from '@grpc/proto-loader';
import { fileURLToPath } from 'node:url';
import type * as http2 from 'node:http2';
import { MessageDeframer, type ReceivedMessage } from '../../lib/grpc/frame.js';

/**
 * The interop protos as the project was given them: shared/ beside the
 * checkout (as CI lays it), their include root. Tests load them from there,
 * and check that lib/grpc/interop/protos.ts embeds them unchanged.
 */
export const protoRoot = fileURLToPath(new URL('../../../shared/interop/grpc/', import.meta.url));

export function loadInterop(): any {
  const def = protoLoader.loadSync(['grpc/testing/test.proto', 'grpc/health/v1/health.proto'], {
    includeDirs: [protoRoot],
    keepCase: true,
    longs: Number,
    enums: Number,
    defaults: true,
    oneofs: true,
  });
  return grpc.loadPackageDefinition(def);
}

const zeros = (n: number) => Buffer.alloc(n);
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function echoMetadata(call: any): void {
  const md: grpc.Metadata = call.metadata;
  const initial = md.get('x-grpc-test-echo-initial');
  if (initial.length) {
    const out = new grpc.Metadata();
    out.set('x-grpc-test-echo-initial', initial[0]);
    call.sendMetadata(out);
  }
}

function trailing(call: any): grpc.Metadata | undefined {
  const t = (call.metadata as grpc.Metadata).get('x-grpc-test-echo-trailing-bin');
  if (!t.length) return undefined;
  const md = new grpc.Metadata();
  md.set('x-grpc-test-echo-trailing-bin', t[0]);
  return md;
}

/**
 * A grpc-js TestService server. grpc-js servers cannot compress responses
 * (its server always sends the compressed flag 0), so CompressedResponse
 * is not available from it. grpc-js does not expose the compressed flag of
 * received messages either, so for CompressedRequest a tap on its HTTP/2
 * server reads the flags off the wire (with our deframer) and hands them to
 * the handler through a header it adds before grpc-js sees the request.
 */
export async function startGrpcJsServer(): Promise<{ port: number; close(): Promise<void> }> {
  const pkg = loadInterop();
  const server = new grpc.Server();
  const flagsByCall = new Map<string, boolean[]>();
  let nextTap = 0;
  const compressedRequest = (call: any, expect: any, index: number) => {
    if (!expect?.value) return undefined;
    const id = (call.metadata as grpc.Metadata).get('x-tap-id')[0] as string;
    const compressed = flagsByCall.get(id)?.[index];
    return compressed ? undefined : { code: grpc.status.INVALID_ARGUMENT, details: 'expected a compressed request' };
  };
  server.addService(pkg.grpc.testing.TestService.service, {
    EmptyCall(call: any, cb: any) {
      echoMetadata(call);
      cb(null, {}, trailing(call));
    },
    UnaryCall(call: any, cb: any) {
      echoMetadata(call);
      const req = call.request;
      const bad = compressedRequest(call, req.expect_compressed, 0);
      if (bad) return cb({ ...bad, metadata: trailing(call) });
      if (req.response_status && req.response_status.code !== 0) {
        return cb({ code: req.response_status.code, details: req.response_status.message, metadata: trailing(call) });
      }
      cb(null, { payload: { type: 0, body: zeros(req.response_size) } }, trailing(call));
    },
    async StreamingOutputCall(call: any) {
      echoMetadata(call);
      for (const p of call.request.response_parameters) {
        if (p.interval_us) await sleep(p.interval_us / 1000);
        call.write({ payload: { body: zeros(p.size) } });
      }
      call.end(trailing(call));
    },
    StreamingInputCall(call: any, cb: any) {
      echoMetadata(call);
      let sum = 0;
      let bad: any;
      let index = 0;
      call.on('data', (r: any) => {
        bad ??= compressedRequest(call, r.expect_compressed, index++);
        sum += r.payload?.body?.length ?? 0;
      });
      call.on('end', () => (bad ? cb(bad) : cb(null, { aggregated_payload_size: sum })));
      call.on('error', () => {});
    },
    FullDuplexCall(call: any) {
      echoMetadata(call);
      let chain = Promise.resolve();
      let failed = false;
      call.on('data', (r: any) => {
        chain = chain.then(async () => {
          if (failed) return;
          if (r.response_status && r.response_status.code !== 0) {
            failed = true;
            call.emit('error', { code: r.response_status.code, details: r.response_status.message, metadata: trailing(call) });
            return;
          }
          for (const p of r.response_parameters) {
            if (p.interval_us) await sleep(p.interval_us / 1000);
            call.write({ payload: { body: zeros(p.size) } });
          }
        });
      });
      call.on('end', () => chain.then(() => !failed && call.end(trailing(call))));
      call.on('error', () => {});
    },
  });
  const port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
  for (const h2 of (server as any).http2Servers.keys() as Iterable<http2.Http2Server>) {
    h2.prependListener('stream', (stream: http2.ServerHttp2Stream, headers: http2.IncomingHttpHeaders) => {
      const id = String(nextTap++);
      headers['x-tap-id'] = id;
      const flags: boolean[] = [];
      flagsByCall.set(id, flags);
      const deframer = new MessageDeframer({ maxMessageSize: 1 << 30 });
      const out: ReceivedMessage[] = [];
      stream.prependListener('data', (chunk: Buffer) => {
        deframer.push(chunk, out);
        for (const m of out.splice(0)) flags.push(m.compressed);
      });
      stream.once('close', () => setTimeout(() => flagsByCall.delete(id), 1000).unref());
    });
  }
  return {
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.tryShutdown(() => resolve());
        setTimeout(() => {
          server.forceShutdown();
          resolve();
        }, 2000).unref();
      }),
  };
}

function check(ok: unknown, reason: string): asserts ok {
  if (!ok) throw new Error(reason);
}

function checkPayload(res: any, size: number, what: string): void {
  check(res?.payload?.body?.length === size, `${what}: payload ${res?.payload?.body?.length} bytes, expected ${size}`);
}

const unaryP = (client: any, method: string, req: any, md?: grpc.Metadata) =>
  new Promise<any>((resolve, reject) => client[method](req, md ?? new grpc.Metadata(), (err: any, res: any) => (err ? reject(err) : resolve(res))));

function expectCode(p: Promise<unknown>, code: number, message?: string): Promise<void> {
  return p.then(
    () => {
      throw new Error(`call succeeded, expected status ${code}`);
    },
    (e: any) => {
      check(e.code === code, `status ${e.code} (${e.details}), expected ${code}`);
      if (message !== undefined) check(e.details === message, `status message ${JSON.stringify(e.details)}, expected ${JSON.stringify(message)}`);
    },
  );
}

function readAll(call: any): Promise<any[]> {
  return new Promise((resolve, reject) => {
    const out: any[] = [];
    call.on('data', (m: any) => out.push(m));
    call.on('end', () => resolve(out));
    call.on('error', reject);
  });
}

/**
 * The interop client cases on grpc-js. grpc-js cannot see the compressed
 * flag of received messages, so its *server_compressed_* cases check sizes
 * only; per-message compression of requests uses its NoCompress write flag.
 */
export function grpcJsCases(port: number): Record<string, () => Promise<void>> {
  const pkg = loadInterop();
  const T = pkg.grpc.testing.TestService;
  const U = pkg.grpc.testing.UnimplementedService;
  const target = `127.0.0.1:${port}`;
  const insecure = grpc.credentials.createInsecure();
  const plain = new T(target, insecure);
  const gzip = new T(target, insecure, { 'grpc.default_compression_algorithm': 2 });
  const large = (extra: object = {}) => ({ response_size: 314159, payload: { body: zeros(271828) }, ...extra });
  const reqSizes = [27182, 8, 1828, 45904];
  const respSizes = [31415, 9, 2653, 58979];
  const cases: Record<string, () => Promise<void>> = {
    async empty_unary() {
      const res = await unaryP(plain, 'EmptyCall', {});
      check(res && typeof res === 'object', 'no response');
    },
    async large_unary() {
      checkPayload(await unaryP(plain, 'UnaryCall', large()), 314159, 'large_unary');
    },
    async client_compressed_unary() {
      await expectCode(unaryP(plain, 'UnaryCall', large({ expect_compressed: { value: true } })), grpc.status.INVALID_ARGUMENT);
      checkPayload(await unaryP(gzip, 'UnaryCall', large({ expect_compressed: { value: true } })), 314159, 'compressed');
      checkPayload(await unaryP(plain, 'UnaryCall', large({ expect_compressed: { value: false } })), 314159, 'uncompressed');
    },
    async server_compressed_unary() {
      for (const value of [true, false]) checkPayload(await unaryP(plain, 'UnaryCall', large({ response_compressed: { value } })), 314159, 'server_compressed_unary');
    },
    async client_streaming() {
      const res = await new Promise<any>((resolve, reject) => {
        const call = plain.StreamingInputCall((err: any, r: any) => (err ? reject(err) : resolve(r)));
        for (const n of reqSizes) call.write({ payload: { body: zeros(n) } });
        call.end();
      });
      check(res.aggregated_payload_size === 74922, `aggregated ${res.aggregated_payload_size}`);
    },
    async client_compressed_streaming() {
      await expectCode(
        new Promise((resolve, reject) => {
          const call = plain.StreamingInputCall((err: any, r: any) => (err ? reject(err) : resolve(r)));
          call.write({ expect_compressed: { value: true }, payload: { body: zeros(27182) } });
          call.end();
        }),
        grpc.status.INVALID_ARGUMENT,
      );
      const res = await new Promise<any>((resolve, reject) => {
        const call = gzip.StreamingInputCall((err: any, r: any) => (err ? reject(err) : resolve(r)));
        call.write({ expect_compressed: { value: true }, payload: { body: zeros(27182) } });
        call.write({ expect_compressed: { value: false }, payload: { body: zeros(45904) } }, 2 /* WriteFlags.NoCompress */);
        call.end();
      });
      check(res.aggregated_payload_size === 73086, `aggregated ${res.aggregated_payload_size}`);
    },
    async server_streaming() {
      const res = await readAll(plain.StreamingOutputCall({ response_parameters: respSizes.map((size) => ({ size })) }));
      check(res.length === 4, `${res.length} responses`);
      res.forEach((r, i) => checkPayload(r, respSizes[i], `response ${i}`));
    },
    async server_compressed_streaming() {
      const res = await readAll(
        plain.StreamingOutputCall({
          response_parameters: [
            { compressed: { value: true }, size: 31415 },
            { compressed: { value: false }, size: 92653 },
          ],
        }),
      );
      check(res.length === 2, `${res.length} responses`);
      checkPayload(res[0], 31415, 'first');
      checkPayload(res[1], 92653, 'second');
    },
    async ping_pong() {
      const call = plain.FullDuplexCall();
      const got: any[] = [];
      let wake: (() => void) | undefined;
      call.on('data', (m: any) => {
        got.push(m);
        wake?.();
      });
      const done = readAll(call).catch((e) => e);
      for (let i = 0; i < 4; i++) {
        call.write({ response_parameters: [{ size: respSizes[i] }], payload: { body: zeros(reqSizes[i]) } });
        while (got.length <= i) await new Promise<void>((r) => (wake = r));
        checkPayload(got[i], respSizes[i], `ping_pong ${i}`);
      }
      call.end();
      const rest = await done;
      check(Array.isArray(rest), `ping_pong failed: ${rest?.message}`);
      check(got.length === 4, `${got.length} responses`);
    },
    async empty_stream() {
      const call = plain.FullDuplexCall();
      call.end();
      const res = await readAll(call);
      check(res.length === 0, `${res.length} responses`);
    },
    async status_code_and_message() {
      const response_status = { code: 2, message: 'test status message' };
      await expectCode(unaryP(plain, 'UnaryCall', { response_status }), 2, 'test status message');
      const call = plain.FullDuplexCall();
      call.write({ response_status });
      call.end();
      await expectCode(readAll(call), 2, 'test status message');
    },
    async special_status_message() {
      const message = '\t\ntest with whitespace\r\nand Unicode BMP ☺ and non-BMP 😈\t\n';
      await expectCode(unaryP(plain, 'UnaryCall', { response_status: { code: 2, message } }), 2, message);
    },
    async custom_metadata() {
      const md = new grpc.Metadata();
      md.set('x-grpc-test-echo-initial', 'test_initial_metadata_value');
      md.set('x-grpc-test-echo-trailing-bin', Buffer.from([0xab, 0xab, 0xab]));
      const checkMd = (initial: grpc.Metadata | undefined, status: any, what: string) => {
        check(initial?.get('x-grpc-test-echo-initial')[0] === 'test_initial_metadata_value', `${what}: initial metadata missing`);
        const t = status?.metadata?.get('x-grpc-test-echo-trailing-bin')[0];
        check(Buffer.isBuffer(t) && t.toString('hex') === 'ababab', `${what}: trailing metadata ${t?.toString('hex')}`);
      };
      await new Promise<void>((resolve, reject) => {
        let initial: grpc.Metadata | undefined;
        const call = plain.UnaryCall(large(), md, (err: any, res: any) => {
          if (err) return reject(err);
          checkPayload(res, 314159, 'custom_metadata unary');
        });
        call.on('metadata', (m: grpc.Metadata) => (initial = m));
        call.on('status', (s: any) => {
          try {
            checkMd(initial, s, 'UnaryCall');
            resolve();
          } catch (e) {
            reject(e);
          }
        });
      });
      await new Promise<void>((resolve, reject) => {
        let initial: grpc.Metadata | undefined;
        const call = plain.FullDuplexCall(md);
        call.on('metadata', (m: grpc.Metadata) => (initial = m));
        call.on('data', (r: any) => checkPayload(r, 314159, 'custom_metadata duplex'));
        call.on('error', reject);
        call.on('status', (s: any) => {
          try {
            checkMd(initial, s, 'FullDuplexCall');
            resolve();
          } catch (e) {
            reject(e);
          }
        });
        call.write({ response_parameters: [{ size: 314159 }], payload: { body: zeros(271828) } });
        call.end();
      });
    },
    async unimplemented_method() {
      await expectCode(unaryP(plain, 'UnimplementedCall', {}), grpc.status.UNIMPLEMENTED);
    },
    async unimplemented_service() {
      const u = new U(target, insecure);
      try {
        await expectCode(unaryP(u, 'UnimplementedCall', {}), grpc.status.UNIMPLEMENTED);
      } finally {
        u.close();
      }
    },
    async cancel_after_begin() {
      const p = new Promise((resolve, reject) => {
        const call = plain.StreamingInputCall((err: any, r: any) => (err ? reject(err) : resolve(r)));
        call.cancel();
      });
      await expectCode(p, grpc.status.CANCELLED);
    },
    async cancel_after_first_response() {
      const call = plain.FullDuplexCall();
      const p = readAll(call);
      await new Promise<void>((resolve) => {
        call.once('data', (r: any) => {
          checkPayload(r, 31415, 'cancel_after_first_response');
          call.cancel();
          resolve();
        });
        call.write({ response_parameters: [{ size: 31415 }], payload: { body: zeros(27182) } });
      });
      await expectCode(p, grpc.status.CANCELLED);
    },
    async timeout_on_sleeping_server() {
      const call = plain.FullDuplexCall({ deadline: Date.now() + 1 });
      call.write({ payload: { body: zeros(27182) } });
      await expectCode(readAll(call), grpc.status.DEADLINE_EXCEEDED);
    },
  };
  return Object.assign(cases, {
    close() {
      plain.close();
      gzip.close();
    },
  });
}
