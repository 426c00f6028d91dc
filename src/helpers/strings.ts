import { ERRNO } from '../errno.js';
import { argU32, argU64 } from './args.js';
import { ptrArg } from './maps.js';
import { defineHelper } from './table.js';
import type { HelperCall, HelperDef } from './types.js';

const { EINVAL, ERANGE } = ERRNO;
const U64_MAX = (1n << 64n) - 1n;

/** The kernel's `isspace` (lib/ctype.c, Latin-1): space, \t..\r and the no-break space 0xa0. */
export function kernelIsSpace(b: number): boolean {
  return b === 0x20 || (b >= 0x09 && b <= 0x0d) || b === 0xa0;
}

function digitValue(b: number): number {
  if (b >= 0x30 && b <= 0x39) return b - 0x30;
  const l = b | 0x20;
  return l >= 0x61 && l <= 0x66 ? l - 0x61 + 10 : 99;
}

/** What `__bpf_strtoull` parses: the bytes consumed, the magnitude and the sign, or a negative errno. */
export function parseInteger(buf: Uint8Array, flags: bigint): { consumed: number; value: bigint; negative: boolean } | number {
  let base = Number(flags & 0x1fn);
  if (buf.length === 0) return -EINVAL;
  if (base !== 0 && base !== 8 && base !== 10 && base !== 16) return -EINVAL;
  if (flags & ~0x1fn) return -EINVAL;
  let i = 0;
  while (i < buf.length && kernelIsSpace(buf[i]!)) i++;
  const negative = i < buf.length && buf[i] === 0x2d;
  if (negative) i++;
  if (i === buf.length) return -EINVAL;
  // The kernel parses a NUL-terminated copy of at most 63 bytes.
  const str = buf.subarray(i, i + 63);
  const at = (k: number): number => str[k] ?? 0;
  let p = 0;
  if (base === 0) base = at(0) === 0x30 ? ((at(1) | 0x20) === 0x78 && digitValue(at(2)) < 16 ? 16 : 8) : 10;
  if (base === 16 && at(0) === 0x30 && (at(1) | 0x20) === 0x78) p = 2;
  let value = 0n;
  let overflow = false;
  const start = p;
  for (; p < str.length; p++) {
    const d = digitValue(at(p));
    if (d >= base) break;
    value = value * BigInt(base) + BigInt(d);
    if (value > U64_MAX) overflow = true;
  }
  if (overflow) return -ERANGE;
  if (p === start) return -EINVAL;
  return { consumed: i + p, value, negative };
}

function strto(c: HelperCall, id: number, signed: boolean): number {
  const buf = ptrArg(c, id, 1);
  const len = argU32(c, 2);
  const res = ptrArg(c, id, 4);
  const view = c.env.arena.view;
  view.setBigUint64(res, 0n, true);
  const r = parseInteger(c.env.arena.u8.slice(buf, buf + len), argU64(c, 3));
  if (typeof r === 'number') return r;
  let v = r.value;
  if (signed) {
    if (r.negative ? v > 1n << 63n : v >= 1n << 63n) return -ERANGE;
    if (r.negative) v = -v;
  } else if (r.negative) {
    return -EINVAL;
  }
  view.setBigUint64(res, BigInt.asUintN(64, v), true);
  return r.consumed;
}

const STRTO = { ret: 'integer', args: ['mem', 'const_size', 'anything', 'long'] } as const;

/**
 * `bpf_strtol(buf, buf_len, flags, res)`: parses a signed integer (base flags & 0x1f: 0 for auto,
 * 8, 10 or 16) after leading spaces; *res = 0 first, then the value; returns the bytes consumed,
 * -EINVAL (bad base or flags, no digits) or -ERANGE (overflow).
 */
export const strtol: HelperDef = defineHelper('strtol', STRTO, (c) => strto(c, 105, true));

/** `bpf_strtoul`: as bpf_strtol, unsigned; a leading '-' is -EINVAL (after the digits parse). */
export const strtoul: HelperDef = defineHelper('strtoul', STRTO, (c) => strto(c, 106, false));

/** `bpf_strncmp(s1, s1_sz, s2)`: the kernel's strncmp of s1 and the constant string s2 over s1_sz bytes: -1, 0 or 1. */
export const strncmp: HelperDef = defineHelper('strncmp', { ret: 'integer', args: ['mem', 'const_size', 'const_str'] }, (c) => {
  const s1 = ptrArg(c, 182, 1);
  const n = argU32(c, 2);
  const s2 = ptrArg(c, 182, 3);
  const u8 = c.env.arena.u8;
  for (let i = 0; i < n; i++) {
    const a = u8[s1 + i]!;
    const b = u8[s2 + i]!;
    if (a !== b) return a < b ? -1 : 1;
    if (a === 0) break;
  }
  return 0;
});

/** The string helpers. */
export const stringHelpers: readonly HelperDef[] = [strtol, strtoul, strncmp];
