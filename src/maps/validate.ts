import { ERRNO } from '../errno.js';
import {
  BPF_F_CLONE, BPF_F_INNER_MAP, BPF_F_MMAPABLE, BPF_F_NO_COMMON_LRU, BPF_F_NO_PREALLOC, BPF_F_NUMA_NODE,
  BPF_F_PRESERVE_ELEMS, BPF_F_RDONLY, BPF_F_RDONLY_PROG, BPF_F_TOKEN_FD, BPF_F_WRONLY, BPF_F_WRONLY_PROG, BPF_F_ZERO_SEED,
  BPF_MAP_TYPE_ARRAY, BPF_MAP_TYPE_ARRAY_OF_MAPS, BPF_MAP_TYPE_BLOOM_FILTER, BPF_MAP_TYPE_CPUMAP, BPF_MAP_TYPE_DEVMAP,
  BPF_MAP_TYPE_DEVMAP_HASH, BPF_MAP_TYPE_HASH, BPF_MAP_TYPE_HASH_OF_MAPS, BPF_MAP_TYPE_LPM_TRIE, BPF_MAP_TYPE_LRU_HASH,
  BPF_MAP_TYPE_LRU_PERCPU_HASH, BPF_MAP_TYPE_PERCPU_ARRAY, BPF_MAP_TYPE_PERCPU_HASH, BPF_MAP_TYPE_PERF_EVENT_ARRAY,
  BPF_MAP_TYPE_PROG_ARRAY, BPF_MAP_TYPE_QUEUE, BPF_MAP_TYPE_RINGBUF, BPF_MAP_TYPE_USER_RINGBUF, BPF_MAP_TYPE_SK_STORAGE, BPF_MAP_TYPE_SOCKHASH,
  BPF_MAP_TYPE_SOCKMAP, BPF_MAP_TYPE_STACK, BPF_MAP_TYPE_STACK_TRACE, BPF_MAP_TYPE_XSKMAP, BPF_F_STACK_BUILD_ID,
} from '../uapi.js';
import { specialFields } from './btfFields.js';
import { round8 } from './errors.js';
import type { MapSpec } from './spec.js';

const { E2BIG, EINVAL, ENOTSUPP, EOPNOTSUPP } = ERRNO;

/** Bytes the kernel can kmalloc at most (4 MiB with 4 KiB pages); bounds several value sizes. */
export const KMALLOC_MAX_SIZE = 4 << 20;
/** Largest per-CPU value (PCPU_MIN_UNIT_SIZE). */
export const PCPU_MIN_UNIT_SIZE = 32768;
/** Largest key of a socket hash (MAX_BPF_STACK). */
export const MAX_BPF_STACK = 512;
/** Most entries a CPUMAP may have: NR_CPUS of the reference kernel. */
export const NR_CPUS = 256;
/** Largest LPM value: KMALLOC_MAX_SIZE less the trie node and the largest key data. */
export const LPM_VAL_SIZE_MAX = KMALLOC_MAX_SIZE - 256 - 24;
/** Largest socket-storage value. */
export const BPF_LOCAL_STORAGE_MAX_VALUE_SIZE = 0xffff - 56;
/** Frames a stack trace may hold (`sysctl kernel.perf_event_max_stack`, 127 by default). */
export const PERF_MAX_STACK_DEPTH = 127;
/** `sizeof(struct bpf_stack_build_id)`. */
export const STACK_BUILD_ID_SIZE = 32;
/** Bytes of the kernel's htab element header, which with key and value must stay below KMALLOC_MAX_SIZE. */
const HTAB_ELEM_SIZE = 48;
const PAGE_SIZE = 4096;

const ACCESS = BPF_F_RDONLY | BPF_F_WRONLY | BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG;
const FD_ACCESS = BPF_F_RDONLY | BPF_F_WRONLY;
const HTAB_FLAGS = BPF_F_NO_PREALLOC | BPF_F_NO_COMMON_LRU | BPF_F_NUMA_NODE | ACCESS | BPF_F_ZERO_SEED;

