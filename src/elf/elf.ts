/*
 * An ELF64 reader for relocatable eBPF objects: the header, the section table, the symbol table
 * and REL/RELA relocation tables. Little-endian only; every offset and count is checked against
 * the file size, so work is bounded by the input's length.
 */
import { Reader } from './bytes.js';
import { ElfError } from './errors.js';
import {
  ELFCLASS64, ELFDATA2LSB, ELFDATA2MSB, EM_BPF, ET_REL, SHF_ALLOC, SHN_LORESERVE, SHT_NOBITS, SHT_REL, SHT_RELA,
  SHT_STRTAB, SHT_SYMTAB,
} from './elfConstants.js';

/** One section of the object. */
export interface ElfSection {
  /** Index in the section table. */
  readonly index: number;
  /** Name from the section-name string table. */
  readonly name: string;
  /** `sh_type` (SHT_PROGBITS, SHT_NOBITS, …). */
  readonly type: number;
  /** `sh_flags` (SHF_ALLOC, SHF_EXECINSTR, …). */
  readonly flags: number;
  /** File offset of the contents. */
  readonly offset: number;
  /** Size in bytes (also for SHT_NOBITS, which has no file contents). */
  readonly size: number;
  /** `sh_link`. */
  readonly link: number;
  /** `sh_info` (for relocation sections: the section they apply to). */
  readonly info: number;
  /** `sh_addralign`. */
  readonly addralign: number;
  /** `sh_entsize`. */
  readonly entsize: number;
  /** The contents (zeroes for SHT_NOBITS). */
  readonly data: Uint8Array;
}

/** One symbol of `.symtab`. */
export interface ElfSymbol {
  /** Index in the symbol table (relocations refer to it). */
  readonly index: number;
  /** Name ('' for section and unnamed symbols). */
  readonly name: string;
  /** Binding: STB_LOCAL, STB_GLOBAL, STB_WEAK. */
  readonly bind: number;
  /** Type: STT_NOTYPE, STT_OBJECT, STT_FUNC, STT_SECTION, STT_FILE. */
  readonly type: number;
  /** Visibility: STV_DEFAULT, STV_HIDDEN, … */
  readonly visibility: number;
  /** Section index (SHN_UNDEF for externs, SHN_ABS, SHN_COMMON). */
  readonly shndx: number;
  /** Value: the offset in its section. */
  readonly value: number;
  /** Size in bytes. */
  readonly size: number;
}

/** One relocation. */
export interface ElfRelocation {
  /** Byte offset in the section it applies to. */
  readonly offset: number;
  /** Relocation type (R_BPF_*). */
  readonly type: number;
  /** The symbol it refers to. */
  readonly symbol: ElfSymbol;
  /** The addend (0 for SHT_REL). */
  readonly addend: bigint;
}

/** A parsed relocatable ELF64 object. */
export interface ElfFile {
  /** `e_machine` (EM_BPF for BPF objects). */
  readonly machine: number;
  /** `e_type` (ET_REL for `clang -c` output). */
  readonly type: number;
  /** `e_flags`. */
  readonly flags: number;
  /** Every section, by index (index 0 is the null section). */
  readonly sections: readonly ElfSection[];
  /** Every symbol of `.symtab`, by index. */
  readonly symbols: readonly ElfSymbol[];
  /** Relocations by the index of the (allocated: code, data, maps) section they apply to. */
  readonly relocations: ReadonlyMap<number, readonly ElfRelocation[]>;
}

const MAGIC = [0x7f, 0x45, 0x4c, 0x46];

/** Largest zero-filled (.bss) section bpfsim allocates: far above what a BPF array map value can be. */
const MAX_NOBITS = 64 << 20;

/** Whether bytes start with the ELF magic number. */
export function isElf(bytes: Uint8Array): boolean {
  return bytes.length >= 4 && MAGIC.every((b, i) => bytes[i] === b);
}

