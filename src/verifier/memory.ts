/**
 * Loads and stores through a pointer register (check_mem_access and what it dispatches to, Linux
 * 6.18, privileged): map values and keys within their size for every value of the variable offset
 * (check_mem_region_access), packet bytes within the range a comparison with `data_end` proved
 * (check_packet_access), context fields by the program type's access table (check_ctx_access),
 * PTR_TO_MEM regions, the stack (stack.ts), kernel structs through PTR_TO_BTF_ID and map pointers
 * (btfAccess.ts), tracing contexts (tracingCtx.ts), with the kernel's messages; narrow loads then
 * zero- or sign-extend the loaded scalar.
 */
import { ERRNO } from '../errno.js';
import { BPF_F_RDONLY_PROG, BPF_F_WRONLY_PROG } from '../uapi.js';
import { coerceRegToSize, coerceRegToSizeSx } from './scalar.js';
import { tnumAdd, tnumConst, tnumIsAligned, tnumIsConst, tnumToString, type Tnum } from './tnum.js';
import { type Env } from './env.js';
import { fail } from './log.js';
import { tcpSockFieldOk } from './tcpSockAccess.js';
import { MAYBE_NULL, type MapInfo, RDONLY, RegState, RegType, markPtr, markRegKnown, markRegUnknown, regTypeName } from './regState.js';
import { checkBtfIdAccess, checkMapPtrAccess } from './btfAccess.js';
import { tracingCtxAccess } from './tracingCtx.js';
import { checkStackBounds, stackRead, stackWrite, type StackValue } from './stack.js';

const BPF_MAX_VAR_OFF = 1 << 29;
const { EACCES } = ERRNO;

function s64(hi: number, lo: number): number {
  return hi * 4294967296 + (lo >>> 0);
}

function u64(hi: number, lo: number): number {
  return (hi >>> 0) * 4294967296 + (lo >>> 0);
}

/** `(s32)` of a value that may not fit: the kernel passes these sums as `int`. */
function toS32(v: number): number {
  return Number(BigInt.asIntN(32, BigInt(Math.trunc(v))));
}

/** __check_mem_access's message for an access outside [0, memSize). */
function outsideMessage(reg: RegState, regno: number, off: number, size: number, memSize: number): string {
  switch (reg.type) {
    case RegType.MAP_KEY: return `invalid access to map key, key_size=${memSize} off=${off} size=${size}`;
    case RegType.MAP_VALUE: return `invalid access to map value, value_size=${memSize} off=${off} size=${size}`;
    case RegType.PKT:
    case RegType.PKT_META:
    case RegType.PKT_END:
      return `invalid access to packet, off=${off} size=${size}, R${regno}(id=${reg.id},off=${off},r=${memSize})`;
    default: return `invalid access to memory, mem_size=${memSize >>> 0} off=${off} size=${size}`;
  }
}

function inside(off: number, size: number, memSize: number, zeroOk: boolean): boolean {
  return off >= 0 && (size > 0 || (size === 0 && zeroOk)) && off + size <= memSize;
}

/** check_mem_region_access: every offset the register may hold, plus `off`, keeps the access in [0, memSize). */
export function checkRegionAccess(env: Env, regno: number, off: number, size: number, memSize: number, zeroOk: boolean): void {
  const reg = env.reg(regno);
  const smin = s64(reg.s.sminHi, reg.s.sminLo);
  const sminExact = BigInt.asIntN(64, (BigInt(reg.s.sminHi) << 32n) | BigInt(reg.s.sminLo >>> 0));
  if (sminExact < 0n && (sminExact === -(1n << 63n) || BigInt(off) + sminExact !== BigInt(toS32(off + smin)) || smin + off < 0)) {
    fail(EACCES, `R${regno} min value is negative, either use unsigned index or do a if (index >=0) check.`);
  }
  const lo = toS32(smin + off);
  if (!inside(lo, size, memSize, zeroOk)) {
    fail(EACCES, `${outsideMessage(reg, regno, lo, size, memSize)}\nR${regno} min value is outside of the allowed memory range`);
  }
  const umax = u64(reg.s.umaxHi, reg.s.umaxLo);
  if (umax >= BPF_MAX_VAR_OFF) fail(EACCES, `R${regno} unbounded memory access, make sure to bounds check any such access`);
  const hi = toS32(umax + off);
  if (!inside(hi, size, memSize, zeroOk)) {
    fail(EACCES, `${outsideMessage(reg, regno, hi, size, memSize)}\nR${regno} max value is outside of the allowed memory range`);
  }
}

