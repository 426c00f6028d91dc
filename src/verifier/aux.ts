/**
 * What the verifier knows about each instruction before exploring paths (the kernel's
 * insn_aux_data as check_cfg fills it): where states are compared (prune points: jump targets,
 * conditional jumps, the instruction after a call, calls into subprograms), where a checkpoint is
 * always taken (may_goto, iterator next calls, callback-calling helpers), where a path may arrive
 * from somewhere other than the instruction before (jump points, recorded in the jump history),
 * which calls run callbacks, each instruction's successors, each function's instructions in
 * postorder, and which loop (strongly connected component) each instruction belongs to.
 */
import {
  BPF_CALL, BPF_EXIT, BPF_JA, BPF_JCOND, BPF_JMP, BPF_JMP32, BPF_PSEUDO_CALL, BPF_PSEUDO_FUNC, BPF_PSEUDO_KFUNC_CALL,
  LD_IMM64, insnClass, insnOp, type Insn,
} from '../isa/index.js';
import { computeScc } from './scc.js';

/** Helpers that call a BPF function synchronously (is_sync_callback_calling_function). */
export const SYNC_CALLBACK_HELPERS: ReadonlySet<number> = new Set([164, 180, 181, 209]);
/** Helpers that arrange an asynchronous callback (bpf_timer_set_callback). */
export const ASYNC_CALLBACK_HELPERS: ReadonlySet<number> = new Set([170]);

/** Per-instruction facts. */
export interface Aux {
  /** States are compared and kept here. */
  readonly prunePoint: Uint8Array;
  /** A checkpoint is always taken here. */
  readonly forceCheckpoint: Uint8Array;
  /** Paths may arrive here from elsewhere than the previous instruction. */
  readonly jmpPoint: Uint8Array;
  /** A call that runs a callback. */
  readonly callsCallback: Uint8Array;
  /** A call of an iterator's next kfunc. */
  readonly iterNext: Uint8Array;
  /** First successor (-1: none; -2: the second half of an LD_IMM64). */
  readonly succ1: Int32Array;
  /** Second successor, -1 for none. */
  readonly succ2: Int32Array;
  /** Each subprogram's instructions in postorder. */
  readonly postorder: readonly (readonly number[])[];
  /** Loop id of each instruction, 0 outside loops. */
  readonly scc: Int32Array;
}

/** Computes the per-instruction facts; `isIterNext(imm)` says whether a kfunc call is an iterator's next. */
export function computeAux(insns: readonly Insn[], subprogs: readonly number[], isIterNext: (imm: number) => boolean): Aux {
  const n = insns.length;
  const prunePoint = new Uint8Array(n + 1);
  const forceCheckpoint = new Uint8Array(n + 1);
  const jmpPoint = new Uint8Array(n + 1);
  const callsCallback = new Uint8Array(n + 1);
  const iterNext = new Uint8Array(n + 1);
  const succ1 = new Int32Array(n).fill(-1);
  const succ2 = new Int32Array(n).fill(-1);
  const branch = (w: number): void => { prunePoint[w] = 1; jmpPoint[w] = 1; };
  for (let t = 0; t < n; t++) {
    const ins = insns[t]!;
    if (ins.code === LD_IMM64) {
      succ1[t] = t + 2;
      if (t + 1 < n) succ1[t + 1] = -2;
      if (ins.src === BPF_PSEUDO_FUNC) {
        prunePoint[t + 2] = 1; jmpPoint[t + 2] = 1; prunePoint[t] = 1;
        branch(t + ins.imm + 1);
      }
      t++;
      continue;
    }
    const cls = insnClass(ins.code);
    if (cls !== BPF_JMP && cls !== BPF_JMP32) { succ1[t] = t + 1; continue; }
    const op = insnOp(ins.code);
    if (op === BPF_EXIT) continue;
    if (op === BPF_CALL) {
      succ1[t] = t + 1;
      if (ins.src === 0 && ASYNC_CALLBACK_HELPERS.has(ins.imm)) prunePoint[t] = 1;
      if (ins.src === 0 && SYNC_CALLBACK_HELPERS.has(ins.imm)) {
        callsCallback[t] = 1; forceCheckpoint[t] = 1; prunePoint[t] = 1; jmpPoint[t] = 1;
      }
      if (ins.src === BPF_PSEUDO_KFUNC_CALL && isIterNext(ins.imm)) { iterNext[t] = 1; prunePoint[t] = 1; forceCheckpoint[t] = 1; }
      prunePoint[t + 1] = 1; jmpPoint[t + 1] = 1;
      if (ins.src === BPF_PSEUDO_CALL) { prunePoint[t] = 1; branch(t + ins.imm + 1); }
      continue;
    }
    if (op === BPF_JA) {
      const w = t + 1 + (cls === BPF_JMP32 ? ins.imm : ins.off);
      succ1[t] = w;
      branch(w);
      continue;
    }
    prunePoint[t] = 1;
    if (op === BPF_JCOND) forceCheckpoint[t] = 1;
    succ1[t] = t + 1;
    succ2[t] = t + ins.off + 1;
    branch(t + ins.off + 1);
  }
  const postorder = subprogs.map((start) => {
    const order: number[] = [];
    const state = new Uint8Array(n);
    const stack = [start];
    while (stack.length) {
      const top = stack[stack.length - 1]!;
      state[top] |= 1;
      if (state[top]! & 2) { order.push(top); stack.pop(); continue; }
      for (const s of [succ1[top]!, succ2[top]!]) if (s >= 0 && !state[s]) { stack.push(s); state[s] |= 1; }
      state[top] |= 2;
    }
    return order;
  });
  return { prunePoint, forceCheckpoint, jmpPoint, callsCallback, iterNext, succ1, succ2, postorder, scc: computeScc(succ1, succ2, n) };
}
