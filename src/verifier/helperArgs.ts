/**
 * A helper call's arguments (check_func_arg, check_reg_type, check_func_arg_reg_off,
 * check_mem_size_reg, check_helper_mem_access; Linux 6.18, privileged): each register against its
 * argument type — the map pointer and the key and value memory it implies, memory and size pairs
 * (the size is needed exactly, so it becomes precise), the context, a callback function and its
 * context, sockets (released ones must be referenced), spin locks, ring buffer records, constant
 * strings — with the kernel's messages. What the arguments establish goes into a `CallMeta`.
 */
import type { HelperProto } from '../helpers/proto.js';
import { ERRNO } from '../errno.js';
import { type Env, SRC_OP } from './env.js';
import { processDynptrArg } from './dynptr.js';
import { fail } from './log.js';
import { checkMapValueAccess, checkPacketAccess, checkPtrOffReg, checkRegionAccess } from './memory.js';
import { markChainPrecision, markSlotPrecision } from './precision.js';
import { processSpinLock } from './refs.js';
import {
  MAYBE_NULL, type MapInfo, RDONLY, RINGBUF, RegState, RegType, TRUSTED, isNullScalar, isPktPtr, regTypeName,
} from './regState.js';
import { stackRangeInitialized } from './stack.js';
import { Slot } from './state.js';
import { tnumIsConst } from './tnum.js';
import { s64, u64 } from './u64.js';

const { EACCES, EINVAL } = ERRNO;
const BPF_MAX_VAR_SIZ = 1n << 29n;

/** Program types with direct packet access (may_access_direct_pkt_data). */
const PKT_TYPES = [3, 4, 6, 12, 14, 16, 10, 11, 8, 18, 21, 22];

/** What the arguments checked so far established (bpf_call_arg_meta). */
export interface CallMeta {
  map: MapInfo | null;
  /** Register and size of an uninitialised-memory argument the helper fills. */
  rawRegno: number;
  rawSize: number;
  /** The key, when it is a known constant on the stack (-1 otherwise). */
  constKey: number;
  /** Size of the memory a reserving helper returns. */
  allocSize: number;
  /** The register released by the call (0: none), and the reference it holds. */
  releaseRegno: number;
  refObjId: number;
  /** A callback's first instruction. */
  callback: number;
  /** The id and reference of the dynptr argument (bpf_dynptr_data's slice keeps them). */
  dynptrId: number;
  dynptrRefObjId: number;
  /** The register holding a ring buffer dynptr the call releases (0: none). */
  dynptrRelease: number;
}

/** A fresh meta. */
export function newMeta(): CallMeta {
  return { map: null, rawRegno: -1, rawSize: 0, constKey: -1, allocSize: 0, releaseRegno: 0, refObjId: 0, callback: -1, dynptrId: 0, dynptrRefObjId: 0, dynptrRelease: 0 };
}

/** Register types each argument type accepts, as the log lists them (compatible_reg_types). */
const MEM = [RegType.STACK, RegType.PKT, RegType.PKT_META, RegType.MAP_KEY, RegType.MAP_VALUE, RegType.MEM];
const MEM_NAMES = 'fp, pkt, pkt_meta, map_key, map_value, mem, ringbuf_mem, buf, trusted_ptr_';
const SOCK = [RegType.SOCK_COMMON, RegType.SOCKET, RegType.TCP_SOCK];
const SOCK_NAMES = 'sock_common, sock, tcp_sock, xdp_sock';

function typeError(regno: number, reg: RegState, expected: string): never {
  fail(EACCES, `R${regno} type=${regTypeName(reg.type, reg.flags)} expected=${expected}`);
}

/** check_reg_type: the register's type (its MAYBE_NULL/RDONLY folded where the argument allows) is one the argument accepts. */
function checkRegType(regno: number, reg: RegState, t: string): void {
  const flags = reg.flags & ~(t === 'mem' || t === 'mem_or_null' ? RDONLY : 0) & ~(t.endsWith('_or_null') ? MAYBE_NULL : 0);
  const base = reg.type;
  const plain = flags === 0;
  switch (t) {
    case 'map_key': case 'map_value': case 'uninit_map_value': case 'mem': case 'mem_or_null': case 'uninit_mem':
    case 'writable_mem_or_null': case 'long': case 'int':
      if ((MEM.includes(base as never) && plain) || (base === RegType.MEM && flags === RINGBUF)) return;
      typeError(regno, reg, MEM_NAMES);
      break;
    case 'const_size': case 'const_size_or_zero': case 'const_alloc_size_or_zero':
      if (base === RegType.SCALAR) return;
      typeError(regno, reg, 'scalar');
      break;
    case 'const_map_ptr': if (base === RegType.CONST_MAP && plain) return; typeError(regno, reg, 'map_ptr'); break;
    case 'ctx': case 'ctx_or_null': if (base === RegType.CTX && plain) return; typeError(regno, reg, 'ctx'); break;
    case 'ringbuf_mem': if (base === RegType.MEM && flags === RINGBUF) return; typeError(regno, reg, 'ringbuf_mem'); break;
    case 'func': if (base === RegType.FUNC && plain) return; typeError(regno, reg, 'func'); break;
    case 'stack_or_null': if (base === RegType.STACK && plain) return; typeError(regno, reg, 'fp'); break;
    case 'const_str': case 'timer': if (base === RegType.MAP_VALUE && plain) return; typeError(regno, reg, 'map_value'); break;
    case 'spin_lock': if (base === RegType.MAP_VALUE && plain) return; typeError(regno, reg, 'map_value, ptr_'); break;
    case 'dynptr_local_uninit': case 'dynptr_ringbuf_uninit': case 'dynptr_ringbuf_release': case 'dynptr_rdonly':
      if ((base === RegType.STACK || base === RegType.CONST_DYNPTR) && plain) return;
      typeError(regno, reg, 'fp, dynptr_ptr');
      break;
    case 'sock_common': if (SOCK.includes(base as never) && plain) return; typeError(regno, reg, SOCK_NAMES); break;
    case 'socket_release': case 'btf_id_sock_common':
      if ((SOCK.includes(base as never) && plain) || (base === RegType.BTF_ID && (flags & ~TRUSTED) === 0)) return;
      typeError(regno, reg, `${SOCK_NAMES}, ptr_, trusted_ptr_`);
      break;
    default:
      fail(EINVAL, `helper arguments of type '${t}' are not supported by bpfsim's verifier yet`);
  }
}

