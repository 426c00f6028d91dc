/**
 * State equivalence, as Linux 6.18 decides it (states_equal, func_states_equal, regsafe,
 * stacksafe, refsafe). A checkpoint `old` whose every path was verified safe covers a current
 * state `cur` when every register live at that instruction and every stack slot `old` holds is at
 * least as general in `old`: an imprecise scalar covers any scalar; a precise one covers the
 * scalars within its ranges and tnum; pointers need the same kind, offsets and ids (mapped one to
 * one), packet pointers at most `cur`'s proven range; an uninitialised or STACK_MISC byte covers
 * anything (privileged programs may read uninitialised stack). Two stricter levels serve loops:
 * RANGE_WITHIN compares every scalar by range, precise or not (marks inside a loop are not final
 * yet), EXACT wants identical states (infinite-loop detection).
 */
import { tnumIn } from './tnum.js';
import { ltS, ltU } from './u64.js';
import type { Env } from './env.js';
import { RegState, RegType, markRegUnknown } from './regState.js';
import { type FuncState, RefType, Slot, type VerifierState } from './state.js';

/** How strictly two states are compared (`enum exact_level`). */
export const Exact = { NOT_EXACT: 0, EXACT: 1, RANGE_WITHIN: 2 } as const;

/**
 * check_ids' map from old ids to current ones, reset for each comparison (bpf_idmap). Kept as two
 * parallel arrays scanned in order, as the kernel does: a comparison maps a handful of ids, and
 * resetting must not allocate, since it happens at every comparison.
 */
export class IdMap {
  private readonly old: number[] = [];
  private readonly cur: number[] = [];
  private cnt = 0;
  /** Source of temporary ids for id-less scalars (check_scalar_ids). */
  tmp = 0;

  /** Empties the map; temporary ids start above `idGen`. */
  reset(idGen: number): void {
    this.cnt = 0;
    this.tmp = idGen;
  }

  /** check_ids: both ids zero, or old id `a` and current id `b` correspond one to one. */
  check(a: number, b: number): boolean {
    if ((a === 0) !== (b === 0)) return false;
    if (a === 0) return true;
    const n = this.cnt;
    for (let i = 0; i < n; i++) {
      if (this.old[i] === a) return this.cur[i] === b;
      if (this.cur[i] === b) return false;
    }
    this.old[n] = a;
    this.cur[n] = b;
    this.cnt = n + 1;
    return true;
  }

  /** check_scalar_ids: as check, with a fresh id standing for each zero. */
  checkScalar(a: number, b: number): boolean {
    return this.check(a || ++this.tmp, b || ++this.tmp);
  }
}

function scalarsEqual(a: RegState, b: RegState): boolean {
  const x = a.s;
  const y = b.s;
  return x.vlo === y.vlo && x.vhi === y.vhi && x.mlo === y.mlo && x.mhi === y.mhi && x.sminLo === y.sminLo &&
    x.sminHi === y.sminHi && x.smaxLo === y.smaxLo && x.smaxHi === y.smaxHi && x.uminLo === y.uminLo &&
    x.uminHi === y.uminHi && x.umaxLo === y.umaxLo && x.umaxHi === y.umaxHi && x.s32min === y.s32min &&
    x.s32max === y.s32max && x.u32min === y.u32min && x.u32max === y.u32max;
}

/** The fields before `var_off` in the kernel's struct: type, offset and the type's own data. */
function headEqual(a: RegState, b: RegState): boolean {
  return a.type === b.type && a.flags === b.flags && a.off === b.off && a.range === b.range && a.map === b.map &&
    a.memSize === b.memSize && a.btfId === b.btfId && a.iterState === b.iterState && a.iterDepth === b.iterDepth &&
    a.dynptrType === b.dynptrType && a.dynptrFirst === b.dynptrFirst &&
    (a.type !== RegType.FUNC || a.frameno === b.frameno);
}

/** Everything up to the id (memcmp(.., offsetof(id))), with the ADD_CONST mark. */
function upToIdEqual(a: RegState, b: RegState): boolean {
  return headEqual(a, b) && scalarsEqual(a, b) && a.addConst === b.addConst && a.addConst32 === b.addConst32;
}

/** regs_exact. */
export function regsExact(old: RegState, cur: RegState, ids: IdMap): boolean {
  return upToIdEqual(old, cur) && ids.check(old.id, cur.id) && ids.check(old.refObjId, cur.refObjId);
}

