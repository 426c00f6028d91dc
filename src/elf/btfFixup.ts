/*
 * The object's BTF made loadable by the kernel, as libbpf fixes it up before BPF_BTF_LOAD: clang
 * leaves DATASEC sizes and variable offsets at zero (taken here from the ELF sections and
 * symbols), externs are not allowed in DATASECs (`.kconfig` variables become allocated globals at
 * their map offsets; `.ksyms` entries become 4-byte dummies, kfunc prototypes get parameter
 * names), and global symbols with hidden visibility become static.
 */
import { Btf } from './btf/btf.js';
import {
  BTF_FUNC_GLOBAL, BTF_FUNC_STATIC, BTF_KIND_DATASEC, BTF_KIND_FUNC, BTF_KIND_FUNC_PROTO, BTF_KIND_INT,
  BTF_KIND_VAR, BTF_VAR_GLOBAL_ALLOCATED, BTF_VAR_GLOBAL_EXTERN, BTF_VAR_STATIC, type BtfDatasec, type BtfType,
} from './btf/types.js';
import { STB_LOCAL, STV_HIDDEN, STV_INTERNAL } from './elfConstants.js';
import { ElfError } from './errors.js';
import type { Extern } from './externs.js';
import type { BpfObject } from './object.js';

function hidden(visibility: number): boolean {
  return visibility === STV_HIDDEN || visibility === STV_INTERNAL;
}

/** The fixed-up BTF (a new Btf sharing the original string section). */
export function fixupBtf(obj: BpfObject, btf: Btf, externs: readonly Extern[], kconfigSize: number): Btf {
  const types: BtfType[] = [...btf.types];
  const intId = types.findIndex((t) => t.kind === BTF_KIND_INT && t.bits === 32);
  const byName = new Map(externs.map((e) => [e.name, e]));
  types.forEach((t, id) => {
    if (t.kind !== BTF_KIND_DATASEC) return;
    if (t.name === '.ksyms') fixKsyms(types, id, t, intId);
    else if (t.name === '.kconfig') fixKconfig(types, id, t, byName, kconfigSize);
    else fixDatasec(obj, types, id, t);
  });
  types.forEach((t, id) => {
    if (t.kind !== BTF_KIND_FUNC || t.linkage !== BTF_FUNC_GLOBAL) return;
    const sym = obj.elf.symbols.find((s) => s.name === t.name && s.bind !== STB_LOCAL && obj.kinds.get(s.shndx) === 'code');
    if (sym && hidden(sym.visibility)) types[id] = { ...t, linkage: BTF_FUNC_STATIC };
  });
  return new Btf(types, btf.strings);
}

function sorted(t: BtfDatasec, vars: BtfDatasec['vars'], size: number): BtfDatasec {
  return { ...t, size, vars: [...vars].sort((a, b) => a.offset - b.offset) };
}

function fixDatasec(obj: BpfObject, types: BtfType[], id: number, t: BtfDatasec): void {
  let size = t.size;
  const sec = obj.elf.sections.find((s) => s.name === t.name);
  const fixOffsets = size === 0;
  if (fixOffsets) {
    if (!sec || sec.size === 0) throw new ElfError({ section: '.BTF' }, `DATASEC '${t.name}' has no size and no ELF section to take it from`);
    size = sec.size;
  }
  const vars = t.vars.map((v) => {
    const vt = types[v.type];
    if (!vt || vt.kind !== BTF_KIND_VAR) throw new ElfError({ section: '.BTF' }, `DATASEC '${t.name}' holds type [${v.type}], which is not a variable`);
    if (vt.linkage === BTF_VAR_GLOBAL_EXTERN) return v;
    const sym = sec && obj.elf.symbols.find((s) => s.shndx === sec.index && s.name === vt.name);
    if (vt.linkage !== BTF_VAR_STATIC && sym && hidden(sym.visibility)) types[v.type] = { ...vt, linkage: BTF_VAR_STATIC };
    return fixOffsets && sym ? { ...v, offset: sym.value } : v;
  });
  types[id] = sorted(t, vars, size);
}

function fixKconfig(types: BtfType[], id: number, t: BtfDatasec, byName: Map<string, Extern>, size: number): void {
  const vars = t.vars.map((v) => {
    const vt = types[v.type]!;
    const ext = byName.get(vt.name);
    if (vt.kind !== BTF_KIND_VAR || !ext?.kconfig) throw new ElfError({ section: '.BTF' }, `.kconfig entry '${vt.name}' has no extern symbol`);
    types[v.type] = { ...vt, linkage: BTF_VAR_GLOBAL_ALLOCATED };
    return { ...v, offset: ext.kconfig.offset };
  });
  types[id] = sorted(t, vars, size);
}

function fixKsyms(types: BtfType[], id: number, t: BtfDatasec, intId: number): void {
  let dummy = -1;
  if (t.vars.some((v) => types[v.type]?.kind === BTF_KIND_FUNC)) {
    types.push({ kind: BTF_KIND_VAR, name: 'dummy_ksym', type: Math.max(intId, 0), linkage: BTF_VAR_GLOBAL_ALLOCATED });
    dummy = types.length - 1;
  }
  const vars = t.vars.map((v, i) => {
    const vt = types[v.type]!;
    if (vt.kind === BTF_KIND_FUNC) {
      const proto = types[vt.type];
      if (proto?.kind === BTF_KIND_FUNC_PROTO) {
        types[vt.type] = { ...proto, params: proto.params.map((p) => (p.type && !p.name ? { ...p, name: 'dummy_ksym' } : p)) };
      }
      types[v.type] = { ...vt, linkage: BTF_FUNC_GLOBAL };
      return { type: dummy, offset: i * 4, size: 4 };
    }
    if (vt.kind === BTF_KIND_VAR) types[v.type] = { ...vt, linkage: BTF_VAR_GLOBAL_ALLOCATED, type: Math.max(intId, 0) };
    return { ...v, offset: i * 4, size: 4 };
  });
  types[id] = { ...t, size: t.vars.length * 4, vars };
}
