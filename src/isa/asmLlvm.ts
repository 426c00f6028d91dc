/**
 * Parses one statement of the kernel / llvm syntax: everything `disasm` prints in `kernel` and
 * `llvm` style (`r0 = *(u32 *)(r1 +4)`, `if w1 > 0x5 goto pc+3`, `lock *(u64 *)(r10 - 8) += r1`,
 * `r1 = atomic64_xchg((u64 *)(r10 -8), r1)`, `r1 = 5 ll`, `call bpf_map_lookup_elem#1`, …),
 * plus labels as jump and call targets and maps by name (`r1 = map[my_map]`).
 */
import { insn, ldImm64 } from './insn.js';
import { helperId } from './helperIds.js';
import type { Cursor, Token } from './asmLexer.js';
import {
  BPF_ABS, BPF_ALU, BPF_ALU64, BPF_ATOMIC, BPF_DW, BPF_CALL, BPF_CMPXCHG, BPF_DIV, BPF_END, BPF_EXIT,
  BPF_FETCH, BPF_IND, BPF_JA, BPF_JCOND, BPF_JMP, BPF_JMP32, BPF_K, BPF_LD, BPF_LDX, BPF_MEM,
  BPF_MEMSX, BPF_MOD, BPF_MOV, BPF_NEG, BPF_PSEUDO_CALL, BPF_PSEUDO_KFUNC_CALL, BPF_ST, BPF_STX,
  BPF_TO_BE, BPF_TO_LE, BPF_W, BPF_X, BPF_XCHG, LD_IMM64, sizeField,
} from './opcodes.js';
import { ALU_OPERATORS, ATOMIC_OPS, JMP_OPERATORS, invert } from './syntax.js';
import {
  atPseudo, fixupOf, imm32, imm64, kfuncOff, number, off16, pseudo, target, u32, type Parsed,
} from './asmOperands.js';

interface Reg {
  readonly n: number;
  readonly w: boolean;
  readonly token: Token;
}

const ALU_OPS = invert(ALU_OPERATORS);
const JMP_OPS = invert(JMP_OPERATORS);
const ATOMIC_NAMES = invert(ATOMIC_OPS);
const END_OPS = /^(be|le|bswap)(16|32|64)$/;
const ATOMIC_CALL = /^(?:atomic(64)?_(?:fetch_(add|and|or|xor)|(xchg)|(cmpxchg))|(xchg)_64|(xchg)32_32|(cmpxchg)_64|(cmpxchg)32_32)$/;

function isReg(t: Token | undefined): boolean {
  return t?.kind === 'ident' && /^[rw]\d+$/.test(t.text);
}

function reg(c: Cursor): Reg {
  const t = c.next('a register');
  const m = /^([rw])(\d+)$/.exec(t.text);
  if (t.kind !== 'ident' || !m) throw c.error(`expected a register, found '${t.text}'`, t);
  if (!/^(?:10|\d)$/.test(m[2]!)) throw c.error(`unknown register ${t.text}`, t);
  return { n: Number(m[2]), w: m[1] === 'w', token: t };
}

function r64(c: Cursor, r: Reg, why: string): number {
  if (r.w) throw c.error(`${why} takes a 64-bit register, not ${r.token.text}`, r.token);
  return r.n;
}

function sameWidth(c: Cursor, a: Reg, b: Reg): void {
  if (a.w !== b.w) throw c.error(`${b.token.text} and ${a.token.text} differ in width; use both rN or both wN`, b.token);
}

/** `(u32 *)` → size field and whether the type is signed (`s8`…); the cursor is after `(`. */
function castType(c: Cursor): { size: number; signed: boolean; type: Token } {
  const t = c.next('a type such as u32');
  const m = /^([us])(8|16|32|64)$/.exec(t.text);
  if (!m) throw c.error(`expected a type (u8, u16, u32, u64, s8, s16, s32), found '${t.text}'`, t);
  if (m[1] === 's' && m[2] === '64') throw c.error('there is no sign-extending 64-bit load; use u64', t);
  c.expect('*');
  c.expect(')');
  return { size: sizeField((Number(m[2]) / 8) as 1 | 2 | 4 | 8), signed: m[1] === 's', type: t };
}

