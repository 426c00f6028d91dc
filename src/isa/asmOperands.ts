/**
 * Operands both assembler dialects share: numbers with their range rules, jump targets and the
 * LD_IMM64 pseudo operands (`map[fd:5]`, `map_value[name] + 8`, `btf_id[7]`, `subprog[+3]`).
 */
import type { Insn } from './insn.js';
import type { Cursor, Token } from './asmLexer.js';

/** A pc-relative jump or call target still to be resolved, by label. */
export interface Fixup {
  /** The label jumped to. */
  readonly label: string;
  /** The field that receives the relative offset. */
  readonly field: 'off' | 'imm';
  /** The label's token, for error messages. */
  readonly token: Token;
  /** `call name`: a local call when `name` is a label, else a helper call by name. */
  readonly callByName?: boolean;
}

/** One parsed instruction: its slots, a label still to resolve, a map still to name. */
export interface Parsed {
  /** One slot, or two for LD_IMM64. */
  readonly slots: Insn[];
  /** A jump or call target given by label. */
  readonly fixup?: Fixup;
  /** The map an LD_IMM64 refers to by name. */
  readonly mapRef?: string;
}

/** A jump target: a relative offset, or a label to resolve later. */
export type Target = { readonly rel: number } | { readonly label: string; readonly token: Token };

interface Num {
  readonly value: bigint;
  readonly hex: boolean;
  readonly token: Token;
  readonly text: string;
}

/** A number with an optional sign. */
export function number(c: Cursor, what: string): Num {
  const first = c.peek();
  const negative = c.accept('-');
  const positive = !negative && c.accept('+');
  const t = c.next(what);
  if (t.kind !== 'num') throw c.error(`expected ${what}, found '${t.text}'`, t);
  const sign = negative ? '-' : positive ? '+' : '';
  return { value: negative ? -t.value! : t.value!, hex: /^0x/i.test(t.text), token: first!, text: sign + t.text };
}

function fits(n: Num, min: bigint, max: bigint, c: Cursor, what: string, bits: number): bigint {
  if (n.value < min || n.value > max) throw c.error(`${what} ${n.text} does not fit in ${bits} bits`, n.token);
  return n.value;
}

/**
 * A 32-bit immediate: decimal in the signed range, or hex up to 0xffffffff (a bit pattern, as the
 * kernel prints jump immediates), so that a decimal like 4294967295 is not silently taken as -1.
 */
export function imm32(c: Cursor, what = 'immediate'): number {
  const n = number(c, what);
  return Number(BigInt.asIntN(32, fits(n, -(1n << 31n), n.hex ? 0xffffffffn : (1n << 31n) - 1n, c, what, 32)));
}

/** An unsigned 32-bit field (fd, index, BTF id, offset into a value): up to 4294967295 in any base. */
export function u32(c: Cursor, what: string): number {
  return Number(BigInt.asIntN(32, fits(number(c, what), -(1n << 31n), 0xffffffffn, c, what, 32)));
}

/** A 16-bit offset: decimal in the signed range, or hex up to 0xffff. */
export function off16(c: Cursor, what = 'offset'): number {
  const n = number(c, what);
  return Number(BigInt.asIntN(16, fits(n, -(1n << 15n), n.hex ? 0xffffn : (1n << 15n) - 1n, c, what, 16)));
}

/** A 64-bit immediate, signed or unsigned. */
export function imm64(c: Cursor, what = '64-bit immediate'): bigint {
  return BigInt.asUintN(64, fits(number(c, what), -(1n << 63n), (1n << 64n) - 1n, c, what, 64));
}

/** A jump target: `+N`, `-N`, `pc+N`, `pc-N` or a label; `bits` is the width of its field. */
export function target(c: Cursor, bits: 16 | 32): Target {
  const t = c.peek();
  if (t?.text === 'pc' && (c.peek(1)?.text === '+' || c.peek(1)?.text === '-')) c.next('pc');
  const sign = c.peek()?.text;
  if (sign === '+' || sign === '-') return { rel: bits === 16 ? off16(c, 'jump offset') : imm32(c, 'jump offset') };
  if (t?.kind === 'ident') {
    c.next('a label');
    return { label: t.text, token: t };
  }
  throw c.error(t ? `expected a jump target (+N, -N, pc+N or a label), found '${t.text}'` : 'expected a jump target at the end of the statement');
}

/** The fixup for a target, if it is a label. */
export function fixupOf(t: Target, field: 'off' | 'imm'): Fixup | undefined {
  return 'label' in t ? { label: t.label, field, token: t.token } : undefined;
}

/** A kfunc call's optional ` off:N` suffix (the fd_array index of its BTF); 0 when absent. */
export function kfuncOff(c: Cursor): number {
  if (c.peek()?.text !== 'off' || c.peek(1)?.text !== ':') return 0;
  c.next('off');
  c.next(':');
  return off16(c, 'kfunc BTF fd index');
}

/** A parsed pseudo operand: the LD_IMM64 source, both immediates and what is left to resolve. */
export interface PseudoOperand {
  readonly src: number;
  readonly imm: number;
  readonly hi: number;
  readonly mapName?: string;
  readonly target?: Target;
}

const PSEUDO_KINDS = new Set(['map', 'map_value', 'btf_id', 'subprog']);

/** Whether the cursor is at a pseudo operand (`map[`, `map_value[`, `btf_id[`, `subprog[`). */
export function atPseudo(c: Cursor): boolean {
  return PSEUDO_KINDS.has(c.peek()?.text ?? '') && c.peek(1)?.text === '[';
}

function mapRef(c: Cursor, value: boolean): PseudoOperand {
  const t = c.next('a map');
  const kind = c.peek()?.text === ':' ? t.text : null;
  if (kind !== null) {
    c.expect(':');
    if (kind !== 'fd' && kind !== 'idx') throw c.error(`expected 'fd:' or 'idx:' before a map number, found '${kind}:'`, t);
    const imm = u32(c, `map ${kind}`);
    return { src: (kind === 'fd' ? 1 : 5) + (value ? 1 : 0), imm, hi: 0 };
  }
  if (t.kind !== 'ident') throw c.error(`expected a map name, fd:N or idx:N, found '${t.text}'`, t);
  return { src: value ? 2 : 1, imm: 0, hi: 0, mapName: t.text };
}

/** Reads a pseudo operand; the cursor must be `atPseudo`. */
export function pseudo(c: Cursor): PseudoOperand {
  const kind = c.next('a pseudo operand').text;
  c.expect('[');
  let operand: PseudoOperand;
  if (kind === 'map' || kind === 'map_value') operand = mapRef(c, kind === 'map_value');
  else if (kind === 'btf_id') operand = { src: 3, imm: u32(c, 'BTF id'), hi: 0 };
  else operand = { src: 4, imm: 0, hi: 0, target: target(c, 32) };
  c.expect(']');
  if (c.accept('+')) operand = { ...operand, hi: u32(c, 'second immediate') };
  if (operand.target && 'rel' in operand.target) operand = { ...operand, imm: operand.target.rel };
  return operand;
}
