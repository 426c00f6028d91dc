/**
 * Exactness against Linux: generated programs of scalar ALU operations and conditional jumps are
 * loaded into the running kernel at log level 2, and every register state its verifier prints is
 * compared with what the domain computes for the same path (test/verifier/support/driver.ts).
 * Skipped, with the reason printed, where the bpf() syscall is not available.
 */
import { describe, expect, test } from 'vitest';
import { disasm, encodeInsns } from '../../src/isa/index.js';
import { kernelAvailable, nativeBpf } from '../../src/kernel/index.js';
import { BPF_PROG_TYPE_SOCKET_FILTER } from '../../src/uapi.js';
import { genProgram } from './support/genProgram.js';
import { walk } from './support/driver.js';
import { compareEvents, parseLog } from './support/kernelLog.js';

const availability = kernelAvailable();
if (!availability.ok) console.log(`skipping verifier exactness tests: ${availability.reason}`);

const PROGRAMS = Number(process.env.BPFSIM_VERIFIER_PROGRAMS ?? 10000);
const FIRST_SEED = Number(process.env.BPFSIM_VERIFIER_SEED ?? 1);

describe.skipIf(!availability.ok)('scalar domain vs the kernel verifier', () => {
  test(`${PROGRAMS} generated programs print the same register states`, () => {
    const bpf = nativeBpf();
    let programs = 0;
    let states = 0;
    const failures: string[] = [];
    for (let seed = FIRST_SEED; seed < FIRST_SEED + PROGRAMS; seed++) {
      const { insns } = genProgram(seed);
      const r = bpf.progLoad({ prog_type: BPF_PROG_TYPE_SOCKET_FILTER, insns: encodeInsns(insns), log_level: 2, log_size: 1 << 20 });
      if (r.fd >= 0) bpf.close(r.fd);
      if (r.errno !== 0) {
        failures.push(`seed ${seed}: the kernel rejected the program (errno ${r.errno}):\n${r.log.split('\n').slice(-3).join('\n')}`);
        continue;
      }
      programs++;
      const result = compareEvents(parseLog(r.log), walk(insns));
      states += result.states;
      for (const m of result.mismatches.slice(0, 1)) {
        failures.push(`seed ${seed} ${m.kind} ${m.idx} R${m.reg}\n  kernel: ${m.kernel}\n  domain: ${m.mine}\n${disasm(insns)}`);
      }
    }
    console.log(`verifier domain vs kernel: ${programs} programs, ${states} register states compared, ${failures.length} programs disagree`);
    expect(failures.slice(0, 3)).toEqual([]);
  });
});