/** range_within and tnum_in: every value of `cur` is a value of `old`. */
function rangeWithin(old: RegState, cur: RegState): boolean {
  const o = old.s;
  const c = cur.s;
  return !ltU(c.uminHi, c.uminLo, o.uminHi, o.uminLo) && !ltU(o.umaxHi, o.umaxLo, c.umaxHi, c.umaxLo) &&
    !ltS(c.sminHi, c.sminLo, o.sminHi, o.sminLo) && !ltS(o.smaxHi, o.smaxLo, c.smaxHi, c.smaxLo) &&
    c.u32min >= o.u32min && c.u32max <= o.u32max && c.s32min >= o.s32min && c.s32max <= o.s32max && tnumIn(o, c);
}

/** regsafe: `old` being safe implies `cur` is. */
export function regSafe(old: RegState, cur: RegState, ids: IdMap, exact: number): boolean {
  if (exact === Exact.EXACT) return regsExact(old, cur, ids);
  if (old.type === RegType.NOT_INIT && (exact === Exact.NOT_EXACT || cur.type === RegType.NOT_INIT)) return true;
  if (old.type !== cur.type || old.flags !== cur.flags) return false;
  switch (old.type) {
    case RegType.SCALAR:
      if (!old.precise && exact === Exact.NOT_EXACT) return true;
      if (old.addConst !== cur.addConst || old.addConst32 !== cur.addConst32) return false;
      if (old.addConst && old.off !== cur.off) return false;
      return rangeWithin(old, cur) && ids.checkScalar(old.id, cur.id);
    case RegType.MAP_KEY:
    case RegType.MAP_VALUE:
    case RegType.MEM:
      return headEqual(old, cur) && rangeWithin(old, cur) && ids.check(old.id, cur.id) && ids.check(old.refObjId, cur.refObjId);
    case RegType.PKT:
    case RegType.PKT_META:
      if (old.range > cur.range || old.off !== cur.off || !ids.check(old.id, cur.id)) return false;
      return rangeWithin(old, cur);
    case RegType.STACK:
      return regsExact(old, cur, ids) && old.frameno === cur.frameno;
    default:
      return regsExact(old, cur, ids);
  }
}

const unbound = markRegUnknown(new RegState());

/** scalar_reg_for_stack: a spilled 64-bit scalar, or an unknown scalar for eight MISC (or uninitialised) bytes. */
function scalarForStack(f: FuncState, spi: number): RegState | null {
  let spill = 0;
  let misc = 0;
  for (let j = 0; j < 8; j++) {
    const t = f.slotType[spi * 8 + j]!;
    if (t === Slot.SPILL) spill++;
    else if (t === Slot.MISC || t === Slot.INVALID) misc++;
  }
  if (spill === 8 && f.spilled[spi]?.type === RegType.SCALAR) return f.spilled[spi]!;
  return misc === 8 ? unbound : null;
}

/** stacksafe for a dynptr slot: the same kind, the same slot of it, references corresponding. */
function dynptrSlotSafe(o: RegState, c: RegState, ids: IdMap): boolean {
  return o.dynptrType === c.dynptrType && o.dynptrFirst === c.dynptrFirst && ids.check(o.refObjId, c.refObjId);
}

/** stacksafe, byte by byte over the old frame's stack. */
export function stackSafe(old: FuncState, cur: FuncState, ids: IdMap, exact: number): boolean {
  for (let i = 0; i < old.allocatedStack; i++) {
    const spi = i >> 3;
    const ot = old.slotType[i]!;
    const ct = i < cur.allocatedStack ? cur.slotType[i]! : Slot.INVALID;
    if (exact !== Exact.NOT_EXACT && (i >= cur.allocatedStack || ot !== ct)) return false;
    if (ot === Slot.INVALID || ot === Slot.MISC) continue;
    if (i >= cur.allocatedStack) return false;
    const os = scalarForStack(old, spi);
    const cs = os && scalarForStack(cur, spi);
    if (os && cs) {
      if (!regSafe(os, cs, ids, exact)) return false;
      i += 7 - (i & 7);
      continue;
    }
    if (ot !== ct) return false;
    if ((i & 7) !== 7) continue;
    if (ot === Slot.SPILL) {
      if (!regSafe(old.spilled[spi]!, cur.spilled[spi]!, ids, exact)) return false;
    } else if (ot === Slot.ITER) {
      const o = old.spilled[spi]!;
      const c = cur.spilled[spi]!;
      if (o.btfId !== c.btfId || o.iterState !== c.iterState || !ids.check(o.refObjId, c.refObjId)) return false;
    } else if (ot === Slot.DYNPTR && !dynptrSlotSafe(old.spilled[spi]!, cur.spilled[spi]!, ids)) {
      return false;
    }
  }
  return true;
}

