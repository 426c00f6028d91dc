/**
 * Conditional jumps (check_cond_jmp_op, Linux 6.18, privileged): a decided outcome follows one
 * edge; an undecided one pushes the taken edge and refines both. Scalars are refined by
 * branch.ts and the refinement reaches registers linked to them; a comparison of a packet pointer
 * with `data_end` gives every pointer with its id a range (find_good_pkt_pointers) or marks it
 * beyond the end; `ptr == 0` / `ptr != 0` on a possibly-NULL pointer makes it a pointer on one side
 * and 0 on the other, for every register sharing its id (mark_ptr_or_null_regs).
 */
import { BPF_JEQ, BPF_JGE, BPF_JGT, BPF_JLE, BPF_JLT, BPF_JMP32, BPF_JNE, BPF_X, insnClass, insnOp, insnSrc, type Insn } from '../isa/index.js';
import { ERRNO } from '../errno.js';
import { branchTaken, flipOp, refineBranch, type BranchOutcome } from './branch.js';
import { boundsViolation, markUnbounded } from './scalar.js';
import { type Env, SRC_OP, constReg } from './env.js';
import { collectLinked, sameRegsIn, syncLinked } from './ids.js';
import { fail } from './log.js';
import { MAYBE_NULL, PERCPU, RegState, RegType, TRUSTED, UNTRUSTED, USER, isPktPtr, isPointer, markRegUnknown } from './regState.js';
import type { LinkedReg, VerifierState } from './state.js';
import { pushHistory } from './history.js';
import { markChainPrecision } from './precision.js';

const AT_PKT_END = -1;
const BEYOND_PKT_END = -2;
const MAX_PACKET_OFF = 0xffff;

/** Where verification goes after a conditional jump, and the path it pushes. */
export interface JumpOutcome {
  /** The next instruction of this path. */
  readonly next: number;
  /** The other edge's state, to verify later (undecided jumps). */
  readonly other?: VerifierState;
}

/** reg_not_null: a pointer that cannot be NULL. */
function notNull(r: RegState): boolean {
  if (r.flags & MAYBE_NULL) return false;
  if (r.type === RegType.BTF_ID) return r.refObjId !== 0 || ((r.flags & TRUSTED) !== 0 && (r.flags & (UNTRUSTED | USER | PERCPU)) === 0);
  if (r.type === RegType.MEM) return (r.flags & UNTRUSTED) === 0;
  return r.type === RegType.MAP_VALUE || r.type === RegType.MAP_KEY || r.type === RegType.CONST_MAP;
}

function pktBranchTaken(dst: RegState, src: RegState, op: number): BranchOutcome {
  let pkt: RegState;
  let o = op;
  if (src.type === RegType.PKT_END) pkt = dst;
  else if (dst.type === RegType.PKT_END) { pkt = src; o = flipOp(op); } else return -1;
  if (pkt.range >= 0) return -1;
  if ((o === BPF_JLE || o === BPF_JGT) && pkt.range === BEYOND_PKT_END) return o === BPF_JGT ? 1 : 0;
  if ((o === BPF_JLT || o === BPF_JGE) && (pkt.range === BEYOND_PKT_END || pkt.range === AT_PKT_END)) return o === BPF_JGE ? 1 : 0;
  return -1;
}

/** is_branch_taken with pointers. */
function isBranchTaken(a: RegState, b: RegState, op: number, jmp32: boolean): BranchOutcome {
  if (isPktPtr(a) || a.type === RegType.PKT_END) {
    if ((isPktPtr(b) || b.type === RegType.PKT_END) && !jmp32) return pktBranchTaken(a, b, op);
  }
  if (isPointer(a) || isPointer(b)) {
    let p = a;
    let k = b;
    let o = op;
    const isConst = (r: RegState): boolean => r.type === RegType.SCALAR && (jmp32 ? r.s.mlo === 0 : r.s.mlo === 0 && r.s.mhi === 0);
    if (!isConst(k)) { o = flipOp(op); p = b; k = a; }
    if (!isConst(k) || !notNull(p)) return -1;
    if (k.s.vlo !== 0 || (!jmp32 && k.s.vhi !== 0)) return -1;
    return o === BPF_JEQ ? 0 : o === BPF_JNE ? 1 : -1;
  }
  return branchTaken(a.s, b.s, op, jmp32);
}

