/**
 * The memory instruction classes (Linux 6.18's do_check cases for LDX, STX, ST, atomics, LD_IMM64
 * and LD_ABS/LD_IND): their reserved fields, which registers they read and write, and the memory
 * access they make through memory.ts.
 */
import {
  BPF_ABS, BPF_ADD, BPF_AND, BPF_ATOMIC, BPF_CMPXCHG, BPF_DW, BPF_FETCH, BPF_IND, BPF_MEM, BPF_MEMSX, BPF_OR,
  BPF_PSEUDO_BTF_ID, BPF_PSEUDO_FUNC, BPF_PSEUDO_MAP_IDX, BPF_PSEUDO_MAP_IDX_VALUE, BPF_W, BPF_XCHG, BPF_XOR, imm64, insnMode, insnSize,
  sizeBytes, type Insn,
} from '../isa/index.js';
import { ERRNO } from '../errno.js';
import { BPF_PROG_TYPE_CGROUP_SKB, BPF_PROG_TYPE_SCHED_ACT, BPF_PROG_TYPE_SCHED_CLS, BPF_PROG_TYPE_SOCKET_FILTER } from '../uapi.js';
import { DST_OP, DST_OP_NO_MARK, type Env, SRC_OP, mapAt } from './env.js';
import { kfuncName } from './kfuncs.js';
import { fail } from './log.js';
import { checkMemAccess } from './memory.js';
import { checkResourceLeak } from './refs.js';
import { RDONLY, RegType, copyReg, isPktPtr, markNotInit, markPtr, markRegKnown, markRegUnknown, regTypeName } from './regState.js';
import { hiOf, loOf } from './u64.js';

const { EINVAL, EACCES } = ERRNO;

/** LDX: `dst = *(size *)(src + off)`, zero- or sign-extended. */
export function checkLdx(env: Env, ins: Insn): void {
  env.checkRegArg(ins.src, SRC_OP);
  const dst = env.checkRegArg(ins.dst, DST_OP_NO_MARK);
  const signExt = insnMode(ins.code) === BPF_MEMSX;
  const size = sizeBytes(insnSize(ins.code));
  const tmp = dst.clone();
  checkMemAccess(env, ins.src, ins.off, size, false, tmp, null, signExt);
  copyReg(dst, tmp);
  dst.subregDef = 0;
}

/** STX (BPF_MEM): `*(size *)(dst + off) = src`. */
export function checkStx(env: Env, ins: Insn): void {
  if (insnMode(ins.code) === BPF_ATOMIC) { checkAtomic(env, ins); return; }
  if (insnMode(ins.code) !== BPF_MEM || ins.imm !== 0) fail(EINVAL, 'BPF_STX uses reserved fields');
  const src = env.checkRegArg(ins.src, SRC_OP);
  env.checkRegArg(ins.dst, SRC_OP);
  env.storeRegno = ins.src;
  checkMemAccess(env, ins.dst, ins.off, sizeBytes(insnSize(ins.code)), true, null, src.clone());
  env.storeRegno = -1;
}

/** ST: `*(size *)(dst + off) = imm`. */
export function checkSt(env: Env, ins: Insn): void {
  if (insnMode(ins.code) !== BPF_MEM || ins.src !== 0) fail(EINVAL, 'BPF_ST uses reserved fields');
  env.checkRegArg(ins.dst, SRC_OP);
  checkMemAccess(env, ins.dst, ins.off, sizeBytes(insnSize(ins.code)), true, null, ins.imm);
}

