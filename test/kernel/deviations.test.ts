import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { decodeProgram } from '../../src/isa/index.js';
import { KernelBackend, kernelAvailable } from '../../src/kernel/index.js';
import { createMachine } from '../../src/machines.js';
import { SimBackend } from '../../src/vm/index.js';
import { runXdp } from '../support/kernelDiff.js';

const available = kernelAvailable();
const dir = new URL('../fixtures/kernel-deviations/', import.meta.url);
const program = (name: string) => decodeProgram(readFileSync(fileURLToPath(new URL(`${name}.bin`, dir))));
const packet = new Uint8Array(64);

/** The documented reproducers: what RFC 9669 gives, what Linux 6.18.44 gives, and the control. */
const CASES = [
  { name: 'kbug1-atomic-precision', rfc: 1, linux: 0, control: 'kbug1-control-ldx' },
  { name: 'kbug2-cmpxchg32-zext', rfc: 0, linux: 1, control: 'kbug2-cmpxchg32-zext-control' },
];

describe('documented kernel deviations', () => {
  test.each(CASES)('$name: bpfsim gives the RFC answer on every engine', ({ name, rfc, control }) => {
    for (const engine of ['interp', 'jit']) {
      const sim = new SimBackend({ machine: createMachine(), engine });
      expect(runXdp(sim, program(name), packet).retval).toBe(rfc);
      expect(runXdp(sim, program(control), packet).retval).toBe(rfc);
    }
  });

  test.skipIf(!available.ok).each(CASES)('$name: the kernel still deviates, and its control does not', ({ name, rfc, linux, control }) => {
    const kernel = new KernelBackend();
    try {
      const got = runXdp(kernel, program(name), packet).retval;
      if (got === rfc) console.log(`${name}: this kernel gives the RFC answer now; the deviation is fixed here`);
      else expect(got).toBe(linux);
      expect(runXdp(kernel, program(control), packet).retval).toBe(rfc);
    } finally {
      kernel.close();
    }
  });
});
