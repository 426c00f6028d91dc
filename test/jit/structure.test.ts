import { describe, expect, test } from 'vitest';
import { assemble, insn } from '../../src/isa/index.js';
import { JitExecutable } from '../../src/jit/index.js';
import { createMachine } from '../../src/machines.js';

const cases: { name: string; src: string; structured: number; dispatch: number; loops: number }[] = [
  { name: 'diamond', structured: 1, dispatch: 0, loops: 0, src: 'r0 = 1\nr1 = 2\nif r1 > 1 goto t\nr0 = 5\ngoto j\nt: r0 = 7\nj: r0 += 1\nexit' },
  { name: 'counted loop', structured: 1, dispatch: 0, loops: 1, src: 'r0 = 0\nr1 = 10\nl: r0 += r1\nr1 -= 1\nif r1 != 0 goto l\nexit' },
  { name: 'self loop with may_goto', structured: 1, dispatch: 0, loops: 1, src: 'r0 = 3\nl: may_goto out\ngoto l\nout: exit' },
  {
    name: 'nested loops with break and continue', structured: 1, dispatch: 0, loops: 2, src: `
      r0 = 0
      r1 = 0
    outer:
      r2 = 0
    inner:
      r2 += 1
      if r2 == 3 goto inner
      r0 += r2
      if r0 > 200 goto done
      if r2 < 5 goto inner
      r1 += 1
      if r1 < 7 goto outer
    done:
      exit`,
  },
  {
    name: 'a loop whose header is also reached by a forward jump (merge and loop header)', structured: 1, dispatch: 0, loops: 1, src: `
      r0 = 0
      r1 = 4
      if r1 > 2 goto head
      r0 = 100
    head:
      r0 += 1
      r1 -= 1
      if r1 s> 0 goto head
      exit`,
  },
  {
    name: 'an irreducible loop (two entries)', structured: 0, dispatch: 1, loops: 1, src: `
      r0 = 0
      r1 = 5
      if r1 > 3 goto b
    a:
      r0 += 1
      if r0 > 20 goto out
    b:
      r0 += 2
      if r0 < 30 goto a
    out:
      exit`,
  },
  {
    name: 'functions: one irreducible, one structured', structured: 1, dispatch: 1, loops: 1, src: `
      r1 = 1
      call f
      exit
    f:
      r0 = r1
      if r0 > 0 goto b
    a:
      r0 += 1
    b:
      r0 += 3
      if r0 < 50 goto a
      exit`,
  },
];

describe('control flow: structured for reducible graphs, dispatch for irreducible ones', () => {
  test.each(cases)('$name', ({ src, structured, dispatch, loops }) => {
    const m = createMachine({ cpus: 1 });
    const p = m.loadProgram({ insns: assemble(src).insns });
    for (const checked of [false, true]) {
      const x = p.executable('jit', checked) as JitExecutable;
      expect(x).toBeInstanceOf(JitExecutable);
      expect({ structured: x.stats.structured, dispatch: x.stats.dispatch, loops: x.stats.loops }).toEqual({ structured, dispatch, loops });
      expect(p.runRaw({ engine: 'jit', checked }).r0).toBe(p.runRaw({ engine: 'interp', checked }).r0);
    }
    expect(p.runRaw({ engine: 'jit' }).insns).toBe(p.runRaw({ engine: 'interp' }).insns);
  });

  test('call through a register dispatches to the helper by id', () => {
    const m = createMachine({ cpus: 2 });
    const p = m.loadProgram({ insns: [insn(0xb7, 1, 0, 0, 8), insn(0x8d, 1), insn(0x95)] });
    expect(p.runRaw({ engine: 'jit', cpu: 1 }).r0).toBe(1n);
  });
});
