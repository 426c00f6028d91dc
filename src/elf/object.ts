/*
 * An ELF object as the loader sees it: the parsed ELF, its BTF and BTF.ext, license and version,
 * and each section classified (program code, maps, global data, metadata, ignored).
 */
import { INSN_SIZE, decodeInsns, type Insn } from '../isa/index.js';
import { Reader, decodeUtf8 } from './bytes.js';
import type { Btf } from './btf/btf.js';
import { parseBtfExt, type BtfExt } from './btf/ext.js';
import { parseBtf } from './btf/parse.js';
import { SHF_EXECINSTR, SHN_UNDEF, SHT_NOBITS, SHT_PROGBITS, STT_FUNC, STT_SECTION } from './elfConstants.js';
import { parseElf, type ElfFile, type ElfSection, type ElfSymbol } from './elf.js';
import { ElfError } from './errors.js';

/** What a section holds. */
export type SectionKind = 'code' | 'btfMaps' | 'legacyMaps' | 'data' | 'rodata' | 'bss' | 'other';

/** A parsed object with classified sections. */
export interface BpfObject {
  readonly elf: ElfFile;
  readonly btf: Btf | undefined;
  readonly ext: BtfExt | undefined;
  readonly license: string;
  readonly kernVersion: number;
  /** Section kind by section index. */
  readonly kinds: ReadonlyMap<number, SectionKind>;
  /** Decoded instructions of each code section, by section index. */
  readonly code: ReadonlyMap<number, Insn[]>;
  /** The `.text` section's index (0 if none). */
  readonly textIndex: number;
}

function classify(s: ElfSection): SectionKind {
  const n = s.name;
  if (s.type === SHT_PROGBITS && (s.flags & SHF_EXECINSTR) !== 0) return 'code';
  if (n === '.maps') return 'btfMaps';
  if (n === 'maps') return 'legacyMaps';
  if (s.type === SHT_PROGBITS && (n === '.data' || n.startsWith('.data.'))) return 'data';
  if (s.type === SHT_PROGBITS && (n === '.rodata' || n.startsWith('.rodata.'))) return 'rodata';
  if (s.type === SHT_NOBITS && (n === '.bss' || n.startsWith('.bss.'))) return 'bss';
  return 'other';
}

function cString(sec: ElfSection): string {
  const end = sec.data.indexOf(0);
  return decodeUtf8(end < 0 ? sec.data : sec.data.subarray(0, end));
}

/** Parses the ELF, BTF and BTF.ext of a BPF object and classifies its sections. */
export function readObject(bytes: Uint8Array): BpfObject {
  const elf = parseElf(bytes);
  const byName = (name: string) => elf.sections.find((s) => s.name === name);
  const btfSec = byName('.BTF');
  const btf = btfSec ? parseBtf(btfSec.data, '.BTF') : undefined;
  const extSec = byName('.BTF.ext');
  const ext = extSec && btf ? parseBtfExt(extSec.data, btf) : undefined;
  const licSec = byName('license');
  const verSec = byName('version');
  let kernVersion = 0;
  if (verSec) {
    if (verSec.size !== 4) throw new ElfError({ section: 'version' }, `size ${verSec.size} is not 4 bytes (a u32 kernel version)`);
    kernVersion = new Reader(verSec.data, (o, m) => new ElfError({ section: 'version', offset: o }, m)).u32(0);
  }
  const kinds = new Map<number, SectionKind>();
  const code = new Map<number, Insn[]>();
  for (const s of elf.sections) {
    if (s.index === 0 || s.size === 0) continue;
    const kind = classify(s);
    kinds.set(s.index, kind);
    if (kind === 'code') {
      if (s.size % INSN_SIZE !== 0) throw new ElfError({ section: s.name }, `size ${s.size} is not a multiple of ${INSN_SIZE} (one instruction)`);
      code.set(s.index, decodeInsns(s.data));
    }
  }
  const text = byName('.text');
  return {
    elf, btf, ext, license: licSec ? cString(licSec) : '', kernVersion, kinds, code,
    textIndex: text && kinds.get(text.index) === 'code' ? text.index : 0,
  };
}

/** Function symbols of a code section, sorted by offset, each with its slot range. */
export interface FunctionSymbol {
  readonly symbol: ElfSymbol;
  readonly name: string;
  /** First slot in the section. */
  readonly start: number;
  /** Number of slots. */
  readonly length: number;
}

/** The functions of a code section; symbols must lie inside it and be instruction-aligned. */
export function sectionFunctions(obj: BpfObject, secIndex: number): FunctionSymbol[] {
  const sec = obj.elf.sections[secIndex]!;
  const out: FunctionSymbol[] = [];
  for (const sym of obj.elf.symbols) {
    if (sym.shndx !== secIndex || sym.type !== STT_FUNC) continue;
    if (sym.value % INSN_SIZE !== 0 || sym.size % INSN_SIZE !== 0 || sym.value + sym.size > sec.size) {
      throw new ElfError({ section: sec.name, offset: sym.value }, `function '${sym.name}' (${sym.size} bytes at ${sym.value}) is not a whole number of instructions inside the section`);
    }
    if (sym.size === 0) continue;
    out.push({ symbol: sym, name: sym.name, start: sym.value / INSN_SIZE, length: sym.size / INSN_SIZE });
  }
  out.sort((a, b) => a.start - b.start);
  for (let i = 1; i < out.length; i++) {
    const prev = out[i - 1]!;
    if (out[i]!.start < prev.start + prev.length) {
      throw new ElfError({ section: sec.name, offset: out[i]!.start * INSN_SIZE }, `functions '${prev.name}' and '${out[i]!.name}' overlap`);
    }
  }
  return out;
}

/** A symbol's display name: its own, or its section's for section symbols. */
export function symbolName(obj: BpfObject, sym: ElfSymbol): string {
  if (sym.type === STT_SECTION && !sym.name) return obj.elf.sections[sym.shndx]?.name ?? `section ${sym.shndx}`;
  return sym.name || `symbol ${sym.index}`;
}

/** Whether a symbol is an extern (undefined, named, not a section). */
export function isExtern(sym: ElfSymbol): boolean {
  return sym.shndx === SHN_UNDEF && sym.name !== '' && sym.index !== 0;
}
