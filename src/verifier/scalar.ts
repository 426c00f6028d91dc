/**
 * The scalar part of a register state, as the kernel's `struct bpf_reg_state` keeps it: a tnum
 * (`var_off`) and eight bounds — signed and unsigned, 64- and 32-bit — that must all hold at once.
 * The functions here are the kernel's bookkeeping on them: learning bounds from the tnum and the
 * tnum from the bounds, the 32↔64-bit deductions, and `reg_bounds_sync`, which runs them in
 * Linux 6.18's order.
 *
 * Representation: 64-bit bounds are pairs of signed 32-bit halves in plain number fields, like
 * the tnum, because the verifier does dozens of 64-bit comparisons per instruction; BigInt
 * bounds measured about 4x slower on the bounds update alone and allocate. The 32-bit bounds are
 * plain numbers: `s32min`/`s32max` signed, `u32min`/`u32max` in 0..2^32-1. A `Scalar` is itself
 * the tnum (it has the `Tnum` fields), so tnum operations write straight into it.
 */
import {
  type Tnum, tnumIntersect, tnumIsConst, tnumOr, tnumRange, tnumSubreg, tnumSubregIsConst,
  tnumClearSubreg, tnumConstSubreg, tnumStep,
} from './tnum.js';
import { hiOf, loOf, ltS, ltU, s64, u64 } from './u64.js';

const S32_MIN = -0x80000000;
const S32_MAX = 0x7fffffff;
const U32_MAX = 0xffffffff;

// Private scratch tnums, so that no operation allocates; every use is finished before it returns.
const scratch: Tnum = { vlo: 0, vhi: 0, mlo: 0, mhi: 0 };
const scratch2: Tnum = { vlo: 0, vhi: 0, mlo: 0, mhi: 0 };

/** A scalar's tnum and bounds; mutable, so transfer functions update it in place as the kernel does. */
export class Scalar implements Tnum {
  /** var_off: known-one bits, low half. */
  vlo = 0;
  /** var_off: known-one bits, high half. */
  vhi = 0;
  /** var_off: unknown bits, low half. */
  mlo = -1;
  /** var_off: unknown bits, high half. */
  mhi = -1;
  /** smin_value, low half. */
  sminLo = 0;
  /** smin_value, high half. */
  sminHi = S32_MIN;
  /** smax_value, low half. */
  smaxLo = -1;
  /** smax_value, high half. */
  smaxHi = S32_MAX;
  /** umin_value, low half. */
  uminLo = 0;
  /** umin_value, high half. */
  uminHi = 0;
  /** umax_value, low half. */
  umaxLo = -1;
  /** umax_value, high half. */
  umaxHi = -1;
  /** s32_min_value. */
  s32min = S32_MIN;
  /** s32_max_value. */
  s32max = S32_MAX;
  /** u32_min_value (0..2^32-1). */
  u32min = 0;
  /** u32_max_value (0..2^32-1). */
  u32max = U32_MAX;

  /** A completely unknown scalar (`scalar()`). */
  static unknown(): Scalar {
    return new Scalar();
  }

  /** The known constant `value` (taken modulo 2^64). */
  static known(value: bigint | number): Scalar {
    const v = BigInt(value);
    return markKnown(new Scalar(), hiOf(v), loOf(v));
  }

  /** A copy of this scalar. */
  clone(): Scalar {
    return copyScalar(new Scalar(), this);
  }
}

/** Copies every field of `src` into `dst` (copy_register_state, for the scalar part). */
export function copyScalar(dst: Scalar, src: Scalar): Scalar {
  dst.vlo = src.vlo; dst.vhi = src.vhi; dst.mlo = src.mlo; dst.mhi = src.mhi;
  dst.sminLo = src.sminLo; dst.sminHi = src.sminHi; dst.smaxLo = src.smaxLo; dst.smaxHi = src.smaxHi;
  dst.uminLo = src.uminLo; dst.uminHi = src.uminHi; dst.umaxLo = src.umaxLo; dst.umaxHi = src.umaxHi;
  dst.s32min = src.s32min; dst.s32max = src.s32max; dst.u32min = src.u32min; dst.u32max = src.u32max;
  return dst;
}

