/*
 * CO-RE access specifications and their matching against a target BTF, with the semantics of
 * libbpf's relo_core.c: an access string (`0:1:2`) becomes a list of accessors (array indices and
 * named members) with a bit offset; a local spec matches a candidate target type when every named
 * member is found (through anonymous structs and unions) with a compatible type and every array
 * index is in bounds.
 */
import type { Btf } from '../btf/btf.js';
import {
  BTF_INT_SIGNED, BTF_KIND_ARRAY, BTF_KIND_ENUM, BTF_KIND_ENUM64, BTF_KIND_FLOAT, BTF_KIND_FUNC_PROTO,
  BTF_KIND_FWD, BTF_KIND_INT, BTF_KIND_PTR, BTF_KIND_STRUCT, BTF_KIND_UNION, BTF_KIND_UNKN, type BtfType,
} from '../btf/types.js';
import { BPF_CORE_TYPE_MATCHES, isEnumvalKind, isFieldKind, isTypeKind } from './kinds.js';

/** Longest access string libbpf accepts (BPF_CORE_SPEC_MAX_LEN). */
export const CORE_SPEC_MAX_LEN = 64;
/** Recursion limit of the type comparisons. */
const MAX_LEVEL = 32;

/** One high-level step of an access: an array index (no name) or a named member. */
export interface Accessor {
  /** The struct, union, enum or array-element type this step indexes into. */
  readonly typeId: number;
  /** Member, enumerator or array index. */
  readonly idx: number;
  /** The member or enumerator name; undefined for array indices. */
  readonly name?: string;
}

/** A parsed CO-RE access against one BTF. */
export interface CoreSpec {
  readonly btf: Btf;
  readonly rootTypeId: number;
  readonly kind: number;
  /** High-level accessors: array indices and named members. */
  readonly spec: Accessor[];
  /** The raw access string, one index per level (anonymous members included). */
  readonly raw: number[];
  /** Bit offset of the accessed field from the start of the root type. */
  bitOffset: number;
}

/** A reason a spec is malformed (libbpf's -EINVAL), raised to the caller as a BtfError. */
export class SpecError extends Error {}

function isComposite(t: BtfType): t is Extract<BtfType, { kind: 4 | 5 }> {
  return t.kind === BTF_KIND_STRUCT || t.kind === BTF_KIND_UNION;
}

function isAnyEnum(t: BtfType): t is Extract<BtfType, { kind: 6 | 19 }> {
  return t.kind === BTF_KIND_ENUM || t.kind === BTF_KIND_ENUM64;
}

/** Kinds CO-RE treats as the same: equal, or enum and enum64. */
export function kindsCompatible(a: BtfType, b: BtfType): boolean {
  return a.kind === b.kind || (isAnyEnum(a) && isAnyEnum(b));
}

/** Length of a name without its `___flavor` suffix (`task_struct___old` → 11). */
export function essentialNameLen(name: string): number {
  for (let i = name.length - 5; i >= 0; i--) {
    if (name[i] !== '_' && name[i + 1] === '_' && name[i + 2] === '_' && name[i + 3] === '_' && name[i + 4] !== '_') return i + 1;
  }
  return name.length;
}

/** A name without its flavor suffix. */
export function essentialName(name: string): string {
  return name.slice(0, essentialNameLen(name));
}

function skip(btf: Btf, id: number): { id: number; t: BtfType } {
  const sid = btf.skipMods(id);
  return { id: sid, t: btf.type(sid) };
}

function isFlexArray(btf: Btf, acc: Accessor | undefined, nelems: number): boolean {
  if (!acc || acc.name === undefined || nelems > 0) return false;
  const t = btf.type(acc.typeId);
  return isComposite(t) && acc.idx === t.members.length - 1;
}

