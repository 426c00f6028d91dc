import {
  BPF_MAP_TYPE_LRU_PERCPU_HASH, BPF_MAP_TYPE_PERCPU_ARRAY, BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE, BPF_MAP_TYPE_PERCPU_HASH,
} from '../uapi.js';

/** The BTF of a map's key and value (`btf_fd`, `btf_key_type_id`, `btf_value_type_id`). */
export interface MapBtf {
  /** The BTF blob, as BPF_BTF_LOAD takes it. */
  readonly raw: Uint8Array;
  /** The key's type id (0: none, as for keyless maps). */
  readonly keyTypeId: number;
  /** The value's type id. */
  readonly valueTypeId: number;
}

/** What a map is: the fields of `BPF_MAP_CREATE`, as both backends take them. */
export interface MapSpec {
  /** Map type, a `BPF_MAP_TYPE_*` value. */
  readonly type: number;
  /** Key size in bytes (0 for queue, stack, bloom filter and ringbuf). */
  readonly keySize: number;
  /** Value size in bytes (0 for ringbuf). */
  readonly valueSize: number;
  /** Maximum number of entries (bytes of the buffer for ringbuf). */
  readonly maxEntries: number;
  /** `map_flags`: `BPF_F_NO_PREALLOC`, `BPF_F_RDONLY_PROG`, `BPF_F_MMAPABLE`, … */
  readonly flags?: number;
  /** Name, up to 15 characters as the kernel keeps it. */
  readonly name?: string;
  /** For ARRAY_OF_MAPS and HASH_OF_MAPS: the template every inner map must match. */
  readonly innerMap?: MapSpec;
  /** NUMA node (with `BPF_F_NUMA_NODE`). */
  readonly numaNode?: number;
  /** `map_extra`: for BLOOM_FILTER, the number of hash functions in its low 4 bits. */
  readonly mapExtra?: bigint;
  /** BTF of key and value: a `struct bpf_spin_lock` or `struct bpf_timer` in the value needs it. */
  readonly btf?: MapBtf;
}

const PER_CPU_TYPES: ReadonlySet<number> = new Set([
  BPF_MAP_TYPE_PERCPU_HASH, BPF_MAP_TYPE_PERCPU_ARRAY, BPF_MAP_TYPE_LRU_PERCPU_HASH, BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE,
]);

/** Whether maps of `type` keep one value per CPU (userspace sees round_up(value_size, 8) × ncpus bytes). */
export function isPerCpuMapType(type: number): boolean {
  return PER_CPU_TYPES.has(type);
}
