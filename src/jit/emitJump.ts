import {
  BPF_JEQ, BPF_JGE, BPF_JGT, BPF_JLE, BPF_JLT, BPF_JMP, BPF_JNE, BPF_JSET, BPF_JSGE, BPF_JSGT, BPF_JSLE,
  BPF_JSLT, BPF_X, insnClass, insnOp, insnSrc,
} from '../isa/index.js';
import type { Insn } from '../isa/index.js';
import type { InsnEmitter } from './emitter.js';
import { Op } from './wasm/ops.js';

const CMP64: Record<number, number> = {
  [BPF_JEQ]: Op.i64Eq, [BPF_JNE]: Op.i64Ne, [BPF_JGT]: Op.i64GtU, [BPF_JGE]: Op.i64GeU, [BPF_JLT]: Op.i64LtU,
  [BPF_JLE]: Op.i64LeU, [BPF_JSGT]: Op.i64GtS, [BPF_JSGE]: Op.i64GeS, [BPF_JSLT]: Op.i64LtS, [BPF_JSLE]: Op.i64LeS,
};
const CMP32: Record<number, number> = {
  [BPF_JEQ]: Op.i32Eq, [BPF_JNE]: Op.i32Ne, [BPF_JGT]: Op.i32GtU, [BPF_JGE]: Op.i32GeU, [BPF_JLT]: Op.i32LtU,
  [BPF_JLE]: Op.i32LeU, [BPF_JSGT]: Op.i32GtS, [BPF_JSGE]: Op.i32GeS, [BPF_JSLT]: Op.i32LtS, [BPF_JSLE]: Op.i32LeS,
};

/** Pushes the i32 condition of a conditional jump: JMP compares 64 bits (imm sign-extended), JMP32 the low 32. */
export function emitCondition(e: InsnEmitter, ins: Insn): void {
  const f = e.f;
  const wide = insnClass(ins.code) === BPF_JMP;
  const op = insnOp(ins.code);
  f.get(e.reg(ins.dst));
  if (!wide) f.op(Op.i32WrapI64);
  if (insnSrc(ins.code) === BPF_X) {
    f.get(e.reg(ins.src));
    if (!wide) f.op(Op.i32WrapI64);
  } else if (wide) f.i64s(ins.imm);
  else f.i32(ins.imm);
  if (op === BPF_JSET) f.op(wide ? Op.i64And : Op.i32And, wide ? Op.i64Eqz : Op.i32Eqz, Op.i32Eqz);
  else f.op((wide ? CMP64 : CMP32)[op]!);
}

/**
 * may_goto: the condition is "this frame's counter is used up" (the per-frame budget of the
 * interpreter); when it is not, the fall-through edge counts it down (`emitMayGotoNotTaken`).
 */
export function emitMayGoto(e: InsnEmitter, mg: number): void {
  e.f.get(mg);
  e.f.op(Op.i32Eqz);
}

/** may_goto not taken: one fall-through used. */
export function emitMayGotoNotTaken(e: InsnEmitter, mg: number): void {
  e.f.get(mg);
  e.f.i32(1);
  e.f.op(Op.i32Sub);
  e.f.set(mg);
}