/** Parses a relocation's access string against the local BTF (bpf_core_parse_spec). */
export function parseSpec(btf: Btf, rootTypeId: number, accessStr: string, kind: number): CoreSpec {
  const spec: CoreSpec = { btf, rootTypeId, kind, spec: [], raw: [], bitOffset: 0 };
  if (accessStr === '' || accessStr.startsWith(':')) throw new SpecError(`empty access string '${accessStr}'`);
  if (isTypeKind(kind)) {
    if (accessStr !== '0') throw new SpecError(`type relocation with access string '${accessStr}' (expected '0')`);
    return spec;
  }
  for (const part of accessStr.split(':')) {
    if (!/^-?\d+$/.test(part)) throw new SpecError(`bad access string '${accessStr}'`);
    if (spec.raw.length === CORE_SPEC_MAX_LEN) throw new SpecError(`access string '${accessStr}' is longer than ${CORE_SPEC_MAX_LEN}`);
    spec.raw.push(Number(part));
  }
  let { id, t } = skip(btf, rootTypeId);
  const first = spec.raw[0]!;
  if (isEnumvalKind(kind)) {
    if (!isAnyEnum(t) || spec.raw.length > 1 || first < 0 || first >= t.values.length) {
      throw new SpecError(`enum relocation '${accessStr}' does not name an enumerator of ${btf.describe(id)}`);
    }
    spec.spec.push({ typeId: id, idx: first, name: t.values[first]!.name });
    return spec;
  }
  if (!isFieldKind(kind)) throw new SpecError(`unknown relocation kind ${kind}`);
  spec.spec.push({ typeId: id, idx: first });
  spec.bitOffset = first * btf.resolveSize(id) * 8;
  for (let i = 1; i < spec.raw.length; i++) {
    ({ id, t } = skip(btf, id));
    const idx = spec.raw[i]!;
    if (isComposite(t)) {
      const m = t.members[idx];
      if (!m || idx < 0) throw new SpecError(`member ${idx} of ${btf.describe(id)} does not exist`);
      spec.bitOffset += m.bitOffset;
      if (m.name) spec.spec.push({ typeId: id, idx, name: m.name });
      id = m.type;
    } else if (t.kind === BTF_KIND_ARRAY) {
      const elem = skip(btf, t.type);
      if (!isFlexArray(btf, spec.spec[spec.spec.length - 1], t.nelems) && (idx < 0 || idx >= t.nelems)) {
        throw new SpecError(`index ${idx} is out of bounds of ${btf.describe(id)} (${t.nelems} elements)`);
      }
      id = elem.id;
      spec.spec.push({ typeId: id, idx });
      spec.bitOffset += idx * btf.resolveSize(id) * 8;
    } else {
      throw new SpecError(`access '${accessStr}' at level ${i} reaches ${btf.describe(id)}, which has no members`);
    }
  }
  return spec;
}

/** Whether two field types are compatible for a field relocation (bpf_core_fields_are_compat). */
function fieldsCompatible(lb: Btf, lid: number, tb: Btf, tid: number): boolean {
  for (let depth = 0; depth < MAX_LEVEL; depth++) {
    const l = skip(lb, lid);
    const t = skip(tb, tid);
    if (isComposite(l.t) && isComposite(t.t)) return true;
    if (!kindsCompatible(l.t, t.t)) return false;
    switch (l.t.kind) {
      case BTF_KIND_PTR: case BTF_KIND_FLOAT: return true;
      case BTF_KIND_FWD: case BTF_KIND_ENUM: case BTF_KIND_ENUM64: {
        const ll = essentialNameLen(l.t.name);
        const tl = essentialNameLen(t.t.name);
        return ll === 0 || tl === 0 || (ll === tl && l.t.name.slice(0, ll) === t.t.name.slice(0, tl));
      }
      case BTF_KIND_INT:
        return l.t.offset === 0 && (t.t as { offset: number }).offset === 0;
      case BTF_KIND_ARRAY:
        lid = l.t.type;
        tid = (t.t as { type: number }).type;
        continue;
      default:
        return false;
    }
  }
  throw new SpecError('field types nest too deeply');
}

