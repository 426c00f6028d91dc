/*
 * BTF-defined maps (`SEC(".maps")`), as libbpf parses them: each variable of the `.maps` DATASEC is
 * a struct whose members encode the map's attributes — `__uint(name, n)` as a pointer to an array
 * of n elements, `__type(name, T)` as a pointer to T, `__array(values, T)` as a trailing
 * zero-length array of pointers — and relocations in `.rel.maps` fill PROG_ARRAY and map-in-map
 * slots.
 */
import type { MapSpec } from '../maps/spec.js';
import { BPF_MAP_TYPE_ARRAY_OF_MAPS, BPF_MAP_TYPE_HASH_OF_MAPS, BPF_MAP_TYPE_PROG_ARRAY } from '../uapi.js';
import type { Btf } from './btf/btf.js';
import { BTF_KIND_ARRAY, BTF_KIND_DATASEC, BTF_KIND_FUNC_PROTO, BTF_KIND_PTR, BTF_KIND_STRUCT, BTF_KIND_VAR, type BtfComposite, type BtfDatasec } from './btf/types.js';
import { STT_FUNC } from './elfConstants.js';
import type { ElfSection } from './elf.js';
import { ElfError } from './errors.js';
import { symbolName, type BpfObject } from './object.js';
import type { CollectionMapSpec, MapContent } from './spec.js';

/** What a BTF map definition says. */
interface MapDef {
  type: number;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  flags: number;
  numaNode: number;
  mapExtra: bigint;
  pinning: number;
  keyType: number;
  valueType: number;
  inner: MapDef | undefined;
  /** Bit offset of the `values` member, when present. */
  valuesBitOffset: number | undefined;
}

function u32Key(i: number): Uint8Array {
  return new Uint8Array(new Uint32Array([i]).buffer);
}

/** The kernel-visible name: at most 15 characters. */
export function kernelMapName(name: string): string {
  return name.slice(0, 15);
}

/** A MapSpec from a definition, with `name` as its kernel-visible name. */
function toMapSpec(def: MapDef, name: string): MapSpec {
  return {
    type: def.type, keySize: def.keySize, valueSize: def.valueSize, maxEntries: def.maxEntries, flags: def.flags,
    name: kernelMapName(name),
    ...(def.numaNode ? { numaNode: def.numaNode } : {}),
    ...(def.mapExtra ? { mapExtra: def.mapExtra } : {}),
    ...(def.inner ? { innerMap: toMapSpec(def.inner, `${name}.inner`) } : {}),
  };
}

function parseDef(btf: Btf, defId: number, mapName: string, isInner: boolean): MapDef {
  const fail = (msg: string) => new ElfError({ section: '.maps' }, `map '${mapName}': ${msg}`);
  const def = btf.type(defId);
  if (def.kind !== BTF_KIND_STRUCT) throw fail(`definition is ${btf.describe(defId)}, not a struct`);
  const out: MapDef = {
    type: 0, keySize: 0, valueSize: 0, maxEntries: 0, flags: 0, numaNode: 0, mapExtra: 0n, pinning: 0,
    keyType: 0, valueType: 0, inner: undefined, valuesBitOffset: undefined,
  };
  const uint = (name: string, memberType: number): number => {
    const p = btf.type(btf.skipMods(memberType));
    if (p.kind !== BTF_KIND_PTR) throw fail(`attribute '${name}' is ${btf.describe(memberType)}, not a pointer (use __uint)`);
    const arr = btf.type(p.type);
    if (arr.kind !== BTF_KIND_ARRAY) throw fail(`attribute '${name}' does not point to an array (use __uint)`);
    return arr.nelems;
  };
  const typed = (name: string, memberType: number): { id: number; size: number } => {
    const p = btf.type(btf.skipMods(memberType));
    if (p.kind !== BTF_KIND_PTR) throw fail(`attribute '${name}' is ${btf.describe(memberType)}, not a pointer (use __type)`);
    return { id: p.type, size: btf.resolveSize(p.type) };
  };
  def.members.forEach((m, i) => {
    switch (m.name) {
      case 'type': out.type = uint(m.name, m.type); break;
      case 'max_entries': out.maxEntries = uint(m.name, m.type); break;
      case 'map_flags': out.flags = uint(m.name, m.type); break;
      case 'numa_node': out.numaNode = uint(m.name, m.type); break;
      case 'map_extra': out.mapExtra = BigInt(uint(m.name, m.type)); break;
      case 'key_size': case 'value_size': {
        const size = uint(m.name, m.type);
        const prev = m.name === 'key_size' ? out.keySize : out.valueSize;
        if (prev && prev !== size) throw fail(`conflicting ${m.name} ${prev} != ${size}`);
        if (m.name === 'key_size') out.keySize = size;
        else out.valueSize = size;
        break;
      }
      case 'key': case 'value': {
        const t = typed(m.name, m.type);
        const prev = m.name === 'key' ? out.keySize : out.valueSize;
        if (prev && prev !== t.size) throw fail(`conflicting ${m.name} size ${prev} != ${t.size}`);
        if (m.name === 'key') [out.keySize, out.keyType] = [t.size, t.id];
        else [out.valueSize, out.valueType] = [t.size, t.id];
        break;
      }
      case 'pinning': {
        out.pinning = uint(m.name, m.type);
        if (out.pinning > 1) throw fail(`invalid pinning value ${out.pinning} (0 none or 1 by name)`);
        break;
      }
      case 'values': parseValues(btf, def, i, out, mapName, isInner, fail); break;
      default: throw fail(`unknown attribute '${m.name}'`);
    }
  });
  if (out.type === 0) throw fail('map type is not set (__uint(type, BPF_MAP_TYPE_…))');
  return out;
}

