/*
 * A map's descriptor: the region a map pointer (LD_IMM64 src 1) points to, laid out as the
 * kernel's `struct bpf_map` (Linux 6.18, x86-64) for the fields programs read through it —
 * `map->max_entries`, `map->map_type` — followed by `struct bpf_array`'s element size and index
 * mask. bpfsim's kernel BTF (src/elf/btf/simKernel.ts) describes the same offsets.
 */
import type { BpfMap } from './base.js';

/** Bytes of a map's descriptor region: `sizeof(struct bpf_map)` plus `struct bpf_array`'s header. */
export const MAP_DESCRIPTOR_SIZE = 312;

/** Offsets of the fields bpfsim fills, in `struct bpf_map` and `struct bpf_array`. */
export const MapDescriptor = {
  map_type: 64, key_size: 68, value_size: 72, max_entries: 76, map_extra: 80, map_flags: 88, id: 92, name: 136,
  elem_size: 296, index_mask: 300,
} as const;

/** The map's fields the descriptor holds. */
export type MapDescriptorFields = Pick<BpfMap, 'type' | 'keySize' | 'valueSize' | 'maxEntries' | 'mapFlags' | 'name'>;

/** Fills the descriptor at `start` (zeroed memory); `array` (`struct bpf_array`) adds elem_size and index_mask. */
export function writeMapDescriptor(view: DataView, start: number, m: MapDescriptorFields, array: boolean): void {
  const D = MapDescriptor;
  view.setUint32(start + D.map_type, m.type >>> 0, true);
  view.setUint32(start + D.key_size, m.keySize >>> 0, true);
  view.setUint32(start + D.value_size, m.valueSize >>> 0, true);
  view.setUint32(start + D.max_entries, m.maxEntries >>> 0, true);
  view.setUint32(start + D.map_flags, m.mapFlags >>> 0, true);
  const name = new TextEncoder().encode(m.name.slice(0, 15));
  name.forEach((b, i) => view.setUint8(start + D.name + i, b));
  if (!array) return;
  view.setUint32(start + D.elem_size, Math.ceil(m.valueSize / 8) * 8, true);
  view.setUint32(start + D.index_mask, 2 ** Math.ceil(Math.log2(Math.max(1, m.maxEntries))) - 1, true);
}
