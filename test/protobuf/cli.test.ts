/**
 * `barewire protobuf ...` as shared/INTEROP.md §protobuf fixes it, run as a
 * child process.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { hex, toHex } from '../support/random.js';

const repo = join(import.meta.dirname, '../..');
const grpcProtos = '/work/shared/interop/grpc';
const fixtures = join(import.meta.dirname, 'fixtures');
const vectors = join(import.meta.dirname, 'vectors');

function run(args: string[], input: Uint8Array | string): Promise<{ code: number; stdout: Buffer; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', join(repo, 'lib/cli.ts'), 'protobuf', ...args], { cwd: repo, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let err = '';
    child.stdout.on('data', (c: Buffer) => out.push(c));
    child.stderr.on('data', (c: Buffer) => (err += c));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code: code ?? -1, stdout: Buffer.concat(out), stderr: err }));
    child.stdin.end(input);
  });
}

const schema = ['--proto', join(vectors, 'vectors.proto'), '--type', 'vectors.Outer'];

describe('protobuf CLI', { timeout: 120_000 }, () => {
  test('INTEROP.md §protobuf encode: proto3 JSON on stdin -> binary on stdout', async () => {
    const r = await run(schema, '');
    assert.equal(r.code, 2, 'no verb');
    const e = await run(['encode', ...schema], '{"inner": {"a": 150}, "counts": {"x": 1}, "number": 0}');
    assert.equal(e.stderr, '');
    assert.equal(e.code, 0);
    assert.equal(toHex(e.stdout), '0a03089601' + '1a050a0178' + '1001' + '3800');
  });

  test('INTEROP.md §protobuf encode: unknown field names and out-of-range values exit 1', async () => {
    for (const json of ['{"nope": 1}', '{"number": 2147483648}', '{"inner": {"a": "x"}}', 'not json', '[1]']) {
      const r = await run(['encode', ...schema], json);
      assert.equal(r.code, 1, json);
      assert.equal(r.stdout.length, 0);
      assert.match(r.stderr, /^barewire: .+\n$/);
    }
  });

  test('INTEROP.md §protobuf decode: binary on stdin -> one line of canonical proto3 JSON', async () => {
    const r = await run(['decode', '--proto', 'grpc/testing/messages.proto', '--proto_path', grpcProtos, '--type', 'grpc.testing.SimpleRequest'], hex('0801 1005 1a05 1203000102 3a05 0802 12017a'));
    assert.equal(r.stderr, '');
    assert.equal(r.code, 0);
    // PayloadType 1 is not a value of the enum: it stays a number.
    assert.equal(r.stdout.toString(), '{"responseType":1,"responseSize":5,"payload":{"body":"AAEC"},"responseStatus":{"code":2,"message":"z"}}\n');
  });

  test('INTEROP.md §protobuf decode: the JSON conventions (64-bit strings, base64, enums by name, NaN, unknown skipped)', async () => {
    const r = await run(['decode', '--proto', join(vectors, 'vectors.proto'), '--type', 'vectors.Scalars'], hex('09 000000000000f87f 20ffffffffffffffffff01 7a02fffe 800101 800105 f8ffffff0f01 3b08013c'));
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.toString(), '{"fDouble":"NaN","fInt64":"-1","fBytes":"//4=","fColor":5}\n');
  });

  test('INTEROP.md §protobuf decode: invalid UTF-8 and malformed input exit 1 naming the byte offset', async () => {
    const bad = await run(['decode', '--proto', join(vectors, 'vectors.proto'), '--type', 'vectors.Scalars'], hex('7202c0af'));
    assert.equal(bad.code, 1);
    assert.equal(bad.stderr, 'barewire: malformed input: invalid UTF-8 in a string field at byte 2\n');
    const trunc = await run(['decode', ...schema], hex('0a05 0801'));
    assert.equal(trunc.code, 1);
    assert.equal(trunc.stderr, 'barewire: malformed input: length 5 runs past the end (2 bytes left) at byte 1\n');
  });

  test('INTEROP.md §protobuf decode: a missing flag is a usage error; a bad schema or type exits 1', async () => {
    const noType = await run(['decode', '--proto', join(vectors, 'vectors.proto')], '');
    assert.equal(noType.code, 2);
    assert.match(noType.stderr, /--type pkg.Message is required/);
    const badType = await run(['decode', '--proto', join(vectors, 'vectors.proto'), '--type', 'vectors.Nope'], '');
    assert.equal(badType.code, 1);
    assert.match(badType.stderr, /no message type vectors.Nope/);
    const badImport = await run(['decode', '--proto', join(fixtures, 'main.proto'), '--type', 'app.v1.Hello'], '');
    assert.equal(badImport.code, 1);
    assert.match(badImport.stderr, /main.proto:7:1: import "shared\/common.proto" not found/);
    const good = await run(['encode', '--proto', join(fixtures, 'main.proto'), '--proto_path', join(fixtures, 'inc'), '--type', 'app.v1.Hello'], '{"level": "HIGH"}');
    assert.equal(toHex(good.stdout), '1002');
    const help = await run(['decode', '--help'], '');
    assert.equal(help.code, 0);
    assert.match(help.stdout.toString(), /--proto_path DIR/);
  });

  test('INTEROP.md §protobuf decode-raw: exactly protoc --decode_raw output', async () => {
    const r = await run(['decode-raw'], hex('089601 1207 74657374696e67 1a03 089601 25 01000000 3b 0801 3c 2200'));
    assert.equal(r.code, 0, r.stderr);
    assert.equal(r.stdout.toString(), '1: 150\n2: "testing"\n3 {\n  1: 150\n}\n4: 0x00000001\n7 {\n  1: 1\n}\n4: ""\n');
  });

  test('INTEROP.md §protobuf decode-raw: malformed input and nesting deeper than 100 exit 1 with the offset', async () => {
    const r = await run(['decode-raw'], hex('0801 0f'));
    assert.equal(r.code, 1);
    assert.equal(r.stderr, 'barewire: malformed input: wire type 7 does not exist at byte 2\n');
    const deep = await run(['decode-raw'], hex('0b'.repeat(101) + '0c'.repeat(101)));
    assert.equal(deep.code, 1);
    assert.equal(deep.stderr, 'barewire: malformed input: nesting deeper than 100 levels at byte 100\n');
  });

  test('INTEROP.md §protobuf decode-raw: --annotate shows offset, tag bytes, field, wire type and value', async () => {
    const r = await run(['decode-raw', '--annotate'], hex('089601 1207 74657374696e67 1a03 08 ff 01 2d 0000803f'));
    assert.equal(r.code, 0, r.stderr);
    assert.equal(
      r.stdout.toString(),
      [
        'offset  tag  field  wire type  value',
        '     0  08   1      VARINT     150 (sint 75)',
        '     3  12   2      LEN        7 bytes: "testing"',
        '    12  1a   3      LEN        3 bytes: message of 1 field(s)',
        '    14  08     1    VARINT     255 (sint -128)',
        '    17  2d   5      I32        0x3f800000 (fixed32 1065353216, sfixed32 1065353216, float 1)',
        '',
      ].join('\n'),
    );
  });
});
