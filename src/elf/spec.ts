/*
 * The collection spec: what an object file contains, inspectable and editable before loading, in
 * the roles of cilium/ebpf's CollectionSpec, ProgramSpec, MapSpec and VariableSpec.
 */
import type { Insn } from '../isa/index.js';
import type { MapSpec } from '../maps/spec.js';
import type { ProgramLineInfo } from '../vm/backend.js';
import type { Btf } from './btf/btf.js';
import type { CoreRelocation } from './core/relocate.js';

/** A reference from an instruction to something resolved at load time. */
export type Reference =
  /** LD_IMM64 of a map (becomes `BPF_PSEUDO_MAP_IDX`). */
  | { readonly kind: 'map'; readonly insn: number; readonly map: string }
  /** LD_IMM64 of an address inside a map's value: global data, `.kconfig` (`BPF_PSEUDO_MAP_IDX_VALUE`). */
  | { readonly kind: 'mapValue'; readonly insn: number; readonly map: string; readonly offset: number }
  /** A call of a kernel function (`BPF_PSEUDO_KFUNC_CALL` with its BTF id in the target). */
  | { readonly kind: 'kfunc'; readonly insn: number; readonly name: string; readonly weak: boolean; readonly externIndex: number; readonly typeId: number }
  /** LD_IMM64 of a kernel symbol (`.ksyms`): typed (`BPF_PSEUDO_BTF_ID`) or by address. */
  | { readonly kind: 'ksym'; readonly insn: number; readonly name: string; readonly weak: boolean; readonly typed: boolean; readonly func: boolean; readonly typeId: number };

/** A function of a linked program: the entry point or a subprogram appended to it. */
export interface LinkedFunction {
  /** Function name. */
  readonly name: string;
  /** First slot in the program. */
  readonly insn: number;
  /** Number of slots. */
  readonly length: number;
  /** Its BTF FUNC type id (0 without BTF). */
  readonly btfId: number;
  /** ELF section it came from. */
  readonly section: string;
}

/** A program of the object, with its subprograms linked in and its references still symbolic. */
export interface ProgramSpec {
  /** Name (the function's symbol). */
  name: string;
  /** ELF section (the SEC() name). */
  readonly section: string;
  /** BPF_PROG_TYPE_* (0 when the section name is unknown: set it before loading). */
  type: number;
  /** Expected attach type. */
  expectedAttachType: number;
  /** Load flags (BPF_F_SLEEPABLE, BPF_F_XDP_HAS_FRAGS, …). */
  flags: number;
  /** What the section name says to attach to (after the `/`): a function, a tracepoint, … */
  attachTo: string;
  /** Whether `attachTo` names a kernel BTF type resolved at load (fentry, lsm, iter, tp_btf). */
  attachBtf: boolean;
  /** License string from the `license` section. */
  license: string;
  /** Kernel version from the `version` section (0 if absent). */
  kernVersion: number;
  /** The instruction slots: entry function first, then its subprograms. */
  insns: Insn[];
  /** Relocations resolved at load time, by slot. */
  references: Reference[];
  /** CO-RE relocations, applied at load time against the target BTF, by slot. */
  core: CoreRelocation[];
  /** The functions, as laid out in `insns`. */
  functions: LinkedFunction[];
  /** Source lines (BTF line_info), by slot; empty without `-g`. */
  lineInfo: ProgramLineInfo[];
}

/** An initial element of a map: bytes, or a program or map written by reference (PROG_ARRAY, map-in-map). */
export type MapContent =
  | { readonly key: Uint8Array; readonly value: Uint8Array }
  | { readonly key: Uint8Array; readonly program: string }
  | { readonly key: Uint8Array; readonly map: string };

/** Where a map definition came from. */
export type MapOrigin = 'btf' | 'legacy' | 'data' | 'rodata' | 'bss' | 'kconfig';

/** A map of the object. */
export interface CollectionMapSpec {
  /** User-facing name: the variable name, or the section name for global data (`.rodata`). */
  readonly name: string;
  /** What BPF_MAP_CREATE gets (its `name` is the kernel-visible one, 15 characters at most). */
  spec: MapSpec;
  /** ELF section of the definition. */
  readonly section: string;
  /** How it was defined. */
  readonly origin: MapOrigin;
  /** `pinning` from the BTF definition (0 none, 1 by name); bpfsim does not pin. */
  pinning: number;
  /** Elements written after creation (global data, PROG_ARRAY slots, inner maps). */
  contents: MapContent[];
  /** Freeze after writing the contents (`.rodata`, `.kconfig`). */
  freeze: boolean;
  /** BTF type id of the key in the object's BTF (0 when unknown). */
  readonly btfKeyTypeId: number;
  /** BTF type id of the value in the object's BTF (0 when unknown). */
  readonly btfValueTypeId: number;
}

/** A global variable in a data section, readable and settable before load (`.rodata` as a skeleton allows). */
export interface VariableSpec {
  readonly name: string;
  /** The map holding it (`.rodata`, `.data`, `.bss`, `.data.foo`, …). */
  readonly map: string;
  /** Byte offset in the map's value. */
  readonly offset: number;
  /** Size in bytes. */
  readonly size: number;
  /** Its BTF type id in the object's BTF. */
  readonly typeId: number;
  /** Whether it lives in a read-only section (frozen after load). */
  readonly constant: boolean;
}

/** A `.kconfig` extern: its place in the `.kconfig` map and how its value is encoded. */
export interface KconfigExtern {
  readonly name: string;
  readonly offset: number;
  readonly size: number;
  /** bool, tristate (enum libbpf_tristate), char (`y`/`n`/`m`), int, or a char array (string). */
  readonly type: 'bool' | 'tristate' | 'char' | 'int' | 'string';
  readonly signed: boolean;
  readonly weak: boolean;
}

/** Everything in a BPF object, ready to edit and load. */
export interface CollectionSpec {
  /** Programs by name. */
  readonly programs: Record<string, ProgramSpec>;
  /** Maps by name. */
  readonly maps: Record<string, CollectionMapSpec>;
  /** Global variables by name. */
  readonly variables: Record<string, VariableSpec>;
  /** `.kconfig` externs, in layout order. */
  readonly kconfig: readonly KconfigExtern[];
  /** The object's BTF, fixed up for the kernel (DATASEC sizes and offsets, externs), or undefined without `.BTF`. */
  readonly btf: Btf | undefined;
  /** License of the object. */
  readonly license: string;
}
