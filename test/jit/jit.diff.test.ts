import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { argU64, defaultHelpers } from '../../src/helpers/index.js';
import type { Insn } from '../../src/isa/index.js';
import { createMachine } from '../../src/machines.js';
import { VmFault } from '../../src/vm/index.js';
import type { Machine } from '../../src/vm/index.js';
import { arbCalling, arbLooping, arbRunnable } from '../support/arbRunnable.js';
import { refRun } from '../support/refInterp.js';

/** A machine with the test helpers `arbCalling` uses: 100 mixes its arguments, 101 logs them. */
function callingMachine(): { m: Machine; log: bigint[][]; dump: number } {
  const log: bigint[][] = [];
  const helpers = defaultHelpers()
    .set(100, 'mix', (c) => (argU64(c, 1) * 0x9e3779b97f4a7c15n) ^ (argU64(c, 2) << 7n) ^ (argU64(c, 3) + argU64(c, 4)) ^ (argU64(c, 5) >> 3n))
    .set(101, 'log', (c) => { log.push([1, 2, 3, 4, 5].map((i) => argU64(c, i))); return -log.length; });
  const m = createMachine({ cpus: 1, helpers });
  const dump = m.arena.alloc(80, 'mem', 'dump').start;
  return { m, log, dump };
}

/** Every stack frame of CPU 0, in hex (strings compare far faster than typed arrays in expect). */
function stacks(m: Machine): string {
  m.arena.refresh();
  const top = m.frameTops(0);
  return Array.from({ length: 8 }, (_, d) => Buffer.from(m.arena.read(top[d]! - 512, 512)).toString('hex')).join('\n');
}

type Outcome = { r0: bigint; insns: number; stack: string } | { fault: string };

function outcome(m: Machine, insns: Insn[], engine: string, checked: boolean, budget: number): Outcome {
  try {
    const r = m.loadProgram({ insns }).runRaw({ engine, checked, budget });
    return { r0: r.r0, insns: checked ? r.insns : 0, stack: stacks(m) };
  } catch (e) {
    if (e instanceof VmFault) return { fault: e.message };
    throw e;
  }
}

describe('JIT against the interpreter on random programs', () => {
  test('straight-line and forward-jump programs: r0 and stack agree with the interpreter and the reference model', () => {
    const a = createMachine({ cpus: 1 });
    const b = createMachine({ cpus: 1 });
    fc.assert(fc.property(arbRunnable(60), (insns) => {
      const top = BigInt(a.frameTops(0)[0]!);
      const ref = refRun(insns, [0n, 0n, 0n, 0n, 0n, 0n, 0n, 0n, 0n, 0n, top], new Uint8Array(512), top - 512n);
      for (const checked of [false, true]) {
        const want = outcome(a, insns, 'interp', checked, 1e6);
        const got = outcome(b, insns, 'jit', checked, 1e6);
        expect(got).toEqual(want);
        expect('r0' in got && got.r0).toBe(ref.r0);
        expect('stack' in got && got.stack.split('\n')[0]).toBe(Buffer.from(ref.mem).toString('hex'));
      }
    }), { numRuns: 3000 });
  });

  test('helper and bpf-to-bpf calls: r0, r0..r9 at exit, every stack frame, helper arguments and instruction counts agree', () => {
    const a = callingMachine();
    const b = callingMachine();
    expect(b.dump).toBe(a.dump);
    fc.assert(fc.property(arbCalling(a.dump), (insns) => {
      for (const checked of [false, true]) {
        const want = outcome(a.m, insns, 'interp', checked, 1e6);
        const got = outcome(b.m, insns, 'jit', checked, 1e6);
        expect(got).toEqual(want);
        expect(Buffer.from(b.m.arena.read(b.dump, 80)).toString('hex')).toBe(Buffer.from(a.m.arena.read(a.dump, 80)).toString('hex'));
        expect(b.log).toEqual(a.log);
      }
    }), { numRuns: 2000 });
  });

  test('loops, reducible or not, under a budget: the same r0, stack and count, or the same fault', () => {
    const a = createMachine({ cpus: 1 });
    const b = createMachine({ cpus: 1 });
    fc.assert(fc.property(arbLooping(), (insns) => {
      const want = outcome(a, insns, 'interp', true, 3000);
      expect(outcome(b, insns, 'jit', true, 3000)).toEqual(want);
      if ('r0' in want) expect(outcome(b, insns, 'jit', false, 3000)).toMatchObject({ r0: want.r0, stack: want.stack });
    }), { numRuns: 3000 });
  });
});
