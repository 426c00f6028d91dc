/**
 * Conditional jumps on scalars, as Linux 6.18 handles them: whether the outcome is already decided
 * by the operands' abstract values (is_scalar_branch_taken), and what each outcome teaches about
 * both operands (regs_refine_cond_op followed by reg_bounds_sync, as reg_set_min_max does).
 */
import {
  BPF_JEQ, BPF_JGE, BPF_JGT, BPF_JLE, BPF_JLT, BPF_JNE, BPF_JSET, BPF_JSGE, BPF_JSGT, BPF_JSLE,
  BPF_JSLT, BPF_X,
} from '../isa/index.js';
import { type Scalar, boundsSync, markUnbounded } from './scalar.js';
import {
  type Tnum, tnumAnd, tnumIntersect, tnumIsConst, tnumOr, tnumOverlap, tnumSubreg, tnumSubregIsConst,
  tnumWithSubreg,
} from './tnum.js';
import { ltS, ltU } from './u64.js';

/** The outcome of a conditional jump: 1 taken, 0 not taken, -1 either. */
export type BranchOutcome = -1 | 0 | 1;

/** The pseudo-opcode for "JSET is false" (the kernel's BPF_JSET | BPF_X in rev_opcode). */
export const BPF_JSET_FALSE = BPF_JSET | BPF_X;

/** flip_opcode: the operator of `b op' a` equivalent to `a op b`. */
export function flipOp(op: number): number {
  switch (op) {
    case BPF_JGE: return BPF_JLE;
    case BPF_JGT: return BPF_JLT;
    case BPF_JLE: return BPF_JGE;
    case BPF_JLT: return BPF_JGT;
    case BPF_JSGE: return BPF_JSLE;
    case BPF_JSGT: return BPF_JSLT;
    case BPF_JSLE: return BPF_JSGE;
    case BPF_JSLT: return BPF_JSGT;
    default: return op;
  }
}

/** rev_opcode: the condition that holds when the jump is not taken. */
export function revOp(op: number): number {
  switch (op) {
    case BPF_JEQ: return BPF_JNE;
    case BPF_JNE: return BPF_JEQ;
    case BPF_JSET: return BPF_JSET_FALSE;
    case BPF_JSET_FALSE: return BPF_JSET;
    case BPF_JGE: return BPF_JLT;
    case BPF_JGT: return BPF_JLE;
    case BPF_JLE: return BPF_JGT;
    case BPF_JLT: return BPF_JGE;
    case BPF_JSGE: return BPF_JSLT;
    case BPF_JSGT: return BPF_JSLE;
    case BPF_JSLE: return BPF_JSGT;
    default: return BPF_JSGE;
  }
}

/** is_reg_const: the operand is one value at the comparison's width. */
export function isConstOperand(s: Scalar, jmp32: boolean): boolean {
  return jmp32 ? tnumSubregIsConst(s) : tnumIsConst(s);
}

function taken32(a: Scalar, b: Scalar, op: number): BranchOutcome {
  switch (op) {
    case BPF_JEQ:
    case BPF_JNE: {
      const yes: BranchOutcome = op === BPF_JEQ ? 1 : 0;
      const no: BranchOutcome = op === BPF_JEQ ? 0 : 1;
      if (a.mlo === 0 && b.mlo === 0) return a.vlo === b.vlo ? yes : no;
      if (((a.vlo ^ b.vlo) & ~a.mlo & ~b.mlo) !== 0) return no;
      if (a.u32min > b.u32max || a.u32max < b.u32min) return no;
      if (a.s32min > b.s32max || a.s32max < b.s32min) return no;
      return -1;
    }
    case BPF_JSET: {
      let x = a;
      let y = b;
      if (y.mlo !== 0) { x = b; y = a; }
      if (y.mlo !== 0) return -1;
      if ((x.vlo & y.vlo) !== 0) return 1;
      if (((x.mlo | x.vlo) & y.vlo) === 0) return 0;
      return -1;
    }
    case BPF_JGT: return a.u32min > b.u32max ? 1 : a.u32max <= b.u32min ? 0 : -1;
    case BPF_JSGT: return a.s32min > b.s32max ? 1 : a.s32max <= b.s32min ? 0 : -1;
    case BPF_JLT: return a.u32max < b.u32min ? 1 : a.u32min >= b.u32max ? 0 : -1;
    case BPF_JSLT: return a.s32max < b.s32min ? 1 : a.s32min >= b.s32max ? 0 : -1;
    case BPF_JGE: return a.u32min >= b.u32max ? 1 : a.u32max < b.u32min ? 0 : -1;
    case BPF_JSGE: return a.s32min >= b.s32max ? 1 : a.s32max < b.s32min ? 0 : -1;
    case BPF_JLE: return a.u32max <= b.u32min ? 1 : a.u32min > b.u32max ? 0 : -1;
    case BPF_JSLE: return a.s32max <= b.s32min ? 1 : a.s32min > b.s32max ? 0 : -1;
    default: return -1;
  }
}

