import type { Arena } from '../arena/index.js';

/** Bytes of a page of simulated user memory. */
export const USER_PAGE_SIZE = 4096;
/** The end of user addresses (x86-64's `TASK_SIZE_MAX`): anything at or above it is not user memory. */
export const TASK_SIZE_MAX = 0x7ffffffff000;
/**
 * Where user memory may be mapped: the simulated kernel's memory (the arena) is the low 4 GiB,
 * so user pages live from 4 GiB up to TASK_SIZE_MAX, as a 64-bit process's mappings do.
 */
export const USER_MEMORY_START = 0x100000000;

/**
 * Field offsets of the simulated `struct task_struct`, the layout of bpfsim's kernel BTF
 * (src/elf/btf/simKernel.ts), so CO-RE reads of `current` resolve to these fields.
 */
export const TaskStruct = { state: 0, flags: 4, prio: 8, pid: 12, tgid: 16, realParent: 24, parent: 32, comm: 40, startTime: 56 } as const;
/** `sizeof(struct task_struct)` in bpfsim's kernel BTF. */
export const TASK_STRUCT_SIZE = 64;
/** Bytes of `task_struct.comm` (`TASK_COMM_LEN`). */
export const TASK_COMM_LEN = 16;

/**
 * The address space of the simulated task's process: sparse pages that tests map and fill, read
 * by `bpf_probe_read_user*` (and `%us` formats), between USER_MEMORY_START and TASK_SIZE_MAX.
 */
export class UserMemory {
  private readonly pages = new Map<number, Uint8Array>();

  /** Writes `bytes` at `addr`, mapping the pages it covers (zero-filled) first. */
  write(addr: number | bigint, bytes: Uint8Array): void {
    const at = userAddr(addr, bytes.length);
    if (at === undefined || at < USER_MEMORY_START) {
      throw new RangeError(`user memory: ${bytes.length} bytes at 0x${addr.toString(16)} are not between USER_MEMORY_START and TASK_SIZE_MAX`);
    }
    for (let i = 0; i < bytes.length; ) {
      const a = at + i;
      const page = this.page(Math.floor(a / USER_PAGE_SIZE), true)!;
      const off = a % USER_PAGE_SIZE;
      const n = Math.min(bytes.length - i, USER_PAGE_SIZE - off);
      page.set(bytes.subarray(i, i + n), off);
      i += n;
    }
  }

  /** Unmaps the pages covering `[addr, addr + size)`; reads of them then fault. */
  unmap(addr: number | bigint, size: number): void {
    const at = Number(addr);
    for (let p = Math.floor(at / USER_PAGE_SIZE); p * USER_PAGE_SIZE < at + size; p++) this.pages.delete(p);
  }

  /** `size` bytes at `addr`, or undefined when any of them is not mapped (a fault). */
  read(addr: bigint, size: number): Uint8Array | undefined {
    const at = userAddr(addr, size);
    if (at === undefined) return undefined;
    const out = new Uint8Array(size);
    for (let i = 0; i < size; ) {
      const page = this.page(Math.floor((at + i) / USER_PAGE_SIZE), false);
      if (!page) return undefined;
      const off = (at + i) % USER_PAGE_SIZE;
      const n = Math.min(size - i, USER_PAGE_SIZE - off);
      out.set(page.subarray(off, off + n), i);
      i += n;
    }
    return out;
  }

  /** The byte at `addr`, or undefined when it is not mapped. */
  byte(addr: bigint): number | undefined {
    const at = userAddr(addr, 1);
    if (at === undefined) return undefined;
    return this.pages.get(Math.floor(at / USER_PAGE_SIZE))?.[at % USER_PAGE_SIZE];
  }

  private page(n: number, create: boolean): Uint8Array | undefined {
    let p = this.pages.get(n);
    if (!p && create) {
      p = new Uint8Array(USER_PAGE_SIZE);
      this.pages.set(n, p);
    }
    return p;
  }
}