/** The special fields of a map value that loads and stores may not touch: offset, size and name. */
function specialFields(map: MapInfo): [number, number, string][] {
  const out: [number, number, string][] = [];
  if (map.spinLockOff !== undefined) out.push([map.spinLockOff, 4, 'bpf_spin_lock']);
  if (map.timerOff !== undefined) out.push([map.timerOff, 16, 'bpf_timer']);
  return out;
}

/** check_map_access: the value's bounds, and no byte of a `bpf_spin_lock` or `bpf_timer` in it. */
export function checkMapValueAccess(env: Env, regno: number, off: number, size: number, zeroOk: boolean): void {
  const reg = env.reg(regno);
  checkRegionAccess(env, regno, off, size, reg.map!.valueSize, zeroOk);
  const lo = s64(reg.s.sminHi, reg.s.sminLo) + off;
  const hi = Number(u64(reg.s.umaxHi, reg.s.umaxLo)) + off + size;
  for (const [at, len, name] of specialFields(reg.map!)) {
    if (lo < at + len && at < hi) fail(EACCES, `${name} cannot be accessed directly by load/store`);
  }
}

/** check_packet_access: `off` includes the pointer's fixed offset; the range comes from a `data_end` check. */
export function checkPacketAccess(env: Env, regno: number, off: number, size: number, zeroOk: boolean): void {
  const reg = env.reg(regno);
  if (reg.s.sminHi < 0) fail(EACCES, `R${regno} min value is negative, either use unsigned index or do a if (index >=0) check.`);
  if (reg.range < 0) fail(ERRNO.EINVAL, `R${regno} offset is outside of the packet`);
  if (!inside(off, size, reg.range, zeroOk)) {
    fail(EACCES, `${outsideMessage(reg, regno, off, size, reg.range)}\nR${regno} offset is outside of the packet`);
  }
}

/** __check_ptr_off_reg: a context pointer must be used unmodified. */
export function checkPtrOffReg(reg: RegState, regno: number, fixedOffOk: boolean): void {
  const name = regTypeName(reg.type, reg.flags);
  if (reg.off < 0) fail(EACCES, `negative offset ${name} ptr R${regno} off=${reg.off} disallowed`);
  if (!fixedOffOk && reg.off) fail(EACCES, `dereference of modified ${name} ptr R${regno} off=${reg.off} disallowed`);
  if (!tnumIsConst(reg.s) || reg.s.vlo !== 0 || reg.s.vhi !== 0) {
    fail(EACCES, `variable ${name} access var_off=${tnumToString(reg.s)} disallowed`);
  }
}

const POINTER_DESC: Readonly<Record<number, string>> = {
  [RegType.STACK]: 'stack ', [RegType.MAP_VALUE]: 'value ', [RegType.MAP_KEY]: 'key ', [RegType.CTX]: 'context ',
};

/**
 * check_ptr_alignment: stack accesses always (the spill tracking needs it), others only when
 * `strict` (atomics); x86-64 has efficient unaligned access otherwise.
 */
