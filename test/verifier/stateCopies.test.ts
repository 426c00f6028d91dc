/**
 * A cost guard for the verifier's state copies, in counts (never times): loading the largest
 * fixture, xdp_lb.o (82,635 instructions processed, as the kernel), copies about 7,000 path states
 * (every pushed branch and every checkpoint), and each copied frame carries only the stack its path
 * has touched (37 bytes on average), not all 512 bytes. A change that copies states more often, or
 * copies whole stacks again, fails here before it shows in `npm run bench`.
 */
import { expect, test } from 'vitest';
import { loadCollection, loadCollectionSpec } from '../../src/elf/index.js';
import { createMachine } from '../../src/machines.js';
import { VerifierState } from '../../src/verifier/index.js';
import { SimBackend } from '../../src/vm/index.js';
import { fixture } from '../elf/support/objects.js';

test('xdp_lb.o: a bounded number of state copies, each with only the stack in use', () => {
  const copy = { states: 0, frames: 0, stackBytes: 0 };
  const clone = Object.getOwnPropertyDescriptor(VerifierState.prototype, 'clone')!;
  VerifierState.prototype.clone = function counted(this: VerifierState): VerifierState {
    copy.states++;
    for (const f of this.frames) {
      copy.frames++;
      copy.stackBytes += f.slotType.length;
    }
    return (clone.value as () => VerifierState).call(this);
  };
  const sim = new SimBackend({ machine: createMachine() });
  try {
    const spec = loadCollectionSpec(fixture('xdp_lb.o'), { objectName: 'xdp_lb' });
    const c = loadCollection(spec, { backend: sim, programs: ['xdp_lb'] });
    expect(c.programs['xdp_lb']!.verifiedInsns).toBe(82_635);
    c.close();
  } finally {
    Object.defineProperty(VerifierState.prototype, 'clone', clone);
    sim.close();
  }
  expect(copy.states).toBeGreaterThan(0);
  expect(copy.states).toBeLessThanOrEqual(7_500);
  expect(copy.stackBytes / copy.frames).toBeLessThanOrEqual(64);
});
