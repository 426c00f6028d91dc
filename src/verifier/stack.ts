/**
 * Stack accesses, with Linux 6.18's rules for privileged programs (check_stack_access_within_bounds,
 * check_stack_write_fixed_off / _var_off, check_stack_read_fixed_off / _var_off,
 * check_stack_range_initialized): a spill of a register keeps its whole state, a narrow spill of
 * a scalar keeps it too, other writes mark bytes MISC (or ZERO for zeroes); reads of uninitialised
 * bytes give unknown scalars (CAP_PERFMON allows them), partial reads of a spilled pointer fail.
 * Spills and fills are recorded in the jump history (precision follows values through the stack),
 * reads and whole-slot writes in the stack liveness.
 */
import { ERRNO } from '../errno.js';
import { tnumToString } from './tnum.js';
import { regWidth } from './scalar.js';
import { type Env } from './env.js';
import { fail } from './log.js';
import {
  RegState, RegType, copyReg, isNullScalar, markNotInit, markRegKnown, markRegUnknown,
} from './regState.js';
import { type FuncState, Slot } from './state.js';
import { assignScalarId } from './ids.js';
import { pushStackAccess } from './history.js';
import { markChainPrecision } from './precision.js';
import { destroyIfDynptrSlot } from './dynptr.js';

const MAX_BPF_STACK = 512;
const BPF_MAX_VAR_OFF = 1 << 29;

/** The frame a stack pointer points into. */
export function stackFrame(env: Env, ptr: RegState): FuncState {
  return env.st.frames[ptr.frameno]!;
}

function s64(hi: number, lo: number): number {
  return hi * 4294967296 + (lo >>> 0);
}

/** check_stack_access_within_bounds: `off` (instruction offset plus the pointer's fixed offset). */
export function checkStackBounds(env: Env, regno: number, off: number, size: number, write: boolean): void {
  const reg = env.reg(regno);
  const extra = write ? ' write to' : ' read from';
  let minOff: number;
  let maxOff: number;
  const constOff = reg.s.mlo === 0 && reg.s.mhi === 0;
  if (constOff) {
    minOff = s64(reg.s.vhi, reg.s.vlo) + off;
    maxOff = minOff + size;
  } else {
    const smax = s64(reg.s.smaxHi, reg.s.smaxLo);
    const smin = s64(reg.s.sminHi, reg.s.sminLo);
    if (smax >= BPF_MAX_VAR_OFF || smin <= -BPF_MAX_VAR_OFF) fail(ERRNO.EACCES, `invalid unbounded variable-offset${extra} stack R${regno}`);
    minOff = smin + off;
    maxOff = s64(reg.s.smaxHi, reg.s.smaxLo) + off + size;
  }
  let errno = 0;
  if (minOff < -MAX_BPF_STACK || minOff > -1) errno = ERRNO.EACCES;
  else if (maxOff > 0 || size < 0) errno = ERRNO.EINVAL;
  if (errno) {
    if (constOff) fail(errno, `invalid${extra} stack R${regno} off=${off} size=${size}`);
    fail(errno, `invalid variable-offset${extra} stack R${regno} var_off=${tnumToString(reg.s)} off=${off} size=${size}`);
  }
  env.growStack(stackFrame(env, reg), -minOff);
}

/** save_register_state: spill `reg` into slot `spi`, `size` bytes of it. */
function saveRegister(env: Env, f: FuncState, spi: number, reg: RegState, size: number): void {
  copyReg(f.spill(spi), reg);
  for (let j = 8; j > 8 - size; j--) f.slotType[spi * 8 + j - 1] = Slot.SPILL;
  for (let j = 8 - size; j > 0; j--) {
    const t = f.slotType[spi * 8 + j - 1]!;
    if (t !== Slot.ZERO && t !== Slot.INVALID) f.slotType[spi * 8 + j - 1] = Slot.MISC;
  }
  env.scratchSlot(f, spi);
}

/** Whether a register type may be spilled whole (is_spillable_regtype). */
function spillable(r: RegState): boolean {
  return r.type !== RegType.SCALAR && r.type !== RegType.NOT_INIT;
}

function scrubSlot(f: FuncState, spi: number): void {
  for (let j = 0; j < 8; j++) if (f.slotType[spi * 8 + j] !== Slot.INVALID) f.slotType[spi * 8 + j] = Slot.MISC;
}

/**
 * What a stack write stores: a register (STX), an immediate (ST), or bytes nobody tracks (a
 * helper's output, null).
 */
export type StackValue = RegState | number | null;

function isZero(v: StackValue): boolean {
  return typeof v === 'number' ? v === 0 : v !== null && isNullScalar(v);
}

