/**
 * Checkpoints and pruning (is_state_visited, clean_live_states, update_branch_counts, Linux 6.18).
 * At a prune point the current state is compared with the checkpoints kept there: one whose paths
 * are all verified and that covers the current state (equal.ts) ends this path, and what that
 * checkpoint needed precise becomes needed on this path too. A checkpoint still on the current path
 * means a loop: with an iterator, may_goto or a callback the loop has converged when the states
 * match by range; otherwise an identical state is an infinite loop. Checkpoints are kept at most
 * every 8 instructions and 2 jumps (always where forced), sparser inside loops, and forgotten when
 * they keep missing; once all their paths are verified, registers and stack slots nobody reads any
 * more are cleared from them.
 */
import { BPF_JCOND, BPF_JMP } from '../isa/index.js';
import { ERRNO } from '../errno.js';
import type { Env } from './env.js';
import { Exact, iterDepthsDiffer, statesEqual, statesMaybeLooping } from './equal.js';
import { fail } from './log.js';
import { markAllScalarsImprecise, propagatePrecision } from './precision.js';
import { markNotInit } from './regState.js';
import { pushHistory } from './history.js';
import { Slot, type VerifierState, formatState } from './state.js';

interface Entry {
  readonly state: VerifierState;
  hit: number;
  miss: number;
}

/** The checkpoints of one verification (env->explored_states), with the walk's statistics. */
export class Explored {
  private readonly buckets: (Entry[] | undefined)[];
  /** Checkpoints kept in all. */
  totalStates = 0;
  /** Checkpoints kept at once, at most. */
  peakStates = 0;
  /** Most checkpoints compared at one instruction. */
  maxStatesPerInsn = 0;
  private live = 0;
  /** 2^32 modulo the bucket count, to reduce a negative hash as its unsigned 32-bit value. */
  private readonly wrap: number;

  constructor(private readonly env: Env) {
    this.buckets = new Array<Entry[] | undefined>(env.insns.length);
    this.wrap = 4294967296 % env.insns.length;
  }

  /** free_states between two walks (a global subprogram's after the main program's): the checkpoints go, the statistics stay. */
  reset(): void {
    this.buckets.fill(undefined);
  }

  /**
   * explored_state: the list for instruction `idx` in the current frame's call chain, bucket
   * `(u32)(idx ^ callsite) % n`. The hash is negative in the main program (callsite -1), and is
   * reduced in small integers: the unsigned value as a double would make `%` a slow float modulo.
   */
  private bucket(idx: number): Entry[] {
    const n = this.env.insns.length;
    const h = idx ^ this.env.st.cur.callsite;
    let k = h % n;
    if (h < 0) {
      k += this.wrap;
      if (k < 0) k += n;
      else if (k >= n) k -= n;
    }
    return (this.buckets[k] ??= []);
  }

  /** clean_verifier_state: clears what nobody reads any more from a checkpoint whose paths are all verified. */
  private clean(st: VerifierState): void {
    const env = this.env;
    env.liveness.queryInit(st);
    st.cleaned = true;
    for (let i = 0; i < st.frames.length; i++) {
      const f = st.frames[i]!;
      const live = env.liveAt(st.frameInsn(i));
      for (let r = 0; r < 10; r++) if (!((live >> r) & 1)) markNotInit(f.regs[r]!);
      for (let spi = 0; spi < f.allocatedStack / 8; spi++) {
        if (env.liveness.slotAlive(f.frameno, spi)) continue;
        if (f.spilled[spi]) markNotInit(f.spilled[spi]!);
        f.slotType.fill(Slot.INVALID, spi * 8, spi * 8 + 8);
      }
    }
  }

  private cleanLiveStates(list: Entry[], idx: number, cur: VerifierState): void {
    for (const e of list) {
      const s = e.state;
      if (s.branches || s.insnIdx !== idx || !s.sameCallsites(cur) || s.cleaned) continue;
      if (this.env.scc.incomplete(s)) continue;
      this.clean(s);
    }
  }

  /** find_prev_entry: the checkpoint at `idx` on the current path nearest to `cur` (the previous loop iteration). */
  findPrevEntry(cur: VerifierState, idx: number): VerifierState | null {
    const list = this.bucket(idx);
    for (let i = list.length - 1; i >= 0; i--) {
      const s = list[i]!.state;
      if (s.insnIdx === idx && s.branches && s.sameCallsites(cur) && s.dfsDepth < cur.dfsDepth) return s;
    }
    return null;
  }

