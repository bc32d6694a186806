/**
 * barewire/bytes: the byte utilities every protocol module shares.
 *
 * - ByteWriter / ByteReader: growable output, bounds-checked input
 * - varints and zigzag (protobuf encoding guide)
 * - big-endian integers (network byte order)
 * - ChunkQueue: network chunks in, "the next N bytes" out
 * - Utf8Validator: strict incremental UTF-8 (RFC 3629), fail-fast
 * - RFC 9110 tokens (tchar, OWS) for header parsers in linear time
 */
export { BytesError } from './errors.js';
export { ByteWriter } from './writer.js';
export { ByteReader } from './reader.js';
export { ChunkQueue } from './chunks.js';
export { Utf8Validator, isValidUtf8 } from './utf8.js';
export { isTchar, isToken, isOws } from './token.js';
export {
  readU16BE,
  readU32BE,
  readU64BE,
  readU64BENumber,
  writeU16BE,
  writeU32BE,
  writeU64BE,
} from './endian.js';
export {
  MAX_VARINT_BYTES,
  varint32Size,
  varint64Size,
  writeVarint32,
  writeVarint64,
  readVarint32,
  readVarint64,
  zigzagEncode32,
  zigzagDecode32,
  zigzagEncode64,
  zigzagDecode64,
  type VarintCursor,
} from './varint.js';
