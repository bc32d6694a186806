// The sans-I/O parts of barewire/grpc: framing, grpc-timeout, status tables,
// percent-encoding, metadata rules, compression bounds. No sockets here.
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { gzipSync, deflateSync } from 'node:zlib';
import { MessageDeframer, encodeMessage, type ReceivedMessage } from '../../lib/grpc/frame.js';
import { parseTimeout, formatTimeout } from '../../lib/grpc/timeout.js';
import {
  Status,
  statusName,
  statusFromHttp,
  statusFromRstCode,
  percentEncode,
  percentDecode,
  parseStatus,
  http2ErrorName,
} from '../../lib/grpc/status.js';
import { Metadata, isReservedHeader, isGrpcContentType, encodeBinaryValue, decodeBinaryValue } from '../../lib/grpc/metadata.js';
import { compressMessage, decompressMessage, parseAcceptEncoding, isSupportedEncoding } from '../../lib/grpc/compression.js';
import { GrpcError, internalFrom, isGrpcError } from '../../lib/grpc/errors.js';
import { Inbound } from '../../lib/grpc/inbound.js';
import { jsonCodec, rawCodec, defineService, unary, withCompression, OutgoingMessage } from '../../lib/grpc/service.js';
import { Rand, testSeed, bytewise, hex, toHex } from '../support/random.js';

function deframeAll(d: MessageDeframer, chunks: Uint8Array[]): { msgs: ReceivedMessage[]; err?: { status: number; reason: string } } {
  const msgs: ReceivedMessage[] = [];
  for (const c of chunks) {
    const err = d.push(c, msgs);
    if (err) return { msgs, err };
  }
  return { msgs };
}

describe('length-prefixed messages', () => {
  test('gRPC PROTOCOL-HTTP2 §Requests: Length-Prefixed-Message is flag byte, 4-byte big-endian length, message', () => {
    assert.equal(toHex(encodeMessage(hex('0a0b0c'))), '00000000030a0b0c');
    assert.equal(toHex(encodeMessage(hex('ff'), true)), '0100000001ff');
    assert.equal(toHex(encodeMessage(new Uint8Array(0))), '0000000000');
    const big = encodeMessage(new Uint8Array(0x010203));
    assert.equal(toHex(big.subarray(0, 5)), '0000010203');
  });

  test('gRPC PROTOCOL-HTTP2 §Data Frames: messages are reassembled whatever the DATA boundaries (byte at a time)', () => {
    const wire = Buffer.concat([encodeMessage(hex('0102')), encodeMessage(new Uint8Array(0)), encodeMessage(hex('aabbcc'), true)]);
    const { msgs, err } = deframeAll(new MessageDeframer(), bytewise(wire));
    assert.equal(err, undefined);
    assert.deepEqual(
      msgs.map((m) => [m.compressed, toHex(m.data)]),
      [
        [false, '0102'],
        [false, ''],
        [true, 'aabbcc'],
      ],
    );
  });

  test('gRPC PROTOCOL-HTTP2 §Data Frames: random splits of many messages give the same messages', () => {
    const rand = new Rand(testSeed('grpc deframer random splits'));
    for (let round = 0; round < 200; round++) {
      const payloads = Array.from({ length: rand.range(1, 6) }, () => rand.bytes(rand.range(0, 300)));
      const wire = Buffer.concat(payloads.map((p) => encodeMessage(p, rand.bool())));
      const { msgs, err } = deframeAll(new MessageDeframer(), rand.split(wire, 12));
      assert.equal(err, undefined);
      assert.deepEqual(msgs.map((m) => toHex(m.data)), payloads.map(toHex));
    }
  });

  test('advisory §CVE-2024-37168: a length prefix over the receive limit is refused from the 5-byte prefix alone', () => {
    const d = new MessageDeframer({ maxMessageSize: 1024 });
    const msgs: ReceivedMessage[] = [];
    // Only the prefix arrives: 0xffffffff bytes announced, nothing buffered.
    const err = d.push(hex('00ffffffff'), msgs);
    assert.equal(err?.status, Status.RESOURCE_EXHAUSTED);
    assert.match(err!.reason, /over the 1 KiB receive limit/);
    assert.equal(d.buffered, 0);
    // The failure is sticky: later bytes are not parsed as a new prefix.
    assert.equal(d.push(encodeMessage(hex('01')), msgs)?.status, Status.RESOURCE_EXHAUSTED);
    assert.equal(msgs.length, 0);
  });

  test('gRPC PROTOCOL-HTTP2 §Requests: a message of exactly the receive limit is accepted, one byte more is not', () => {
    const ok = deframeAll(new MessageDeframer({ maxMessageSize: 16 }), [encodeMessage(new Uint8Array(16))]);
    assert.equal(ok.err, undefined);
    assert.equal(ok.msgs[0].data.length, 16);
    const over = deframeAll(new MessageDeframer({ maxMessageSize: 16 }), [encodeMessage(new Uint8Array(17)).subarray(0, 5)]);
    assert.equal(over.err?.status, Status.RESOURCE_EXHAUSTED);
  });

  test('gRPC PROTOCOL-HTTP2 §Requests: a Compressed-Flag other than 0 or 1 is a malformed prefix (INTERNAL)', () => {
    for (const flag of ['02', '80', 'ff']) {
      const { err } = deframeAll(new MessageDeframer(), [hex(flag + '0000000000')]);
      assert.equal(err?.status, Status.INTERNAL, flag);
      assert.match(err!.reason, /neither 0 nor 1/);
    }
  });

  test('gRPC PROTOCOL-HTTP2 §Requests: the default receive limit is 4 MiB', () => {
    assert.equal(new MessageDeframer().maxMessageSize, 4 * 1024 * 1024);
  });
});

