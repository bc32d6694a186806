/**
 * A recursive-descent parser for .proto files (protobuf language
 * specification for proto3, with the proto2 labels accepted): syntax,
 * package, imports, options (parsed and ignored, except json_name and
 * packed), messages with nested messages and enums, fields with
 * optional/repeated, map<K, V>, oneof, reserved, services with rpc and
 * stream modifiers.
 *
 * The result is a file declaration with type names still as written; root.ts
 * resolves them across files. Every error names file:line:column. Options
 * are only skipped, never stored by name, so an option like
 * `option (__proto__).x = 1` reaches no object (protobufjs CVE-2022-25878).
 */
import { ProtoSyntaxError } from './errors.js';
import { MAP_KEY_TYPES } from './schema.js';
import { type Token, tokenize } from './tokenizer.js';
import { MAX_FIELD_NUMBER } from './wire.js';

export interface Pos {
  line: number;
  column: number;
}

export interface FieldDecl extends Pos {
  name: string;
  number: number;
  label?: 'optional' | 'repeated' | 'required';
  /** The type as written: a scalar name or a (possibly dotted) message/enum name. */
  type: string;
  /** Set for map fields: the key's scalar type; `type` is then the value type. */
  keyType?: string;
  /** Index into the message's `oneofs`. */
  oneof?: number;
  jsonName?: string;
  packed?: boolean;
}

export interface EnumValueDecl extends Pos {
  name: string;
  number: number;
}

export interface EnumDecl extends Pos {
  name: string;
  values: EnumValueDecl[];
}

export interface MessageDecl extends Pos {
  name: string;
  fields: FieldDecl[];
  oneofs: string[];
  messages: MessageDecl[];
  enums: EnumDecl[];
  reservedRanges: [number, number][];
  reservedNames: string[];
}

export interface MethodDecl extends Pos {
  name: string;
  inputType: string;
  outputType: string;
  clientStreaming: boolean;
  serverStreaming: boolean;
}

export interface ServiceDecl extends Pos {
  name: string;
  methods: MethodDecl[];
}

/** What parseProto() returns: one file, names unresolved. */
export interface FileDecl {
  /** The file name used in errors and to match imports. */
  name: string;
  syntax: 'proto2' | 'proto3';
  package: string;
  imports: (Pos & { path: string; modifier?: 'public' | 'weak' })[];
  messages: MessageDecl[];
  enums: EnumDecl[];
  services: ServiceDecl[];
}

const LABELS = new Set(['optional', 'repeated', 'required']);

class Parser {
  private i = 0;
  private readonly toks: Token[];
  private syntax: 'proto2' | 'proto3' = 'proto2';

  constructor(
    src: string,
    private readonly file: string,
  ) {
    this.toks = tokenize(src, file);
  }

  private peek(k = 0): Token {
    return this.toks[Math.min(this.i + k, this.toks.length - 1)];
  }

  private next(): Token {
    const t = this.peek();
    if (t.kind !== 'eof') this.i++;
    return t;
  }

  fail(msg: string, at: Pos = this.peek()): never {
    throw new ProtoSyntaxError(msg, this.file, at.line, at.column);
  }

  private describe(t: Token): string {
    return t.kind === 'eof' ? 'end of file' : t.kind === 'string' ? `string ${JSON.stringify(t.text)}` : `"${t.text}"`;
  }

  private is(text: string): boolean {
    const t = this.peek();
    return (t.kind === 'symbol' || t.kind === 'ident') && t.text === text;
  }

  private expect(text: string): Token {
    if (!this.is(text)) this.fail(`expected "${text}", found ${this.describe(this.peek())}`);
    return this.next();
  }

  private ident(what = 'a name'): Token {
    const t = this.peek();
    if (t.kind !== 'ident') this.fail(`expected ${what}, found ${this.describe(t)}`);
    return this.next();
  }

  private string(): string {
    const t = this.peek();
    if (t.kind !== 'string') this.fail(`expected a string, found ${this.describe(t)}`);
    return this.next().text;
  }

  /** ["."] ident { "." ident } */
  private typeName(): string {
    let name = '';
    if (this.is('.')) name += this.next().text;
    name += this.ident('a type name').text;
    while (this.is('.')) {
      this.next();
      name += '.' + this.ident('a name after "."').text;
    }
    return name;
  }

