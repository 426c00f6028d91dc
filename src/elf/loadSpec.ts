/*
 * loadCollectionSpec: an ELF object → a CollectionSpec. Reads the object, its maps (BTF-defined,
 * legacy, global data, kconfig), externs and programs, links each program's subprograms, and
 * fixes up the BTF for the kernel. Nothing here depends on a backend or a target kernel: CO-RE,
 * kfuncs and kernel symbols are resolved by loadCollection.
 */
import { STB_LOCAL, STT_SECTION } from './elfConstants.js';
import { ElfError } from './errors.js';
import { collectExterns } from './externs.js';
import { fixupBtf } from './btfFixup.js';
import { globalDataMap, kconfigMap } from './globalData.js';
import { linkProgram, type CodeSection } from './link.js';
import { btfMaps } from './mapsBtf.js';
import { legacyMaps } from './mapsLegacy.js';
import { readObject, sectionFunctions, type BpfObject } from './object.js';
import { codeRelocations, type MapLocations } from './relocations.js';
import { findSectionDef, sectionTarget } from './sectionDefs.js';
import type { CollectionMapSpec, CollectionSpec, ProgramSpec, VariableSpec } from './spec.js';

/** Largest `.kconfig` map value bpfsim builds. */
const MAX_KCONFIG = 1 << 20;

/** Options of `loadCollectionSpec`. */
export interface CollectionSpecOptions {
  /** Object name, prefixed to the kernel names of global data maps as libbpf does (default ''). */
  readonly objectName?: string;
  /**
   * Program types to use instead of what the section names say, by program or section name: a
   * BPF_PROG_TYPE_* value, or the type with an expected attach type.
   */
  readonly programTypes?: Readonly<Record<string, number | { readonly type: number; readonly attachType?: number }>>;
}

function mapLocations(obj: BpfObject, maps: readonly CollectionMapSpec[]): MapLocations {
  const names = new Set(maps.map((m) => m.name));
  const defs = new Map<string, string>();
  const data = new Map<number, string>();
  for (const sym of obj.elf.symbols) {
    const kind = obj.kinds.get(sym.shndx);
    if ((kind === 'btfMaps' || kind === 'legacyMaps') && sym.type !== STT_SECTION && names.has(sym.name)) {
      defs.set(`${sym.shndx}:${sym.value}`, sym.name);
    }
  }
  for (const [idx, kind] of obj.kinds) {
    if (kind === 'data' || kind === 'rodata' || kind === 'bss') data.set(idx, obj.elf.sections[idx]!.name);
  }
  return { defs, data };
}

/** Parses a BPF ELF object (`clang -O2 -g -target bpf -c`) into an editable CollectionSpec. */
export function loadCollectionSpec(bytes: Uint8Array, opts: CollectionSpecOptions = {}): CollectionSpec {
  const obj = readObject(bytes);
  const objectName = opts.objectName ?? '';
  const { externs, bySymbol, kconfigSize } = collectExterns(obj);
  const btf = obj.btf && fixupBtf(obj, obj.btf, externs, kconfigSize);

  const maps: CollectionMapSpec[] = [];
  const variables: VariableSpec[] = [];
  for (const [idx, kind] of obj.kinds) {
    const sec = obj.elf.sections[idx]!;
    if (kind === 'btfMaps') maps.push(...btfMaps(obj, sec));
    else if (kind === 'legacyMaps') maps.push(...legacyMaps(obj, sec));
    else if (kind === 'data' || kind === 'rodata' || kind === 'bss') {
      const g = globalDataMap(obj, sec, btf, objectName);
      maps.push(g.map);
      variables.push(...g.variables);
    }
  }
  if (kconfigSize > MAX_KCONFIG) throw new ElfError({ section: '.kconfig' }, `kconfig externs need ${kconfigSize} bytes, more than a map value can hold`);
  if (kconfigSize > 0) maps.push(kconfigMap(kconfigSize, objectName));
  const seen = new Set<string>();
  for (const m of maps) {
    if (seen.has(m.name)) throw new ElfError({ section: m.section }, `map '${m.name}' is defined twice`);
    seen.add(m.name);
  }

  const locations = mapLocations(obj, maps);
  const sections = new Map<number, CodeSection>();
  for (const [idx, insns] of obj.code) {
    const sec = obj.elf.sections[idx]!;
    const functions = sectionFunctions(obj, idx);
    if (functions.length === 0) throw new ElfError({ section: sec.name }, 'code section has no function symbols');
    sections.set(idx, { index: idx, name: sec.name, insns, functions, relocs: codeRelocations(obj, sec, bySymbol, locations) });
  }
  const entries: { sec: CodeSection; f: CodeSection['functions'][number] }[] = [];
  for (const sec of sections.values()) {
    if (sec.index === obj.textIndex) continue;
    for (const f of sec.functions) {
      if (f.symbol.bind === STB_LOCAL) throw new ElfError({ section: sec.name, offset: f.start * 8 }, `program '${f.name}' is static; programs must be global functions`);
      entries.push({ sec, f });
    }
  }
  const text = sections.get(obj.textIndex);
  if (entries.length === 0 && text?.functions.length === 1) entries.push({ sec: text, f: text.functions[0]! });

  const programs: Record<string, ProgramSpec> = {};
  for (const { sec, f } of entries) {
    if (programs[f.name]) throw new ElfError({ section: sec.name }, `program '${f.name}' is defined twice`);
    const linked = linkProgram(obj, sections, sec, f);
    const def = findSectionDef(sec.name);
    const forced = opts.programTypes?.[f.name] ?? opts.programTypes?.[sec.name];
    const type = typeof forced === 'number' ? forced : forced?.type ?? def?.progType ?? 0;
    const attachType = typeof forced === 'object' ? forced.attachType ?? 0 : forced === undefined ? def?.attachType ?? 0 : 0;
    programs[f.name] = {
      name: f.name, section: sec.name, type, expectedAttachType: attachType,
      flags: forced === undefined ? def?.flags ?? 0 : 0,
      attachTo: sectionTarget(sec.name), attachBtf: forced === undefined && (def?.attachBtf ?? false),
      license: obj.license, kernVersion: obj.kernVersion, ...linked,
    };
  }
  return {
    programs,
    maps: Object.fromEntries(maps.map((m) => [m.name, m])),
    variables: Object.fromEntries(variables.map((v) => [v.name, v])),
    kconfig: externs.flatMap((e) => (e.kconfig ? [e.kconfig] : [])),
    btf,
    license: obj.license,
  };
}
