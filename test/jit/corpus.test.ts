import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { RAW_PROLOGUE, benchPrograms } from '../../src/bench/index.js';
import { assemble, decodeProgram, encodeInsns } from '../../src/isa/index.js';
import type { Insn } from '../../src/isa/index.js';
import { compileProgram } from '../../src/jit/index.js';
import { arbCalling, arbLooping, arbRunnable } from '../support/arbRunnable.js';
import { conformanceDir, loadConformance } from '../support/conformance.js';

interface Tally { programs: number; functions: number; structured: number; dispatch: number }

function tally(programs: readonly Insn[][]): Tally {
  const t: Tally = { programs: 0, functions: 0, structured: 0, dispatch: 0 };
  for (const insns of programs) {
    const { stats } = compileProgram(insns, { checked: true, scratch: 0x10000, hasHelper: () => true });
    t.programs++;
    t.functions += stats.functions;
    t.structured += stats.structured;
    t.dispatch += stats.dispatch;
  }
  return t;
}

describe('how the JIT arranges control flow over the test corpus', () => {
  test('structured for every reducible function, dispatch only for irreducible ones', () => {
    const { dir } = conformanceDir();
    const corpus: Record<string, Insn[][]> = {
      conformance: dir ? loadConformance(dir, 'tests').map((c) => decodeProgram(c.raw ?? encodeInsns(assemble(c.asm ?? '', { dialect: 'ubpf' }).insns))) : [],
      bench: benchPrograms.map((p) => assemble(RAW_PROLOGUE + p.body).insns),
      'random forward jumps': fc.sample(arbRunnable(60), { numRuns: 300, seed: 1 }),
      'random calls': fc.sample(arbCalling(0x20000), { numRuns: 300, seed: 2 }),
      'random loops': fc.sample(arbLooping(), { numRuns: 300, seed: 3 }),
    };
    const lines: string[] = [];
    const sum: Tally = { programs: 0, functions: 0, structured: 0, dispatch: 0 };
    for (const [name, programs] of Object.entries(corpus)) {
      const t = tally(programs);
      for (const k of Object.keys(sum) as (keyof Tally)[]) sum[k] += t[k];
      lines.push(`  ${name}: ${t.programs} programs, ${t.functions} functions: ${t.structured} structured, ${t.dispatch} dispatch`);
      expect(t.structured + t.dispatch).toBe(t.functions);
      if (name !== 'random loops') expect([name, t.dispatch]).toEqual([name, 0]);
    }
    console.log(`JIT control flow over the test corpus (${sum.structured} structured, ${sum.dispatch} dispatch of ${sum.functions} functions):\n${lines.join('\n')}`);
    expect(sum.dispatch).toBeGreaterThan(0);
  });
});
