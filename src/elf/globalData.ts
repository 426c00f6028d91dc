/*
 * Global data: each `.data`, `.rodata`, `.bss` section (and their `.data.*`, `.rodata.*`, `.bss.*`
 * variants) becomes a one-element array map whose value is the section, as libbpf makes them:
 * `.rodata` read-only for programs and frozen after its initial value is written, mmapable when
 * it holds a non-static variable, named `<object prefix><section>` in the kernel.
 */
import { BPF_F_MMAPABLE, BPF_F_RDONLY_PROG, BPF_MAP_TYPE_ARRAY } from '../uapi.js';
import type { Btf } from './btf/btf.js';
import { BTF_KIND_DATASEC, BTF_KIND_VAR, BTF_VAR_STATIC, type BtfDatasec } from './btf/types.js';
import { STT_OBJECT } from './elfConstants.js';
import type { ElfSection } from './elf.js';
import type { BpfObject } from './object.js';
import type { CollectionMapSpec, VariableSpec } from './spec.js';

/** libbpf's kernel-visible name of an internal map: up to 8 characters of the object name, then the section. */
export function internalMapName(objectName: string, section: string): string {
  const sfxLen = Math.min(Math.max(7, section.length), 15);
  const pfxLen = section.indexOf('.', 1) >= 0 ? 0 : Math.min(16 - sfxLen - 1, objectName.length);
  return (objectName.slice(0, pfxLen) + section.slice(0, sfxLen)).replace(/[^A-Za-z0-9_.]/g, '_');
}

function datasec(btf: Btf | undefined, name: string): { id: number; t: BtfDatasec } | undefined {
  const id = btf?.find(name, BTF_KIND_DATASEC);
  return id === undefined ? undefined : { id, t: btf!.type(id) as BtfDatasec };
}

/** The map of a global data section and the variables in it; `btf` is the fixed-up object BTF. */
export function globalDataMap(obj: BpfObject, sec: ElfSection, btf: Btf | undefined, objectName: string): { map: CollectionMapSpec; variables: VariableSpec[] } {
  const kind = obj.kinds.get(sec.index) as 'data' | 'rodata' | 'bss';
  const ds = datasec(btf, sec.name);
  const vars: VariableSpec[] = [];
  let mmapable = false;
  if (ds) {
    for (const v of ds.t.vars) {
      const vt = btf!.type(v.type);
      if (vt.kind !== BTF_KIND_VAR) continue;
      if (vt.linkage !== BTF_VAR_STATIC) mmapable = true;
      vars.push({ name: vt.name, map: sec.name, offset: v.offset, size: v.size, typeId: vt.type, constant: kind === 'rodata' });
    }
  } else {
    for (const s of obj.elf.symbols) {
      if (s.shndx !== sec.index || s.type !== STT_OBJECT || !s.name) continue;
      vars.push({ name: s.name, map: sec.name, offset: s.value, size: s.size, typeId: 0, constant: kind === 'rodata' });
    }
  }
  const flags = (kind === 'rodata' ? BPF_F_RDONLY_PROG : 0) | (mmapable ? BPF_F_MMAPABLE : 0);
  const map: CollectionMapSpec = {
    name: sec.name,
    spec: { type: BPF_MAP_TYPE_ARRAY, keySize: 4, valueSize: sec.size, maxEntries: 1, flags, name: internalMapName(objectName, sec.name) },
    section: sec.name, origin: kind, pinning: 0,
    contents: [{ key: new Uint8Array(4), value: new Uint8Array(sec.data) }],
    freeze: kind === 'rodata', btfKeyTypeId: 0, btfValueTypeId: ds?.id ?? 0,
  };
  return { map, variables: vars };
}

/** The `.kconfig` map holding the kconfig externs (its contents are written at load from the kconfig values). */
export function kconfigMap(size: number, objectName: string): CollectionMapSpec {
  return {
    name: '.kconfig',
    spec: { type: BPF_MAP_TYPE_ARRAY, keySize: 4, valueSize: size, maxEntries: 1, flags: BPF_F_RDONLY_PROG | BPF_F_MMAPABLE, name: internalMapName(objectName, '.kconfig') },
    section: '.kconfig', origin: 'kconfig', pinning: 0, contents: [], freeze: true, btfKeyTypeId: 0, btfValueTypeId: 0,
  };
}
