import { ERRNO } from '../errno.js';
import { argU32 } from './args.js';
import { ptrArg } from './maps.js';
import { defineHelper } from './table.js';
import type { HelperDef } from './types.js';

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

/** The helpers that report on the current task. */
export const currentHelpers: readonly HelperDef[] = [getCurrentPidTgid, getCurrentUidGid, getCurrentComm, getCurrentTask, getCurrentTaskBtf];