/** Finds a local named member in a target type, through anonymous members (bpf_core_match_member). */
function matchMember(lb: Btf, local: Accessor, tb: Btf, targId: number, spec: CoreSpec, depth: number): { found: boolean; next?: number } {
  if (depth > MAX_LEVEL) throw new SpecError('anonymous members nest too deeply');
  const tt = skip(tb, targId);
  if (!isComposite(tt.t)) return { found: false };
  const lt = lb.type(local.typeId) as Extract<BtfType, { kind: 4 | 5 }>;
  const lm = lt.members[local.idx]!;
  for (let i = 0; i < tt.t.members.length; i++) {
    const m = tt.t.members[i]!;
    if (spec.raw.length === CORE_SPEC_MAX_LEN) throw new SpecError('target access is too deep');
    spec.bitOffset += m.bitOffset;
    spec.raw.push(i);
    if (!m.name) {
      const r = matchMember(lb, local, tb, m.type, spec, depth + 1);
      if (r.found) return r;
    } else if (m.name === lm.name) {
      spec.spec.push({ typeId: tt.id, idx: i, name: m.name });
      if (fieldsCompatible(lb, lm.type, tb, m.type)) return { found: true, next: m.type };
      spec.spec.pop();
      return { found: false };
    }
    spec.bitOffset -= m.bitOffset;
    spec.raw.pop();
  }
  return { found: false };
}

/** Whether two types are compatible for TYPE_EXISTS/TYPE_SIZE/TYPE_ID_TARGET (bpf_core_types_are_compat). */
export function typesAreCompatible(lb: Btf, lid: number, tb: Btf, tid: number, level = MAX_LEVEL): boolean {
  if (!kindsCompatible(lb.type(lid), tb.type(tid))) return false;
  for (let depth = 0; depth < MAX_LEVEL; depth++) {
    const l = skip(lb, lid);
    const t = skip(tb, tid);
    if (!kindsCompatible(l.t, t.t)) return false;
    switch (l.t.kind) {
      case BTF_KIND_UNKN: case BTF_KIND_STRUCT: case BTF_KIND_UNION: case BTF_KIND_ENUM: case BTF_KIND_FWD:
      case BTF_KIND_ENUM64:
        return true;
      case BTF_KIND_INT:
        return l.t.offset === 0 && (t.t as { offset: number }).offset === 0;
      case BTF_KIND_PTR: case BTF_KIND_ARRAY:
        lid = l.t.type;
        tid = (t.t as { type: number }).type;
        continue;
      case BTF_KIND_FUNC_PROTO: {
        const tp = t.t as Extract<BtfType, { kind: 13 }>;
        if (l.t.params.length !== tp.params.length) return false;
        for (let i = 0; i < l.t.params.length; i++) {
          if (level <= 0) throw new SpecError('function prototypes nest too deeply');
          if (!typesAreCompatible(lb, lb.skipMods(l.t.params[i]!.type), tb, tb.skipMods(tp.params[i]!.type), level - 1)) return false;
        }
        lid = lb.skipMods(l.t.type);
        tid = tb.skipMods(tp.type);
        continue;
      }
      default:
        return false;
    }
  }
  throw new SpecError('types nest too deeply');
}

function namesMatch(lname: string, tname: string): boolean {
  if (!tname) return !lname;
  const ll = essentialNameLen(lname);
  const tl = essentialNameLen(tname);
  return ll === tl && lname.slice(0, ll) === tname.slice(0, tl);
}

