/**
 * Callbacks Linux 6.18 never verifies (unverifiedCallbacks.txt): bpf_loop with a count of 0, helper
 * calls no path reaches, references never passed to a helper, nested callbacks. Each case's
 * verdict, errno (EFAULT for "No program to jit"), first line of the reason and processed count
 * from bpfsim's verifier, and from the kernel's where bpf() is available.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { kernelAvailable } from '../../src/kernel/index.js';
import { readCorpus } from './support/corpus.js';
import { expectedVerdict, kernelVerdictOf, simVerdictOf } from './support/corpusVerdict.js';
import { GEN_MAPS } from './support/genVerifier.js';

const MAPS = GEN_MAPS;
const MAP_INFOS = MAPS.map((m) => ({ ...m, flags: 0 }));
const CASES = readCorpus(fileURLToPath(new URL('./unverifiedCallbacks.txt', import.meta.url)));
const available = kernelAvailable();
if (!available.ok) console.log(`skipping the never-verified callbacks on the kernel: ${available.reason}`);

describe('never-verified callbacks on bpfsim', () => {
  test('the corpus covers accepted and refused programs', () => {
    expect(CASES.filter((c) => c.ok).length).toBeGreaterThanOrEqual(8);
    expect(CASES.filter((c) => c.errno === 14).length).toBeGreaterThanOrEqual(8);
  });

  test.each(CASES)('$name', (c) => {
    expect(simVerdictOf(c, MAP_INFOS)).toEqual(expectedVerdict(c));
  });
});

describe.skipIf(!available.ok)('never-verified callbacks on the kernel', () => {
  test.each(CASES)('$name', (c) => {
    expect(kernelVerdictOf(c, MAPS)).toEqual(expectedVerdict(c));
  });
});
