/**
 * A path's jump history (push_jmp_history): between two checkpoints, the verifier records every
 * non-linear step (an instruction reached other than from the one before it: jump targets, the
 * instruction after a call, callbacks), every spill to and fill from a stack slot, comparisons of
 * stack pointers, and the scalars a comparison linked. Backtracking (precision.ts) walks a segment
 * backwards through it. Entries for the same instruction are merged, as one instruction may record
 * both a read and a write of the same slot (atomics).
 */
import type { Env } from './env.js';
import type { HistEntry, LinkedReg } from './state.js';

/** What an instruction adds to the history. */
export interface HistFlags {
  /** A spill or fill of this stack slot (-1: none). */
  readonly stackSpi?: number;
  /** ... in this frame. */
  readonly stackFrame?: number;
  /** A comparison's source register was a stack pointer. */
  readonly srcStack?: boolean;
  /** A comparison's destination register was a stack pointer. */
  readonly dstStack?: boolean;
  /** Scalars a comparison linked. */
  readonly linked?: readonly LinkedReg[];
}

/** Records the current instruction in the current path's history, merging with its earlier entry. */
export function pushHistory(env: Env, flags: HistFlags = {}): void {
  const st = env.st;
  const at = env.curHistIdx;
  if (at >= 0 && at < st.history.length && st.history[at]!.idx === env.insnIdx) {
    const e = st.history[at]!;
    st.history[at] = {
      idx: e.idx, prev: e.prev, stackSpi: flags.stackSpi ?? e.stackSpi, stackFrame: flags.stackFrame ?? e.stackFrame,
      srcStack: e.srcStack || (flags.srcStack ?? false), dstStack: e.dstStack || (flags.dstStack ?? false),
      linked: flags.linked ?? e.linked,
    };
    return;
  }
  const e: HistEntry = {
    idx: env.insnIdx, prev: env.prevInsnIdx, stackSpi: flags.stackSpi ?? -1, stackFrame: flags.stackFrame ?? 0,
    srcStack: flags.srcStack ?? false, dstStack: flags.dstStack ?? false, linked: flags.linked ?? null,
  };
  env.curHistIdx = st.history.length;
  st.history.push(e);
}

/** A spill or fill of slot `spi` of frame `frame` by the current instruction. */
export function pushStackAccess(env: Env, frame: number, spi: number): void {
  pushHistory(env, { stackSpi: spi, stackFrame: frame });
}
