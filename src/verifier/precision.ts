/**
 * Precision tracking (mark_chain_precision and backtrack_insn in Linux 6.18). Scalars start
 * imprecise: pruning treats two imprecise scalars as equal whatever their ranges. When a scalar's
 * exact value decides something — a branch the verifier took one way only, an offset added to a
 * pointer, a helper's size argument — the verifier walks the path backwards, instruction by
 * instruction through the jump history and then checkpoint by checkpoint, and marks every register
 * and spilled stack slot that contributed to it as precise in the checkpoints it passes. A later
 * path reaching such a checkpoint must then match those values exactly (within range and tnum).
 *
 * The backwards rules, per instruction: `r = K` ends the chain; `r = s` and `r op= s` move the need
 * to `s`; a fill from a stack slot moves it to the slot, a spill back to the register; calls and
 * exits move it between frames; registers linked by a shared id at a comparison share it. One rule
 * goes beyond Linux: an atomic fetch (`fetch_add`, `xchg`, `cmpxchg`, ...) from a spilled slot moves
 * the need from the register it loads into to the slot, where 6.18 drops it and can prune a path
 * whose outcome differs (documented as kernel deviation kbug1).
 */
import {
  BPF_ABS, BPF_ALU, BPF_ALU64, BPF_ATOMIC, BPF_CALL, BPF_CMPXCHG, BPF_END, BPF_EXIT, BPF_FETCH, BPF_IND, BPF_JMP,
  BPF_JMP32, BPF_LD, BPF_LDX, BPF_MOV, BPF_NEG, BPF_PSEUDO_CALL, BPF_PSEUDO_KFUNC_CALL, BPF_ST, BPF_STX, BPF_X,
  insnClass, insnMode, insnOp, insnSrc,
} from '../isa/index.js';
import type { Env } from './env.js';
import { RegType } from './regState.js';
import type { HistEntry, VerifierState } from './state.js';

const ARGS = 0x3e;
const NOTSUPP = 1;

/** The registers and stack slots still to be marked precise, per frame (backtrack_state). */
export class Backtrack {
  /** The frame backtracking is in. */
  frame = 0;
  private readonly regs = new Int32Array(8);
  private readonly lo = new Int32Array(8);
  private readonly hi = new Int32Array(8);

  /** Forgets every mark. */
  reset(): void {
    this.frame = 0;
    this.regs.fill(0); this.lo.fill(0); this.hi.fill(0);
  }

  /** Nothing left to mark in frames 0..frame. */
  empty(): boolean {
    for (let i = 0; i <= this.frame; i++) if (this.regs[i] || this.lo[i] || this.hi[i]) return false;
    return true;
  }

  /** Register mask of frame `fr`. */
  regMask(fr = this.frame): number { return this.regs[fr]!; }
  /** Whether any stack slot of frame `fr` is marked. */
  hasSlots(fr = this.frame): boolean { return (this.lo[fr]! | this.hi[fr]!) !== 0; }
  /** Marks register `r` of frame `fr`. */
  setReg(fr: number, r: number): void { this.regs[fr]! |= 1 << r; }
  /** Unmarks register `r` of frame `fr`. */
  clearReg(fr: number, r: number): void { this.regs[fr]! &= ~(1 << r); }
  /** Whether register `r` of frame `fr` is marked. */
  isReg(fr: number, r: number): boolean { return ((this.regs[fr]! >> r) & 1) !== 0; }
  /** Marks stack slot `spi` of frame `fr`. */
  setSlot(fr: number, spi: number): void {
    if (spi < 32) this.lo[fr]! |= 1 << spi; else this.hi[fr]! |= 1 << (spi - 32);
  }
  /** Unmarks stack slot `spi` of frame `fr`. */
  clearSlot(fr: number, spi: number): void {
    if (spi < 32) this.lo[fr]! &= ~(1 << spi); else this.hi[fr]! &= ~(1 << (spi - 32));
  }
  /** Whether stack slot `spi` of frame `fr` is marked. */
  isSlot(fr: number, spi: number): boolean {
    return spi < 32 ? ((this.lo[fr]! >>> spi) & 1) !== 0 : ((this.hi[fr]! >>> (spi - 32)) & 1) !== 0;
  }
}

