/**
 * Transfer functions of the scalar ALU and ALU64 instructions, as Linux 6.18's
 * adjust_scalar_min_max_vals and check_alu_op compute them: which operations are tracked at all,
 * the tnum operation, the bounds of each width, zero-extension of 32-bit results, and the final
 * reg_bounds_sync. Register ids, pointers and error messages are the caller's.
 */
import {
  BPF_ADD, BPF_AND, BPF_ARSH, BPF_LSH, BPF_MUL, BPF_NEG, BPF_OR, BPF_RSH, BPF_SUB, BPF_XOR,
} from '../isa/index.js';
import {
  Scalar, boundsSync, coerceRegToSize, coerceRegToSizeSx, coerceSubregToSizeSx, copyScalar,
  mark32Unbounded, mark64Unbounded, markKnown, markKnown32, markUnbounded, markUnknown, updateBounds,
  updateBounds32, zext32To64,
} from './scalar.js';
import {
  tnumAdd, tnumAnd, tnumArshift, tnumBswap16, tnumBswap32, tnumBswap64, tnumIsConst, tnumLshift,
  tnumMul, tnumNeg, tnumOr, tnumRshift, tnumSub, tnumSubreg, tnumSubregIsConst, tnumXor,
} from './tnum.js';
import {
  add32, add64Bounds, and32, and64Bounds, arshBounds64, lshBounds32, lshBounds64, mul32, mul64Bounds,
  or32, or64Bounds, rshBounds64, sub32, sub64Bounds, xor32, xor64Bounds,
} from './aluBounds.js';

const S32_MIN = -0x80000000;
const S32_MAX = 0x7fffffff;

/** Whether `s` is one constant at the operation's width, by tnum and bounds alike. */
function isConstAt(s: Scalar, alu64: boolean): boolean {
  if (alu64) {
    return tnumIsConst(s) && s.sminHi === s.smaxHi && s.sminLo === s.smaxLo &&
      s.uminHi === s.umaxHi && s.uminLo === s.umaxLo;
  }
  return tnumSubregIsConst(s) && s.s32min === s.s32max && s.u32min === s.u32max;
}

/**
 * is_safe_to_compute_dst_reg_range: whether 6.18 tracks `op` with this source at all. Add, sub,
 * neg, mul and the bitwise operations always; shifts only by a constant below the width; division,
 * modulo never (the result becomes unknown). Byte swaps are `scalarEnd`.
 */
export function aluTracked(op: number, src: Scalar, alu64: boolean): boolean {
  switch (op) {
    case BPF_ADD: case BPF_SUB: case BPF_NEG: case BPF_AND: case BPF_XOR: case BPF_OR: case BPF_MUL:
      return true;
    case BPF_LSH: case BPF_RSH: case BPF_ARSH:
      return isConstAt(src, alu64) && src.umaxHi === 0 && (src.umaxLo >>> 0) < (alu64 ? 64 : 32);
    default:
      return false;
  }
}

function lsh32(dst: Scalar, src: Scalar): void {
  const umin = src.u32min;
  tnumSubreg(dst, dst);
  lshBounds32(dst, umin, src.u32max);
  tnumSubreg(dst, tnumLshift(dst, dst, umin));
  mark64Unbounded(dst);
  updateBounds32(dst);
}

function lsh64(dst: Scalar, src: Scalar): void {
  const umin = src.uminLo;
  const umax = src.umaxLo;
  lshBounds64(dst, umin, umax);
  lshBounds32(dst, umin, umax);
  tnumLshift(dst, dst, umin);
  updateBounds(dst);
}

function rsh32(dst: Scalar, src: Scalar): void {
  dst.s32min = S32_MIN;
  dst.s32max = S32_MAX;
  tnumRshift(dst, tnumSubreg(dst, dst), src.u32min);
  dst.u32min = dst.u32min >>> src.u32max;
  dst.u32max = dst.u32max >>> src.u32min;
  mark64Unbounded(dst);
  updateBounds32(dst);
}

function rsh64(dst: Scalar, src: Scalar): void {
  dst.sminHi = S32_MIN; dst.sminLo = 0; dst.smaxHi = S32_MAX; dst.smaxLo = -1;
  tnumRshift(dst, dst, src.uminLo);
  rshBounds64(dst, src.uminLo, src.umaxLo);
  mark32Unbounded(dst);
  updateBounds(dst);
}

function arsh32(dst: Scalar, src: Scalar): void {
  const n = src.u32min;
  dst.s32min >>= n;
  dst.s32max >>= n;
  tnumArshift(dst, tnumSubreg(dst, dst), n, 32);
  dst.u32min = 0;
  dst.u32max = 0xffffffff;
  mark64Unbounded(dst);
  updateBounds32(dst);
}

function arsh64(dst: Scalar, src: Scalar): void {
  const n = src.uminLo;
  arshBounds64(dst, n);
  tnumArshift(dst, dst, n, 64);
  dst.uminHi = 0; dst.uminLo = 0; dst.umaxHi = -1; dst.umaxLo = -1;
  mark32Unbounded(dst);
  updateBounds(dst);
}

/**
 * adjust_scalar_min_max_vals: `dst = dst op src` for two scalars (`alu64` false: the 32-bit form,
 * whose result is zero-extended). Untracked operations make `dst` unknown. For BPF_NEG, `src` is
 * ignored. `src` may be `dst` itself.
 */
