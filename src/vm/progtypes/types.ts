import type { Arena } from '../../arena/index.js';
import type { ClonedPacket, RedirectInfo, RedirectTarget } from '../../helpers/packet.js';
import type { Insn } from '../../isa/index.js';
import type { TestRunOptions } from '../backend.js';
import type { MachineNet } from '../net/machineNet.js';

/** What a runner needs of the program it lays a run out for. */
export interface RunProgram {
  /** `BPF_PROG_TYPE_*`. */
  readonly type: number;
  /** `expected_attach_type`. */
  readonly expectedAttachType: number;
  /** Loaded with `BPF_F_XDP_HAS_FRAGS`. */
  readonly xdpHasFrags: boolean;
  /** Its instructions (for the context size a program reads). */
  readonly insns: readonly Insn[];
}

/** Where a redirect verdict sends the packet: a `bpf_redirect*` target, or back out of the ingress device (XDP_TX). */
export type RedirectOutcome = RedirectTarget | { readonly kind: 'tx'; readonly ifindex: number };

/** `test`: `BPF_PROG_TEST_RUN` as the kernel does it; `run`: bpfsim's direct run on a given context. */
export type RunMode = 'test' | 'run';

/** What a run produced beyond r0. */
export interface RunOutput {
  /** Data out. */
  readonly data: Uint8Array;
  /** Context out. */
  readonly ctx: Uint8Array;
  /** Where the packet goes, when the verdict is a redirect (or XDP_TX). */
  readonly redirect?: RedirectOutcome;
  /** Copies `bpf_clone_redirect` sent during the run. */
  readonly clones?: readonly ClonedPacket[];
}

/** A test run's context and packet, laid out in the arena, ready for the program. */
export interface RunSetup {
  /** r1: the context pointer (or the input for types without a context). */
  readonly ctxAddr: number;
  /** The packet LD_ABS/LD_IND read (updated in place when helpers move it). */
  readonly packet: { start: number; len: number };
  /** What the kernel reports without running the program (tracing test runs, which only call attached programs). */
  readonly fixedRetval?: number;
  /** Resets per-run state before each repetition (flow dissector keys). */
  beforeEach?(): void;
  /**
   * Data out, context out and where the packet goes after the runs, given the last return value
   * and the CPU's redirect state; throws the kernel's errno (ENOSPC, EBADMSG).
   */
  finish(opts: TestRunOptions, retval: number, ri: RedirectInfo): RunOutput;
  /** Frees what the setup allocated. */
  release(): void;
}

/** The parts of a Machine runners use. */
export interface RunnerHost {
  /** The memory. */
  readonly arena: Arena;
  /** Devices, sockets, contexts, redirect state. */
  readonly net: MachineNet;
}

/** What a Machine needs to know about one program type to run it as the kernel does. */
export interface ProgTypeRunner {
  /** The `BPF_PROG_TYPE_*` value. */
  readonly type: number;
  /** The kernel's name without prefix, lowercase (`xdp`). */
  readonly name: string;
  /** Whether Linux has `BPF_PROG_TEST_RUN` for the type (it answers ENOTSUPP otherwise; `run` still works on bpfsim). */
  readonly testRun: boolean;
  /**
   * Validates the options as `BPF_PROG_TEST_RUN` does (throwing its errno) and lays out the run;
   * `run` mode (bpfsim's direct runs) always executes the program on the context given.
   */
  setup(opts: TestRunOptions, prog: RunProgram, mode: RunMode): RunSetup;
}
