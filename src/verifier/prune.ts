/**
 * State pruning (is_state_visited / states_equal, simplified): at a prune point, a path whose state
 * is included in a state already explored to the end from the same instruction cannot fail where
 * that one did not, so it stops there. "Included" is checked register by register among the live
 * ones (the old range covers the new one, pointers are of the same kind with the same offsets and
 * at least the same packet range, ids map one to one), stack byte by byte, frame by frame. Unlike
 * the kernel, scalars are always compared exactly (no precision tracking yet), so bpfsim keeps
 * more states and processes more instructions than Linux; the verdicts are the same.
 */
import { tnumIn } from './tnum.js';
import { ltS, ltU } from './u64.js';
import { RegState, RegType } from './regState.js';
import { type FuncState, Slot, type VerifierState, formatFrame } from './state.js';

/** A state kept at a prune point, with the number of paths from it still being explored. */
export interface ExploredState {
  /** The state when the first path reached the instruction. */
  readonly state: VerifierState;
  /** Paths from here not yet finished; 0 once everything after it was verified safe. */
  branches: number;
  /** The explored state this one's path came from. */
  readonly parent: ExploredState | null;
}

class IdMap {
  private readonly fwd = new Map<number, number>();
  private readonly back = new Map<number, number>();

  /** check_ids: old id `a` and current id `b` must correspond one to one. */
  check(a: number, b: number): boolean {
    if (a === 0) return true;
    if (b === 0) return false;
    const f = this.fwd.get(a);
    const g = this.back.get(b);
    if (f === undefined && g === undefined) { this.fwd.set(a, b); this.back.set(b, a); return true; }
    return f === b && g === a;
  }
}

/** range_within and tnum_in: every value of `cur` is a value of `old`. */
function rangeWithin(old: RegState, cur: RegState): boolean {
  const o = old.s;
  const c = cur.s;
  return !ltS(c.sminHi, c.sminLo, o.sminHi, o.sminLo) && !ltS(o.smaxHi, o.smaxLo, c.smaxHi, c.smaxLo) &&
    !ltU(c.uminHi, c.uminLo, o.uminHi, o.uminLo) && !ltU(o.umaxHi, o.umaxLo, c.umaxHi, c.umaxLo) &&
    c.s32min >= o.s32min && c.s32max <= o.s32max && c.u32min >= o.u32min && c.u32max <= o.u32max &&
    tnumIn(o, c);
}

/** regsafe: the old register's state includes the current one. */
function regSafe(old: RegState, cur: RegState, ids: IdMap): boolean {
  if (old.type === RegType.NOT_INIT) return true;
  if (old.type !== cur.type || old.flags !== cur.flags) return false;
  if (old.type === RegType.SCALAR) {
    if (old.id && (!ids.check(old.id, cur.id) || old.addConst !== cur.addConst || old.off !== cur.off)) return false;
    return rangeWithin(old, cur);
  }
  if (old.off !== cur.off || old.map !== cur.map || old.memSize !== cur.memSize || old.frameno !== cur.frameno) return false;
  if (!ids.check(old.id, cur.id) || !ids.check(old.refObjId, cur.refObjId)) return false;
  if (old.type === RegType.PKT || old.type === RegType.PKT_META) {
    if (old.range < 0 ? cur.range !== old.range : cur.range < old.range) return false;
  }
  return rangeWithin(old, cur);
}

/** stacksafe: byte by byte, the old stack includes the current one. */
function stackSafe(old: FuncState, cur: FuncState, ids: IdMap): boolean {
  for (let k = 0; k < old.allocatedStack; k++) {
    const o = old.slotType[k]!;
    const c = k < cur.allocatedStack ? cur.slotType[k]! : Slot.INVALID;
    const spi = k >> 3;
    if (o === Slot.INVALID || o === Slot.MISC) {
      if (c === Slot.SPILL && cur.isSpilled(spi) && cur.spilled[spi]!.type !== RegType.SCALAR) return false;
      continue;
    }
    if (o === Slot.ZERO) {
      if (c === Slot.ZERO) continue;
      return false;
    }
    if (c !== Slot.SPILL) return false;
    if ((k & 7) === 7) {
      const os = old.spilled[spi];
      const cs = cur.spilled[spi];
      if (os && (!cs || !regSafe(os, cs, ids))) return false;
    }
  }
  for (let k = old.allocatedStack; k < cur.allocatedStack; k++) {
    const spi = k >> 3;
    if (cur.slotType[k] === Slot.SPILL && cur.isSpilled(spi) && cur.spilled[spi]!.type !== RegType.SCALAR) return false;
  }
  return true;
}

/**
 * states_equal (inclusion): `old`, explored to the end from the same instruction, includes `cur`.
 * `liveOf(frame)` gives the registers live in each frame.
 */
export function stateIncluded(old: VerifierState, cur: VerifierState, liveOf: (frame: number) => number): boolean {
  if (old.frames.length !== cur.frames.length || old.refs.length !== cur.refs.length) return false;
  const ids = new IdMap();
  for (let i = 0; i < old.refs.length; i++) if (!ids.check(old.refs[i]!.id, cur.refs[i]!.id)) return false;
  for (let fi = 0; fi < old.frames.length; fi++) {
    const o = old.frames[fi]!;
    const c = cur.frames[fi]!;
    if (o.callsite !== c.callsite) return false;
    const live = liveOf(fi);
    for (let r = 0; r < 10; r++) if ((live >> r) & 1 && !regSafe(o.regs[r]!, c.regs[r]!, ids)) return false;
    if (!stackSafe(o, c, ids)) return false;
  }
  return true;
}

/** Whether two states are the same (infinite-loop detection): every frame prints the same. */
export function stateSame(a: VerifierState, b: VerifierState): boolean {
  if (a.frames.length !== b.frames.length) return false;
  for (let i = 0; i < a.frames.length; i++) {
    const fa = a.frames[i]!;
    const fb = b.frames[i]!;
    if (fa.callsite !== fb.callsite) return false;
    if (formatFrame(fa) !== formatFrame(fb)) return false;
  }
  return true;
}
