import type { HelperCall } from './types.js';

/** Argument `i` (1..5) as an unsigned 64-bit bigint. */
export function argU64(c: HelperCall, i: number): bigint {
  return (BigInt(c.hi[i]! >>> 0) << 32n) | BigInt(c.lo[i]! >>> 0);
}

/** Argument `i` as an unsigned 32-bit number (its low half). */
export function argU32(c: HelperCall, i: number): number {
  return c.lo[i]! >>> 0;
}

/** Argument `i` as a signed 64-bit value in a double (exact within ±2^53). */
export function argNum(c: HelperCall, i: number): number {
  return c.hi[i]! * 4294967296 + (c.lo[i]! >>> 0);
}

/**
 * Argument `i` as an unsigned 64-bit value in a double: exact below 2^53, and above it still
 * larger than any small constant, so `flags > BPF_EXIST` and `flags !== 0` tests stay right.
 */
export function argFlags(c: HelperCall, i: number): number {
  return (c.hi[i]! >>> 0) * 4294967296 + (c.lo[i]! >>> 0);
}

/** Argument `i` as an arena address, or -1 if its high half is set (not a valid pointer). */
export function argPtr(c: HelperCall, i: number): number {
  return c.hi[i] === 0 ? c.lo[i]! >>> 0 : -1;
}
