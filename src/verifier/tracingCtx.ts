/**
 * The typed context of tracing programs (BPF_PROG_TYPE_TRACING: fentry, fexit, fmod_ret and BTF
 * raw tracepoints), as Linux 6.18's check_attach_btf_id and btf_ctx_access type it: the context
 * is the target's arguments as u64 slots, read-only; a slot holding a pointer to a struct gives a
 * PTR_TO_BTF_ID of that struct (trusted for a raw tracepoint), any other pointer must be read
 * whole and gives a scalar, integers and enums give scalars; fexit may read the return value in
 * the slot after the arguments, fmod_ret too when the function returns an integer.
 */
import { ERRNO } from '../errno.js';
import { BPF_MODIFY_RETURN, BPF_PROG_TYPE_TRACING, BPF_TRACE_FEXIT } from '../uapi.js';
import type { Env } from './env.js';
import type { AttachProto, CtxArgType } from './kernelTypes.js';
import { fail } from './log.js';
import { type RegState, RegType, TRUSTED, markPtr, markRegUnknown } from './regState.js';

const MAX_BPF_FUNC_ARGS = 12;

/** check_attach_btf_id for a tracing program: its attach target's prototype, before the walk (errors at no instruction). */
export function resolveAttachTarget(env: Env): void {
  const { progType, attachBtfId, kernelTypes } = env.opts;
  if (progType !== BPF_PROG_TYPE_TRACING || !kernelTypes) return;
  if (!attachBtfId) fail(ERRNO.EINVAL, 'Tracing programs must provide btf_id');
  const proto = kernelTypes.attachProto(attachBtfId, env.opts.expectedAttachType ?? 0);
  if (typeof proto === 'string') fail(ERRNO.EINVAL, proto);
  env.attach = proto;
}

/** btf_ctx_arg_idx: the argument a context offset falls in (struct arguments take more than one slot). */
function argIndex(p: AttachProto, off: number): number {
  let end = 0;
  for (let i = 0; i < p.paramBytes.length; i++) {
    end += p.paramBytes[i]!;
    if (off < end) return i;
  }
  return off < end + p.retBytes ? p.paramBytes.length : p.paramBytes.length + 1;
}

/** The type of context slot `arg`, or the kernel's reason why it cannot be read. */
function slotType(env: Env, p: AttachProto, arg: number): CtxArgType | string {
  const nargs = p.params.length - (p.rawTp ? 1 : 0);
  const missing = `func '${p.name}' doesn't have ${arg + 1}-th argument`;
  if (arg > nargs) return missing;
  if (arg < nargs) return p.params[arg + (p.rawTp ? 1 : 0)]!;
  const attach = env.opts.expectedAttachType ?? 0;
  if (attach === BPF_TRACE_FEXIT) return p.ret;
  if (attach === BPF_MODIFY_RETURN) return p.retSmallInt ? p.ret : `ret type ${p.retKindName} not allowed for fmod_ret`;
  return missing;
}

/** tracing_prog_is_valid_access and btf_ctx_access: a load of `size` bytes at `off` of a tracing program's context. */
export function tracingCtxAccess(env: Env, p: AttachProto, off: number, size: number, write: boolean, dst: RegState | null): void {
  const refuse = (why?: string): never => fail(ERRNO.EACCES, `${why ? `${why}\n` : ''}invalid bpf_context access off=${off} size=${size}`);
  if (off < 0 || off >= 8 * MAX_BPF_FUNC_ARGS || write || off % size !== 0) refuse();
  if (off % 8) refuse(`func '${p.name}' offset ${off} is not multiple of 8`);
  const arg = argIndex(p, off);
  const t = slotType(env, p, arg);
  if (typeof t === 'string') refuse(t);
  const type = t as CtxArgType;
  if (type.kind === 'other') refuse(`func '${p.name}' arg${arg} '${type.name}' has type ${type.kindName}. Only pointer access is allowed`);
  if (type.kind !== 'scalar' && size !== 8) refuse(`func '${p.name}' size ${size} must be 8`);
  if (type.kind !== 'struct') {
    if (dst) markRegUnknown(dst);
    return;
  }
  env.log.line(`func '${p.name}' arg${arg} has btf_id ${type.id} type ${type.kindName} '${type.name}'`);
  if (!dst) return;
  markPtr(dst, RegType.BTF_ID, p.rawTp ? TRUSTED : 0);
  dst.btfId = type.id;
}
