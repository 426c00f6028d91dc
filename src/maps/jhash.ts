/*
 * Bob Jenkins' lookup3 hash (public domain), which the kernel calls jhash: hash tables, bloom
 * filters and sockhash use it. With the kernel's seed (0 under BPF_F_ZERO_SEED) it places keys in
 * the same buckets as Linux, so iteration orders match exactly.
 */

const INITVAL = 0xdeadbeef;

function rol(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

function word(u8: Uint8Array, at: number, end: number): number {
  if (at + 4 <= end) return u8[at]! | (u8[at + 1]! << 8) | (u8[at + 2]! << 16) | (u8[at + 3]! << 24);
  let w = 0;
  for (let i = 3; i >= 0; i--) w = (w << 8) | (at + i < end ? u8[at + i]! : 0);
  return w;
}

/** jhash of `len` bytes of `u8` from `off`, with seed `initval` (the kernel's `jhash(key, len, initval)`). */
export function jhash(u8: Uint8Array, off: number, len: number, initval: number): number {
  let a = (INITVAL + len + initval) | 0;
  let b = a;
  let c = a;
  const end = off + len;
  let p = off;
  while (end - p > 12) {
    a = (a + word(u8, p, end)) | 0;
    b = (b + word(u8, p + 4, end)) | 0;
    c = (c + word(u8, p + 8, end)) | 0;
    a = (a - c) | 0; a ^= rol(c, 4); c = (c + b) | 0;
    b = (b - a) | 0; b ^= rol(a, 6); a = (a + c) | 0;
    c = (c - b) | 0; c ^= rol(b, 8); b = (b + a) | 0;
    a = (a - c) | 0; a ^= rol(c, 16); c = (c + b) | 0;
    b = (b - a) | 0; b ^= rol(a, 19); a = (a + c) | 0;
    c = (c - b) | 0; c ^= rol(b, 4); b = (b + a) | 0;
    p += 12;
  }
  if (p === end) return c >>> 0;
  a = (a + word(u8, p, end)) | 0;
  b = (b + word(u8, p + 4, end)) | 0;
  c = (c + word(u8, p + 8, end)) | 0;
  c ^= b; c = (c - rol(b, 14)) | 0;
  a ^= c; a = (a - rol(c, 11)) | 0;
  b ^= a; b = (b - rol(a, 25)) | 0;
  c ^= b; c = (c - rol(b, 16)) | 0;
  a ^= c; a = (a - rol(c, 4)) | 0;
  b ^= a; b = (b - rol(a, 14)) | 0;
  c ^= b; c = (c - rol(b, 24)) | 0;
  return c >>> 0;
}
