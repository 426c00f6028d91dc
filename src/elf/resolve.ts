/*
 * Turning a ProgramSpec into what a backend loads (a ProgramLoadSpec): CO-RE relocations against
 * the target BTF, maps numbered into the program's fd_array, kfuncs and kernel symbols resolved to
 * target BTF ids (weak ones that are missing poisoned or zeroed, as libbpf does), the attach BTF
 * id, and the object's BTF with func_info and line_info.
 */
import { BPF_CALL, BPF_JMP, BPF_PSEUDO_BTF_ID, BPF_PSEUDO_KFUNC_CALL, type Insn } from '../isa/index.js';
import type { BackendMap, ProgramBtf, ProgramLoadSpec } from '../vm/backend.js';
import type { Btf } from './btf/btf.js';
import { BTF_KIND_FUNC, BTF_KIND_TYPEDEF, BTF_KIND_VAR } from './btf/types.js';
import { applyCoreRelocations, type CoreOutcome } from './core/relocate.js';
import { essentialName, typesAreCompatible } from './core/spec.js';
import { LoadError } from './errors.js';
import { funcLinkage, funcSignature } from './funcSignature.js';
import { usedMaps } from './link.js';
import { attachBtfLookup, supportedSectionNames } from './sectionDefs.js';
import type { CollectionSpec, ProgramSpec, Reference } from './spec.js';

/** libbpf's base of the imm of a poisoned call of a missing weak kfunc (plus the extern's index). */
export const POISON_CALL_KFUNC_BASE = 2002000000;

/** What resolving a program needs. */
export interface ResolveContext {
  /** The collection's maps, created on the backend, by name. */
  readonly maps: Readonly<Record<string, BackendMap>>;
  /** The BTF that CO-RE, kfuncs, ksyms and attach targets resolve against. */
  readonly target: Btf;
  /** Addresses of typeless kernel symbols (`extern const void x __ksym;`), by name. */
  readonly kallsyms?: Readonly<Record<string, bigint>>;
  /** Verifier log level for the load. */
  readonly logLevel?: number;
  /** The object's BTF encoded once for every program (from `encodeBtf(spec.btf)`). */
  readonly btfRaw?: Uint8Array;
}

/** A program ready to load, and how its CO-RE relocations resolved. */
export interface PreparedProgram {
  readonly loadSpec: ProgramLoadSpec;
  readonly core: readonly CoreOutcome[];
}

function findTarget(target: Btf, name: string, kind: number): number | undefined {
  return target.find(name, kind) ?? target.find(essentialName(name), kind);
}

function kfunc(ref: Extract<Reference, { kind: 'kfunc' }>, insns: Insn[], spec: CollectionSpec, target: Btf, prog: string): void {
  const id = findTarget(target, ref.name, BTF_KIND_FUNC);
  const ins = insns[ref.insn]!;
  if (id === undefined) {
    if (!ref.weak) throw new LoadError(prog, `kfunc '${ref.name}' is not in the target kernel's BTF`);
    insns[ref.insn] = { code: BPF_JMP | BPF_CALL, dst: 0, src: 0, off: 0, imm: POISON_CALL_KFUNC_BASE + ref.externIndex };
    return;
  }
  const proto = (target.type(id) as { type: number }).type;
  if (spec.btf && ref.typeId && !typesAreCompatible(spec.btf, ref.typeId, target, proto)) {
    throw new LoadError(prog, `kfunc '${ref.name}': its prototype does not match the target kernel's ${target.describe(proto)}`);
  }
  insns[ref.insn] = { ...ins, src: BPF_PSEUDO_KFUNC_CALL, off: 0, imm: id };
}

