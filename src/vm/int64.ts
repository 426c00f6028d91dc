/**
 * 64-bit integer arithmetic on pairs of signed 32-bit halves, for the interpreter's registers
 * (DESIGN.md invariant 2: no BigInt in the hot loop). Results go to `out[0]` (low) and `out[1]`
 * (high), so nothing is allocated per instruction.
 */

/** High 32 bits of the unsigned 64-bit product of two unsigned 32-bit values. */
export function mulhiU32(a: number, b: number): number {
  const a0 = a & 0xffff;
  const a1 = a >>> 16;
  const b0 = b & 0xffff;
  const b1 = b >>> 16;
  const mid1 = a1 * b0 + ((a0 * b0) >>> 16);
  const mid2 = a0 * b1 + (mid1 & 0xffff);
  return (a1 * b1 + (mid1 >>> 16) + (mid2 >>> 16)) | 0;
}

/** Low 64 bits of a * b. */
export function mul64(al: number, ah: number, bl: number, bh: number, out: Int32Array): void {
  out[0] = Math.imul(al, bl);
  out[1] = (mulhiU32(al, bl) + Math.imul(al, bh) + Math.imul(ah, bl)) | 0;
}

/** Unsigned 64-bit quotient (out[0..1]) and remainder (out[2..3]) of a / b; b must not be zero. */
export function udivmod64(al: number, ah: number, bl: number, bh: number, out: Int32Array): void {
  const au = al >>> 0;
  const ahu = ah >>> 0;
  const bu = bl >>> 0;
  const bhu = bh >>> 0;
  if (bhu === 0) {
    if (ahu === 0) {
      const q = Math.floor(au / bu);
      out[0] = q | 0;
      out[1] = 0;
      out[2] = (au - q * bu) | 0;
      out[3] = 0;
      return;
    }
    // Schoolbook division by a 32-bit divisor in base 2^16 keeps every step below 2^53.
    const qh = Math.floor(ahu / bu);
    let r = ahu - qh * bu;
    let t = r * 65536 + (au >>> 16);
    const q1 = Math.floor(t / bu);
    r = t - q1 * bu;
    t = r * 65536 + (au & 0xffff);
    const q0 = Math.floor(t / bu);
    r = t - q0 * bu;
    out[0] = (q1 * 65536 + q0) | 0;
    out[1] = qh | 0;
    out[2] = r | 0;
    out[3] = 0;
    return;
  }
  // The divisor is at least 2^32, so the quotient fits in 32 bits. A double estimate is within one
  // of it; start one below, so that q * b <= a, and correct upwards.
  const est = Math.floor((ahu * 4294967296 + au) / (bhu * 4294967296 + bu));
  let q = est > 0 ? est - 1 : 0;
  if (q > 0xffffffff) q = 0xffffffff;
  // r = a - q * b, exactly, in halves.
  const pl = Math.imul(q, bl);
  const ph = (mulhiU32(q, bl) + Math.imul(q, bh)) | 0;
  let rl = (al - pl) | 0;
  let rh = (ah - ph - ((au < (pl >>> 0)) ? 1 : 0)) | 0;
  while ((rh >>> 0) > bhu || ((rh >>> 0) === bhu && (rl >>> 0) >= bu)) {
    const borrow = (rl >>> 0) < bu ? 1 : 0;
    rl = (rl - bl) | 0;
    rh = (rh - bh - borrow) | 0;
    q++;
  }
  out[0] = q | 0;
  out[1] = 0;
  out[2] = rl;
  out[3] = rh;
}

/** Signed 64-bit quotient and remainder (remainder takes the dividend's sign); b must not be zero. */
export function sdivmod64(al: number, ah: number, bl: number, bh: number, out: Int32Array): void {
  const an = ah < 0;
  const bn = bh < 0;
  let xl = al;
  let xh = ah;
  let yl = bl;
  let yh = bh;
  if (an) {
    xl = (-al) | 0;
    xh = (~ah + (al === 0 ? 1 : 0)) | 0;
  }
  if (bn) {
    yl = (-bl) | 0;
    yh = (~bh + (bl === 0 ? 1 : 0)) | 0;
  }
  udivmod64(xl, xh, yl, yh, out);
  if (an !== bn) {
    const ql = out[0]!;
    out[0] = (-ql) | 0;
    out[1] = (~out[1]! + (ql === 0 ? 1 : 0)) | 0;
  }
  if (an) {
    const rl = out[2]!;
    out[2] = (-rl) | 0;
    out[3] = (~out[3]! + (rl === 0 ? 1 : 0)) | 0;
  }
}

/** Converts a 64-bit value in halves to an unsigned bigint (for API boundaries only). */
export function toU64(lo: number, hi: number): bigint {
  return (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
}

/** Splits a bigint (taken modulo 2^64) into [lo, hi] signed 32-bit halves. */
export function fromU64(v: bigint): [number, number] {
  const u = BigInt.asUintN(64, v);
  return [Number(u & 0xffffffffn) | 0, Number(u >> 32n) | 0];
}

/** Splits a safe integer (negative values wrap modulo 2^64) into [lo, hi] halves. */
export function fromSafeInt(n: number): [number, number] {
  return [n | 0, Math.floor(n / 4294967296) | 0];
}
