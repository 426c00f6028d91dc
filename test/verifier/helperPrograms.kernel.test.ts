/**
 * The random helper programs of the helper differential (test/support/helperProgram.ts: maps of
 * every kind, ring buffer records, bpf_loop and for_each_map_elem callbacks, tail calls) through
 * both verifiers: the same verdict, and the same number of processed instructions give or take 2x.
 * Linux 6.18 refuses a program whose callback it never verified (bpf_loop with a count of 0) with
 * EFAULT, "verifier bug: No program to jit", after verification; bpfsim accepts it and the case
 * is counted apart.
 */
import { describe, expect, test } from 'vitest';
import { assemble } from '../../src/isa/index.js';
import { KernelBackend, kernelAvailable } from '../../src/kernel/index.js';
import { BPF_PROG_TYPE_XDP } from '../../src/uapi.js';
import { verifyProgram } from '../../src/verifier/index.js';
import { funcInfoBtf } from '../helpers/support/xdp.js';
import { HELPER_MAPS, helperCaseAt, helperProgramText } from '../support/helperProgram.js';

const RUNS = 200;
const SEED = 20261126;
const available = kernelAvailable();
if (!available.ok) console.log(`skipping helper programs through both verifiers: ${available.reason}`);

describe.skipIf(!available.ok)('random helper programs through both verifiers', () => {
  test(`${RUNS} programs: same verdicts, processed counts within 2x`, () => {
    const kb = new KernelBackend();
    const maps = HELPER_MAPS.map((s) => kb.createMap(s));
    const infos = HELPER_MAPS.map((s) => ({ ...s, name: s.name ?? '', flags: s.flags ?? 0 }));
    const differ: string[] = [];
    let unverifiedCallback = 0;
    let exact = 0;
    try {
      for (let i = 0; i < RUNS; i++) {
        const { insns } = assemble(helperProgramText(helperCaseAt(SEED, i), kb.ncpus).text);
        const sim = verifyProgram(insns, { progType: BPF_PROG_TYPE_XDP, maps: infos, funcInfo: true, nrCpus: kb.ncpus });
        let kernel: number;
        try {
          const r = kb.loadProgram({ type: BPF_PROG_TYPE_XDP, insns, maps, name: 'helpers', btf: funcInfoBtf(insns) });
          r.program.close();
          kernel = r.verifiedInsns ?? 0;
        } catch (e) {
          if (/No program to jit/.test((e as Error).message) && sim.ok) { unverifiedCallback++; continue; }
          differ.push(`#${i}: the kernel refuses (${(e as Error).message}); bpfsim ${sim.ok ? 'accepts' : sim.errors[0]!.message}`);
          continue;
        }
        if (!sim.ok) differ.push(`#${i}: the kernel accepts; bpfsim refuses: ${sim.errors[0]!.message}`);
        else if (sim.stats.processed > 2 * kernel || 2 * sim.stats.processed < kernel) differ.push(`#${i}: processed ${sim.stats.processed}, the kernel ${kernel}`);
        else if (sim.stats.processed === kernel) exact++;
      }
    } finally {
      for (const m of maps) m.close();
      kb.close();
    }
    console.log(`helper programs: ${RUNS}, same processed count ${exact}, kernel EFAULT on a never-verified callback ${unverifiedCallback}`);
    expect(differ).toEqual([]);
  });
});
