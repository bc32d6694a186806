/**
 * The lexical structure of .proto files (protobuf language specification,
 * "Lexical elements"): identifiers, integer and float literals, string
 * literals with C-style escapes, symbols; `//` and `/* *\/` comments and
 * whitespace between them. One pass, one character at a time, no regular
 * expressions; each token remembers its line and column (1-based) for
 * error messages.
 */
import { ProtoSyntaxError } from './errors.js';

export type TokenKind = 'ident' | 'int' | 'float' | 'string' | 'symbol' | 'eof';

export interface Token {
  kind: TokenKind;
  /** The source text (for strings: the decoded value). */
  text: string;
  line: number;
  column: number;
}

const SYMBOLS = new Set('{}[]()<>;,=.-+:/'.split(''));

function isLetter(c: string): boolean {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c === '_';
}

function isDigit(c: string): boolean {
  return c >= '0' && c <= '9';
}

function isHex(c: string): boolean {
  return isDigit(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

export function tokenize(src: string, file: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  let line = 1;
  let lineStart = 0;
  const n = src.length;
  const err = (msg: string, at = i): never => {
    throw new ProtoSyntaxError(msg, file, line, at - lineStart + 1);
  };

  while (i < n) {
    const c = src[i];
    if (c === '\n') {
      i++;
      line++;
      lineStart = i;
      continue;
    }
    if (c === ' ' || c === '\t' || c === '\r' || c === '\f' || c === '\v') {
      i++;
      continue;
    }
    if (c === '/' && src[i + 1] === '/') {
      while (i < n && src[i] !== '\n') i++;
      continue;
    }
    if (c === '/' && src[i + 1] === '*') {
      const startLine = line;
      const startCol = i - lineStart + 1;
      i += 2;
      while (i < n && !(src[i] === '*' && src[i + 1] === '/')) {
        if (src[i] === '\n') {
          line++;
          lineStart = i + 1;
        }
        i++;
      }
      if (i >= n) throw new ProtoSyntaxError('unterminated /* comment', file, startLine, startCol);
      i += 2;
      continue;
    }
    const column = i - lineStart + 1;
    if (isLetter(c)) {
      const start = i;
      while (i < n && (isLetter(src[i]) || isDigit(src[i]))) i++;
      tokens.push({ kind: 'ident', text: src.slice(start, i), line, column });
      continue;
    }
    if (isDigit(c) || (c === '.' && isDigit(src[i + 1] ?? ''))) {
      const start = i;
      let float = false;
      if (c === '0' && (src[i + 1] === 'x' || src[i + 1] === 'X')) {
        i += 2;
        if (!isHex(src[i] ?? '')) err('hex literal without digits');
        while (i < n && isHex(src[i])) i++;
      } else {
        while (i < n && isDigit(src[i])) i++;
        if (src[i] === '.') {
          float = true;
          i++;
          while (i < n && isDigit(src[i])) i++;
        }
        if (src[i] === 'e' || src[i] === 'E') {
          float = true;
          i++;
          if (src[i] === '+' || src[i] === '-') i++;
          if (!isDigit(src[i] ?? '')) err('exponent without digits');
          while (i < n && isDigit(src[i])) i++;
        }
      }
      if (i < n && isLetter(src[i])) err(`unexpected ${JSON.stringify(src[i])} after a number`);
      tokens.push({ kind: float ? 'float' : 'int', text: src.slice(start, i), line, column });
      continue;
    }
    if (c === '"' || c === "'") {
      i++;
      let value = '';
      for (;;) {
        if (i >= n || src[i] === '\n') err('unterminated string literal', lineStart + column - 1);
        const ch = src[i];
        if (ch === c) {
          i++;
          break;
        }
        if (ch !== '\\') {
          value += ch;
          i++;
          continue;
        }
        const e = src[i + 1] ?? '';
        i += 2;
        switch (e) {
          case 'n': value += '\n'; break;
          case 't': value += '\t'; break;
          case 'r': value += '\r'; break;
          case 'a': value += '\x07'; break;
          case 'b': value += '\b'; break;
          case 'f': value += '\f'; break;
          case 'v': value += '\v'; break;
          case '\\': case "'": case '"': case '?': value += e; break;
          case 'x': case 'X': {
            let h = '';
            while (h.length < 2 && isHex(src[i] ?? '')) h += src[i++];
            if (!h) err('\\x without hex digits', i - 2);
            value += String.fromCharCode(parseInt(h, 16));
            break;
          }
          case 'u': case 'U': {
            const len = e === 'u' ? 4 : 8;
            let h = '';
            while (h.length < len && isHex(src[i] ?? '')) h += src[i++];
            const cp = parseInt(h, 16);
            if (h.length !== len || cp > 0x10ffff) err(`bad \\${e} escape`, i - 2 - h.length);
            value += String.fromCodePoint(cp);
            break;
          }
          default: {
            if (e >= '0' && e <= '7') {
              let o = e;
              while (o.length < 3 && src[i] >= '0' && src[i] <= '7') o += src[i++];
              value += String.fromCharCode(parseInt(o, 8) & 0xff);
              break;
            }
            err(`unknown escape \\${e}`, i - 2);
          }
        }
      }
      // Adjacent string literals are one string ("a" "b" == "ab").
      const prev = tokens[tokens.length - 1];
      if (prev && prev.kind === 'string') prev.text += value;
      else tokens.push({ kind: 'string', text: value, line, column });
      continue;
    }
    if (SYMBOLS.has(c)) {
      tokens.push({ kind: 'symbol', text: c, line, column });
      i++;
      continue;
    }
    err(`unexpected character ${JSON.stringify(c)}`);
  }
  tokens.push({ kind: 'eof', text: '', line, column: i - lineStart + 1 });
  return tokens;
}
