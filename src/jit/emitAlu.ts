import {
  BPF_ADD, BPF_ALU64, BPF_AND, BPF_ARSH, BPF_DIV, BPF_END, BPF_LSH, BPF_MOD, BPF_MOV, BPF_MUL, BPF_NEG,
  BPF_OR, BPF_RSH, BPF_SUB, BPF_TO_BE, BPF_X, BPF_XOR, insnClass, insnOp, insnSrc,
} from '../isa/index.js';
import type { Insn } from '../isa/index.js';
import type { InsnEmitter } from './emitter.js';
import { I32, I64, Op } from './wasm/ops.js';

const OPS64: Record<number, number> = {
  [BPF_ADD]: Op.i64Add, [BPF_SUB]: Op.i64Sub, [BPF_MUL]: Op.i64Mul, [BPF_OR]: Op.i64Or, [BPF_AND]: Op.i64And,
  [BPF_LSH]: Op.i64Shl, [BPF_RSH]: Op.i64ShrU, [BPF_XOR]: Op.i64Xor, [BPF_ARSH]: Op.i64ShrS,
};
const OPS32: Record<number, number> = {
  [BPF_ADD]: Op.i32Add, [BPF_SUB]: Op.i32Sub, [BPF_MUL]: Op.i32Mul, [BPF_OR]: Op.i32Or, [BPF_AND]: Op.i32And,
  [BPF_LSH]: Op.i32Shl, [BPF_RSH]: Op.i32ShrU, [BPF_XOR]: Op.i32Xor, [BPF_ARSH]: Op.i32ShrS,
};

/** Swaps the bytes of the i32 on the stack. */
export function bswap32(e: InsnEmitter): void {
  const f = e.f;
  f.tee(e.t32);
  f.i32(8); f.op(Op.i32Rotl); f.i32(0x00ff00ff); f.op(Op.i32And);
  f.get(e.t32);
  f.i32(8); f.op(Op.i32Rotr); f.i32(0xff00ff00 | 0); f.op(Op.i32And);
  f.op(Op.i32Or);
}

/** Swaps the two low bytes of the i32 on the stack and clears the rest. */
export function bswap16(e: InsnEmitter): void {
  const f = e.f;
  f.tee(e.t32);
  f.i32(8); f.op(Op.i32Shl); f.i32(0xff00); f.op(Op.i32And);
  f.get(e.t32);
  f.i32(8); f.op(Op.i32ShrU); f.i32(0xff); f.op(Op.i32And);
  f.op(Op.i32Or);
}

function bswap64(e: InsnEmitter): void {
  const f = e.f;
  const step = (shift: number, lo: number, hi: number): void => {
    f.tee(e.t64);
    f.i64(shift, 0); f.op(Op.i64ShrU); f.i64(lo, hi); f.op(Op.i64And);
    f.get(e.t64);
    f.i64(lo, hi); f.op(Op.i64And); f.i64(shift, 0); f.op(Op.i64Shl);
    f.op(Op.i64Or);
  };
  step(8, 0x00ff00ff, 0x00ff00ff);
  step(16, 0x0000ffff, 0x0000ffff);
  f.i64(32, 0); f.op(Op.i64Rotl);
}

/** The byte-order instructions: `le`/`be` (ALU) and `bswap` (ALU64). */
function emitEnd(e: InsnEmitter, ins: Insn): void {
  const f = e.f;
  const d = e.reg(ins.dst);
  const swap = insnClass(ins.code) === BPF_ALU64 || insnSrc(ins.code) === BPF_TO_BE;
  if (!swap) {
    if (ins.imm === 64) return;
    f.get(d);
    f.i64(ins.imm === 16 ? 0xffff : -1, 0);
    f.op(Op.i64And);
    f.set(d);
    return;
  }
  f.get(d);
  if (ins.imm === 64) bswap64(e);
  else {
    f.op(Op.i32WrapI64);
    if (ins.imm === 16) bswap16(e); else bswap32(e);
    f.op(Op.i64ExtendI32U);
  }
  f.set(d);
}

