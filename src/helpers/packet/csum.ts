/*
 * Internet checksum arithmetic as x86-64 Linux 6.18 computes it, bit for bit: `csum_partial` (a
 * 64-bit one's complement sum of little-endian words folded to 32 bits; since Linux 6.7 without
 * the byte rotation for odd addresses, measured through skb->csum), `csum_add`/`csum_sub` with
 * end-around carry, `csum_fold`, and the replace helpers of include/net/checksum.h. Values are unfolded 32-bit sums (`__wsum`) or 16-bit folded ones
 * (`__sum16`), both as the little-endian numbers a u32/u16 load of the bytes gives.
 */

const TWO32 = 4294967296;

/** `csum_add`: 32-bit one's complement addition. */
export function csumAdd(a: number, b: number): number {
  const s = (a >>> 0) + (b >>> 0);
  return s >= TWO32 ? s - TWO32 + 1 : s;
}

/** `csum_sub`: adds the complement. */
export function csumSub(a: number, b: number): number {
  return csumAdd(a, ~b >>> 0);
}

/** `csum_fold`: folds a 32-bit sum to 16 bits and complements it. */
export function csumFold(sum: number): number {
  let s = (sum >>> 16) + (sum & 0xffff);
  s = (s >>> 16) + (s & 0xffff);
  return ~s & 0xffff;
}

/** `csum_unfold`: a folded sum as a 32-bit one. */
export function csumUnfold(sum16: number): number {
  return sum16 & 0xffff;
}

/** `csum16_add`: 16-bit one's complement addition. */
export function csum16Add(a: number, b: number): number {
  const s = (a & 0xffff) + (b & 0xffff);
  return (s + (s >>> 16)) & 0xffff;
}

function ror32(x: number, n: number): number {
  return ((x >>> n) | (x << (32 - n))) >>> 0;
}

/** `csum_partial(buf, len, sum)` of x86-64: the bytes as little-endian u64 words (the tail zero-padded) added to `sum`. */
export function csumPartial(bytes: Uint8Array, sum: number): number {
  let i = 0;
  let len = bytes.length;
  let hi = 0;
  let lo = sum >>> 0;
  // A 64-bit one's complement sum kept as two 32-bit halves with end-around carry.
  const add64 = (wlo: number, whi: number): void => {
    lo += wlo;
    const c1 = lo >= TWO32 ? 1 : 0;
    lo -= c1 * TWO32;
    hi += whi + c1;
    if (hi >= TWO32) {
      hi -= TWO32;
      lo += 1;
      if (lo >= TWO32) { lo -= TWO32; hi += 1; }
    }
  };
  if (lo >= TWO32) { lo -= TWO32; hi += 1; }
  const word = (at: number, n: number): [number, number] => {
    let wlo = 0;
    let whi = 0;
    for (let k = 0; k < n; k++) {
      const b = bytes[at + k]!;
      if (k < 4) wlo += b * 2 ** (8 * k);
      else whi += b * 2 ** (8 * (k - 4));
    }
    return [wlo, whi];
  };
  for (; len >= 8; len -= 8, i += 8) add64(...word(i, 8));
  if (len > 0) add64(...word(i, len));
  let result = lo + hi;
  if (result >= TWO32) result = result - TWO32 + 1;
  return result >>> 0;
}

/** `csum_from32to16` (`from32to16`): folds a 32-bit sum to 16 bits without complementing it. */
export function fold16(x: number): number {
  let s = (x >>> 16) + (x & 0xffff);
  s = (s >>> 16) + (s & 0xffff);
  return s;
}

/** `csum_block_add(csum, csum2, offset)`: adds a sum of bytes that started at `offset`. */
export function csumBlockAdd(csum: number, csum2: number, offset: number): number {
  const s = offset & 1 ? ror32(csum2 >>> 0, 8) : csum2 >>> 0;
  return csumAdd(csum, s);
}

/** `csum_replace4`: the folded sum `sum16` after a 32-bit field changed from `from` to `to`. */
export function csumReplace4(sum16: number, from: number, to: number): number {
  const tmp = csumSub(~csumUnfold(sum16) >>> 0, from);
  return csumFold(csumAdd(tmp, to));
}

/** `csum_replace2`: the folded sum after a 16-bit field changed. */
export function csumReplace2(sum16: number, from: number, to: number): number {
  return ~csum16Add(csum16Add(~sum16 & 0xffff, ~from & 0xffff), to) & 0xffff;
}

/** `csum_replace_by_diff`: the folded sum after adding a precomputed difference. */
export function csumReplaceByDiff(sum16: number, diff: number): number {
  return csumFold(csumAdd(diff, ~csumUnfold(sum16) >>> 0));
}
