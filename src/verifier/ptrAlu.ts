/**
 * Pointer arithmetic (adjust_ptr_min_max_vals and check_reg_sane_offset, Linux 6.18, privileged):
 * which pointers may move (not a possibly-NULL one, not PTR_TO_PACKET_END, a map pointer only by
 * 0), with add and sub only, 64-bit only; a constant goes into the fixed offset, anything else
 * into the variable offset with its bounds, and a packet pointer moved by a variable gets a new id
 * and loses its range. Offsets beyond 2^29 and unbounded minimums are refused.
 */
import { BPF_ADD, BPF_SUB } from '../isa/index.js';
import { ERRNO } from '../errno.js';
import { boundsSync, mark32Unbounded, type Scalar } from './scalar.js';
import { tnumAdd, tnumIsConst, tnumSub } from './tnum.js';
import type { Env } from './env.js';
import { fail } from './log.js';
import { MAYBE_NULL, RegState, RegType, isPktPtr, markRegUnknown, regTypeName } from './regState.js';
import { hiOf, loOf, s64, u64 } from './u64.js';

const BPF_MAX_VAR_OFF = 1n << 29n;
const S64_MIN = -(1n << 63n);
const S64_MAX = (1n << 63n) - 1n;
const U64_MAX = (1n << 64n) - 1n;

/** The kernel's bpf_alu_string, indexed by `op >> 4`. */
export const ALU_STRINGS = ['+=', '-=', '*=', '/=', '|=', '&=', '<<=', '>>=', 'neg', '%=', '^=', '=', 's>>=', 'endian'];

interface Bounds { smin: bigint; smax: bigint; umin: bigint; umax: bigint }

function bounds(s: Scalar): Bounds {
  return { smin: s64(s.sminHi, s.sminLo), smax: s64(s.smaxHi, s.smaxLo), umin: u64(s.uminHi, s.uminLo), umax: u64(s.umaxHi, s.umaxLo) };
}

function setBounds(s: Scalar, b: Bounds): void {
  s.sminHi = hiOf(b.smin); s.sminLo = loOf(b.smin); s.smaxHi = hiOf(b.smax); s.smaxLo = loOf(b.smax);
  s.uminHi = hiOf(b.umin); s.uminLo = loOf(b.umin); s.umaxHi = hiOf(b.umax); s.umaxLo = loOf(b.umax);
}

/** check_reg_sane_offset. */
function checkSaneOffset(reg: RegState, type: number, flags: number): void {
  const name = regTypeName(type, flags);
  const val = s64(reg.s.vhi, reg.s.vlo);
  if (tnumIsConst(reg.s) && (val >= BPF_MAX_VAR_OFF || val <= -BPF_MAX_VAR_OFF)) {
    fail(ERRNO.EINVAL, `math between ${name} pointer and ${val} is not allowed`);
  }
  if (reg.off >= 1 << 29 || reg.off <= -(1 << 29)) fail(ERRNO.EINVAL, `${name} pointer offset ${reg.off} is not allowed`);
  const smin = s64(reg.s.sminHi, reg.s.sminLo);
  if (smin === S64_MIN) fail(ERRNO.EINVAL, `math between ${name} pointer and register with unbounded min value is not allowed`);
  if (smin >= BPF_MAX_VAR_OFF || smin <= -BPF_MAX_VAR_OFF) fail(ERRNO.EINVAL, `value ${smin} makes ${name} pointer be out of bounds`);
}

function fitsS32(v: bigint): boolean {
  return v === BigInt.asIntN(32, v);
}

/**
 * `dst = ptr op off` for a pointer `ptr` and a scalar `off` (either may be the destination
 * register, as in `scalar += pointer`). `alu64` false: a 32-bit operation.
 */