describe('grpc-timeout', () => {
  test('gRPC PROTOCOL-HTTP2 §Requests: TimeoutUnit H M S m u n convert to milliseconds', () => {
    const cases: [string, number][] = [
      ['1H', 3_600_000],
      ['2M', 120_000],
      ['3S', 3000],
      ['40m', 40],
      ['5000u', 5],
      ['7000000n', 7],
      ['0m', 0],
      ['99999999S', 99_999_999_000],
    ];
    for (const [v, ms] of cases) assert.deepEqual(parseTimeout(v), { ok: true, ms }, v);
  });

  test('gRPC PROTOCOL-HTTP2 §Requests: TimeoutValue has at most 8 digits; more, no digits, signs or unknown units are malformed', () => {
    for (const bad of ['123456789S', '', 'S', '1', '1s', '1h', '-1S', '+1S', '1.5S', ' 1S', '1S ', '1 S', '1x', '١S', '1SS']) {
      const r = parseTimeout(bad);
      assert.equal(r.ok, false, JSON.stringify(bad));
    }
  });

  test('gRPC PROTOCOL-HTTP2 §Requests: formatTimeout picks the finest unit that fits 8 digits and never shortens a deadline', () => {
    assert.equal(formatTimeout(1), '1000000n');
    assert.equal(formatTimeout(0.0005), '500n');
    assert.equal(formatTimeout(99.999999), '99999999n');
    assert.equal(formatTimeout(100), '100000u');
    assert.equal(formatTimeout(100_000), '100000m');
    assert.equal(formatTimeout(100_000_000), '100000S');
    assert.equal(formatTimeout(0), '1n');
    assert.equal(formatTimeout(-5), '1n');
    assert.equal(formatTimeout(1e14), '27777778H');
    assert.equal(formatTimeout(1e20), '99999999H');
    const rand = new Rand(testSeed('grpc-timeout round trip'));
    for (let i = 0; i < 1000; i++) {
      const ms = rand.next() * 10 ** rand.range(-3, 12);
      const v = formatTimeout(ms);
      assert.ok(v.length <= 9, v);
      const back = parseTimeout(v);
      assert.ok(back.ok && back.ms >= ms - 1e-9, `${ms} -> ${v}`);
    }
  });
});

