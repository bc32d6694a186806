/**
 * The interop client test cases, as gRPC's interop-test-descriptions.md
 * §Client describes them: each case runs calls against any TestService
 * server and checks every "Client asserts" line, including the compressed
 * flag of each message in the *_compressed_* cases.
 *
 * A failed check throws InteropFailure with the reason; anything else
 * thrown (a GrpcError where none was expected) fails the case too.
 */
import type { Channel, ClientCall } from '../client.js';
import { GrpcError } from '../errors.js';
import { Metadata } from '../metadata.js';
import { withCompression } from '../service.js';
import { Status, statusName } from '../status.js';
import { ECHO_INITIAL, ECHO_TRAILING, testServiceDefinitions } from './server.js';

export class InteropFailure extends Error {
  override name = 'InteropFailure';
}

function check(ok: unknown, reason: string): asserts ok {
  if (!ok) throw new InteropFailure(reason);
}

const zeros = (n: number) => new Uint8Array(n);

function allZero(b: Uint8Array | undefined): boolean {
  if (!b) return false;
  for (let i = 0; i < b.length; i++) if (b[i] !== 0) return false;
  return true;
}

function checkPayload(res: any, size: number, what: string): void {
  const body: Uint8Array | undefined = res?.payload?.body;
  check(body !== undefined, `${what}: response has no payload`);
  check(body.length === size, `${what}: response payload body is ${body.length} bytes, expected ${size}`);
  check(allZero(body), `${what}: response payload body is not all zeros`);
}

async function expectStatus(p: Promise<unknown>, code: number, what: string, message?: string): Promise<GrpcError> {
  try {
    await p;
  } catch (e) {
    check(e instanceof GrpcError, `${what}: failed with ${(e as Error).message}, not a gRPC status`);
    check(e.code === code, `${what}: status ${e.codeName} (${e.details}), expected ${statusName(code)}`);
    if (message !== undefined) check(e.details === message, `${what}: status message ${JSON.stringify(e.details)}, expected ${JSON.stringify(message)}`);
    return e;
  }
  throw new InteropFailure(`${what}: call succeeded, expected ${statusName(code)}`);
}

async function collect<T>(call: ClientCall<any, T>, flags?: boolean[]): Promise<T[]> {
  const out: T[] = [];
  for await (const m of call) {
    out.push(m);
    flags?.push(call.lastMessageCompressed);
  }
  return out;
}

const REQ_SIZES = [27182, 8, 1828, 45904];
const RESP_SIZES = [31415, 9, 2653, 58979];

type Case = (ch: Channel) => Promise<void>;

