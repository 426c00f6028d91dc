/**
 * Comparisons of 64-bit values held as two signed 32-bit halves (high, low), signed and unsigned,
 * and the bigint conversions the domain's API boundary uses.
 */

/** Unsigned a < b. */
export function ltU(ah: number, al: number, bh: number, bl: number): boolean {
  return ah === bh ? (al >>> 0) < (bl >>> 0) : (ah >>> 0) < (bh >>> 0);
}

/** Signed a < b. */
export function ltS(ah: number, al: number, bh: number, bl: number): boolean {
  return ah === bh ? (al >>> 0) < (bl >>> 0) : ah < bh;
}

/** Unsigned a <= b. */
export function leU(ah: number, al: number, bh: number, bl: number): boolean {
  return !ltU(bh, bl, ah, al);
}

/** Signed a <= b. */
export function leS(ah: number, al: number, bh: number, bl: number): boolean {
  return !ltS(bh, bl, ah, al);
}

/** The halves as an unsigned bigint. */
export function u64(hi: number, lo: number): bigint {
  return (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
}

/** The halves as a signed bigint. */
export function s64(hi: number, lo: number): bigint {
  return BigInt.asIntN(64, u64(hi, lo));
}

/** High half (signed 32-bit) of a bigint taken modulo 2^64. */
export function hiOf(v: bigint): number {
  return Number(BigInt.asIntN(32, BigInt.asUintN(64, v) >> 32n));
}

/** Low half (signed 32-bit) of a bigint. */
export function loOf(v: bigint): number {
  return Number(BigInt.asIntN(32, v));
}