/** check_atomic: read-modify-write of a word or double word on the stack, a map value or memory. */
function checkAtomic(env: Env, ins: Insn): void {
  const base = ins.imm & ~BPF_FETCH;
  const ok = ins.imm === BPF_XCHG || ins.imm === BPF_CMPXCHG || base === BPF_ADD || base === BPF_AND || base === BPF_OR || base === BPF_XOR;
  if (!ok || ins.imm < 0) fail(EINVAL, `BPF_ATOMIC uses invalid atomic opcode ${(ins.imm >>> 0).toString(16).padStart(2, '0')}`);
  const size = insnSize(ins.code);
  if (size !== BPF_W && size !== BPF_DW) fail(EINVAL, 'invalid atomic operand size');
  env.checkRegArg(ins.src, SRC_OP);
  const dst = env.checkRegArg(ins.dst, SRC_OP);
  if (ins.imm === BPF_CMPXCHG) env.checkRegArg(0, SRC_OP);
  if (dst.type === RegType.CTX || isPktPtr(dst)) {
    fail(EACCES, `BPF_ATOMIC stores into R${ins.dst} ${regTypeName(dst.type, dst.flags)} is not allowed`);
  }
  const bytes = sizeBytes(size);
  const loadReg = ins.imm & BPF_FETCH ? (ins.imm === BPF_CMPXCHG ? 0 : ins.src) : -1;
  if (loadReg >= 0) env.checkRegArg(loadReg, DST_OP);
  checkMemAccess(env, ins.dst, ins.off, bytes, false, null, null, false, true);
  if (loadReg >= 0) {
    const out = env.reg(loadReg).clone();
    checkMemAccess(env, ins.dst, ins.off, bytes, false, out, null, false, true);
    copyReg(env.reg(loadReg), out);
    env.reg(loadReg).subregDef = ins.imm === BPF_CMPXCHG && size === BPF_W ? env.insnIdx + 1 : 0;
  }
  checkMemAccess(env, ins.dst, ins.off, bytes, true, null, null, false, true);
}

/** check_ld_imm: a 64-bit constant, a map pointer, a map value pointer or a BPF function. */
export function checkLdImm64(env: Env, ins: Insn): void {
  if (ins.off !== 0) fail(EINVAL, 'BPF_LD_IMM64 uses reserved fields');
  const dst = env.checkRegArg(ins.dst, DST_OP);
  if (ins.src === 0) {
    const v = imm64(env.insns, env.insnIdx);
    markRegKnown(dst, hiOf(v), loOf(v));
    return;
  }
  if (ins.src === BPF_PSEUDO_FUNC) {
    if (!env.opts.funcInfo) fail(EINVAL, 'missing btf func_info');
    markPtr(dst, RegType.FUNC);
    dst.frameno = env.insnIdx + ins.imm + 1;
    return;
  }
  if (ins.src === BPF_PSEUDO_BTF_ID) {
    if (kfuncName(env.opts, ins.imm) !== undefined) markPtr(dst, RegType.MEM, RDONLY);
    return;
  }
  const map = mapAt(env, ins.imm);
  if (ins.src === BPF_PSEUDO_MAP_IDX_VALUE) {
    markPtr(dst, RegType.MAP_VALUE);
    dst.map = map;
    dst.off = env.insns[env.insnIdx + 1]!.imm;
  } else if (ins.src === BPF_PSEUDO_MAP_IDX) {
    markPtr(dst, RegType.CONST_MAP);
    dst.map = map;
  }
}

const SKB_TYPES = [BPF_PROG_TYPE_SOCKET_FILTER, BPF_PROG_TYPE_SCHED_CLS, BPF_PROG_TYPE_SCHED_ACT, BPF_PROG_TYPE_CGROUP_SKB];

/** check_ld_abs: the legacy packet loads, for socket filters and tc only, with r6 the context. */
export function checkLdAbs(env: Env, ins: Insn): void {
  if (!SKB_TYPES.includes(env.opts.progType)) fail(EINVAL, 'BPF_LD_[ABS|IND] instructions not allowed for this program type');
  const mode = insnMode(ins.code);
  if (ins.dst !== 0 || ins.off !== 0 || insnSize(ins.code) === BPF_DW || (mode === BPF_ABS && ins.src !== 0)) {
    fail(EINVAL, 'BPF_LD_[ABS|IND] uses reserved fields');
  }
  const ctx = env.checkRegArg(6, SRC_OP);
  checkResourceLeak(env, true, 'BPF_LD_[ABS|IND]');
  if (ctx.type !== RegType.CTX) fail(EINVAL, 'at the time of BPF_LD_ABS|IND R6 != pointer to skb');
  if (mode === BPF_IND) env.checkRegArg(ins.src, SRC_OP);
  for (let r = 1; r <= 5; r++) markNotInit(env.reg(r));
  markRegUnknown(env.checkRegArg(0, DST_OP));
}
