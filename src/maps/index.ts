/*
 * Every map type with the kernel's semantics: createMap and the MapRegistry of a Machine, the
 * BpfMap classes (userspace API after bpf(), program-side API on arena addresses for helpers and
 * the JIT), and codecs for typed keys and values.
 */
export * from './spec.js';
export * from './types.js';
export { BpfMap, SYSCALL_CPU } from './base.js';
export { MAP_DESCRIPTOR_SIZE, MapDescriptor } from './descriptor.js';
export { MapBatchError } from './errors.js';
export { createMap } from './create.js';
export { validateSpec, type Refusal } from './validate.js';
export { MapRegistry } from './registry.js';
export { jhash } from './jhash.js';
export { ArrayMap, type ArrayLayout } from './array.js';
export { HashMap } from './hash.js';
export { LpmTrieMap, LPM_PREFIXLEN_SIZE } from './lpmTrie.js';
export { QueueStackMap } from './queueStack.js';
export { BloomFilterMap, BLOOM_DEFAULT_HASHES } from './bloom.js';
export * from './ringbuf.js';
export * from './userRingbuf.js';
export { PerfEventArrayMap, PerfSampleQueue, BPF_F_CURRENT_CPU } from './perfEventArray.js';
export { ProgArrayMap } from './fdArray.js';
export { ArrayOfMapsMap, HashOfMapsMap, innerMapCompatible, type MapMeta } from './mapInMap.js';
export { DevMap, type DevmapEntry } from './devmap.js';
export { CpuMap, CPUMAP_MAX_QSIZE, type CpumapEntry } from './cpumap.js';
export { SockMap, XskMap, AF_XDP } from './sockmap.js';
export { SkStorageMap, BPF_SK_STORAGE_GET_F_CREATE } from './skStorage.js';
export * from './stackTrace.js';
export type { SpecialField } from './btfFields.js';
export * from './codec.js';