  private int(what: string): number {
    let sign = 1;
    if (this.is('-')) {
      this.next();
      sign = -1;
    }
    const t = this.peek();
    if (t.kind !== 'int') this.fail(`expected ${what}, found ${this.describe(t)}`);
    this.next();
    const text = t.text;
    const v = text.startsWith('0x') || text.startsWith('0X') ? parseInt(text.slice(2), 16)
      : text.length > 1 && text[0] === '0' ? parseInt(text, 8) : Number(text);
    if (!Number.isSafeInteger(v) || (text.length > 1 && text[0] === '0' && /[89]/.test(text))) this.fail(`bad integer ${text}`, t);
    return sign * v;
  }

  /** A constant: identifier, number, string, or an aggregate `{ ... }`; skipped. */
  private constant(): Token {
    const t = this.peek();
    if (this.is('{')) {
      let depth = 0;
      do {
        const x = this.next();
        if (x.kind === 'eof') this.fail('unterminated { in an option value', t);
        if (x.kind === 'symbol' && x.text === '{') depth++;
        if (x.kind === 'symbol' && x.text === '}') depth--;
      } while (depth > 0);
      return t;
    }
    if (this.is('-') || this.is('+')) this.next();
    const v = this.peek();
    if (v.kind === 'eof' || v.kind === 'symbol') this.fail(`expected a constant, found ${this.describe(v)}`);
    this.next();
    if (v.kind === 'ident') while (this.is('.')) (this.next(), this.ident());
    return v;
  }

  /** optionName = (ident | "(" fullIdent ")") { "." (ident | "(" fullIdent ")") } */
  private optionName(): string {
    let name = '';
    do {
      if (name) name += this.next().text;
      if (this.is('(')) {
        this.next();
        name += '(' + this.typeName() + ')';
        this.expect(')');
      } else name += this.ident('an option name').text;
    } while (this.is('.'));
    return name;
  }

  /** `option name = constant;` — parsed and dropped. */
  private optionStatement(): void {
    this.expect('option');
    this.optionName();
    this.expect('=');
    this.constant();
    this.expect(';');
  }

  /** `[a = 1, b = "x"]`; returns the two options that change encoding. */
  private fieldOptions(): { jsonName?: string; packed?: boolean } {
    const out: { jsonName?: string; packed?: boolean } = {};
    if (!this.is('[')) return out;
    this.next();
    for (;;) {
      const at = this.peek();
      const name = this.optionName();
      this.expect('=');
      const v = this.constant();
      if (name === 'json_name') {
        if (v.kind !== 'string') this.fail('json_name takes a string', v);
        out.jsonName = v.text;
      } else if (name === 'packed') {
        if (v.kind !== 'ident' || (v.text !== 'true' && v.text !== 'false')) this.fail('packed takes true or false', v);
        out.packed = v.text === 'true';
      } else if (name === 'default' && this.syntax === 'proto3') this.fail('default values are not allowed in proto3', at);
      if (this.is(',')) this.next();
      else break;
    }
    this.expect(']');
    return out;
  }

  parse(): FileDecl {
    const file: FileDecl = { name: this.file, syntax: 'proto2', package: '', imports: [], messages: [], enums: [], services: [] };
    if (this.is('syntax')) {
      this.next();
      this.expect('=');
      const at = this.peek();
      const s = this.string();
      if (s !== 'proto3' && s !== 'proto2') this.fail(`unsupported syntax ${JSON.stringify(s)}`, at);
      this.expect(';');
      file.syntax = this.syntax = s;
    } else if (this.is('edition')) this.fail('editions are not supported (use syntax = "proto3")');
    let sawPackage = false;
    while (this.peek().kind !== 'eof') {
      const t = this.peek();
      if (this.is(';')) this.next();
      else if (this.is('import')) {
        this.next();
        let modifier: 'public' | 'weak' | undefined;
        if (this.is('public') || this.is('weak')) modifier = this.next().text as 'public' | 'weak';
        file.imports.push({ path: this.string(), modifier, line: t.line, column: t.column });
        this.expect(';');
      } else if (this.is('package')) {
        if (sawPackage) this.fail('a second package statement');
        this.next();
        file.package = this.typeName();
        if (file.package.startsWith('.')) this.fail('a package name cannot start with "."', t);
        sawPackage = true;
        this.expect(';');
      } else if (this.is('option')) this.optionStatement();
      else if (this.is('message')) file.messages.push(this.message());
      else if (this.is('enum')) file.enums.push(this.enumDecl());
      else if (this.is('service')) file.services.push(this.service());
      else if (this.is('extend')) this.skipExtend();
      else this.fail(`unexpected ${this.describe(t)} at the top level`);
    }
    return file;
  }

  /** `extend Foo { ... }` declares extensions, which proto3 only allows for options: skipped. */
  private skipExtend(): void {
    this.next();
    this.typeName();
    this.constant();
  }

