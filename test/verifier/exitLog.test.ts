/**
 * The main program's `exit` ends its line in the level-2 log: Linux 6.18 prints the registers an
 * instruction touched before the next instruction, and a path that ends at `exit` has none, so no
 * `; R0=0` follows it (bpfsim printed one). The expected log is the kernel's; it is compared with
 * bpfsim's, and with the kernel's where bpf() is available.
 */
import { describe, expect, test } from 'vitest';
import { assemble } from '../../src/isa/index.js';
import { KernelBackend, kernelAvailable } from '../../src/kernel/index.js';
import { verifyProgram } from '../../src/verifier/index.js';
import { progTypeByName } from '../../src/vm/index.js';

const SOURCE = `call bpf_get_prandom_u32
if r0 > 5 goto l1
r1 = 1
goto l2
l1:
r1 = 2
l2:
r0 = 0
exit`;

/** Both paths, from the first instruction to the closing statistics. */
const LOG = [
  '0: R1=ctx() R10=fp0',
  '0: (85) call bpf_get_prandom_u32#7    ; R0=scalar()',
  '1: (25) if r0 > 0x5 goto pc+2         ; R0=scalar(smin=smin32=0,smax=umax=smax32=umax32=5,var_off=(0x0; 0x7))',
  '2: (b7) r1 = 1                        ; R1=1',
  '3: (05) goto pc+1',
  '5: (b7) r0 = 0                        ; R0=0',
  '6: (95) exit',
  '',
  'from 1 to 4: R0=scalar(umin=6) R10=fp0',
  '4: R0=scalar(umin=6) R10=fp0',
  '4: (b7) r1 = 2                        ; R1=2',
  '5: (b7) r0 = 0                        ; R0=0',
  '6: (95) exit',
  'processed 9 insns',
].join('\n');

const insns = assemble(SOURCE).insns;
const XDP = progTypeByName('xdp')!;
const available = kernelAvailable();
if (!available.ok) console.log(`skipping the kernel's exit lines: ${available.reason}`);

describe('exit in the level-2 log', () => {
  test('bpfsim prints nothing after the exit that ends a path', () => {
    const r = verifyProgram(insns, { progType: XDP, logLevel: 2 });
    expect(r.ok).toBe(true);
    expect(r.log).toContain(LOG);
  });

  test.skipIf(!available.ok)('the kernel prints the same log', () => {
    const kb = new KernelBackend();
    try {
      const loaded = kb.loadProgram({ type: XDP, insns, logLevel: 2 });
      loaded.program.close();
      expect(loaded.log).toContain(LOG);
    } finally {
      kb.close();
    }
  });
});
