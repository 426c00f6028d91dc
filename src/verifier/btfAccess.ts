/**
 * Loads through kernel pointers typed by the target's BTF (Linux 6.18's check_ptr_to_btf_access
 * and check_ptr_to_map_access): a PTR_TO_BTF_ID may be read at a constant, non-negative offset,
 * never written; a map pointer is read as the kernel struct its map type is (`struct bpf_array`,
 * whose first member is `struct bpf_map`). What the load gives comes from the BTF walk
 * (`KernelTypes.structAccess`): a scalar, a pointer to another struct, or read-only untrusted
 * memory. A pointer loaded through a trusted or RCU pointer keeps that trust only for the fields
 * the kernel lists; otherwise, inside an RCU read-side section (every non-sleepable program), it
 * becomes a plain pointer, or an RCU pointer that may be NULL when the member is `__rcu`.
 */
import { ERRNO } from '../errno.js';
import type { Env } from './env.js';
import { BtfPtrFlag, type KernelTypes, type StructAccess } from './kernelTypes.js';
import { fail } from './log.js';
import { MAYBE_NULL, PERCPU, RCU, RDONLY, type RegState, RegType, TRUSTED, UNTRUSTED, USER, markPtr, markRegUnknown, regTypeName } from './regState.js';
import { tnumIsConst, tnumToString } from './tnum.js';

const { EACCES, EINVAL } = ERRNO;

/** What a field holds when the kernel vouches for it (the BTF_TYPE_SAFE_* lists), by `struct.field`. */
const SAFE_FIELDS: Readonly<Record<string, 'trusted' | 'trusted_or_null' | 'rcu' | 'rcu_or_null'>> = {
  'task_struct.cpus_ptr': 'rcu', 'task_struct.cgroups': 'rcu', 'task_struct.real_parent': 'rcu', 'task_struct.group_leader': 'rcu',
  'cgroup.kn': 'rcu', 'css_set.dfl_cgrp': 'rcu', 'cgroup_subsys_state.cgroup': 'rcu',
  'mm_struct.exe_file': 'rcu_or_null', 'sk_buff.sk': 'rcu_or_null', 'request_sock.sk': 'rcu_or_null',
  'bpf_iter_meta.seq': 'trusted', 'bpf_iter__task.task': 'trusted', 'linux_binprm.file': 'trusted', 'file.f_inode': 'trusted',
  'dentry.d_inode': 'trusted', 'socket.sk': 'trusted_or_null', 'vm_area_struct.vm_mm': 'trusted_or_null',
  'vm_area_struct.vm_file': 'trusted_or_null',
};

const WALK_FLAGS: readonly (readonly [number, number])[] = [
  [BtfPtrFlag.UNTRUSTED, UNTRUSTED], [BtfPtrFlag.RCU, RCU], [BtfPtrFlag.USER, USER], [BtfPtrFlag.PERCPU, PERCPU],
];

function regFlags(walk: number): number {
  let f = 0;
  for (const [w, r] of WALK_FLAGS) if (walk & w) f |= r;
  return f;
}

/** The register's struct name, from the target's types (for messages). */
function typeName(env: Env, reg: RegState): string {
  return env.opts.kernelTypes?.typeName(reg.btfId) ?? '';
}

/**
 * The flags of a pointer loaded from `reg` (check_ptr_to_btf_access after the walk). bpfsim
 * verifies no sleepable programs, so every path is inside an RCU read-side section.
 */
function loadedFlags(owner: string, reg: RegState, field: string, walk: number): number {
  let f = regFlags(walk);
  if (reg.flags & UNTRUSTED) return f | UNTRUSTED;
  if (!(reg.flags & (TRUSTED | RCU))) return f & ~(TRUSTED | RCU);
  const safe = SAFE_FIELDS[`${owner}.${field}`];
  if (safe === 'trusted') return f | TRUSTED;
  if (safe === 'trusted_or_null') return f | TRUSTED | MAYBE_NULL;
  if (reg.flags & MAYBE_NULL) return UNTRUSTED;
  if (safe === 'rcu') return f | RCU;
  if (f & RCU || safe === 'rcu_or_null') {
    f |= RCU | MAYBE_NULL;
    return safe === 'rcu_or_null' ? f & ~UNTRUSTED : f;
  }
  if (f & (USER | PERCPU)) return f;
  return f & ~(TRUSTED | RCU);
}