/** A write of `size` bytes at fixed stack offset `off` of frame `f`. */
function writeFixed(env: Env, f: FuncState, off: number, size: number, v: StackValue): void {
  const value = typeof v === 'number' ? null : v;
  const slot = -off - 1;
  const spi = slot >> 3;
  destroyIfDynptrSlot(env, f, spi);
  if (off % 8 === 0 && size === 8) env.liveness.markWrite(f.frameno, spi);
  env.scratchSlot(f, spi);
  if (value && off % 8 === 0 && value.type === RegType.SCALAR) {
    const fits = regWidth(value.s) <= size * 8;
    if (fits) {
      const src = env.storeRegno >= 0 ? env.reg(env.storeRegno) : null;
      if (src?.type === RegType.SCALAR) {
        assignScalarId(env, src);
        copyReg(value, src);
      } else {
        assignScalarId(env, value);
      }
    }
    saveRegister(env, f, spi, value, size);
    if (!fits) f.spill(spi).id = 0;
  } else if (typeof v === 'number' && off % 8 === 0) {
    saveRegister(env, f, spi, markRegKnown(new RegState(), v >> 31, v), size);
  } else if (value && spillable(value)) {
    if (size !== 8) fail(ERRNO.EACCES, 'invalid size of register spill');
    if (f !== env.st.cur && value.type === RegType.STACK) fail(ERRNO.EINVAL, 'cannot spill pointers to stack into stack frame of the caller');
    saveRegister(env, f, spi, value, size);
  } else {
    markNotInit(f.spill(spi));
    if (f.slotType[spi * 8 + 7] === Slot.SPILL || f.slotType[spi * 8 + 7] === Slot.ITER) scrubSlot(f, spi);
    const zero = isZero(v);
    if (zero && env.storeRegno >= 0) markChainPrecision(env, env.storeRegno);
    const type = zero ? Slot.ZERO : Slot.MISC;
    for (let i = 0; i < size; i++) f.slotType[slot - i] = type;
    return;
  }
  pushStackAccess(env, f.frameno, spi);
}

/** check_stack_write_var_off: every byte the write may touch becomes MISC (or stays ZERO for a zero). */
function writeVar(env: Env, f: FuncState, minOff: number, maxOff: number, v: StackValue): void {
  const zero = isZero(v);
  let zeroUsed = false;
  for (let i = minOff; i < maxOff; i++) destroyIfDynptrSlot(env, f, (-i - 1) >> 3);
  for (let i = minOff; i < maxOff; i++) {
    const slot = -i - 1;
    const spi = slot >> 3;
    env.scratchSlot(f, spi);
    const t = f.slotType[slot]!;
    if (zero && t === Slot.SPILL && f.isSpilled(spi)) {
      const sp = f.spilled[spi]!;
      if (sp.type === RegType.SCALAR && isNullScalar(sp)) { zeroUsed = true; continue; }
    }
    if (f.spilled[spi]) markNotInit(f.spilled[spi]!);
    if (zero && t === Slot.ZERO) zeroUsed = true;
    f.slotType[slot] = zero && t === Slot.ZERO ? Slot.ZERO : Slot.MISC;
  }
  if (zeroUsed && env.storeRegno >= 0) markChainPrecision(env, env.storeRegno);
}

/** check_stack_write: `regno` is the stack pointer, `off` the instruction's offset plus its fixed offset. */
export function stackWrite(env: Env, regno: number, off: number, size: number, value: StackValue): void {
  const ptr = env.reg(regno);
  const f = stackFrame(env, ptr);
  if (ptr.s.mlo === 0 && ptr.s.mhi === 0) {
    writeFixed(env, f, off + s64(ptr.s.vhi, ptr.s.vlo), size, value);
  } else {
    writeVar(env, f, s64(ptr.s.sminHi, ptr.s.sminLo) + off, s64(ptr.s.smaxHi, ptr.s.smaxLo) + off + size, value);
  }
}

/** mark_reg_stack_read: all-zero bytes read as the constant 0, anything else as an unknown scalar. */
function readBytes(env: Env, f: FuncState, minOff: number, maxOff: number, dst: RegState): void {
  let zeros = 0;
  for (let i = minOff; i < maxOff; i++) {
    const slot = -i - 1;
    env.scratchSlot(f, slot >> 3);
    if (f.slotType[slot] !== Slot.ZERO) break;
    zeros++;
  }
  if (zeros === maxOff - minOff) markRegKnown(dst, 0, 0);
  else markRegUnknown(dst);
}

