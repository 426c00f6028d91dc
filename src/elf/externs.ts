/*
 * Extern symbols: `.kconfig` variables (`extern int CONFIG_HZ __kconfig;`) laid out in the
 * `.kconfig` map, and `.ksyms` kernel symbols and kfuncs (`extern void bpf_rcu_read_lock(void)
 * __ksym;`) resolved against the target BTF at load time. Sorted as libbpf sorts them: kconfig
 * first by descending alignment, ascending size, then name; ksyms by name.
 */
import type { Btf } from './btf/btf.js';
import {
  BTF_FUNC_EXTERN, BTF_INT_BOOL, BTF_INT_SIGNED, BTF_KIND_ARRAY, BTF_KIND_DATASEC, BTF_KIND_ENUM, BTF_KIND_ENUM64,
  BTF_KIND_FUNC, BTF_KIND_INT, BTF_KIND_VAR, BTF_VAR_GLOBAL_EXTERN, type BtfDatasec,
} from './btf/types.js';
import { STB_WEAK } from './elfConstants.js';
import { ElfError } from './errors.js';
import { isExtern, type BpfObject } from './object.js';
import type { KconfigExtern } from './spec.js';

/** An extern of the object. */
export interface Extern {
  readonly name: string;
  /** `.kconfig` or `.ksyms`. */
  readonly section: '.kconfig' | '.ksyms';
  readonly weak: boolean;
  /** A function (kfunc) rather than a variable. */
  readonly func: boolean;
  /** Its VAR or FUNC id in the object's BTF. */
  readonly btfId: number;
  /** The variable's type or the function's prototype (modifiers skipped; 0 for `void` typeless ksyms). */
  readonly typeId: number;
  /** Index in libbpf's sorted extern list (poisoned kfunc calls carry it). */
  index: number;
  /** Layout of a `.kconfig` extern. */
  kconfig?: KconfigExtern;
}

function kconfigType(btf: Btf, id: number): { type: KconfigExtern['type']; signed: boolean } | undefined {
  const t = btf.type(btf.skipMods(id));
  switch (t.kind) {
    case BTF_KIND_INT:
      if (t.encoding & BTF_INT_BOOL) return t.size === 1 ? { type: 'bool', signed: false } : undefined;
      if (t.size === 1) return { type: 'char', signed: (t.encoding & BTF_INT_SIGNED) !== 0 };
      if (t.size < 1 || t.size > 8 || (t.size & (t.size - 1)) !== 0) return undefined;
      return { type: 'int', signed: (t.encoding & BTF_INT_SIGNED) !== 0 };
    case BTF_KIND_ENUM: case BTF_KIND_ENUM64:
      return t.name === 'libbpf_tristate' && (t.kind === BTF_KIND_ENUM64 || t.size === 4) ? { type: 'tristate', signed: false } : undefined;
    case BTF_KIND_ARRAY:
      if (t.nelems === 0 || kconfigType(btf, t.type)?.type !== 'char') return undefined;
      return { type: 'string', signed: false };
    default:
      return undefined;
  }
}

/** The DATASEC (`.kconfig` or `.ksyms`) that lists a BTF id. */
function externSection(btf: Btf, id: number): string | undefined {
  for (const t of btf.types) {
    if (t.kind === BTF_KIND_DATASEC && (t as BtfDatasec).vars.some((v) => v.type === id)) return t.name;
  }
  return undefined;
}

/** The externs of an object, by symbol index, sorted and laid out as libbpf does. */
export function collectExterns(obj: BpfObject): { externs: Extern[]; bySymbol: Map<number, Extern>; kconfigSize: number } {
  const bySymbol = new Map<number, Extern>();
  const externs: Extern[] = [];
  const aligns = new Map<Extern, number>();
  for (const sym of obj.elf.symbols) {
    if (!isExtern(sym)) continue;
    const fail = (msg: string) => new ElfError({ section: '.symtab', offset: sym.index * 24 }, `extern '${sym.name}': ${msg}`);
    const btf = obj.btf;
    if (!btf) throw fail('externs need BTF: compile with -g');
    const id = btf.findAll(sym.name).find((i) => {
      const t = btf.type(i);
      return t.kind === BTF_KIND_VAR || t.kind === BTF_KIND_FUNC;
    });
    if (id === undefined) throw fail('no BTF variable or function describes it');
    const t = btf.type(id) as { kind: number; type: number; linkage: number };
    if ((t.kind === BTF_KIND_VAR && t.linkage !== BTF_VAR_GLOBAL_EXTERN) || (t.kind === BTF_KIND_FUNC && t.linkage !== BTF_FUNC_EXTERN)) {
      throw fail(`its BTF ${btf.describe(id)} is not declared extern`);
    }
    const section = externSection(btf, id);
    if (section !== '.kconfig' && section !== '.ksyms') {
      throw fail(section ? `unrecognized extern section '${section}'` : 'it is in neither .kconfig nor .ksyms (use __kconfig or __ksym)');
    }
    const func = t.kind === BTF_KIND_FUNC;
    const ext: Extern = { name: sym.name, section, weak: sym.bind === STB_WEAK, func, btfId: id, typeId: btf.skipMods(t.type), index: 0 };
    if (section === '.kconfig') {
      if (func) throw fail('extern functions cannot be in .kconfig');
      const kt = kconfigType(btf, t.type);
      if (!kt) throw fail(`type ${btf.describe(t.type)} is not supported for a kconfig value`);
      ext.kconfig = { name: sym.name, offset: 0, size: btf.resolveSize(t.type), type: kt.type, signed: kt.signed, weak: ext.weak };
      aligns.set(ext, btf.alignment(t.type));
    }
    externs.push(ext);
    bySymbol.set(sym.index, ext);
  }
  const align = (e: Extern) => aligns.get(e) ?? 1;
  externs.sort((a, b) => {
    if (a.section !== b.section) return a.section === '.kconfig' ? -1 : 1;
    if (a.kconfig && b.kconfig) {
      if (align(a) !== align(b)) return align(b) - align(a);
      if (a.kconfig.size !== b.kconfig.size) return a.kconfig.size - b.kconfig.size;
    }
    return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
  });
  let off = 0;
  externs.forEach((e, i) => {
    e.index = i;
    if (!e.kconfig) return;
    const a = align(e);
    off = Math.ceil(off / a) * a;
    e.kconfig = { ...e.kconfig, offset: off };
    off += e.kconfig.size;
  });
  return { externs, bySymbol, kconfigSize: off };
}