function cases(): Record<string, Case> {
  const { TestService: T, UnimplementedService: U } = testServiceDefinitions();
  const m = T.methods;
  const largeRequest = (extra: object = {}) => ({ responseSize: 314159, payload: { body: zeros(271828) }, ...extra });

  return {
    async empty_unary(ch) {
      const res = await ch.unary(m.EmptyCall, {});
      check(res !== null && typeof res === 'object' && Object.keys(res).length === 0, 'empty_unary: response is not an empty message');
    },

    async large_unary(ch) {
      checkPayload(await ch.unary(m.UnaryCall, largeRequest()), 314159, 'large_unary');
    },

    async client_compressed_unary(ch) {
      const opts = { compression: 'gzip' as const };
      await expectStatus(
        ch.unary(m.UnaryCall, withCompression(largeRequest({ expectCompressed: { value: true } }), false), opts),
        Status.INVALID_ARGUMENT,
        'client_compressed_unary probe (uncompressed, expect_compressed=true)',
      );
      checkPayload(await ch.unary(m.UnaryCall, withCompression(largeRequest({ expectCompressed: { value: true } }), true), opts), 314159, 'client_compressed_unary compressed');
      checkPayload(await ch.unary(m.UnaryCall, withCompression(largeRequest({ expectCompressed: { value: false } }), false), opts), 314159, 'client_compressed_unary uncompressed');
    },

    async server_compressed_unary(ch) {
      for (const compressed of [true, false]) {
        const call = ch.call(m.UnaryCall);
        call.write(largeRequest({ responseCompressed: { value: compressed } })).catch(() => {});
        call.end();
        checkPayload(await call.response(), 314159, `server_compressed_unary (response_compressed=${compressed})`);
        check(call.lastMessageCompressed === compressed, `server_compressed_unary: response_compressed=${compressed} but the compressed flag was ${call.lastMessageCompressed ? 1 : 0}`);
      }
    },

    async client_streaming(ch) {
      const call = ch.call(m.StreamingInputCall);
      for (const n of REQ_SIZES) await call.write({ payload: { body: zeros(n) } });
      call.end();
      const res: any = await call.response();
      check(res.aggregatedPayloadSize === 74922, `client_streaming: aggregated_payload_size ${res.aggregatedPayloadSize}, expected 74922`);
    },

    async client_compressed_streaming(ch) {
      const probe = ch.call(m.StreamingInputCall, { compression: 'gzip' });
      probe.write(withCompression({ expectCompressed: { value: true }, payload: { body: zeros(27182) } }, false)).catch(() => {});
      probe.end();
      await expectStatus(probe.response(), Status.INVALID_ARGUMENT, 'client_compressed_streaming probe (uncompressed, expect_compressed=true)');
      const call = ch.call(m.StreamingInputCall, { compression: 'gzip' });
      await call.write(withCompression({ expectCompressed: { value: true }, payload: { body: zeros(27182) } }, true));
      await call.write(withCompression({ expectCompressed: { value: false }, payload: { body: zeros(45904) } }, false));
      call.end();
      const res: any = await call.response();
      check(res.aggregatedPayloadSize === 73086, `client_compressed_streaming: aggregated_payload_size ${res.aggregatedPayloadSize}, expected 73086`);
    },

    async server_streaming(ch) {
      const call = ch.call(m.StreamingOutputCall);
      call.write({ responseParameters: RESP_SIZES.map((size) => ({ size })) }).catch(() => {});
      call.end();
      const res = await collect(call);
      check(res.length === 4, `server_streaming: ${res.length} responses, expected 4`);
      res.forEach((r, i) => checkPayload(r, RESP_SIZES[i], `server_streaming response ${i + 1}`));
    },

    async server_compressed_streaming(ch) {
      const call = ch.call(m.StreamingOutputCall);
      call
        .write({
          responseParameters: [
            { compressed: { value: true }, size: 31415 },
            { compressed: { value: false }, size: 92653 },
          ],
        })
        .catch(() => {});
      call.end();
      const flags: boolean[] = [];
      const res = await collect(call, flags);
      check(res.length === 2, `server_compressed_streaming: ${res.length} responses, expected 2`);
      checkPayload(res[0], 31415, 'server_compressed_streaming response 1');
      checkPayload(res[1], 92653, 'server_compressed_streaming response 2');
      check(flags[0] === true, 'server_compressed_streaming: response 1 (compressed=true) did not have the compressed flag set');
      check(flags[1] === false, 'server_compressed_streaming: response 2 (compressed=false) had the compressed flag set');
    },

    async ping_pong(ch) {
      const call = ch.call(m.FullDuplexCall);
      const it = call[Symbol.asyncIterator]();
      for (let i = 0; i < 4; i++) {
        await call.write({ responseParameters: [{ size: RESP_SIZES[i] }], payload: { body: zeros(REQ_SIZES[i]) } });
        const r = await it.next();
        check(!r.done, `ping_pong: no response ${i + 1}`);
        checkPayload(r.value, RESP_SIZES[i], `ping_pong response ${i + 1}`);
      }
      call.end();
      const last = await it.next();
      check(last.done, 'ping_pong: more than four responses');
    },

    async empty_stream(ch) {
      const call = ch.call(m.FullDuplexCall);
      call.end();
      const res = await collect(call);
      check(res.length === 0, `empty_stream: ${res.length} responses, expected 0`);
    },

    async status_code_and_message(ch) {
      const responseStatus = { code: 2, message: 'test status message' };
      await expectStatus(ch.unary(m.UnaryCall, { responseStatus }), 2, 'status_code_and_message UnaryCall', responseStatus.message);
      const call = ch.call(m.FullDuplexCall);
      call.write({ responseStatus }).catch(() => {});
      call.end();
      await expectStatus(collect(call), 2, 'status_code_and_message FullDuplexCall', responseStatus.message);
    },

    async special_status_message(ch) {
      const message = '\t\ntest with whitespace\r\nand Unicode BMP ☺ and non-BMP 😈\t\n';
      await expectStatus(ch.unary(m.UnaryCall, { responseStatus: { code: 2, message } }), 2, 'special_status_message', message);
    },

    async custom_metadata(ch) {
      const metadata = new Metadata().set(ECHO_INITIAL, 'test_initial_metadata_value').set(ECHO_TRAILING, new Uint8Array([0xab, 0xab, 0xab]));
      const checkEcho = async (call: ClientCall<any, any>, what: string) => {
        const h = await call.headers;
        check(h.first(ECHO_INITIAL) === 'test_initial_metadata_value', `custom_metadata ${what}: initial metadata ${ECHO_INITIAL} is ${JSON.stringify(h.first(ECHO_INITIAL))}`);
        const s = await call.status;
        check(s.code === Status.OK, `custom_metadata ${what}: status ${statusName(s.code)} ${s.details}`);
        const t = s.metadata.first(ECHO_TRAILING);
        check(t instanceof Uint8Array && Buffer.from(t).toString('hex') === 'ababab', `custom_metadata ${what}: trailing ${ECHO_TRAILING} is ${t instanceof Uint8Array ? Buffer.from(t).toString('hex') : String(t)}, expected ababab`);
      };
      const unary = ch.call(m.UnaryCall, { metadata });
      unary.write(largeRequest()).catch(() => {});
      unary.end();
      checkPayload(await unary.response(), 314159, 'custom_metadata UnaryCall');
      await checkEcho(unary, 'UnaryCall');
      const duplex = ch.call(m.FullDuplexCall, { metadata });
      duplex.write({ responseParameters: [{ size: 314159 }], payload: { body: zeros(271828) } }).catch(() => {});
      duplex.end();
      const res = await collect(duplex);
      check(res.length === 1, `custom_metadata FullDuplexCall: ${res.length} responses, expected 1`);
      checkPayload(res[0], 314159, 'custom_metadata FullDuplexCall');
      await checkEcho(duplex, 'FullDuplexCall');
    },

    async unimplemented_method(ch) {
      await expectStatus(ch.unary(m.UnimplementedCall, {}), Status.UNIMPLEMENTED, 'unimplemented_method');
    },

    async unimplemented_service(ch) {
      await expectStatus(ch.unary(U.methods.UnimplementedCall, {}), Status.UNIMPLEMENTED, 'unimplemented_service');
    },

    async cancel_after_begin(ch) {
      const call = ch.call(m.StreamingInputCall);
      await call.opened;
      call.cancel();
      const s = await call.status;
      check(s.code === Status.CANCELLED, `cancel_after_begin: status ${statusName(s.code)} (${s.details}), expected CANCELLED`);
      await expectStatus(call.response(), Status.CANCELLED, 'cancel_after_begin');
    },

    async cancel_after_first_response(ch) {
      const call = ch.call(m.FullDuplexCall);
      const it = call[Symbol.asyncIterator]();
      await call.write({ responseParameters: [{ size: 31415 }], payload: { body: zeros(27182) } });
      const first = await it.next();
      check(!first.done, 'cancel_after_first_response: no first response');
      checkPayload(first.value, 31415, 'cancel_after_first_response');
      call.cancel();
      const s = await call.status;
      check(s.code === Status.CANCELLED, `cancel_after_first_response: status ${statusName(s.code)} (${s.details}), expected CANCELLED`);
    },

    async timeout_on_sleeping_server(ch) {
      const call = ch.call(m.FullDuplexCall, { timeoutMs: 1 });
      call.write({ payload: { body: zeros(27182) } }).catch(() => {});
      await expectStatus(collect(call), Status.DEADLINE_EXCEEDED, 'timeout_on_sleeping_server');
    },
  };
}

/** Case names in the order `all` runs them (INTEROP.md §grpc interop). */
export const INTEROP_CASES = [
  'empty_unary',
  'large_unary',
  'client_streaming',
  'server_streaming',
  'ping_pong',
  'empty_stream',
  'status_code_and_message',
  'special_status_message',
  'custom_metadata',
  'unimplemented_method',
  'unimplemented_service',
  'cancel_after_begin',
  'cancel_after_first_response',
  'timeout_on_sleeping_server',
  'client_compressed_unary',
  'server_compressed_unary',
  'client_compressed_streaming',
  'server_compressed_streaming',
] as const;

export type InteropCase = (typeof INTEROP_CASES)[number];

/** Run one case on `channel`; resolves when it passes, throws (InteropFailure or GrpcError) when it fails. */
export async function runInteropCase(name: InteropCase, channel: Channel): Promise<void> {
  const fn = cases()[name];
  if (!fn) throw new InteropFailure(`unknown test case ${JSON.stringify(name)}`);
  await fn(channel);
}