function headerReader(bytes: Uint8Array): Reader {
  return new Reader(bytes, (offset, message) => new ElfError({ section: 'ELF header', offset }, message));
}

/** Parses an ELF64 object; any defect is an ElfError naming the section and offset. */
export function parseElf(bytes: Uint8Array): ElfFile {
  const r = headerReader(bytes);
  if (!isElf(bytes)) throw new ElfError({ section: 'ELF header', offset: 0 }, 'not an ELF object (bad magic number)');
  r.need(0, 64, 'the ELF64 header');
  const cls = r.u8(4);
  if (cls !== ELFCLASS64) throw new ElfError({ section: 'ELF header', offset: 4 }, `unsupported ELF class ${cls}: BPF objects are ELF64`);
  const data = r.u8(5);
  if (data === ELFDATA2MSB) {
    throw new ElfError({ section: 'ELF header', offset: 5 },
      'unsupported big-endian object (clang -target bpfeb): bpfsim loads little-endian objects (-target bpf or bpfel)');
  }
  if (data !== ELFDATA2LSB) throw new ElfError({ section: 'ELF header', offset: 5 }, `unsupported ELF data encoding ${data}`);
  const type = r.u16(16);
  const machine = r.u16(18);
  if (machine !== EM_BPF) {
    throw new ElfError({ section: 'ELF header', offset: 18 }, `wrong machine type ${machine}: not a BPF object (EM_BPF is ${EM_BPF})`);
  }
  if (type !== ET_REL) {
    throw new ElfError({ section: 'ELF header', offset: 16 }, `unsupported ELF type ${type}: expected a relocatable object (clang -c)`);
  }
  const flags = r.u32(48);
  const sections = readSections(r);
  const symtab = sections.find((s) => s.type === SHT_SYMTAB);
  const symbols = symtab ? readSymbols(sections, symtab) : [];
  const relocations = new Map<number, ElfRelocation[]>();
  for (const s of sections) {
    if (s.type !== SHT_REL && s.type !== SHT_RELA) continue;
    if (s.info === 0 || s.info >= sections.length) {
      throw new ElfError({ section: s.name }, `relocation section applies to section ${s.info}, which does not exist`);
    }
    // Relocations of DWARF and BTF sections concern debuggers and linkers, not loading.
    if ((sections[s.info]!.flags & SHF_ALLOC) === 0) continue;
    const list = relocations.get(s.info) ?? [];
    list.push(...readRelocations(s, symbols));
    relocations.set(s.info, list);
  }
  return { machine, type, flags, sections, symbols, relocations };
}

function readSections(r: Reader): ElfSection[] {
  const shoff = r.size64(40, 'e_shoff');
  const shentsize = r.u16(58);
  let shnum = r.u16(60);
  let shstrndx = r.u16(62);
  if (shoff === 0) return [];
  if (shentsize < 64) throw r.error(58, `section header size ${shentsize} is smaller than 64`);
  if (shnum === 0) shnum = Number(r.u64(shoff + 32, 'extended section count'));
  if (shstrndx === 0xffff) shstrndx = r.u32(shoff + 40, 'extended string table index');
  if (shnum * shentsize > r.length - shoff || shoff > r.length) {
    throw r.error(40, `section table (${shnum} × ${shentsize} bytes at 0x${shoff.toString(16)}) runs past the end of the file`);
  }
  const raw = [];
  for (let i = 0; i < shnum; i++) {
    const at = shoff + i * shentsize;
    raw.push({
      nameOff: r.u32(at), type: r.u32(at + 4), flags: Number(r.u64(at + 8) & 0xffffffffn),
      offset: r.size64(at + 24, 'sh_offset'), size: r.size64(at + 32, 'sh_size'),
      link: r.u32(at + 40), info: r.u32(at + 44),
      addralign: r.size64(at + 48, 'sh_addralign'), entsize: r.size64(at + 56, 'sh_entsize'),
    });
  }
  const strtab = raw[shstrndx];
  if (shnum > 0 && (!strtab || strtab.type !== SHT_STRTAB)) {
    throw r.error(62, `section-name string table index ${shstrndx} is not a string table`);
  }
  const names = strtab ? new Reader(r.slice(strtab.offset, strtab.size, 'the section-name string table'),
    (offset, message) => new ElfError({ section: '.shstrtab', offset }, message)) : undefined;
  return raw.map((s, index): ElfSection => {
    const name = index === 0 || !names ? '' : names.cstr(s.nameOff, `name of section ${index}`);
    let data: Uint8Array;
    if (s.type === SHT_NOBITS) {
      if (s.size > MAX_NOBITS) throw new ElfError({ section: name }, `SHT_NOBITS section of ${s.size} bytes is larger than bpfsim's limit (${MAX_NOBITS})`);
      data = new Uint8Array(s.size);
    } else {
      if (s.offset > r.length || s.size > r.length - s.offset) {
        throw new ElfError({ section: name || `section ${index}`, offset: s.offset },
          `contents (${s.size} bytes at file offset 0x${s.offset.toString(16)}) run past the end of the file (${r.length} bytes)`);
      }
      data = r.bytes.subarray(s.offset, s.offset + s.size);
    }
    return { index, name, ...s, data };
  });
}