export function ptrAlu(env: Env, dstno: number, ptr: RegState, offReg: RegState, op: number, alu64: boolean): void {
  const dst = env.reg(dstno);
  const known = tnumIsConst(offReg.s);
  const o = bounds(offReg.s);
  const p = bounds(ptr.s);
  if ((known && (o.smin !== o.smax || o.umin !== o.umax)) || o.smin > o.smax || o.umin > o.umax) {
    markRegUnknown(dst);
    return;
  }
  if (!alu64) {
    if (op === BPF_SUB) { markRegUnknown(dst); return; }
    fail(ERRNO.EACCES, `R${dstno} 32-bit pointer arithmetic prohibited`);
  }
  if (ptr.flags & MAYBE_NULL) {
    fail(ERRNO.EACCES, `R${dstno} pointer arithmetic on ${regTypeName(ptr.type, ptr.flags)} prohibited, null-check it first`);
  }
  const allowed = ptr.type === RegType.CTX || ptr.type === RegType.MAP_VALUE || ptr.type === RegType.MAP_KEY ||
    ptr.type === RegType.STACK || isPktPtr(ptr) || ptr.type === RegType.MEM || ptr.type === RegType.FUNC || ptr.type === RegType.BTF_ID ||
    ptr.type === RegType.CONST_DYNPTR ||
    (ptr.type === RegType.CONST_MAP && known && o.smin === 0n && op === BPF_ADD);
  if (!allowed) fail(ERRNO.EACCES, `R${dstno} pointer arithmetic on ${regTypeName(ptr.type, ptr.flags)} prohibited`);
  const { type, flags } = ptr;
  checkSaneOffset(offReg, type, flags);
  checkSaneOffset(ptr, type, flags);
  if (op !== BPF_ADD && op !== BPF_SUB) {
    const opName = ALU_STRINGS[op >> 4];
    if (op === 0x40 || op === 0x50 || op === 0xa0) fail(ERRNO.EACCES, `R${dstno} bitwise operator ${opName} on pointer prohibited`);
    fail(ERRNO.EACCES, `R${dstno} pointer arithmetic with ${opName} operator prohibited`);
  }
  const src = ptr === dst ? ptr.clone() : ptr;
  const off = offReg === dst ? offReg.clone() : offReg;
  if (dst !== src) {
    dst.type = type; dst.flags = flags; dst.id = src.id; dst.map = src.map; dst.memSize = src.memSize;
    dst.frameno = src.frameno; dst.refObjId = src.refObjId; dst.btfId = src.btfId; dst.addConst = false; dst.addConst32 = false;
    dst.dynptrType = src.dynptrType; dst.dynptrFirst = src.dynptrFirst;
  }
  mark32Unbounded(dst.s);
  const out: Bounds = { ...p };
  if (op === BPF_SUB && offReg === dst) fail(ERRNO.EACCES, `R${dstno} tried to subtract pointer from scalar`);
  if (op === BPF_SUB && type === RegType.STACK) fail(ERRNO.EACCES, `R${dstno} subtraction from stack pointer prohibited`);
  const k = o.smin;
  const sum = op === BPF_ADD ? BigInt(src.off) + k : BigInt(src.off) - k;
  if (known && fitsS32(sum)) {
    setBounds(dst.s, p);
    dst.s.vlo = src.s.vlo; dst.s.vhi = src.s.vhi; dst.s.mlo = src.s.mlo; dst.s.mhi = src.s.mhi;
    dst.off = Number(sum);
    dst.range = src.range;
  } else if (op === BPF_ADD) {
    out.smin = p.smin + o.smin; out.smax = p.smax + o.smax;
    if (out.smin < S64_MIN || out.smin > S64_MAX || out.smax < S64_MIN || out.smax > S64_MAX) { out.smin = S64_MIN; out.smax = S64_MAX; }
    out.umin = p.umin + o.umin; out.umax = p.umax + o.umax;
    if (out.umin > U64_MAX || out.umax > U64_MAX) { out.umin = 0n; out.umax = U64_MAX; }
    setBounds(dst.s, out);
    tnumAdd(dst.s, src.s, off.s);
    dst.off = src.off;
    dst.range = src.range;
    if (isPktPtr(src)) { dst.id = env.newId(); dst.range = 0; }
  } else {
    out.smin = p.smin - o.smax; out.smax = p.smax - o.smin;
    if (out.smin < S64_MIN || out.smin > S64_MAX || out.smax < S64_MIN || out.smax > S64_MAX) { out.smin = S64_MIN; out.smax = S64_MAX; }
    if (p.umin < o.umax) { out.umin = 0n; out.umax = U64_MAX; } else { out.umin = p.umin - o.umax; out.umax = p.umax - o.umin; }
    setBounds(dst.s, out);
    tnumSub(dst.s, src.s, off.s);
    dst.off = src.off;
    dst.range = src.range;
    if (isPktPtr(src)) { dst.id = env.newId(); if (o.smin < 0n) dst.range = 0; }
  }
  checkSaneOffset(dst, type, flags);
  boundsSync(dst.s);
}
