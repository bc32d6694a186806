/**
 * Byte-exact vectors made by protoc (see vectors/gen.sh): our encoder must
 * produce protoc's bytes, our decoder must read them back to the same
 * canonical JSON, and decode-raw must print what `protoc --decode_raw` printed.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { decodeRaw, formatDecodeRaw, loadProtoFiles } from '../../lib/protobuf/index.js';
import { toHex } from '../support/random.js';

const dir = join(import.meta.dirname, 'vectors');
const root = loadProtoFiles(join(dir, 'vectors.proto'));
const typeOf = (name: string) =>
  name.startsWith('scalars_') || name === 'zero' ? 'vectors.Scalars' : name === 'repeated' ? 'vectors.Repeated' : 'vectors.Outer';

const names = readdirSync(dir)
  .filter((f) => f.endsWith('.txtpb'))
  .map((f) => f.slice(0, -'.txtpb'.length));

describe('protoc --encode vectors', () => {
  test('protobuf encoding §Message Structure: the vector set is present', () => {
    assert.ok(names.length >= 8, `found ${names.length} vectors`);
  });
  for (const name of names) {
    const type = root.lookupType(typeOf(name));
    const bin = new Uint8Array(readFileSync(join(dir, `${name}.bin`)));
    const json = JSON.parse(readFileSync(join(dir, `${name}.json`), 'utf8'));
    const raw = readFileSync(join(dir, `${name}.raw`), 'utf8');

    test(`protobuf encoding §Message Structure: ${name} encodes to protoc's bytes`, () => {
      assert.equal(toHex(type.encode(type.fromJson(json))), toHex(bin));
    });
    test(`proto3 JSON §JSON Mapping: ${name} decoded from protoc's bytes prints the canonical JSON`, () => {
      assert.deepEqual(type.toJson(type.decode(bin)), json);
    });
    test(`protobuf encoding §Message Structure: ${name} round-trips decode -> encode byte for byte`, () => {
      assert.equal(toHex(type.encode(type.decode(bin))), toHex(bin));
    });
    test(`INTEROP.md §protobuf decode-raw: ${name} prints exactly what protoc --decode_raw printed`, () => {
      assert.equal(formatDecodeRaw(decodeRaw(bin)), raw);
    });
  }
});