function taken64(a: Scalar, b: Scalar, op: number): BranchOutcome {
  switch (op) {
    case BPF_JEQ:
    case BPF_JNE: {
      const yes: BranchOutcome = op === BPF_JEQ ? 1 : 0;
      const no: BranchOutcome = op === BPF_JEQ ? 0 : 1;
      if (tnumIsConst(a) && tnumIsConst(b)) return a.vlo === b.vlo && a.vhi === b.vhi ? yes : no;
      if (!tnumOverlap(a, b)) return no;
      if (ltU(b.umaxHi, b.umaxLo, a.uminHi, a.uminLo) || ltU(a.umaxHi, a.umaxLo, b.uminHi, b.uminLo)) return no;
      if (ltS(b.smaxHi, b.smaxLo, a.sminHi, a.sminLo) || ltS(a.smaxHi, a.smaxLo, b.sminHi, b.sminLo)) return no;
      // The 64-bit ranges overlap; the 32-bit ones may still rule equality out.
      if (a.u32min > b.u32max || a.u32max < b.u32min) return no;
      if (a.s32min > b.s32max || a.s32max < b.s32min) return no;
      return -1;
    }
    case BPF_JSET: {
      let x = a;
      let y = b;
      if (!tnumIsConst(y)) { x = b; y = a; }
      if (!tnumIsConst(y)) return -1;
      if ((x.vlo & y.vlo) !== 0 || (x.vhi & y.vhi) !== 0) return 1;
      if ((((x.mlo | x.vlo) & y.vlo) | ((x.mhi | x.vhi) & y.vhi)) === 0) return 0;
      return -1;
    }
    case BPF_JGT:
      return ltU(b.umaxHi, b.umaxLo, a.uminHi, a.uminLo) ? 1 : !ltU(b.uminHi, b.uminLo, a.umaxHi, a.umaxLo) ? 0 : -1;
    case BPF_JSGT:
      return ltS(b.smaxHi, b.smaxLo, a.sminHi, a.sminLo) ? 1 : !ltS(b.sminHi, b.sminLo, a.smaxHi, a.smaxLo) ? 0 : -1;
    case BPF_JLT:
      return ltU(a.umaxHi, a.umaxLo, b.uminHi, b.uminLo) ? 1 : !ltU(a.uminHi, a.uminLo, b.umaxHi, b.umaxLo) ? 0 : -1;
    case BPF_JSLT:
      return ltS(a.smaxHi, a.smaxLo, b.sminHi, b.sminLo) ? 1 : !ltS(a.sminHi, a.sminLo, b.smaxHi, b.smaxLo) ? 0 : -1;
    case BPF_JGE:
      return !ltU(a.uminHi, a.uminLo, b.umaxHi, b.umaxLo) ? 1 : ltU(a.umaxHi, a.umaxLo, b.uminHi, b.uminLo) ? 0 : -1;
    case BPF_JSGE:
      return !ltS(a.sminHi, a.sminLo, b.smaxHi, b.smaxLo) ? 1 : ltS(a.smaxHi, a.smaxLo, b.sminHi, b.sminLo) ? 0 : -1;
    case BPF_JLE:
      return !ltU(b.uminHi, b.uminLo, a.umaxHi, a.umaxLo) ? 1 : ltU(b.umaxHi, b.umaxLo, a.uminHi, a.uminLo) ? 0 : -1;
    case BPF_JSLE:
      return !ltS(b.sminHi, b.sminLo, a.smaxHi, a.smaxLo) ? 1 : ltS(b.smaxHi, b.smaxLo, a.sminHi, a.sminLo) ? 0 : -1;
    default:
      return -1;
  }
}

/**
 * is_scalar_branch_taken for `if a op b` (`jmp32`: comparing the low 32 bits). 6.18 has no special
 * case for a register compared with itself: `if r1 > r1` is judged, and refined, like any pair.
 */
