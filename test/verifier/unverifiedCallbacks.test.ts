/**
 * Callbacks Linux 6.18 never verifies (unverifiedCallbacks.txt): bpf_loop with a count of 0, helper
 * calls no path reaches, references never passed to a helper, nested callbacks. Each case's
 * verdict, errno (EFAULT for "No program to jit"), first line of the reason and processed count
 * from bpfsim's verifier, and from the kernel's where bpf() is available.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { KernelBackend, kernelAvailable } from '../../src/kernel/index.js';
import { verifyProgram } from '../../src/verifier/index.js';
import { funcInfoBtf } from '../helpers/support/xdp.js';
import { readCorpus } from './support/corpus.js';
import { GEN_MAPS } from './support/genVerifier.js';
import { kernelReason } from './support/verdicts.js';

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
    const r = verifyProgram(c.insns, { progType: c.type, maps: MAP_INFOS, funcInfo: true });
    const got = { ok: r.ok, errno: r.errno, message: r.errors[0]?.message.split('\n')[0] ?? '', processed: r.stats.processed };
    expect(got).toEqual({ ok: c.ok, errno: c.errno, message: c.message, processed: c.processed });
  });
});

describe.skipIf(!available.ok)('never-verified callbacks on the kernel', () => {
  test.each(CASES)('$name', (c) => {
    const kb = new KernelBackend();
    const maps = MAPS.map((m) => kb.createMap(m));
    try {
      let got = { ok: true, errno: 0, message: '', processed: -1 };
      try {
        const r = kb.loadProgram({ type: c.type, insns: c.insns, maps, btf: funcInfoBtf(c.insns), logLevel: 1 });
        got.processed = r.verifiedInsns ?? -1;
        r.program.close();
      } catch (e) {
        const { errno, log } = e as { errno: number; log?: string };
        const processed = Number(/processed (\d+) insns/.exec(log ?? '')?.[1] ?? -1);
        got = { ok: false, errno, message: kernelReason(log ?? '').split('\n')[0]!, processed };
      }
      expect(got).toEqual({ ok: c.ok, errno: c.errno, message: c.message, processed: c.processed });
    } finally {
      kb.close();
    }
  });
});