function ksym(ref: Extract<Reference, { kind: 'ksym' }>, insns: Insn[], spec: CollectionSpec, ctx: ResolveContext, prog: string): void {
  const [lo, hi] = [insns[ref.insn]!, insns[ref.insn + 1]!];
  const set = (src: number, imm0: number, imm1: number) => {
    insns[ref.insn] = { ...lo, src, imm: imm0 };
    insns[ref.insn + 1] = { ...hi, imm: imm1 };
  };
  if (!ref.typed) {
    const addr = ctx.kallsyms?.[ref.name];
    if (addr === undefined && !ref.weak) throw new LoadError(prog, `typeless ksym '${ref.name}' has no address (give it in the kallsyms option)`);
    const a = BigInt.asUintN(64, addr ?? 0n);
    set(0, Number(BigInt.asIntN(32, a)), Number(BigInt.asIntN(32, a >> 32n)));
    return;
  }
  const id = findTarget(ctx.target, ref.name, ref.func ? BTF_KIND_FUNC : BTF_KIND_VAR);
  if (id === undefined) {
    if (!ref.weak) throw new LoadError(prog, `ksym '${ref.name}' is not in the target kernel's BTF`);
    set(0, 0, 0);
    return;
  }
  if (!ref.func && spec.btf) {
    const targType = ctx.target.skipMods((ctx.target.type(id) as { type: number }).type);
    if (!typesAreCompatible(spec.btf, ref.typeId, ctx.target, targType)) {
      throw new LoadError(prog, `ksym '${ref.name}': its type does not match the target kernel's ${ctx.target.describe(targType)}`);
    }
  }
  set(BPF_PSEUDO_BTF_ID, id, 0);
}

function attachBtfId(p: ProgramSpec, target: Btf): number {
  const { prefix, typedef } = attachBtfLookup(p.expectedAttachType);
  const name = prefix + p.attachTo;
  const id = target.find(name, typedef ? BTF_KIND_TYPEDEF : BTF_KIND_FUNC);
  if (!p.attachTo || id === undefined) {
    throw new LoadError(p.name, `attach target '${name}' (from section '${p.section}') is not in the target kernel's BTF`);
  }
  return id;
}

function programBtf(p: ProgramSpec, raw: Uint8Array | undefined, btf: Btf | undefined): ProgramBtf | undefined {
  if (!raw || p.functions.some((f) => f.btfId === 0)) return undefined;
  const funcInfo = p.functions.map((f) => {
    const signature = btf && funcSignature(btf, f.btfId);
    return {
      insn: f.insn, typeId: f.btfId, name: f.name,
      ...(btf ? { linkage: funcLinkage(btf, f.btfId) } : {}), ...(signature ? { signature } : {}),
    };
  });
  return { raw, funcInfo, lineInfo: p.lineInfo };
}

/** The load spec of program `name` of `spec` (maps already created), with CO-RE and externs resolved. */
export function prepareProgram(spec: CollectionSpec, name: string, ctx: ResolveContext): PreparedProgram {
  const p = spec.programs[name];
  if (!p) throw new LoadError(name, `no such program (the object has: ${Object.keys(spec.programs).join(', ') || 'none'})`);
  if (p.type === 0) {
    throw new LoadError(name, `unknown program type for section '${p.section}'; set spec.programs['${name}'].type or ` +
      `pass loadCollectionSpec's programTypes option. Supported section names: ${supportedSectionNames().join(', ')}`);
  }
  const insns = [...p.insns];
  const core = p.core.length > 0
    ? applyCoreRelocations(insns, p.core, requireBtf(spec, name), ctx.target, name)
    : [];
  const used = usedMaps(p.references);
  const fdArray = used.map((m) => {
    const map = ctx.maps[m];
    if (!map) throw new LoadError(name, `map '${m}' was not created`);
    return map;
  });
  for (const ref of p.references) {
    switch (ref.kind) {
      case 'map': case 'mapValue': {
        insns[ref.insn] = { ...insns[ref.insn]!, imm: used.indexOf(ref.map) };
        if (ref.kind === 'mapValue') insns[ref.insn + 1] = { ...insns[ref.insn + 1]!, imm: ref.offset };
        break;
      }
      case 'kfunc': kfunc(ref, insns, spec, ctx.target, name); break;
      case 'ksym': ksym(ref, insns, spec, ctx, name); break;
    }
  }
  const btf = programBtf(p, ctx.btfRaw, spec.btf);
  const loadSpec: ProgramLoadSpec = {
    type: p.type, insns, name: p.name.slice(0, 15), license: p.license, expectedAttachType: p.expectedAttachType,
    flags: p.flags, maps: fdArray,
    ...(ctx.logLevel ? { logLevel: ctx.logLevel } : {}),
    ...(btf ? { btf } : {}),
    ...(p.attachBtf ? { attachBtfId: attachBtfId(p, ctx.target) } : {}),
    ...(p.kernVersion ? { kernVersion: p.kernVersion } : {}),
  };
  return { loadSpec, core };
}

function requireBtf(spec: CollectionSpec, prog: string): Btf {
  if (!spec.btf) throw new LoadError(prog, 'CO-RE relocations without BTF');
  return spec.btf;
}
