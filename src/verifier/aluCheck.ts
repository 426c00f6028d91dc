/**
 * ALU and ALU64 instructions (check_alu_op and adjust_reg_min_max_vals, Linux 6.18, privileged):
 * reserved fields, division by a zero immediate and out-of-range shifts, moves (which copy pointers
 * and link scalars), the scalar transfer functions of alu.ts, and pointer arithmetic (ptrAlu.ts).
 * Pointers leak into scalars freely where privileged programs may do so (pointer - pointer, 32-bit
 * moves, byte swaps).
 */
import {
  BPF_ALU64, BPF_DIV, BPF_END, BPF_K, BPF_LSH, BPF_MOD, BPF_MOV, BPF_NEG, BPF_RSH, BPF_ARSH, BPF_SUB, BPF_TO_LE, BPF_X,
  insnClass, insnOp, insnSrc, type Insn,
} from '../isa/index.js';
import { ERRNO } from '../errno.js';
import { forkSide, forkWidth, immScalar, scalarAlu, scalarEnd, scalarMov, scalarMovImm } from './alu.js';
import { boundsViolation, markUnbounded, regWidth, Scalar } from './scalar.js';
import { DST_OP, DST_OP_NO_MARK, type Env, SRC_OP, constReg } from './env.js';
import { assignScalarId, linkAfterAlu, unlink } from './ids.js';
import { fail } from './log.js';
import { ALU_STRINGS, ptrAlu } from './ptrAlu.js';
import { RegState, RegType, copyReg, isPointer, markRegUnknown } from './regState.js';
import type { VerifierState } from './state.js';
import { markChainPrecision } from './precision.js';

const { EINVAL, EACCES } = ERRNO;

/** A path the instruction splits off (maybe_fork_scalars): re-run the instruction in `state`. */
export interface Fork {
  readonly state: VerifierState;
}

function reserved(ins: Insn, alu64: boolean): void {
  const op = insnOp(ins.code);
  const x = insnSrc(ins.code) === BPF_X;
  if (op === BPF_NEG) {
    if (x || ins.src !== 0 || ins.off !== 0 || ins.imm !== 0) fail(EINVAL, 'BPF_NEG uses reserved fields');
  } else if (op === BPF_END) {
    if (ins.src !== 0 || ins.off !== 0 || (ins.imm !== 16 && ins.imm !== 32 && ins.imm !== 64) || (alu64 && insnSrc(ins.code) !== BPF_TO_LE)) {
      fail(EINVAL, 'BPF_END uses reserved fields');
    }
  } else if (op === BPF_MOV) {
    if (x) {
      const offs = alu64 ? [0, 8, 16, 32] : [0, 8, 16];
      if (!offs.includes(ins.off) || ins.imm !== 0) fail(EINVAL, 'BPF_MOV uses reserved fields');
    } else if (ins.src !== 0 || ins.off !== 0) {
      fail(EINVAL, 'BPF_MOV uses reserved fields');
    }
  } else if (op > BPF_END) {
    fail(EINVAL, `invalid BPF_ALU opcode ${(op >> 4).toString(16)}`);
  } else {
    const offOk = ins.off === 0 || (ins.off === 1 && (op === BPF_MOD || op === BPF_DIV));
    if (x ? ins.imm !== 0 || !offOk : ins.src !== 0 || !offOk) fail(EINVAL, 'BPF_ALU uses reserved fields');
  }
}

function move(env: Env, ins: Insn, alu64: boolean): void {
  if (insnSrc(ins.code) === BPF_K) {
    env.checkRegArg(ins.dst, DST_OP_NO_MARK);
    const d = env.reg(ins.dst);
    markRegUnknown(d);
    scalarMovImm(d.s, ins.imm, alu64);
    return;
  }
  const src = env.checkRegArg(ins.src, SRC_OP);
  const dst = env.checkRegArg(ins.dst, DST_OP_NO_MARK);
  if (alu64 && ins.off === 0) {
    assignScalarId(env, src);
    if (dst !== src) copyReg(dst, src);
    return;
  }
  if (src.type !== RegType.SCALAR) {
    markRegUnknown(dst);
    if (!alu64) scalarMov(dst.s, dst.s, false);
    return;
  }
  const linked = ins.off === 0 ? regWidth(src.s) <= 32 : src.s.umaxHi === 0 && (src.s.umaxLo >>> 0) < 2 ** (ins.off - 1);
  if (linked) assignScalarId(env, src);
  const tmp = src.clone();
  copyReg(dst, tmp);
  dst.subregDef = 0;
  if (!linked) dst.id = 0;
  scalarMov(dst.s, tmp.s, alu64, ins.off);
}