/** `r10 - 8`, `r10 -8`, `r1 +4` or `r1`: a base register and offset. */
function address(c: Cursor): { base: number; off: number } {
  const base = reg(c);
  const off = c.peek()?.text === '+' || c.peek()?.text === '-' ? off16(c) : 0;
  return { base: r64(c, base, 'an address'), off };
}

/** `(r10 -8)`. */
function parenAddress(c: Cursor): { base: number; off: number } {
  c.expect('(');
  const a = address(c);
  c.expect(')');
  return a;
}

/** `*(u32 *)(r1 +4)` after the `*`. */
function deref(c: Cursor): { size: number; signed: boolean; type: Token; base: number; off: number } {
  c.expect('(');
  const type = castType(c);
  return { ...type, ...parenAddress(c) };
}

function store(c: Cursor): Parsed {
  const m = deref(c);
  if (m.signed) throw c.error('stores take an unsigned type (u8, u16, u32, u64)', m.type);
  c.expect('=');
  if (isReg(c.peek())) {
    const src = reg(c);
    if (src.w && m.size === BPF_DW) throw c.error(`a 64-bit store takes rN, not ${src.token.text}`, src.token);
    return { slots: [insn(BPF_STX | BPF_MEM | m.size, m.base, src.n, m.off)] };
  }
  return { slots: [insn(BPF_ST | BPF_MEM | m.size, m.base, 0, m.off, imm32(c))] };
}

function lock(c: Cursor): Parsed {
  c.expect('*');
  const m = deref(c);
  if (m.signed || (m.size !== BPF_W && m.size !== BPF_DW)) throw c.error('atomics take u32 or u64', m.type);
  const opTok = c.next('an operator (+=, |=, &=, ^=)');
  const op = ALU_OPS.get(opTok.text);
  if (op === undefined || ATOMIC_OPS[op] === undefined) throw c.error(`expected +=, |=, &= or ^=, found '${opTok.text}'`, opTok);
  const src = reg(c);
  if (src.w && m.size === BPF_DW) throw c.error(`a 64-bit atomic takes rN, not ${src.token.text}`, src.token);
  return { slots: [insn(BPF_STX | BPF_ATOMIC | m.size, m.base, src.n, m.off, op)] };
}

function jump(c: Cursor): Parsed {
  const dst = reg(c);
  const opTok = c.next('a comparison');
  const op = JMP_OPS.get(opTok.text);
  if (op === undefined) throw c.error(`expected a comparison (==, !=, >, s<, &, …), found '${opTok.text}'`, opTok);
  const cls = dst.w ? BPF_JMP32 : BPF_JMP;
  let code = cls | op | BPF_K;
  let src = 0;
  let imm = 0;
  if (isReg(c.peek())) {
    const r = reg(c);
    sameWidth(c, dst, r);
    code = cls | op | BPF_X;
    src = r.n;
  } else {
    imm = imm32(c);
  }
  c.expect('goto');
  const t = target(c, 16);
  return { slots: [insn(code, dst.n, src, 'rel' in t ? t.rel : 0, imm)], fixup: fixupOf(t, 'off') };
}

