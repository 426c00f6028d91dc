/**
 * Dynptrs on the stack (process_dynptr_func, mark_stack_slots_dynptr, unmark_stack_slots_dynptr,
 * destroy_if_dynptr_stack_slot; Linux 6.18, privileged). A dynptr takes two 8-byte slots marked
 * STACK_DYNPTR; both carry its kind (local, ring buffer), its id and, for a ring buffer dynptr,
 * the reference the program must give back (submit or discard). A constructor wants 16 bytes of
 * stack holding no referenced dynptr, at a constant 8-aligned offset; readers want an initialised
 * dynptr starting there. Writing into either slot destroys a local dynptr (and the slices
 * bpf_dynptr_data took from it) and is refused for a referenced one; releasing a ring buffer
 * dynptr invalidates its slices too.
 */
import type { ArgType } from '../helpers/proto.js';
import { DynptrType } from '../helpers/dynptrLayout.js';
import { ERRNO } from '../errno.js';
import type { Env } from './env.js';
import { fail } from './log.js';
import { checkMemAccess } from './memory.js';
import { acquireReference, releaseReference } from './refs.js';
import { DYNPTR_NAMES, MAYBE_NULL, RegType, type RegState, markNotInit, markRegUnknown } from './regState.js';
import { type FuncState, Slot } from './state.js';
import { tnumIsConst } from './tnum.js';

const { EINVAL } = ERRNO;

/** Where a dynptr argument's slots are, or why they cannot be (`messages` for the log, `spi` -1 when none). */
interface DynptrSpi {
  readonly f: FuncState;
  readonly spi: number;
  readonly messages: string;
}

/** dynptr_get_spi: the first slot of the 16 bytes a stack pointer points at. */
function dynptrSpi(env: Env, reg: RegState): DynptrSpi {
  const f = env.st.frames[reg.frameno]!;
  if (!tnumIsConst(reg.s)) return { f, spi: -1, messages: 'dynptr has to be at a constant offset' };
  const off = reg.off + reg.s.vlo;
  const spi = (-off - 1) >> 3;
  if (off % 8 || spi + 1 < 2) return { f, spi: -1, messages: `cannot pass in dynptr at an offset=${off}` };
  if (spi >= f.allocatedStack / 8) return { f, spi: -2, messages: '' };
  return { f, spi, messages: '' };
}

function refuse(at: DynptrSpi, message: string): never {
  fail(EINVAL, at.messages ? `${at.messages}\n${message}` : message);
}

/** The log index of an argument in `regno` (the kernel counts from 0). */
function argNo(regno: number): number {
  return regno - 1;
}

/** is_dynptr_reg_valid_init: an initialised dynptr starts at the pointer. */
function validInit(at: DynptrSpi): boolean {
  if (at.spi < 0) return false;
  const { f, spi } = at;
  if (!f.spilled[spi]?.dynptrFirst) return false;
  for (let i = spi * 8 - 8; i < spi * 8 + 8; i++) if (f.slotType[i] !== Slot.DYNPTR) return false;
  return true;
}

/** The dynptr kind an argument type wants (0: any). */
function wantedType(t: ArgType): number {
  return t === 'dynptr_local_uninit' ? DynptrType.LOCAL : t === 'dynptr_rdonly' ? 0 : DynptrType.RINGBUF;
}

/** What a dynptr argument tells the rest of the call: the dynptr's id and reference (for bpf_dynptr_data's result). */
export interface DynptrArgInfo {
  readonly id: number;
  readonly refObjId: number;
}

/** The release check of check_func_arg: a released dynptr must hold a reference. */
function checkReleasable(env: Env, regno: number, reg: RegState): void {
  const at = dynptrSpi(env, reg);
  if (at.spi < 0 || !at.f.spilled[at.spi]?.refObjId) refuse(at, `arg ${regno} is an unacquired reference`);
}

/** process_dynptr_func for the argument in `regno` of type `t` (its register type already checked). */
export function processDynptrArg(env: Env, regno: number, t: ArgType): DynptrArgInfo {
  const reg = env.reg(regno);
  if (reg.type === RegType.CONST_DYNPTR) return constDynptrArg(reg, regno, t);
  if (t === 'dynptr_ringbuf_release') checkReleasable(env, regno, reg);
  if (t.endsWith('_uninit')) {
    const at = dynptrSpi(env, reg);
    if (at.spi === -1) refuse(at, 'Dynptr has to be an uninitialized dynptr');
    checkMemAccess(env, regno, 0, 8, true, null, null);
    checkMemAccess(env, regno, 8, 8, true, null, null);
    markDynptr(env, dynptrSpi(env, reg), wantedType(t));
    return { id: 0, refObjId: 0 };
  }
  const at = dynptrSpi(env, reg);
  if (!validInit(at)) refuse(at, `Expected an initialized dynptr as arg #${argNo(regno)}`);
  const first = at.f.spilled[at.spi]!;
  const want = wantedType(t);
  if (want && first.dynptrType !== want) fail(EINVAL, `Expected a dynptr of type ${DYNPTR_NAMES[want]} as arg #${argNo(regno)}`);
  env.liveness.markRead(at.f.frameno, at.spi);
  env.liveness.markRead(at.f.frameno, at.spi - 1);
  return { id: first.id, refObjId: first.refObjId };
}