/** find_good_pkt_pointers: every packet pointer with `reg`'s type and id gets the range `reg` proved. */
function goodPktPointers(st: VerifierState, reg: RegState, rightOpen: boolean): void {
  if (reg.off < 0 || (reg.off === 0 && rightOpen)) return;
  const umax = (reg.s.umaxHi >>> 0) * 4294967296 + (reg.s.umaxLo >>> 0);
  if (umax > MAX_PACKET_OFF || umax + reg.off > MAX_PACKET_OFF) return;
  const range = reg.off + (rightOpen ? 1 : 0);
  for (const r of st.allRegs()) if (r.type === reg.type && r.id === reg.id && r.range < range) r.range = range;
}

/** mark_pkt_end: the pointer is at (`!open`) or beyond (`open`) the end. */
function pktEnd(st: VerifierState, regno: number, open: boolean): void {
  const r = st.cur.regs[regno]!;
  if (r.type === RegType.PKT) r.range = open ? BEYOND_PKT_END : AT_PKT_END;
}

function isInitPkt(r: RegState, type: number): boolean {
  return r.type === type && r.off === 0 && r.s.mlo === 0 && r.s.mhi === 0 && r.s.vlo === 0 && r.s.vhi === 0;
}

/** try_match_pkt_pointers: a comparison of a packet pointer with data_end (or metadata with data). */
function matchPktPointers(ins: Insn, thisSt: VerifierState, other: VerifierState): boolean {
  if (insnSrc(ins.code) !== BPF_X || insnClass(ins.code) === BPF_JMP32) return false;
  const d = thisSt.cur.regs[ins.dst]!;
  const s = thisSt.cur.regs[ins.src]!;
  const dLeft = (d.type === RegType.PKT && s.type === RegType.PKT_END) || (d.type === RegType.PKT_META && isInitPkt(s, RegType.PKT));
  const sLeft = (d.type === RegType.PKT_END && s.type === RegType.PKT) || (isInitPkt(d, RegType.PKT) && s.type === RegType.PKT_META);
  if (!dLeft && !sLeft) return false;
  const otherD = other.cur.regs[ins.dst]!;
  const otherS = other.cur.regs[ins.src]!;
  switch (insnOp(ins.code)) {
    case BPF_JGT:
      if (dLeft) { goodPktPointers(thisSt, d, false); pktEnd(other, ins.dst, true); } else { goodPktPointers(other, otherS, true); pktEnd(thisSt, ins.src, false); }
      return true;
    case BPF_JLT:
      if (dLeft) { goodPktPointers(other, otherD, true); pktEnd(thisSt, ins.dst, false); } else { goodPktPointers(thisSt, s, false); pktEnd(other, ins.src, true); }
      return true;
    case BPF_JGE:
      if (dLeft) { goodPktPointers(thisSt, d, true); pktEnd(other, ins.dst, false); } else { goodPktPointers(other, otherS, false); pktEnd(thisSt, ins.src, true); }
      return true;
    case BPF_JLE:
      if (dLeft) { goodPktPointers(other, otherD, false); pktEnd(thisSt, ins.dst, true); } else { goodPktPointers(thisSt, s, true); pktEnd(other, ins.src, false); }
      return true;
    default:
      return false;
  }
}

/** mark_ptr_or_null_regs: registers sharing the id become a valid pointer, or the scalar 0. */
function markPtrOrNull(st: VerifierState, id: number, isNull: boolean): void {
  if (id === 0) return;
  for (const r of st.allRegs()) {
    if (!(r.flags & MAYBE_NULL) || r.id !== id) continue;
    if (isNull) {
      r.type = RegType.SCALAR; r.flags = 0; r.id = 0; r.refObjId = 0; r.map = null; r.memSize = 0; r.range = 0;
      continue;
    }
    r.flags &= ~MAYBE_NULL;
    r.id = 0;
    if (r.type === RegType.MAP_VALUE && r.map?.inner) {
      r.type = RegType.CONST_MAP;
      r.map = r.map.inner;
    } else if (r.type === RegType.MAP_VALUE && r.map && [15, 17, 18].includes(r.map.type)) {
      markRegUnknown(r);
    }
  }
  if (isNull) st.refs = st.refs.filter((ref) => ref.id !== id);
}