function call(c: Cursor): Parsed {
  const t = c.peek();
  if (t?.text === 'pc') {
    const to = target(c, 32);
    return { slots: [insn(BPF_JMP | BPF_CALL, 0, BPF_PSEUDO_CALL, 0, 'rel' in to ? to.rel : 0)], fixup: fixupOf(to, 'imm') };
  }
  if (t?.kind !== 'ident') return { slots: [insn(BPF_JMP | BPF_CALL, 0, 0, 0, imm32(c, 'helper id'))] };
  c.next('a helper');
  if (t.text === 'kfunc') {
    const id = u32(c, 'kfunc BTF id');
    return { slots: [insn(BPF_JMP | BPF_CALL, 0, BPF_PSEUDO_KFUNC_CALL, kfuncOff(c), id)] };
  }
  if (!c.accept('#')) {
    return { slots: [insn(BPF_JMP | BPF_CALL, 0, BPF_PSEUDO_CALL)], fixup: { label: t.text, field: 'imm', token: t, callByName: true } };
  }
  const id = imm32(c, 'helper id');
  if (t.text === 'unknown') return { slots: [insn(BPF_JMP | BPF_CALL, 0, 0, 0, id)] };
  const helper = t.text === 'kernel-function' ? undefined : helperId(t.text);
  if (helper === undefined) return { slots: [insn(BPF_JMP | BPF_CALL, 0, BPF_PSEUDO_KFUNC_CALL, kfuncOff(c), id)] };
  if (helper !== id) throw c.error(`helper ${t.text} is #${helper}, not #${id}`, t);
  return { slots: [insn(BPF_JMP | BPF_CALL, 0, 0, 0, id)] };
}

/** `atomic64_fetch_add((u64 *)(r10 -8), r1)`, `xchg_64(r10 - 8, r1)`, `cmpxchg32_32(r10 - 8, w0, w1)`. */
function atomicCall(c: Cursor, dst: Reg, fn: Token): Parsed {
  const m = ATOMIC_CALL.exec(fn.text)!;
  const [, is64, fetchOp, xchg1, cmpxchg1, xchg64, xchg32, cmpxchg64, cmpxchg32] = m;
  const cmpxchg = Boolean(cmpxchg1 ?? cmpxchg64 ?? cmpxchg32);
  c.expect('(');
  let size: number;
  let at: { base: number; off: number };
  if (xchg64 || xchg32 || cmpxchg64 || cmpxchg32) {
    size = xchg64 || cmpxchg64 ? BPF_DW : BPF_W;
    at = address(c);
  } else {
    c.expect('(');
    const type = castType(c);
    if (type.signed || (type.size !== BPF_W && type.size !== BPF_DW)) throw c.error('atomics take u32 or u64', type.type);
    if (is64 && type.size === BPF_W) throw c.error(`${fn.text} takes u64`, fn);
    size = type.size;
    at = parenAddress(c);
  }
  c.expect(',');
  if (cmpxchg) {
    const old = reg(c);
    if (old.n !== 0 || dst.n !== 0) throw c.error('cmpxchg compares with and returns r0', old.n !== 0 ? old.token : dst.token);
    c.expect(',');
  }
  const src = reg(c);
  c.expect(')');
  if (src.w !== dst.w || (src.w && size === BPF_DW)) throw c.error(`use ${size === BPF_DW ? 'rN' : 'rN or wN'} registers throughout`, src.token);
  if (!cmpxchg && src.n !== dst.n) throw c.error(`the result register must be the source register ${src.token.text}`, dst.token);
  const op = cmpxchg ? BPF_CMPXCHG : xchg1 ?? xchg64 ?? xchg32 ? BPF_XCHG : ATOMIC_NAMES.get(fetchOp!)! | BPF_FETCH;
  return { slots: [insn(BPF_STX | BPF_ATOMIC | size, at.base, src.n, at.off, op)] };
}

/** `r0 = *(u8 *)skb[12]`, `r0 = *(u16 *)skb[r1]`, `r0 = *(u32 *)skb[r7 + -1]`. */
function packetLoad(c: Cursor, dst: Reg, size: number): Parsed {
  c.expect('[');
  if (dst.n !== 0 || dst.w) throw c.error('legacy packet loads write r0', dst.token);
  if (size === BPF_DW) throw c.error('legacy packet loads are 1, 2 or 4 bytes wide');
  if (!isReg(c.peek())) {
    const k = imm32(c, 'packet offset');
    c.expect(']');
    return { slots: [insn(BPF_LD | BPF_ABS | size, 0, 0, 0, k)] };
  }
  const src = reg(c);
  const k = c.accept('+') ? imm32(c, 'packet offset') : 0;
  c.expect(']');
  return { slots: [insn(BPF_LD | BPF_IND | size, 0, r64(c, src, 'a packet offset'), 0, k)] };
}

