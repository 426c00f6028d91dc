/* Constant strings for helpers that take ARG_PTR_TO_CONST_STR: a frozen, program-read-only array map holding them. */
import type { MapSpec } from '../../../src/maps/index.js';
import { BPF_F_RDONLY_PROG, BPF_MAP_TYPE_ARRAY } from '../../../src/uapi.js';
import type { BackendMap } from '../../../src/vm/index.js';

/** Bytes of the value that holds the strings. */
export const RODATA_SIZE = 512;

/** The spec of a `.rodata`-like map. */
export const RODATA: MapSpec = { type: BPF_MAP_TYPE_ARRAY, keySize: 4, valueSize: RODATA_SIZE, maxEntries: 1, flags: BPF_F_RDONLY_PROG, name: 'rodata' };

/** Lays out NUL-terminated strings one after another; returns their offsets and the setup that stores and freezes them. */
export function rodata(strings: readonly (string | Uint8Array)[]): { offsets: number[]; setup: (map: BackendMap) => void } {
  const value = new Uint8Array(RODATA_SIZE);
  const offsets: number[] = [];
  let at = 0;
  for (const s of strings) {
    const bytes = typeof s === 'string' ? new TextEncoder().encode(s) : s;
    offsets.push(at);
    value.set(bytes, at);
    at += bytes.length + 1;
    if (at > RODATA_SIZE) throw new RangeError('the strings do not fit in the rodata map');
  }
  return { offsets, setup: (map) => { map.update(new Uint8Array(4), value); map.freeze(); } };
}