describe('status', () => {
  test('gRPC statuscodes §Status codes: the 17 canonical codes 0..16 with their names', () => {
    const names = [
      'OK',
      'CANCELLED',
      'UNKNOWN',
      'INVALID_ARGUMENT',
      'DEADLINE_EXCEEDED',
      'NOT_FOUND',
      'ALREADY_EXISTS',
      'PERMISSION_DENIED',
      'RESOURCE_EXHAUSTED',
      'FAILED_PRECONDITION',
      'ABORTED',
      'OUT_OF_RANGE',
      'UNIMPLEMENTED',
      'INTERNAL',
      'UNAVAILABLE',
      'DATA_LOSS',
      'UNAUTHENTICATED',
    ];
    assert.equal(Object.keys(Status).length, 17);
    names.forEach((n, i) => {
      assert.equal(statusName(i), n);
      assert.equal((Status as Record<string, number>)[n], i);
    });
    assert.equal(statusName(17), 'CODE_17');
  });

  test('gRPC http-grpc-status-mapping §HTTP to gRPC: HTTP statuses map as the table says', () => {
    const table: [number, number][] = [
      [400, Status.INTERNAL],
      [401, Status.UNAUTHENTICATED],
      [403, Status.PERMISSION_DENIED],
      [404, Status.UNIMPLEMENTED],
      [429, Status.UNAVAILABLE],
      [502, Status.UNAVAILABLE],
      [503, Status.UNAVAILABLE],
      [504, Status.UNAVAILABLE],
      [500, Status.UNKNOWN],
      [418, Status.UNKNOWN],
      [301, Status.UNKNOWN],
    ];
    for (const [http, grpc] of table) assert.equal(statusFromHttp(http), grpc, String(http));
  });

  test('gRPC PROTOCOL-HTTP2 §Errors: RST_STREAM codes map to statuses', () => {
    assert.equal(statusFromRstCode(0), Status.INTERNAL);
    assert.equal(statusFromRstCode(1), Status.INTERNAL);
    assert.equal(statusFromRstCode(2), Status.INTERNAL);
    assert.equal(statusFromRstCode(7), Status.UNAVAILABLE);
    assert.equal(statusFromRstCode(8), Status.CANCELLED);
    assert.equal(statusFromRstCode(11), Status.RESOURCE_EXHAUSTED);
    assert.equal(statusFromRstCode(12), Status.PERMISSION_DENIED);
    assert.equal(http2ErrorName(11), 'ENHANCE_YOUR_CALM');
    assert.equal(http2ErrorName(0x99), '0x99');
  });

  test('gRPC PROTOCOL-HTTP2 §Responses: grpc-status is decimal without leading zeros', () => {
    assert.equal(parseStatus('0'), 0);
    assert.equal(parseStatus('16'), 16);
    assert.equal(parseStatus('99'), 99);
    for (const bad of [undefined, '', '01', '-1', ' 1', '1a', 'OK', '12345678901']) assert.equal(parseStatus(bad), undefined, String(bad));
  });

  test('gRPC PROTOCOL-HTTP2 §Responses: grpc-message percent-encodes bytes outside space..~ and %, as UTF-8', () => {
    assert.equal(percentEncode('plain text'), 'plain text');
    assert.equal(percentEncode('100%'), '100%25');
    assert.equal(percentEncode('\t\ntest with whitespace\r\nand Unicode BMP ☺ and non-BMP 😈\t\n'), '%09%0Atest with whitespace%0D%0Aand Unicode BMP %E2%98%BA and non-BMP %F0%9F%98%88%09%0A');
    const rand = new Rand(testSeed('percent-encoding round trip'));
    for (let i = 0; i < 300; i++) {
      const s = String.fromCodePoint(...Array.from({ length: rand.range(0, 20) }, () => rand.pick([0x20, 0x25, 0x7e, 0x0a, 0x41, 0xe9, 0x263a, 0x1f608])));
      const enc = percentEncode(s);
      assert.match(enc, /^[\x20-\x7e]*$/);
      assert.equal(percentDecode(enc), s);
    }
  });

  test('gRPC PROTOCOL-HTTP2 §Responses: decoding a broken percent-encoding keeps the text instead of failing', () => {
    assert.equal(percentDecode('50%'), '50%');
    assert.equal(percentDecode('a%zzb'), 'a%zzb');
    assert.equal(percentDecode('%4'), '%4');
    assert.equal(percentDecode('%41%4a%4A'), 'AJJ');
    assert.equal(percentDecode('%FF'), '\ufffd');
  });

  test('gRPC statuscodes §Status codes: GrpcError carries code, stable name, details and metadata', () => {
    const e = new GrpcError(Status.UNAVAILABLE, 'server went away');
    assert.equal(e.code, 14);
    assert.equal(e.codeName, 'UNAVAILABLE');
    assert.equal(e.details, 'server went away');
    assert.equal(e.message, 'UNAVAILABLE: server went away');
    assert.ok(isGrpcError(e));
    const wrapped = internalFrom(new TypeError('boom'));
    assert.equal(wrapped.code, Status.INTERNAL);
    assert.ok(!wrapped.details.includes('boom'), 'handler error text is not sent to the peer');
    assert.equal(internalFrom(e), e);
    assert.equal(new GrpcError(5).message, 'NOT_FOUND: (no message)');
  });
});

