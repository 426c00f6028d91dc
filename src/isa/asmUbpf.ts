/**
 * Parses one statement of the uBPF / bpf_conformance assembler dialect: `mov %r0, 1`, `add32`,
 * `neg`, `be16 %r0`, `bswap64`, `ldxw %r0, [%r1+4]`, `ldxsb`, `stxdw [%r10-8], %r1`,
 * `stw [%r1+2], 5`, `lddw %r0, 0x…`, `ja label`, `ja32 +3`, `jeq %r1, 0x1a8c0, label`, `call 5`,
 * `call local f`, `call runtime 7` (kfunc), `call %r2` (callx), `lock fetch add32 [%r10-8], %r1`,
 * `lock xchg`, `lock cmpxchg`, `sdiv`, `smod`, `movsx832` … `movsx3264`. Extensions for the
 * instructions the dialect lacks: `ldabsw 12`, `ldindw %r1, 12`, `may_goto +2` and `lddw` pseudo
 * operands (`lddw %r1, map[fd:3]`, `map_value[name] + 8`).
 */
import { insn, ldImm64 } from './insn.js';
import type { Cursor } from './asmLexer.js';
import {
  BPF_ABS, BPF_ALU, BPF_ALU64, BPF_ATOMIC, BPF_CALL, BPF_CMPXCHG, BPF_DIV, BPF_DW, BPF_END,
  BPF_EXIT, BPF_FETCH, BPF_IND, BPF_JA, BPF_JCOND, BPF_JMP, BPF_JMP32, BPF_K, BPF_LD, BPF_LDX,
  BPF_MEM, BPF_MEMSX, BPF_MOD, BPF_MOV, BPF_NEG, BPF_PSEUDO_CALL, BPF_PSEUDO_KFUNC_CALL, BPF_ST,
  BPF_STX, BPF_TO_BE, BPF_TO_LE, BPF_W, BPF_X, BPF_XCHG, LD_IMM64,
} from './opcodes.js';
import { ATOMIC_OPS, UBPF_ALU, UBPF_JMP, UBPF_SIZE, invert } from './syntax.js';
import { atPseudo, fixupOf, imm32, imm64, kfuncOff, off16, pseudo, target, type Parsed } from './asmOperands.js';

const ALU = invert(UBPF_ALU);
const JMP = invert(UBPF_JMP);
const SIZES = invert(UBPF_SIZE);
const ATOMIC = invert(ATOMIC_OPS);

function reg(c: Cursor): number {
  const t = c.next('a register');
  const m = /^%r(\d+)$/.exec(t.text);
  if (!m) throw c.error(`expected a register such as %r1, found '${t.text}'`, t);
  if (!/^(?:10|\d)$/.test(m[1]!)) throw c.error(`unknown register ${t.text}`, t);
  return Number(m[1]);
}

function isReg(c: Cursor): boolean {
  return /^%r\d+$/.test(c.peek()?.text ?? '');
}

/** `[%r1+4]`, `[%r10-8]`, `[%r1]`. */
function mem(c: Cursor): { base: number; off: number } {
  const open = c.peek();
  if (open?.text !== '[') throw c.error(`expected a memory operand such as [%r1+4], found '${open?.text ?? 'nothing'}'`);
  c.next('[');
  const base = reg(c);
  const off = c.peek()?.text === ']' ? 0 : off16(c);
  c.expect(']');
  return { base, off };
}

function comma(c: Cursor, mnemonic: string, operands: string): void {
  if (c.atEnd()) throw c.error(`${mnemonic} takes ${operands}`);
  c.expect(',');
}

