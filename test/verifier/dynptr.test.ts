/**
 * Dynptrs in the verifier (dynptr.txt): each case's verdict, errno, first line of the reason and
 * processed count from bpfsim's verifier, and from the kernel's where bpf() is available. Programs
 * load with BTF func_info (callbacks need it).
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { kernelAvailable } from '../../src/kernel/index.js';
import { readCorpus } from './support/corpus.js';
import { expectedVerdict, kernelVerdictOf, simVerdictOf } from './support/corpusVerdict.js';
import { GEN_MAPS } from './support/genVerifier.js';

/** GEN_MAPS and a user ring buffer (map[idx:4]). */
const MAPS = [...GEN_MAPS, { type: 31, keySize: 0, valueSize: 0, maxEntries: 4096, name: 'urb' }];
const MAP_INFOS = MAPS.map((m) => ({ ...m, flags: 0 }));
const CASES = readCorpus(fileURLToPath(new URL('./dynptr.txt', import.meta.url)));
const available = kernelAvailable();
if (!available.ok) console.log(`skipping the dynptr corpus on the kernel: ${available.reason}`);

describe('dynptrs on bpfsim', () => {
  test('the corpus covers accepted and refused programs', () => {
    expect(CASES.length).toBeGreaterThanOrEqual(30);
    expect(CASES.filter((c) => c.ok).length).toBeGreaterThanOrEqual(8);
  });

  test.each(CASES)('$name', (c) => {
    expect(simVerdictOf(c, MAP_INFOS)).toEqual(expectedVerdict(c));
  });
});

describe.skipIf(!available.ok)('dynptrs on the kernel', () => {
  test.each(CASES)('$name', (c) => {
    expect(kernelVerdictOf(c, MAPS)).toEqual(expectedVerdict(c));
  });
});