function parseValues(btf: Btf, def: BtfComposite, i: number, out: MapDef, mapName: string, isInner: boolean, fail: (m: string) => Error): void {
  const inMap = out.type === BPF_MAP_TYPE_ARRAY_OF_MAPS || out.type === BPF_MAP_TYPE_HASH_OF_MAPS;
  const progArray = out.type === BPF_MAP_TYPE_PROG_ARRAY;
  if (isInner) throw fail('multi-level inner maps are not supported');
  if (i !== def.members.length - 1) throw fail("'values' must be the last member");
  if (!inMap && !progArray) throw fail("'values' is only for map-in-map and prog-array maps (set the type first)");
  if (out.valueSize && out.valueSize !== 4) throw fail(`conflicting value size ${out.valueSize} != 4`);
  out.valueSize = 4;
  const m = def.members[i]!;
  const arr = btf.type(m.type);
  if (arr.kind !== BTF_KIND_ARRAY || arr.nelems !== 0) throw fail("'values' must be a zero-sized array (__array(values, …))");
  const ptr = btf.type(btf.skipMods(arr.type));
  if (ptr.kind !== BTF_KIND_PTR) throw fail("'values' must be an array of pointers");
  const target = btf.skipMods(ptr.type);
  out.valuesBitOffset = m.bitOffset;
  if (progArray) {
    if (btf.type(target).kind !== BTF_KIND_FUNC_PROTO) throw fail("prog-array 'values' must point to function prototypes");
    return;
  }
  out.inner = parseDef(btf, target, `${mapName}.inner`, true);
}

interface Placed {
  readonly name: string;
  readonly offset: number;
  readonly size: number;
  readonly def: MapDef;
}

/** The maps of the `.maps` section, with their PROG_ARRAY and map-in-map initial slots. */
export function btfMaps(obj: BpfObject, sec: ElfSection): CollectionMapSpec[] {
  const btf = obj.btf;
  if (!btf) throw new ElfError({ section: sec.name }, 'BTF-defined maps need BTF: compile with -g');
  const dsId = btf.find('.maps', BTF_KIND_DATASEC);
  if (dsId === undefined) throw new ElfError({ section: sec.name }, 'the BTF has no DATASEC for .maps');
  const ds = btf.type(dsId) as BtfDatasec;
  const placed: Placed[] = ds.vars.map((v) => {
    const vt = btf.type(v.type);
    if (vt.kind !== BTF_KIND_VAR) throw new ElfError({ section: sec.name }, `DATASEC .maps holds ${btf.describe(v.type)}, not a variable`);
    const sym = obj.elf.symbols.find((s) => s.shndx === sec.index && s.name === vt.name);
    if (!sym) throw new ElfError({ section: sec.name }, `map '${vt.name}' has no ELF symbol`);
    return { name: vt.name, offset: sym.value, size: Math.max(sym.size, btf.resolveSize(vt.type)), def: parseDef(btf, btf.skipMods(vt.type), vt.name, false) };
  });
  const contents = new Map<string, MapContent[]>(placed.map((p) => [p.name, []]));
  for (const rel of obj.elf.relocations.get(sec.index) ?? []) {
    const fail = (msg: string) => new ElfError({ section: `.rel${sec.name}`, offset: rel.offset }, msg);
    const map = placed.find((p) => rel.offset >= p.offset && rel.offset < p.offset + p.size);
    if (!map) throw fail(`relocation at offset ${rel.offset} of .maps is outside every map`);
    const base = map.offset + (map.def.valuesBitOffset ?? NaN) / 8;
    const slot = (rel.offset - base) / 8;
    if (!Number.isInteger(slot) || slot < 0) throw fail(`map '${map.name}': relocation is not in its 'values' array`);
    if (slot >= map.def.maxEntries) throw fail(`map '${map.name}': initial value for slot ${slot} exceeds max_entries ${map.def.maxEntries}`);
    const sym = rel.symbol;
    const list = contents.get(map.name)!;
    if (map.def.type === BPF_MAP_TYPE_PROG_ARRAY) {
      if (sym.type !== STT_FUNC || obj.kinds.get(sym.shndx) !== 'code') throw fail(`map '${map.name}': slot ${slot} refers to '${symbolName(obj, sym)}', which is not a program`);
      list.push({ key: u32Key(slot), program: sym.name });
    } else {
      const target = placed.find((p) => sym.shndx === sec.index && p.offset === sym.value);
      if (!target) throw fail(`map '${map.name}': slot ${slot} refers to '${symbolName(obj, sym)}', which is not a map in .maps`);
      list.push({ key: u32Key(slot), map: target.name });
    }
  }
  return placed.map((p) => ({
    name: p.name, spec: toMapSpec(p.def, p.name), section: sec.name, origin: 'btf', pinning: p.def.pinning,
    contents: contents.get(p.name)!, freeze: false, btfKeyTypeId: p.def.keyType, btfValueTypeId: p.def.valueType,
  }));
}