export function branchTaken(a: Scalar, b: Scalar, op: number, jmp32: boolean): BranchOutcome {
  return jmp32 ? taken32(a, b, op) : taken64(a, b, op);
}

const scratch: Tnum = { vlo: 0, vhi: 0, mlo: 0, mhi: 0 };
const scratch2: Tnum = { vlo: 0, vhi: 0, mlo: 0, mhi: 0 };

function refineEq(a: Scalar, b: Scalar, jmp32: boolean): void {
  if (jmp32) {
    a.u32min = Math.max(a.u32min, b.u32min); a.u32max = Math.min(a.u32max, b.u32max);
    a.s32min = Math.max(a.s32min, b.s32min); a.s32max = Math.min(a.s32max, b.s32max);
    b.u32min = a.u32min; b.u32max = a.u32max; b.s32min = a.s32min; b.s32max = a.s32max;
    const t = tnumIntersect(scratch, tnumSubreg(scratch, a), tnumSubreg(scratch2, b));
    tnumWithSubreg(a, a, t);
    tnumWithSubreg(b, b, t);
    return;
  }
  if (ltU(a.uminHi, a.uminLo, b.uminHi, b.uminLo)) { a.uminHi = b.uminHi; a.uminLo = b.uminLo; }
  if (ltU(b.umaxHi, b.umaxLo, a.umaxHi, a.umaxLo)) { a.umaxHi = b.umaxHi; a.umaxLo = b.umaxLo; }
  if (ltS(a.sminHi, a.sminLo, b.sminHi, b.sminLo)) { a.sminHi = b.sminHi; a.sminLo = b.sminLo; }
  if (ltS(b.smaxHi, b.smaxLo, a.smaxHi, a.smaxLo)) { a.smaxHi = b.smaxHi; a.smaxLo = b.smaxLo; }
  b.uminHi = a.uminHi; b.uminLo = a.uminLo; b.umaxHi = a.umaxHi; b.umaxLo = a.umaxLo;
  b.sminHi = a.sminHi; b.sminLo = a.sminLo; b.smaxHi = a.smaxHi; b.smaxLo = a.smaxLo;
  tnumIntersect(a, a, b);
  b.vlo = a.vlo; b.vhi = a.vhi; b.mlo = a.mlo; b.mhi = a.mhi;
}

/** x + 1 on 64-bit halves, wrapping, into [hi, lo]. */
function inc(hi: number, lo: number): [number, number] {
  return lo === -1 ? [(hi + 1) | 0, 0] : [hi, (lo + 1) | 0];
}

/** x - 1 on 64-bit halves, wrapping. */
function dec(hi: number, lo: number): [number, number] {
  return lo === 0 ? [(hi - 1) | 0, -1] : [hi, (lo - 1) | 0];
}

function refineNe(a: Scalar, b: Scalar, jmp32: boolean): void {
  let x = a;
  let y = b;
  if (!isConstOperand(y, jmp32)) { x = b; y = a; }
  if (!isConstOperand(y, jmp32)) return;
  // A constant at an edge of the other operand's range moves that edge by one.
  if (jmp32) {
    const v = y.vlo;
    if (x.u32min === v >>> 0) x.u32min = (x.u32min + 1) >>> 0;
    if (x.u32max === v >>> 0) x.u32max = (x.u32max - 1) >>> 0;
    if (x.s32min === v) x.s32min = (x.s32min + 1) | 0;
    if (x.s32max === v) x.s32max = (x.s32max - 1) | 0;
    return;
  }
  const { vhi, vlo } = y;
  if (x.uminHi === vhi && x.uminLo === vlo) [x.uminHi, x.uminLo] = inc(vhi, vlo);
  if (x.umaxHi === vhi && x.umaxLo === vlo) [x.umaxHi, x.umaxLo] = dec(vhi, vlo);
  if (x.sminHi === vhi && x.sminLo === vlo) [x.sminHi, x.sminLo] = inc(vhi, vlo);
  if (x.smaxHi === vhi && x.smaxLo === vlo) [x.smaxHi, x.smaxLo] = dec(vhi, vlo);
}

