import { MAX_CALL_FRAMES } from '../isa/index.js';

/**
 * Byte offsets in an executable's scratch area: a small unmapped region of the arena through which
 * the Executable and its module talk without BigInt or extra calls. The Executable writes the
 * arguments, frame tops, packet and budget before a run; the module writes r0 (and what is left of
 * the budget) before it returns; helpers see r1..r5 and return r0 through `lo`/`hi`; a tail call
 * hands the registers over to the target's scratch area and gets r0..r5 back through `regs`.
 */
export const IO = {
  /** r0..r10 as eleven little-endian i64: r1..r5 in and r0 out of a run, every register in and r0..r5 out of a tail call. */
  regs: 0,
  /** Checked mode: the instruction budget in, what is left of it out (i64). */
  left: 88,
  /** Packet start (i32) for LD_ABS/LD_IND; its length follows at +4. */
  packet: 96,
  /** r10 of each call depth on the CPU of the run (MAX_CALL_FRAMES × i32). */
  frames: 104,
  /** Checked mode: entries in use in the region cache (i32). */
  tableLen: 136,
  /** Checked mode: non-zero when the region cache lost or changed an entry since the module last looked (i32). */
  dirty: 140,
  /** The run's unwind helper id, or -1 (i32): an inlined map lookup returning NULL honours it. */
  unwind: 144,
  /** The may_goto counter of the frame a tail call replaces, which the target goes on counting (i32). */
  mayGoto: 148,
  /** `HelperCall.lo`: low halves of r0..r15 (16 × i32). */
  lo: 152,
  /** `HelperCall.hi`: high halves of r0..r15 (16 × i32). */
  hi: 216,
  /** Checked mode: the region cache, TABLE_ENTRIES × (start, size, writable, 0) i32. */
  table: 280,
  /** Bytes in all. */
  size: 792,
} as const;

/** Entries of the region cache; the first MAX_CALL_FRAMES are the stack frames of the run's CPU. */
export const TABLE_ENTRIES = 32;
/** Region-cache entries that stay valid for every run on a CPU: its stack frames. */
export const STACK_ENTRIES = MAX_CALL_FRAMES;
/** Bytes per region-cache entry. */
export const ENTRY_BYTES = 16;

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

/** What `helperx` returns besides a helper's unwind flag (0 or 1): a tail call was taken, r0..r5 are in `regs`. */
export const TAIL_TAKEN = 2;
