/* Map contents in a backend-neutral form, for comparing what two backends computed. */
import * as U from '../../../src/uapi.js';
import type { BackendMap } from '../../../src/vm/backend.js';

const PER_CPU = new Set([U.BPF_MAP_TYPE_PERCPU_ARRAY, U.BPF_MAP_TYPE_PERCPU_HASH, U.BPF_MAP_TYPE_LRU_PERCPU_HASH]);
const KEYED = new Set([
  U.BPF_MAP_TYPE_HASH, U.BPF_MAP_TYPE_ARRAY, U.BPF_MAP_TYPE_LRU_HASH, U.BPF_MAP_TYPE_LPM_TRIE, ...PER_CPU,
]);

function hex(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

/** Per-CPU values summed CPU by CPU as 64-bit words (what counters add up to, whatever the CPU count). */
function sumCpus(value: Uint8Array, valueSize: number, ncpus: number): string {
  const slot = Math.ceil(valueSize / 8) * 8;
  const words = new Array<bigint>(slot / 8).fill(0n);
  const view = new DataView(value.buffer, value.byteOffset, value.byteLength);
  for (let cpu = 0; cpu < ncpus; cpu++) {
    for (let w = 0; w < words.length; w++) words[w] = BigInt.asUintN(64, words[w]! + view.getBigUint64(cpu * slot + w * 8, true));
  }
  return words.map((w) => w.toString(16)).join(',');
}

/**
 * The elements of a map as sorted `key=value` strings (hex), or undefined for maps whose contents
 * are not comparable across backends (descriptors, ring buffers, keyless maps).
 */
export function dumpMap(map: BackendMap, ncpus: number): string[] | undefined {
  const { type, valueSize } = map.spec;
  if (!KEYED.has(type)) return undefined;
  const out: string[] = [];
  const limit = map.spec.maxEntries + 1;
  for (let key = map.nextKey(undefined), n = 0; key && n < limit; key = map.nextKey(key), n++) {
    const v = map.lookup(key);
    if (!v) continue;
    out.push(`${hex(key)}=${PER_CPU.has(type) ? sumCpus(v, valueSize, ncpus) : hex(v)}`);
  }
  return out.sort();
}
