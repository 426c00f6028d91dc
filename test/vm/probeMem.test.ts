/*
 * BPF_PROBE_MEM loads (src/vm/probeMem.ts): only a loader that asks for them may use the mode, the
 * verifier's kernel-pointer loads are the ones marked, and a probe load reads what the arena maps.
 */
import { describe, expect, test } from 'vitest';
import { BPF_LDX, BPF_PROBE_MEM, BPF_W, assemble, insn, validateProgram } from '../../src/isa/index.js';
import { Machine, markProbeLoads, probeAddress } from '../../src/vm/index.js';

describe('PROBE_MEM', () => {
  const probe = insn(BPF_LDX | BPF_PROBE_MEM | BPF_W, 0, 1, 4, 0);
  const exit = assemble('exit').insns;

  test('validation accepts the mode only when the loader asks for it', () => {
    expect(() => validateProgram([probe, ...exit])).toThrow(/invalid LDX opcode 0x21/);
    expect(() => validateProgram([probe, ...exit], { probeMem: true })).not.toThrow();
  });

  test('markProbeLoads rewrites the given BPF_MEM loads only', () => {
    const insns = assemble('r2 = *(u64 *)(r1 +8)\nr0 = *(s32 *)(r1 +0)\nr0 = *(u16 *)(r2 +2)\nexit').insns;
    const out = markProbeLoads(insns, [0, 1, 2]);
    expect(out.map((i) => i.code)).toEqual([BPF_LDX | BPF_PROBE_MEM | 0x18, insns[1]!.code, BPF_LDX | BPF_PROBE_MEM | 0x08, insns[3]!.code]);
    expect(markProbeLoads(insns, [])).toBe(insns);
  });

  test('probeAddress: the address where the arena maps every byte, else -1', () => {
    const m = new Machine();
    const at = m.task.address;
    expect(probeAddress(m.arena, at, 0, 12, 4)).toBe(at + 12);
    expect(probeAddress(m.arena, at, 1, 12, 4)).toBe(-1);
    expect(probeAddress(m.arena, 0, 0, 0, 8)).toBe(-1);
    expect(probeAddress(m.arena, at + 8, 0, -8, 8)).toBe(at);
  });
});
