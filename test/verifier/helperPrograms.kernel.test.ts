/**
 * The random helper programs of the helper differential (test/support/helperProgram.ts: maps of
 * every kind, ring buffer records, bpf_loop and for_each_map_elem callbacks, tail calls) through
 * both verifiers: the same verdict, and the same number of processed instructions give or take 2x.
 * A program the kernel refuses (Linux 6.18's EFAULT "verifier bug: No program to jit" when a
 * callback was never verified, e.g. bpf_loop with a count of 0) must get the same errno, reason
 * and processed count from bpfsim.
 */
import { describe, expect, test } from 'vitest';
import { assemble } from '../../src/isa/index.js';
import { KernelBackend, kernelAvailable } from '../../src/kernel/index.js';
import { BPF_PROG_TYPE_XDP } from '../../src/uapi.js';
import { verifyProgram } from '../../src/verifier/index.js';
import { funcInfoBtf } from '../helpers/support/xdp.js';
import { HELPER_MAPS, helperCaseAt, helperProgramText } from '../support/helperProgram.js';
import { kernelReason } from './support/verdicts.js';

const RUNS = 400;
const SEED = 20261126;
const available = kernelAvailable();
if (!available.ok) console.log(`skipping helper programs through both verifiers: ${available.reason}`);

describe.skipIf(!available.ok)('random helper programs through both verifiers', () => {
  test(`${RUNS} programs: same verdicts, processed counts within 2x`, () => {
    const kb = new KernelBackend();
    const maps = HELPER_MAPS.map((s) => kb.createMap(s));
    const infos = HELPER_MAPS.map((s) => ({ ...s, name: s.name ?? '', flags: s.flags ?? 0 }));
    const differ: string[] = [];
    let refusedAgreed = 0;
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
          const { errno, log } = e as { errno: number; log?: string };
          const got = { errno, message: kernelReason(log ?? '').split('\n')[0]!, processed: Number(/processed (\d+) insns/.exec(log ?? '')?.[1] ?? -1) };
          const want = { errno: sim.errno, message: sim.errors[0]?.message.split('\n')[0] ?? 'accepted', processed: sim.stats.processed };
          if (JSON.stringify(got) === JSON.stringify(want)) refusedAgreed++;
          else differ.push(`#${i}: the kernel refuses ${JSON.stringify(got)}; bpfsim ${JSON.stringify(want)}`);
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
    console.log(`helper programs: ${RUNS}, same processed count ${exact}, refused by both with the same errno, reason and processed count ${refusedAgreed}`);
    expect(differ).toEqual([]);
  });
});