describe('metadata', () => {
  test('gRPC PROTOCOL-HTTP2 §Requests: -bin values are base64, emitted unpadded, accepted padded or unpadded', () => {
    assert.equal(encodeBinaryValue(hex('ababab')), 'q6ur');
    assert.equal(encodeBinaryValue(hex('ab')), 'qw');
    assert.equal(toHex(decodeBinaryValue('qw')), 'ab');
    assert.equal(toHex(decodeBinaryValue('qw==')), 'ab');
    const md = Metadata.fromHeaders({ 'x-a-bin': 'qw==,qw', 'x-b-bin': ['AQI', 'AwQ='] });
    assert.deepEqual(md.get('x-a-bin').map((v) => toHex(v as Uint8Array)), ['ab', 'ab']);
    assert.deepEqual(md.get('x-b-bin').map((v) => toHex(v as Uint8Array)), ['0102', '0304']);
  });

  test('gRPC PROTOCOL-HTTP2 §Requests: reserved headers (pseudo, grpc-*, call definition) are not metadata', () => {
    for (const k of [':path', 'grpc-status', 'grpc-timeout', 'grpc-foo', 'content-type', 'te', 'user-agent']) assert.ok(isReservedHeader(k), k);
    assert.ok(!isReservedHeader('x-custom'));
    const md = Metadata.fromHeaders({ ':path': '/a/b', 'grpc-timeout': '1S', 'content-type': 'application/grpc', te: 'trailers', 'x-ok': ' v ', 'Bad Key': 'x', 'x-ctl': 'a\u0001b' });
    assert.deepEqual(md.toJSON(), { 'x-ok': ['v'] });
    assert.throws(() => new Metadata().set('grpc-status', '0'), (e: GrpcError) => e.code === Status.INTERNAL && /reserved/.test(e.details));
    assert.throws(() => new Metadata().set(':path', '/x'), GrpcError);
    assert.throws(() => new Metadata().set('x y', 'v'), /0-9 a-z/);
    assert.throws(() => new Metadata().set('x-bin', 'text'), /takes bytes/);
    assert.throws(() => new Metadata().set('x-a', 'line\nbreak'), /printable ASCII/);
    assert.throws(() => new Metadata().set('x-a', new Uint8Array(1)), /printable ASCII/);
  });

  test('gRPC PROTOCOL-HTTP2 §Requests: metadata keys are lowercase and repeated keys keep every value', () => {
    const md = new Metadata({ 'X-Upper': 'a' }).add('x-upper', 'b').add('x-bin', new Uint8Array([1]));
    assert.deepEqual(md.get('x-upper'), ['a', 'b']);
    assert.equal(md.first('X-UPPER'), 'a');
    assert.ok(md.has('x-bin'));
    const headers: Record<string, string | string[]> = {};
    md.writeHeaders(headers);
    assert.deepEqual(headers, { 'x-upper': ['a', 'b'], 'x-bin': 'AQ' });
    const copy = md.clone();
    copy.delete('x-upper');
    assert.equal(md.size, 2);
    assert.equal(copy.size, 1);
    assert.deepEqual([...copy.keys()], ['x-bin']);
    assert.equal([...md.entries()].length, 2);
    assert.equal(new Metadata().merge(md).get('x-upper').length, 2);
  });

  test('gRPC PROTOCOL-HTTP2 §Requests: content-type is application/grpc optionally followed by +subtype', () => {
    for (const ok of ['application/grpc', 'application/grpc+proto', 'application/grpc+json', 'application/grpc;charset=utf-8']) assert.ok(isGrpcContentType(ok), ok);
    for (const bad of [undefined, '', 'application/json', 'application/grpcx', 'application/grpc-web', 'text/plain', 'APPLICATION/GRPC2']) assert.ok(!isGrpcContentType(bad), String(bad));
  });
});

