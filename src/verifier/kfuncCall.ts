/**
 * A kfunc call (check_kfunc_call, process_iter_arg, process_iter_next_call; Linux 6.18) for the
 * kfuncs bpfsim provides: an RCU read-side section opened and closed (never nested, never closed
 * unopened), the open-coded number iterator — `new` turns 8 bytes of stack into an iterator
 * holding a reference, `next` forks into "another element" (a read-only 4-byte pointer, with the
 * loop explored once more) and "drained" (NULL), `destroy` releases it — and the cast of the
 * program context to the kernel's. An unresolved weak kfunc (BTF id 0) is dead code libbpf left
 * in place; it does nothing.
 */
import { type Insn } from '../isa/index.js';
import { ERRNO } from '../errno.js';
import { type Env, SRC_OP } from './env.js';
import { widenImpreciseScalars } from './equal.js';
import { kfuncName } from './kfuncs.js';
import { fail } from './log.js';
import { checkMemAccess } from './memory.js';
import { acquireReference, releaseReference } from './refs.js';
import {
  IterState, MAYBE_NULL, RDONLY, TRUSTED, type RegState, RegType, markNotInit, markPtr, markRegKnown, markRegUnknown, regTypeName,
} from './regState.js';
import { Slot, type FuncState } from './state.js';
import { tnumIsConst } from './tnum.js';
import type { Walker } from './walker.js';

const { EINVAL } = ERRNO;

/** The argument count of each kfunc bpfsim provides. */
const ARGS: Readonly<Record<string, number>> = {
  bpf_rcu_read_lock: 0, bpf_rcu_read_unlock: 0, bpf_iter_num_new: 3, bpf_iter_num_next: 1, bpf_iter_num_destroy: 1,
  bpf_cast_to_kern_ctx: 1,
};

interface IterSlot {
  readonly f: FuncState;
  readonly spi: number;
}

/** stack_slot_obj_get_spi for an iterator argument in r1; null when the slot is past the allocated stack. */
function iterSlot(env: Env): IterSlot | null {
  const reg = env.reg(1);
  if (reg.type !== RegType.STACK) fail(EINVAL, 'arg#0 expected pointer to an iterator on stack');
  if (!tnumIsConst(reg.s)) fail(EINVAL, 'iter has to be at a constant offset');
  const off = reg.off + reg.s.vlo;
  if (off % 8) fail(EINVAL, `cannot pass in iter at an offset=${off}`);
  const spi = (-off - 1) >> 3;
  if (spi < 0) fail(EINVAL, `cannot pass in iter at an offset=${off}`);
  const f = env.st.frames[reg.frameno]!;
  if (spi >= f.allocatedStack / 8) return null;
  return { f, spi };
}

/** is_iter_reg_valid_init: the slot holds a number iterator (its first slot carries the reference). */
function initializedIter(env: Env): IterSlot {
  const at = iterSlot(env);
  if (!at || at.f.slotType[at.spi * 8 + 7] !== Slot.ITER || !at.f.spilled[at.spi]?.refObjId) {
    fail(EINVAL, 'expected an initialized iter_num as arg #0');
  }
  return at;
}

function iterNew(env: Env): void {
  const at = iterSlot(env);
  if (at && at.f.slotType.subarray(at.spi * 8, at.spi * 8 + 8).includes(Slot.ITER)) fail(EINVAL, 'expected uninitialized iter_num as arg #0');
  checkMemAccess(env, 1, 0, 8, true, null, null);
  const { f, spi } = iterSlot(env)!;
  const id = acquireReference(env);
  const it = markPtr(f.spill(spi), RegType.STACK);
  it.refObjId = id;
  it.iterState = IterState.ACTIVE;
  it.iterDepth = 0;
  f.slotType.fill(Slot.ITER, spi * 8, spi * 8 + 8);
  env.scratchSlot(f, spi);
  for (const r of [2, 3]) if (env.reg(r).type !== RegType.SCALAR) fail(EINVAL, `R${r} is not a scalar`);
}