function alu(c: Cursor, mnemonic: string): Parsed | null {
  const m = /^(movsx(8|16|32)|[a-z]+?)(32|64)?$/.exec(mnemonic);
  if (!m) return null;
  const [, name, sx, bits] = m;
  const is32 = bits === '32';
  const cls = is32 ? BPF_ALU : BPF_ALU64;
  if (sx !== undefined) {
    if (bits === undefined || (is32 && sx === '32')) return null;
    const dst = reg(c);
    comma(c, mnemonic, '%rD, %rS');
    return { slots: [insn(cls | BPF_MOV | BPF_X, dst, reg(c), Number(sx))] };
  }
  if (bits === '64') return null;
  if (name === 'neg') return { slots: [insn(cls | BPF_NEG, reg(c))] };
  const signed = name === 'sdiv' || name === 'smod';
  const op = signed ? (name === 'sdiv' ? BPF_DIV : BPF_MOD) : ALU.get(name!);
  if (op === undefined) return null;
  const dst = reg(c);
  comma(c, mnemonic, '%rD, %rS or %rD, imm');
  const off = signed ? 1 : 0;
  if (isReg(c)) return { slots: [insn(cls | op | BPF_X, dst, reg(c), off)] };
  return { slots: [insn(cls | op | BPF_K, dst, 0, off, imm32(c))] };
}

function byteSwap(c: Cursor, mnemonic: string): Parsed | null {
  const m = /^(le|be|bswap|swap)(16|32|64)$/.exec(mnemonic);
  if (!m) return null;
  const code = m[1] === 'le' ? BPF_ALU | BPF_END | BPF_TO_LE : m[1] === 'be' ? BPF_ALU | BPF_END | BPF_TO_BE : BPF_ALU64 | BPF_END;
  return { slots: [insn(code, reg(c), 0, 0, Number(m[2]))] };
}

function memory(c: Cursor, mnemonic: string): Parsed | null {
  const m = /^(ldxs|ldx|stx|st|ldabs|ldind)(b|h|w|dw)$/.exec(mnemonic);
  if (!m) return null;
  const [, kind, sizeName] = m;
  const size = SIZES.get(sizeName!)!;
  if ((kind === 'ldxs' || kind === 'ldabs' || kind === 'ldind') && size === BPF_DW) return null;
  switch (kind) {
    case 'ldx':
    case 'ldxs': {
      const dst = reg(c);
      comma(c, mnemonic, '%rD, [%rS+off]');
      const at = mem(c);
      return { slots: [insn(BPF_LDX | (kind === 'ldx' ? BPF_MEM : BPF_MEMSX) | size, dst, at.base, at.off)] };
    }
    case 'st': {
      const at = mem(c);
      comma(c, mnemonic, '[%rD+off], imm');
      return { slots: [insn(BPF_ST | BPF_MEM | size, at.base, 0, at.off, imm32(c))] };
    }
    case 'stx': {
      const at = mem(c);
      comma(c, mnemonic, '[%rD+off], %rS');
      return { slots: [insn(BPF_STX | BPF_MEM | size, at.base, reg(c), at.off)] };
    }
    case 'ldabs':
      return { slots: [insn(BPF_LD | BPF_ABS | size, 0, 0, 0, imm32(c))] };
    default: {
      const src = reg(c);
      comma(c, mnemonic, '%rS, imm');
      return { slots: [insn(BPF_LD | BPF_IND | size, 0, src, 0, imm32(c))] };
    }
  }
}

function lddw(c: Cursor): Parsed {
  const dst = reg(c);
  comma(c, 'lddw', '%rD, imm64');
  if (!atPseudo(c)) return { slots: ldImm64(dst, imm64(c)) };
  const operand = pseudo(c);
  const slots = [insn(LD_IMM64, dst, operand.src, 0, operand.imm), insn(0, 0, 0, 0, operand.hi)];
  const fixup = operand.target ? fixupOf(operand.target, 'imm') : undefined;
  return { slots, ...(fixup && { fixup }), ...(operand.mapName !== undefined && { mapRef: operand.mapName }) };
}

