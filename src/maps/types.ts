import type { Arena } from '../arena/index.js';
import type { BpfMap } from './base.js';

/** A program as maps see it (PROG_ARRAY entries, devmap and cpumap programs); the VM's program type satisfies it. */
export interface MapProgram {
  /** Program id, as userspace lookups of a PROG_ARRAY return it. */
  readonly id: number;
  /** `BPF_PROG_TYPE_*`. */
  readonly type: number;
  /** `expected_attach_type` it was loaded with (`BPF_XDP_DEVMAP`, `BPF_XDP_CPUMAP`, …). */
  readonly expectedAttachType: number;
  /** Whether it was loaded with `BPF_F_XDP_HAS_FRAGS`. */
  readonly xdpHasFrags?: boolean;
}

/** A network device as device maps see it; the network simulator implements it. */
export interface NetDevice {
  /** Interface index (`dev->ifindex`), non-zero. */
  readonly ifindex: number;
}

/** A socket as socket maps and socket storage see it; the network simulator implements it. */
export interface MapSocket {
  /** Socket cookie (`bpf_get_socket_cookie`): non-zero and unique within a Machine. */
  readonly cookie: bigint;
  /** Address family: 2 (AF_INET), 10 (AF_INET6), 1 (AF_UNIX), 44 (AF_XDP), … */
  readonly family: number;
  /** Whether a sockmap or sockhash accepts it now (TCP listening or established, UDP bound, …). */
  readonly sockmapReady: boolean;
  /** Arena address of the socket as programs see it (`struct bpf_sock`), or 0. */
  readonly address: number;
}

/** A perf event opened for `bpf_perf_event_output` (a `PERF_COUNT_SW_BPF_OUTPUT` event on one CPU). */
export interface PerfEventTarget {
  /** The CPU the event is bound to. */
  readonly cpu: number;
  /** Receives each sample, padded as the kernel pads raw samples. */
  push(sample: Uint8Array): void;
}

/** What a file descriptor of the simulated process refers to (the Machine's fd table). */
export type FdObject =
  | { readonly kind: 'map'; readonly map: BpfMap }
  | { readonly kind: 'prog'; readonly prog: MapProgram }
  | { readonly kind: 'socket'; readonly socket: MapSocket }
  | { readonly kind: 'perf_event'; readonly event: PerfEventTarget }
  | { readonly kind: 'file' };

/**
 * What maps need from the Machine that owns them: its arena, CPU count, seeded randomness and the
 * objects that fds, ifindexes and program ids name. The Machine implements it.
 */
export interface MapEnv {
  /** The memory map values live in (DESIGN.md invariant 1). */
  readonly arena: Arena;
  /** Possible CPUs: per-CPU maps keep this many copies of each value. */
  readonly ncpus: number;
  /** A u32 from the Machine's seeded generator (hash seeds, as the kernel's get_random_u32). */
  randomU32(): number;
  /** The object behind a userspace fd, or undefined when the fd is not open (EBADF). */
  resolveFd(fd: number): FdObject | undefined;
  /** The device with this ifindex in the map's network namespace, or undefined. */
  deviceByIfindex(ifindex: number): NetDevice | undefined;
}

/** Options of the batch operations: `elem_flags` and `flags` of `BPF_MAP_*_BATCH`. */
export interface BatchOptions {
  /** `elem_flags` (only `BPF_F_LOCK` is defined). */
  readonly elemFlags?: number;
  /** `flags` (none are defined). */
  readonly flags?: number;
}

/** One step of a lookup batch, as `BPF_MAP_LOOKUP_BATCH` returns it. */
export interface BatchLookupResult {
  /** The keys returned, in the map's order. */
  readonly keys: Uint8Array[];
  /** The values returned (per-CPU maps: all CPUs' values). */
  readonly values: Uint8Array[];
  /** The `out_batch` buffer as the operation left it (max(keySize, 4) bytes, zeroed before the call). */
  readonly outBatch: Uint8Array;
  /** True when the operation reported ENOENT: the map holds no elements after these. */
  readonly done: boolean;
}

/**
 * The userspace view of a map shared by the simulated maps and `KernelMap`: `BackendMap` (src/vm)
 * plus the batch commands. Failures throw an `ErrnoError` carrying the kernel's errno.
 */
export interface UserMap {
  /** Number of bytes of one value as userspace reads and writes it (per-CPU maps: every CPU's copy). */
  readonly sysValueSize: number;
  /** `BPF_MAP_LOOKUP_BATCH` from `inBatch` (null: the start) for up to `count` elements. */
  lookupBatch(inBatch: Uint8Array | null, count: number, opts?: BatchOptions): BatchLookupResult;
  /** `BPF_MAP_LOOKUP_AND_DELETE_BATCH`: as lookupBatch, deleting what it returns. */
  lookupAndDeleteBatch(inBatch: Uint8Array | null, count: number, opts?: BatchOptions): BatchLookupResult;
  /** `BPF_MAP_UPDATE_BATCH`; returns how many elements were written. */
  updateBatch(keys: readonly Uint8Array[], values: readonly Uint8Array[], opts?: BatchOptions): number;
  /** `BPF_MAP_DELETE_BATCH`; returns how many elements were deleted. */
  deleteBatch(keys: readonly Uint8Array[], opts?: BatchOptions): number;
}