/** mark_btf_ld_reg: the destination of a load that the walk typed. */
function markLoaded(env: Env, dst: RegState | null, r: StructAccess, flags: (field: string, walk: number) => number): void {
  if (r.kind === 'error') fail(r.errno, r.message);
  if (!dst) return;
  if (r.kind === 'scalar') {
    markRegUnknown(dst);
  } else if (r.kind === 'mem') {
    markPtr(dst, RegType.MEM, RDONLY | UNTRUSTED);
  } else {
    const f = flags(r.field, r.flags);
    markPtr(dst, RegType.BTF_ID, f);
    dst.btfId = r.id;
    if (f & MAYBE_NULL) dst.id = env.newId();
  }
}

function requireTypes(env: Env, what: string): KernelTypes {
  const kt = env.opts.kernelTypes;
  if (!kt) fail(EACCES, `${what} needs the target kernel's BTF, which bpfsim's verifier was not given (VerifyOptions.kernelTypes)`);
  return kt;
}

/** check_ptr_to_btf_access: a load (or refused store) of `size` bytes at `off` (the fixed offset included) through a PTR_TO_BTF_ID. */
export function checkBtfIdAccess(env: Env, regno: number, off: number, size: number, write: boolean, dst: RegState | null): void {
  const reg = env.reg(regno);
  const kt = requireTypes(env, `a load through R${regno} ${regTypeName(reg.type, reg.flags)}`);
  if (!reg.btfId) fail(EACCES, `R${regno} ${regTypeName(reg.type, reg.flags)} has no BTF type in bpfsim's verifier for this program type`);
  const tname = typeName(env, reg);
  if (env.opts.gpl === false) fail(EINVAL, `Cannot access kernel 'struct ${tname}' from non-GPL compatible program`);
  if (off < 0) fail(EACCES, `R${regno} is ptr_${tname} invalid negative access: off=${off}`);
  if (!tnumIsConst(reg.s) || reg.s.vlo !== 0 || reg.s.vhi !== 0) {
    fail(EACCES, `R${regno} is ptr_${tname} invalid variable offset: off=${off}, var_off=${tnumToString(reg.s)}`);
  }
  if (reg.flags & USER) fail(EACCES, `R${regno} is ptr_${tname} access user memory: off=${off}`);
  if (reg.flags & PERCPU) fail(EACCES, `R${regno} is ptr_${tname} access percpu memory: off=${off}`);
  if (write) fail(EACCES, 'only read is supported');
  markLoaded(env, dst, kt.structAccess(reg.btfId, off, size), (field, walk) => loadedFlags(tname, reg, field, walk));
}

/** check_ptr_to_map_access: a load of `size` bytes at `off` of the kernel's map object through a map pointer. */
export function checkMapPtrAccess(env: Env, regno: number, off: number, size: number, write: boolean, dst: RegState | null): void {
  const reg = env.reg(regno);
  const kt = env.opts.kernelTypes;
  if (!kt) fail(ERRNO.ENOTSUPP, 'map_ptr access not supported without CONFIG_DEBUG_INFO_BTF');
  const id = kt.mapStructId(reg.map!.type);
  if (id === undefined) fail(ERRNO.ENOTSUPP, `map_ptr access not supported for map type ${reg.map!.type}`);
  const tname = kt.typeName(id);
  if (off < 0) fail(EACCES, `R${regno} is ${tname} invalid negative access: off=${off}`);
  if (write) fail(EACCES, `only read from ${tname} is supported`);
  markLoaded(env, dst, kt.structAccess(id, off, size), (_field, walk) => regFlags(walk));
}