function checkAlignment(reg: RegState, off: number, size: number, strict: boolean): void {
  if ((reg.type !== RegType.STACK && !strict) || size === 1) return;
  const at: Tnum = tnumAdd({ vlo: 0, vhi: 0, mlo: 0, mhi: 0 }, reg.s, tnumConst({ vlo: 0, vhi: 0, mlo: 0, mhi: 0 }, (reg.off + off) < 0 ? -1 : 0, reg.off + off));
  if (!tnumIsAligned(at, size)) {
    const varOff = tnumIsConst(reg.s) ? String(s64(reg.s.vhi, reg.s.vlo)) : tnumToString(reg.s);
    fail(EACCES, `misaligned ${POINTER_DESC[reg.type] ?? ''}access off ${varOff}+${reg.off}+${off} size ${size}`);
  }
}

/** check_map_access_type: BPF_F_RDONLY_PROG / BPF_F_WRONLY_PROG maps. */
export function checkMapAccessType(reg: RegState, off: number, size: number, write: boolean): void {
  const flags = reg.map!.flags;
  if (write && flags & BPF_F_RDONLY_PROG) fail(EACCES, `write into map forbidden, value_size=${reg.map!.valueSize} off=${off} size=${size}`);
  if (!write && flags & BPF_F_WRONLY_PROG) fail(EACCES, `read from map forbidden, value_size=${reg.map!.valueSize} off=${off} size=${size}`);
}

/** check_ctx_access: the program type's table says whether the field may be read or written. */
function ctxAccess(env: Env, regno: number, off: number, size: number, write: boolean, dst: RegState | null): void {
  const reg = env.reg(regno);
  checkPtrOffReg(reg, regno, false);
  if (env.attach) {
    tracingCtxAccess(env, env.attach, off, size, write, dst);
    return;
  }
  if (!env.ctx) {
    fail(EACCES, `context access (off=${off} size=${size}) is not supported by bpfsim's verifier for program type ${env.opts.progType} yet`);
  }
  const type = env.ctx.access(off, size, write, env.opts.expectedAttachType ?? 0);
  if (type === undefined) fail(EACCES, `invalid bpf_context access off=${off} size=${size}`);
  if (type === null) fail(EACCES, `context pointer field off=${off} (a socket or flow keys pointer) is not supported by bpfsim's verifier yet`);
  if (!write && dst) {
    if (type === RegType.SCALAR) markRegUnknown(dst);
    else markPtr(dst, type);
  }
}

/** A read from a frozen read-only map: the constant it holds (bpf_map_direct_read). */
function directRead(value: Uint8Array, off: number, size: number, signed: boolean, dst: RegState): void {
  let v = 0n;
  for (let i = size - 1; i >= 0; i--) v = (v << 8n) | BigInt(value[off + i] ?? 0);
  if (signed) v = BigInt.asIntN(size * 8, v);
  const u = BigInt.asUintN(64, v);
  markRegKnown(dst, Number(BigInt.asIntN(32, u >> 32n)), Number(BigInt.asIntN(32, u)));
}

/**
 * check_mem_access: a load (`dst` the destination register, or null when the value goes nowhere)
 * or store (`value` what is stored) of `size` bytes at `off` from register `regno`.
 */
