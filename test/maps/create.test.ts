import { describe, expect, test } from 'vitest';
import { createMap, validateSpec, type MapSpec } from '../../src/maps/index.js';
import {
  BPF_F_INNER_MAP, BPF_F_MMAPABLE, BPF_F_NO_COMMON_LRU, BPF_F_NO_PREALLOC, BPF_F_NUMA_NODE, BPF_F_RDONLY, BPF_F_RDONLY_PROG,
  BPF_F_TOKEN_FD, BPF_F_WRONLY, BPF_F_WRONLY_PROG, BPF_F_ZERO_SEED, BPF_MAP_TYPE_ARRAY, BPF_MAP_TYPE_BLOOM_FILTER,
  BPF_MAP_TYPE_CPUMAP, BPF_MAP_TYPE_DEVMAP, BPF_MAP_TYPE_HASH, BPF_MAP_TYPE_LPM_TRIE, BPF_MAP_TYPE_LRU_HASH,
  BPF_MAP_TYPE_PERCPU_ARRAY, BPF_MAP_TYPE_PERCPU_HASH, BPF_MAP_TYPE_PROG_ARRAY, BPF_MAP_TYPE_QUEUE, BPF_MAP_TYPE_RINGBUF,
  BPF_MAP_TYPE_SK_STORAGE, BPF_MAP_TYPE_SOCKHASH, BPF_MAP_TYPE_CGROUP_ARRAY,
} from '../../src/uapi.js';
import { TestEnv, errnoOf } from './support/env.js';

const hash: MapSpec = { type: BPF_MAP_TYPE_HASH, keySize: 4, valueSize: 4, maxEntries: 4 };
const array: MapSpec = { type: BPF_MAP_TYPE_ARRAY, keySize: 4, valueSize: 4, maxEntries: 4 };