function refineSet(a: Scalar, b: Scalar, jmp32: boolean, isSet: boolean): void {
  let x = a;
  let y = b;
  if (!isConstOperand(y, jmp32)) { x = b; y = a; }
  if (!isConstOperand(y, jmp32)) return;
  const vlo = y.vlo;
  const vhi = jmp32 ? 0 : y.vhi;
  if (isSet) {
    // Only a single tested bit says which bit is set.
    const single = vhi === 0 ? vlo !== 0 && (vlo & (vlo - 1)) === 0 : vlo === 0 && (vhi & (vhi - 1)) === 0;
    if (!single) return;
    scratch2.vhi = vhi; scratch2.vlo = vlo; scratch2.mhi = 0; scratch2.mlo = 0;
    if (jmp32) tnumWithSubreg(x, x, tnumOr(scratch, tnumSubreg(scratch, x), scratch2));
    else tnumOr(x, x, scratch2);
    return;
  }
  // Forget the ranges before narrowing the tnum, so that a dead branch does not break invariants.
  markUnbounded(x);
  scratch2.vhi = ~vhi; scratch2.vlo = ~vlo; scratch2.mhi = 0; scratch2.mlo = 0;
  if (jmp32) tnumWithSubreg(x, x, tnumAnd(scratch, tnumSubreg(scratch, x), scratch2));
  else tnumAnd(x, x, scratch2);
}

/**
 * regs_refine_cond_op: narrow `a` and `b` to the values for which `a op b` holds; `op` may be
 * BPF_JSET_FALSE. Bounds are left unsynced, as in the kernel.
 */
export function refineCondOp(a: Scalar, b: Scalar, op: number, jmp32: boolean): void {
  let x = a;
  let y = b;
  let o = op;
  if (o === BPF_JGE || o === BPF_JGT || o === BPF_JSGE || o === BPF_JSGT) {
    o = flipOp(o);
    x = b;
    y = a;
  }
  switch (o) {
    case BPF_JEQ: refineEq(x, y, jmp32); break;
    case BPF_JNE: refineNe(x, y, jmp32); break;
    case BPF_JSET: refineSet(x, y, jmp32, true); break;
    case BPF_JSET_FALSE: refineSet(x, y, jmp32, false); break;
    case BPF_JLE:
    case BPF_JLT: {
      const strict = o === BPF_JLT;
      if (jmp32) {
        x.u32max = Math.min(x.u32max, strict ? (y.u32max - 1) >>> 0 : y.u32max);
        y.u32min = Math.max(strict ? (x.u32min + 1) >>> 0 : x.u32min, y.u32min);
      } else {
        const [mh, ml] = strict ? dec(y.umaxHi, y.umaxLo) : [y.umaxHi, y.umaxLo];
        if (ltU(mh, ml, x.umaxHi, x.umaxLo)) { x.umaxHi = mh; x.umaxLo = ml; }
        const [nh, nl] = strict ? inc(x.uminHi, x.uminLo) : [x.uminHi, x.uminLo];
        if (ltU(y.uminHi, y.uminLo, nh, nl)) { y.uminHi = nh; y.uminLo = nl; }
      }
      break;
    }
    case BPF_JSLE:
    case BPF_JSLT: {
      const strict = o === BPF_JSLT;
      if (jmp32) {
        x.s32max = Math.min(x.s32max, strict ? (y.s32max - 1) | 0 : y.s32max);
        y.s32min = Math.max(strict ? (x.s32min + 1) | 0 : x.s32min, y.s32min);
      } else {
        const [mh, ml] = strict ? dec(y.smaxHi, y.smaxLo) : [y.smaxHi, y.smaxLo];
        if (ltS(mh, ml, x.smaxHi, x.smaxLo)) { x.smaxHi = mh; x.smaxLo = ml; }
        const [nh, nl] = strict ? inc(x.sminHi, x.sminLo) : [x.sminHi, x.sminLo];
        if (ltS(y.sminHi, y.sminLo, nh, nl)) { y.sminHi = nh; y.sminLo = nl; }
      }
      break;
    }
    default:
      break;
  }
}

/**
 * One outcome of `if a op b` (reg_set_min_max for that side): refine both operands for the
 * outcome `taken`, then sync each. Callers copy the registers first for the other outcome. When
 * both operands are one register, pass the same object twice: 6.18 refines it against itself.
 */
export function refineBranch(a: Scalar, b: Scalar, op: number, jmp32: boolean, taken: boolean): void {
  refineCondOp(a, b, taken ? op : revOp(op), jmp32);
  boundsSync(a);
  boundsSync(b);
}
