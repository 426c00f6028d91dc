/**
 * Callbacks, kfuncs, references and locks (calls.txt): each case's verdict, errno and message from
 * bpfsim's verifier, and from the kernel's where bpf() is available. Programs load with BTF
 * func_info, and kfuncs are numbered by each target's BTF.
 */
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { BTF_KIND_FUNC, simKernelBtf, vmlinuxBtf } from '../../src/elf/index.js';
import { KernelBackend, kernelAvailable } from '../../src/kernel/index.js';
import { verifyProgram } from '../../src/verifier/index.js';
import { funcInfoBtf } from '../helpers/support/xdp.js';
import { readCorpus } from './support/corpus.js';
import { GEN_MAPS } from './support/genVerifier.js';
import { GEN_MAP_INFOS, kernelReason } from './support/verdicts.js';

const FILE = fileURLToPath(new URL('./calls.txt', import.meta.url));
const KFUNCS = ['bpf_rcu_read_lock', 'bpf_rcu_read_unlock', 'bpf_iter_num_new', 'bpf_iter_num_next', 'bpf_iter_num_destroy'];
const available = kernelAvailable();
if (!available.ok) console.log(`skipping the calls corpus on the kernel: ${available.reason}`);

describe('callbacks, kfuncs and references on bpfsim', () => {
  const btf = simKernelBtf();
  const id = (n: string): number => btf.find(n, BTF_KIND_FUNC)!;
  const kfuncs = new Map(KFUNCS.map((n) => [id(n), n]));
  test.each(readCorpus(FILE, id))('$name', (c) => {
    const r = verifyProgram(c.insns, { progType: c.type, maps: GEN_MAP_INFOS, funcInfo: true, kfuncs });
    expect({ ok: r.ok, errno: r.errno, message: r.errors[0]?.message.split('\n')[0] ?? '' }).toEqual({ ok: c.ok, errno: c.errno, message: c.message });
  });
});

describe.skipIf(!available.ok)('callbacks, kfuncs and references on the kernel', () => {
  const cases = available.ok ? readCorpus(FILE, (n) => vmlinuxBtf().find(n, BTF_KIND_FUNC)!) : [];
  test.each(cases)('$name', (c) => {
    const kb = new KernelBackend();
    const maps = GEN_MAPS.map((m) => kb.createMap(m));
    try {
      let got = { ok: true, errno: 0, message: '' };
      try {
        kb.loadProgram({ type: c.type, insns: c.insns, maps, btf: funcInfoBtf(c.insns), logLevel: 1 }).program.close();
      } catch (e) {
        const { errno, log } = e as { errno: number; log?: string };
        got = { ok: false, errno, message: kernelReason(log ?? '').split('\n')[0]! };
      }
      expect(got).toEqual({ ok: c.ok, errno: c.errno, message: c.message });
    } finally {
      kb.close();
    }
  });
});
