/**
 * The bounds half of each ALU transfer function (the kernel's scalar32_min_max_* and
 * scalar_min_max_*): how an operation moves the signed and unsigned ranges, including the
 * overflow checks that make it give up. `alu.ts` combines these with the tnum operations.
 */
import type { Scalar } from './scalar.js';
import { markKnown, markKnown32, updateBounds } from './scalar.js';
import { tnumIsConst, tnumSubregIsConst } from './tnum.js';
import { ltS, ltU } from './u64.js';

const S32_MIN = -0x80000000;
const S32_MAX = 0x7fffffff;
const U32_MAX = 0xffffffff;

// The last 64-bit sum or difference (private scratch; every use reads it straight after the call).
let rHi = 0;
let rLo = 0;

function add64(ah: number, al: number, bh: number, bl: number): void {
  const s = (al >>> 0) + (bl >>> 0);
  rLo = s | 0;
  rHi = (ah + bh + (s > 0xffffffff ? 1 : 0)) | 0;
}

function sub64(ah: number, al: number, bh: number, bl: number): void {
  const d = (al >>> 0) - (bl >>> 0);
  rLo = d | 0;
  rHi = (ah - bh - (d < 0 ? 1 : 0)) | 0;
}

/** a + b overflows as u64. */
function addOverflowsU(ah: number, al: number, bh: number, bl: number): boolean {
  const carry = (al >>> 0) + (bl >>> 0) > 0xffffffff ? 1 : 0;
  return (ah >>> 0) + (bh >>> 0) + carry > 0xffffffff;
}

/** scalar32_min_max_add. */
export function add32(dst: Scalar, src: Scalar): void {
  const smin = dst.s32min + src.s32min;
  const smax = dst.s32max + src.s32max;
  if (smin < S32_MIN || smin > S32_MAX || smax < S32_MIN || smax > S32_MAX) {
    dst.s32min = S32_MIN;
    dst.s32max = S32_MAX;
  } else {
    dst.s32min = smin;
    dst.s32max = smax;
  }
  const umin = dst.u32min + src.u32min;
  const umax = dst.u32max + src.u32max;
  dst.u32min = umin >>> 0;
  dst.u32max = umax >>> 0;
  // Either every sum wraps or none does; a range where only some wrap is not contiguous.
  if (umin <= U32_MAX && umax > U32_MAX) {
    dst.u32min = 0;
    dst.u32max = U32_MAX;
  }
}

/** scalar_min_max_add. */
export function add64Bounds(dst: Scalar, src: Scalar): void {
  add64(dst.sminHi, dst.sminLo, src.sminHi, src.sminLo);
  const sminHi = rHi;
  const sminLo = rLo;
  const sminOvf = ((dst.sminHi ^ rHi) & (src.sminHi ^ rHi)) < 0;
  add64(dst.smaxHi, dst.smaxLo, src.smaxHi, src.smaxLo);
  const smaxOvf = ((dst.smaxHi ^ rHi) & (src.smaxHi ^ rHi)) < 0;
  if (sminOvf || smaxOvf) {
    dst.sminHi = S32_MIN; dst.sminLo = 0; dst.smaxHi = S32_MAX; dst.smaxLo = -1;
  } else {
    dst.sminHi = sminHi; dst.sminLo = sminLo; dst.smaxHi = rHi; dst.smaxLo = rLo;
  }
  const minOvf = addOverflowsU(dst.uminHi, dst.uminLo, src.uminHi, src.uminLo);
  const maxOvf = addOverflowsU(dst.umaxHi, dst.umaxLo, src.umaxHi, src.umaxLo);
  add64(dst.uminHi, dst.uminLo, src.uminHi, src.uminLo);
  dst.uminHi = rHi; dst.uminLo = rLo;
  add64(dst.umaxHi, dst.umaxLo, src.umaxHi, src.umaxLo);
  dst.umaxHi = rHi; dst.umaxLo = rLo;
  if (!minOvf && maxOvf) {
    dst.uminHi = 0; dst.uminLo = 0; dst.umaxHi = -1; dst.umaxLo = -1;
  }
}

