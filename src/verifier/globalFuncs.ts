/**
 * Global functions (BTF_FUNC_GLOBAL; check_func_call, do_check_subprogs, do_check_common; Linux
 * 6.18): a call is checked against the function's prototype and returns an unknown scalar without
 * the verifier going in; after the main program, every global function that was called is verified
 * once, in subprogram order and again until no new one was called, from a state built from its
 * prototype alone. Such a function sees a context, scalars or memory of its parameters' sizes, and
 * must return a scalar.
 */
import { BPF_CALL, BPF_JMP, BPF_PSEUDO_CALL } from '../isa/index.js';
import { ERRNO } from '../errno.js';
import type { Env } from './env.js';
import { checkGlobalCallArgs, prepareGlobalArgs } from './globalArgs.js';
import { VerifierError, fail } from './log.js';
import { MAYBE_NULL, RegType, isPktPtr, markNotInit, markPtr, markRegUnknown } from './regState.js';
import { FuncState, VerifierState } from './state.js';

const { EINVAL, EFAULT } = ERRNO;
const BPF_FUNC_tail_call = 12;

/** Whether subprogram `sp`, or one it calls, calls a helper that changes packet data or tail-calls (changes_pkt_data). */
function changesPktData(env: Env, sp: number): boolean {
  const { subprogs, subprogOf } = env.shape;
  const seen = new Set<number>([sp]);
  const todo = [sp];
  while (todo.length > 0) {
    const s = todo.pop()!;
    const end = subprogs[s + 1] ?? env.insns.length;
    for (let i = subprogs[s]!; i < end; i++) {
      const ins = env.insns[i]!;
      if (ins.code !== (BPF_JMP | BPF_CALL)) continue;
      if (ins.src === 0 && (ins.imm === BPF_FUNC_tail_call || env.helpers.proto(ins.imm)?.changesPktData)) return true;
      if (ins.src !== BPF_PSEUDO_CALL) continue;
      const callee = subprogOf[i + ins.imm + 1]!;
      if (!seen.has(callee)) { seen.add(callee); todo.push(callee); }
    }
  }
  return false;
}

/** A call of global subprogram `sp` from the current path; returns the next instruction. */
export function globalFuncCall(env: Env, sp: number): number {
  const name = env.subprogName(sp);
  let bad: VerifierError | undefined;
  try {
    checkGlobalCallArgs(env, sp);
  } catch (e) {
    if (!(e instanceof VerifierError) || e.errno === EFAULT) throw e;
    bad = e;
  }
  const before = bad ? `${bad.message}\n` : '';
  if (env.st.activeLocks) fail(EINVAL, `${before}global function calls are not allowed while holding a lock,\nuse static function instead`);
  if (bad) fail(bad.errno, `${before}Caller passes invalid args into func#${sp} ('${name}')`);
  if (env.log.level >= 1) env.log.line(`Func#${sp} ('${name}') is global and assumed valid.`);
  if (changesPktData(env, sp)) {
    for (const r of env.st.allRegs()) if (isPktPtr(r) || r.type === RegType.PKT_END) markRegUnknown(r);
  }
  env.calledGlobals[sp] = 1;
  const regs = env.frame.regs;
  for (let r = 0; r <= 5; r++) markNotInit(regs[r]!);
  markRegUnknown(regs[0]!);
  env.scratchRegs |= 0x3f;
  return env.insnIdx + 1;
}

/** The state a global subprogram is verified from: r1-r5 as its prototype describes them. */
function entryState(env: Env, sp: number): VerifierState {
  const f = new FuncState(0, -1, sp);
  prepareGlobalArgs(env, sp).forEach((a, i) => {
    const r = f.regs[i + 1]!;
    if (a.kind === 'scalar') markRegUnknown(r);
    else if (a.kind === 'ctx') markPtr(r, RegType.CTX);
    else {
      markPtr(r, RegType.MEM, a.nullable ? MAYBE_NULL : 0);
      r.memSize = a.size;
      if (a.nullable) r.id = env.newId();
    }
  });
  const st = new VerifierState([f]);
  st.insnIdx = env.shape.subprogs[sp]!;
  st.firstInsnIdx = st.insnIdx;
  return st;
}

/** do_check_subprogs: verifies each called global subprogram once, by `walk` from its prototype's state. */
export function verifyGlobalSubprogs(env: Env, walk: (start: VerifierState, first: number) => void): void {
  const verified = new Uint8Array(env.shape.subprogs.length);
  for (let found = true; found;) {
    found = false;
    for (let sp = 1; sp < env.shape.subprogs.length; sp++) {
      if (!env.isGlobalSubprog(sp) || !env.calledGlobals[sp] || verified[sp]) continue;
      const name = env.subprogName(sp);
      const first = env.shape.subprogs[sp]!;
      env.insnIdx = first;
      if (env.log.level >= 1) env.log.line(`Validating ${name}() func#${sp}...`);
      walk(entryState(env, sp), first);
      if (env.log.level === 1) env.log.reset(0);
      if (env.log.level >= 1) env.log.line(`Func#${sp} ('${name}') is safe for any args that match its prototype`);
      verified[sp] = 1;
      found = true;
    }
  }
}