/** Map types the kernel has that bpfsim does not simulate, by number. */
const UNSIMULATED: Record<number, string> = {
  8: 'CGROUP_ARRAY', 19: 'CGROUP_STORAGE', 20: 'REUSEPORT_SOCKARRAY', 21: 'PERCPU_CGROUP_STORAGE',
  26: 'STRUCT_OPS', 28: 'INODE_STORAGE', 29: 'TASK_STORAGE', 32: 'CGRP_STORAGE', 33: 'ARENA',
};

/** Why a spec is refused: the kernel's errno and a sentence for the error message. */
export interface Refusal {
  /** The errno BPF_MAP_CREATE fails with. */
  readonly errno: number;
  /** The rule that was broken, for the error message. */
  readonly why: string;
  /** Whether the kernel finds this when allocating (after resolving a BPF token) rather than in map_alloc_check. */
  readonly late?: boolean;
}

const no = (errno: number, why: string): Refusal => ({ errno, why });
const late = (errno: number, why: string): Refusal => ({ errno, why, late: true });

/** Map types whose checks all run at allocation: they have no map_alloc_check. */
const CHECKED_AT_ALLOC = new Set([
  BPF_MAP_TYPE_LPM_TRIE, BPF_MAP_TYPE_RINGBUF, BPF_MAP_TYPE_USER_RINGBUF, BPF_MAP_TYPE_DEVMAP, BPF_MAP_TYPE_DEVMAP_HASH, BPF_MAP_TYPE_CPUMAP,
  BPF_MAP_TYPE_XSKMAP, BPF_MAP_TYPE_SOCKMAP, BPF_MAP_TYPE_SOCKHASH,
]);

/**
 * Checks a map spec as BPF_MAP_CREATE does, in the kernel's order, and returns the refusal the
 * kernel would give (or undefined). Inner-map templates are checked by createMap, which builds them.
 */
export function validateSpec(spec: MapSpec): Refusal | undefined {
  for (const field of ['type', 'keySize', 'valueSize', 'maxEntries'] as const) {
    const v = spec[field];
    if (!Number.isInteger(v) || v < 0 || v > 0xffffffff) throw new RangeError(`map spec: ${field} must be a u32, not ${v}`);
  }
  const flags = spec.flags ?? 0;
  if (spec.mapExtra && spec.type !== BPF_MAP_TYPE_BLOOM_FILTER) return no(EINVAL, 'map_extra is only for bloom filters');
  if ((flags & FD_ACCESS) === FD_ACCESS) return no(EINVAL, 'BPF_F_RDONLY and BPF_F_WRONLY exclude each other');
  if (flags & BPF_F_NUMA_NODE && (spec.numaNode ?? 0) !== 0) return no(EINVAL, `NUMA node ${spec.numaNode} is not online (the simulator has node 0)`);
  const unsimulated = UNSIMULATED[spec.type];
  if (unsimulated) return no(EOPNOTSUPP, `bpfsim does not simulate BPF_MAP_TYPE_${unsimulated} maps`);
  // The kernel sets BPF_F_TOKEN_FD aside, runs the type's map_alloc_check, resolves the token, and
  // only then allocates, which is where the remaining checks (and all of them for some types) are.
  const refusal = checkType(spec, flags & ~BPF_F_TOKEN_FD);
  if (refusal && !refusal.late) return refusal;
  if (flags & BPF_F_TOKEN_FD) return no(EINVAL, 'BPF_F_TOKEN_FD: bpfsim has no BPF tokens (map_token_fd names none)');
  return refusal ?? nameRefusal(spec.name);
}