  private message(): MessageDecl {
    const kw = this.expect('message');
    const name = this.ident('a message name').text;
    const m: MessageDecl = { name, line: kw.line, column: kw.column, fields: [], oneofs: [], messages: [], enums: [], reservedRanges: [], reservedNames: [] };
    this.expect('{');
    while (!this.is('}')) {
      const t = this.peek();
      if (t.kind === 'eof') this.fail(`message ${name} is not closed`, kw);
      if (this.is(';')) this.next();
      else if (this.is('message') && this.peek(1).kind === 'ident' && this.peek(2).text === '{') m.messages.push(this.message());
      else if (this.is('enum') && this.peek(1).kind === 'ident' && this.peek(2).text === '{') m.enums.push(this.enumDecl());
      else if (this.is('oneof') && this.peek(1).kind === 'ident' && this.peek(2).text === '{') this.oneof(m);
      else if (this.is('option') && this.peek(1).text !== '=') this.optionStatement();
      else if (this.is('reserved') && this.peek(1).text !== '=') this.reserved(m);
      else if (this.is('extensions') && this.peek(1).text !== '=') {
        while (!this.is(';') && this.peek().kind !== 'eof') this.next();
        this.expect(';');
      } else if (this.is('extend') && this.peek(1).text !== '=') this.skipExtend();
      else m.fields.push(this.field(undefined));
    }
    this.next();
    this.check(m);
    return m;
  }

  private oneof(m: MessageDecl): void {
    this.expect('oneof');
    const name = this.ident().text;
    const index = m.oneofs.push(name) - 1;
    this.expect('{');
    while (!this.is('}')) {
      if (this.peek().kind === 'eof') this.fail(`oneof ${name} is not closed`);
      if (this.is(';')) this.next();
      else if (this.is('option') && this.peek(1).text !== '=') this.optionStatement();
      else {
        if (LABELS.has(this.peek().text) && !(this.peek(1).kind === 'ident' && this.peek(2).text === '=')) {
          this.fail(`a oneof field takes no label ("${this.peek().text}")`);
        }
        m.fields.push(this.field(index));
      }
    }
    this.next();
  }

  private field(oneof: number | undefined): FieldDecl {
    const start = this.peek();
    let label: FieldDecl['label'];
    if (LABELS.has(start.text) && start.kind === 'ident' && !(this.peek(1).kind === 'ident' && this.peek(2).text === '=')) {
      label = this.next().text as FieldDecl['label'];
      if (label === 'required' && this.syntax === 'proto3') this.fail('required fields are not allowed in proto3', start);
    }
    let type: string;
    let keyType: string | undefined;
    if (this.is('map') && this.peek(1).text === '<') {
      if (label) this.fail('a map field takes no label', start);
      this.next();
      this.next();
      const k = this.ident('a map key type');
      if (!MAP_KEY_TYPES.has(k.text)) this.fail(`${k.text} cannot be a map key type`, k);
      keyType = k.text;
      this.expect(',');
      type = this.typeName();
      this.expect('>');
    } else {
      if (this.is('group')) this.fail('groups are not supported');
      type = this.typeName();
    }
    const nameTok = this.ident('a field name');
    this.expect('=');
    const numTok = this.peek();
    const number = this.int('a field number');
    if (number < 1 || number > MAX_FIELD_NUMBER) this.fail(`field number ${number} is out of range 1..${MAX_FIELD_NUMBER}`, numTok);
    if (number >= 19000 && number <= 19999) this.fail(`field numbers 19000..19999 are reserved for the protobuf implementation`, numTok);
    const opts = this.fieldOptions();
    this.expect(';');
    if (this.syntax === 'proto2' && !label && !keyType && oneof === undefined) this.fail('proto2 fields need a label (optional, required or repeated)', start);
    const f: FieldDecl = { name: nameTok.text, number, type, line: nameTok.line, column: nameTok.column };
    if (label) f.label = label;
    if (keyType) f.keyType = keyType;
    if (oneof !== undefined) f.oneof = oneof;
    if (opts.jsonName !== undefined) f.jsonName = opts.jsonName;
    if (opts.packed !== undefined) f.packed = opts.packed;
    return f;
  }

  private reserved(m: MessageDecl | null, ranges: [number, number][] = m!.reservedRanges, names: string[] = m!.reservedNames): void {
    this.expect('reserved');
    do {
      if (this.peek().kind === 'string') names.push(this.string());
      else if (this.peek().kind === 'ident' && this.peek().text !== 'max') names.push(this.next().text);
      else {
        const lo = this.int('a field number');
        let hi = lo;
        if (this.is('to')) {
          this.next();
          hi = this.is('max') ? (this.next(), MAX_FIELD_NUMBER) : this.int('a field number');
        }
        ranges.push([lo, hi]);
      }
    } while (this.is(',') && this.next());
    this.expect(';');
  }