/** ___mark_reg_known: every bound and the tnum become the constant with halves `hi`, `lo`. */
export function markKnown(s: Scalar, hi: number, lo: number): Scalar {
  s.vhi = hi | 0; s.vlo = lo | 0; s.mhi = 0; s.mlo = 0;
  s.sminHi = s.smaxHi = s.uminHi = s.umaxHi = hi | 0;
  s.sminLo = s.smaxLo = s.uminLo = s.umaxLo = lo | 0;
  s.s32min = s.s32max = lo | 0;
  s.u32min = s.u32max = lo >>> 0;
  return s;
}

/** __mark_reg32_known: the low 32 bits become the constant `lo`; the high half is kept. */
export function markKnown32(s: Scalar, lo: number): Scalar {
  tnumConstSubreg(s, s, lo);
  s.s32min = s.s32max = lo | 0;
  s.u32min = s.u32max = lo >>> 0;
  return s;
}

/** __mark_reg64_unbounded. */
export function mark64Unbounded(s: Scalar): void {
  s.sminHi = S32_MIN; s.sminLo = 0; s.smaxHi = S32_MAX; s.smaxLo = -1;
  s.uminHi = 0; s.uminLo = 0; s.umaxHi = -1; s.umaxLo = -1;
}

/** __mark_reg32_unbounded. */
export function mark32Unbounded(s: Scalar): void {
  s.s32min = S32_MIN; s.s32max = S32_MAX; s.u32min = 0; s.u32max = U32_MAX;
}

/** __mark_reg_unbounded: every bound is the whole range (the tnum is kept). */
export function markUnbounded(s: Scalar): void {
  mark64Unbounded(s);
  mark32Unbounded(s);
}

/** __mark_reg_unknown for the scalar part: nothing is known. */
export function markUnknown(s: Scalar): Scalar {
  s.vlo = 0; s.vhi = 0; s.mlo = -1; s.mhi = -1;
  markUnbounded(s);
  return s;
}

/** __update_reg32_bounds: learn 32-bit bounds from the low half of the tnum. */
export function updateBounds32(s: Scalar): void {
  const smin = s.vlo | (s.mlo & S32_MIN);
  const smax = s.vlo | (s.mlo & S32_MAX);
  if (smin > s.s32min) s.s32min = smin;
  if (smax < s.s32max) s.s32max = smax;
  const umin = s.vlo >>> 0;
  const umax = (s.vlo | s.mlo) >>> 0;
  if (umin > s.u32min) s.u32min = umin;
  if (umax < s.u32max) s.u32max = umax;
}

/**
 * __update_reg64_bounds: learn 64-bit bounds from the tnum, and (as 6.18.y does since the
 * tnum_step backport) collapse to a constant when the u64 range meets the tnum in one value only.
 */
export function updateBounds64(s: Scalar): void {
  const sminHi = s.vhi | (s.mhi & S32_MIN);
  if (ltS(s.sminHi, s.sminLo, sminHi, s.vlo)) { s.sminHi = sminHi; s.sminLo = s.vlo; }
  const smaxHi = s.vhi | (s.mhi & S32_MAX);
  const smaxLo = s.vlo | s.mlo;
  if (ltS(smaxHi, smaxLo, s.smaxHi, s.smaxLo)) { s.smaxHi = smaxHi; s.smaxLo = smaxLo; }
  if (ltU(s.uminHi, s.uminLo, s.vhi, s.vlo)) { s.uminHi = s.vhi; s.uminLo = s.vlo; }
  const umaxHi = s.vhi | s.mhi;
  const umaxLo = s.vlo | s.mlo;
  if (ltU(umaxHi, umaxLo, s.umaxHi, s.umaxLo)) { s.umaxHi = umaxHi; s.umaxLo = umaxLo; }
  // If the u64 range and the tnum have a single value in common, the register is that constant.
  const next = tnumStep(scratch, s, s.uminHi, s.uminLo);
  const uminIn = (s.uminLo & ~s.mlo) === s.vlo && (s.uminHi & ~s.mhi) === s.vhi;
  const nextHi = next.vhi;
  const nextLo = next.vlo;
  if (uminIn && ltU(s.umaxHi, s.umaxLo, nextHi, nextLo)) {
    markKnown(s, s.uminHi, s.uminLo);
  } else if (!uminIn && nextHi === umaxHi && nextLo === umaxLo) {
    markKnown(s, umaxHi, umaxLo);
  } else if (!uminIn && !ltU(s.umaxHi, s.umaxLo, nextHi, nextLo)) {
    const after = tnumStep(scratch, s, nextHi, nextLo);
    if (ltU(s.umaxHi, s.umaxLo, after.vhi, after.vlo)) markKnown(s, nextHi, nextLo);
  }
}