/** Each rule as measured on Linux 6.18 (see the kernel differential test for the random version). */
const cases: { name: string; spec: MapSpec; want: string }[] = [
  { name: 'a plain hash', spec: hash, want: 'OK' },
  { name: 'max_entries 0', spec: { ...hash, maxEntries: 0 }, want: 'EINVAL' },
  { name: 'key_size 0 for a hash', spec: { ...hash, keySize: 0 }, want: 'EINVAL' },
  { name: 'value_size 0', spec: { ...hash, valueSize: 0 }, want: 'EINVAL' },
  { name: 'hash key + value ≥ KMALLOC_MAX_SIZE - 48', spec: { ...hash, valueSize: 4194252 }, want: 'E2BIG' },
  { name: 'hash with more than 2^27 entries', spec: { ...hash, maxEntries: 2 ** 27 + 1, flags: BPF_F_NO_PREALLOC }, want: 'E2BIG' },
  { name: 'BPF_F_NO_COMMON_LRU on a plain hash', spec: { ...hash, flags: BPF_F_NO_COMMON_LRU }, want: 'EINVAL' },
  { name: 'an LRU without preallocation', spec: { ...hash, type: BPF_MAP_TYPE_LRU_HASH, flags: BPF_F_NO_PREALLOC }, want: 'ENOTSUPP' },
  { name: 'a per-CPU hash bound to a NUMA node', spec: { ...hash, type: BPF_MAP_TYPE_PERCPU_HASH, flags: BPF_F_NUMA_NODE }, want: 'EINVAL' },
  { name: 'a per-CPU value over 32 KiB', spec: { ...hash, type: BPF_MAP_TYPE_PERCPU_HASH, valueSize: 32769 }, want: 'E2BIG' },
  { name: 'NUMA node 5 (offline)', spec: { ...hash, flags: BPF_F_NUMA_NODE, numaNode: 5 }, want: 'EINVAL' },
  { name: 'NUMA node 5 without the flag (ignored)', spec: { ...hash, numaNode: 5 }, want: 'OK' },
  { name: 'BPF_F_RDONLY with BPF_F_WRONLY', spec: { ...hash, flags: BPF_F_RDONLY | BPF_F_WRONLY }, want: 'EINVAL' },
  { name: 'BPF_F_RDONLY_PROG with BPF_F_WRONLY_PROG', spec: { ...hash, flags: BPF_F_RDONLY_PROG | BPF_F_WRONLY_PROG }, want: 'EINVAL' },
  { name: 'map_extra on a hash', spec: { ...hash, mapExtra: 1n }, want: 'EINVAL' },
  { name: 'a name with a dash', spec: { ...hash, name: 'a-b' }, want: 'EINVAL' },
  { name: 'a name with dots and underscores', spec: { ...hash, name: 'a_b.c' }, want: 'OK' },
  { name: 'BPF_F_TOKEN_FD without a token', spec: { ...hash, flags: BPF_F_TOKEN_FD }, want: 'EINVAL' },
  { name: 'an array with key_size 8', spec: { ...array, keySize: 8 }, want: 'EINVAL' },
  { name: 'an mmapable inner-map array', spec: { ...array, flags: BPF_F_MMAPABLE | BPF_F_INNER_MAP }, want: 'OK' },
  { name: 'an array value over INT_MAX', spec: { ...array, valueSize: 0x80000000 }, want: 'E2BIG' },
  { name: 'BPF_F_MMAPABLE on a per-CPU array', spec: { ...array, type: BPF_MAP_TYPE_PERCPU_ARRAY, flags: BPF_F_MMAPABLE }, want: 'EINVAL' },
  { name: 'BPF_F_RDONLY_PROG on a prog array', spec: { ...array, type: BPF_MAP_TYPE_PROG_ARRAY, flags: BPF_F_RDONLY_PROG }, want: 'EINVAL' },
  { name: 'a prog array with 8-byte values', spec: { ...array, type: BPF_MAP_TYPE_PROG_ARRAY, valueSize: 8 }, want: 'EINVAL' },
  { name: 'an LPM trie without BPF_F_NO_PREALLOC', spec: { type: BPF_MAP_TYPE_LPM_TRIE, keySize: 8, valueSize: 4, maxEntries: 4 }, want: 'EINVAL' },
  { name: 'an LPM key of 261 bytes', spec: { type: BPF_MAP_TYPE_LPM_TRIE, keySize: 261, valueSize: 4, maxEntries: 4, flags: BPF_F_NO_PREALLOC }, want: 'EINVAL' },
  { name: 'an LPM value past LPM_VAL_SIZE_MAX', spec: { type: BPF_MAP_TYPE_LPM_TRIE, keySize: 8, valueSize: 4194025, maxEntries: 4, flags: BPF_F_NO_PREALLOC }, want: 'EINVAL' },
  { name: 'a queue with a key', spec: { type: BPF_MAP_TYPE_QUEUE, keySize: 4, valueSize: 4, maxEntries: 4 }, want: 'EINVAL' },
  { name: 'a queue value over KMALLOC_MAX_SIZE', spec: { type: BPF_MAP_TYPE_QUEUE, keySize: 0, valueSize: 4194305, maxEntries: 4 }, want: 'E2BIG' },
  { name: 'a bloom filter with 16 hash functions', spec: { type: BPF_MAP_TYPE_BLOOM_FILTER, keySize: 0, valueSize: 4, maxEntries: 4, mapExtra: 16n }, want: 'EINVAL' },
  { name: 'a bloom filter checks its value size first', spec: { type: BPF_MAP_TYPE_BLOOM_FILTER, keySize: 0, valueSize: 4194305, maxEntries: 0 }, want: 'E2BIG' },
  { name: 'a zero-seeded bloom filter', spec: { type: BPF_MAP_TYPE_BLOOM_FILTER, keySize: 0, valueSize: 4, maxEntries: 4, flags: BPF_F_ZERO_SEED }, want: 'OK' },
  { name: 'a ring buffer of 12 KiB (not a power of two)', spec: { type: BPF_MAP_TYPE_RINGBUF, keySize: 0, valueSize: 0, maxEntries: 12288 }, want: 'EINVAL' },
  { name: 'a ring buffer of 2 KiB (not a page multiple)', spec: { type: BPF_MAP_TYPE_RINGBUF, keySize: 0, valueSize: 0, maxEntries: 2048 }, want: 'EINVAL' },
  { name: 'a read-only ring buffer', spec: { type: BPF_MAP_TYPE_RINGBUF, keySize: 0, valueSize: 0, maxEntries: 4096, flags: BPF_F_RDONLY }, want: 'EINVAL' },
  { name: 'a devmap with 12-byte values', spec: { ...array, type: BPF_MAP_TYPE_DEVMAP, valueSize: 12 }, want: 'EINVAL' },
  { name: 'a cpumap past NR_CPUS', spec: { ...array, type: BPF_MAP_TYPE_CPUMAP, maxEntries: 257 }, want: 'E2BIG' },
  { name: 'a cpumap with the token flag reports the token first', spec: { ...array, type: BPF_MAP_TYPE_CPUMAP, maxEntries: 257, flags: BPF_F_TOKEN_FD }, want: 'EINVAL' },
  { name: 'a sockhash key over 512 bytes', spec: { type: BPF_MAP_TYPE_SOCKHASH, keySize: 513, valueSize: 4, maxEntries: 4 }, want: 'E2BIG' },
  { name: 'socket storage with entries', spec: { type: BPF_MAP_TYPE_SK_STORAGE, keySize: 4, valueSize: 4, maxEntries: 1, flags: BPF_F_NO_PREALLOC }, want: 'EINVAL' },
  { name: 'socket storage', spec: { type: BPF_MAP_TYPE_SK_STORAGE, keySize: 4, valueSize: 4, maxEntries: 0, flags: BPF_F_NO_PREALLOC }, want: 'OK' },
  { name: 'an unknown type', spec: { ...hash, type: 99 }, want: 'EINVAL' },
  { name: 'a type bpfsim does not simulate', spec: { ...hash, type: BPF_MAP_TYPE_CGROUP_ARRAY }, want: 'EOPNOTSUPP' },
];

describe('createMap validates like BPF_MAP_CREATE', () => {
  test.each(cases)('$name: $want', ({ spec, want }) => {
    expect(errnoOf(() => createMap(new TestEnv(), spec))).toBe(want);
  });

  test('refusals name the rule', () => {
    expect(() => createMap(new TestEnv(), { ...hash, maxEntries: 0 })).toThrow(/BPF_MAP_CREATE failed: EINVAL \(22\): hash maps need/);
    expect(validateSpec({ ...array, keySize: 8 })?.why).toMatch(/key_size 4/);
  });

  test('sizes must be u32s', () => {
    expect(() => validateSpec({ ...hash, maxEntries: -1 })).toThrow(RangeError);
    expect(() => validateSpec({ ...hash, keySize: 1.5 })).toThrow(RangeError);
  });

  test('a map the arena cannot hold fails with ENOMEM and leaves the arena usable', () => {
    const env = new TestEnv(2, 1, 4 << 20);
    expect(errnoOf(() => env.createMap({ ...array, valueSize: 4096, maxEntries: 4096 }))).toBe('ENOMEM');
    expect(errnoOf(() => env.createMap(array))).toBe('OK');
  });

  test('names longer than 15 characters are cut as the kernel keeps them', () => {
    const env = new TestEnv();
    const { map } = env.createMap({ ...hash, name: 'a_very_long_map_name' });
    expect(map.name).toBe('a_very_long_map');
    expect(validateSpec({ ...hash, name: 'a_very_long_map_name-' })).toBeUndefined();
  });
});
