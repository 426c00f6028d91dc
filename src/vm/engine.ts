import type { Insn } from '../isa/index.js';

/** A program ready for an engine: linked instruction slots with every pseudo-immediate resolved. */
export interface ProgramImage {
  /** The program's name (its ELF symbol, or what the user called it). */
  readonly name: string;
  /** Validated instruction slots. */
  readonly insns: readonly Insn[];
}

/** Per-run options of `Executable.exec`. */
export interface ExecOptions {
  /** Simulated CPU to run on (selects its stack and per-CPU data). */
  cpu: number;
  /** Stop with a `budget` fault after this many instructions. */
  budget: number;
  /** Packet that LD_ABS/LD_IND read: arena offset and length. */
  packet: { start: number; len: number };
  /** A helper id after which r0 == 0 ends the program (uBPF's unwind convention), or -1. */
  unwindHelper: number;
}

/** The result of one run, reused between runs to avoid allocation. */
export interface ExecResult {
  /** Low half of r0 at exit. */
  r0lo: number;
  /** High half of r0 at exit. */
  r0hi: number;
  /** Instructions executed (counted by engines that count; 0 otherwise). */
  insns: number;
}

/** A program prepared by one engine for repeated runs on one Machine. */
export interface Executable {
  /** Name of the engine that prepared it. */
  readonly engine: string;
  /** The program it runs. */
  readonly image: ProgramImage;
  /** Whether every memory access is bounds-checked against the region table. */
  readonly checked: boolean;
  /** Runs from the entry with r1..r5 from `args` (lo, hi pairs) and returns r0; throws `VmFault`. */
  exec(args: Int32Array, opts: ExecOptions): ExecResult;
}

/** A way of running BPF code: the interpreter, the WebAssembly JIT. Engines share the Machine's arena. */
export interface Engine<M = unknown> {
  /** Short name used by the CLI and in results (`interp`, `jit`). */
  readonly name: string;
  /** Prepares `image` for runs on `machine`. */
  prepare(machine: M, image: ProgramImage, opts: { checked: boolean }): Executable;
}
