/*
 * Legacy map definitions: `struct bpf_map_def` (type, key_size, value_size, max_entries,
 * map_flags) in a section named `maps`, as tutorials written before libbpf 1.0 declare them.
 * libbpf ≥ 1.0 refuses them; bpfsim loads them as cilium/ebpf does. With BTF, the key and value
 * types come from `BPF_ANNOTATE_KV_PAIR`'s `struct ____btf_map_<name>`.
 */
import { Reader } from './bytes.js';
import { BTF_KIND_STRUCT, type BtfComposite } from './btf/types.js';
import { STT_SECTION } from './elfConstants.js';
import type { ElfSection } from './elf.js';
import { ElfError } from './errors.js';
import { kernelMapName } from './mapsBtf.js';
import type { BpfObject } from './object.js';
import type { CollectionMapSpec } from './spec.js';

/** Bytes of the five fields bpfsim reads. */
const DEF_SIZE = 20;

function kvTypes(obj: BpfObject, name: string): { key: number; value: number } {
  const btf = obj.btf;
  const id = btf?.find(`____btf_map_${name}`, BTF_KIND_STRUCT);
  if (!btf || id === undefined) return { key: 0, value: 0 };
  const t = btf.type(id) as BtfComposite;
  return { key: t.members.find((m) => m.name === 'key')?.type ?? 0, value: t.members.find((m) => m.name === 'value')?.type ?? 0 };
}

/** The maps of a legacy `maps` section. */
export function legacyMaps(obj: BpfObject, sec: ElfSection): CollectionMapSpec[] {
  const syms = obj.elf.symbols
    .filter((s) => s.shndx === sec.index && s.type !== STT_SECTION && s.name !== '')
    .sort((a, b) => a.value - b.value);
  if (syms.length === 0) throw new ElfError({ section: sec.name }, 'section has no map symbols');
  const defSize = Math.floor(sec.size / syms.length);
  if (sec.size % syms.length !== 0 || defSize < DEF_SIZE) {
    throw new ElfError({ section: sec.name }, `${sec.size} bytes for ${syms.length} maps: not a whole number of struct bpf_map_def (at least ${DEF_SIZE} bytes each)`);
  }
  const r = new Reader(sec.data, (offset, message) => new ElfError({ section: sec.name, offset }, message));
  return syms.map((sym) => {
    if (sym.value % defSize !== 0) throw r.error(sym.value, `map '${sym.name}' is not at a multiple of the ${defSize}-byte definition size`);
    for (let i = DEF_SIZE; i < defSize; i++) {
      if (r.u8(sym.value + i) !== 0) {
        throw r.error(sym.value + i, `map '${sym.name}': bpf_map_def fields beyond map_flags (byte ${i}) are not supported`);
      }
    }
    const kv = kvTypes(obj, sym.name);
    return {
      name: sym.name,
      spec: {
        type: r.u32(sym.value), keySize: r.u32(sym.value + 4), valueSize: r.u32(sym.value + 8),
        maxEntries: r.u32(sym.value + 12), flags: r.u32(sym.value + 16), name: kernelMapName(sym.name),
      },
      section: sec.name, origin: 'legacy', pinning: 0, contents: [], freeze: false,
      btfKeyTypeId: kv.key, btfValueTypeId: kv.value,
    };
  });
}