/** scalar32_min_max_sub. */
export function sub32(dst: Scalar, src: Scalar): void {
  const smin = dst.s32min - src.s32max;
  const smax = dst.s32max - src.s32min;
  if (smin < S32_MIN || smin > S32_MAX || smax < S32_MIN || smax > S32_MAX) {
    dst.s32min = S32_MIN;
    dst.s32max = S32_MAX;
  } else {
    dst.s32min = smin;
    dst.s32max = smax;
  }
  const minUnder = dst.u32min < src.u32max;
  const maxUnder = dst.u32max < src.u32min;
  dst.u32min = (dst.u32min - src.u32max) >>> 0;
  dst.u32max = (dst.u32max - src.u32min) >>> 0;
  if (minUnder && !maxUnder) {
    dst.u32min = 0;
    dst.u32max = U32_MAX;
  }
}

/** scalar_min_max_sub. */
export function sub64Bounds(dst: Scalar, src: Scalar): void {
  sub64(dst.sminHi, dst.sminLo, src.smaxHi, src.smaxLo);
  const sminHi = rHi;
  const sminLo = rLo;
  const sminOvf = ((dst.sminHi ^ src.smaxHi) & (dst.sminHi ^ rHi)) < 0;
  sub64(dst.smaxHi, dst.smaxLo, src.sminHi, src.sminLo);
  const smaxOvf = ((dst.smaxHi ^ src.sminHi) & (dst.smaxHi ^ rHi)) < 0;
  if (sminOvf || smaxOvf) {
    dst.sminHi = S32_MIN; dst.sminLo = 0; dst.smaxHi = S32_MAX; dst.smaxLo = -1;
  } else {
    dst.sminHi = sminHi; dst.sminLo = sminLo; dst.smaxHi = rHi; dst.smaxLo = rLo;
  }
  const minUnder = ltU(dst.uminHi, dst.uminLo, src.umaxHi, src.umaxLo);
  const maxUnder = ltU(dst.umaxHi, dst.umaxLo, src.uminHi, src.uminLo);
  sub64(dst.uminHi, dst.uminLo, src.umaxHi, src.umaxLo);
  dst.uminHi = rHi; dst.uminLo = rLo;
  sub64(dst.umaxHi, dst.umaxLo, src.uminHi, src.uminLo);
  dst.umaxHi = rHi; dst.umaxLo = rLo;
  if (minUnder && !maxUnder) {
    dst.uminHi = 0; dst.uminLo = 0; dst.umaxHi = -1; dst.umaxLo = -1;
  }
}

/**
 * scalar32_min_max_mul. Products of two 32-bit numbers are exact in doubles below 2^53, and a
 * rounded product above 2^32 still compares above the 32-bit limits, so doubles decide overflow.
 */
export function mul32(dst: Scalar, src: Scalar): void {
  const umax = dst.u32max * src.u32max;
  const umin = dst.u32min * src.u32min;
  if (umax > U32_MAX || umin > U32_MAX) {
    dst.u32min = 0;
    dst.u32max = U32_MAX;
  } else {
    dst.u32min = umin;
    dst.u32max = umax;
  }
  const p0 = dst.s32min * src.s32min;
  const p1 = dst.s32min * src.s32max;
  const p2 = dst.s32max * src.s32min;
  const p3 = dst.s32max * src.s32max;
  const lo = Math.min(p0, p1, p2, p3);
  const hi = Math.max(p0, p1, p2, p3);
  if (lo < S32_MIN || hi > S32_MAX) {
    dst.s32min = S32_MIN;
    dst.s32max = S32_MAX;
  } else {
    dst.s32min = lo;
    dst.s32max = hi;
  }
}

const TWO32 = 4294967296;