export function scalarAlu(dst: Scalar, src: Scalar, op: number, alu64: boolean): Scalar {
  if (!aluTracked(op, src, alu64)) return markUnknown(dst);
  const s = src === dst ? src.clone() : src;
  switch (op) {
    case BPF_ADD:
      add32(dst, s);
      add64Bounds(dst, s);
      tnumAdd(dst, dst, s);
      break;
    case BPF_SUB:
      sub32(dst, s);
      sub64Bounds(dst, s);
      tnumSub(dst, dst, s);
      break;
    case BPF_NEG: {
      const old = dst.clone();
      markKnown(dst, 0, 0);
      sub32(dst, old);
      sub64Bounds(dst, old);
      tnumNeg(dst, old);
      break;
    }
    case BPF_MUL:
      tnumMul(dst, dst, s);
      mul32(dst, s);
      mul64Bounds(dst, s);
      break;
    case BPF_AND:
      tnumAnd(dst, dst, s);
      and32(dst, s);
      and64Bounds(dst, s);
      break;
    case BPF_OR:
      tnumOr(dst, dst, s);
      or32(dst, s);
      or64Bounds(dst, s);
      break;
    case BPF_XOR:
      tnumXor(dst, dst, s);
      xor32(dst, s);
      xor64Bounds(dst, s);
      break;
    case BPF_LSH:
      if (alu64) lsh64(dst, s); else lsh32(dst, s);
      break;
    case BPF_RSH:
      if (alu64) rsh64(dst, s); else rsh32(dst, s);
      break;
    default:
      if (alu64) arsh64(dst, s); else arsh32(dst, s);
      break;
  }
  if (!alu64) zext32To64(dst);
  return boundsSync(dst);
}

/** The constant source the kernel makes of an instruction's immediate (sign-extended to 64 bits). */
export function immScalar(out: Scalar, imm: number): Scalar {
  return markKnown(out, imm >> 31, imm);
}

/** `dst = imm` (`alu64` false: `w = imm`, zero-extended). */
export function scalarMovImm(dst: Scalar, imm: number, alu64: boolean): Scalar {
  return markKnown(dst, alu64 ? imm >> 31 : 0, imm);
}

/**
 * `dst = src` and the sign-extending `dst = (s8/s16/s32) src` (`off` 8, 16, 32; 0 for a plain move);
 * `alu64` false: `w = w` or `w = (s8/s16) w`, zero-extended and synced as the kernel does.
 */
export function scalarMov(dst: Scalar, src: Scalar, alu64: boolean, off = 0): Scalar {
  copyScalar(dst, src);
  if (alu64) return off === 0 ? dst : coerceRegToSizeSx(dst, (off >> 3) as 1 | 2 | 4);
  if (off !== 0) coerceSubregToSizeSx(dst, (off >> 3) as 1 | 2);
  zext32To64(dst);
  return boundsSync(dst);
}

/**
 * BPF_END on a little-endian host, as 6.18's scalar_byte_swap: `bswapN` (ALU64) and `beN` swap
 * the tnum's low N bits and drop the bounds; `leN` swaps nothing; a 16- or 32-bit result is then
 * narrowed to that size, and everything is synced (there is no separate zero-extension).
 */
export function scalarEnd(dst: Scalar, size: 16 | 32 | 64, alu64: boolean, toBe: boolean): Scalar {
  if (alu64 || toBe) {
    if (size === 16) tnumBswap16(dst, dst);
    else if (size === 32) tnumBswap32(dst, dst);
    else tnumBswap64(dst, dst);
    markUnbounded(dst);
  }
  if (size !== 64) coerceRegToSize(dst, size === 16 ? 2 : 4);
  return boundsSync(dst);
}

/**
 * The step of sync_linked_regs that rebuilds a register from a linked one `delta` apart (an
 * integer, the difference of the two registers' offsets): add the
 * constant to both widths' bounds and the tnum, zero-extend when the link came from a 32-bit
 * `w += K` (`zext32`), then sync.
 */
export function linkedAdd(dst: Scalar, delta: number, zext32: boolean): Scalar {
  // delta is a difference of two s32 offsets, so it may need 33 bits.
  const k = markKnown(new Scalar(), Math.floor(delta / 4294967296), delta);
  add32(dst, k);
  add64Bounds(dst, k);
  tnumAdd(dst, dst, k);
  if (zext32) zext32To64(dst);
  return boundsSync(dst);
}

/**
 * maybe_fork_scalars (6.18.y): before `dst &= K` or `dst |= K` with a constant source, a `dst` in
 * [-1, 0] (s64, else s32) makes the kernel split the path: this path continues with dst = -1, and
 * a new one re-runs the instruction with dst = 0. Returns the width that matched (64, 32) or 0.
 */
export function forkWidth(dst: Scalar, src: Scalar, op: number): 0 | 32 | 64 {
  if ((op !== BPF_AND && op !== BPF_OR) || !tnumIsConst(src)) return 0;
  if (dst.sminHi === -1 && dst.sminLo === -1 && dst.smaxHi === 0 && dst.smaxLo === 0) return 64;
  if (dst.s32min === -1 && dst.s32max === 0) return 32;
  return 0;
}

/** One side of that split: `dst` becomes `value` (0 or -1) at the width `forkWidth` gave. */
export function forkSide(dst: Scalar, width: 32 | 64, value: 0 | -1): Scalar {
  return width === 64 ? markKnown(dst, value, value) : markKnown32(dst, value);
}
