/*
 * A map whose values hold a `struct bpf_spin_lock`, described by BTF, for the lock tests.
 */
import { BtfBuilder, encodeBtf } from '../../../src/elf/index.js';
import type { MapSpec } from '../../../src/maps/index.js';
import { BPF_MAP_TYPE_ARRAY } from '../../../src/uapi.js';

/** An array of `struct { u64 a; struct bpf_spin_lock lock; u32 b; }`: the lock at offset 8. */
export function lockedArray(): MapSpec {
  const b = new BtfBuilder();
  const u32 = b.int('unsigned int', 4);
  const u64 = b.int('long long unsigned int', 8);
  const lock = b.struct('bpf_spin_lock', [['val', u32]]);
  const value = b.struct('val', [['a', u64], ['lock', lock], ['b', u32]]);
  const built = b.build();
  return {
    type: BPF_MAP_TYPE_ARRAY, keySize: 4, valueSize: built.resolveSize(value), maxEntries: 2, name: 'locked',
    btf: { raw: encodeBtf(built).bytes, keyTypeId: u32, valueTypeId: value },
  };
}
