import type { TestRunOptions, TestRunResult } from './backend.js';
import type { Executable } from './engine.js';
import type { MachineNet } from './net/machineNet.js';
import type { ProgTypeRunner, RunMode, RunProgram } from './progtypes/types.js';

/** Where and how long a test run may execute. */
export interface TestRunLimits {
  /** Simulated CPU. */
  readonly cpu: number;
  /** Instruction budget per run. */
  readonly budget: number;
}

/**
 * `BPF_PROG_TEST_RUN` on the simulator (or, in `run` mode, bpfsim's direct run): lays out the
 * context and packet the way the program type's runner says, runs the program `repeat` times on
 * them (as Linux does, later runs see what earlier runs changed), and returns r0's low 32 bits,
 * data out, context out and, for redirect verdicts, where the packet would go.
 */
export function testRun(
  exe: Executable, runner: ProgTypeRunner, prog: RunProgram, opts: TestRunOptions, limits: TestRunLimits, net: MachineNet, mode: RunMode = 'test',
): TestRunResult {
  const setup = runner.setup(opts, prog, mode);
  try {
    net.enter(limits.cpu, setup.ctxAddr);
    const ri = net.redirectInfo(limits.cpu);
    ri.target = undefined;
    ri.clones.length = 0;
    const args = new Int32Array(10);
    args[0] = setup.ctxAddr;
    const run = { cpu: limits.cpu, budget: limits.budget, packet: setup.packet, unwindHelper: -1 };
    const repeat = Math.max(1, opts.repeat ?? 1);
    const t0 = performance.now();
    let retval = setup.fixedRetval ?? 0;
    let insns = 0;
    if (setup.fixedRetval === undefined) {
      for (let i = 0; i < repeat; i++) {
        setup.beforeEach?.();
        const r = exe.exec(args, run);
        retval = r.r0lo >>> 0;
        insns = r.insns;
      }
    }
    const durationNs = ((performance.now() - t0) * 1e6) / repeat;
    const out = setup.finish(opts, retval, ri);
    return {
      retval, data: out.data, ctx: out.ctx, durationNs, ...(insns > 0 ? { insns } : {}),
      ...(out.redirect ? { redirect: out.redirect } : {}), ...(out.clones ? { clones: out.clones } : {}),
    };
  } finally {
    net.enter(limits.cpu, undefined);
    setup.release();
  }
}
