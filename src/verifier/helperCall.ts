/**
 * A helper call (check_helper_call, Linux 6.18, privileged): the prototype from the helper table,
 * its arguments (helperArgs.ts), what the call does to the state — a released reference
 * invalidates its copies, a tail call must leave nothing held, bpf_loop and for_each_map_elem run
 * their callback (callbacks.ts), r1-r5 are clobbered — and r0 by the return type: a map value or
 * NULL, a socket or NULL (a new reference), a ring buffer record or NULL (a new reference), a
 * scalar whose range some helpers bound. Helpers that move packet data invalidate packet pointers.
 */
import { helperName, type Insn } from '../isa/index.js';
import { ERRNO } from '../errno.js';
import { ForEachCallback, LoopCallback, TimerCallback, UserRingbufCallback, pushCallbackCall } from './callbacks.js';
import type { Env } from './env.js';
import { type CallMeta, checkArg, newMeta } from './helperArgs.js';
import { checkFromMemData, releaseDynptr } from './dynptr.js';
import { mapFuncIncompatibility } from './helperProtos.js';
import { fail } from './log.js';
import { markChainPrecision } from './precision.js';
import { acquireReference, checkResourceLeak, releaseReference } from './refs.js';
import {
  MAYBE_NULL, RINGBUF, RegType, isNullScalar, isPktPtr, markNotInit, markPtr, markRegUnknown, regTypeName,
} from './regState.js';
import { boundsSync } from './scalar.js';
import { stackHelperWrote } from './stack.js';
import { tnumIsConst } from './tnum.js';
import { hiOf, loOf, u64 } from './u64.js';
import type { Walker } from './walker.js';

const { EACCES, EINVAL, ENOTSUPP } = ERRNO;

/** Map types whose elements bpf_for_each_map_elem can walk (map_for_each_callback). */
const FOR_EACH_MAPS: ReadonlySet<number> = new Set([1, 2, 5, 6, 9, 10]);

/** Helpers whose result is a new reference (is_acquire_function), besides lookups in socket maps. */
const ACQUIRE = new Set([84, 85, 99, 131, 194]);
/** Helpers whose result keeps the argument's reference (is_ptr_cast_function). */
const PTR_CAST = new Set([95, 96, 136, 137, 138, 139, 140, 196]);
/** Helpers that return at most their size argument, or -errno (do_refine_retval_range). */
const STR_RESULT = new Set([45, 67, 114, 115, 141]);
const MAX_ERRNO = 4095;

/** record_func_key: a tail call through a known index makes the index precise. */
function recordFuncKey(env: Env, meta: CallMeta): void {
  if (!meta.map || meta.map.type !== 3) fail(EINVAL, 'expected prog array map for tail call');
  const r3 = env.reg(3);
  const known = r3.type === RegType.SCALAR && tnumIsConst(r3.s) && u64(r3.s.vhi, r3.s.vlo) < BigInt(meta.map.maxEntries);
  if (known) markChainPrecision(env, 3);
  const key = known ? u64(r3.s.vhi, r3.s.vlo) : null;
  const prev = env.tailCallKeys.get(env.insnIdx);
  env.tailCallKeys.set(env.insnIdx, prev === undefined || prev === key ? key : null);
}

/** r0 by the helper's return type. */
function setReturn(env: Env, ret: string, meta: CallMeta, id: number): void {
  const r0 = env.frame.regs[0]!;
  switch (ret) {
    case 'void':
      markNotInit(r0);
      return;
    case 'map_value_or_null': {
      const map = meta.map!;
      const elide = id === 1 && (map.type === 2 || map.type === 6) && meta.constKey >= 0 && meta.constKey < map.maxEntries;
      markPtr(r0, RegType.MAP_VALUE, elide ? 0 : MAYBE_NULL);
      r0.map = map;
      if (!elide || map.spinLockOff !== undefined) r0.id = env.newId();
      return;
    }
    case 'socket_or_null': markPtr(r0, RegType.SOCKET, MAYBE_NULL); break;
    case 'sock_common_or_null': markPtr(r0, RegType.SOCK_COMMON, MAYBE_NULL); break;
    case 'tcp_sock_or_null': markPtr(r0, RegType.TCP_SOCK, MAYBE_NULL); break;
    case 'ringbuf_mem_or_null':
      markPtr(r0, RegType.MEM, RINGBUF | MAYBE_NULL);
      r0.memSize = meta.allocSize;
      break;
    case 'dynptr_mem_or_null':
      markPtr(r0, RegType.MEM, MAYBE_NULL);
      r0.memSize = meta.allocSize;
      r0.id = env.newId();
      r0.refObjId = meta.dynptrRefObjId;
      r0.dynptrId = meta.dynptrId;
      return;
    default:
      markRegUnknown(r0);
      return;
  }
  r0.id = env.newId();
}

/** do_refine_retval_range: string copies return at most their size, smp_processor_id a CPU number. */
function refineReturn(env: Env, id: number, max: number): void {
  const r0 = env.frame.regs[0]!;
  if (r0.type !== RegType.SCALAR) return;
  const s = r0.s;
  if (STR_RESULT.has(id)) {
    s.smaxHi = 0; s.smaxLo = max; s.s32max = max;
    s.sminHi = hiOf(BigInt(-MAX_ERRNO)); s.sminLo = loOf(BigInt(-MAX_ERRNO)); s.s32min = -MAX_ERRNO;
    boundsSync(s);
  } else if (id === 8) {
    const cpu = (env.opts.nrCpus ?? 2) - 1;
    s.umaxHi = 0; s.umaxLo = cpu; s.u32max = cpu; s.smaxHi = 0; s.smaxLo = cpu; s.s32max = cpu;
    s.uminHi = 0; s.uminLo = 0; s.u32min = 0; s.sminHi = 0; s.sminLo = 0; s.s32min = 0;
    boundsSync(s);
  }
}

