import { describe, expect, test } from 'vitest';
import { KernelBackend, kernelAvailable } from '../../src/kernel/index.js';
import { createMachine } from '../../src/machines.js';
import { SimBackend } from '../../src/vm/index.js';
import { count, diffCase, newTally } from '../support/kernelDiff.js';
import type { DiffBackends, Outcome } from '../support/kernelDiff.js';
import { caseAt } from '../support/kernelProgram.js';

const available = kernelAvailable();
if (!available.ok) console.log(`skipping the kernel differential tests: ${available.reason}`);

/** Programs compared in `npm test`; `npm run fuzz:kernel` runs long campaigns. */
const RUNS = 2000;

describe.skipIf(!available.ok)('the interpreter and the JIT against the kernel on random programs', () => {
  test(`${RUNS} random programs give the kernel's registers and stack, bit for bit`, () => {
    const kernel = new KernelBackend();
    const backends: DiffBackends = {
      kernel,
      sims: ['interp', 'jit'].map((engine) => ({
        engine, backend: new SimBackend({ machine: createMachine({ cpus: kernel.ncpus }), engine, checked: true }),
      })),
    };
    const tally = newTally();
    const mismatches: Outcome[] = [];
    try {
      for (let i = 0; i < RUNS; i++) {
        const o = diffCase(caseAt(20261126, i), backends);
        count(tally, o);
        if (o.kind === 'mismatch') mismatches.push(o);
      }
    } finally {
      kernel.close();
    }
    console.log(`kernel differential: ${JSON.stringify(tally)}`);
    expect(mismatches).toEqual([]);
    expect(tally.compared).toBeGreaterThanOrEqual(RUNS * 0.95);
  });
});