/** __update_reg_bounds: both of the above. */
export function updateBounds(s: Scalar): void {
  updateBounds32(s);
  updateBounds64(s);
}

function tightenS32(s: Scalar, min: number, max: number): void {
  if (min > s.s32min) s.s32min = min;
  if (max < s.s32max) s.s32max = max;
}

function tightenU32(s: Scalar, min: number, max: number): void {
  if (min > s.u32min) s.u32min = min;
  if (max < s.u32max) s.u32max = max;
}

/** __reg32_deduce_bounds: 32-bit bounds from the 64-bit ones and from each other. */
export function deduceBounds32(s: Scalar): void {
  // The high halves of the u64 range are equal: its low halves are a u32 range (and maybe s32).
  if (s.uminHi === s.umaxHi) {
    tightenU32(s, s.uminLo >>> 0, s.umaxLo >>> 0);
    if ((s.uminLo | 0) <= (s.umaxLo | 0)) tightenS32(s, s.uminLo | 0, s.umaxLo | 0);
  }
  if (s.sminHi === s.smaxHi) {
    if ((s.sminLo >>> 0) <= (s.smaxLo >>> 0)) tightenU32(s, s.sminLo >>> 0, s.smaxLo >>> 0);
    if ((s.sminLo | 0) <= (s.smaxLo | 0)) tightenS32(s, s.sminLo | 0, s.smaxLo | 0);
  }
  // High halves that are two consecutive numbers, low halves from negative to non-negative: the
  // low halves still form an s32 range going through zero.
  if (((s.uminHi + 1) | 0) === s.umaxHi && (s.uminLo | 0) < 0 && (s.umaxLo | 0) >= 0) {
    tightenS32(s, s.uminLo | 0, s.umaxLo | 0);
  }
  if (((s.sminHi + 1) | 0) === s.smaxHi && (s.sminLo | 0) < 0 && (s.smaxLo | 0) >= 0) {
    tightenS32(s, s.sminLo | 0, s.smaxLo | 0);
  }
  // A u32 range that does not cross the s32 sign boundary is also an s32 range, and vice versa.
  if ((s.u32min | 0) <= (s.u32max | 0)) tightenS32(s, s.u32min | 0, s.u32max | 0);
  if ((s.s32min >>> 0) <= (s.s32max >>> 0)) {
    tightenU32(s, s.s32min >>> 0, s.s32max >>> 0);
  } else if (s.u32max < s.s32min >>> 0) {
    // The s32 range crosses the sign boundary and the u32 range meets only its non-negative part.
    s.s32min = s.u32min | 0;
    if (s.s32max >>> 0 < s.u32max) s.u32max = s.s32max >>> 0;
  } else if (s.s32max >>> 0 < s.u32min) {
    // ... or only its negative part.
    s.s32max = s.u32max | 0;
    if (s.s32min >>> 0 > s.u32min) s.u32min = s.s32min >>> 0;
  }
}

