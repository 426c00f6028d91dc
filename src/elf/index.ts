/*
 * Loading real BPF ELF objects: the ELF reader, section-name conventions, BTF and BTF.ext (parse,
 * encode, print), CO-RE, maps and global data, externs, subprogram linking, and the collection API
 * (loadCollectionSpec → edit → loadCollection on any Backend).
 */
export { ElfError, BtfError, LoadError, type ErrorSite } from './errors.js';
export { parseElf, isElf, type ElfFile, type ElfSection, type ElfSymbol, type ElfRelocation } from './elf.js';
export * from './elfConstants.js';
export { SECTION_DEFS, findSectionDef, supportedSectionNames, sectionTarget, type SectionDef } from './sectionDefs.js';
export { Btf } from './btf/btf.js';
export * from './btf/types.js';
export { parseBtf, parseBtfHeader, typeReferences, type BtfHeader } from './btf/parse.js';
export { parseBtfExt, type BtfExt, type FuncInfoRecord, type LineInfoRecord, type CoreReloRecord } from './btf/ext.js';
export { encodeBtf, BtfStrings, type EncodedBtf } from './btf/encode.js';
export { BtfBuilder, type MemberDecl } from './btf/builder.js';
export { funcLinkage, funcSignature } from './funcSignature.js';
export { declare, typeToC } from './btf/printC.js';
export { formatTypeRaw } from './btf/raw.js';
export { simKernelBtf } from './btf/simKernel.js';
export { btfKernelTypes } from './btf/kernelTypes.js';
export { structAccess } from './btf/structWalk.js';
export * from './core/kinds.js';
export { applyCoreRelocations, coreCandidates, formatSpec, CORE_POISON_IMM, type CoreRelocation, type CoreOutcome } from './core/relocate.js';
export { essentialName, typesAreCompatible, typesMatch } from './core/spec.js';
export * from './spec.js';
export { loadCollectionSpec, type CollectionSpecOptions } from './loadSpec.js';
export { prepareProgram, POISON_CALL_KFUNC_BASE, type ResolveContext, type PreparedProgram } from './resolve.js';
export { Collection, CollectionProgram, createMaps, loadCollection, prepareLoad, type CollectionOptions, type PreparedLoad } from './collection.js';
export { SIM_KCONFIG, KconfigError, kconfigValue, kernelVersion, parseKconfig, type KconfigValue } from './kconfig.js';
export { internalMapName } from './globalData.js';
export { VMLINUX_BTF_PATH, readBtfFile, vmlinuxBtf } from './vmlinux.js';
export { disasmWithSource, formatSourceLine, sourceLineAt, type DisasmLabel } from './lineInfo.js';
export { usedMaps } from './link.js';
export { describeObject, formatDescription, type ObjectDescription } from './inspect.js';
export { progTypeName, mapTypeName, attachTypeName } from './names.js';
export { disasmObject, type DisasmObjectOptions } from './disasmObject.js';
export { getVariable, setVariable } from './variables.js';