function load(c: Cursor, dst: Reg): Parsed {
  c.expect('(');
  const type = castType(c);
  if (c.accept('skb')) {
    if (type.signed) throw c.error('legacy packet loads take an unsigned type', type.type);
    return packetLoad(c, dst, type.size);
  }
  const at = parenAddress(c);
  if (dst.w && (type.size === BPF_DW || type.signed)) throw c.error(`this load writes a 64-bit register, not ${dst.token.text}`, dst.token);
  return { slots: [insn(BPF_LDX | (type.signed ? BPF_MEMSX : BPF_MEM) | type.size, dst.n, at.base, at.off)] };
}

function ldImm(c: Cursor, dst: Reg): Parsed {
  const operand = pseudo(c);
  const slots = [insn(LD_IMM64, r64(c, dst, 'a 64-bit load'), operand.src, 0, operand.imm), insn(0, 0, 0, 0, operand.hi)];
  const fixup = operand.target ? fixupOf(operand.target, 'imm') : undefined;
  return { slots, ...(fixup && { fixup }), ...(operand.mapName !== undefined && { mapRef: operand.mapName }) };
}

/** `dst = …`: mov, neg, movsx, byte swaps, loads, LD_IMM64 and the atomic call forms. */
function assign(c: Cursor, dst: Reg): Parsed {
  const cls = dst.w ? BPF_ALU : BPF_ALU64;
  const t = c.peek();
  if (t?.text === '-' && isReg(c.peek(1))) {
    c.next('-');
    const r = reg(c);
    if (r.n !== dst.n || r.w !== dst.w) throw c.error(`negation writes its own register: ${dst.token.text} = -${dst.token.text}`, r.token);
    return { slots: [insn(cls | BPF_NEG, dst.n)] };
  }
  if (t?.text === '*') {
    c.next('*');
    return load(c, dst);
  }
  if (t?.text === '(') {
    c.next('(');
    const cast = c.next('(s8), (s16) or (s32)');
    const width = { s8: 8, s16: 16, s32: dst.w ? 0 : 32 }[cast.text];
    if (!width) throw c.error(`expected s8, s16${dst.w ? '' : ' or s32'}, found '${cast.text}'`, cast);
    c.expect(')');
    const src = reg(c);
    sameWidth(c, dst, src);
    return { slots: [insn(cls | BPF_MOV | BPF_X, dst.n, src.n, width)] };
  }
  if (atPseudo(c)) return ldImm(c, dst);
  if (isReg(t)) {
    const src = reg(c);
    sameWidth(c, dst, src);
    return { slots: [insn(cls | BPF_MOV | BPF_X, dst.n, src.n)] };
  }
  if (t?.kind === 'ident' && END_OPS.test(t.text)) {
    c.next('a byte swap');
    const [, kind, bits] = END_OPS.exec(t.text)!;
    const r = reg(c);
    if (r.n !== dst.n || r.w || dst.w) throw c.error(`byte swaps write their own register: ${dst.token.text} = ${t.text} ${dst.token.text}`, r.token);
    const code = kind === 'bswap' ? BPF_ALU64 | BPF_END : BPF_ALU | BPF_END | (kind === 'be' ? BPF_TO_BE : BPF_TO_LE);
    return { slots: [insn(code, dst.n, 0, 0, Number(bits))] };
  }
  if (t?.kind === 'ident' && ATOMIC_CALL.test(t.text)) {
    c.next('an atomic');
    return atomicCall(c, dst, t);
  }
  return immediate(c, dst);
}

