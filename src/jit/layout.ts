import { MAX_CALL_FRAMES } from '../isa/index.js';

/**
 * Byte offsets in an executable's scratch area: a small unmapped region of the arena through which
 * the Executable and its module talk without BigInt or extra calls. The Executable writes the
 * arguments, frame tops, packet and budget before a run; the module writes r0 (and what is left of
 * the budget) before it returns; helpers see r1..r5 and return r0 through `lo`/`hi`.
 */
export const IO = {
  /** r1..r5 at entry, as five little-endian i64 (the `args` Int32Array of `exec`, copied). */
  args: 0,
  /** r0 at exit (i64). */
  r0: 40,
  /** Checked mode: the instruction budget in, what is left of it out (i64). */
  left: 48,
  /** Packet start (i32) for LD_ABS/LD_IND; its length follows at +4. */
  packet: 56,
  /** r10 of each call depth on the CPU of the run (MAX_CALL_FRAMES × i32). */
  frames: 64,
  /** Checked mode: entries in use in the region cache (i32). */
  tableLen: 96,
  /** Checked mode: non-zero when the region cache lost or changed an entry since the module last looked (i32). */
  dirty: 100,
  /** `HelperCall.lo`: low halves of r0..r15 (16 × i32). */
  lo: 104,
  /** `HelperCall.hi`: high halves of r0..r15 (16 × i32). */
  hi: 168,
  /** Checked mode: the region cache, TABLE_ENTRIES × (start, size, writable, 0) i32. */
  table: 232,
  /** Bytes in all. */
  size: 744,
} as const;

/** Entries of the region cache; the first MAX_CALL_FRAMES are the stack frames of the run's CPU. */
export const TABLE_ENTRIES = 32;
/** Region-cache entries that stay valid for every run on a CPU: its stack frames. */
export const STACK_ENTRIES = MAX_CALL_FRAMES;
/** Bytes per region-cache entry. */
export const ENTRY_BYTES = 16;

/** The kernel's BPF_MAX_LOOPS: may_goto falls through this many times per frame (the interpreter's MAY_GOTO_BUDGET). */
export const MAY_GOTO_BUDGET = 8 * 1024 * 1024;

/** What the exported `run` returns: the program exited (r0 is in the scratch area). Tail calls will add a status here. */
export const STATUS_EXIT = 0;

/** Reasons the module calls its `fault` import with: (reason, pc, argument). */
export const Fault = {
  /** The budget ran out in the block starting at pc; argument: instructions left when the block was entered. */
  budget: 1,
  /** A bpf-to-bpf call from depth `argument` would exceed MAX_CALL_FRAMES. */
  callDepth: 2,
  /** Helper `argument` is not defined. */
  unknownHelper: 3,
  /** kfunc `argument` was called. */
  kfunc: 4,
  /** LD_ABS/LD_IND failed inside a BPF function. */
  ldAbsInCall: 5,
  /** Execution ran past the last instruction. */
  offEnd: 6,
} as const;