/** The exact product of two unsigned 64-bit numbers given as halves, as halves in `out`; false when it is 2^64 or more. */
function mulU64(aHi: number, aLo: number, bHi: number, bLo: number, out: { hi: number; lo: number }): boolean {
  let ah = aHi >>> 0;
  let al = aLo >>> 0;
  let bl = bLo >>> 0;
  if (ah !== 0 && (bHi >>> 0) !== 0) return false;
  if (ah === 0) {
    ah = bHi >>> 0;
    const t = al;
    al = bl;
    bl = t;
  }
  // a * b = ah * bl * 2^32 + al * bl, with al * bl split on bl's 16-bit halves so that every step is exact.
  const cross = ah * bl;
  if (cross >= TWO32) return false;
  const t1 = al * (bl & 0xffff);
  const t2 = al * (bl >>> 16);
  const low = (t1 % TWO32) + (t2 % 65536) * 65536;
  const high = Math.floor(t1 / TWO32) + Math.floor(t2 / 65536) + Math.floor(low / TWO32) + cross;
  if (high >= TWO32) return false;
  out.hi = high | 0;
  out.lo = low | 0;
  return true;
}

const umaxOut = { hi: 0, lo: 0 };
const uminOut = { hi: 0, lo: 0 };

/** The 64-bit unsigned bounds of the product. */
function mulUnsigned(dst: Scalar, src: Scalar): void {
  if (mulU64(dst.umaxHi, dst.umaxLo, src.umaxHi, src.umaxLo, umaxOut) && mulU64(dst.uminHi, dst.uminLo, src.uminHi, src.uminLo, uminOut)) {
    dst.uminHi = uminOut.hi; dst.uminLo = uminOut.lo; dst.umaxHi = umaxOut.hi; dst.umaxLo = umaxOut.lo;
  } else {
    dst.uminHi = 0; dst.uminLo = 0; dst.umaxHi = -1; dst.umaxLo = -1;
  }
}

const prod = { hi: 0, lo: 0 };
const sminOut = { hi: 0, lo: 0 };
const smaxOut = { hi: 0, lo: 0 };

/** The exact signed product of two signed 64-bit numbers given as halves, into `prod`; false when it is outside the signed 64-bit range. */
function mulS64(aHi: number, aLo: number, bHi: number, bLo: number): boolean {
  const negA = aHi < 0;
  const negB = bHi < 0;
  // Magnitudes as unsigned halves (|S64_MIN| = 2^63 fits).
  const maHi = negA ? ~aHi + (aLo === 0 ? 1 : 0) : aHi;
  const maLo = negA ? -aLo : aLo;
  const mbHi = negB ? ~bHi + (bLo === 0 ? 1 : 0) : bHi;
  const mbLo = negB ? -bLo : bLo;
  if (!mulU64(maHi, maLo, mbHi, mbLo, prod)) return false;
  if (negA === negB) return prod.hi >= 0;
  if (prod.hi < 0 && (prod.hi !== S32_MIN || prod.lo !== 0)) return false;
  const h = ~prod.hi + (prod.lo === 0 ? 1 : 0);
  prod.lo = -prod.lo | 0;
  prod.hi = h | 0;
  return true;
}

/** One corner product of the signed ranges, widening [sminOut, smaxOut] to hold it (`first`: setting them); false when it overflows. */
function corner(aHi: number, aLo: number, bHi: number, bLo: number, first: boolean): boolean {
  if (!mulS64(aHi, aLo, bHi, bLo)) return false;
  if (first || ltS(prod.hi, prod.lo, sminOut.hi, sminOut.lo)) { sminOut.hi = prod.hi; sminOut.lo = prod.lo; }
  if (first || ltS(smaxOut.hi, smaxOut.lo, prod.hi, prod.lo)) { smaxOut.hi = prod.hi; smaxOut.lo = prod.lo; }
  return true;
}

/** The 64-bit signed bounds of the product: the extremes of the four corner products, unbounded if one overflows. */
function mulSigned(dst: Scalar, src: Scalar): void {
  const ok = corner(dst.sminHi, dst.sminLo, src.sminHi, src.sminLo, true) && corner(dst.sminHi, dst.sminLo, src.smaxHi, src.smaxLo, false) &&
    corner(dst.smaxHi, dst.smaxLo, src.sminHi, src.sminLo, false) && corner(dst.smaxHi, dst.smaxLo, src.smaxHi, src.smaxLo, false);
  if (ok) {
    dst.sminHi = sminOut.hi; dst.sminLo = sminOut.lo; dst.smaxHi = smaxOut.hi; dst.smaxLo = smaxOut.lo;
  } else {
    dst.sminHi = S32_MIN; dst.sminLo = 0; dst.smaxHi = S32_MAX; dst.smaxLo = -1;
  }
}

