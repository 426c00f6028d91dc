/*
 * Relocations of program code, classified as libbpf's bpf_program__record_reloc does: calls of
 * subprograms and kfuncs (R_BPF_64_32 on a call), and on an LD_IMM64 (R_BPF_64_64) a map, an
 * address in global data, a function address (for callbacks) or an extern.
 */
import { BPF_CALL, BPF_JMP, BPF_PSEUDO_CALL, INSN_SIZE, LD_IMM64 } from '../isa/index.js';
import { R_BPF_64_32, R_BPF_64_64, R_BPF_NAMES, R_BPF_NONE, SHN_LORESERVE, STB_LOCAL, STT_FUNC, STT_SECTION } from './elfConstants.js';
import type { ElfSection } from './elf.js';
import { ElfError } from './errors.js';
import type { Extern } from './externs.js';
import { symbolName, type BpfObject } from './object.js';

/** What an instruction of a code section refers to. */
export type CodeReloc =
  | { readonly kind: 'call' | 'funcAddr'; readonly section: number; readonly target: number }
  | { readonly kind: 'map'; readonly map: string }
  | { readonly kind: 'mapValue'; readonly map: string; readonly offset: number }
  | { readonly kind: 'extern'; readonly ext: Extern };

/** Where the maps of `.maps` and `maps` are, by `section:offset`, and the data-section map names. */
export interface MapLocations {
  /** Map name by `${sectionIndex}:${offset}` of its definition. */
  readonly defs: ReadonlyMap<string, string>;
  /** Global data map name by section index. */
  readonly data: ReadonlyMap<number, string>;
}

/** The relocations of one code section, by instruction index. */
export function codeRelocations(
  obj: BpfObject, sec: ElfSection, externs: ReadonlyMap<number, Extern>, maps: MapLocations,
): Map<number, CodeReloc> {
  const insns = obj.code.get(sec.index)!;
  const out = new Map<number, CodeReloc>();
  for (const rel of obj.elf.relocations.get(sec.index) ?? []) {
    const fail = (msg: string) => new ElfError({ section: `.rel${sec.name}`, offset: rel.offset }, msg);
    if (rel.type === R_BPF_NONE) continue;
    if (rel.type !== R_BPF_64_64 && rel.type !== R_BPF_64_32) {
      throw fail(`unsupported relocation type ${R_BPF_NAMES[rel.type] ?? rel.type} in program code`);
    }
    if (rel.offset % INSN_SIZE !== 0 || rel.offset >= sec.size) throw fail(`relocation offset ${rel.offset} is not an instruction of ${sec.name}`);
    const idx = rel.offset / INSN_SIZE;
    const ins = insns[idx]!;
    const sym = rel.symbol;
    const name = symbolName(obj, sym);
    const isCall = ins.code === (BPF_JMP | BPF_CALL);
    if (!isCall && ins.code !== LD_IMM64) throw fail(`relocation against '${name}' at instruction ${idx}, which is neither a call nor an LD_IMM64`);
    const ext = externs.get(sym.index);
    if (ext) {
      if (isCall && !ext.func) throw fail(`call of '${name}', which is not an extern function`);
      out.set(idx, { kind: 'extern', ext });
      continue;
    }
    if (isCall) {
      if (ins.src !== BPF_PSEUDO_CALL) throw fail(`call relocation against '${name}' on an instruction that is not a bpf-to-bpf call (src ${ins.src})`);
      if (obj.kinds.get(sym.shndx) !== 'code') throw fail(`call of '${name}', which is not in a code section`);
      if (sym.value % INSN_SIZE !== 0) throw fail(`call of '${name}' at a misaligned offset ${sym.value}`);
      out.set(idx, { kind: 'call', section: sym.shndx, target: sym.value / INSN_SIZE + ins.imm + 1 });
      continue;
    }
    if (sym.shndx === 0 || sym.shndx >= SHN_LORESERVE) throw fail(`relocation against '${name}' in special section 0x${sym.shndx.toString(16)}; an uninitialized global variable?`);
    const kind = obj.kinds.get(sym.shndx);
    if (kind === 'code' && (sym.type === STT_FUNC || (sym.type === STT_SECTION && sym.bind === STB_LOCAL))) {
      const byte = sym.value + ins.imm;
      if (byte % INSN_SIZE !== 0) throw fail(`address of '${name}' at a misaligned offset ${byte}`);
      out.set(idx, { kind: 'funcAddr', section: sym.shndx, target: byte / INSN_SIZE });
      continue;
    }
    if (kind === 'btfMaps' || kind === 'legacyMaps') {
      const off = sym.value + (sym.type === STT_SECTION ? ins.imm : 0);
      const map = maps.defs.get(`${sym.shndx}:${off}`);
      if (!map) throw fail(`map relocation against '${name}' finds no map at offset ${off} of ${obj.elf.sections[sym.shndx]!.name}`);
      out.set(idx, { kind: 'map', map });
      continue;
    }
    const data = maps.data.get(sym.shndx);
    if (data !== undefined) {
      out.set(idx, { kind: 'mapValue', map: data, offset: sym.value + ins.imm });
      continue;
    }
    throw fail(`relocation against '${name}' in section ${obj.elf.sections[sym.shndx]?.name ?? sym.shndx}, which holds no maps, data or code`);
  }
  return out;
}
