/**
 * The arguments of a global function (btf_prepare_func_args, btf_check_func_arg_match; Linux 6.18):
 * its BTF prototype, as the elf layer describes it, becomes one kind per parameter — a scalar, the
 * program's context (a pointer to the program type's context struct, or one tagged `arg:ctx`), or
 * memory of the pointed-to type's size (NULL allowed unless tagged `arg:nonnull`) — or a refusal
 * in the kernel's words; a call passes registers that must match those kinds. A static function's
 * BTF is read the same way, but what does not match is only logged.
 */
import { ERRNO } from '../errno.js';
import type { FuncParam } from '../vm/backend.js';
import * as U from '../uapi.js';
import type { Env } from './env.js';
import { checkArgRegOff, helperMemAccess } from './helperArgs.js';
import { VerifierError, fail } from './log.js';
import { MAYBE_NULL, RegType, isNullScalar } from './regState.js';

const { EINVAL, EFAULT, EOPNOTSUPP } = ERRNO;
const MAX_ARGS = 5;
const KNOWN_TAGS = new Set(['ctx', 'trusted', 'untrusted', 'nonnull', 'nullable', 'arena']);

/** How the verifier treats one argument of a global function (bpf_subprog_arg_info). */
export type GlobalArg =
  | { readonly kind: 'scalar' }
  | { readonly kind: 'ctx' }
  | { readonly kind: 'mem'; readonly size: number; readonly nullable: boolean };

/** The context struct each program type's BTF names (the kernel's bpf_ctx_convert), where there is one. */
const CTX_NAMES: Readonly<Record<number, string>> = {
  [U.BPF_PROG_TYPE_SOCKET_FILTER]: '__sk_buff', [U.BPF_PROG_TYPE_SCHED_CLS]: '__sk_buff', [U.BPF_PROG_TYPE_SCHED_ACT]: '__sk_buff',
  [U.BPF_PROG_TYPE_XDP]: 'xdp_md', [U.BPF_PROG_TYPE_CGROUP_SKB]: '__sk_buff', [U.BPF_PROG_TYPE_CGROUP_SOCK]: 'bpf_sock',
  [U.BPF_PROG_TYPE_LWT_IN]: '__sk_buff', [U.BPF_PROG_TYPE_LWT_OUT]: '__sk_buff', [U.BPF_PROG_TYPE_LWT_XMIT]: '__sk_buff',
  [U.BPF_PROG_TYPE_SOCK_OPS]: 'bpf_sock_ops', [U.BPF_PROG_TYPE_SK_SKB]: '__sk_buff', [U.BPF_PROG_TYPE_CGROUP_DEVICE]: 'bpf_cgroup_dev_ctx',
  [U.BPF_PROG_TYPE_SK_MSG]: 'sk_msg_md', [U.BPF_PROG_TYPE_RAW_TRACEPOINT]: 'bpf_raw_tracepoint_args',
  [U.BPF_PROG_TYPE_CGROUP_SOCK_ADDR]: 'bpf_sock_addr', [U.BPF_PROG_TYPE_LWT_SEG6LOCAL]: '__sk_buff',
  [U.BPF_PROG_TYPE_SK_REUSEPORT]: 'sk_reuseport_md', [U.BPF_PROG_TYPE_FLOW_DISSECTOR]: '__sk_buff',
  [U.BPF_PROG_TYPE_CGROUP_SYSCTL]: 'bpf_sysctl', [U.BPF_PROG_TYPE_CGROUP_SOCKOPT]: 'bpf_sockopt',
  [U.BPF_PROG_TYPE_SK_LOOKUP]: 'bpf_sk_lookup', [U.BPF_PROG_TYPE_PERF_EVENT]: 'bpf_perf_event_data',
  [U.BPF_PROG_TYPE_NETFILTER]: 'bpf_nf_ctx',
};

/** btf_validate_prog_ctx_type: an `arg:ctx` pointer must be `void *` or point to the program type's context struct. */
function validateCtxTag(env: Env, p: FuncParam, i: number): void {
  const t = p.pointee!;
  if (t.kind === 'UNKNOWN') return;
  if (t.name === '') fail(EINVAL, `arg#${i} type doesn't have a name`);
  const want = CTX_NAMES[env.opts.progType];
  if (want === undefined) fail(EINVAL, `arg:ctx for program type ${env.opts.progType} is not supported by bpfsim's verifier yet`);
  if (t.kind !== 'STRUCT' || t.name !== want) fail(EINVAL, `arg#${i} should be \`struct ${want} *\``);
}

