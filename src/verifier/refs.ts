/**
 * References and locks (acquire_reference, release_reference, process_spin_lock,
 * check_resource_leak; Linux 6.18). A helper that hands out an object the program must give back
 * — a socket from bpf_sk_lookup_tcp, a ring buffer record, an iterator — acquires a reference
 * with a fresh id, carried by every copy of the pointer (`refObjId`); the release helper drops it
 * and invalidates every copy. A path that exits with a reference still held leaks it. A
 * bpf_spin_lock region is a reference of its own: one lock at a time, no calls inside but the
 * unlock, unlocked with the same lock, and never left open at exit.
 */
import { ERRNO } from '../errno.js';
import type { Env } from './env.js';
import { fail } from './log.js';
import { markRegUnknown, RegType, type RegState } from './regState.js';
import { tnumIsConst } from './tnum.js';
import { RefType, type VerifierState } from './state.js';

const { EINVAL } = ERRNO;

/** acquire_reference: a new reference acquired at the current instruction; returns its id. */
export function acquireReference(env: Env): number {
  const id = env.newId();
  env.st.refs.push({ id, insn: env.insnIdx, type: RefType.PTR });
  return id;
}

/** release_reference_nomark: forgets reference `id`; false if the path does not hold it. */
export function releaseReferenceNomark(st: VerifierState, id: number): boolean {
  const i = st.refs.findIndex((r) => r.type === RefType.PTR && r.id === id);
  if (i < 0) return false;
  st.refs.splice(i, 1);
  return true;
}

/** release_reference: forgets reference `id` and invalidates every register holding it. */
export function releaseReference(env: Env, id: number): boolean {
  if (!releaseReferenceNomark(env.st, id)) return false;
  for (const r of env.st.allRegs()) if (r.refObjId === id) markRegUnknown(r);
  return true;
}

/** check_reference_leak's message: the first line names each reference still held. */
function leaks(st: VerifierState): string {
  return st.refs.filter((r) => r.type === RefType.PTR).map((r) => `Unreleased reference id=${r.id} alloc_insn=${r.insn}`).join('\n');
}

/** check_resource_leak at `what` (a program exit, a tail call, LD_ABS): references, locks and RCU sections. */
export function checkResourceLeak(env: Env, checkLock: boolean, what: string): void {
  const st = env.st;
  if (checkLock && st.activeLocks) fail(EINVAL, `${what} cannot be used inside bpf_spin_lock-ed region`);
  if (st.curframe === 0) {
    const l = leaks(st);
    if (l) fail(EINVAL, `${l}\n${what} would lead to reference leak`);
  }
  if (checkLock && st.activeRcuLock) fail(EINVAL, `${what} cannot be used inside bpf_rcu_read_lock-ed region`);
}

/** The identity of the lock a map value pointer points into: its map and the value's id. */
function lockIdentity(reg: RegState): object {
  return reg.map!;
}

/** process_spin_lock for bpf_spin_lock (`lock` true) or bpf_spin_unlock on the pointer in `regno`. */
export function processSpinLock(env: Env, regno: number, lock: boolean): void {
  const reg = env.reg(regno);
  const map = reg.map;
  const constOff = tnumIsConst(reg.s);
  if (reg.type !== RegType.MAP_VALUE || !map) fail(EINVAL, `R${regno} is not a pointer to map value`);
  if (!constOff) fail(EINVAL, `R${regno} doesn't have constant offset. bpf_spin_lock has to be at the constant offset`);
  const lockOff = map.spinLockOff ?? -1;
  if (lockOff < 0) fail(EINVAL, `map '${map.name}' has no valid bpf_spin_lock`);
  const off = reg.off + reg.s.vlo;
  if (off !== lockOff) fail(EINVAL, `off ${off} doesn't point to 'struct bpf_spin_lock' that is at ${lockOff}`);
  const st = env.st;
  const ptr = lockIdentity(reg);
  if (lock) {
    if (st.activeLocks) fail(EINVAL, 'Locking two bpf_spin_locks are not allowed');
    const id = reg.id;
    st.refs.push({ id, insn: env.insnIdx, type: RefType.LOCK, lock: ptr });
    st.activeLocks = 1;
    st.activeLockId = id;
    st.activeLockPtr = ptr;
    return;
  }
  if (!st.activeLocks) fail(EINVAL, 'bpf_spin_unlock without taking a lock');
  if (st.activeLockId !== reg.id || st.activeLockPtr !== ptr) fail(EINVAL, 'bpf_spin_unlock of different lock');
  const i = st.refs.findIndex((r) => r.type === RefType.LOCK);
  st.refs.splice(i, 1);
  st.activeLocks = 0;
  st.activeLockId = 0;
  st.activeLockPtr = null;
}