function lock(c: Cursor): Parsed {
  if (c.atEnd()) throw c.error('lock needs an operation: lock [fetch] add|or|and|xor|xchg|cmpxchg[32] [%rD+off], %rS');
  const fetch = c.accept('fetch');
  const opTok = c.next('an atomic operation');
  const m = /^(add|or|and|xor|xchg|cmpxchg)(32)?$/.exec(opTok.text);
  if (!m) throw c.error(`unknown atomic operation '${opTok.text}'`, opTok);
  if (fetch && (m[1] === 'xchg' || m[1] === 'cmpxchg')) throw c.error(`${m[1]} always fetches; write lock ${opTok.text}`, opTok);
  const at = mem(c);
  comma(c, `lock ${opTok.text}`, '[%rD+off], %rS');
  const src = reg(c);
  const op = m[1] === 'xchg' ? BPF_XCHG : m[1] === 'cmpxchg' ? BPF_CMPXCHG : ATOMIC.get(m[1]!)! | (fetch ? BPF_FETCH : 0);
  return { slots: [insn(BPF_STX | BPF_ATOMIC | (m[2] ? BPF_W : BPF_DW), at.base, src, at.off, op)] };
}

function call(c: Cursor): Parsed {
  if (isReg(c)) return { slots: [insn(BPF_JMP | BPF_CALL | BPF_X, reg(c))] };
  if (c.accept('local')) {
    const t = target(c, 32);
    return { slots: [insn(BPF_JMP | BPF_CALL, 0, BPF_PSEUDO_CALL, 0, 'rel' in t ? t.rel : 0)], fixup: fixupOf(t, 'imm') };
  }
  if (c.accept('runtime')) {
    const id = imm32(c, 'kfunc id');
    return { slots: [insn(BPF_JMP | BPF_CALL, 0, BPF_PSEUDO_KFUNC_CALL, kfuncOff(c), id)] };
  }
  c.accept('helper');
  return { slots: [insn(BPF_JMP | BPF_CALL, 0, 0, 0, imm32(c, 'helper id'))] };
}

function jump(c: Cursor, mnemonic: string): Parsed | null {
  const m = /^([a-z]+?)(32)?$/.exec(mnemonic);
  const op = m ? JMP.get(m[1]!) : undefined;
  if (!m || op === undefined) return null;
  const cls = m[2] ? BPF_JMP32 : BPF_JMP;
  const dst = reg(c);
  comma(c, mnemonic, '%rD, %rS or imm, target');
  const x = isReg(c);
  const src = x ? reg(c) : 0;
  const imm = x ? 0 : imm32(c);
  comma(c, mnemonic, '%rD, %rS or imm, target');
  const t = target(c, 16);
  return { slots: [insn(cls | op | (x ? BPF_X : BPF_K), dst, src, 'rel' in t ? t.rel : 0, imm)], fixup: fixupOf(t, 'off') };
}

function simpleJump(c: Cursor, code: number, field: 'off' | 'imm'): Parsed {
  const t = target(c, field === 'off' ? 16 : 32);
  const rel = 'rel' in t ? t.rel : 0;
  return { slots: [insn(code, 0, 0, field === 'off' ? rel : 0, field === 'imm' ? rel : 0)], fixup: fixupOf(t, field) };
}

function dispatch(c: Cursor, mnemonic: string): Parsed | null {
  switch (mnemonic) {
    case 'exit': return { slots: [insn(BPF_JMP | BPF_EXIT)] };
    case 'ja': return simpleJump(c, BPF_JMP | BPF_JA, 'off');
    case 'ja32': return simpleJump(c, BPF_JMP32 | BPF_JA, 'imm');
    case 'may_goto': return simpleJump(c, BPF_JMP | BPF_JCOND, 'off');
    case 'call': return call(c);
    case 'lock': return lock(c);
    case 'lddw': return lddw(c);
    default: return byteSwap(c, mnemonic) ?? memory(c, mnemonic) ?? jump(c, mnemonic) ?? alu(c, mnemonic);
  }
}

/** Parses one uBPF-dialect instruction from the cursor. */
export function parseUbpf(c: Cursor): Parsed {
  const t = c.next('an instruction');
  if (t.kind !== 'ident') throw c.error(`expected an instruction, found '${t.text}'`, t);
  const parsed = dispatch(c, t.text);
  if (!parsed) throw c.error(`unknown instruction '${t.text}'`, t);
  c.expectEnd();
  return parsed;
}