/** check_func_arg_reg_off: which pointers may carry an offset into a helper. */
export function checkArgRegOff(reg: RegState, regno: number, release: boolean): void {
  if (release) {
    if (reg.off) fail(EINVAL, `R${regno} must have zero offset when passed to release func or trusted arg to kfunc`);
    checkPtrOffReg(reg, regno, false);
    return;
  }
  switch (reg.type) {
    case RegType.STACK: case RegType.PKT: case RegType.PKT_META: case RegType.MAP_KEY: case RegType.MAP_VALUE:
    case RegType.MEM: case RegType.SCALAR:
      return;
    case RegType.BTF_ID:
      checkPtrOffReg(reg, regno, true);
      return;
    default:
      checkPtrOffReg(reg, regno, false);
  }
}

/** check_helper_mem_access: `size` bytes at the pointer in `regno` (may be 0 with `zeroOk`). */
export function helperMemAccess(env: Env, regno: number, size: number, write: boolean, zeroOk: boolean, raw = false): void {
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
      checkMapValueAccess(env, regno, reg.off, size, zeroOk);
      return;
    case RegType.MEM:
      if (write && (reg.flags & RDONLY)) fail(EACCES, `R${regno} cannot write into ${regTypeName(reg.type, reg.flags)}`);
      checkRegionAccess(env, regno, reg.off, size, reg.memSize, zeroOk);
      return;
    case RegType.STACK:
      stackRangeInitialized(env, regno, reg.off, size, zeroOk, write, raw);
      return;
    default:
      if (zeroOk && size === 0 && isNullScalar(reg)) return;
      fail(EACCES, `R${regno} type=${regTypeName(reg.type, reg.flags)} expected=fp`);
  }
}

/** get_constant_map_key: the key's value when it is a known constant on the stack (then made precise), else -1. */
function constantKey(env: Env, reg: RegState, keySize: number): number {
  if (reg.type !== RegType.STACK || !tnumIsConst(reg.s)) return -1;
  const f = env.st.frames[reg.frameno]!;
  const slot = -(reg.off + reg.s.vlo) - 1;
  if (slot < 0 || slot >= 512) return -1;
  const spi = slot >> 3;
  const off = slot & 7;
  let zeros = 0;
  for (let i = off; i >= 0 && f.slotType[spi * 8 + i] === Slot.ZERO; i--) zeros++;
  if (zeros >= keySize) return 0;
  const sp = f.spilled[spi];
  if (!f.isSpilledScalar(spi) || !sp) return -1;
  let spill = 0;
  for (let i = off; i >= 0 && f.slotType[spi * 8 + i] === Slot.SPILL; i--) spill++;
  if (spill !== keySize || !tnumIsConst(sp.s)) return -1;
  markSlotPrecision(env, reg.frameno, spi);
  return Number(u64(sp.s.vhi, sp.s.vlo));
}

/** ARG_PTR_TO_CONST_STR: a NUL-terminated string at a known offset of a frozen read-only map. */
function constStr(reg: RegState, regno: number): void {
  if (!reg.map?.frozenValue) fail(EACCES, `R${regno} does not point to a readonly map'`);
  if (!tnumIsConst(reg.s)) fail(EACCES, `R${regno} is not a constant address'`);
  const start = reg.off + reg.s.vlo;
  if (reg.map.frozenValue.indexOf(0, start) < 0) fail(EACCES, 'string is not zero-terminated');
}

/** process_timer_func: a `struct bpf_timer` at its constant offset in a map value. */
function timerArg(reg: RegState, regno: number): void {
  const map = reg.map!;
  if (!tnumIsConst(reg.s)) fail(EINVAL, `R${regno} doesn't have constant offset. bpf_timer has to be at the constant offset`);
  if (map.timerOff === undefined) fail(EINVAL, `map '${map.name}' has no valid bpf_timer`);
  const off = reg.off + reg.s.vlo;
  if (off !== map.timerOff) fail(EINVAL, `off ${off} doesn't point to 'struct bpf_timer' that is at ${map.timerOff}`);
}

