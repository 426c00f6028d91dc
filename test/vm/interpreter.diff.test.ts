import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { createMachine } from '../../src/machines.js';
import { Stepper } from '../../src/vm/index.js';
import { arbRunnable } from '../support/arbRunnable.js';
import { refRun } from '../support/refInterp.js';

describe('interpreter against the reference model on random programs', () => {
  const m = createMachine({ cpus: 1 });

  test('registers, stack and r0 agree (checked stepping and unchecked runs)', () => {
    fc.assert(fc.property(arbRunnable(60), (insns) => {
      const prog = m.loadProgram({ insns });
      const s = new Stepper(prog);
      expect(s.continue()).toBe('exited');
      const top = BigInt(m.frameTops(0)[0]!);
      const ref = refRun(insns, [0n, 0n, 0n, 0n, 0n, 0n, 0n, 0n, 0n, 0n, top], new Uint8Array(512), top - 512n);
      expect(s.regs()).toEqual(ref.regs);
      expect(s.readStack()).toEqual(ref.mem);
      for (const engine of ['interp', 'jit']) expect(prog.runRaw({ engine, checked: false }).r0).toBe(ref.r0);
    }), { numRuns: 3000 });
  });
});