/** bt_sync_linked_regs: if one scalar linked at this instruction needs precision, all of them do. */
function syncLinked(bt: Backtrack, hist: HistEntry | null): void {
  if (!hist?.linked) return;
  let some = false;
  for (const e of hist.linked) if (e.isReg ? bt.isReg(e.frame, e.n) : bt.isSlot(e.frame, e.n)) some = true;
  if (!some) return;
  for (const e of hist.linked) {
    if (e.isReg) bt.setReg(e.frame, e.n);
    else bt.setSlot(e.frame, e.n);
  }
}

function isPseudoCall(env: Env, i: number): boolean {
  const ins = env.insns[i];
  return !!ins && ins.code === (BPF_JMP | BPF_CALL) && ins.src === BPF_PSEUDO_CALL;
}

/** backtrack_insn: what instruction `idx` needs precise before it, given what it must make precise. */
function backtrackInsn(env: Env, idx: number, subseq: number, hist: HistEntry | null, bt: Backtrack): number {
  const ins = env.insns[idx]!;
  if (ins.code === 0) return 0;
  syncLinked(bt, hist);
  const cls = insnClass(ins.code);
  const op = insnOp(ins.code);
  const fr = bt.frame;
  const d = ins.dst;
  const s = ins.src;
  if (cls === BPF_ALU || cls === BPF_ALU64) {
    if (!bt.isReg(fr, d)) return 0;
    if (op === BPF_END || op === BPF_NEG) return 0;
    if (op === BPF_MOV) {
      bt.clearReg(fr, d);
      if (insnSrc(ins.code) === BPF_X && s !== 10) bt.setReg(fr, s);
    } else if (insnSrc(ins.code) === BPF_X && s !== 10) {
      bt.setReg(fr, s);
    }
  } else if (cls === BPF_LDX) {
    if (!bt.isReg(fr, d)) return 0;
    bt.clearReg(fr, d);
    if (hist && hist.stackSpi >= 0) bt.setSlot(hist.stackFrame, hist.stackSpi);
  } else if (cls === BPF_STX && insnMode(ins.code) === BPF_ATOMIC) {
    if (bt.isReg(fr, d)) return NOTSUPP;
    const onStack = !!hist && hist.stackSpi >= 0;
    const slotAfter = onStack && bt.isSlot(hist.stackFrame, hist.stackSpi);
    const load = ins.imm === BPF_CMPXCHG ? 0 : s;
    if ((ins.imm & BPF_FETCH) && bt.isReg(fr, load)) {
      bt.clearReg(fr, load);
      if (onStack) bt.setSlot(hist.stackFrame, hist.stackSpi);
    }
    if (slotAfter) {
      bt.setReg(fr, s);
      if (ins.imm === BPF_CMPXCHG) bt.setReg(fr, 0);
    }
  } else if (cls === BPF_STX || cls === BPF_ST) {
    if (bt.isReg(fr, d)) return NOTSUPP;
    if (!hist || hist.stackSpi < 0) return 0;
    if (!bt.isSlot(hist.stackFrame, hist.stackSpi)) return 0;
    bt.clearSlot(hist.stackFrame, hist.stackSpi);
    if (cls === BPF_STX) bt.setReg(fr, s);
  } else if (cls === BPF_JMP || cls === BPF_JMP32) {
    if (ins.code === (BPF_JMP | BPF_CALL) && s === BPF_PSEUDO_CALL) {
      const target = idx + ins.imm + 1;
      if (env.isGlobalSubprog(env.shape.subprogOf[target]!)) {
        if (bt.regMask(fr) & ARGS) return NOTSUPP;
        bt.clearReg(fr, 0);
        return 0;
      }
      if (bt.regMask(fr) & ~ARGS || bt.hasSlots(fr) || fr === 0) return NOTSUPP;
      for (let r = 1; r <= 5; r++) {
        if (bt.isReg(fr, r)) { bt.clearReg(fr, r); bt.setReg(fr - 1, r); }
      }
      bt.frame--;
      return 0;
    }
    if (ins.code === (BPF_JMP | BPF_CALL) && env.aux.callsCallback[idx] && idx !== subseq - 1) {
      if (bt.regMask(fr) & ~ARGS || bt.hasSlots(fr) || fr === 0) return NOTSUPP;
      for (let r = 1; r <= 5; r++) bt.clearReg(fr, r);
      bt.frame--;
      return 0;
    }
    if (op === BPF_CALL) {
      if (s === BPF_PSEUDO_KFUNC_CALL && ins.imm === 0) return NOTSUPP;
      bt.clearReg(fr, 0);
      if (bt.regMask(fr) & ARGS) return NOTSUPP;
    } else if (op === BPF_EXIT) {
      if (subseq >= 0 && env.aux.callsCallback[subseq]) for (let r = 1; r <= 5; r++) bt.clearReg(fr, r);
      if (bt.regMask(fr) & ARGS) return NOTSUPP;
      const r0 = subseq - 1 >= 0 && isPseudoCall(env, subseq - 1) && bt.isReg(fr, 0);
      bt.clearReg(fr, 0);
      if (fr === 7) return NOTSUPP;
      bt.frame++;
      if (r0) bt.setReg(bt.frame, 0);
      return 0;
    } else if (insnSrc(ins.code) === BPF_X) {
      if (!bt.isReg(fr, d) && !bt.isReg(fr, s)) return 0;
      if (!hist || !hist.srcStack) bt.setReg(fr, s);
      if (!hist || !hist.dstStack) bt.setReg(fr, d);
    }
  } else if (cls === BPF_LD) {
    if (!bt.isReg(fr, d)) return 0;
    bt.clearReg(fr, d);
    const mode = insnMode(ins.code);
    if (mode === BPF_IND || mode === BPF_ABS) return NOTSUPP;
  }
  syncLinked(bt, hist);
  return 0;
}