/** Map types whose values may hold a `bpf_spin_lock`, and those that may hold a `bpf_timer` (map_check_btf). */
const SPIN_LOCK_TYPES = new Set([BPF_MAP_TYPE_HASH, BPF_MAP_TYPE_ARRAY, BPF_MAP_TYPE_SK_STORAGE]);
const TIMER_TYPES = new Set([BPF_MAP_TYPE_HASH, BPF_MAP_TYPE_LRU_HASH, BPF_MAP_TYPE_ARRAY]);

/**
 * The refusal for a value's special fields (from its BTF), as the kernel gives it: unreadable BTF,
 * sizes that are not the map's, or two of a kind (measured at BTF load: E2BIG); a spin lock or
 * timer in a map type that cannot hold one (EOPNOTSUPP); either in a map with program access
 * flags (EACCES).
 */
export function fieldsRefusal(spec: MapSpec): Refusal | undefined {
  const r = specialFields(spec);
  if ('errno' in r) return no(r.errno, r.why);
  for (const f of r.fields) {
    if (!(f.kind === 'spin_lock' ? SPIN_LOCK_TYPES : TIMER_TYPES).has(spec.type)) return no(EOPNOTSUPP, `this map type cannot hold a bpf_${f.kind}`);
  }
  if (r.fields.length && (spec.flags ?? 0) & (BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG)) return no(ERRNO.EACCES, 'a value with a bpf_spin_lock or bpf_timer needs program access');
  return undefined;
}

/** The refusal for a bad map name (checked last, after the map is allocated), or undefined. */
export function nameRefusal(name: string | undefined): Refusal | undefined {
  const kept = (name ?? '').slice(0, 15);
  return /^[A-Za-z0-9_.]*$/.test(kept) ? undefined : no(EINVAL, `map name '${kept}' may only hold letters, digits, '_' and '.'`);
}

function checkType(spec: MapSpec, flags: number): Refusal | undefined {
  const refusal = checkTypeRules(spec, flags);
  return refusal && CHECKED_AT_ALLOC.has(spec.type) ? { ...refusal, late: true } : refusal;
}

