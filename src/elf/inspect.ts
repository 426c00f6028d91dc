/*
 * What is in a BPF object, in one place (what `bpftool btf dump`, `llvm-objdump -h -r` and
 * `llvm-readelf -s` show, plus bpfsim's reading of it): sections, programs with their types and
 * sizes, maps, variables, externs, relocations, CO-RE records and BTF types. Behind `bpfsim inspect`.
 */
import { INSN_SIZE } from '../isa/index.js';
import { formatTypeRaw } from './btf/raw.js';
import { declare, typeToC } from './btf/printC.js';
import { CORE_KIND_NAMES } from './core/kinds.js';
import { formatSpec } from './core/relocate.js';
import { parseSpec } from './core/spec.js';
import { R_BPF_NAMES, SHF_ALLOC, SHF_EXECINSTR, SHF_WRITE } from './elfConstants.js';
import { loadCollectionSpec } from './loadSpec.js';
import { mapTypeName, progTypeName, attachTypeName } from './names.js';
import { readObject, symbolName, type BpfObject } from './object.js';
import type { CollectionSpec } from './spec.js';

/** A description of an object, as `bpfsim inspect --json` prints it. */
export interface ObjectDescription {
  readonly license: string;
  readonly sections: readonly { index: number; name: string; type: number; flags: string; size: number; kind: string }[];
  readonly programs: readonly {
    name: string; section: string; type: string; attachType: string; attachTo: string; insns: number; bytes: number;
    flags: number; functions: readonly { name: string; insn: number; length: number }[]; lines: number;
  }[];
  readonly maps: readonly {
    name: string; kernelName: string; section: string; origin: string; type: string; keySize: number; valueSize: number;
    maxEntries: number; flags: number; innerMap?: string; pinning: number; initialElements: number; frozen: boolean;
  }[];
  readonly variables: readonly { name: string; map: string; offset: number; size: number; declaration: string }[];
  readonly externs: readonly { name: string; kind: string; weak: boolean; detail: string }[];
  readonly relocations: readonly { section: string; offset: number; type: string; symbol: string }[];
  readonly core: readonly { section: string; insn: number; kind: string; access: string; spec: string }[];
  readonly btf: readonly { id: number; raw: string; c?: string }[];
  /** Why the object cannot be loaded, when bpfsim's loader refuses it. */
  readonly error?: string;
}

function flagText(flags: number): string {
  return `${flags & SHF_WRITE ? 'W' : ''}${flags & SHF_ALLOC ? 'A' : ''}${flags & SHF_EXECINSTR ? 'X' : ''}`;
}

function externs(spec: CollectionSpec): ObjectDescription['externs'] {
  const out = spec.kconfig.map((k) => ({ name: k.name, kind: 'kconfig', weak: k.weak, detail: `${k.type}, ${k.size} bytes at .kconfig+${k.offset}` }));
  const seen = new Set<string>();
  for (const p of Object.values(spec.programs)) {
    for (const r of p.references) {
      if ((r.kind !== 'kfunc' && r.kind !== 'ksym') || seen.has(r.name)) continue;
      seen.add(r.name);
      out.push({ name: r.name, kind: r.kind === 'kfunc' || r.func ? 'kfunc' : 'ksym', weak: r.weak, detail: r.kind === 'ksym' && !r.typed ? 'typeless' : 'typed' });
    }
  }
  return out;
}

function relocations(obj: BpfObject): ObjectDescription['relocations'] {
  const out: { section: string; offset: number; type: string; symbol: string }[] = [];
  for (const [idx, rels] of obj.elf.relocations) {
    const kind = obj.kinds.get(idx);
    if (kind !== 'code' && kind !== 'btfMaps') continue;
    const section = obj.elf.sections[idx]!.name;
    for (const r of rels) out.push({ section, offset: r.offset, type: R_BPF_NAMES[r.type] ?? `type ${r.type}`, symbol: symbolName(obj, r.symbol) });
  }
  return out;
}

function core(obj: BpfObject): ObjectDescription['core'] {
  const out: { section: string; insn: number; kind: string; access: string; spec: string }[] = [];
  for (const [section, relos] of obj.ext?.coreRelos ?? []) {
    for (const r of relos) {
      let spec: string;
      try {
        spec = formatSpec(parseSpec(obj.btf!, r.typeId, r.accessStr, r.kind));
      } catch (e) {
        spec = `invalid: ${e instanceof Error ? e.message : String(e)}`;
      }
      out.push({ section, insn: r.insnOff / INSN_SIZE, kind: CORE_KIND_NAMES[r.kind] ?? `kind ${r.kind}`, access: r.accessStr, spec });
    }
  }
  return out;
}