/** mark_all_scalars_precise: the fallback when backtracking cannot follow a value. */
export function markAllScalarsPrecise(st: VerifierState): void {
  for (let s = st.parent; s; s = s.parent) {
    for (const f of s.frames) {
      for (let r = 0; r < 10; r++) if (f.regs[r]!.type === RegType.SCALAR) f.regs[r]!.precise = true;
      for (let spi = 0; spi < f.allocatedStack / 8; spi++) if (f.isSpilledScalar(spi)) f.spilled[spi]!.precise = true;
    }
  }
}

/** mark_all_scalars_imprecise: a new checkpoint forgets the precision it inherited. */
export function markAllScalarsImprecise(st: VerifierState): void {
  for (const f of st.frames) {
    for (let r = 0; r < 10; r++) if (f.regs[r]!.type === RegType.SCALAR) f.regs[r]!.precise = false;
    for (let spi = 0; spi < f.allocatedStack / 8; spi++) if (f.isSpilledScalar(spi)) f.spilled[spi]!.precise = false;
  }
}

/** get_prev_insn_idx: the instruction before `i` in `st`'s segment, or -1 at its start. */
function prevInsn(st: VerifierState, i: number, cnt: { n: number }): number {
  if (i === st.firstInsnIdx) {
    if (cnt.n === 0) return -1;
    if (cnt.n === 1 && st.history[0]!.idx === i) return -1;
  }
  if (cnt.n && st.history[cnt.n - 1]!.idx === i) {
    cnt.n--;
    return st.history[cnt.n]!.prev;
  }
  return i - 1;
}

function fallback(env: Env, start: VerifierState, changed: boolean): boolean {
  markAllScalarsPrecise(start);
  env.bt.reset();
  return changed;
}

/**
 * __mark_chain_precision: marks what env.bt holds (plus register `regno` of the current frame)
 * precise in the checkpoints behind `start`. Returns whether any mark was added.
 */
