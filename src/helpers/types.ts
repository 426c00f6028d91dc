import type { Arena } from '../arena/index.js';
import type { MapRegistry } from '../maps/index.js';
import type { HelperProto } from './proto.js';
import type { SimTask } from './task.js';
import type { TimerQueue } from './timerQueue.js';

/** Where a tracing program is attached, as `bpf_get_func_ip` and `bpf_get_attach_cookie` report it. */
export interface AttachPoint {
  /** Address of the probed function (kprobe, fentry); 0 where there is none. */
  funcIp: bigint;
  /** The BPF cookie the link was created with (0 by default). */
  cookie: bigint;
}

/**
 * What a helper may use of the Machine that runs it. The VM implements it; helpers see only this,
 * so the helper layer does not depend on the VM.
 */
export interface HelperEnv {
  /** The Machine's memory; BPF pointers passed to helpers are offsets into it. */
  readonly arena: Arena;
  /** Current virtual time in nanoseconds. */
  nowNs(): bigint;
  /** The next value of the Machine's seeded pseudo-random generator. */
  randomU32(): number;
  /** Appends a line to the Machine's trace buffer (what `trace_pipe` shows on Linux). */
  trace(line: string): void;
  /** The Machine's maps, found by the pointer programs hold (map helpers need them). */
  readonly maps?: MapRegistry;
  /** The simulated current task (`current`): ids, comm, `task_struct`, user memory and stacks. */
  readonly task?: SimTask;
  /** Where the running program is attached (tracing helpers). */
  readonly attach?: AttachPoint;
  /** The BPF timers of the Machine, which its virtual clock drives. */
  readonly timers?: TimerQueue;
}

/** A BPF function of a loaded program, callable after the run that made it (a timer callback). */
export type DeferredCall = (a1: number, a2: number, a3: number, a4: number, a5: number) => number;

/**
 * One helper invocation: the registers of the calling frame as 32-bit halves (`lo[i]`, `hi[i]` for
 * r0..r10), the CPU the program runs on and the Machine's services.
 */
export interface HelperCall {
  /** Low halves of r0..r10. */
  readonly lo: Int32Array;
  /** High halves of r0..r10. */
  readonly hi: Int32Array;
  /** Index of the simulated CPU running the program. */
  readonly cpu: number;
  /** The Machine's services. */
  readonly env: HelperEnv;
  /**
   * Calls the BPF function `fn` (a callback value, from LD_IMM64 src 4) with r1..r5 and returns
   * its r0, as bpf_loop and bpf_for_each_map_elem do. It clobbers r0..r5 of the calling frame, so
   * read the helper's arguments first. Engines without callbacks leave it undefined.
   */
  invoke?(fn: number, a1: number, a2: number, a3: number, a4: number, a5: number): number;
  /**
   * A handle that runs the BPF function `fn` of the running program later, outside this run, on
   * the same engine (bpf_timer_set_callback keeps one). Engines without it leave it undefined.
   */
  defer?(fn: number): DeferredCall;
}

/**
 * A helper's implementation: reads its arguments from r1..r5 and returns r0, as a safe integer
 * (negative values are sign-extended to 64 bits, e.g. `-2` for -ENOENT) or a bigint (taken modulo 2^64).
 */
export type HelperImpl = (call: HelperCall) => number | bigint;

/** A helper known to bpfsim: its kernel id, name and implementation. */
export interface HelperDef {
  /** The kernel's helper id (`BPF_FUNC_*`). */
  readonly id: number;
  /** The kernel's name, e.g. `bpf_ktime_get_ns`. */
  readonly name: string;
  /** What it does at run time. */
  readonly impl: HelperImpl;
  /** Its prototype, as the kernel's `bpf_func_proto` gives it (what a verifier checks). */
  readonly proto?: HelperProto;
}
