/**
 * Calls and exits (check_helper_call, check_func_call, prepare_func_exit, check_return_code;
 * Linux 6.18, privileged): helper arguments checked against the prototype (map pointer, key and
 * value memory, memory and size pairs, the context, constants), r0 set by the return type, r1-r5
 * clobbered, packet pointers forgotten by helpers that move packet data; a BPF-to-BPF call opens a
 * frame (at most 8) with r1-r5 passed on; an exit returns r0 to the caller or, from the main
 * program, checks r0 against the program type's allowed return values and that every reference
 * was released.
 */
import { BPF_JMP32, BPF_K, BPF_PSEUDO_CALL, BPF_PSEUDO_KFUNC_CALL, helperName, insnClass, insnSrc, type Insn } from '../isa/index.js';
import type { HelperProto } from '../helpers/proto.js';
import { ERRNO } from '../errno.js';
import { BPF_CGROUP_INET_EGRESS, BPF_PROG_TYPE_CGROUP_SKB, BPF_PROG_TYPE_CGROUP_SOCK, BPF_PROG_TYPE_SOCK_OPS } from '../uapi.js';
import { type Env, SRC_OP } from './env.js';
import { fail } from './log.js';
import { checkPacketAccess, checkPtrOffReg, checkRegionAccess } from './memory.js';
import { mapFuncCompatible } from './helperProtos.js';
import {
  MAYBE_NULL, type MapInfo, RDONLY, RINGBUF, RegState, RegType, copyReg, isNullScalar, isPktPtr, markNotInit, markPtr,
  markRegUnknown, regTypeName,
} from './regState.js';
import { stackHelperWrote, stackRangeInitialized } from './stack.js';
import { FuncState, Slot, formatFrame, formatState } from './state.js';
import { s64, u64 } from './u64.js';

const { EACCES, EINVAL } = ERRNO;
const MAX_CALL_FRAMES = 8;
const BPF_MAX_VAR_SIZ = 1n << 29n;

/** Program types with direct packet access (may_access_direct_pkt_data). */
const PKT_TYPES = [3, 4, 6, 12, 14, 16, 10, 11, 8, 18, 21, 22];

const MEM_TYPES = 'fp, pkt, pkt_meta, map_key, map_value, mem, ringbuf_mem, buf, trusted_ptr_';

/** What the arguments checked so far established (bpf_call_arg_meta). */
interface CallMeta {
  map: MapInfo | null;
  /** Register and size of an uninitialised-memory argument the helper fills. */
  rawRegno: number;
  rawSize: number;
  constKey: number;
  allocSize: number;
  releaseId: number;
}

/** check_helper_mem_access: `size` bytes at the pointer in `regno` (may be 0 with `zeroOk`). */
function helperMemAccess(env: Env, regno: number, size: number, write: boolean, zeroOk: boolean): void {
  const reg = env.reg(regno);
  switch (reg.type) {
    case RegType.PKT:
    case RegType.PKT_META:
      checkPacketAccess(env, regno, reg.off, size, zeroOk);
      return;
    case RegType.MAP_KEY:
      if (write) fail(EACCES, `R${regno} cannot write into ${regTypeName(reg.type, reg.flags)}`);
      checkRegionAccess(env, regno, reg.off, size, reg.map!.keySize, false);
      return;
    case RegType.MAP_VALUE:
      checkRegionAccess(env, regno, reg.off, size, reg.map!.valueSize, zeroOk);
      return;
    case RegType.MEM:
      if (write && (reg.flags & RDONLY)) fail(EACCES, `R${regno} cannot write into ${regTypeName(reg.type, reg.flags)}`);
      checkRegionAccess(env, regno, reg.off, size, reg.memSize, zeroOk);
      return;
    case RegType.STACK:
      stackRangeInitialized(env, regno, reg.off, size, zeroOk, write);
      return;
    default:
      if (zeroOk && size === 0 && isNullScalar(reg)) return;
      fail(EACCES, `R${regno} type=${regTypeName(reg.type, reg.flags)} expected=fp`);
  }
}

