import type { Program } from './program.js';

/** Options of a raw (uBPF-style) run. */
export interface RawRunOptions {
  /** Input memory; r1 points at a copy of it, r2 holds its length (default empty). */
  readonly mem?: Uint8Array;
  /** Engine name (default `interp`). */
  readonly engine?: string;
  /** Bounds-check every access (default true: raw programs are unverified). */
  readonly checked?: boolean;
  /** Instruction budget per run (default 100,000,000). */
  readonly budget?: number;
  /** Runs to time; the result is from the last (default 1). */
  readonly repeat?: number;
  /** Simulated CPU (default 0). */
  readonly cpu?: number;
  /** Helper id after which r0 == 0 ends the program (uBPF's unwind; default none). */
  readonly unwindHelper?: number;
}

/** What a raw run returns. */
export interface RawRunResult {
  /** r0 at exit, unsigned. */
  readonly r0: bigint;
  /** Instructions executed in the last run (0 for engines that do not count). */
  readonly insns: number;
  /** The input memory as the program left it. */
  readonly mem: Uint8Array;
  /** Wall-clock nanoseconds per run, averaged over `repeat` runs. */
  readonly nsPerRun: number;
}

/** Default instruction budget of one run. */
export const DEFAULT_BUDGET = 100_000_000;

/** Runs a program on raw input memory, as uBPF and the bpf_conformance suite do. */
export function runRaw(prog: Program, opts: RawRunOptions): RawRunResult {
  const m = prog.machine;
  const mem = opts.mem ?? new Uint8Array(0);
  const region = m.arena.alloc(mem.length, 'input', 'input');
  try {
    m.arena.write(region.start, mem);
    const x = prog.executable(opts.engine ?? 'interp', opts.checked ?? true);
    const args = new Int32Array(10);
    args[0] = mem.length === 0 ? 0 : region.start;
    args[2] = mem.length;
    const run = {
      cpu: opts.cpu ?? 0,
      budget: opts.budget ?? DEFAULT_BUDGET,
      packet: { start: region.start, len: mem.length },
      unwindHelper: opts.unwindHelper ?? -1,
    };
    const repeat = Math.max(1, opts.repeat ?? 1);
    const t0 = performance.now();
    let r = x.exec(args, run);
    for (let i = 1; i < repeat; i++) r = x.exec(args, run);
    const ns = ((performance.now() - t0) * 1e6) / repeat;
    m.arena.refresh();
    return {
      r0: (BigInt(r.r0hi >>> 0) << 32n) | BigInt(r.r0lo >>> 0),
      insns: r.insns,
      mem: m.arena.read(region.start, mem.length),
      nsPerRun: ns,
    };
  } finally {
    m.arena.release(region);
  }
}
