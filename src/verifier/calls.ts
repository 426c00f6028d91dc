/**
 * Calls and exits (check_helper_call, check_func_call, prepare_func_exit, check_return_code;
 * Linux 6.18, privileged): helper arguments checked against the prototype (map pointer, key and
 * value memory, memory and size pairs, the context, constants), r0 set by the return type, r1-r5
 * clobbered, packet pointers forgotten by helpers that move packet data; a BPF-to-BPF call opens a
 * frame (at most 8) with r1-r5 passed on, except a call of a global function (globalFuncs.ts); an
 * exit returns r0 to the caller or, from the main program, checks r0 against the program type's
 * allowed return values and that every reference was released (a global function's r0: a scalar).
 */
import { BPF_JMP32, BPF_K, BPF_PSEUDO_CALL, BPF_PSEUDO_KFUNC_CALL, insnClass, insnSrc, type Insn } from '../isa/index.js';
import { ERRNO } from '../errno.js';
import { BPF_CGROUP_INET_EGRESS, BPF_PROG_TYPE_CGROUP_SKB, BPF_PROG_TYPE_CGROUP_SOCK, BPF_PROG_TYPE_SOCK_OPS } from '../uapi.js';
import { type Env, SRC_OP } from './env.js';
import { widenImpreciseScalars } from './equal.js';
import { helperCall } from './helperCall.js';
import { kfuncCall } from './kfuncCall.js';
import { checkStaticCallArgs } from './globalArgs.js';
import { globalFuncCall } from './globalFuncs.js';
import { fail } from './log.js';
import { markChainPrecision } from './precision.js';
import { checkResourceLeak } from './refs.js';
import { RegState, RegType, copyReg, markNotInit, regTypeName } from './regState.js';
import { FuncState, formatState, formatStateFrame } from './state.js';
import { s64 } from './u64.js';
import type { Walker } from './walker.js';

const { EACCES, EINVAL } = ERRNO;
const MAX_CALL_FRAMES = 8;
const BPF_FUNC_SPIN_UNLOCK = 94;

/** __check_func_call for a BPF-to-BPF call: a new frame running the subprogram at `target`. */
function funcCall(env: Env, ins: Insn): number {
  const st = env.st;
  const target = env.insnIdx + ins.imm + 1;
  const sp = env.shape.subprogOf[target]!;
  if (env.isGlobalSubprog(sp)) return globalFuncCall(env, sp);
  checkStaticCallArgs(env, sp);
  if (st.frames.length >= MAX_CALL_FRAMES) fail(ERRNO.E2BIG, `the call stack of ${st.frames.length + 1} frames is too deep`);
  const caller = st.cur;
  const callee = new FuncState(st.frames.length, env.insnIdx, sp);
  for (let r = 1; r <= 5; r++) copyReg(callee.regs[r]!, caller.regs[r]!);
  for (let r = 0; r <= 5; r++) markNotInit(caller.regs[r]!);
  st.frames.push(callee);
  if (env.log.level >= 1) {
    env.log.line('caller:');
    env.log.line(` ${formatStateFrame(st, caller, env.opts.kernelTypes)}`);
    env.log.line('callee:');
    env.log.line(` ${formatState(st, env.opts.kernelTypes)}`);
  }
  return target;
}

/** A call instruction; returns the next instruction of this path. */
export function checkCall(env: Env, ins: Insn, walker: Walker): number {
  if (insnSrc(ins.code) !== BPF_K || (ins.src !== BPF_PSEUDO_KFUNC_CALL && ins.off !== 0) ||
      (ins.src !== 0 && ins.src !== BPF_PSEUDO_CALL && ins.src !== BPF_PSEUDO_KFUNC_CALL) || ins.dst !== 0 || insnClass(ins.code) === BPF_JMP32) {
    fail(EINVAL, 'BPF_CALL uses reserved fields');
  }
  if (env.st.activeLocks && (ins.src === BPF_PSEUDO_KFUNC_CALL || (ins.src === 0 && ins.imm !== BPF_FUNC_SPIN_UNLOCK))) {
    fail(EINVAL, 'function calls are not allowed while holding a lock');
  }
  if (ins.src === BPF_PSEUDO_CALL) return funcCall(env, ins);
  if (ins.src === BPF_PSEUDO_KFUNC_CALL) return kfuncCall(env, ins, walker);
  return helperCall(env, ins, walker);
}