/** process_dynptr_func for a CONST_PTR_TO_DYNPTR (a callback's dynptr argument): read, never made, changed or released. */
function constDynptrArg(reg: RegState, regno: number, t: ArgType): DynptrArgInfo {
  if (t === 'dynptr_ringbuf_release') fail(EINVAL, 'cannot release unowned const bpf_dynptr');
  if (t.endsWith('_uninit')) fail(EINVAL, 'Dynptr has to be an uninitialized dynptr');
  const want = wantedType(t);
  if (want && reg.dynptrType !== want) fail(EINVAL, `Expected a dynptr of type ${DYNPTR_NAMES[want]} as arg #${argNo(regno)}`);
  return { id: reg.id, refObjId: reg.refObjId };
}

/** mark_stack_slots_dynptr: both slots become the new dynptr (with a new reference for a ring buffer one). */
function markDynptr(env: Env, at: DynptrSpi, type: number): void {
  const { f, spi } = at;
  destroyIfDynptrSlot(env, f, spi);
  destroyIfDynptrSlot(env, f, spi - 1);
  f.slotType.fill(Slot.DYNPTR, spi * 8 - 8, spi * 8 + 8);
  const id = env.newId();
  for (const [s, first] of [[spi, true], [spi - 1, false]] as const) {
    const r = markNotInit(f.spill(s));
    r.id = id;
    r.dynptrType = type;
    r.dynptrFirst = first;
  }
  if (type === DynptrType.RINGBUF) {
    const ref = acquireReference(env);
    f.spilled[spi]!.refObjId = ref;
    f.spilled[spi - 1]!.refObjId = ref;
  }
  env.liveness.markWrite(f.frameno, spi);
  env.liveness.markWrite(f.frameno, spi - 1);
  env.scratchSlot(f, spi);
  env.scratchSlot(f, spi - 1);
}

/** Both slots of the dynptr whose first slot is `spi` become invalid stack. */
function invalidateDynptr(env: Env, f: FuncState, spi: number): void {
  f.slotType.fill(Slot.INVALID, spi * 8 - 8, spi * 8 + 8);
  markNotInit(f.spill(spi));
  markNotInit(f.spill(spi - 1));
  env.scratchSlot(f, spi);
  env.scratchSlot(f, spi - 1);
}

/** destroy_if_dynptr_stack_slot: a write into slot `spi` ends the dynptr there; refused for a referenced one. */
export function destroyIfDynptrSlot(env: Env, f: FuncState, spi: number): void {
  if (spi < 0 || f.slotType[spi * 8] !== Slot.DYNPTR) return;
  const first = f.spilled[spi]!.dynptrFirst ? spi : spi + 1;
  const slot = f.spilled[first]!;
  if (slot.dynptrType === DynptrType.RINGBUF) fail(EINVAL, 'cannot overwrite referenced dynptr');
  const id = slot.id;
  for (const r of env.st.allRegs()) {
    if (r.type === RegType.MEM && (r.flags & ~MAYBE_NULL) === 0 && r.dynptrId === id) markRegUnknown(r);
  }
  invalidateDynptr(env, f, first);
}

/** unmark_stack_slots_dynptr: the helper in `regno` released its ring buffer dynptr, its slices and copies. */
export function releaseDynptr(env: Env, regno: number): void {
  const at = dynptrSpi(env, env.reg(regno));
  const { f, spi } = at;
  const ref = f.spilled[spi]!.refObjId;
  for (let i = 1; i < f.allocatedStack / 8; i++) {
    const s = f.spilled[i];
    if (s && s.refObjId === ref && s.dynptrFirst && f.slotType[i * 8] === Slot.DYNPTR) invalidateDynptr(env, f, i);
  }
  releaseReference(env, ref);
}

/** The check of bpf_dynptr_from_mem's data in check_helper_call: only a map value may back a local dynptr. */
export function checkFromMemData(reg: RegState, typeName: string): void {
  if (reg.type !== RegType.MAP_VALUE) fail(ERRNO.EACCES, `Unsupported reg type ${typeName} for bpf_dynptr_from_mem data`);
}