/** check_mem_size_reg: the size argument in `regno` bounds the memory argument before it. */
function memSize(env: Env, proto: HelperProto, arg: number, zeroOk: boolean, meta: CallMeta): void {
  const regno = arg + 1;
  const reg = env.reg(regno);
  const smin = s64(reg.s.sminHi, reg.s.sminLo);
  const umin = u64(reg.s.uminHi, reg.s.uminLo);
  const umax = u64(reg.s.umaxHi, reg.s.umaxLo);
  if (smin < 0n) fail(EACCES, `R${regno} min value is negative, either use unsigned or 'var &= const'`);
  if (umin === 0n && !zeroOk) fail(EACCES, `R${regno} invalid zero-sized read: u64=[${umin},${umax}]`);
  if (umax >= BPF_MAX_VAR_SIZ) fail(EACCES, `R${regno} unbounded memory access, use 'var &= const' or 'if (var < const)'`);
  const prev = proto.args[arg - 1];
  const write = prev === 'uninit_mem' || prev === 'writable_mem_or_null';
  const raw = prev === 'uninit_mem' && env.reg(regno - 1).type === RegType.STACK && tnumIsConst(reg.s);
  helperMemAccess(env, regno - 1, Number(umax), write, zeroOk, raw);
  if (raw) { meta.rawRegno = regno - 1; meta.rawSize = Number(umax); }
  markChainPrecision(env, regno);
}

/** check_func_arg: argument `arg` (0-based) of helper `id`, in register arg + 1. */
export function checkArg(env: Env, id: number, proto: HelperProto, arg: number, meta: CallMeta): void {
  const regno = arg + 1;
  const t = proto.args[arg]!;
  const reg = env.checkRegArg(regno, SRC_OP);
  if (t === 'anything') return;
  if (isPktPtr(reg) && !(PKT_TYPES.includes(env.opts.progType) && env.helpers.pktAccess(id))) fail(EACCES, 'helper access to the packet is not allowed');
  const release = t === 'ringbuf_mem' || t === 'socket_release';
  const nullable = t.endsWith('_or_null');
  if (!(nullable && isNullScalar(reg))) {
    checkRegType(regno, reg, t);
    checkArgRegOff(reg, regno, release);
  }
  if (release) {
    if (!reg.refObjId && !isNullScalar(reg)) fail(EINVAL, `R${regno} must be referenced when passed to release function`);
    meta.releaseRegno = regno;
  }
  if (reg.refObjId) {
    if (meta.refObjId) fail(EACCES, `more than one arg with ref_obj_id R${regno} ${reg.refObjId} ${meta.refObjId}`);
    meta.refObjId = reg.refObjId;
  }
  switch (t) {
    case 'const_map_ptr':
      meta.map = reg.map;
      return;
    case 'map_key':
      if (!meta.map) fail(EFAULT, 'invalid map_ptr to access map->key');
      helperMemAccess(env, regno, meta.map.keySize, false, false);
      if (meta.map.type === 2 || meta.map.type === 6) meta.constKey = constantKey(env, reg, meta.map.keySize);
      return;
    case 'map_value':
    case 'uninit_map_value':
      if (!meta.map) fail(EFAULT, 'invalid map_ptr to access map->value');
      helperMemAccess(env, regno, meta.map.valueSize, t === 'uninit_map_value', false);
      return;
    case 'const_size':
    case 'const_size_or_zero':
      memSize(env, proto, arg, t === 'const_size_or_zero', meta);
      return;
    case 'const_alloc_size_or_zero':
      if (!tnumIsConst(reg.s)) fail(EACCES, `R${regno} is not a known constant'`);
      meta.allocSize = Number(u64(reg.s.vhi, reg.s.vlo));
      markChainPrecision(env, regno);
      return;
    case 'long':
    case 'int':
      helperMemAccess(env, regno, t === 'long' ? 8 : 4, true, false, reg.type === RegType.STACK);
      if (reg.type === RegType.STACK) { meta.rawRegno = regno; meta.rawSize = t === 'long' ? 8 : 4; }
      return;
    case 'func':
      meta.callback = reg.frameno;
      return;
    case 'spin_lock':
      processSpinLock(env, regno, id === 93);
      return;
    case 'timer':
      timerArg(reg, regno);
      meta.map = reg.map;
      return;
    case 'const_str':
      constStr(reg, regno);
      return;
    case 'dynptr_local_uninit': case 'dynptr_ringbuf_uninit': case 'dynptr_ringbuf_release': case 'dynptr_rdonly': {
      const info = processDynptrArg(env, regno, t);
      meta.dynptrId = info.id;
      meta.dynptrRefObjId = info.refObjId;
      if (t === 'dynptr_ringbuf_release') meta.dynptrRelease = regno;
      return;
    }
    default:
      return;
  }
}

const EFAULT = ERRNO.EFAULT;