function checkTypeRules(spec: MapSpec, flags: number): Refusal | undefined {
  const { type, keySize: ks, valueSize: vs, maxEntries: max } = spec;
  const progAccessOk = (flags & (BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG)) !== (BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG);
  const flagsOk = (allowed: number) => !(flags & ~allowed) && progAccessOk;
  switch (type) {
    case BPF_MAP_TYPE_ARRAY:
    case BPF_MAP_TYPE_PERCPU_ARRAY: {
      const percpu = type === BPF_MAP_TYPE_PERCPU_ARRAY;
      const allowed = percpu ? ACCESS : BPF_F_NUMA_NODE | ACCESS | BPF_F_MMAPABLE | BPF_F_INNER_MAP;
      if (!max || ks !== 4 || !vs || !flagsOk(allowed)) return no(EINVAL, `${percpu ? 'PERCPU_' : ''}ARRAY maps need key_size 4, value_size > 0, max_entries > 0 and known flags`);
      if (vs > 0x7fffffff) return no(E2BIG, 'value_size exceeds INT_MAX');
      if (percpu && round8(vs) > PCPU_MIN_UNIT_SIZE) return no(E2BIG, `per-CPU values are limited to ${PCPU_MIN_UNIT_SIZE} bytes`);
      return undefined;
    }
    case BPF_MAP_TYPE_PROG_ARRAY:
    case BPF_MAP_TYPE_PERF_EVENT_ARRAY:
    case BPF_MAP_TYPE_ARRAY_OF_MAPS: {
      const allowed = BPF_F_NUMA_NODE | FD_ACCESS | (type === BPF_MAP_TYPE_PERF_EVENT_ARRAY ? BPF_F_PRESERVE_ELEMS : 0);
      if (vs !== 4 || !max || ks !== 4 || !flagsOk(allowed)) return no(EINVAL, 'fd arrays need key_size 4, value_size 4, max_entries > 0 and known flags');
      return undefined;
    }
    case BPF_MAP_TYPE_HASH:
    case BPF_MAP_TYPE_PERCPU_HASH:
    case BPF_MAP_TYPE_LRU_HASH:
    case BPF_MAP_TYPE_LRU_PERCPU_HASH:
    case BPF_MAP_TYPE_HASH_OF_MAPS:
      return checkHash(spec, flags, progAccessOk);
    case BPF_MAP_TYPE_LPM_TRIE:
      if (!max || !(flags & BPF_F_NO_PREALLOC) || !flagsOk(BPF_F_NO_PREALLOC | BPF_F_NUMA_NODE | ACCESS) ||
        ks < 5 || ks > 260 || vs < 1 || vs > LPM_VAL_SIZE_MAX) {
        return no(EINVAL, `LPM tries need BPF_F_NO_PREALLOC, key_size 5..260 (u32 prefixlen + data), value_size 1..${LPM_VAL_SIZE_MAX}`);
      }
      return undefined;
    case BPF_MAP_TYPE_QUEUE:
    case BPF_MAP_TYPE_STACK:
    case BPF_MAP_TYPE_BLOOM_FILTER: {
      const bloom = type === BPF_MAP_TYPE_BLOOM_FILTER;
      // The bloom filter checks its value size before anything else.
      if (bloom && vs > KMALLOC_MAX_SIZE) return no(E2BIG, `value_size exceeds ${KMALLOC_MAX_SIZE}`);
      const allowed = BPF_F_NUMA_NODE | ACCESS | (bloom ? BPF_F_ZERO_SEED : 0);
      if (!max || ks !== 0 || !vs || !flagsOk(allowed) || (bloom && (spec.mapExtra ?? 0n) & ~0xfn)) {
        return (bloom ? late : no)(EINVAL, `${bloom ? 'bloom filters' : 'queues and stacks'} need key_size 0, value_size > 0, max_entries > 0${bloom ? ' and at most 15 hash functions' : ''}`);
      }
      if (vs > KMALLOC_MAX_SIZE) return no(E2BIG, `value_size exceeds ${KMALLOC_MAX_SIZE}`);
      return undefined;
    }
    case BPF_MAP_TYPE_RINGBUF:
    case BPF_MAP_TYPE_USER_RINGBUF:
      if (flags & ~BPF_F_NUMA_NODE || ks || vs || !max || max & (max - 1) || max % PAGE_SIZE) {
        return no(EINVAL, 'ring buffers need key_size 0, value_size 0 and a max_entries that is a power of two and a multiple of 4096');
      }
      return undefined;
    case BPF_MAP_TYPE_DEVMAP:
    case BPF_MAP_TYPE_DEVMAP_HASH:
    case BPF_MAP_TYPE_SOCKMAP:
    case BPF_MAP_TYPE_XSKMAP:
      if (!max || ks !== 4 || (vs !== 4 && (vs !== 8 || type === BPF_MAP_TYPE_XSKMAP)) || !flagsOk(BPF_F_NUMA_NODE | FD_ACCESS)) {
        return no(EINVAL, 'device and socket maps need key_size 4, a 4-byte value (8 with a program or a u64 fd) and max_entries > 0');
      }
      if (type === BPF_MAP_TYPE_DEVMAP_HASH && max > 2 ** 31) return no(EINVAL, 'too many buckets');
      return undefined;
    case BPF_MAP_TYPE_CPUMAP:
      if (ks !== 4 || (vs !== 4 && vs !== 8) || !max || flags & ~BPF_F_NUMA_NODE) {
        return no(EINVAL, 'CPU maps need key_size 4, value_size 4 or 8, max_entries > 0 and no flags but BPF_F_NUMA_NODE');
      }
      if (max > NR_CPUS) return no(E2BIG, `CPU maps have at most NR_CPUS (${NR_CPUS}) entries`);
      return undefined;
    case BPF_MAP_TYPE_SOCKHASH:
      if (!max || !ks || (vs !== 4 && vs !== 8) || flags & ~(BPF_F_NUMA_NODE | FD_ACCESS)) {
        return no(EINVAL, 'socket hashes need key_size > 0, value_size 4 or 8, max_entries > 0');
      }
      if (ks > MAX_BPF_STACK) return no(E2BIG, `socket hash keys are limited to ${MAX_BPF_STACK} bytes`);
      if (max > 2 ** 27) return no(EINVAL, 'too many buckets');
      return undefined;
    case BPF_MAP_TYPE_STACK_TRACE: {
      const buildId = (flags & BPF_F_STACK_BUILD_ID) !== 0;
      if (flags & ~(BPF_F_NUMA_NODE | FD_ACCESS | BPF_F_STACK_BUILD_ID) || !max || ks !== 4 || vs < 8 || vs % 8 ||
        (buildId ? vs % STACK_BUILD_ID_SIZE !== 0 : vs / 8 > PERF_MAX_STACK_DEPTH)) {
        return no(EINVAL, `stack trace maps need key_size 4, value_size a multiple of 8 (of ${STACK_BUILD_ID_SIZE} with BPF_F_STACK_BUILD_ID) up to ${PERF_MAX_STACK_DEPTH} frames, max_entries > 0`);
      }
      if (max > 2 ** 31) return no(E2BIG, 'too many buckets');
      return undefined;
    }
    case BPF_MAP_TYPE_SK_STORAGE:
      if (flags & ~(BPF_F_NO_PREALLOC | BPF_F_CLONE) || !(flags & BPF_F_NO_PREALLOC) || max || ks !== 4 || !vs) {
        return no(EINVAL, 'socket storage needs BPF_F_NO_PREALLOC, max_entries 0, key_size 4 and value_size > 0');
      }
      if (vs > BPF_LOCAL_STORAGE_MAX_VALUE_SIZE) return no(E2BIG, `socket storage values are limited to ${BPF_LOCAL_STORAGE_MAX_VALUE_SIZE} bytes`);
      return undefined;
    default:
      return no(EINVAL, `unknown map type ${type}`);
  }
}