/** update_loop_inline_state: a bpf_loop call is inlined when every visit passes flags 0 (then precise) and the same callback. */
function updateLoopInlineState(env: Env, callback: number): void {
  const state = env.loopInline.get(env.insnIdx);
  if (state && !state.fit) return;
  const flagsZero = isNullScalar(env.reg(4));
  if (flagsZero) markChainPrecision(env, 4);
  env.loopInline.set(env.insnIdx, { fit: flagsZero && (!state || state.callback === callback), callback: state?.callback ?? callback });
}

/** check_helper_call for `call id`; returns the next instruction. */
export function helperCall(env: Env, ins: Insn, walker: Walker): number {
  const id = ins.imm;
  const name = helperName(id);
  if (name === undefined || id <= 0) fail(EINVAL, `invalid func unknown#${id}`);
  if (!env.helpers.allowed(id, env.opts.progType)) fail(EINVAL, `program of this type cannot use helper ${name}#${id}`);
  const proto = env.helpers.proto(id);
  if (!proto) fail(EINVAL, `bpfsim has no prototype for helper ${name}#${id} yet, so it cannot verify calls to it (bpfsim features --missing lists such helpers)`);
  if (proto.gplOnly && env.opts.gpl === false) fail(EINVAL, 'cannot call GPL-restricted function from non-GPL compatible program');
  const meta = newMeta();
  for (let a = 0; a < proto.args.length; a++) checkArg(env, id, proto, a, meta);
  if (meta.map && (meta.map.flags & 0x80) && [2, 3, 87, 88].includes(id)) fail(EACCES, 'write into map forbidden');
  if (meta.map) {
    const prev = env.callMaps.get(env.insnIdx);
    env.callMaps.set(env.insnIdx, prev === undefined || prev === meta.map ? meta.map : null);
  }
  if (id === 12) recordFuncKey(env, meta);
  const sizeArg = proto.args.findIndex((t) => t === 'const_size' || t === 'const_size_or_zero');
  if (meta.rawRegno >= 0) stackHelperWrote(env, meta.rawRegno, meta.rawSize);
  if (meta.releaseRegno) {
    const ok = meta.refObjId ? releaseReference(env, meta.refObjId) : isNullScalar(env.reg(meta.releaseRegno));
    if (!ok) fail(EINVAL, `func ${name}#${id} reference has not been acquired before`);
  }
  if (meta.dynptrRelease) releaseDynptr(env, meta.dynptrRelease);
  if (id === 197) checkFromMemData(env.reg(1), regTypeName(env.reg(1).type, env.reg(1).flags));
  if (id === 12) checkResourceLeak(env, true, 'tail_call');
  if (id === 164) {
    if (!FOR_EACH_MAPS.has(meta.map!.type)) fail(ENOTSUPP, 'callback function not allowed for map');
    pushCallbackCall(env, walker, meta.callback, ForEachCallback(meta.map!));
  }
  if (id === 181) {
    updateLoopInlineState(env, meta.callback);
    markChainPrecision(env, 1);
    const r1 = env.reg(1);
    if (BigInt(env.frame.callbackDepth) < u64(r1.s.umaxHi, r1.s.umaxLo)) pushCallbackCall(env, walker, meta.callback, LoopCallback);
    else env.frame.callbackDepth = 0;
  }
  if (id === 170) pushCallbackCall(env, walker, meta.callback, TimerCallback(meta.map!));
  if (id === 209) pushCallbackCall(env, walker, meta.callback, UserRingbufCallback(env.newId()));
  if (id === 180) fail(EINVAL, `helper ${name}#${id} (a callback it would run) is not supported by bpfsim's verifier yet`);
  const f = env.frame;
  const r0Size = sizeArg >= 0 ? Number(u64(f.regs[sizeArg + 1]!.s.umaxHi, f.regs[sizeArg + 1]!.s.umaxLo)) : 0;
  for (let r = 1; r <= 5; r++) { markNotInit(f.regs[r]!); env.scratchRegs |= 1 << r; }
  env.scratchRegs |= 1;
  f.regs[0]!.subregDef = 0;
  setReturn(env, proto.ret, meta, id);
  const r0 = f.regs[0]!;
  if (PTR_CAST.has(id)) r0.refObjId = meta.refObjId;
  else if (ACQUIRE.has(id) || (id === 1 && (meta.map?.type === 15 || meta.map?.type === 18))) {
    const ref = acquireReference(env);
    r0.id = ref;
    r0.refObjId = ref;
  }
  refineReturn(env, id, r0Size);
  const incompatible = meta.map && mapFuncIncompatibility(meta.map.type, id, name, env.opts.progType, env.opts.expectedAttachType);
  if (incompatible) fail(EINVAL, incompatible);
  if (proto.changesPktData) {
    for (const r of env.st.allRegs()) if (isPktPtr(r) || r.type === RegType.PKT_END) markRegUnknown(r);
  }
  return env.insnIdx + 1;
}