/** get_constant_map_key: the key's value when it is a known constant on the stack, else -1. */
function constantKey(env: Env, reg: RegState, keySize: number): number {
  if (reg.type !== RegType.STACK || reg.s.mlo !== 0 || reg.s.mhi !== 0) return -1;
  const f = env.st.frames[reg.frameno]!;
  const slot = -(reg.off + reg.s.vlo) - 1;
  if (slot < 0 || slot >= 512) return -1;
  const spi = slot >> 3;
  const off = slot & 7;
  let zeros = 0;
  for (let i = off; i >= 0 && f.slotType[spi * 8 + i] === Slot.ZERO; i--) zeros++;
  if (zeros >= keySize) return 0;
  const sp = f.spilled[spi];
  if (!f.isSpilled(spi) || !sp || sp.type !== RegType.SCALAR) return -1;
  let spill = 0;
  for (let i = off; i >= 0 && f.slotType[spi * 8 + i] === Slot.SPILL; i--) spill++;
  if (spill !== keySize || sp.s.mlo !== 0 || sp.s.mhi !== 0) return -1;
  return Number(u64(sp.s.vhi, sp.s.vlo));
}

function typeError(regno: number, reg: RegState, expected: string): never {
  fail(EACCES, `R${regno} type=${regTypeName(reg.type, reg.flags)} expected=${expected}`);
}

/** ARG_PTR_TO_CONST_STR: a NUL-terminated string at a known offset of a frozen read-only map. */
function constStr(reg: RegState, regno: number): void {
  if (reg.type !== RegType.MAP_VALUE || !reg.map?.frozenValue) fail(EACCES, `R${regno} does not point to a readonly map'`);
  if (reg.s.mlo !== 0 || reg.s.mhi !== 0) fail(EACCES, `R${regno} is not a constant address'`);
  const start = reg.off + reg.s.vlo;
  if (reg.map.frozenValue.indexOf(0, start) < 0) fail(EACCES, 'string is not zero-terminated');
}

/** check_func_arg: argument `arg` (0-based) of the helper, in register arg + 1. */
function checkArg(env: Env, id: number, proto: HelperProto, arg: number, meta: CallMeta): void {
  const regno = arg + 1;
  const t = proto.args[arg]!;
  const reg = env.checkRegArg(regno, SRC_OP);
  if (t === 'anything') return;
  if (t === 'const_size' || t === 'const_size_or_zero' || t === 'const_alloc_size_or_zero') {
    if (reg.type !== RegType.SCALAR) typeError(regno, reg, 'scalar');
    if (t === 'const_alloc_size_or_zero') {
      if (reg.s.mlo !== 0 || reg.s.mhi !== 0) fail(EACCES, `R${regno} is not a known constant'`);
      meta.allocSize = Number(u64(reg.s.vhi, reg.s.vlo));
      return;
    }
    const smin = s64(reg.s.sminHi, reg.s.sminLo);
    const umin = u64(reg.s.uminHi, reg.s.uminLo);
    const umax = u64(reg.s.umaxHi, reg.s.umaxLo);
    if (smin < 0n) fail(EACCES, `R${regno} min value is negative, either use unsigned or 'var &= const'`);
    if (umin === 0n && t === 'const_size') fail(EACCES, `R${regno} invalid zero-sized read: u64=[${umin},${umax}]`);
    if (umax >= BPF_MAX_VAR_SIZ) fail(EACCES, `R${regno} unbounded memory access, use 'var &= const' or 'if (var < const)'`);
    const write = proto.args[arg - 1] === 'uninit_mem' || proto.args[arg - 1] === 'writable_mem_or_null';
    const memReg = env.reg(regno - 1);
    if (write && memReg.type === RegType.STACK && reg.s.mlo === 0 && reg.s.mhi === 0) {
      helperMemAccess(env, regno - 1, Number(umax), true, t === 'const_size_or_zero');
      meta.rawRegno = regno - 1;
      meta.rawSize = Number(umax);
      return;
    }
    helperMemAccess(env, regno - 1, Number(umax), write, t === 'const_size_or_zero');
    return;
  }
  if (isPktPtr(reg) && !(PKT_TYPES.includes(env.opts.progType) && env.helpers.pktAccess(id))) fail(EACCES, 'helper access to the packet is not allowed');
  if ((t === 'mem_or_null' || t === 'writable_mem_or_null') && isNullScalar(reg)) return;
  switch (t) {
    case 'const_map_ptr':
      if (reg.type !== RegType.CONST_MAP) typeError(regno, reg, 'map_ptr');
      meta.map = reg.map;
      return;
    case 'ctx':
      if (reg.type !== RegType.CTX) typeError(regno, reg, 'ctx');
      checkPtrOffReg(reg, regno, false);
      return;
    case 'ringbuf_mem':
      if (reg.type !== RegType.MEM || reg.flags !== RINGBUF) typeError(regno, reg, 'ringbuf_mem');
      if (reg.off) fail(EACCES, `R${regno} must have zero offset when passed to release func or trusted arg to kfunc`);
      if (!reg.refObjId || !env.st.refs.some((r) => r.id === reg.refObjId)) {
        fail(EINVAL, `R${regno} must be referenced when passed to release function`);
      }
      meta.releaseId = reg.refObjId;
      return;
    case 'map_key':
    case 'map_value':
    case 'uninit_map_value':
    case 'mem':
    case 'mem_or_null':
    case 'writable_mem_or_null':
    case 'long':
    case 'int':
    case 'uninit_mem': {
      const memOk = reg.type === RegType.STACK || isPktPtr(reg) || reg.type === RegType.MAP_KEY || reg.type === RegType.MAP_VALUE ||
        (reg.type === RegType.MEM && (reg.flags & MAYBE_NULL) === 0 && ((reg.flags & RDONLY) === 0 || t === 'mem'));
      if (!memOk) typeError(regno, reg, MEM_TYPES);
      if (t === 'map_key' || t === 'map_value' || t === 'uninit_map_value') {
        if (!meta.map) fail(EACCES, `invalid map_ptr to access map->${t === 'map_key' ? 'key' : 'value'}`);
        const size = t === 'map_key' ? meta.map.keySize : meta.map.valueSize;
        helperMemAccess(env, regno, size, t === 'uninit_map_value', false);
        if (t === 'map_key' && (meta.map.type === 2 || meta.map.type === 6)) meta.constKey = constantKey(env, reg, size);
      }
      if (t === 'long' || t === 'int') {
        const size = t === 'long' ? 8 : 4;
        helperMemAccess(env, regno, size, true, false);
        if (reg.type === RegType.STACK) { meta.rawRegno = regno; meta.rawSize = size; }
      }
      return;
    }
    case 'const_str':
      constStr(reg, regno);
      return;
    default:
      fail(EINVAL, `helper arguments of type '${t}'${t === 'func' ? ' (callbacks)' : ''} are not supported by bpfsim's verifier yet`);
  }
}