/**
 * scalar_min_max_mul: the unsigned and signed 64-bit bounds of the product, each unbounded if a
 * product overflows. The products are exact, computed on 16- and 32-bit pieces rather than on
 * bigints, which allocate (programs that hash multiply often).
 */
export function mul64Bounds(dst: Scalar, src: Scalar): void {
  mulUnsigned(dst, src);
  mulSigned(dst, src);
}

/** Signed bounds from unsigned ones when the unsigned range does not cross the sign bit, else unbounded. */
function signedFromUnsigned32(dst: Scalar): void {
  if ((dst.u32min | 0) <= (dst.u32max | 0)) {
    dst.s32min = dst.u32min | 0;
    dst.s32max = dst.u32max | 0;
  } else {
    dst.s32min = S32_MIN;
    dst.s32max = S32_MAX;
  }
}

function signedFromUnsigned64(dst: Scalar): void {
  if (!ltS(dst.umaxHi, dst.umaxLo, dst.uminHi, dst.uminLo)) {
    dst.sminHi = dst.uminHi; dst.sminLo = dst.uminLo; dst.smaxHi = dst.umaxHi; dst.smaxLo = dst.umaxLo;
  } else {
    dst.sminHi = S32_MIN; dst.sminLo = 0; dst.smaxHi = S32_MAX; dst.smaxLo = -1;
  }
}

/** scalar32_min_max_and; dst's tnum already holds the result's. */
export function and32(dst: Scalar, src: Scalar): void {
  if (tnumSubregIsConst(src) && tnumSubregIsConst(dst)) {
    markKnown32(dst, dst.vlo);
    return;
  }
  dst.u32min = dst.vlo >>> 0;
  if (src.u32max < dst.u32max) dst.u32max = src.u32max;
  signedFromUnsigned32(dst);
}

/** scalar_min_max_and; dst's tnum already holds the result's. */
export function and64Bounds(dst: Scalar, src: Scalar): void {
  if (tnumIsConst(src) && tnumIsConst(dst)) {
    markKnown(dst, dst.vhi, dst.vlo);
    return;
  }
  dst.uminHi = dst.vhi; dst.uminLo = dst.vlo;
  if (ltU(src.umaxHi, src.umaxLo, dst.umaxHi, dst.umaxLo)) { dst.umaxHi = src.umaxHi; dst.umaxLo = src.umaxLo; }
  signedFromUnsigned64(dst);
  updateBounds(dst);
}

/** scalar32_min_max_or; dst's tnum already holds the result's. */
export function or32(dst: Scalar, src: Scalar): void {
  if (tnumSubregIsConst(src) && tnumSubregIsConst(dst)) {
    markKnown32(dst, dst.vlo);
    return;
  }
  if (src.u32min > dst.u32min) dst.u32min = src.u32min;
  dst.u32max = (dst.vlo | dst.mlo) >>> 0;
  signedFromUnsigned32(dst);
}

/** scalar_min_max_or; dst's tnum already holds the result's. */
export function or64Bounds(dst: Scalar, src: Scalar): void {
  if (tnumIsConst(src) && tnumIsConst(dst)) {
    markKnown(dst, dst.vhi, dst.vlo);
    return;
  }
  if (ltU(dst.uminHi, dst.uminLo, src.uminHi, src.uminLo)) { dst.uminHi = src.uminHi; dst.uminLo = src.uminLo; }
  dst.umaxHi = dst.vhi | dst.mhi; dst.umaxLo = dst.vlo | dst.mlo;
  signedFromUnsigned64(dst);
  updateBounds(dst);
}

/** scalar32_min_max_xor; dst's tnum already holds the result's. */
export function xor32(dst: Scalar, src: Scalar): void {
  if (tnumSubregIsConst(src) && tnumSubregIsConst(dst)) {
    markKnown32(dst, dst.vlo);
    return;
  }
  dst.u32min = dst.vlo >>> 0;
  dst.u32max = (dst.vlo | dst.mlo) >>> 0;
  signedFromUnsigned32(dst);
}

