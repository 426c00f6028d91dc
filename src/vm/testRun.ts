import type { TestRunOptions, TestRunResult } from './backend.js';
import type { Executable } from './engine.js';
import type { ProgTypeRunner } from './progtypes/types.js';

/** Where and how long a test run may execute. */
export interface TestRunLimits {
  /** Simulated CPU. */
  readonly cpu: number;
  /** Instruction budget per run. */
  readonly budget: number;
}

/**
 * `BPF_PROG_TEST_RUN` on the simulator: lays out the context and packet the way the program
 * type's runner says, runs the program `repeat` times on them (as Linux does, later runs see what
 * earlier runs changed), and returns r0's low 32 bits, data out and context out.
 */
export function testRun(exe: Executable, runner: ProgTypeRunner, opts: TestRunOptions, limits: TestRunLimits): TestRunResult {
  const setup = runner.setup(opts);
  try {
    const args = new Int32Array(10);
    args[0] = setup.ctxAddr;
    const run = { cpu: limits.cpu, budget: limits.budget, packet: setup.packet, unwindHelper: -1 };
    const repeat = Math.max(1, opts.repeat ?? 1);
    const t0 = performance.now();
    let r = exe.exec(args, run);
    for (let i = 1; i < repeat; i++) r = exe.exec(args, run);
    const durationNs = ((performance.now() - t0) * 1e6) / repeat;
    const { data, ctx } = setup.finish(opts);
    return { retval: r.r0lo >>> 0, data, ctx, durationNs, ...(r.insns > 0 ? { insns: r.insns } : {}) };
  } finally {
    setup.release();
  }
}
