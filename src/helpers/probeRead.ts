import { argU32, argU64 } from './args.js';
import { ptrArg } from './maps.js';
import { addressSpace, readKernel, readString, readUser } from './memory.js';
import { defineHelper } from './table.js';
import type { HelperCall, HelperDef, HelperEnv } from './types.js';

type Reader = (env: HelperEnv, addr: bigint, size: number) => Uint8Array | number;

/** Copies what `read` returns to the buffer in r1 (r2 bytes); on failure zeroes the buffer, as the kernel does. */
function copyTo(c: HelperCall, id: number, read: Reader): number {
  const dst = ptrArg(c, id, 1);
  const size = argU32(c, 2);
  const got = read(c.env, argU64(c, 3), size);
  const u8 = c.env.arena.u8;
  if (typeof got === 'number') {
    u8.fill(0, dst, dst + size);
    return got;
  }
  u8.set(got, dst);
  return 0;
}

/** Copies a string to the buffer in r1 (at most r2 bytes, NUL included); returns its length with the NUL, or zeroes the buffer and returns the error. */
function copyStr(c: HelperCall, id: number, space: 'kernel' | 'user'): number {
  const dst = ptrArg(c, id, 1);
  const size = argU32(c, 2);
  const got = readString(c.env, space, argU64(c, 3), size);
  const u8 = c.env.arena.u8;
  if (typeof got === 'number') {
    u8.fill(0, dst, dst + size);
    return got;
  }
  u8.set(got.bytes, dst);
  return got.ret;
}

const READ = { ret: 'integer', args: ['uninit_mem', 'const_size_or_zero', 'anything'], gplOnly: true } as const;

/** `bpf_probe_read_kernel(dst, size, ptr)`: 0, or -ERANGE (user/non-canonical address) / -EFAULT with dst zeroed. */
export const probeReadKernel: HelperDef = defineHelper('probe_read_kernel', READ, (c) => copyTo(c, 113, readKernel));

/** `bpf_probe_read_user(dst, size, ptr)`: 0, or -EFAULT with dst zeroed. */
export const probeReadUser: HelperDef = defineHelper('probe_read_user', READ, (c) => copyTo(c, 112, readUser));

/** `bpf_probe_read_kernel_str(dst, size, ptr)`: the string's length with its NUL (at most size), or an error with dst zeroed. */
export const probeReadKernelStr: HelperDef = defineHelper('probe_read_kernel_str', READ, (c) => copyStr(c, 115, 'kernel'));

/** `bpf_probe_read_user_str(dst, size, ptr)`: as the kernel form, from user memory. */
export const probeReadUserStr: HelperDef = defineHelper('probe_read_user_str', READ, (c) => copyStr(c, 114, 'user'));

/** The legacy `bpf_probe_read`: a user read for user addresses, a kernel read otherwise (x86-64's split address space). */
export const probeRead: HelperDef = defineHelper('probe_read', READ,
  (c) => copyTo(c, 4, addressSpace(argU64(c, 3)) === 'user' ? readUser : readKernel));

/** The legacy `bpf_probe_read_str`, split the same way. */
export const probeReadStr: HelperDef = defineHelper('probe_read_str', READ,
  (c) => copyStr(c, 45, addressSpace(argU64(c, 3)) === 'user' ? 'user' : 'kernel'));

/** `bpf_copy_from_user(dst, size, user_ptr)` (sleepable programs): 0, or -EFAULT with dst zeroed. */
export const copyFromUser: HelperDef = defineHelper('copy_from_user',
  { ret: 'integer', args: ['uninit_mem', 'const_size_or_zero', 'anything'], mightSleep: true },
  (c) => copyTo(c, 148, (env, addr, size) => (size === 0 ? new Uint8Array(0) : readUser(env, addr, size))));

/** The probe_read family and copy_from_user. */
export const probeReadHelpers: readonly HelperDef[] = [probeReadKernel, probeReadUser, probeReadKernelStr, probeReadUserStr, probeRead, probeReadStr, copyFromUser];
