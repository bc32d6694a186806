/**
 * From parsed .proto files to runtime descriptors.
 *
 *   .proto text --tokenize/parse--> FileDecl (names as written)
 *               --Root-------------> MessageType / EnumType / ServiceDescriptor
 *
 * Root registers every message and enum under its full name
 * ("pkg.Outer.Inner"), then resolves each field's type name the way protoc
 * does: a name starting with "." is absolute; otherwise it is looked up in
 * the innermost scope first, then each enclosing scope out to the root
 * (language guide, "Packages and Name Resolution"). All registries are
 * Maps, so no name ("__proto__", "constructor") can reach an object's
 * prototype.
 *
 * loadProtoFiles() reads files and their imports from disk: an import path
 * is looked for in each include directory, then next to the importing file.
 */
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { ProtoSyntaxError, ProtobufError } from './errors.js';
import { MessageType } from './message.js';
import { type EnumDecl, type FieldDecl, type FileDecl, type MessageDecl, type Pos, parseProto } from './parser.js';
import {
  EnumType,
  type FieldInfo,
  type MapKeyType,
  type MethodDescriptor,
  SCALAR_TYPES,
  type ScalarType,
  type ServiceDescriptor,
  type ValueInfo,
  toLowerCamel,
} from './schema.js';

type Entry =
  | { kind: 'message'; type: MessageType; decl: MessageDecl; file: FileDecl; scope: string }
  | { kind: 'enum'; type: EnumType; decl: EnumDecl; file: FileDecl; scope: string };

export class Root {
  readonly files: readonly FileDecl[];
  private readonly entries = new Map<string, Entry>();
  private readonly services = new Map<string, ServiceDescriptor>();
  private readonly resolved = new Map<MessageType, FieldInfo[]>();

  /** Build descriptors from parsed files (all imports included). Throws ProtoSyntaxError. */
  constructor(files: readonly FileDecl[]) {
    this.files = files;
    for (const file of files) {
      const pkg = file.package;
      for (const m of file.messages) this.register(file, pkg, m);
      for (const e of file.enums) this.registerEnum(file, pkg, e);
    }
    for (const entry of this.entries.values()) {
      if (entry.kind === 'message') this.resolved.set(entry.type, this.resolveFields(entry));
    }
    for (const file of files) {
      for (const s of file.services) {
        const fullName = file.package ? `${file.package}.${s.name}` : s.name;
        if (this.services.has(fullName) || this.entries.has(fullName)) fail(file, s, `${fullName} is defined twice`);
        const methods: MethodDescriptor[] = s.methods.map((m) => ({
          name: m.name,
          requestType: this.resolveMessage(file, file.package, m.inputType, m),
          responseType: this.resolveMessage(file, file.package, m.outputType, m),
          clientStreaming: m.clientStreaming,
          serverStreaming: m.serverStreaming,
        }));
        this.services.set(fullName, { fullName, name: s.name, methods });
      }
    }
  }

  private define(fullName: string, entry: Entry, at: Pos): void {
    if (this.entries.has(fullName)) fail(entry.file, at, `${fullName} is defined twice`);
    this.entries.set(fullName, entry);
  }

  private register(file: FileDecl, scope: string, m: MessageDecl): void {
    const fullName = scope ? `${scope}.${m.name}` : m.name;
    const type: MessageType = new MessageType(fullName, () => this.resolved.get(type)!);
    this.define(fullName, { kind: 'message', type, decl: m, file, scope }, m);
    for (const n of m.messages) this.register(file, fullName, n);
    for (const e of m.enums) this.registerEnum(file, fullName, e);
  }

  private registerEnum(file: FileDecl, scope: string, e: EnumDecl): void {
    const fullName = scope ? `${scope}.${e.name}` : e.name;
    const type = new EnumType(fullName, e.values.map((v) => ({ name: v.name, number: v.number })));
    this.define(fullName, { kind: 'enum', type, decl: e, file, scope }, e);
  }

  /** Find a type name as written inside `scope` (innermost scope first). */
  private find(name: string, scope: string): Entry | undefined {
    if (name.startsWith('.')) return this.entries.get(name.slice(1));
    let s = scope;
    for (;;) {
      const hit = this.entries.get(s ? `${s}.${name}` : name);
      if (hit) return hit;
      if (!s) return undefined;
      const dot = s.lastIndexOf('.');
      s = dot < 0 ? '' : s.slice(0, dot);
    }
  }

  private resolveMessage(file: FileDecl, scope: string, name: string, at: Pos): MessageType {
    const e = this.find(name, scope);
    if (!e) fail(file, at, `type ${name} is not defined`, 'UNRESOLVED');
    if (e.kind !== 'message') fail(file, at, `${name} is an enum, not a message`, 'UNRESOLVED');
    return e.type;
  }

  private valueInfo(file: FileDecl, scope: string, type: string, at: Pos): ValueInfo {
    if (SCALAR_TYPES.has(type)) return { kind: 'scalar', scalar: type as ScalarType };
    const e = this.find(type, scope);
    if (!e) fail(file, at, `type ${type} is not defined`, 'UNRESOLVED');
    if (e.kind === 'enum') {
      if (file.syntax === 'proto3' && e.file.syntax === 'proto2') fail(file, at, `proto3 messages cannot use the proto2 enum ${type}`);
      return { kind: 'enum', scalar: 'int32', enumType: e.type };
    }
    return { kind: 'message', scalar: 'bytes', messageType: e.type };
  }

