/**
 * Splits assembler source into statements and tokens, with 1-based line and column numbers for
 * error messages, and a token cursor the dialect parsers share.
 */
import { BpfError } from '../errors.js';

/** Raised for assembler input that cannot be assembled; the message starts with `line:column:`. */
export class AsmError extends BpfError {
  /** 1-based line of the offending token. */
  readonly line: number;
  /** 1-based column of the offending token. */
  readonly column: number;

  constructor(line: number, column: number, message: string) {
    super('EASM', `${line}:${column}: ${message}`);
    this.line = line;
    this.column = column;
  }
}

/** One token: an identifier (registers and `%r1` included), a number or punctuation. */
export interface Token {
  /** What kind of token this is. */
  readonly kind: 'ident' | 'num' | 'punct';
  /** The token's text as written. */
  readonly text: string;
  /** 1-based column. */
  readonly col: number;
  /** For numbers: the value. */
  readonly value?: bigint;
}

/** A statement's tokens, with its line and the opcode its listing prefix claims, if any. */
export interface Statement {
  /** 1-based line. */
  readonly line: number;
  /** Tokens, without comments and listing prefixes. */
  readonly tokens: readonly Token[];
  /** The opcode a `N: (b7)` or objdump-bytes prefix gives, checked against the assembled result. */
  readonly listedCode?: { readonly code: number; readonly col: number };
}

/** How `;` is read: as a comment (the verifier log's source lines) or as a statement separator. */
export type SemicolonMode = 'comment' | 'separator';

const OPERATORS = [
  's>>=', '<<=', '>>=', 's/=', 's%=', 's>=', 's<=', '==', '!=', '>=', '<=', '+=', '-=', '*=', '/=',
  '|=', '&=', '%=', '^=', 's>', 's<', '=', '<', '>', '&', '(', ')', '[', ']', '*', ',', '+', '-', ':', '#',
];
const IDENT = /[A-Za-z_.][A-Za-z0-9_.]*/y;
const NUMBER = /(0[xX][0-9a-fA-F]+|[0-9]+)(?![A-Za-z0-9_])/y;

function tokenize(text: string, line: number, startCol: number): Token[] {
  const tokens: Token[] = [];
  let p = 0;
  while (p < text.length) {
    const ch = text[p]!;
    if (ch === ' ' || ch === '\t' || ch === '\r') { p++; continue; }
    const col = startCol + p;
    IDENT.lastIndex = p;
    const ident = IDENT.exec(text);
    const op = OPERATORS.find((o) => text.startsWith(o, p));
    if (ident && !(op?.startsWith('s') && ident[0] === 's')) {
      let word = ident[0];
      if (word === 'kernel' && text.startsWith('-function', p + word.length)) word = 'kernel-function';
      tokens.push({ kind: 'ident', text: word, col });
      p += word.length;
      continue;
    }
    if (ch === '%' && /[A-Za-z]/.test(text[p + 1] ?? '')) {
      IDENT.lastIndex = p + 1;
      const name = '%' + IDENT.exec(text)![0];
      tokens.push({ kind: 'ident', text: name, col });
      p += name.length;
      continue;
    }
    if (/[0-9]/.test(ch)) {
      NUMBER.lastIndex = p;
      const num = NUMBER.exec(text);
      if (!num) throw new AsmError(line, col, `bad number '${/^[A-Za-z0-9_]+/.exec(text.slice(p))![0]}'`);
      tokens.push({ kind: 'num', text: num[0], col, value: BigInt(num[0]) });
      p += num[0].length;
      continue;
    }
    if (!op) throw new AsmError(line, col, `unexpected character '${ch}'`);
    tokens.push({ kind: 'punct', text: op, col });
    p += op.length;
  }
  return tokens;
}

/** Where a comment starts in `text`, or its length when it has none. */
function commentStart(text: string, semicolon: SemicolonMode, hashAnywhere: boolean): number {
  for (let p = 0; p < text.length; p++) {
    const ch = text[p]!;
    if (ch === '/' && text[p + 1] === '/') return p;
    if (ch === ';' && semicolon === 'comment') return p;
    if (ch === '#' && (hashAnywhere || p === 0 || text[p - 1] === ' ' || text[p - 1] === '\t')) return p;
  }
  return text.length;
}