/** __reg64_deduce_bounds: signed and unsigned 64-bit bounds from each other. */
export function deduceBounds64(s: Scalar): void {
  if (!ltS(s.umaxHi, s.umaxLo, s.uminHi, s.uminLo)) {
    if (ltS(s.sminHi, s.sminLo, s.uminHi, s.uminLo)) { s.sminHi = s.uminHi; s.sminLo = s.uminLo; }
    if (ltS(s.umaxHi, s.umaxLo, s.smaxHi, s.smaxLo)) { s.smaxHi = s.umaxHi; s.smaxLo = s.umaxLo; }
  }
  if (!ltU(s.smaxHi, s.smaxLo, s.sminHi, s.sminLo)) {
    if (ltU(s.uminHi, s.uminLo, s.sminHi, s.sminLo)) { s.uminHi = s.sminHi; s.uminLo = s.sminLo; }
    if (ltU(s.smaxHi, s.smaxLo, s.umaxHi, s.umaxLo)) { s.umaxHi = s.smaxHi; s.umaxLo = s.smaxLo; }
  } else if (ltU(s.umaxHi, s.umaxLo, s.sminHi, s.sminLo)) {
    // The s64 range crosses the sign boundary and the u64 range meets only its non-negative part.
    s.sminHi = s.uminHi; s.sminLo = s.uminLo;
    if (ltU(s.smaxHi, s.smaxLo, s.umaxHi, s.umaxLo)) { s.umaxHi = s.smaxHi; s.umaxLo = s.smaxLo; }
  } else if (ltU(s.smaxHi, s.smaxLo, s.uminHi, s.uminLo)) {
    // ... or only its negative part.
    s.smaxHi = s.umaxHi; s.smaxLo = s.umaxLo;
    if (ltU(s.uminHi, s.uminLo, s.sminHi, s.sminLo)) { s.uminHi = s.sminHi; s.uminLo = s.sminLo; }
  }
}

/** __reg_deduce_mixed_bounds: tighten the 64-bit bounds with the 32-bit ones. */
export function deduceMixedBounds(s: Scalar): void {
  const u32min = s.u32min | 0;
  const u32max = s.u32max | 0;
  if (ltU(s.uminHi, s.uminLo, s.uminHi, u32min)) s.uminLo = u32min;
  if (ltU(s.umaxHi, u32max, s.umaxHi, s.umaxLo)) s.umaxLo = u32max;
  if (ltS(s.sminHi, s.sminLo, s.sminHi, u32min)) s.sminLo = u32min;
  if (ltS(s.smaxHi, u32max, s.smaxHi, s.smaxLo)) s.smaxLo = u32max;
  // After a sign-extending load: the value is within [S32_MIN, S32_MAX] as s64 and its low half
  // is non-negative, so its high half cannot be all ones.
  if (s.s32min >= 0 && !ltS(s.sminHi, s.sminLo, -1, S32_MIN) && !ltS(0, S32_MAX, s.smaxHi, s.smaxLo)) {
    s.sminHi = 0; s.sminLo = s.s32min;
    s.smaxHi = 0; s.smaxLo = s.s32max;
    s.uminHi = 0; s.uminLo = s.s32min;
    s.umaxHi = 0; s.umaxLo = s.s32max;
    tnumIntersect(s, s, tnumRange(scratch, 0, s.s32min, 0, s.s32max));
  }
}

/** __reg_deduce_bounds: the three deductions in the kernel's order. */
export function deduceBounds(s: Scalar): void {
  deduceBounds32(s);
  deduceBounds64(s);
  deduceMixedBounds(s);
}

/** __reg_bound_offset: learn tnum bits from the unsigned bounds, 64- and 32-bit. */
export function boundOffset(s: Scalar): void {
  const var64 = tnumIntersect(scratch, s, tnumRange(scratch2, s.uminHi, s.uminLo, s.umaxHi, s.umaxLo));
  const var32 = tnumIntersect(scratch2, tnumSubreg(scratch2, var64), tnumRange(s, 0, s.u32min, 0, s.u32max));
  tnumOr(s, tnumClearSubreg(scratch, var64), var32);
}

/** reg_bounds_sync: bounds from the tnum, three rounds of deduction, tnum from the bounds, bounds again. */
export function boundsSync(s: Scalar): Scalar {
  updateBounds(s);
  deduceBounds(s);
  deduceBounds(s);
  deduceBounds(s);
  boundOffset(s);
  updateBounds(s);
  return s;
}

/**
 * reg_bounds_sanity_check: why the bounds contradict each other or the tnum (the kernel logs a
 * "REG INVARIANTS VIOLATION" and resets the bounds), or null when they are consistent.
 */
