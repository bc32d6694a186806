/**
 * The .proto parser and name resolution (protobuf language guide, proto3).
 */
import assert from 'node:assert/strict';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { ProtoSyntaxError, ProtobufError, Root, loadProtoFiles, parseProto } from '../../lib/protobuf/index.js';
import { toHex } from '../support/random.js';

const fixtures = join(import.meta.dirname, 'fixtures');

function fails(src: string, re: RegExp, line?: number, column?: number) {
  assert.throws(
    () => new Root([parseProto(src, 'bad.proto')]),
    (e: unknown) => {
      assert.ok(e instanceof ProtoSyntaxError, String(e));
      assert.match(e.message, re);
      assert.ok(e.message.startsWith(`bad.proto:${e.line}:${e.column}: `), e.message);
      if (line !== undefined) assert.equal(e.line, line, e.message);
      if (column !== undefined) assert.equal(e.column, column, e.message);
      return true;
    },
  );
}

describe('.proto parser', () => {
  const root = loadProtoFiles(join(fixtures, 'main.proto'), { includeDirs: [join(fixtures, 'inc')] });

  test('language guide §Importing Definitions: imports resolve through include dirs, then next to the file', () => {
    assert.deepEqual(root.files.map((f) => f.name).sort(), ['shared/common.proto', 'tree.proto', join(fixtures, 'main.proto')].sort());
    assert.equal(root.lookupType('shared.Ack').fullName, 'shared.Ack');
    assert.equal(root.lookupType('.fixtures.Tree').name, 'Tree');
  });

  test('language guide §Defining Services: rpc with stream modifiers becomes method descriptors', () => {
    const s = root.lookupService('app.v1.Greeter');
    assert.equal(s.name, 'Greeter');
    assert.equal(s.fullName, 'app.v1.Greeter');
    assert.deepEqual(
      s.methods.map((m) => [m.name, m.requestType.fullName, m.responseType.fullName, m.clientStreaming, m.serverStreaming]),
      [
        ['Unary', 'app.v1.Hello', 'shared.Ack', false, false],
        ['ServerStream', 'app.v1.Hello', 'shared.Ack', false, true],
        ['ClientStream', 'app.v1.Hello', 'shared.Ack', true, false],
        ['Bidi', 'app.v1.Hello', 'fixtures.Tree', true, true],
      ],
    );
  });

  test('language guide §Nested Types: nested messages and enums resolve from the inside out', () => {
    const Hello = root.lookupType('app.v1.Hello');
    const byName = new Map(Hello.fields.map((f) => [f.name, f]));
    assert.equal(byName.get('nested')!.value.messageType!.fullName, 'app.v1.Hello.Nested');
    assert.equal(byName.get('mode')!.value.enumType!.fullName, 'app.v1.Hello.Nested.Mode');
    assert.equal(root.lookupType('app.v1.Hello.Nested').fields[1].value.messageType, Hello);
    assert.equal(root.lookupEnum('app.v1.Hello.Nested.Mode').nameOf(1), 'FAST');
  });

  test('language guide §Enumerations: allow_alias keeps the first name of a number as its name', () => {
    const e = root.lookupEnum('shared.Level');
    assert.equal(e.nameOf(2), 'HIGH');
    assert.equal(e.numberOf('LOUD'), 2);
  });

  test('language guide §Specifying Field Labels: optional, repeated, [packed = false], json_name, oneof and map', () => {
    const Hello = root.lookupType('app.v1.Hello');
    const f = new Map(Hello.fields.map((x) => [x.name, x]));
    assert.equal(f.get('ids')!.packed, false);
    assert.equal(f.get('flag')!.optional, true);
    assert.equal(f.get('flag')!.jsonName, 'theFlag');
    assert.equal(f.get('email')!.oneof, 'contact');
    assert.equal(f.get('acks')!.kind, 'map');
    assert.equal(f.get('acks')!.mapKey, 'sint32');
    const m = Hello.fromJson({ name: 'n', ids: ['1', 2], theFlag: false, phone: '7', acks: { '-1': { ok: true } }, mode: 'FAST', level: 'LOUD' });
    const bytes = Hello.encode(m);
    assert.equal(toHex(bytes), '0a016e' + '1002' + '2001' + '3001' + '3002' + '3800' + '6007' + '6a06' + '0801' + '12020801');
    assert.deepEqual(Hello.toJson(Hello.decode(bytes)), { name: 'n', level: 'HIGH', mode: 'FAST', ids: ['1', '2'], theFlag: false, phone: '7', acks: { '-1': { ok: true } } });
  });

  test('language guide §Reserved Fields: reserved numbers and names cannot be used', () => {
    fails('syntax = "proto3"; message M { reserved 2, 4 to 6; int32 a = 5; }', /reserved number 5/, 1, 58);
    fails('syntax = "proto3"; message M { reserved 10 to max; int32 a = 99; }', /reserved number 99/);
    fails('syntax = "proto3"; message M { reserved "a"; int32 a = 1; }', /name a is reserved/);
    fails('syntax = "proto3"; enum E { reserved 1; E0 = 0; E1 = 1; }', /E1 is reserved/);
  });

  test('language guide §Assigning Field Numbers: 1..2^29-1, not 19000..19999, not twice', () => {
    fails('syntax = "proto3";\nmessage M {\n  int32 a = 0;\n}', /out of range/, 3, 13);
    fails('syntax = "proto3"; message M { int32 a = 536870912; }', /out of range/);
    fails('syntax = "proto3"; message M { int32 a = 19000; }', /reserved for the protobuf implementation/);
    fails('syntax = "proto3"; message M { int32 a = 1; int32 b = 1; }', /used by both a and b/);
    fails('syntax = "proto3"; message M { int32 a = 1; string a = 2; }', /used twice/);
    const ok = new Root([parseProto('syntax = "proto3"; message M { int32 a = 536870911; int32 b = 0x10; int32 c = 017; }')]);
    assert.deepEqual(ok.lookupType('M').fields.map((f) => f.no), [536870911, 16, 15]);
  });

  test('language guide §Enumerations: a proto3 enum starts at 0 and values are int32', () => {
    fails('syntax = "proto3"; enum E { A = 1; }', /first value of proto3 enum E must be 0/);
    fails('syntax = "proto3"; enum E { A = 0; B = 2147483648; }', /not an int32/);
    fails('syntax = "proto3"; enum E { A = 0; A = 1; }', /defined twice/);
    fails('syntax = "proto3"; enum E { }', /has no values/);
    const r = new Root([parseProto('syntax = "proto3"; enum E { A = 0; B = -2147483648; }')]);
    assert.equal(r.lookupEnum('E').numberOf('B'), -2147483648);
  });

  test('language guide §Packages and Name Resolution: unresolved and wrong-kind names name file:line:column', () => {
    fails('syntax = "proto3";\n\nmessage M {\n  Missing x = 1;\n}', /type Missing is not defined/, 4, 11);
    fails('syntax = "proto3"; enum E { A = 0; } service S { rpc R (E) returns (E); }', /E is an enum, not a message/);
    fails('syntax = "proto3"; message M {} message M {}', /M is defined twice/);
    fails('syntax = "proto3"; message M {} service M {}', /M is defined twice/);
    fails('syntax = "proto3"; service S { rpc R (Nope) returns (Nope); }', /Nope is not defined/);
    assert.throws(() => root.lookupType('app.v1.Nope'), (e: unknown) => e instanceof ProtobufError && e.code === 'UNKNOWN_TYPE');
    assert.throws(() => root.lookupType('shared.Level'), /no message type/);
    assert.throws(() => root.lookupEnum('shared.Ack'), /no enum/);
    assert.throws(() => root.lookupService('shared.Ack'), /no service/);
  });

  test('protobuf language spec §Lexical elements: syntax errors carry file, line and column', () => {
    fails('syntax = "proto3";\nmessage M {\n  int32 a = 1\n}', /expected ";", found "}"/, 4, 1);
    fails('syntax = "proto3"; message M { int32 a = 1; ', /message M is not closed/, 1, 20);
    fails('syntax = "proto4";', /unsupported syntax "proto4"/, 1, 10);
    fails('edition = "2023";', /editions are not supported/);
    fails('syntax = "proto3"; /* never closed', /unterminated \/\* comment/, 1, 20);
    fails('syntax = "proto3"; option x = "abc\n";', /unterminated string literal/, 1, 31);
    fails('syntax = "proto3"; message M { int32 a = 1 # }', /unexpected character "#"/, 1, 44);
    fails('syntax = "proto3"; message M { int32 a = 0x; }', /hex literal without digits/);
    fails('syntax = "proto3"; message M { int32 a = 1e; }', /exponent without digits/);
    fails('syntax = "proto3"; message M { int32 a = 12ab; }', /after a number/);
    fails('syntax = "proto3"; option x = "\\q";', /unknown escape/);
    fails('syntax = "proto3"; option x = "\\u12";', /bad \\u escape/);
    fails('syntax = "proto3"; option x = "\\x";', /without hex digits/);
    fails('syntax = "proto3"; package a; package b;', /second package/);
    fails('syntax = "proto3"; garbage;', /unexpected "garbage" at the top level/);
    fails('syntax = "proto3"; message M { required int32 a = 1; }', /required fields are not allowed in proto3/);
    fails('syntax = "proto3"; message M { int32 a = 1 [default = 5]; }', /default values are not allowed in proto3/);
    fails('syntax = "proto3"; message M { repeated group G = 1 { } }', /groups are not supported/);
    fails('syntax = "proto3"; message M { map<float, int32> m = 1; }', /float cannot be a map key type/);
    fails('syntax = "proto3"; message M { repeated map<string, int32> m = 1; }', /map field takes no label/);
    fails('syntax = "proto3"; message M { oneof o { repeated int32 a = 1; } }', /oneof field takes no label/);
    fails('syntax = "proto3"; message M { string s = 1 [packed = true]; }', /needs a repeated scalar/);
    fails('syntax = "proto3"; message M { repeated int32 s = 1 [packed = yes]; }', /packed takes true or false/);
    fails('syntax = "proto3"; message M { int32 s = 1 [json_name = 5]; }', /json_name takes a string/);
    fails('syntax = "proto3"; message M { int32 s = 09; }', /bad integer 09/);
    fails('syntax = "proto3"; option (a) = { x: 1 ', /unterminated \{ in an option value/);
    fails('syntax = "proto3"; option a = ;', /expected a constant/);
    fails('syntax = "proto3"; service S { rpc R (M) returns (M) { option a = 1; ', /rpc R is not closed/);
    fails('syntax = "proto3"; service S { rpc R (M) returns (M); rpc R (M) returns (M); } message M {}', /method R is defined twice/);
    fails('syntax = "proto3"; service S { rpc R (M) returns (M);', /service S is not closed/);
    fails('syntax = "proto3"; enum E { A = 0;', /enum E is not closed/);
    fails('syntax = "proto3"; message M { oneof o { int32 a = 1;', /oneof o is not closed/);
    fails('syntax = "proto3"; package .a;', /cannot start with "."/);
    fails('message M { int32 a = 1; }', /proto2 fields need a label/);
  });

  test('protobuf language spec §Lexical elements: comments, string escapes, adjacent strings, keywords as names', () => {
    const f = parseProto(
      `// line comment
       syntax = 'proto3'; /* block */
       package pkg.sub;
       option x = "a\\n\\t\\x41\\101\\u00e9" "b";
       option y = -inf;
       option z = 1.5e-3;
       message message { int32 message = 1; optional int32 optional = 2; repeated message repeated = 3; stream stream = 4; }
       message stream {}
       service S { rpc R (stream) returns (stream stream); }
       extend google.protobuf.FieldOptions { int32 my_opt = 50000; }
       message Ext { extensions 100 to 199; option (my_opt) = 1; ; }
       ;`,
      'ok.proto',
    );
    assert.equal(f.syntax, 'proto3');
    assert.equal(f.package, 'pkg.sub');
    const r = new Root([f]);
    const M = r.lookupType('pkg.sub.message');
    assert.deepEqual(M.fields.map((x) => [x.name, x.repeated, x.optional]), [['message', false, false], ['optional', false, true], ['repeated', true, false], ['stream', false, true]]);
    const s = r.lookupService('pkg.sub.S').methods[0];
    assert.deepEqual([s.clientStreaming, s.serverStreaming, s.requestType.name], [false, true, 'stream']);
  });

  test('language guide §Proto2: proto2 labels parse; proto2 repeated scalars are not packed by default', () => {
    const r = new Root([parseProto('syntax = "proto2"; message M { optional int32 a = 1 [default = 3]; required string b = 2; repeated int32 c = 3; repeated int32 d = 4 [packed = true]; }')]);
    const M = r.lookupType('M');
    assert.deepEqual(M.fields.map((f) => [f.name, f.optional, f.packed]), [['a', true, false], ['b', true, false], ['c', false, false], ['d', false, true]]);
    assert.equal(toHex(M.encode({ a: 0, b: '', c: [1, 2], d: [1, 2] })), '0800' + '1200' + '18011802' + '22020102');
    // A proto2 enum need not start at 0.
    assert.equal(new Root([parseProto('syntax = "proto2"; enum E { A = 1; }')]).lookupEnum('E').nameOf(1), 'A');
  });

  test('language guide §Importing Definitions: a missing import names the importing file, line and column', () => {
    assert.throws(
      () => loadProtoFiles(join(fixtures, 'main.proto')),
      (e: unknown) => e instanceof ProtoSyntaxError && e.code === 'UNRESOLVED' && e.line === 7 && /import "shared\/common.proto" not found/.test(e.message),
    );
    assert.throws(() => loadProtoFiles(join(fixtures, 'nope.proto')), (e: unknown) => e instanceof ProtobufError && /cannot read .*nope.proto: ENOENT/.test(e.message));
    // The file itself may also be found through an include dir, and a file loaded twice is parsed once.
    const r = loadProtoFiles(['shared/common.proto', 'shared/common.proto'], { includeDirs: [join(fixtures, 'inc')] });
    assert.equal(r.files.length, 1);
    assert.deepEqual(r.names(), { messages: ['shared.Ack'], enums: ['shared.Level'], services: [] });
  });

  test('language guide §Importing Definitions: a proto3 message may not use a proto2 enum', () => {
    const two = parseProto('syntax = "proto2"; package p; enum E { A = 1; }', 'two.proto');
    const three = parseProto('syntax = "proto3"; package p; message M { E e = 1; }', 'three.proto');
    assert.throws(() => new Root([two, three]), /three.proto:1:45: proto3 messages cannot use the proto2 enum E/);
  });
});