/** The immediate operand's scalar, reused: nothing keeps it past the instruction. */
const IMM = new Scalar();

/** check_alu_op for the instruction at `env.insnIdx`; returns the path split off by maybe_fork_scalars, if any. */
export function checkAlu(env: Env, ins: Insn): Fork | null {
  const alu64 = insnClass(ins.code) === BPF_ALU64;
  const op = insnOp(ins.code);
  reserved(ins, alu64);
  if (op === BPF_MOV) { move(env, ins, alu64); return null; }
  if (op === BPF_NEG || op === BPF_END) {
    const d = env.checkRegArg(ins.dst, SRC_OP);
    if (op === BPF_NEG && d.type === RegType.SCALAR) {
      env.checkRegArg(ins.dst, DST_OP_NO_MARK);
      scalarAlu(d.s, d.s, BPF_NEG, alu64);
      unlink(d);
      return null;
    }
    if (d.type !== RegType.SCALAR) { env.checkRegArg(ins.dst, DST_OP); return null; }
    env.checkRegArg(ins.dst, DST_OP_NO_MARK);
    const toBe = insnSrc(ins.code) === BPF_X;
    scalarEnd(d.s, ins.imm as 16 | 32 | 64, alu64, toBe);
    if (alu64 || toBe || ins.imm !== 64) unlink(d);
    return null;
  }
  let src: RegState;
  if (insnSrc(ins.code) === BPF_X) src = env.checkRegArg(ins.src, SRC_OP);
  else src = constReg(env, 0, ins.imm >> 31, ins.imm);
  const dst = env.checkRegArg(ins.dst, SRC_OP);
  if ((op === BPF_MOD || op === BPF_DIV) && insnSrc(ins.code) === BPF_K && ins.imm === 0) fail(EINVAL, 'div by zero');
  if ((op === BPF_LSH || op === BPF_RSH || op === BPF_ARSH) && insnSrc(ins.code) === BPF_K) {
    if (ins.imm < 0 || ins.imm >= (alu64 ? 64 : 32)) fail(EINVAL, `invalid shift ${ins.imm}`);
  }
  env.checkRegArg(ins.dst, DST_OP_NO_MARK);
  if (isPointer(src) && isPointer(dst)) {
    if (op === BPF_SUB) { markRegUnknown(dst); return null; }
    fail(EACCES, `R${ins.dst} pointer ${ALU_STRINGS[op >> 4]} pointer prohibited`);
  }
  if (isPointer(src)) {
    markChainPrecision(env, ins.dst);
    ptrAlu(env, ins.dst, src, dst, op, alu64);
    return null;
  }
  if (isPointer(dst)) {
    if (insnSrc(ins.code) === BPF_X) markChainPrecision(env, ins.src);
    ptrAlu(env, ins.dst, dst, src, op, alu64);
    return null;
  }
  if (insnSrc(ins.code) === BPF_X && dst.precise) markChainPrecision(env, ins.src);
  let fork: Fork | null = null;
  // The source as it is before a fork changes dst: a copy only when it is dst itself (r1 *= r1).
  const srcS: Scalar = insnSrc(ins.code) === BPF_X ? (src === dst ? src.s.clone() : src.s) : immScalar(IMM, ins.imm);
  const width = forkWidth(dst.s, srcS, op);
  if (width !== 0) {
    const other = env.st.clone();
    const od = other.cur.regs[ins.dst]!;
    forkSide(od.s, width, 0);
    forkSide(dst.s, width, -1);
    if (width === 64) { unlink(od); unlink(dst); }
    fork = { state: other };
  }
  const umaxHi = dst.s.umaxHi;
  scalarAlu(dst.s, srcS, op, alu64);
  linkAfterAlu(dst, srcS, op, alu64, umaxHi);
  if (boundsViolation(dst.s)) markUnbounded(dst.s);
  return fork;
}