function userAddr(addr: number | bigint, size: number): number | undefined {
  const a = typeof addr === 'bigint' ? addr : BigInt(addr);
  return a >= 0n && a + BigInt(size) <= BigInt(TASK_SIZE_MAX) ? Number(a) : undefined;
}

/** The identity of a simulated task. */
export interface TaskSpec {
  /** Thread id (the kernel's `pid`). */
  readonly pid?: number;
  /** Process id (the kernel's `tgid`). */
  readonly tgid?: number;
  /** Its cgroup v2 id (default 1, the root cgroup). */
  readonly cgroupId?: bigint;
  /** User id in the initial user namespace. */
  readonly uid?: number;
  /** Group id in the initial user namespace. */
  readonly gid?: number;
  /** Command name (`comm`), at most 15 characters are kept. */
  readonly comm?: string;
}

/**
 * The simulated current task: what `bpf_get_current_*` report, a `task_struct` in the arena
 * (`bpf_get_current_task` returns its address), the process's user memory and the call stacks
 * `bpf_get_stackid` and `bpf_get_stack` see. Defaults: pid = tgid = 1000, uid = gid = 0, comm `bpfsim`.
 */
export class SimTask {
  /** Thread id. */
  pid = 1000;
  /** Process id. */
  tgid = 1000;
  /** User id. */
  uid = 0;
  /** Group id. */
  gid = 0;
  /** Command name. */
  comm = 'bpfsim';
  /** The cgroup v2 id of its cgroup (1: the root cgroup, at level 0). */
  cgroupId = 1n;
  /** Device and inode of its pid namespace (/proc/self/ns/pid): the initial namespace's. */
  pidNs = { dev: 4n, ino: 0xeffffffcn };
  /** Signals sent to it by `bpf_send_signal` (`thread: false`) and `bpf_send_signal_thread`, oldest first. */
  readonly signals: { readonly sig: number; readonly thread: boolean }[] = [];
  /** The process's user memory. */
  readonly user = new UserMemory();
  /** The kernel call stack, innermost first, as instruction addresses (default: four frames of a syscall). */
  kernelStack: bigint[] = [0xffffffff81234560n, 0xffffffff81345670n, 0xffffffff81456780n, 0xffffffff81c00090n];
  /** The user call stack, innermost first (default: three frames of a program). */
  userStack: bigint[] = [0x55555555a100n, 0x55555555b200n, 0x7ffff7c29d90n];
  /** Arena address of the task's `struct task_struct`. */
  readonly address: number;
  private readonly arena: Arena;

  constructor(arena: Arena, spec: TaskSpec = {}) {
    this.arena = arena;
    this.address = arena.alloc(TASK_STRUCT_SIZE, 'mem', 'task_struct', { writable: false }).start;
    this.set(spec);
  }

  /** Changes the task's identity and rewrites its `task_struct`. */
  set(spec: TaskSpec): void {
    Object.assign(this, Object.fromEntries(Object.entries(spec).filter(([, v]) => v !== undefined)));
    const v = this.arena.view;
    const a = this.address;
    v.setInt32(a + TaskStruct.pid, this.pid, true);
    v.setInt32(a + TaskStruct.tgid, this.tgid, true);
    v.setBigUint64(a + TaskStruct.realParent, BigInt(a), true);
    v.setBigUint64(a + TaskStruct.parent, BigInt(a), true);
    this.arena.u8.fill(0, a + TaskStruct.comm, a + TaskStruct.comm + TASK_COMM_LEN);
    this.arena.u8.set(this.commBytes(), a + TaskStruct.comm);
  }

  /** `comm` as the kernel keeps it: at most 15 bytes, without the NUL. */
  commBytes(): Uint8Array {
    return new TextEncoder().encode(this.comm).subarray(0, TASK_COMM_LEN - 1);
  }
}