/** Both edges' refinement for two scalars, then linked registers (reg_set_min_max, sync_linked_regs). */
function refineScalars(env: Env, ins: Insn, other: VerifierState, jmp32: boolean): void {
  const op = insnOp(ins.code);
  const isX = insnSrc(ins.code) === BPF_X;
  const st = env.st;
  const d = st.cur.regs[ins.dst]!;
  const s = isX ? st.cur.regs[ins.src]! : constReg(env, 1, ins.imm >> 31, ins.imm);
  const od = other.cur.regs[ins.dst]!;
  const os = isX ? other.cur.regs[ins.src]! : constReg(env, 2, ins.imm >> 31, ins.imm);
  if (d.type !== RegType.SCALAR || s.type !== RegType.SCALAR) return;
  refineBranch(d.s, s.s, op, jmp32, false);
  refineBranch(od.s, os.s, op, jmp32, true);
  for (const x of [od.s, os.s, d.s, s.s]) if (boundsViolation(x)) markUnbounded(x);
}

/** check_cond_jmp_op for the instruction at `env.insnIdx`. */
export function checkCondJmp(env: Env, ins: Insn): JumpOutcome {
  const idx = env.insnIdx;
  const op = insnOp(ins.code);
  if (op > 0xd0) fail(ERRNO.EINVAL, `invalid BPF_JMP/JMP32 opcode ${(op >> 4).toString(16)}`);
  const dst = env.checkRegArg(ins.dst, SRC_OP);
  const isX = insnSrc(ins.code) === BPF_X;
  let src: RegState;
  if (isX) {
    if (ins.imm !== 0) fail(ERRNO.EINVAL, 'BPF_JMP/JMP32 uses reserved fields');
    src = env.checkRegArg(ins.src, SRC_OP);
  } else {
    if (ins.src !== 0) fail(ERRNO.EINVAL, 'BPF_JMP/JMP32 uses reserved fields');
    src = constReg(env, 0, ins.imm >> 31, ins.imm);
  }
  const srcStack = isX && src.type === RegType.STACK;
  const dstStack = dst.type === RegType.STACK;
  if (srcStack || dstStack) pushHistory(env, { srcStack, dstStack });
  const jmp32 = insnClass(ins.code) === BPF_JMP32;
  const pred = isBranchTaken(dst, src, op, jmp32);
  if (pred >= 0) {
    if (dst.type === RegType.SCALAR) markChainPrecision(env, ins.dst);
    if (isX && src.type === RegType.SCALAR) markChainPrecision(env, ins.src);
  }
  if (pred === 1) return { next: idx + ins.off + 1 };
  if (pred === 0) return { next: idx + 1 };
  const st = env.st;
  const live = (fi: number): number => env.liveAt(fi === st.frames.length - 1 ? idx : st.frames[fi + 1]!.callsite);
  const linked: RegState[] = [];
  const where: LinkedReg[] = [];
  if (isX && src.type === RegType.SCALAR && src.id) collectLinked(st, src.id, live, linked, where);
  if (dst.type === RegType.SCALAR && dst.id) collectLinked(st, dst.id, live, linked, where);
  const links = linked.length > 1 ? linked : [];
  if (links.length) pushHistory(env, { linked: where });
  const other = st.clone();
  const otherLinks = sameRegsIn(st, other, links);
  refineScalars(env, ins, other, jmp32);
  if (isX && src.type === RegType.SCALAR && src.id) {
    syncLinked(src, links);
    syncLinked(other.cur.regs[ins.src]!, otherLinks);
  }
  if (dst.type === RegType.SCALAR && dst.id) {
    syncLinked(dst, links);
    syncLinked(other.cur.regs[ins.dst]!, otherLinks);
  }
  if (!jmp32 && isX && isPointer(src) && isPointer(dst) && ((src.flags & MAYBE_NULL) !== (dst.flags & MAYBE_NULL)) && (op === BPF_JEQ || op === BPF_JNE)) {
    const eq = op === BPF_JEQ ? other : st;
    const regno = src.flags & MAYBE_NULL ? ins.src : ins.dst;
    const r = eq.cur.regs[regno]!;
    r.flags &= ~MAYBE_NULL;
  }
  if (!jmp32 && !isX && ins.imm === 0 && (op === BPF_JEQ || op === BPF_JNE) && (dst.flags & MAYBE_NULL)) {
    const id = dst.id;
    markPtrOrNull(st, id, op === BPF_JNE);
    markPtrOrNull(other, id, op === BPF_JEQ);
  } else {
    matchPktPointers(ins, st, other);
  }
  return { next: idx + 1, other };
}
