/*
 * Random XDP and SCHED_CLS programs (test/support/packetProgram.ts: context reads and writes,
 * direct packet access, packet helpers with edge arguments) on bpfsim and on Linux, with the same
 * data and ctx: return value, data out, ctx out and the errno of refused runs must be equal.
 */
import { afterAll, describe, expect, test } from 'vitest';
import * as U from '../../../src/uapi.js';
import { packetCaseAt } from '../../support/packetProgram.js';
import { Tally, kernelBackend, kernelSkip, simBackend } from '../../vm/progtypes/support/pair.js';

const kernel = kernelSkip ? undefined : kernelBackend();
const sim = simBackend();
if (kernelSkip) console.log(`skipping the random packet program comparison with the kernel: ${kernelSkip}`);
afterAll(() => {
  kernel?.close();
  sim.close();
});

/** Programs per type in `npm test` (BPFSIM_PACKET_RUNS overrides it for longer campaigns). */
const RUNS = Number(process.env.BPFSIM_PACKET_RUNS ?? 1000);
const SEED = 20260514;

describe.skipIf(!kernel)('random packet programs match the kernel', () => {
  test.each([['xdp', U.BPF_PROG_TYPE_XDP], ['tc', U.BPF_PROG_TYPE_SCHED_CLS]] as const)(`%s: ${RUNS} programs`, (kind, type) => {
    const t = new Tally();
    let refused = 0;
    for (let i = 0; i < RUNS; i++) {
      const c = packetCaseAt(kind, SEED, i);
      try {
        t.check(kernel!, sim, { type, prog: c.prog, run: { data: c.data, ...(c.ctx ? { ctx: c.ctx } : {}), flags: c.flags } });
      } catch (e) {
        if (!(e as { errnoName?: string }).errnoName) throw e;
        refused++;
      }
    }
    console.log(`random ${kind} programs: ${t.compared} compared, ${refused} refused by the kernel's verifier, ${t.mismatches.length} mismatches`);
    expect(t.mismatches.slice(0, 5), `${t.compared} compared`).toEqual([]);
    expect(refused).toBeLessThan(RUNS * 0.05);
  });
});