  private iterActive(cur: VerifierState): boolean {
    const r1 = cur.cur.regs[1]!;
    const f = cur.frames[r1.frameno]!;
    const spi = (-(r1.off + r1.s.vlo) - 1) >> 3;
    return f.spilled[spi]?.iterState === 1;
  }

  /** is_state_visited: true when the current path can stop at `idx`. */
  visit(idx: number): boolean {
    const env = this.env;
    const cur = env.st;
    const force = env.aux.forceCheckpoint[idx] === 1 || cur.history.length > 40;
    let addNew = force || (env.jmpsProcessed - env.prevJmpsProcessed >= 2 && env.insnProcessed - env.prevInsnProcessed >= 8);
    const list = this.bucket(idx);
    this.cleanLiveStates(list, idx, cur);
    const mayGoto = env.insns[idx]!.code === (BPF_JMP | BPF_JCOND);
    let count = 0;
    for (let i = list.length - 1; i >= 0; i--) {
      const e = list[i]!;
      const old = e.state;
      count++;
      if (old.insnIdx !== idx) continue;
      let loop = false;
      let hit = false;
      if (old.branches) {
        let check = true;
        if (env.aux.iterNext[idx]) {
          if (statesEqual(env, old, cur, Exact.RANGE_WITHIN) && this.iterActive(cur)) { loop = true; hit = true; }
          check = false;
        } else if (mayGoto && old.mayGotoDepth !== cur.mayGotoDepth && statesEqual(env, old, cur, Exact.RANGE_WITHIN)) {
          loop = true; hit = true;
        } else if (env.aux.callsCallback[idx]) {
          hit = statesEqual(env, old, cur, Exact.RANGE_WITHIN);
          check = false;
        }
        if (!hit && check && statesMaybeLooping(old, cur) && statesEqual(env, old, cur, Exact.EXACT) && !iterDepthsDiffer(old, cur) &&
            old.mayGotoDepth === cur.mayGotoDepth && old.callbackUnrollDepth === cur.callbackUnrollDepth) {
          fail(ERRNO.EINVAL, `infinite loop detected at insn ${idx}\ncur state:${formatState(cur, env.opts.kernelTypes)}\nold state:${formatState(old, env.opts.kernelTypes)}`);
        }
        if (!hit && !force && env.jmpsProcessed - env.prevJmpsProcessed < 20 && env.insnProcessed - env.prevInsnProcessed < 100) addNew = false;
      } else {
        loop = env.scc.incomplete(old);
        hit = statesEqual(env, old, cur, loop ? Exact.RANGE_WITHIN : Exact.NOT_EXACT);
      }
      if (hit) {
        e.hit++;
        if (env.aux.jmpPoint[env.insnIdx]) pushHistory(env);
        propagatePrecision(env, old, cur);
        if (loop) {
          const back = cur.clone();
          back.equalState = old;
          back.insnIdx = idx;
          env.scc.addBackedge(old, back);
        }
        return true;
      }
      if (addNew) e.miss++;
      const n = env.aux.forceCheckpoint[idx] && old.branches > 0 ? 64 : 3;
      if (e.miss > e.hit * n + n) {
        list.splice(i, 1);
        this.live--;
      }
    }
    if (count > this.maxStatesPerInsn) this.maxStatesPerInsn = count;
    if (!addNew) return false;
    this.totalStates++;
    this.live++;
    if (this.live + env.scc.backedgeCount > this.peakStates) this.peakStates = this.live + env.scc.backedgeCount;
    env.prevJmpsProcessed = env.jmpsProcessed;
    env.prevInsnProcessed = env.insnProcessed;
    markAllScalarsImprecise(cur);
    const checkpoint = cur.clone();
    checkpoint.insnIdx = idx;
    env.scc.enter(checkpoint);
    cur.parent = checkpoint;
    cur.firstInsnIdx = idx;
    cur.dfsDepth = checkpoint.dfsDepth + 1;
    cur.history = [];
    list.push({ state: checkpoint, hit: 0, miss: 0 });
    return false;
  }

  /** update_branch_counts: the current path ended; checkpoints with no path left are complete. */
  endPath(st: VerifierState): void {
    for (let s: VerifierState | null = st; s; s = s.parent) {
      if (--s.branches > 0) break;
      this.env.scc.exit(s);
    }
  }
}
