/**
 * The simulated address space as the probe_read helpers see it. The low 4 GiB are the simulated
 * kernel's memory, the arena (its mapped regions are readable; 0 up to ARENA_GUARD is the NULL
 * page, which belongs to user space); user memory lies between USER_MEMORY_START and
 * TASK_SIZE_MAX; the top half from 0xffff800000000000 is kernel space with nothing mapped. The
 * errors follow x86-64 Linux: a kernel read of a user or non-canonical address is -ERANGE, of
 * unmapped kernel memory -EFAULT; a user read of anything but mapped user memory is -EFAULT.
 */
import { ARENA_GUARD } from '../arena/index.js';
import { ERRNO } from '../errno.js';
import { TASK_SIZE_MAX, USER_MEMORY_START } from './task.js';
import type { HelperEnv } from './types.js';

const { EFAULT, ERANGE } = ERRNO;
/** The first address of the kernel half of a 48-bit x86-64 address space. */
export const KERNEL_SPACE_START = 0xffff800000000000n;

/** Where an address points: user space, kernel space (the arena or the top half), or neither (non-canonical). */
export function addressSpace(addr: bigint): 'user' | 'kernel' | 'noncanonical' {
  if (addr < BigInt(ARENA_GUARD)) return 'user';
  if (addr < BigInt(USER_MEMORY_START)) return 'kernel';
  if (addr < BigInt(TASK_SIZE_MAX)) return 'user';
  return addr >= KERNEL_SPACE_START ? 'kernel' : 'noncanonical';
}

/** The arena byte range `[addr, addr + size)` when it lies in one mapped region, else undefined. */
function arenaRange(env: HelperEnv, addr: bigint, size: number): number | undefined {
  if (addr >= BigInt(USER_MEMORY_START)) return undefined;
  const a = Number(addr);
  return env.arena.find(a, Math.max(size, 1)) ? a : undefined;
}

/** `copy_from_kernel_nofault`: `size` bytes of kernel memory, or -ERANGE / -EFAULT. */
export function readKernel(env: HelperEnv, addr: bigint, size: number): Uint8Array | number {
  if (addressSpace(addr) !== 'kernel') return -ERANGE;
  if (size === 0) return new Uint8Array(0);
  const a = arenaRange(env, addr, size);
  return a === undefined ? -EFAULT : env.arena.u8.slice(a, a + size);
}

/** `copy_from_user_nofault`: `size` bytes of the current task's user memory, or -EFAULT. */
export function readUser(env: HelperEnv, addr: bigint, size: number): Uint8Array | number {
  if (addressSpace(addr) !== 'user') return -EFAULT;
  if (size === 0) return new Uint8Array(0);
  return env.task?.user.read(addr, size) ?? -EFAULT;
}

/**
 * `strncpy_from_kernel_nofault` / `strncpy_from_user_nofault`: the string at `addr` as it lands
 * in a `count`-byte buffer (NUL included; cut to count − 1 bytes and a NUL when longer), with the
 * kernel's return value (the bytes written, or count when cut), or a negative errno.
 */
export function readString(env: HelperEnv, space: 'kernel' | 'user', addr: bigint, count: number): { bytes: Uint8Array; ret: number } | number {
  if (count <= 0) return { bytes: new Uint8Array(0), ret: 0 };
  const where = addressSpace(addr);
  if (where !== space) return space === 'kernel' ? -ERANGE : -EFAULT;
  const byte = space === 'user' ? (a: bigint) => env.task?.user.byte(a) : kernelByte(env);
  const out: number[] = [];
  for (let i = 0; i < count; i++) {
    const b = byte(addr + BigInt(i));
    if (b === undefined) return -EFAULT;
    out.push(b);
    if (b === 0) return { bytes: Uint8Array.from(out), ret: i + 1 };
  }
  out[count - 1] = 0;
  return { bytes: Uint8Array.from(out), ret: count };
}

function kernelByte(env: HelperEnv): (a: bigint) => number | undefined {
  return (a) => {
    const at = arenaRange(env, a, 1);
    return at === undefined ? undefined : env.arena.u8[at];
  };
}