export function checkMemAccess(
  env: Env, regno: number, off0: number, size: number, write: boolean, dst: RegState | null, value: StackValue, signExt = false, strict = false,
): void {
  const reg = env.reg(regno);
  checkAlignment(reg, off0, size, strict);
  const off = off0 + reg.off;
  switch (reg.flags & MAYBE_NULL ? -1 : reg.type) {
    case RegType.MAP_KEY:
      if (write) fail(EACCES, `write to change key R${regno} not allowed`);
      checkRegionAccess(env, regno, off, size, reg.map!.keySize, false);
      if (dst) markRegUnknown(dst);
      break;
    case RegType.MAP_VALUE: {
      checkMapAccessType(reg, off, size, write);
      checkMapValueAccess(env, regno, off, size, false);
      if (dst) {
        const frozen = reg.map!.frozenValue;
        if (frozen && tnumIsConst(reg.s)) directRead(frozen, off + s64(reg.s.vhi, reg.s.vlo), size, signExt, dst);
        else markRegUnknown(dst);
      }
      break;
    }
    case RegType.MEM:
      if (write && (reg.flags & RDONLY)) fail(EACCES, `R${regno} cannot write into ${regTypeName(reg.type, reg.flags)}`);
      checkRegionAccess(env, regno, off, size, reg.memSize, false);
      if (dst) markRegUnknown(dst);
      break;
    case RegType.CTX:
      ctxAccess(env, regno, off, size, write, dst);
      break;
    case RegType.STACK:
      checkStackBounds(env, regno, off, size, write);
      if (write) stackWrite(env, regno, off, size, value);
      else stackRead(env, regno, off, size, dst);
      break;
    case RegType.PKT:
    case RegType.PKT_META:
      if (write && !pktWritable(env.opts.progType)) fail(EACCES, 'cannot write into packet');
      checkPacketAccess(env, regno, off, size, false);
      if (dst) markRegUnknown(dst);
      break;
    case RegType.BTF_ID:
      checkBtfIdAccess(env, regno, off, size, write, dst);
      if (dst) env.probeLoads.add(env.insnIdx);
      break;
    case RegType.CONST_MAP:
      checkMapPtrAccess(env, regno, off, size, write, dst);
      break;
    case RegType.SOCKET:
    case RegType.SOCK_COMMON:
    case RegType.TCP_SOCK:
      if (write) fail(EACCES, `R${regno} cannot write into ${regTypeName(reg.type, reg.flags)}`);
      checkSockAccess(reg, regno, off, size);
      if (dst) markRegUnknown(dst);
      break;
    default:
      fail(EACCES, `R${regno} invalid mem access '${regTypeName(reg.type, reg.flags)}'`);
  }
  if (dst && !write && size < 8 && dst.type === RegType.SCALAR) {
    if (signExt) coerceRegToSizeSx(dst.s, size as 1 | 2 | 4);
    else coerceRegToSize(dst.s, size as 1 | 2 | 4);
  }
}

/**
 * bpf_sock_is_valid_access: `struct bpf_sock` is 80 bytes of u32 fields, read whole or (the
 * addresses, family, type, protocol, state, ...) in naturally aligned narrower loads; `dst_port`
 * is a u16 followed by padding. A `struct bpf_sock_common` lacks type, protocol, mark and priority.
 */
function sockFieldOk(common: boolean, off: number, size: number): boolean {
  if (off < 0 || off >= 80 || off % size !== 0) return false;
  if (common && off >= 8 && off < 24) return false;
  const narrow = size <= 4 && (size & (size - 1)) === 0;
  if (off === 48 || off === 49) return narrow;
  if (off === 50 || off === 51) return false;
  if ([4, 8, 12, 44, 72, 76].includes(off) || (off >= 24 && off < 44) || (off >= 52 && off < 72)) return narrow;
  return size === 4;
}

/** check_sock_access: a load of a field of a socket the program holds. */
function checkSockAccess(reg: RegState, regno: number, off: number, size: number): void {
  if (reg.s.sminHi < 0) fail(EACCES, `R${regno} min value is negative, either use unsigned index or do a if (index >=0) check.`);
  const ok = reg.type === RegType.TCP_SOCK ? tcpSockFieldOk(off, size) : sockFieldOk(reg.type === RegType.SOCK_COMMON, off, size);
  if (ok === 'high') fail(ERRNO.EFAULT, 'verifier bug: error during ctx access conversion (0)');
  if (!ok) {
    fail(EACCES, `R${regno} invalid ${regTypeName(reg.type, reg.flags)} access off=${off} size=${size}`);
  }
}

/** may_access_direct_pkt_data for writes: XDP, tc, lwt_xmit and sk_skb may write packet data. */
function pktWritable(progType: number): boolean {
  return [3, 4, 6, 12, 14].includes(progType);
}