function readSymbols(sections: readonly ElfSection[], symtab: ElfSection): ElfSymbol[] {
  const fail = (offset: number, message: string) => new ElfError({ section: symtab.name, offset }, message);
  if (symtab.entsize !== 24) throw fail(0, `symbol size ${symtab.entsize} is not 24`);
  const strSec = sections[symtab.link];
  if (!strSec || strSec.type !== SHT_STRTAB) throw fail(0, `sh_link ${symtab.link} is not a string table`);
  const r = new Reader(symtab.data, fail);
  const strings = new Reader(strSec.data, (offset, message) => new ElfError({ section: strSec.name, offset }, message));
  const count = Math.floor(symtab.size / 24);
  const out: ElfSymbol[] = [];
  for (let i = 0; i < count; i++) {
    const at = i * 24;
    const nameOff = r.u32(at);
    const info = r.u8(at + 4);
    const shndx = r.u16(at + 6);
    if (shndx !== 0 && shndx < SHN_LORESERVE && shndx >= sections.length) {
      throw fail(at + 6, `symbol ${i} refers to section ${shndx}, which does not exist`);
    }
    out.push({
      index: i,
      name: nameOff === 0 ? '' : strings.cstr(nameOff, `name of symbol ${i}`),
      bind: info >> 4,
      type: info & 0xf,
      visibility: r.u8(at + 5) & 0x3,
      shndx,
      value: r.size64(at + 8, 'st_value'),
      size: r.size64(at + 16, 'st_size'),
    });
  }
  return out;
}

function readRelocations(sec: ElfSection, symbols: readonly ElfSymbol[]): ElfRelocation[] {
  const rela = sec.type === SHT_RELA;
  const size = rela ? 24 : 16;
  const fail = (offset: number, message: string) => new ElfError({ section: sec.name, offset }, message);
  if (sec.entsize !== 0 && sec.entsize !== size) throw fail(0, `relocation entry size ${sec.entsize} is not ${size}`);
  const r = new Reader(sec.data, fail);
  const out: ElfRelocation[] = [];
  for (let at = 0; at + size <= sec.size; at += size) {
    const info = r.u64(at + 8);
    const symIndex = Number(info >> 32n);
    const symbol = symbols[symIndex];
    if (!symbol) throw fail(at, `relocation refers to symbol ${symIndex}, which does not exist (${symbols.length} symbols)`);
    out.push({
      offset: r.size64(at, 'r_offset'),
      type: Number(info & 0xffffffffn),
      symbol,
      addend: rela ? BigInt.asIntN(64, r.u64(at + 16)) : 0n,
    });
  }
  return out;
}
