import type { TestRunOptions } from '../backend.js';

/** A test run's context and packet, laid out in the arena, ready for the program. */
export interface RunSetup {
  /** r1: the context pointer (or the input for types without a context). */
  readonly ctxAddr: number;
  /** The packet LD_ABS/LD_IND read. */
  readonly packet: { start: number; len: number };
  /** Data out and context out after the run; throws ENOSPC like the kernel when they do not fit. */
  finish(opts: TestRunOptions): { data: Uint8Array; ctx: Uint8Array };
  /** Frees what the setup allocated. */
  release(): void;
}

/** What a Machine needs to know about one program type to test-run it as the kernel does. */
export interface ProgTypeRunner {
  /** The `BPF_PROG_TYPE_*` value. */
  readonly type: number;
  /** The kernel's name without prefix, lowercase (`xdp`). */
  readonly name: string;
  /** Validates the options as `BPF_PROG_TEST_RUN` does (throwing its errno) and lays out the run. */
  setup(opts: TestRunOptions): RunSetup;
}
