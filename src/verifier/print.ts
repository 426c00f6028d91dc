/**
 * A scalar register's state as Linux 6.18's verifier log prints it (print_reg_state and
 * print_scalar_ranges in kernel/bpf/log.c): a constant as a number (`1`, `-5`, `0x100000000`),
 * anything else as `scalar(...)` listing the id, the bounds that say something and the tnum,
 * merging equal bounds as `smin=umin=4`. The register name and `_w`-style marks are the caller's.
 */
import { type Scalar } from './scalar.js';
import { tnumIsConst, tnumIsUnknown, tnumToString } from './tnum.js';
import { s64, u64 } from './u64.js';

const DECIMAL_U_MAX = 0xffffn;
const DECIMAL_S_MIN = -0x8000n;
const DECIMAL_S_MAX = 0x7fffn;
const MASK64 = (1n << 64n) - 1n;

/** verbose_unum: decimal up to 65535, hex above. */
export function formatUnum(v: bigint): string {
  return v <= DECIMAL_U_MAX ? v.toString() : '0x' + v.toString(16);
}

/** verbose_snum: decimal within [-32768, 32767], else the 64-bit two's complement in hex. */
export function formatSnum(v: bigint): string {
  return v >= DECIMAL_S_MIN && v <= DECIMAL_S_MAX ? v.toString() : '0x' + (v & MASK64).toString(16);
}

/** Identity of a scalar for the log: its id and, for `rX += const` copies, the constant. */
export interface ScalarLabel {
  /** The scalar's id (0: none). */
  readonly id?: number;
  /** The constant added since the copy (BPF_ADD_CONST; printed as `id=1+4`), if any. */
  readonly addConst?: number;
  /** Whether precision tracking marked it precise (printed as a leading `P`). */
  readonly precise?: boolean;
}

interface Entry {
  readonly name: string;
  readonly val: bigint;
  omit: boolean;
}

/** print_scalar_ranges: the non-default bounds, equal ones merged, comma-separated. */
export function formatScalarRanges(s: Scalar): string[] {
  const s32 = (v: number): bigint => (BigInt(v) >= DECIMAL_S_MIN && BigInt(v) <= DECIMAL_S_MAX ? BigInt(v) : BigInt(v >>> 0));
  const smin = s64(s.sminHi, s.sminLo);
  const smax = s64(s.smaxHi, s.smaxLo);
  const umin = u64(s.uminHi, s.uminLo);
  const umax = u64(s.umaxHi, s.umaxLo);
  const entries: Entry[] = [
    { name: 'smin', val: smin, omit: smin === -(1n << 63n) },
    { name: 'smax', val: smax, omit: smax === (1n << 63n) - 1n },
    { name: 'umin', val: umin, omit: umin === 0n },
    { name: 'umax', val: umax, omit: umax === MASK64 },
    { name: 'smin32', val: s32(s.s32min), omit: s.s32min === -0x80000000 },
    { name: 'smax32', val: s32(s.s32max), omit: s.s32max === 0x7fffffff },
    { name: 'umin32', val: BigInt(s.u32min), omit: s.u32min === 0 },
    { name: 'umax32', val: BigInt(s.u32max), omit: s.u32max === 0xffffffff },
  ];
  // Compare as the kernel does: u64 bit patterns, so signed values are taken modulo 2^64.
  const bits = (e: Entry): bigint => e.val & MASK64;
  const negative = (e: Entry): boolean => e.name[0] === 's' && BigInt.asIntN(64, bits(e)) < 0n;
  const out: string[] = [];
  for (let i = 0; i < entries.length; i++) {
    const m1 = entries[i]!;
    if (m1.omit) continue;
    let text = `${m1.name}=`;
    for (let j = i + 2; j < entries.length; j += 2) {
      const m2 = entries[j]!;
      if (m2.omit || bits(m2) !== bits(m1) || negative(m2) !== negative(m1)) continue;
      m2.omit = true;
      text += `${m2.name}=`;
    }
    out.push(text + (m1.name[0] === 's' ? formatSnum(BigInt.asIntN(64, bits(m1))) : formatUnum(bits(m1))));
  }
  return out;
}

/**
 * A scalar register's state as the 6.18 log prints it after `R1=`: `P` if precise, then the
 * constant, or `scalar(id=..,bounds..,var_off=(v; m))`.
 */
export function formatScalar(s: Scalar, label: ScalarLabel = {}): string {
  const p = label.precise ? 'P' : '';
  if (tnumIsConst(s)) return p + formatSnum(s64(s.vhi, s.vlo));
  const parts: string[] = [];
  if (label.id) parts.push(`id=${label.id}${label.addConst !== undefined ? (label.addConst >= 0 ? '+' : '') + label.addConst : ''}`);
  parts.push(...formatScalarRanges(s));
  if (!tnumIsUnknown(s)) parts.push(`var_off=${tnumToString(s)}`);
  return `${p}scalar(${parts.join(',')})`;
}