/** check_stack_read_fixed_off; `dst` null for a read that goes nowhere (atomics). */
function readFixed(env: Env, f: FuncState, off: number, size: number, dst: RegState | null): void {
  const slot = -off - 1;
  const spi = slot >> 3;
  env.scratchSlot(f, spi);
  env.liveness.markRead(f.frameno, spi);
  if (f.isSpilled(spi)) {
    const sp = f.spilled[spi] ?? markNotInit(new RegState());
    let spillSize = 1;
    for (let i = 7; i > 0 && f.slotType[spi * 8 + i - 1] === Slot.SPILL; i--) spillSize++;
    if (size !== 8 || spillSize !== 8) {
      if (sp.type !== RegType.SCALAR) fail(ERRNO.EACCES, 'invalid size of register fill');
      if (!dst) return;
      if (size <= spillSize && off % 8 === 0) {
        if (size === 4 && spillSize === 4 && regWidth(sp.s) <= 32) assignScalarId(env, sp);
        copyReg(dst, sp);
        if (regWidth(sp.s) > size * 8) dst.id = 0;
      } else {
        let spills = 0;
        let zeros = 0;
        for (let i = 0; i < size; i++) {
          const t = f.slotType[spi * 8 + ((slot - i) & 7)]!;
          if (t === Slot.SPILL) spills++;
          else if (t === Slot.ZERO) zeros++;
        }
        if (spills === size && isNullScalar(sp)) markRegKnown(dst, 0, 0);
        else {
          if (zeros === size) markRegKnown(dst, 0, 0);
          else markRegUnknown(dst);
          return;
        }
      }
      pushStackAccess(env, f.frameno, spi);
      return;
    }
    if (dst) copyReg(dst, sp);
    pushStackAccess(env, f.frameno, spi);
    return;
  }
  for (let i = 0; i < size; i++) {
    if (f.slotType[spi * 8 + ((slot - i) & 7)] === Slot.DYNPTR) fail(ERRNO.EACCES, `invalid read from stack off ${off}+${i} size ${size}`);
  }
  if (dst) readBytes(env, f, off, off + size, dst);
}

/** check_stack_read: a load of `size` bytes into `dst` through stack pointer `regno`. */
export function stackRead(env: Env, regno: number, off: number, size: number, dst: RegState | null): void {
  const ptr = env.reg(regno);
  const f = stackFrame(env, ptr);
  if (ptr.s.mlo === 0 && ptr.s.mhi === 0) {
    readFixed(env, f, off + s64(ptr.s.vhi, ptr.s.vlo), size, dst);
    return;
  }
  if (!dst) {
    fail(ERRNO.EACCES, `variable offset stack pointer cannot be passed into helper function; var_off=${tnumToString(ptr.s)} off=${off} size=${size}`);
  }
  stackRangeInitialized(env, regno, off, size, false, false);
  readBytes(env, f, s64(ptr.s.sminHi, ptr.s.sminLo) + off, s64(ptr.s.smaxHi, ptr.s.smaxLo) + off + size, dst);
}

/**
 * check_stack_range_initialized for a helper's memory argument (or a variable-offset read): within
 * bounds; a helper that writes (`write`) turns the bytes into MISC and spilled registers unknown.
 * Privileged programs may pass uninitialised stack.
 */
export function stackRangeInitialized(env: Env, regno: number, off: number, size: number, zeroOk: boolean, write: boolean, raw = false): void {
  if (size === 0 && !zeroOk) fail(ERRNO.EACCES, 'invalid zero-sized read');
  checkStackBounds(env, regno, off, size, write);
  const ptr = env.reg(regno);
  const f = stackFrame(env, ptr);
  const constOff = ptr.s.mlo === 0 && ptr.s.mhi === 0;
  const minOff = (constOff ? s64(ptr.s.vhi, ptr.s.vlo) : s64(ptr.s.sminHi, ptr.s.sminLo)) + off;
  const maxOff = (constOff ? s64(ptr.s.vhi, ptr.s.vlo) : s64(ptr.s.smaxHi, ptr.s.smaxLo)) + off;
  for (let i = minOff; i < maxOff + size; i++) {
    const slot = -i - 1;
    const spi = slot >> 3;
    env.scratchSlot(f, spi);
    if (f.slotType[slot] === Slot.DYNPTR && slot < f.allocatedStack) {
      if (raw) fail(ERRNO.EACCES, `potential write to dynptr at off=${i} disallowed`);
      if (constOff) fail(ERRNO.EACCES, `invalid read from stack R${regno} off ${minOff}+${i - minOff} size ${size}`);
      fail(ERRNO.EACCES, `invalid read from stack R${regno} var_off ${tnumToString(ptr.s)}+${i - minOff} size ${size}`);
    }
    if (raw) continue;
    env.liveness.markRead(f.frameno, spi);
    if (!write) continue;
    const t = f.slotType[slot]!;
    if (t === Slot.SPILL && f.isSpilled(spi)) {
      markRegUnknown(f.spill(spi));
      scrubSlot(f, spi);
    } else if (t === Slot.ZERO || t === Slot.INVALID) {
      f.slotType[slot] = Slot.MISC;
    }
  }
}

/** After a helper wrote `size` bytes of uninitialised memory at a stack pointer: byte writes, as the kernel simulates them. */
export function stackHelperWrote(env: Env, regno: number, size: number): void {
  const ptr = env.reg(regno);
  for (let i = 0; i < size; i++) {
    checkStackBounds(env, regno, ptr.off + i, 1, true);
    stackWrite(env, regno, ptr.off + i, 1, null);
  }
}
