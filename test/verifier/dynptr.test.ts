/**
 * Dynptrs in the verifier (dynptr.txt): each case's verdict, errno, first line of the reason and
 * processed count from bpfsim's verifier, and from the kernel's where bpf() is available. Programs
 * load with BTF func_info (callbacks need it).
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { KernelBackend, kernelAvailable } from '../../src/kernel/index.js';
import { verifyProgram } from '../../src/verifier/index.js';
import { funcInfoBtf } from '../helpers/support/xdp.js';
import { readCorpus } from './support/corpus.js';
import { GEN_MAPS } from './support/genVerifier.js';
import { kernelReason } from './support/verdicts.js';

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
    const r = verifyProgram(c.insns, { progType: c.type, maps: MAP_INFOS, funcInfo: true });
    const got = { ok: r.ok, errno: r.errno, message: r.errors[0]?.message.split('\n')[0] ?? '', processed: r.stats.processed };
    expect(got).toEqual({ ok: c.ok, errno: c.errno, message: c.message, processed: c.processed });
  });
});

describe.skipIf(!available.ok)('dynptrs on the kernel', () => {
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
