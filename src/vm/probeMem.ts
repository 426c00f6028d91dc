/*
 * PROBE_MEM loads: the kernel runs the verifier's loads through kernel pointers (PTR_TO_BTF_ID) as
 * loads that give 0 when the address faults, through an exception table. A loader marks them
 * (`markProbeLoads`, after the verifier's `probeLoads`); the interpreter reads them at
 * `probeAddress` and the JIT through its `probe` import: the value where the arena maps the bytes,
 * else 0.
 */
import { BPF_LDX, BPF_MEM, BPF_PROBE_MEM, insnMode, type Insn } from '../isa/index.js';
import type { Arena } from '../arena/index.js';

const TWO32 = 4294967296;

/** The program with the loads at `at` (BPF_MEM loads the verifier typed as kernel-pointer loads) made BPF_PROBE_MEM loads. */
export function markProbeLoads(insns: readonly Insn[], at: readonly number[]): readonly Insn[] {
  if (at.length === 0) return insns;
  const out = [...insns];
  for (const i of at) {
    const ins = out[i]!;
    if (insnMode(ins.code) === BPF_MEM) out[i] = { ...ins, code: BPF_LDX | BPF_PROBE_MEM | (ins.code & 0x18) };
  }
  return out;
}

/** The arena address of `size` bytes at `(hi:lo) + off` when the arena maps them all, else -1. */
export function probeAddress(arena: Arena, lo: number, hi: number, off: number, size: number): number {
  let a = (lo >>> 0) + off;
  let h = hi;
  if (a < 0) { a += TWO32; h = (h - 1) | 0; } else if (a >= TWO32) { a -= TWO32; h = (h + 1) | 0; }
  return h === 0 && arena.find(a, size) !== undefined ? a : -1;
}
