/**
 * The readable specification of what the verifier enforces (corpus.txt): each case's verdict,
 * errno and message from bpfsim's verifier, and from the kernel's where bpf() is available.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { encodeInsns } from '../../src/isa/index.js';
import { KernelMap, kernelAvailable, nativeBpf } from '../../src/kernel/index.js';
import { verifyProgram } from '../../src/verifier/index.js';
import { readCorpus } from './support/corpus.js';
import { GEN_MAPS } from './support/genVerifier.js';
import { GEN_MAP_INFOS, kernelReason } from './support/verdicts.js';

const cases = readCorpus(fileURLToPath(new URL('./corpus.txt', import.meta.url)));
const available = kernelAvailable();
if (!available.ok) console.log(`skipping the corpus on the kernel: ${available.reason}`);

describe('the corpus on bpfsim', () => {
  test.each(cases)('$name', (c) => {
    const r = verifyProgram(c.insns, { progType: c.type, maps: GEN_MAP_INFOS });
    expect({ ok: r.ok, errno: r.errno, message: r.errors[0]?.message.split('\n')[0] ?? '' }).toEqual({ ok: c.ok, errno: c.errno, message: c.message });
  });
});

describe.skipIf(!available.ok)('the corpus on the kernel', () => {
  test.each(cases)('$name', (c) => {
    const maps = GEN_MAPS.map((m) => KernelMap.create(m));
    try {
      const r = nativeBpf().progLoad({
        prog_type: c.type, insns: encodeInsns(c.insns), license: 'GPL', log_level: 1, log_size: 1 << 20, fd_array: maps.map((m) => m.fd.raw),
      });
      if (r.fd >= 0) nativeBpf().close(r.fd);
      expect({ ok: r.errno === 0, errno: r.errno, message: r.errno ? kernelReason(r.log).split('\n')[0] : '' })
        .toEqual({ ok: c.ok, errno: c.errno, message: c.message });
    } finally {
      for (const m of maps) m.close();
    }
  });
});