  private check(m: MessageDecl): void {
    const numbers = new Map<number, FieldDecl>();
    const names = new Set<string>();
    for (const f of m.fields) {
      const dup = numbers.get(f.number);
      if (dup) this.fail(`field number ${f.number} is used by both ${dup.name} and ${f.name}`, f);
      numbers.set(f.number, f);
      if (names.has(f.name)) this.fail(`field name ${f.name} is used twice in ${m.name}`, f);
      names.add(f.name);
      for (const [lo, hi] of m.reservedRanges) {
        if (f.number >= lo && f.number <= hi) this.fail(`field ${f.name} uses reserved number ${f.number}`, f);
      }
      if (m.reservedNames.includes(f.name)) this.fail(`field name ${f.name} is reserved`, f);
    }
  }

  private enumDecl(): EnumDecl {
    const kw = this.expect('enum');
    const name = this.ident('an enum name').text;
    const e: EnumDecl = { name, line: kw.line, column: kw.column, values: [] };
    const ranges: [number, number][] = [];
    const names: string[] = [];
    this.expect('{');
    while (!this.is('}')) {
      if (this.peek().kind === 'eof') this.fail(`enum ${name} is not closed`, kw);
      if (this.is(';')) this.next();
      else if (this.is('option') && this.peek(1).text !== '=') this.optionStatement();
      else if (this.is('reserved') && this.peek(1).text !== '=') this.reserved(null, ranges, names);
      else {
        const v = this.ident('an enum value name');
        this.expect('=');
        const numTok = this.peek();
        const number = this.int('an enum value number');
        if (number < -0x80000000 || number > 0x7fffffff) this.fail(`enum value ${number} is not an int32`, numTok);
        this.fieldOptions();
        this.expect(';');
        if (e.values.some((x) => x.name === v.text)) this.fail(`enum value ${v.text} is defined twice`, v);
        if (names.includes(v.text) || ranges.some(([lo, hi]) => number >= lo && number <= hi)) this.fail(`enum value ${v.text} is reserved`, v);
        e.values.push({ name: v.text, number, line: v.line, column: v.column });
      }
    }
    this.next();
    if (e.values.length === 0) this.fail(`enum ${name} has no values`, kw);
    if (this.syntax === 'proto3' && e.values[0].number !== 0) this.fail(`the first value of proto3 enum ${name} must be 0`, e.values[0]);
    return e;
  }

  private service(): ServiceDecl {
    const kw = this.expect('service');
    const name = this.ident('a service name').text;
    const s: ServiceDecl = { name, line: kw.line, column: kw.column, methods: [] };
    this.expect('{');
    while (!this.is('}')) {
      if (this.peek().kind === 'eof') this.fail(`service ${name} is not closed`, kw);
      if (this.is(';')) this.next();
      else if (this.is('option')) this.optionStatement();
      else {
        const rpc = this.expect('rpc');
        const mname = this.ident('a method name').text;
        this.expect('(');
        const clientStreaming = this.is('stream') && this.peek(1).text !== ')' && this.peek(1).text !== '.' ? (this.next(), true) : false;
        const inputType = this.typeName();
        this.expect(')');
        this.expect('returns');
        this.expect('(');
        const serverStreaming = this.is('stream') && this.peek(1).text !== ')' && this.peek(1).text !== '.' ? (this.next(), true) : false;
        const outputType = this.typeName();
        this.expect(')');
        if (this.is('{')) {
          this.next();
          while (!this.is('}')) {
            if (this.peek().kind === 'eof') this.fail(`rpc ${mname} is not closed`, rpc);
            if (this.is(';')) this.next();
            else this.optionStatement();
          }
          this.next();
          if (this.is(';')) this.next();
        } else this.expect(';');
        if (s.methods.some((m) => m.name === mname)) this.fail(`method ${mname} is defined twice`, rpc);
        s.methods.push({ name: mname, inputType, outputType, clientStreaming, serverStreaming, line: rpc.line, column: rpc.column });
      }
    }
    this.next();
    return s;
  }
}

/** Parse one .proto file's text. Throws ProtoSyntaxError ("file:line:column: reason"). */
export function parseProto(source: string, filename = 'input.proto'): FileDecl {
  return new Parser(source, filename).parse();
}