export function boundsViolation(s: Scalar): string | null {
  if (ltU(s.umaxHi, s.umaxLo, s.uminHi, s.uminLo) || ltS(s.smaxHi, s.smaxLo, s.sminHi, s.sminLo) ||
      s.u32max < s.u32min || s.s32max < s.s32min) {
    return 'range bounds violation';
  }
  if (tnumIsConst(s)) {
    const { vhi, vlo } = s;
    if (s.uminHi !== vhi || s.uminLo !== vlo || s.umaxHi !== vhi || s.umaxLo !== vlo ||
        s.sminHi !== vhi || s.sminLo !== vlo || s.smaxHi !== vhi || s.smaxLo !== vlo) {
      return 'const tnum out of sync with range bounds';
    }
  }
  if (tnumSubregIsConst(s)) {
    if (s.u32min !== s.vlo >>> 0 || s.u32max !== s.vlo >>> 0 || s.s32min !== s.vlo || s.s32max !== s.vlo) {
      return 'const subreg tnum out of sync with range bounds';
    }
  }
  return null;
}

/** __reg_assign_32_into_64: the 64-bit bounds of a value whose high half is zero. */
export function assign32Into64(s: Scalar): void {
  s.uminHi = 0; s.uminLo = s.u32min | 0;
  s.umaxHi = 0; s.umaxLo = s.u32max | 0;
  if (s.s32min >= 0 && s.s32max >= 0) {
    s.sminHi = 0; s.sminLo = s.s32min;
    s.smaxHi = 0; s.smaxLo = s.s32max;
  } else {
    s.sminHi = 0; s.sminLo = 0;
    s.smaxHi = 0; s.smaxLo = -1;
  }
}

/** zext_32_to_64: what a 32-bit operation leaves in the full register. */
export function zext32To64(s: Scalar): Scalar {
  tnumSubreg(s, s);
  assign32Into64(s);
  return s;
}

/** fls64 of umax: how many low bits the value can use (get_reg_width). */
export function regWidth(s: Scalar): number {
  return s.umaxHi !== 0 ? 64 - Math.clz32(s.umaxHi) : 32 - Math.clz32(s.umaxLo);
}

/** coerce_reg_to_size: keep the low `size` bytes (1, 2 or 4), as a narrow load does. */
export function coerceRegToSize(s: Scalar, size: 1 | 2 | 4): Scalar {
  if (size === 4) {
    s.vhi = 0; s.mhi = 0;
    if (s.uminHi === s.umaxHi) {
      s.uminHi = 0; s.umaxHi = 0;
    } else {
      s.uminHi = 0; s.uminLo = 0; s.umaxHi = 0; s.umaxLo = -1;
    }
  } else {
    const m = size === 2 ? 0xffff : 0xff;
    s.vhi = 0; s.mhi = 0; s.vlo &= m; s.mlo &= m;
    if (s.uminHi === s.umaxHi && (s.uminLo & ~m) === (s.umaxLo & ~m)) {
      s.uminHi = 0; s.umaxHi = 0; s.uminLo &= m; s.umaxLo &= m;
    } else {
      s.uminHi = 0; s.uminLo = 0; s.umaxHi = 0; s.umaxLo = m;
    }
  }
  s.sminHi = s.uminHi; s.sminLo = s.uminLo;
  s.smaxHi = s.umaxHi; s.smaxLo = s.umaxLo;
  if (size < 4) mark32Unbounded(s);
  return boundsSync(s);
}

function sext(lo: number, size: 1 | 2 | 4): number {
  return size === 1 ? (lo << 24) >> 24 : size === 2 ? (lo << 16) >> 16 : lo | 0;
}

/** set_sext64_default_val: what a sign extension from `size` bytes gives when bounds say nothing. */
function sext64Default(s: Scalar, size: 1 | 2 | 4): void {
  const max = size === 1 ? 0x7f : size === 2 ? 0x7fff : S32_MAX;
  s.sminHi = -1; s.sminLo = -max - 1; s.s32min = -max - 1;
  s.smaxHi = 0; s.smaxLo = max; s.s32max = max;
  s.uminHi = 0; s.uminLo = 0; s.u32min = 0;
  s.umaxHi = -1; s.umaxLo = -1; s.u32max = U32_MAX;
  s.vlo = 0; s.vhi = 0; s.mlo = -1; s.mhi = -1;
}