  private resolveFields(entry: Entry & { kind: 'message' }): FieldInfo[] {
    const { decl, file } = entry;
    const scope = entry.type.fullName;
    const proto3 = file.syntax === 'proto3';
    return decl.fields.map((f: FieldDecl): FieldInfo => {
      const value = this.valueInfo(file, scope, f.type, f);
      const repeated = f.label === 'repeated';
      const isMap = f.keyType !== undefined;
      if (f.packed && (value.scalar === 'string' || value.scalar === 'bytes' || !repeated)) {
        fail(file, f, `[packed = true] needs a repeated scalar field, ${f.name} is not`);
      }
      const optional = !repeated && !isMap && (value.kind === 'message' || f.oneof !== undefined || f.label === 'optional' || f.label === 'required');
      const info: FieldInfo = {
        no: f.number,
        name: f.name,
        localName: toLowerCamel(f.name),
        jsonName: f.jsonName ?? toLowerCamel(f.name),
        kind: isMap ? 'map' : value.kind,
        value,
        repeated: repeated || isMap,
        packed: repeated && !isMap && value.kind !== 'message' && value.scalar !== 'string' && value.scalar !== 'bytes' && (f.packed ?? proto3),
        optional,
        ...(isMap ? { mapKey: f.keyType as MapKeyType } : {}),
        ...(f.oneof !== undefined ? { oneof: decl.oneofs[f.oneof] } : {}),
      };
      return info;
    });
  }

  private entry(name: string): Entry | undefined {
    return this.entries.get(name.startsWith('.') ? name.slice(1) : name);
  }

  /** The message type with this full name ("pkg.Message"); throws ProtobufError UNKNOWN_TYPE. */
  lookupType<T = any>(fullName: string): MessageType<T> {
    const e = this.entry(fullName);
    if (!e || e.kind !== 'message') throw new ProtobufError('UNKNOWN_TYPE', `no message type ${fullName} is loaded`);
    return e.type as MessageType<T>;
  }

  lookupEnum(fullName: string): EnumType {
    const e = this.entry(fullName);
    if (!e || e.kind !== 'enum') throw new ProtobufError('UNKNOWN_TYPE', `no enum ${fullName} is loaded`);
    return e.type;
  }

  lookupService(fullName: string): ServiceDescriptor {
    const s = this.services.get(fullName.startsWith('.') ? fullName.slice(1) : fullName);
    if (!s) throw new ProtobufError('UNKNOWN_TYPE', `no service ${fullName} is loaded`);
    return s;
  }

  /** Full names of every message, enum and service loaded. */
  names(): { messages: string[]; enums: string[]; services: string[] } {
    const messages: string[] = [];
    const enums: string[] = [];
    for (const [name, e] of this.entries) (e.kind === 'message' ? messages : enums).push(name);
    return { messages, enums, services: [...this.services.keys()] };
  }
}

function fail(file: FileDecl, at: Pos, msg: string, code: 'SYNTAX' | 'UNRESOLVED' = 'SYNTAX'): never {
  throw new ProtoSyntaxError(msg, file.name, at.line, at.column, code);
}

export interface LoadOptions {
  /** Directories to look for imports in (protoc's --proto_path), before the importing file's own directory. */
  includeDirs?: string[];
}

/**
 * Parse .proto files and, recursively, their imports, and resolve them into
 * one Root. Synchronous. Throws ProtoSyntaxError for text that does not
 * parse or names that do not resolve, ProtobufError for files not found.
 */
export function loadProtoFiles(files: string | string[], opts: LoadOptions = {}): Root {
  const includeDirs = opts.includeDirs ?? [];
  const loaded = new Map<string, FileDecl>();
  const order: FileDecl[] = [];

  const load = (path: string, shownName: string): void => {
    const abs = resolve(path);
    if (loaded.has(abs)) return;
    let text: string;
    try {
      text = readFileSync(abs, 'utf8');
    } catch (err) {
      throw new ProtobufError('UNKNOWN_TYPE', `cannot read ${shownName}: ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}`);
    }
    const decl = parseProto(text, shownName);
    loaded.set(abs, decl);
    for (const imp of decl.imports) {
      const candidates = [...includeDirs.map((d) => join(d, imp.path)), join(dirname(abs), imp.path)];
      const found = candidates.find((c) => existsSync(c));
      if (!found) {
        if (imp.modifier === 'weak') continue;
        throw new ProtoSyntaxError(`import ${JSON.stringify(imp.path)} not found (looked in ${candidates.map((c) => dirname(c)).join(', ')})`, shownName, imp.line, imp.column, 'UNRESOLVED');
      }
      load(found, imp.path);
    }
    order.push(decl);
  };

  for (const f of Array.isArray(files) ? files : [files]) {
    let path = f;
    if (!existsSync(path)) path = includeDirs.map((d) => join(d, f)).find((c) => existsSync(c)) ?? f;
    load(path, f);
  }
  return new Root(order);
}