function checkHash(spec: MapSpec, flags: number, progAccessOk: boolean): Refusal | undefined {
  const { type, keySize: ks, valueSize: vs, maxEntries: max } = spec;
  const lru = type === BPF_MAP_TYPE_LRU_HASH || type === BPF_MAP_TYPE_LRU_PERCPU_HASH;
  const percpu = type === BPF_MAP_TYPE_PERCPU_HASH || type === BPF_MAP_TYPE_LRU_PERCPU_HASH;
  const percpuLru = (flags & BPF_F_NO_COMMON_LRU) !== 0;
  if (type === BPF_MAP_TYPE_HASH_OF_MAPS && vs !== 4) return no(EINVAL, 'HASH_OF_MAPS values are inner map fds: value_size 4');
  if (flags & ~HTAB_FLAGS || !progAccessOk) return no(EINVAL, 'unknown flags for a hash map');
  if (!lru && percpuLru) return no(EINVAL, 'BPF_F_NO_COMMON_LRU is only for LRU maps');
  if (lru && flags & BPF_F_NO_PREALLOC) return no(ENOTSUPP, 'LRU maps are always preallocated');
  if (flags & BPF_F_NUMA_NODE && (percpu || percpuLru)) return no(EINVAL, 'per-CPU maps cannot be bound to a NUMA node');
  if (!max || !ks || !vs) return no(EINVAL, 'hash maps need key_size, value_size and max_entries > 0');
  if (ks + vs >= KMALLOC_MAX_SIZE - HTAB_ELEM_SIZE) return no(E2BIG, 'key_size + value_size is too large');
  if (percpu && round8(vs) > PCPU_MIN_UNIT_SIZE) return no(E2BIG, `per-CPU values are limited to ${PCPU_MIN_UNIT_SIZE} bytes`);
  if (max > 2 ** 27) return late(E2BIG, 'too many buckets');
  return undefined;
}