export function markChainPrecisionFrom(env: Env, start: VerifierState, regno: number): boolean {
  const bt = env.bt;
  let st: VerifierState | null = start;
  bt.frame = start.curframe;
  if (regno >= 0) {
    if (start.frames[bt.frame]!.regs[regno]!.type !== RegType.SCALAR) return false;
    bt.setReg(bt.frame, regno);
  }
  if (bt.empty()) return false;
  let changed = false;
  let firstIdx = st.firstInsnIdx;
  let lastIdx = st.insnIdx;
  let subseq = -1;
  let skipFirst = true;
  const cnt = { n: 0 };
  for (;;) {
    cnt.n = st.history.length;
    if (lastIdx < 0) {
      const f0 = st.frames[0]!;
      if (st.curframe === 0 && f0.subprog > 0 && f0.callsite === -1 && !bt.hasSlots() && (bt.regMask() & ~ARGS) === 0) {
        for (let r = 1; r <= 5; r++) {
          if (!bt.isReg(0, r)) continue;
          bt.clearReg(0, r);
          if (f0.regs[r]!.type === RegType.SCALAR && !f0.regs[r]!.precise) { f0.regs[r]!.precise = true; changed = true; }
        }
        return changed;
      }
      return fallback(env, start, changed);
    }
    for (let i = lastIdx; ;) {
      if (skipFirst) {
        skipFirst = false;
      } else {
        const h = cnt.n > 0 && st.history[cnt.n - 1]!.idx === i ? st.history[cnt.n - 1]! : null;
        if (backtrackInsn(env, i, subseq, h, bt) === NOTSUPP) return fallback(env, start, changed);
      }
      if (bt.empty()) return changed;
      subseq = i;
      i = prevInsn(st, i, cnt);
      if (i < 0) break;
      if (i >= env.insns.length) return fallback(env, start, changed);
    }
    st = st.parent;
    if (!st) break;
    for (let fr = bt.frame; fr >= 0; fr--) {
      const f = st.frames[fr];
      if (!f) return fallback(env, start, changed);
      for (let r = 0; r < 10; r++) {
        if (!bt.isReg(fr, r)) continue;
        const reg = f.regs[r]!;
        if (reg.type !== RegType.SCALAR || reg.precise) bt.clearReg(fr, r);
        else { reg.precise = true; changed = true; }
      }
      for (let spi = 0; spi < 64 && bt.hasSlots(fr); spi++) {
        if (!bt.isSlot(fr, spi)) continue;
        if (spi >= f.allocatedStack / 8) return fallback(env, start, changed);
        if (!f.isSpilledScalar(spi)) { bt.clearSlot(fr, spi); continue; }
        const reg = f.spilled[spi]!;
        if (reg.precise) bt.clearSlot(fr, spi);
        else { reg.precise = true; changed = true; }
      }
    }
    if (bt.empty()) return changed;
    subseq = firstIdx;
    lastIdx = st.lastInsnIdx;
    firstIdx = st.firstInsnIdx;
  }
  return bt.empty() ? changed : fallback(env, start, changed);
}

/** mark_chain_precision: register `regno` of the current frame must be exact on this path. */
export function markChainPrecision(env: Env, regno: number): void {
  markChainPrecisionFrom(env, env.st, regno);
}

/** Stack slot `spi` of frame `frame` must be exact on this path (mark_chain_precision_batch). */
export function markSlotPrecision(env: Env, frame: number, spi: number): void {
  env.bt.setSlot(frame, spi);
  markChainPrecisionFrom(env, env.st, -1);
}

/**
 * propagate_precision: `cur` was found equivalent to the checkpoint `old`, so whatever `old` needs
 * precise, `cur`'s own history needs precise too. Returns whether any mark was added.
 */
export function propagatePrecision(env: Env, old: VerifierState, cur: VerifierState): boolean {
  const bt = env.bt;
  for (let fr = old.curframe; fr >= 0; fr--) {
    const f = old.frames[fr]!;
    for (let r = 0; r < 10; r++) {
      const reg = f.regs[r]!;
      if (reg.type === RegType.SCALAR && reg.precise) bt.setReg(fr, r);
    }
    for (let spi = 0; spi < f.allocatedStack / 8; spi++) {
      if (!f.isSpilled(spi)) continue;
      const reg = f.spilled[spi]!;
      if (reg.type === RegType.SCALAR && reg.precise) bt.setSlot(fr, spi);
    }
  }
  return markChainPrecisionFrom(env, cur, -1);
}
