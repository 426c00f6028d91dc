/*
 * Random helper programs compared with the kernel (test/support/helperProgram.ts): map helpers of
 * every kind with random keys, values and flags, ring buffers, bpf_loop and for_each callbacks,
 * tail calls; return value, results and map contents must be the kernel's, bit for bit, on every
 * engine. A program the kernel refuses must be refused by bpfsim's verifier with the same errno
 * and reason (Linux 6.18's EFAULT "No program to jit" for a callback it never verified).
 * BPFSIM_HELPER_DIFF_RUNS sets the number of programs (default 400).
 */
import { afterAll, describe, expect, test } from 'vitest';
import { diffHelperCase } from '../support/helperDiff.js';
import type { HelperOutcome } from '../support/helperDiff.js';
import { helperCaseAt } from '../support/helperProgram.js';
import { kernelBackend, kernelSkip, simBackends } from './support/xdp.js';

const kernel = kernelBackend();
if (kernelSkip) console.log(`skipping the random helper differential: ${kernelSkip}`);
afterAll(() => kernel?.close());

const RUNS = Number(process.env['BPFSIM_HELPER_DIFF_RUNS'] ?? 400) || 400;
const SEED = Number(process.env['BPFSIM_HELPER_DIFF_SEED'] ?? 20261126);

describe.skipIf(!kernel)('random helper programs against the kernel', () => {
  test(`${RUNS} programs leave the kernel's results and maps`, () => {
    const sims = simBackends(kernel!.ncpus);
    const tally = { compared: 0, refused: 0, refusedAgreed: 0, mismatches: 0 };
    const disagreed: string[] = [];
    const refusals: Record<string, number> = {};
    const bad: (HelperOutcome & { kind: 'mismatch'; index: number })[] = [];
    try {
      for (let i = 0; i < RUNS; i++) {
        const o = diffHelperCase(helperCaseAt(SEED, i), kernel!, sims);
        if (o.kind === 'refused') {
          tally.refused++;
          if (o.agreed) tally.refusedAgreed++;
          else disagreed.push(`case ${i}: ${o.reason}`);
          const key = o.reason.replace(/\d+/g, 'N');
          refusals[key] = (refusals[key] ?? 0) + 1;
          continue;
        }
        tally.compared++;
        if (o.kind === 'mismatch') {
          tally.mismatches++;
          if (bad.length < 3) bad.push({ ...o, index: i });
        }
      }
    } finally {
      for (const sim of sims) sim.close();
    }
    console.log(`helper differential (seed ${SEED}): ${JSON.stringify(tally)}${tally.refused ? ` refusals ${JSON.stringify(refusals)}` : ''}`);
    expect(bad.map((b) => `case ${b.index}: ${b.detail}`)).toEqual([]);
    expect(disagreed).toEqual([]);
    expect(tally.compared).toBeGreaterThanOrEqual(RUNS * 0.9);
  });
});
