/**
 * Soundness without a kernel: every generated program bpfsim's verifier accepts runs under the
 * checked interpreter on random packets and map contents without a memory fault.
 */
import { expect, test } from 'vitest';
import { soundnessCampaign } from './support/soundness.js';

test('accepted programs never fault in checked mode', () => {
  const r = soundnessCampaign(1, 4000);
  console.log(`verifier soundness: ${r.programs} programs, ${r.accepted} accepted, ${r.runs} checked runs, ${r.faults.length} faults`);
  expect(r.accepted).toBeGreaterThan(1000);
  expect(r.faults).toEqual([]);
});