/** Whether two types match structurally for TYPE_MATCHES (bpf_core_types_match). */
export function typesMatch(lb: Btf, lid: number, tb: Btf, tid: number, behindPtr = false, level = MAX_LEVEL): boolean {
  if (level <= 0) throw new SpecError('types nest too deeply');
  for (let depth = 0; depth < MAX_LEVEL; depth++) {
    const l = skip(lb, lid);
    const t = skip(tb, tid);
    if (!namesMatch(l.t.name, t.t.name)) return false;
    const lt = l.t;
    const tt = t.t;
    switch (lt.kind) {
      case BTF_KIND_UNKN: return tt.kind === BTF_KIND_UNKN;
      case BTF_KIND_FWD:
        if (behindPtr && tt.kind !== BTF_KIND_FWD) return (tt.kind === BTF_KIND_STRUCT && !lt.union) || (tt.kind === BTF_KIND_UNION && lt.union);
        return tt.kind === BTF_KIND_FWD && lt.union === tt.union;
      case BTF_KIND_ENUM: case BTF_KIND_ENUM64:
        if (!isAnyEnum(tt) || lt.size !== tt.size || lt.values.length > tt.values.length) return false;
        return lt.values.every((lv) => tt.values.some((tv) => namesMatch(lv.name, tv.name)));
      case BTF_KIND_STRUCT: case BTF_KIND_UNION:
        if (behindPtr) return lt.kind === tt.kind || (tt.kind === BTF_KIND_FWD && (lt.kind === BTF_KIND_UNION) === tt.union);
        if (lt.kind !== tt.kind || !isComposite(tt) || lt.members.length > tt.members.length) return false;
        return lt.members.every((lm) => tt.members.some((tm) => namesMatch(lm.name, tm.name) && typesMatch(lb, lm.type, tb, tm.type, behindPtr, level - 1)));
      case BTF_KIND_INT:
        return tt.kind === BTF_KIND_INT && lt.size === tt.size && (lt.encoding & BTF_INT_SIGNED) === (tt.encoding & BTF_INT_SIGNED);
      case BTF_KIND_PTR:
        if (tt.kind !== BTF_KIND_PTR) return false;
        behindPtr = true;
        lid = lt.type;
        tid = tt.type;
        continue;
      case BTF_KIND_ARRAY:
        if (tt.kind !== BTF_KIND_ARRAY || lt.nelems !== tt.nelems) return false;
        lid = lt.type;
        tid = tt.type;
        continue;
      case BTF_KIND_FUNC_PROTO:
        if (tt.kind !== BTF_KIND_FUNC_PROTO || lt.params.length !== tt.params.length) return false;
        for (let i = 0; i < lt.params.length; i++) {
          if (!typesMatch(lb, lt.params[i]!.type, tb, tt.params[i]!.type, behindPtr, level - 1)) return false;
        }
        lid = lt.type;
        tid = tt.type;
        continue;
      default:
        return false;
    }
  }
  throw new SpecError('types nest too deeply');
}

/** Matches a local spec against candidate target type `targId` (bpf_core_spec_match); undefined if it does not match. */
export function matchSpec(local: CoreSpec, tb: Btf, targId: number): CoreSpec | undefined {
  const targ: CoreSpec = { btf: tb, rootTypeId: targId, kind: local.kind, spec: [], raw: [], bitOffset: 0 };
  if (isTypeKind(local.kind)) {
    const ok = local.kind === BPF_CORE_TYPE_MATCHES
      ? typesMatch(local.btf, local.rootTypeId, tb, targId)
      : typesAreCompatible(local.btf, local.rootTypeId, tb, targId);
    return ok ? targ : undefined;
  }
  if (isEnumvalKind(local.kind)) {
    const t = skip(tb, targId);
    if (!isAnyEnum(t.t)) return undefined;
    const want = essentialName(local.spec[0]!.name!);
    const idx = t.t.values.findIndex((v) => essentialName(v.name) === want);
    if (idx < 0) return undefined;
    targ.spec.push({ typeId: t.id, idx, name: t.t.values[idx]!.name });
    targ.raw.push(idx);
    return targ;
  }
  let tid = targId;
  for (let i = 0; i < local.spec.length; i++) {
    const lacc = local.spec[i]!;
    const tt = skip(tb, tid);
    tid = tt.id;
    if (lacc.name !== undefined) {
      const r = matchMember(local.btf, lacc, tb, tid, targ, 0);
      if (!r.found) return undefined;
      tid = r.next!;
      continue;
    }
    if (i > 0) {
      if (tt.t.kind !== BTF_KIND_ARRAY) return undefined;
      if (!isFlexArray(tb, targ.spec[targ.spec.length - 1], tt.t.nelems) && lacc.idx >= tt.t.nelems) return undefined;
      tid = tb.skipMods(tt.t.type);
    }
    if (targ.raw.length === CORE_SPEC_MAX_LEN) throw new SpecError('target access is too deep');
    targ.spec.push({ typeId: tid, idx: lacc.idx });
    targ.raw.push(lacc.idx);
    targ.bitOffset += lacc.idx * tb.resolveSize(tid) * 8;
  }
  return targ;
}
