import { ERRNO } from '../errno.js';
import { argU32, argU64 } from './args.js';
import { ptrArg } from './maps.js';
import { defineHelper } from './table.js';
import type { HelperCall, HelperDef } from './types.js';

/** `bpf_get_current_pid_tgid`: tgid << 32 | pid of the simulated current task (-EINVAL without one). */
export const getCurrentPidTgid: HelperDef = defineHelper('get_current_pid_tgid', { ret: 'integer', args: [] }, (c) => {
  const t = c.env.task;
  return t ? (BigInt(t.tgid >>> 0) << 32n) | BigInt(t.pid >>> 0) : -ERRNO.EINVAL;
});

/** `bpf_get_current_uid_gid`: gid << 32 | uid of the current task (-EINVAL without one). */
export const getCurrentUidGid: HelperDef = defineHelper('get_current_uid_gid', { ret: 'integer', args: [] }, (c) => {
  const t = c.env.task;
  return t ? (BigInt(t.gid >>> 0) << 32n) | BigInt(t.uid >>> 0) : -ERRNO.EINVAL;
});

/**
 * `bpf_get_current_comm(buf, size)`: the task's comm, cut to size − 1 bytes, NUL-terminated and
 * zero-padded to size (`strscpy_pad`); 0, or -EINVAL with buf zeroed when there is no task.
 */
export const getCurrentComm: HelperDef = defineHelper('get_current_comm', { ret: 'integer', args: ['uninit_mem', 'const_size'] }, (c) => {
  const buf = ptrArg(c, 16, 1);
  const size = argU32(c, 2);
  const u8 = c.env.arena.u8;
  u8.fill(0, buf, buf + size);
  const t = c.env.task;
  if (!t) return -ERRNO.EINVAL;
  if (size > 0) u8.set(t.commBytes().subarray(0, size - 1), buf);
  return 0;
});

/** `bpf_get_current_task`: the address of the current task's `task_struct` (0 without one). */
export const getCurrentTask: HelperDef = defineHelper('get_current_task', { ret: 'integer', args: [], gplOnly: true },
  (c) => c.env.task?.address ?? 0);

/** `bpf_get_current_task_btf`: the same address, typed (a trusted `struct task_struct *`). */
export const getCurrentTaskBtf: HelperDef = defineHelper('get_current_task_btf', { ret: 'btf_id', args: [], gplOnly: true },
  (c) => c.env.task?.address ?? 0);


/** `sizeof(struct bpf_pidns_info)`: u32 pid, u32 tgid. */
const PIDNS_INFO_SIZE = 8;

/**
 * `bpf_get_ns_current_pid_tgid(dev, ino, nsdata, size)`: pid and tgid as seen in the pid namespace
 * (dev, ino); -EINVAL with nsdata zeroed for another namespace, a dev that is not a dev_t, or a size
 * that is not 8.
 */
export const getNsCurrentPidTgid: HelperDef = defineHelper('get_ns_current_pid_tgid',
  { ret: 'integer', args: ['anything', 'anything', 'uninit_mem', 'const_size'] },
  (c) => {
    const dev = argU64(c, 1);
    const ino = argU64(c, 2);
    const out = ptrArg(c, 120, 3);
    const size = argU32(c, 4);
    const t = c.env.task;
    c.env.arena.u8.fill(0, out, out + size);
    if (size !== PIDNS_INFO_SIZE || dev > 0xffffffffn || !t || t.pidNs.dev !== dev || t.pidNs.ino !== ino) return -ERRNO.EINVAL;
    c.env.arena.view.setUint32(out, t.pid >>> 0, true);
    c.env.arena.view.setUint32(out + 4, t.tgid >>> 0, true);
    return 0;
  });

/** `bpf_get_current_cgroup_id`: the cgroup v2 id of the current task's cgroup. */
export const getCurrentCgroupId: HelperDef = defineHelper('get_current_cgroup_id', { ret: 'integer', args: [] },
  (c) => c.env.task?.cgroupId ?? 0n);

/** `bpf_get_current_ancestor_cgroup_id(level)`: the id of its ancestor at `level`; the simulated task sits in the root cgroup (level 0). */
export const getCurrentAncestorCgroupId: HelperDef = defineHelper('get_current_ancestor_cgroup_id', { ret: 'integer', args: ['anything'] },
  (c) => (c.lo[1] === 0 ? c.env.task?.cgroupId ?? 0n : 0n));

/** The largest signal number (`_NSIG`). */
const NSIG = 64;

function sendSignal(c: HelperCall, thread: boolean): number {
  const sig = argU32(c, 1);
  if (sig > NSIG) return -ERRNO.EINVAL;
  c.env.task?.signals.push({ sig, thread });
  return 0;
}

/** `bpf_send_signal(sig)`: records the signal for the current task's process (Machine.task.signals); -EINVAL past signal 64. */
export const sendSignalProcess: HelperDef = defineHelper('send_signal', { ret: 'integer', args: ['anything'] }, (c) => sendSignal(c, false));

/** `bpf_send_signal_thread(sig)`: as bpf_send_signal, for the current thread. */
export const sendSignalThread: HelperDef = defineHelper('send_signal_thread', { ret: 'integer', args: ['anything'] }, (c) => sendSignal(c, true));

/** The helpers that report on (or signal) the current task. */
export const currentHelpers: readonly HelperDef[] = [
  getCurrentPidTgid, getCurrentUidGid, getCurrentComm, getCurrentTask, getCurrentTaskBtf, getNsCurrentPidTgid, getCurrentCgroupId,
  getCurrentAncestorCgroupId, sendSignalProcess, sendSignalThread,
];