describe('compression', () => {
  test('gRPC PROTOCOL-HTTP2 §Requests: each message is compressed on its own with gzip or deflate (zlib format)', async () => {
    const data = Buffer.from('hello hello hello hello hello');
    const gz = await compressMessage('gzip', data);
    assert.equal(gz[0], 0x1f);
    assert.deepEqual(Buffer.from(await decompressMessage('gzip', gz, 1000)), data);
    const df = await compressMessage('deflate', data);
    assert.equal(df[0] & 0x0f, 8, 'zlib header CM=8');
    assert.deepEqual(Buffer.from(await decompressMessage('deflate', df, 1000)), data);
    assert.equal(await compressMessage('identity', data), data);
    assert.deepEqual(parseAcceptEncoding(' gzip , Deflate,,identity'), ['gzip', 'deflate', 'identity']);
    assert.deepEqual(parseAcceptEncoding(undefined), []);
    assert.ok(isSupportedEncoding('gzip') && !isSupportedEncoding('snappy'));
  });

  test('advisory §CVE-2024-37168: a small compressed message that inflates past the limit is stopped while inflating', async () => {
    const bomb = gzipSync(Buffer.alloc(64 * 1024 * 1024));
    assert.ok(bomb.length < 100 * 1024);
    const before = process.memoryUsage().arrayBuffers;
    await assert.rejects(decompressMessage('gzip', bomb, 1024 * 1024), (e: GrpcError) => e.code === Status.RESOURCE_EXHAUSTED && /inflates past the 1 MiB/.test(e.details));
    const grown = process.memoryUsage().arrayBuffers - before;
    assert.ok(grown < 32 * 1024 * 1024, `inflation stopped early (grew ${grown} bytes)`);
    const exact = deflateSync(Buffer.alloc(1000));
    assert.equal((await decompressMessage('deflate', exact, 1000)).length, 1000);
    await assert.rejects(decompressMessage('deflate', exact, 999), /RESOURCE_EXHAUSTED/);
  });

  test('gRPC PROTOCOL-HTTP2 §Requests: corrupt compressed bytes or an unknown encoding fail with INTERNAL', async () => {
    await assert.rejects(decompressMessage('gzip', hex('00010203'), 100), (e: GrpcError) => e.code === Status.INTERNAL);
    await assert.rejects(decompressMessage('snappy', hex('00'), 100), (e: GrpcError) => e.code === Status.INTERNAL);
  });
});

