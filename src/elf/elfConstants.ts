/* ELF constants bpfsim reads (include/uapi/linux/elf.h, the ELF-64 object file format). */

/** e_machine of eBPF objects. */
export const EM_BPF = 247;
/** EI_CLASS: 64-bit objects. */
export const ELFCLASS64 = 2;
/** EI_DATA: little-endian. */
export const ELFDATA2LSB = 1;
/** EI_DATA: big-endian. */
export const ELFDATA2MSB = 2;
/** e_type of relocatable objects (what clang -c produces). */
export const ET_REL = 1;

/** Section type: inactive. */
export const SHT_NULL = 0;
/** Section type: program-defined contents. */
export const SHT_PROGBITS = 1;
/** Section type: symbol table. */
export const SHT_SYMTAB = 2;
/** Section type: string table. */
export const SHT_STRTAB = 3;
/** Section type: relocations with addends. */
export const SHT_RELA = 4;
/** Section type: occupies no file space (.bss). */
export const SHT_NOBITS = 8;
/** Section type: relocations without addends. */
export const SHT_REL = 9;

/** Section flag: writable at run time. */
export const SHF_WRITE = 0x1;
/** Section flag: occupies memory at run time. */
export const SHF_ALLOC = 0x2;
/** Section flag: executable instructions. */
export const SHF_EXECINSTR = 0x4;

/** Section index of undefined (extern) symbols. */
export const SHN_UNDEF = 0;
/** Start of the reserved section indices. */
export const SHN_LORESERVE = 0xff00;
/** Section index of absolute symbols. */
export const SHN_ABS = 0xfff1;
/** Section index of common symbols. */
export const SHN_COMMON = 0xfff2;

/** Symbol binding: local. */
export const STB_LOCAL = 0;
/** Symbol binding: global. */
export const STB_GLOBAL = 1;
/** Symbol binding: weak. */
export const STB_WEAK = 2;

/** Symbol type: unspecified. */
export const STT_NOTYPE = 0;
/** Symbol type: data object. */
export const STT_OBJECT = 1;
/** Symbol type: function. */
export const STT_FUNC = 2;
/** Symbol type: a section. */
export const STT_SECTION = 3;
/** Symbol type: the source file name. */
export const STT_FILE = 4;

/** Symbol visibility: default. */
export const STV_DEFAULT = 0;
/** Symbol visibility: internal. */
export const STV_INTERNAL = 1;
/** Symbol visibility: hidden. */
export const STV_HIDDEN = 2;

/** BPF relocation: none. */
export const R_BPF_NONE = 0;
/** BPF relocation: 64-bit immediate of an LD_IMM64 (map, global data, function address, extern). */
export const R_BPF_64_64 = 1;
/** BPF relocation: 64-bit absolute data (DWARF, .maps initial values). */
export const R_BPF_64_ABS64 = 2;
/** BPF relocation: 32-bit absolute data (DWARF, BTF). */
export const R_BPF_64_ABS32 = 3;
/** BPF relocation: 32-bit data not resolved by dynamic loaders (BTF.ext). */
export const R_BPF_64_NODYLD32 = 4;
/** BPF relocation: the 32-bit immediate of a call (subprogram or kfunc). */
export const R_BPF_64_32 = 10;

/** The names of the BPF relocation types. */
export const R_BPF_NAMES: Readonly<Record<number, string>> = {
  [R_BPF_NONE]: 'R_BPF_NONE',
  [R_BPF_64_64]: 'R_BPF_64_64',
  [R_BPF_64_ABS64]: 'R_BPF_64_ABS64',
  [R_BPF_64_ABS32]: 'R_BPF_64_ABS32',
  [R_BPF_64_NODYLD32]: 'R_BPF_64_NODYLD32',
  [R_BPF_64_32]: 'R_BPF_64_32',
};