/** refsafe: the same references and locks, ids corresponding. */
function refSafe(old: VerifierState, cur: VerifierState, ids: IdMap): boolean {
  if (old.refs.length !== cur.refs.length || old.activeLocks !== cur.activeLocks || old.activeRcuLock !== cur.activeRcuLock) return false;
  if (!ids.check(old.activeLockId, cur.activeLockId) || old.activeLockPtr !== cur.activeLockPtr) return false;
  for (let i = 0; i < old.refs.length; i++) {
    const o = old.refs[i]!;
    const c = cur.refs[i]!;
    if (!ids.check(o.id, c.id) || o.type !== c.type) return false;
    if (o.type === RefType.LOCK && o.lock !== c.lock) return false;
  }
  return true;
}

/** states_equal: `old` (a checkpoint at the same instruction) covers `cur`. */
export function statesEqual(env: Env, old: VerifierState, cur: VerifierState, exact: number): boolean {
  if (old.frames.length !== cur.frames.length) return false;
  const ids = env.idmap;
  ids.reset(env.idGen);
  if (!refSafe(old, cur, ids)) return false;
  for (let i = 0; i < old.frames.length; i++) {
    const o = old.frames[i]!;
    const c = cur.frames[i]!;
    if (o.callsite !== c.callsite || o.callbackDepth > c.callbackDepth) return false;
    const live = env.liveAt(old.frameInsn(i));
    for (let r = 0; r < 11; r++) if ((live >> r) & 1 && !regSafe(o.regs[r]!, c.regs[r]!, ids, exact)) return false;
    if (!stackSafe(o, c, ids, exact)) return false;
  }
  return true;
}

/** states_maybe_looping: the current frames' registers are bit-identical. */
export function statesMaybeLooping(old: VerifierState, cur: VerifierState): boolean {
  if (old.frames.length !== cur.frames.length) return false;
  const o = old.cur;
  const c = cur.cur;
  for (let r = 0; r < 11; r++) {
    const a = o.regs[r]!;
    const b = c.regs[r]!;
    if (!upToIdEqual(a, b) || a.id !== b.id || a.refObjId !== b.refObjId) return false;
  }
  return true;
}

/** iter_active_depths_differ: an active iterator went around a different number of times. */
export function iterDepthsDiffer(old: VerifierState, cur: VerifierState): boolean {
  for (let fr = old.curframe; fr >= 0; fr--) {
    const f = old.frames[fr]!;
    for (let spi = 0; spi < f.allocatedStack / 8; spi++) {
      if (f.slotType[spi * 8] !== Slot.ITER) continue;
      const it = f.spilled[spi]!;
      if (it.iterState !== 1) continue;
      if (cur.frames[fr]!.spilled[spi]?.iterDepth !== it.iterDepth) return true;
    }
  }
  return false;
}

function maybeWiden(old: RegState, cur: RegState, ids: IdMap): void {
  if (old.type !== RegType.SCALAR || cur.type !== old.type) return;
  if (old.precise || cur.precise || regsExact(old, cur, ids)) return;
  markRegUnknown(cur);
}

/**
 * widen_imprecise_scalars: before another loop iteration (may_goto, an iterator, a callback),
 * scalars that are imprecise and changed since the previous iteration's entry `old` forget their
 * value, so that the iterations converge.
 */
export function widenImpreciseScalars(env: Env, old: VerifierState, cur: VerifierState): void {
  env.idmap.reset(env.idGen);
  for (let fr = old.curframe; fr >= 0; fr--) {
    const o = old.frames[fr]!;
    const c = cur.frames[fr]!;
    for (let r = 0; r < 11; r++) maybeWiden(o.regs[r]!, c.regs[r]!, env.idmap);
    const n = Math.min(o.allocatedStack, c.allocatedStack) / 8;
    for (let spi = 0; spi < n; spi++) {
      if (!o.isSpilled(spi) || !c.isSpilled(spi)) continue;
      maybeWiden(o.spilled[spi]!, c.spilled[spi]!, env.idmap);
    }
  }
}