/** Describes a BPF object; `btfC` adds each BTF type as C. Never throws for a loader error after the ELF parses. */
export function describeObject(bytes: Uint8Array, opts: { objectName?: string; btfC?: boolean } = {}): ObjectDescription {
  const obj = readObject(bytes);
  let spec: CollectionSpec | undefined;
  let error: string | undefined;
  try {
    spec = loadCollectionSpec(bytes, opts.objectName === undefined ? {} : { objectName: opts.objectName });
  } catch (e) {
    error = e instanceof Error ? e.message : String(e);
  }
  const btf = spec?.btf ?? obj.btf;
  return {
    license: obj.license,
    sections: obj.elf.sections.filter((s) => s.index > 0).map((s) => ({
      index: s.index, name: s.name, type: s.type, flags: flagText(s.flags), size: s.size, kind: obj.kinds.get(s.index) ?? 'other',
    })),
    programs: Object.values(spec?.programs ?? {}).map((p) => ({
      name: p.name, section: p.section, type: p.type ? progTypeName(p.type) : 'unknown',
      attachType: p.expectedAttachType ? attachTypeName(p.expectedAttachType) : '', attachTo: p.attachTo,
      insns: p.insns.length, bytes: p.insns.length * INSN_SIZE, flags: p.flags,
      functions: p.functions.map((f) => ({ name: f.name, insn: f.insn, length: f.length })), lines: p.lineInfo.length,
    })),
    maps: Object.values(spec?.maps ?? {}).map((m) => ({
      name: m.name, kernelName: m.spec.name ?? '', section: m.section, origin: m.origin, type: mapTypeName(m.spec.type),
      keySize: m.spec.keySize, valueSize: m.spec.valueSize, maxEntries: m.spec.maxEntries, flags: m.spec.flags ?? 0,
      ...(m.spec.innerMap ? { innerMap: `${mapTypeName(m.spec.innerMap.type)} ${m.spec.innerMap.keySize}/${m.spec.innerMap.valueSize}×${m.spec.innerMap.maxEntries}` } : {}),
      pinning: m.pinning, initialElements: m.contents.length, frozen: m.freeze,
    })),
    variables: Object.values(spec?.variables ?? {}).map((v) => ({
      name: v.name, map: v.map, offset: v.offset, size: v.size, declaration: v.typeId && btf ? declare(btf, v.typeId, v.name) : v.name,
    })),
    externs: spec ? externs(spec) : [],
    relocations: relocations(obj),
    core: obj.btf ? core(obj) : [],
    btf: btf ? btf.types.slice(1).map((_, i) => ({ id: i + 1, raw: formatTypeRaw(btf, i + 1), ...(opts.btfC ? { c: typeToC(btf, i + 1) } : {}) })) : [],
    ...(error === undefined ? {} : { error }),
  };
}

function table(rows: readonly string[][]): string[] {
  const widths = rows.reduce<number[]>((w, r) => r.map((c, i) => Math.max(w[i] ?? 0, c.length)), []);
  return rows.map((r) => `  ${r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join('  ')}`.trimEnd());
}

/** The text `bpfsim inspect` prints for a description. */
export function formatDescription(d: ObjectDescription, file: string): string {
  const out: string[] = [`${file}: BPF ELF64 object, license ${d.license ? `"${d.license}"` : '(none)'}`];
  if (d.error) out.push(`  cannot be loaded: ${d.error}`);
  out.push('', `Sections (${d.sections.length}):`, ...table(d.sections.map((s) => [`[${s.index}]`, s.name, s.flags || '-', `${s.size} bytes`, s.kind])));
  out.push('', `Programs (${d.programs.length}):`, ...table(d.programs.map((p) => [
    p.name, `SEC("${p.section}")`, p.type + (p.attachType ? `/${p.attachType}` : ''), `${p.insns} insns`,
    p.functions.length > 1 ? `calls ${p.functions.slice(1).map((f) => f.name).join(', ')}` : '',
  ])));
  out.push('', `Maps (${d.maps.length}):`, ...table(d.maps.map((m) => [
    m.name, m.type, `key ${m.keySize}`, `value ${m.valueSize}`, `max ${m.maxEntries}`, `flags 0x${m.flags.toString(16)}`,
    [m.innerMap ? `inner ${m.innerMap}` : '', m.initialElements ? `${m.initialElements} initial` : '', m.frozen ? 'frozen' : '', m.pinning ? 'pinned' : ''].filter(Boolean).join(', '),
  ])));
  if (d.variables.length) out.push('', `Variables (${d.variables.length}):`, ...table(d.variables.map((v) => [`${v.map}+${v.offset}`, `${v.size} bytes`, `${v.declaration};`])));
  if (d.externs.length) out.push('', `Externs (${d.externs.length}):`, ...table(d.externs.map((e) => [e.name, e.kind + (e.weak ? ' (weak)' : ''), e.detail])));
  out.push('', `Relocations (${d.relocations.length}):`, ...table(d.relocations.map((r) => [`${r.section}+0x${r.offset.toString(16)}`, r.type, r.symbol])));
  if (d.core.length) out.push('', `CO-RE relocations (${d.core.length}):`, ...table(d.core.map((c) => [`${c.section} insn ${c.insn}`, c.kind, c.spec])));
  out.push('', `BTF types (${d.btf.length}):`);
  for (const t of d.btf) out.push(...(t.c === undefined ? t.raw : `[${t.id}] ${t.c}`).split('\n').map((l) => `  ${l}`));
  return out.join('\n') + '\n';
}
