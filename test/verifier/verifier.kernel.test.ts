/**
 * bpfsim's verifier against the kernel's on generated programs aimed at what the verifier decides
 * (support/genVerifier.ts): no program may be accepted by bpfsim and refused by Linux, and the
 * verdicts must agree on at least 95% of them. `npm run fuzz:verifier` runs long campaigns.
 */
import { describe, expect, test } from 'vitest';
import { kernelAvailable } from '../../src/kernel/index.js';
import { KernelVerdicts, formatCampaign, runCampaign } from './support/verdicts.js';

const available = kernelAvailable();
if (!available.ok) console.log(`skipping the verifier campaign on the kernel: ${available.reason}`);
const RUNS = Number(process.env.BPFSIM_VERIFIER_CAMPAIGN ?? 1500);

describe.skipIf(!available.ok)('bpfsim verifier vs the kernel verifier', () => {
  test(`${RUNS} generated programs: no bpfsim-only accept, at least 95% agreement`, () => {
    const k = new KernelVerdicts();
    try {
      const c = runCampaign(k, 1, RUNS);
      console.log(formatCampaign(c));
      expect(c.unsound).toEqual([]);
      expect((c.bothAccept + c.bothReject) / c.total).toBeGreaterThanOrEqual(0.95);
    } finally {
      k.close();
    }
  });
});