/** `   12:`, then `(b7) ` (verifier log) or `b7 01 00 00 01 00 00 00\t` (llvm-objdump). */
const LISTING_PREFIX = /^\s*\d+:\s*(?:\(([0-9a-f]{2})\)\s|([0-9a-f]{2})((?: [0-9a-f]{2}){7}|(?: [0-9a-f]{2}){15})\t)?/;
/** llvm-objdump's jump-target annotation, e.g. ` <.text+0x48>`. */
const OBJDUMP_ANNOTATION = /\s+<[^<>]*>\s*$/;

/**
 * Splits source into statements: one per line, or several when `;` separates them; comments
 * (`//`, `;`, and `#` at the start of a word — anywhere in the uBPF dialect, whose `call` has no
 * `name#id` form) and listing prefixes removed.
 */
export function statements(source: string, semicolon: SemicolonMode, hashAnywhere: boolean): Statement[] {
  const out: Statement[] = [];
  source.split('\n').forEach((raw, index) => {
    const line = index + 1;
    let text = raw.slice(0, commentStart(raw, semicolon, hashAnywhere));
    let offset = 0;
    let listedCode: Statement['listedCode'];
    const prefix = LISTING_PREFIX.exec(text);
    if (prefix) {
      if (prefix[1]) listedCode = { code: parseInt(prefix[1], 16), col: prefix[0].lastIndexOf('(') + 2 };
      if (prefix[2]) listedCode = { code: parseInt(prefix[2], 16), col: prefix[0].length - prefix[2].length - prefix[3]!.length };
      offset = prefix[0].length;
      text = text.slice(offset);
    }
    text = text.replace(OBJDUMP_ANNOTATION, '');
    let col = offset + 1;
    for (const part of semicolon === 'separator' ? text.split(';') : [text]) {
      const tokens = tokenize(part, line, col);
      if (tokens.length > 0) out.push(listedCode ? { line, tokens, listedCode } : { line, tokens });
      col += part.length + 1;
    }
  });
  return out;
}

/** Reads a statement's tokens front to back, raising `AsmError` that points at the token at fault. */
export class Cursor {
  private pos = 0;

  constructor(readonly line: number, private readonly tokens: readonly Token[]) {}

  /** The token `ahead` places forward, or undefined past the end. */
  peek(ahead = 0): Token | undefined {
    return this.tokens[this.pos + ahead];
  }

  /** Whether every token has been read. */
  atEnd(): boolean {
    return this.pos >= this.tokens.length;
  }

  /** Column of the next token, or just past the last one. */
  col(): number {
    const t = this.peek() ?? this.tokens[this.tokens.length - 1];
    return t ? (this.atEnd() ? t.col + t.text.length : t.col) : 1;
  }

  /** An error at the next token (or at `token`). */
  error(message: string, token?: Token): AsmError {
    return new AsmError(this.line, token?.col ?? this.col(), message);
  }

  /** Consumes and returns the next token; `what` names what was expected if there is none. */
  next(what: string): Token {
    const t = this.tokens[this.pos];
    if (!t) throw this.error(`expected ${what} at the end of the statement`);
    this.pos++;
    return t;
  }

  /** Consumes the next token if its text is `text`. */
  accept(text: string): boolean {
    if (this.peek()?.text !== text) return false;
    this.pos++;
    return true;
  }

  /** Consumes the next token, which must be `text`. */
  expect(text: string): Token {
    const t = this.peek();
    if (t?.text !== text) throw this.error(t ? `expected '${text}', found '${t.text}'` : `expected '${text}' at the end of the statement`);
    this.pos++;
    return t;
  }

  /** Requires that every token has been read. */
  expectEnd(): void {
    const t = this.peek();
    if (t) throw this.error(`unexpected '${t.text}' after the instruction`, t);
  }
}