/** scalar_min_max_xor; dst's tnum already holds the result's. */
export function xor64Bounds(dst: Scalar, src: Scalar): void {
  if (tnumIsConst(src) && tnumIsConst(dst)) {
    markKnown(dst, dst.vhi, dst.vlo);
    return;
  }
  dst.uminHi = dst.vhi; dst.uminLo = dst.vlo;
  dst.umaxHi = dst.vhi | dst.mhi; dst.umaxLo = dst.vlo | dst.mlo;
  signedFromUnsigned64(dst);
  updateBounds(dst);
}

/** __scalar32_min_max_lsh: u32 bounds after a left shift by [umin, umax], unless the top bit may go. */
export function lshBounds32(dst: Scalar, umin: number, umax: number): void {
  dst.s32min = S32_MIN;
  dst.s32max = S32_MAX;
  if (umax > 31 || dst.u32max > 2 ** (31 - umax)) {
    dst.u32min = 0;
    dst.u32max = U32_MAX;
  } else {
    dst.u32min = (dst.u32min << umin) >>> 0;
    dst.u32max = (dst.u32max << umax) >>> 0;
  }
}

function shl64(hi: number, lo: number, n: number): void {
  if (n === 0) { rHi = hi; rLo = lo; } else if (n < 32) {
    rHi = (hi << n) | (lo >>> (32 - n)); rLo = lo << n;
  } else {
    rHi = lo << (n - 32); rLo = 0;
  }
}

function shr64(hi: number, lo: number, n: number, arith: boolean): void {
  if (n === 0) { rHi = hi; rLo = lo; } else if (n < 32) {
    rHi = arith ? hi >> n : (hi >>> n) | 0; rLo = (lo >>> n) | (hi << (32 - n));
  } else {
    rHi = arith ? hi >> 31 : 0; rLo = arith ? hi >> (n - 32) : (hi >>> (n - 32)) | 0;
  }
}

/** __scalar64_min_max_lsh: 64-bit bounds after a left shift by [umin, umax] (0..63). */
export function lshBounds64(dst: Scalar, umin: number, umax: number): void {
  // x << 32 keeps the s32 bounds as the high half: the compiler's sign-extension idiom.
  if (umin === 32 && umax === 32) {
    dst.smaxHi = dst.s32max; dst.smaxLo = 0;
    dst.sminHi = dst.s32min; dst.sminLo = 0;
  } else {
    dst.sminHi = S32_MIN; dst.sminLo = 0; dst.smaxHi = S32_MAX; dst.smaxLo = -1;
  }
  const k = 63 - umax;
  const limHi = k >= 32 ? 1 << (k - 32) : 0;
  const limLo = k >= 32 ? 0 : 1 << k;
  if (ltU(limHi, limLo, dst.umaxHi, dst.umaxLo)) {
    dst.uminHi = 0; dst.uminLo = 0; dst.umaxHi = -1; dst.umaxLo = -1;
  } else {
    shl64(dst.uminHi, dst.uminLo, umin);
    dst.uminHi = rHi; dst.uminLo = rLo;
    shl64(dst.umaxHi, dst.umaxLo, umax);
    dst.umaxHi = rHi; dst.umaxLo = rLo;
  }
}

/** The u64 bounds after a logical right shift by [umin, umax]. */
export function rshBounds64(dst: Scalar, umin: number, umax: number): void {
  shr64(dst.uminHi, dst.uminLo, umax, false);
  dst.uminHi = rHi; dst.uminLo = rLo;
  shr64(dst.umaxHi, dst.umaxLo, umin, false);
  dst.umaxHi = rHi; dst.umaxLo = rLo;
}

/** The s64 bounds after an arithmetic right shift by `n`. */
export function arshBounds64(dst: Scalar, n: number): void {
  shr64(dst.sminHi, dst.sminLo, n, true);
  dst.sminHi = rHi; dst.sminLo = rLo;
  shr64(dst.smaxHi, dst.smaxLo, n, true);
  dst.smaxHi = rHi; dst.smaxLo = rLo;
}