describe('inbound messages', () => {
  function make(encoding = 'identity', hwm = 2) {
    const events: string[] = [];
    const errors: GrpcError[] = [];
    const inbound = new Inbound<unknown>({
      codec: jsonCodec(),
      maxMessageSize: 1000,
      encoding,
      highWaterMark: hwm,
      pause: () => events.push('pause'),
      resume: () => events.push('resume'),
      onError: (e) => errors.push(e),
    });
    return { inbound, events, errors };
  }

  test('gRPC PROTOCOL-HTTP2 §Data Frames: a slow reader pauses the stream at the high-water mark and resumes it when read', async () => {
    const { inbound, events } = make();
    inbound.push(encodeMessage(Buffer.from('1')));
    inbound.push(Buffer.concat([encodeMessage(Buffer.from('2')), encodeMessage(Buffer.from('3'))]));
    assert.deepEqual(events, ['pause']);
    assert.deepEqual(await inbound.next(), { done: false, value: 1 });
    assert.deepEqual(await inbound.next(), { done: false, value: 2 });
    assert.deepEqual(events, ['pause', 'resume']);
    inbound.end();
    assert.deepEqual(await inbound.next(), { done: false, value: 3 });
    assert.deepEqual(await inbound.next(), { done: true, value: undefined });
    assert.equal(inbound.count, 3);
  });

  test('gRPC PROTOCOL-HTTP2 §Requests: a compressed message is inflated with the call encoding and its flag is reported', async () => {
    const { inbound } = make('gzip');
    inbound.push(encodeMessage(gzipSync('"z"'), true));
    inbound.push(encodeMessage(Buffer.from('"p"')));
    assert.deepEqual(await inbound.next(), { done: false, value: 'z' });
    assert.equal(inbound.lastCompressed, true);
    assert.deepEqual(await inbound.next(), { done: false, value: 'p' });
    assert.equal(inbound.lastCompressed, false);
  });

  test('gRPC PROTOCOL-HTTP2 §Requests: the compressed flag without a grpc-encoding is an error (INTERNAL)', async () => {
    const { inbound, errors } = make('identity');
    inbound.push(encodeMessage(Buffer.from('1'), true));
    await assert.rejects(inbound.next(), (e: GrpcError) => e.code === Status.INTERNAL);
    assert.equal(errors.length, 1);
  });

  test('gRPC PROTOCOL-HTTP2 §Requests: a message that does not parse, or a stream cut mid-message, ends the call with INTERNAL', async () => {
    const a = make();
    a.inbound.push(encodeMessage(Buffer.from('{not json')));
    await assert.rejects(a.inbound.next(), /could not parse/);
    const b = make();
    b.inbound.push(encodeMessage(Buffer.from('123')).subarray(0, 6));
    b.inbound.end();
    await assert.rejects(b.inbound.next(), /middle of a message/);
    assert.equal(b.errors[0].code, Status.INTERNAL);
  });

  test('gRPC PROTOCOL-HTTP2 §Requests: an over-limit prefix fails the reader with RESOURCE_EXHAUSTED after earlier messages', async () => {
    const { inbound, errors } = make('identity', 16);
    inbound.push(Buffer.concat([encodeMessage(Buffer.from('7')), hex('0000100000')]));
    assert.equal(errors[0].code, Status.RESOURCE_EXHAUSTED);
    assert.deepEqual(await inbound.next(), { done: false, value: 7 });
    await assert.rejects(inbound.next(), (e: GrpcError) => e.code === Status.RESOURCE_EXHAUSTED);
    inbound.push(encodeMessage(Buffer.from('8')));
    inbound.end();
    await assert.rejects(inbound.next(), /RESOURCE_EXHAUSTED/);
  });

  test('gRPC PROTOCOL-HTTP2 §Requests: a pending read is answered when the message arrives, and a second concurrent read is refused', async () => {
    const { inbound } = make();
    const p = inbound.next();
    await assert.rejects(inbound.next(), /while a read is pending/);
    inbound.push(encodeMessage(Buffer.from('5')));
    assert.deepEqual(await p, { done: false, value: 5 });
    const q = inbound.next();
    inbound.fail(new GrpcError(Status.CANCELLED, 'gone'));
    await assert.rejects(q, /CANCELLED/);
    inbound.discard();
  });
});

describe('service descriptors', () => {
  test('gRPC PROTOCOL-HTTP2 §Appendix A: the :path is /package.Service/Method', () => {
    const svc = defineService('pkg.v1.Greeter', { SayHello: unary(rawCodec, jsonCodec()) });
    assert.equal(svc.methods.SayHello.path, '/pkg.v1.Greeter/SayHello');
    assert.equal(svc.methods.SayHello.service, 'pkg.v1.Greeter');
    assert.equal(svc.methods.SayHello.requestStream, false);
    const m = withCompression('x', false);
    assert.ok(m instanceof OutgoingMessage && m.compress === false && m.message === 'x');
    assert.deepEqual(rawCodec.deserialize(rawCodec.serialize(hex('01'))), hex('01'));
  });
});
