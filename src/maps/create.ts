import { ArenaExhaustedError } from '../arena/index.js';
import { ERRNO, ErrnoError } from '../errno.js';
import {
  BPF_MAP_TYPE_ARRAY, BPF_MAP_TYPE_ARRAY_OF_MAPS, BPF_MAP_TYPE_BLOOM_FILTER, BPF_MAP_TYPE_CPUMAP, BPF_MAP_TYPE_DEVMAP,
  BPF_MAP_TYPE_DEVMAP_HASH, BPF_MAP_TYPE_HASH, BPF_MAP_TYPE_HASH_OF_MAPS, BPF_MAP_TYPE_LPM_TRIE, BPF_MAP_TYPE_LRU_HASH,
  BPF_MAP_TYPE_LRU_PERCPU_HASH, BPF_MAP_TYPE_PERCPU_ARRAY, BPF_MAP_TYPE_PERCPU_HASH, BPF_MAP_TYPE_PERF_EVENT_ARRAY,
  BPF_MAP_TYPE_PROG_ARRAY, BPF_MAP_TYPE_QUEUE, BPF_MAP_TYPE_RINGBUF, BPF_MAP_TYPE_USER_RINGBUF, BPF_MAP_TYPE_SK_STORAGE, BPF_MAP_TYPE_SOCKHASH,
  BPF_MAP_TYPE_SOCKMAP, BPF_MAP_TYPE_STACK, BPF_MAP_TYPE_STACK_TRACE, BPF_MAP_TYPE_XSKMAP,
} from '../uapi.js';
import { ArrayMap } from './array.js';
import type { BpfMap } from './base.js';
import { BloomFilterMap } from './bloom.js';
import { CpuMap } from './cpumap.js';
import { DevMap } from './devmap.js';
import { ProgArrayMap } from './fdArray.js';
import { HashMap } from './hash.js';
import { LpmTrieMap } from './lpmTrie.js';
import { ArrayOfMapsMap, HashOfMapsMap, type MapMeta } from './mapInMap.js';
import { PerfEventArrayMap } from './perfEventArray.js';
import { QueueStackMap } from './queueStack.js';
import { RingbufMap } from './ringbuf.js';
import { UserRingbufMap } from './userRingbuf.js';
import { SkStorageMap } from './skStorage.js';
import { SockMap, XskMap } from './sockmap.js';
import { StackTraceMap } from './stackTrace.js';
import type { MapSpec } from './spec.js';
import type { MapEnv } from './types.js';
import { fieldsRefusal, nameRefusal, validateSpec } from './validate.js';

const OP = 'BPF_MAP_CREATE';

/**
 * Creates a map as `BPF_MAP_CREATE` does: the kernel's validation and errno for bad specs
 * (thrown as an ErrnoError naming the rule), then the map with its memory in the env's arena
 * (ENOMEM when the arena cannot hold it). Map-in-map specs build their inner template first.
 */
export function createMap(env: MapEnv, spec: MapSpec): BpfMap {
  const refusal = validateSpec({ ...spec, name: '' }) ?? fieldsRefusal(spec);
  if (refusal) throw new ErrnoError(OP, refusal.errno, refusal.why);
  let map: BpfMap;
  try {
    map = construct(env, spec);
  } catch (err) {
    if (err instanceof ArenaExhaustedError) throw new ErrnoError(OP, ERRNO.ENOMEM, err.message);
    throw err;
  }
  // As in the kernel, the name is checked once the map exists.
  const badName = nameRefusal(spec.name);
  if (badName) {
    map.close();
    throw new ErrnoError(OP, badName.errno, badName.why);
  }
  return map;
}

function construct(env: MapEnv, spec: MapSpec): BpfMap {
  switch (spec.type) {
    case BPF_MAP_TYPE_ARRAY:
    case BPF_MAP_TYPE_PERCPU_ARRAY:
      return new ArrayMap(env, spec);
    case BPF_MAP_TYPE_HASH:
    case BPF_MAP_TYPE_PERCPU_HASH:
    case BPF_MAP_TYPE_LRU_HASH:
    case BPF_MAP_TYPE_LRU_PERCPU_HASH:
      return new HashMap(env, spec);
    case BPF_MAP_TYPE_LPM_TRIE:
      return new LpmTrieMap(env, spec);
    case BPF_MAP_TYPE_QUEUE:
    case BPF_MAP_TYPE_STACK:
      return new QueueStackMap(env, spec);
    case BPF_MAP_TYPE_BLOOM_FILTER:
      return new BloomFilterMap(env, spec);
    case BPF_MAP_TYPE_RINGBUF:
      return new RingbufMap(env, spec);
    case BPF_MAP_TYPE_USER_RINGBUF:
      return new UserRingbufMap(env, spec);
    case BPF_MAP_TYPE_PERF_EVENT_ARRAY:
      return new PerfEventArrayMap(env, spec);
    case BPF_MAP_TYPE_PROG_ARRAY:
      return new ProgArrayMap(env, spec);
    case BPF_MAP_TYPE_ARRAY_OF_MAPS:
      return new ArrayOfMapsMap(env, spec, innerTemplate(env, spec));
    case BPF_MAP_TYPE_HASH_OF_MAPS:
      return new HashOfMapsMap(env, spec, innerTemplate(env, spec));
    case BPF_MAP_TYPE_DEVMAP:
    case BPF_MAP_TYPE_DEVMAP_HASH:
      return new DevMap(env, spec);
    case BPF_MAP_TYPE_CPUMAP:
      return new CpuMap(env, spec);
    case BPF_MAP_TYPE_XSKMAP:
      return new XskMap(env, spec);
    case BPF_MAP_TYPE_SOCKMAP:
    case BPF_MAP_TYPE_SOCKHASH:
      return new SockMap(env, spec);
    case BPF_MAP_TYPE_SK_STORAGE:
      return new SkStorageMap(env, spec);
    case BPF_MAP_TYPE_STACK_TRACE:
      return new StackTraceMap(env, spec);
    default:
      throw new ErrnoError(OP, ERRNO.EINVAL, `unknown map type ${spec.type}`);
  }
}

/** The inner-map template of a map-in-map: built from spec.innerMap as the kernel reads inner_map_fd. */
function innerTemplate(env: MapEnv, spec: MapSpec): MapMeta {
  const inner = spec.innerMap;
  if (!inner) throw new ErrnoError(OP, ERRNO.EINVAL, 'map-in-map specs need innerMap, the template of their inner maps');
  if (inner.type === BPF_MAP_TYPE_ARRAY_OF_MAPS || inner.type === BPF_MAP_TYPE_HASH_OF_MAPS) {
    throw new ErrnoError(OP, ERRNO.EINVAL, 'maps of maps do not nest');
  }
  if (inner.type === BPF_MAP_TYPE_PROG_ARRAY) throw new ErrnoError(OP, ERRNO.ENOTSUPP, 'a PROG_ARRAY cannot be an inner map');
  const map = createMap(env, inner);
  const meta = { type: map.type, keySize: map.keySize, valueSize: map.valueSize, maxEntries: map.maxEntries, mapFlags: map.mapFlags };
  map.close();
  return meta;
}