/** check_helper_call for `call id`. */
function helperCall(env: Env, ins: Insn): void {
  const id = ins.imm;
  const name = helperName(id);
  if (name === undefined || id <= 0) fail(EINVAL, `invalid func unknown#${id}`);
  const known = env.helpers.proto(id);
  if (!known && !env.helpers.allowed(id, env.opts.progType)) {
    fail(EINVAL, `program of this type cannot use helper ${name}#${id} (or bpfsim has no prototype for it yet)`);
  }
  if (!env.helpers.allowed(id, env.opts.progType)) fail(EINVAL, `program of this type cannot use helper ${name}#${id}`);
  const proto = known!;
  if (proto.gplOnly && env.opts.gpl === false) fail(EINVAL, 'cannot call GPL-restricted function from non-GPL compatible program');
  const meta: CallMeta = { map: null, rawRegno: -1, rawSize: 0, constKey: -1, allocSize: 0, releaseId: 0 };
  for (let a = 0; a < proto.args.length; a++) checkArg(env, id, proto, a, meta);
  if (id === 12 && meta.map && meta.map.type !== 3) fail(EINVAL, 'expected prog array map for tail call');
  if (meta.map && !mapFuncCompatible(meta.map.type, id)) fail(EINVAL, `cannot pass map_type ${meta.map.type} into func ${name}#${id}`);
  if (meta.rawRegno >= 0) stackHelperWrote(env, meta.rawRegno, meta.rawSize);
  if (meta.releaseId) {
    env.st.refs = env.st.refs.filter((r) => r.id !== meta.releaseId);
    for (const r of env.st.allRegs()) if (r.refObjId === meta.releaseId) markRegUnknown(r);
  }
  const f = env.frame;
  for (let r = 1; r <= 5; r++) { markNotInit(f.regs[r]!); env.scratchRegs |= 1 << r; }
  env.scratchRegs |= 1;
  const r0 = f.regs[0]!;
  switch (proto.ret) {
    case 'void':
      markNotInit(r0);
      break;
    case 'map_value_or_null': {
      const map = meta.map!;
      const elide = (map.type === 2 || map.type === 6) && meta.constKey >= 0 && meta.constKey < map.maxEntries;
      markPtr(r0, RegType.MAP_VALUE, elide ? 0 : MAYBE_NULL);
      r0.map = map;
      if (!elide) r0.id = env.newId();
      break;
    }
    case 'ringbuf_mem_or_null': {
      markPtr(r0, RegType.MEM, RINGBUF | MAYBE_NULL);
      r0.memSize = meta.allocSize;
      r0.id = env.newId();
      const ref = env.newId();
      env.st.refs.push({ id: ref, insn: env.insnIdx });
      r0.id = ref;
      r0.refObjId = ref;
      break;
    }
    default:
      markRegUnknown(r0);
  }
  if (proto.changesPktData) {
    for (const r of env.st.allRegs()) if (isPktPtr(r) || r.type === RegType.PKT_END) markRegUnknown(r);
  }
}