/** One parameter's kind; null when a static function's BTF cannot describe it (not an error, the kernel says nothing). */
function prepareArg(env: Env, p: FuncParam, i: number, fname: string, global: boolean): GlobalArg | null {
  const tags = new Set<string>();
  for (const tag of p.tags) {
    if (!global) fail(EOPNOTSUPP, `arg#${i} type tag is not supported in static functions`);
    if (!KNOWN_TAGS.has(tag)) fail(EOPNOTSUPP, `arg#${i} has unsupported set of tags`);
    tags.add(tag);
  }
  if (p.kind !== 'pointer') {
    if (tags.size) fail(EINVAL, `arg#${i} has pointer tag, but is not a pointer type`);
    if (p.kind === 'scalar') return { kind: 'scalar' };
    if (!global) return null;
    fail(EINVAL, `Arg#${i} type ${p.btfKind} in ${fname}() is not supported yet.`);
  }
  const t = p.pointee!;
  if (tags.has('ctx') || (t.kind === 'STRUCT' && t.name !== '' && t.name === CTX_NAMES[env.opts.progType])) {
    if ([...tags].some((tag) => tag !== 'ctx')) fail(EINVAL, `arg#${i} has invalid combination of tags`);
    if (tags.has('ctx')) validateCtxTag(env, p, i);
    return { kind: 'ctx' };
  }
  if (!global) return null;
  if (t.kind === 'STRUCT' && t.name === 'bpf_dynptr') fail(EINVAL, `arg#${i}: dynptr arguments of global functions are not supported by bpfsim's verifier yet`);
  for (const tag of ['trusted', 'untrusted', 'arena']) {
    if (tags.has(tag)) fail(EINVAL, `arg#${i}: the arg:${tag} tag is not supported by bpfsim's verifier yet`);
  }
  if (tags.has('nullable')) fail(EINVAL, `arg#${i} has invalid combination of tags`);
  if (t.size === undefined) fail(EINVAL, `arg#${i} reference type('${t.kind} ${t.name}') size cannot be determined: -22`);
  return { kind: 'mem', size: t.size, nullable: !tags.has('nonnull') };
}

/**
 * btf_prepare_func_args for subprogram `sp`: its arguments, or a VerifierError with the kernel's
 * message. A static function's BTF that cannot describe it gives null where a global one's is refused.
 */
function prepareArgs(env: Env, sp: number, global: boolean): readonly GlobalArg[] | null {
  const cached = env.globalArgs.get(sp);
  if (cached) return cached;
  const fname = env.subprogName(sp);
  const sig = env.funcAt(sp)?.signature;
  if (!sig) {
    if (!global) return null;
    fail(EFAULT, `Invalid type of function ${fname}()`);
  }
  if (sig.params.length > MAX_ARGS) {
    if (!global) return null;
    fail(EINVAL, `Global function ${fname}() with ${sig.params.length} > ${MAX_ARGS} args. Buggy compiler.`);
  }
  if (!sig.returnsScalar) {
    if (!global) return null;
    fail(EINVAL, `Global function ${fname}() doesn't return scalar. Only those are supported.`);
  }
  const args: GlobalArg[] = [];
  for (const [i, p] of sig.params.entries()) {
    const a = prepareArg(env, p, i, fname, global);
    if (!a) return null;
    args.push(a);
  }
  env.globalArgs.set(sp, args);
  return args;
}

/** The arguments of global subprogram `sp`, or a VerifierError with the kernel's message. */
export function prepareGlobalArgs(env: Env, sp: number): readonly GlobalArg[] {
  return prepareArgs(env, sp, true)!;
}

/**
 * The main program's BTF prototype, read as the kernel reads it before verifying the program: what
 * it cannot describe is only logged (and a global main's complaints are the global ones).
 */
export function logMainPrototype(env: Env): void {
  const f = env.funcAt(0);
  if (!f) return;
  try {
    prepareArgs(env, 0, f.linkage === 'global');
  } catch (e) {
    if (!(e instanceof VerifierError)) throw e;
    env.log.line(e.message);
  }
}

/** check_mem_reg: NULL, or `size` bytes the function may read and write. */
function checkMemReg(env: Env, regno: number, size: number): void {
  const reg = env.reg(regno);
  if (isNullScalar(reg)) return;
  const flags = reg.flags;
  reg.flags &= ~MAYBE_NULL;
  try {
    helperMemAccess(env, regno, size, false, true);
    helperMemAccess(env, regno, size, true, true);
  } finally {
    reg.flags = flags;
  }
}

function checkArg(env: Env, arg: GlobalArg, i: number): void {
  const regno = i + 1;
  const reg = env.reg(regno);
  if (arg.kind === 'scalar') {
    if (reg.type !== RegType.SCALAR) fail(EINVAL, `R${regno} is not a scalar`);
    return;
  }
  checkArgRegOff(reg, regno, false);
  if (arg.kind === 'ctx') {
    if (reg.type !== RegType.CTX) fail(EINVAL, `arg#${i} expects pointer to ctx`);
    return;
  }
  try {
    checkMemReg(env, regno, arg.size);
  } catch (e) {
    if (e instanceof VerifierError) throw new VerifierError(EINVAL, e.message);
    throw e;
  }
  if (!arg.nullable && (reg.flags & MAYBE_NULL)) fail(EINVAL, `arg#${i} is expected to be non-NULL`);
}

/** btf_check_subprog_call for a global function: its prototype usable, the caller's r1-r5 matching it. */
export function checkGlobalCallArgs(env: Env, sp: number): void {
  const args = prepareGlobalArgs(env, sp);
  args.forEach((a, i) => checkArg(env, a, i));
}

/**
 * btf_check_subprog_call for a static function, which only writes to the log: the first call whose
 * registers do not match the function's BTF (or a BTF that cannot describe it) makes its BTF
 * unreliable, and later calls are not checked.
 */
export function checkStaticCallArgs(env: Env, sp: number): void {
  if (!env.funcAt(sp) || env.unreliableBtf[sp]) return;
  try {
    const args = prepareArgs(env, sp, false);
    if (args) args.forEach((a, i) => checkArg(env, a, i));
    else env.unreliableBtf[sp] = 1;
  } catch (e) {
    if (!(e instanceof VerifierError) || e.errno === EFAULT) throw e;
    env.log.line(e.message);
    env.unreliableBtf[sp] = 1;
  }
}