/** Pushes the source operand: the register, or the immediate (sign-extended to 64 bits for ALU64). */
function source(e: InsnEmitter, ins: Insn, wide: boolean): void {
  if (insnSrc(ins.code) === BPF_X) {
    e.f.get(e.reg(ins.src));
    if (!wide) e.f.op(Op.i32WrapI64);
  } else if (wide) e.f.i64s(ins.imm);
  else e.f.i32(ins.imm);
}

/**
 * Division and modulo with BPF's rules where WebAssembly would trap: x / 0 = 0, x % 0 = x, and
 * INT_MIN / -1 = INT_MIN (computed as 0 - x). An immediate divisor picks the one case statically.
 */
function emitDivMod(e: InsnEmitter, ins: Insn, wide: boolean): void {
  const f = e.f;
  const d = e.reg(ins.dst);
  const div = insnOp(ins.code) === BPF_DIV;
  const signed = ins.off === 1;
  const ty = wide ? I64 : I32;
  const op = wide
    ? (div ? (signed ? Op.i64DivS : Op.i64DivU) : (signed ? Op.i64RemS : Op.i64RemU))
    : (div ? (signed ? Op.i32DivS : Op.i32DivU) : (signed ? Op.i32RemS : Op.i32RemU));
  const dst = (): void => { f.get(d); if (!wide) f.op(Op.i32WrapI64); };
  const zero = (): void => { if (wide) f.i64(0, 0); else f.i32(0); };
  const negate = (): void => { zero(); dst(); f.op(wide ? Op.i64Sub : Op.i32Sub); };
  if (insnSrc(ins.code) !== BPF_X) {
    const k = ins.imm;
    if (k === 0) {
      if (div) zero(); else if (wide) return; else dst();
    } else if (k === -1 && signed && div) {
      negate();
    } else {
      dst();
      source(e, ins, wide);
      f.op(op);
    }
  } else {
    const s = (): void => source(e, ins, wide);
    s();
    f.op(wide ? Op.i64Eqz : Op.i32Eqz);
    f.if(ty);
    if (div) zero(); else dst();
    f.else();
    if (signed && div) {
      s();
      if (wide) { f.i64(-1, -1); f.op(Op.i64Eq); } else { f.i32(-1); f.op(Op.i32Eq); }
      f.if(ty);
      negate();
      f.else();
      dst(); s(); f.op(op);
      f.end();
    } else {
      dst(); s(); f.op(op);
    }
    f.end();
  }
  if (!wide) f.op(Op.i64ExtendI32U);
  f.set(d);
}

/** ALU and ALU64: 64-bit operations on i64 locals, 32-bit ones in i32 and zero-extended back. */
export function emitAlu(e: InsnEmitter, ins: Insn): void {
  const f = e.f;
  const wide = insnClass(ins.code) === BPF_ALU64;
  const op = insnOp(ins.code);
  const d = e.reg(ins.dst);
  const x = insnSrc(ins.code) === BPF_X;
  switch (op) {
    case BPF_END: emitEnd(e, ins); return;
    case BPF_DIV:
    case BPF_MOD: emitDivMod(e, ins, wide); return;
    case BPF_MOV:
      if (!x) {
        if (wide) f.i64s(ins.imm); else f.i64(ins.imm, 0);
      } else {
        f.get(e.reg(ins.src));
        if (wide) {
          if (ins.off === 8) f.op(Op.i64Extend8S);
          else if (ins.off === 16) f.op(Op.i64Extend16S);
          else if (ins.off === 32) f.op(Op.i64Extend32S);
        } else {
          f.op(Op.i32WrapI64);
          if (ins.off === 8) f.op(Op.i32Extend8S);
          else if (ins.off === 16) f.op(Op.i32Extend16S);
          f.op(Op.i64ExtendI32U);
        }
      }
      f.set(d);
      return;
    case BPF_NEG:
      if (wide) { f.i64(0, 0); f.get(d); f.op(Op.i64Sub); } else { f.i32(0); f.get(d); f.op(Op.i32WrapI64, Op.i32Sub, Op.i64ExtendI32U); }
      f.set(d);
      return;
    default:
      f.get(d);
      if (wide) {
        source(e, ins, true);
        f.op(OPS64[op]!);
      } else {
        f.op(Op.i32WrapI64);
        source(e, ins, false);
        f.op(OPS32[op]!, Op.i64ExtendI32U);
      }
      f.set(d);
  }
}