/** `r1 = 5` (mov), `r1 = 5 ll` or `r1 = 0x5` (LD_IMM64, as the kernel prints it). */
function immediate(c: Cursor, dst: Reg): Parsed {
  const start = c.peek();
  const isHex = start?.kind === 'num' && /^0x/i.test(start.text);
  if (c.peek(1)?.text === 'll' || (c.peek(2)?.text === 'll' && start?.kind === 'punct') || (isHex && !dst.w)) {
    const value = imm64(c);
    c.accept('ll');
    return { slots: ldImm64(r64(c, dst, 'a 64-bit load'), value) };
  }
  if (start?.kind !== 'num' && start?.text !== '-' && start?.text !== '+') {
    throw c.error(start ? `expected a register, number or memory operand, found '${start.text}'` : 'expected a value at the end of the statement');
  }
  const n = number(c, 'immediate');
  const max = dst.w && n.hex ? 0xffffffffn : (1n << 31n) - 1n;
  if (n.value < -(1n << 31n) || n.value > max) {
    throw c.error(`immediate ${n.text} does not fit in 32 bits${dst.w ? '' : `; write '${n.text} ll' for a 64-bit load`}`, n.token);
  }
  return { slots: [insn((dst.w ? BPF_ALU : BPF_ALU64) | BPF_MOV | BPF_K, dst.n, 0, 0, Number(BigInt.asIntN(32, n.value)))] };
}

function alu(c: Cursor, dst: Reg, opTok: Token): Parsed {
  const signedOp = opTok.text === 's/=' || opTok.text === 's%=';
  const op = signedOp ? (opTok.text === 's/=' ? BPF_DIV : BPF_MOD) : ALU_OPS.get(opTok.text);
  if (op === undefined) throw c.error(`expected an operator such as = or +=, found '${opTok.text}'`, opTok);
  if (op === BPF_MOV) return assign(c, dst);
  const cls = dst.w ? BPF_ALU : BPF_ALU64;
  const off = signedOp ? 1 : 0;
  if (isReg(c.peek())) {
    const src = reg(c);
    sameWidth(c, dst, src);
    return { slots: [insn(cls | op | BPF_X, dst.n, src.n, off)] };
  }
  return { slots: [insn(cls | op | BPF_K, dst.n, 0, off, imm32(c))] };
}

function simpleJump(c: Cursor, code: number, field: 'off' | 'imm'): Parsed {
  const t = target(c, field === 'off' ? 16 : 32);
  const rel = 'rel' in t ? t.rel : 0;
  return { slots: [insn(code, 0, 0, field === 'off' ? rel : 0, field === 'imm' ? rel : 0)], fixup: fixupOf(t, field) };
}

function ldPseudo(c: Cursor): Parsed {
  const dst = reg(c);
  c.expect(',');
  const src = Number(number(c, 'pseudo source').value);
  if (src < 1 || src > 6) throw c.error(`pseudo source ${src} is not 1..6`);
  c.expect(',');
  const imm = u32(c, 'immediate');
  const [lo, hi] = ldImm64(r64(c, dst, 'ld_pseudo'), imm >>> 0, src);
  return { slots: [lo, hi] };
}

/** Parses one kernel/llvm-syntax instruction from the cursor. */
export function parseLlvm(c: Cursor): Parsed {
  const t = c.peek()!;
  let parsed: Parsed;
  switch (t.text) {
    case 'exit': c.next('exit'); parsed = { slots: [insn(BPF_JMP | BPF_EXIT)] }; break;
    case 'goto': c.next('goto'); parsed = simpleJump(c, BPF_JMP | BPF_JA, 'off'); break;
    case 'gotol': c.next('gotol'); parsed = simpleJump(c, BPF_JMP32 | BPF_JA, 'imm'); break;
    case 'may_goto': c.next('may_goto'); parsed = simpleJump(c, BPF_JMP | BPF_JCOND, 'off'); break;
    case 'call': c.next('call'); parsed = call(c); break;
    case 'callx': c.next('callx'); parsed = { slots: [insn(BPF_JMP | BPF_CALL | BPF_X, r64(c, reg(c), 'callx'))] }; break;
    case 'if': c.next('if'); parsed = jump(c); break;
    case 'lock': c.next('lock'); parsed = lock(c); break;
    case 'ld_pseudo': c.next('ld_pseudo'); parsed = ldPseudo(c); break;
    case '*': c.next('*'); parsed = store(c); break;
    default: {
      if (!isReg(t)) throw c.error(`unknown instruction '${t.text}'`, t);
      const dst = reg(c);
      parsed = alu(c, dst, c.next('an operator'));
    }
  }
  c.expectEnd();
  return parsed;
}