/** coerce_reg_to_size_sx: sign-extend the low `size` bytes to 64 bits (movsx, ldsx). */
export function coerceRegToSizeSx(s: Scalar, size: 1 | 2 | 4): Scalar {
  if (tnumIsConst(s)) {
    const v = sext(s.vlo, size);
    return markKnown(s, v >> 31, v);
  }
  const bits = size * 8;
  // The bits above the low `size` bytes must agree between smax and smin.
  const topSame = bits === 32
    ? s.smaxHi === s.sminHi
    : s.smaxHi === s.sminHi && (s.smaxLo >>> bits) === (s.sminLo >>> bits);
  if (topSame) {
    const a = sext(s.smaxLo, size);
    const b = sext(s.sminLo, size);
    const max = Math.max(a, b);
    const min = Math.min(a, b);
    if ((max >= 0) === (min >= 0)) {
      s.sminHi = s.uminHi = min >> 31; s.sminLo = s.uminLo = min; s.s32min = min; s.u32min = min >>> 0;
      s.smaxHi = s.umaxHi = max >> 31; s.smaxLo = s.umaxLo = max; s.s32max = max; s.u32max = max >>> 0;
      tnumRange(s, min >> 31, min, max >> 31, max);
      return s;
    }
  }
  sext64Default(s, size);
  return s;
}

/** coerce_subreg_to_size_sx: sign-extend the low `size` bytes (1 or 2) to 32 bits (32-bit movsx). */
export function coerceSubregToSizeSx(s: Scalar, size: 1 | 2): Scalar {
  if (tnumIsConst(s)) {
    // The kernel makes the whole tnum the sign-extended constant; the caller's zero-extension
    // then clears the high half.
    const v = sext(s.vlo, size);
    s.vhi = v >> 31; s.vlo = v; s.mhi = 0; s.mlo = 0;
    s.s32min = s.s32max = v;
    s.u32min = s.u32max = v >>> 0;
    return s;
  }
  const bits = size * 8;
  if ((s.s32max >>> bits) === (s.s32min >>> bits)) {
    const a = sext(s.s32max, size);
    const b = sext(s.s32min, size);
    const max = Math.max(a, b);
    const min = Math.min(a, b);
    if ((min >= 0) === (max >= 0)) {
      s.s32min = min; s.s32max = max; s.u32min = min >>> 0; s.u32max = max >>> 0;
      tnumSubreg(s, tnumRange(s, min >> 31, min, max >> 31, max));
      return s;
    }
  }
  const max = size === 1 ? 0x7f : 0x7fff;
  s.s32min = -max - 1; s.s32max = max; s.u32min = 0; s.u32max = U32_MAX;
  s.vlo = 0; s.vhi = 0; s.mlo = -1; s.mhi = 0;
  return s;
}

/** Whether the concrete 64-bit value with halves `hi`, `lo` satisfies every bound and the tnum. */
export function scalarContains(s: Scalar, hi: number, lo: number): boolean {
  if ((lo & ~s.mlo) !== s.vlo || (hi & ~s.mhi) !== s.vhi) return false;
  if (ltS(hi, lo, s.sminHi, s.sminLo) || ltS(s.smaxHi, s.smaxLo, hi, lo)) return false;
  if (ltU(hi, lo, s.uminHi, s.uminLo) || ltU(s.umaxHi, s.umaxLo, hi, lo)) return false;
  if ((lo | 0) < s.s32min || (lo | 0) > s.s32max) return false;
  return (lo >>> 0) >= s.u32min && (lo >>> 0) <= s.u32max;
}

/** The scalar's fields as bigints, for tests and messages. */
export function scalarFields(s: Scalar): {
  value: bigint; mask: bigint; smin: bigint; smax: bigint; umin: bigint; umax: bigint;
  s32min: number; s32max: number; u32min: number; u32max: number;
} {
  return {
    value: u64(s.vhi, s.vlo), mask: u64(s.mhi, s.mlo),
    smin: s64(s.sminHi, s.sminLo), smax: s64(s.smaxHi, s.smaxLo),
    umin: u64(s.uminHi, s.uminLo), umax: u64(s.umaxHi, s.umaxLo),
    s32min: s.s32min, s32max: s.s32max, u32min: s.u32min, u32max: s.u32max,
  };
}