/** process_iter_next_call: the path forks into "one more element" (queued) and "drained" (this one). */
function iterNext(env: Env, walker: Walker, at: IterSlot): void {
  const st = env.st;
  const idx = env.insnIdx;
  const it = at.f.spilled[at.spi]!;
  if (it.iterState === IterState.ACTIVE) {
    if (!st.parent || st.parent.insnIdx !== idx || !st.parent.sameCallsites(st)) fail(ERRNO.EFAULT, 'bug: bad parent state for iter next call');
    const prev = env.explored.findPrevEntry(st.parent, idx);
    const queued = walker.push(idx + 1, idx);
    const qit = queued.frames[at.f.frameno]!.spilled[at.spi]!;
    qit.iterState = IterState.ACTIVE;
    qit.iterDepth++;
    if (prev) widenImpreciseScalars(env, prev, queued);
    queued.cur.regs[0]!.flags &= ~MAYBE_NULL;
  }
  it.iterState = IterState.DRAINED;
  markRegKnown(st.cur.regs[0]!, 0, 0);
}

function clobber(env: Env): void {
  for (let r = 0; r <= 5; r++) {
    markNotInit(env.reg(r));
    env.scratchRegs |= 1 << r;
  }
}

/** The kernel struct behind each program type's context (bpf_ctx_convert), for the types whose context is a struct. */
const KERN_CTX: Readonly<Record<number, string>> = {
  1: 'sk_buff', 2: 'pt_regs', 3: 'sk_buff', 4: 'sk_buff', 6: 'xdp_buff', 7: 'bpf_perf_event_data_kern', 8: 'sk_buff', 9: 'sock',
  10: 'sk_buff', 11: 'sk_buff', 12: 'sk_buff', 13: 'bpf_sock_ops_kern', 14: 'sk_buff', 16: 'sk_msg', 18: 'bpf_sock_addr_kern',
  19: 'sk_buff', 22: 'bpf_flow_dissector',
};

/** bpf_cast_to_kern_ctx: a trusted pointer to the kernel's struct behind the context (`struct xdp_buff` for XDP). */
function castToKernCtx(env: Env, r1: RegState): void {
  if (r1.type !== RegType.CTX) fail(EINVAL, `arg#0 expected pointer to ctx, but got ${regTypeName(r1.type, r1.flags)}`);
  clobber(env);
  const name = KERN_CTX[env.opts.progType];
  const r0 = markPtr(env.reg(0), RegType.BTF_ID, TRUSTED);
  r0.btfId = (name && env.opts.kernelTypes?.structId(name)) || 0;
}

/** check_kfunc_call for `call kfunc`; returns the next instruction. */
export function kfuncCall(env: Env, ins: Insn, walker: Walker): number {
  const next = env.insnIdx + 1;
  if (ins.imm === 0) return next;
  const name = kfuncName(env.opts, ins.imm)!;
  const nargs = ARGS[name];
  if (nargs === undefined) fail(EINVAL, `calling kernel function ${name} is not supported by bpfsim's verifier`);
  for (let r = 1; r <= nargs; r++) env.checkRegArg(r, SRC_OP);
  const st = env.st;
  switch (name) {
    case 'bpf_rcu_read_lock':
      if (st.activeRcuLock) fail(EINVAL, `nested rcu read lock (kernel function ${name})`);
      st.activeRcuLock = 1;
      clobber(env);
      return next;
    case 'bpf_rcu_read_unlock':
      if (!st.activeRcuLock) fail(EINVAL, `unmatched rcu read unlock (kernel function ${name})`);
      st.activeRcuLock = 0;
      clobber(env);
      return next;
    case 'bpf_iter_num_new':
      iterNew(env);
      clobber(env);
      markRegUnknown(env.reg(0));
      return next;
    case 'bpf_iter_num_next': {
      const at = initializedIter(env);
      env.liveness.markRead(at.f.frameno, at.spi);
      clobber(env);
      const r0 = markPtr(env.reg(0), RegType.MEM, RDONLY | MAYBE_NULL);
      r0.memSize = 4;
      r0.id = env.newId();
      iterNext(env, walker, at);
      return next;
    }
    case 'bpf_iter_num_destroy': {
      const at = initializedIter(env);
      env.liveness.markRead(at.f.frameno, at.spi);
      const id = at.f.spilled[at.spi]!.refObjId;
      if (!releaseReference(env, id)) fail(EINVAL, `func ${name} reference has not been acquired before`);
      markNotInit(at.f.spilled[at.spi]!);
      at.f.slotType.fill(Slot.INVALID, at.spi * 8, at.spi * 8 + 8);
      env.scratchSlot(at.f, at.spi);
      clobber(env);
      return next;
    }
    default:
      castToKernCtx(env, env.reg(1));
      return next;
  }
}
