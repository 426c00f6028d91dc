import { MAX_CALL_FRAMES } from '../isa/index.js';

/** Words saved per call frame: return pc, r6..r9 (lo, hi), r10 (lo, hi). */
export const FRAME_WORDS = 11;
/** The return pc of a frame pushed by a helper calling back into BPF code (bpf_loop and friends). */
export const CALLBACK_RETURN = -1;
/** The kernel's `MAX_TAIL_CALL_CNT`. */
export const MAX_TAIL_CALL_CNT = 33;
/** The kernel's `BPF_MAX_LOOPS`: how many times `may_goto` falls through per frame before it jumps. */
export const MAY_GOTO_BUDGET = 8 * 1024 * 1024;

/** How `interpret` returned. */
export const STOP_EXIT = 0;
/** The instruction budget ran out before the instruction at `pc`. */
export const STOP_BUDGET = 1;
/** A breakpoint was reached at `pc` (not yet executed). */
export const STOP_BREAK = 2;

/**
 * The complete state of one interpreted run: registers as 32-bit halves, pc, call frames and the
 * instruction count. A stopped run (budget or breakpoint) resumes from exactly this state.
 */
export class InterpState {
  /** Index of the next instruction to execute. */
  pc = 0;
  /** Current call depth (0 = the main program). */
  depth = 0;
  /** Instructions executed so far. */
  count = 0;
  /** Stop before executing instruction number `budget + 1`. */
  budget = 0;
  /** Low halves of r0..r10 (slots 11..15 absorb invalid register numbers in unverified code). */
  readonly lo = new Int32Array(16);
  /** High halves of r0..r10. */
  readonly hi = new Int32Array(16);
  /** Saved caller state per frame, FRAME_WORDS each. */
  readonly frames = new Int32Array(MAX_CALL_FRAMES * FRAME_WORDS);
  /** Remaining `may_goto` fall-throughs per frame. */
  readonly mayGoto = new Int32Array(MAX_CALL_FRAMES);
  /** The code each saved frame returns into (a tail call in a BPF function changes the code of its frame only). */
  readonly codes: (Int32Array | undefined)[] = new Array(MAX_CALL_FRAMES).fill(undefined);
  /** Tail calls taken in this run (Linux allows 33). */
  tailCalls = 0;
  /** Scratch for 64-bit arithmetic results. */
  readonly tmp = new Int32Array(4);

  /** Resets to the start of a run with the given r10 and budget; r0..r9 are zeroed. */
  reset(fpLo: number, budget: number): void {
    this.pc = 0;
    this.depth = 0;
    this.count = 0;
    this.budget = budget;
    this.lo.fill(0);
    this.hi.fill(0);
    this.lo[10] = fpLo;
    this.mayGoto[0] = MAY_GOTO_BUDGET;
    this.tailCalls = 0;
  }
}
