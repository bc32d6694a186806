/**
 * MessageType: one message's descriptor together with its specialised codec.
 *
 * The fields are given as a thunk and resolved on first use, so message
 * types may refer to each other (and to themselves) in any order. The
 * encoder and decoder are built once, on first encode/decode.
 */
import { type Decoder, compileDecoder } from './decode.js';
import { type Encoder, Writer, compileEncoder } from './encode.js';
import { ProtobufError } from './errors.js';
import { type JsonReadOptions, type JsonWriteOptions, messageFromJson, messageToJson } from './json.js';
import type { FieldInfo } from './schema.js';
import { DEFAULT_MAX_DEPTH, Reader, asDecodeError } from './wire.js';

export interface DecodeOptions {
  /** Nesting limit for sub-messages and groups (default 100). */
  maxDepth?: number;
}

const EMPTY = new Uint8Array(0);
const sharedWriter = new Writer();
let writerBusy = false;
const sharedReader = new Reader(EMPTY);
let readerBusy = false;

export class MessageType<T = any> {
  readonly fullName: string;
  /** The last component of fullName. */
  readonly name: string;
  private fieldsThunk: (() => FieldInfo[]) | undefined;
  private fieldList: readonly FieldInfo[] | undefined;
  private byNumber: Map<number, FieldInfo> | undefined;
  private byJsonKey: Map<string, FieldInfo> | undefined;
  private localNames: Set<string> | undefined;
  private dec: Decoder | undefined;
  private enc: Encoder | undefined;

  constructor(fullName: string, fields: () => FieldInfo[]) {
    this.fullName = fullName;
    this.name = fullName.slice(fullName.lastIndexOf('.') + 1);
    this.fieldsThunk = fields;
  }

  /** Fields in declaration order. */
  get fields(): readonly FieldInfo[] {
    if (this.fieldList === undefined) {
      const list = this.fieldsThunk!();
      this.fieldsThunk = undefined;
      this.fieldList = Object.freeze(list);
    }
    return this.fieldList;
  }

  /** The field with this number, or undefined. */
  field(no: number): FieldInfo | undefined {
    this.byNumber ??= new Map(this.fields.map((f) => [f.no, f]));
    return this.byNumber.get(no);
  }

  /** The field a JSON member names: by JSON name or by the .proto name (proto3 JSON accepts both). */
  fieldByJsonKey(key: string): FieldInfo | undefined {
    if (this.byJsonKey === undefined) {
      const map = new Map<string, FieldInfo>();
      for (const f of this.fields) map.set(f.name, f);
      for (const f of this.fields) map.set(f.jsonName, f);
      this.byJsonKey = map;
    }
    return this.byJsonKey.get(key);
  }

  decoder(): Decoder {
    return (this.dec ??= compileDecoder(this));
  }

  encoder(): Encoder {
    return (this.enc ??= compileEncoder(this));
  }

  /** The binary wire form of `msg`. Throws ProtobufError (BAD_VALUE) for values that do not fit. */
  encode(msg: T): Uint8Array {
    if (typeof msg !== 'object' || msg === null) throw new ProtobufError('BAD_VALUE', `${this.fullName}: cannot encode ${String(msg)}`);
    const enc = this.encoder();
    // The shared scratch writer, unless an encode is already running (a
    // getter or a schema thunk in user code could call encode()).
    const own = writerBusy;
    const w = own ? new Writer() : sharedWriter;
    w.reset();
    writerBusy = true;
    try {
      enc.write(w, msg);
      return w.finish();
    } finally {
      if (!own) {
        writerBusy = false;
        w.reset();
      }
    }
  }

  /** Decode bytes of this type. Throws only DecodeError (with the byte offset). */
  decode(bytes: Uint8Array, opts?: DecodeOptions): T {
    // The shared reader, unless a decode is already running (a schema thunk
    // in user code could call decode() while the first one compiles).
    const own = readerBusy;
    const r = own ? new Reader(EMPTY) : sharedReader;
    r.reset(bytes, opts?.maxDepth ?? DEFAULT_MAX_DEPTH);
    readerBusy = true;
    try {
      return this.decoder().read(r);
    } catch (err) {
      throw asDecodeError(err);
    } finally {
      if (!own) {
        readerBusy = false;
        r.reset(EMPTY, DEFAULT_MAX_DEPTH); // do not pin the input
      }
    }
  }

  /** A new message with every field at its default, then the known fields of `init`. */
  create(init?: Partial<T>): T {
    const m = this.decoder().create();
    if (init != null) {
      this.localNames ??= new Set(this.fields.map((f) => f.localName));
      for (const key of Object.keys(init)) {
        if (this.localNames.has(key)) m[key] = (init as any)[key];
      }
    }
    return m;
  }

  /** proto3 canonical JSON (an object ready for JSON.stringify). */
  toJson(msg: T, opts?: JsonWriteOptions): unknown {
    return messageToJson(this, msg, opts);
  }

  /** A message from proto3 JSON (a parsed value, not text). Throws ProtobufError BAD_JSON. */
  fromJson(json: unknown, opts?: JsonReadOptions): T {
    return messageFromJson(this, json, opts) as T;
  }
}