/** __check_func_call for a BPF-to-BPF call: a new frame running the subprogram at `target`. */
function funcCall(env: Env, ins: Insn): number {
  const st = env.st;
  if (st.frames.length >= MAX_CALL_FRAMES) fail(ERRNO.E2BIG, `the call stack of ${st.frames.length + 1} frames is too deep`);
  const target = env.insnIdx + ins.imm + 1;
  const caller = st.cur;
  const callee = new FuncState(st.frames.length, env.insnIdx, env.shape.subprogOf[target]!);
  for (let r = 1; r <= 5; r++) copyReg(callee.regs[r]!, caller.regs[r]!);
  for (let r = 0; r <= 5; r++) markNotInit(caller.regs[r]!);
  st.frames.push(callee);
  if (env.log.level >= 1) {
    env.log.line('caller:');
    env.log.line(` ${formatFrame(caller)}`);
    env.log.line('callee:');
    env.log.line(` ${formatState(st)}`);
  }
  return target;
}

/** A call instruction; returns the next instruction of this path. */
export function checkCall(env: Env, ins: Insn): number {
  if (insnSrc(ins.code) !== BPF_K || (ins.src !== BPF_PSEUDO_KFUNC_CALL && ins.off !== 0) ||
      (ins.src !== 0 && ins.src !== BPF_PSEUDO_CALL && ins.src !== BPF_PSEUDO_KFUNC_CALL) || ins.dst !== 0 || insnClass(ins.code) === BPF_JMP32) {
    fail(EINVAL, 'BPF_CALL uses reserved fields');
  }
  if (ins.src === BPF_PSEUDO_CALL) return funcCall(env, ins);
  helperCall(env, ins);
  return env.insnIdx + 1;
}

/** The range the main program's r0 must be in at exit, for the program type (check_return_code). */
function returnRange(progType: number, attach: number): [number, number] | null {
  if (progType === BPF_PROG_TYPE_CGROUP_SKB) return attach === BPF_CGROUP_INET_EGRESS ? [0, 3] : [0, 1];
  if (progType === BPF_PROG_TYPE_CGROUP_SOCK || progType === BPF_PROG_TYPE_SOCK_OPS) return [0, 1];
  return null;
}

/** BPF_EXIT: returns the caller's next instruction, or -1 when the main program ends this path. */
export function checkExit(env: Env, ins: Insn): number {
  if (insnSrc(ins.code) !== BPF_K || ins.imm !== 0 || ins.src !== 0 || ins.dst !== 0 || insnClass(ins.code) === BPF_JMP32) {
    fail(EINVAL, 'BPF_EXIT uses reserved fields');
  }
  const st = env.st;
  if (st.frames.length > 1) {
    const callee = st.cur;
    const r0 = callee.regs[0]!;
    if (r0.type === RegType.STACK) fail(EINVAL, 'cannot return stack pointer to the caller');
    st.frames.pop();
    copyReg(st.cur.regs[0]!, r0);
    env.scratchRegs |= 1;
    return callee.callsite + 1;
  }
  if (st.refs.length) {
    const ref = st.refs[0]!;
    fail(EINVAL, `Unreleased reference id=${ref.id} alloc_insn=${ref.insn}\nBPF_EXIT instruction in main prog would lead to reference leak`);
  }
  const r0 = env.checkRegArg(0, SRC_OP);
  const range = returnRange(env.opts.progType, env.opts.expectedAttachType ?? 0);
  if (!range) return -1;
  if (r0.type !== RegType.SCALAR) {
    fail(EINVAL, `At program exit the register R0 is not a known value (${regTypeName(r0.type, r0.flags)})`);
  }
  const smin = s64(r0.s.sminHi, r0.s.sminLo);
  const smax = s64(r0.s.smaxHi, r0.s.smaxLo);
  if (smin < BigInt(range[0]) || smax > BigInt(range[1])) {
    let has = '';
    if (smin > -(1n << 63n)) has += ` smin=${smin}`;
    if (smax < (1n << 63n) - 1n) has += ` smax=${smax}`;
    fail(EINVAL, `At program exit the register R0 has${has || ' unknown scalar value'} should have been in [${range[0]}, ${range[1]}]`);
  }
  return -1;
}