/** The range the main program's r0 must be in at exit, for the program type (check_return_code). */
function returnRange(progType: number, attach: number): [number, number] | null {
  if (progType === BPF_PROG_TYPE_CGROUP_SKB) return attach === BPF_CGROUP_INET_EGRESS ? [0, 3] : [0, 1];
  if (progType === BPF_PROG_TYPE_CGROUP_SOCK || progType === BPF_PROG_TYPE_SOCK_OPS) return [0, 1];
  return null;
}

/** verbose_invalid_scalar: r0 outside the range an exit allows. */
function checkRange(r0: RegState, range: readonly [number, number], what: string): void {
  const smin = s64(r0.s.sminHi, r0.s.sminLo);
  const smax = s64(r0.s.smaxHi, r0.s.smaxLo);
  if (smin >= BigInt(range[0]) && smax <= BigInt(range[1])) return;
  let has = '';
  if (smin > -(1n << 63n)) has += ` smin=${smin}`;
  if (smax < (1n << 63n) - 1n) has += ` smax=${smax}`;
  fail(EINVAL, `${what} the register R0 has${has || ' unknown scalar value'} should have been in [${range[0]}, ${range[1]}]`);
}

/** prepare_func_exit: back to the caller (after the call, or to the helper that runs the callback). */
function funcExit(env: Env): number {
  const st = env.st;
  const callee = st.cur;
  const r0 = callee.regs[0]!;
  if (r0.type === RegType.STACK) fail(EINVAL, 'cannot return stack pointer to the caller');
  if (callee.inCallbackFn) {
    if (r0.type !== RegType.SCALAR) fail(EACCES, 'R0 not a scalar value');
    markChainPrecision(env, 0);
    checkRange(r0, callee.callbackRet, 'At callback return');
  }
  st.frames.pop();
  if (!callee.inCallbackFn) copyReg(st.cur.regs[0]!, r0);
  env.scratchRegs |= 1;
  if (!callee.inCallbackFn) return callee.callsite + 1;
  const prev = env.explored.findPrevEntry(st, callee.callsite);
  if (prev) widenImpreciseScalars(env, prev, st);
  return callee.callsite;
}

/** BPF_EXIT: returns the caller's next instruction, or -1 when the main program ends this path. */
export function checkExit(env: Env, ins: Insn): number {
  if (insnSrc(ins.code) !== BPF_K || ins.imm !== 0 || ins.src !== 0 || ins.dst !== 0 || insnClass(ins.code) === BPF_JMP32) {
    fail(EINVAL, 'BPF_EXIT uses reserved fields');
  }
  const st = env.st;
  checkResourceLeak(env, st.curframe === 0, 'BPF_EXIT instruction in main prog');
  if (st.frames.length > 1) return funcExit(env);
  const r0 = env.checkRegArg(0, SRC_OP);
  const f = st.cur;
  if (f.inAsyncCallbackFn) {
    if (r0.type !== RegType.SCALAR) fail(EINVAL, `At async callback return the register R0 is not a known value (${regTypeName(r0.type, r0.flags)})`);
    markChainPrecision(env, 0);
    checkRange(r0, f.callbackRet, 'At async callback return');
    return -1;
  }
  if (f.subprog !== 0) {
    if (r0.type !== RegType.SCALAR) fail(EINVAL, `At subprogram exit the register R0 is not a scalar value (${regTypeName(r0.type, r0.flags)})`);
    return -1;
  }
  const range = returnRange(env.opts.progType, env.opts.expectedAttachType ?? 0);
  if (!range) return -1;
  if (r0.type !== RegType.SCALAR) {
    fail(EINVAL, `At program exit the register R0 is not a known value (${regTypeName(r0.type, r0.flags)})`);
  }
  markChainPrecision(env, 0);
  checkRange(r0, range, 'At program exit');
  return -1;
}
