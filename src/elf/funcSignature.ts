/*
 * A BTF FUNC's linkage and prototype in the terms the verifier checks global functions by: each
 * parameter an integer/enum, a pointer (with what it points to and that type's size) or something
 * else, its `arg:` declaration tags, and whether the function returns an integer or enum. The
 * verifier decides from these what the kernel would (a context pointer, memory of N bytes, a
 * refusal), without reading BTF itself.
 */
import type { FuncLinkage, FuncParam, FuncPointee, FuncSignature } from '../vm/backend.js';
import type { Btf } from './btf/btf.js';
import {
  BTF_FUNC_GLOBAL, BTF_FUNC_STATIC, BTF_KIND_DECL_TAG, BTF_KIND_ENUM, BTF_KIND_ENUM64, BTF_KIND_FUNC,
  BTF_KIND_FUNC_PROTO, BTF_KIND_INT, BTF_KIND_PTR, BTF_KIND_UNKN, KIND_NAMES, type BtfDeclTag,
} from './btf/types.js';
import { BtfError } from './errors.js';

const ARG_TAG = 'arg:';

/** The kernel's name of a BTF kind (btf_type_str): `UNKNOWN` for void. */
function kindName(kind: number): string {
  return kind === BTF_KIND_UNKN ? 'UNKNOWN' : KIND_NAMES[kind] ?? 'UNKNOWN';
}

function isScalarKind(kind: number): boolean {
  return kind === BTF_KIND_INT || kind === BTF_KIND_ENUM || kind === BTF_KIND_ENUM64;
}

function sizeOf(btf: Btf, id: number): number | undefined {
  try {
    return btf.resolveSize(id);
  } catch (e) {
    if (e instanceof BtfError) return undefined;
    throw e;
  }
}

function pointee(btf: Btf, ptrTarget: number): FuncPointee {
  const id = btf.skipMods(ptrTarget);
  const t = btf.type(id);
  const size = sizeOf(btf, id);
  return { kind: kindName(t.kind), name: t.name, ...(size === undefined ? {} : { size }) };
}

function argTags(btf: Btf, funcId: number, nparams: number): string[][] {
  const tags: string[][] = Array.from({ length: nparams }, () => []);
  for (const t of btf.types) {
    if (t.kind !== BTF_KIND_DECL_TAG) continue;
    const tag = t as BtfDeclTag;
    if (tag.type !== funcId || !tag.name.startsWith(ARG_TAG)) continue;
    tags[tag.componentIdx]?.push(tag.name.slice(ARG_TAG.length));
  }
  return tags;
}

/** A FUNC's linkage as `ProgramFuncInfo` carries it (static for an id that is not a FUNC). */
export function funcLinkage(btf: Btf, funcId: number): FuncLinkage {
  const t = btf.types[funcId];
  if (t?.kind !== BTF_KIND_FUNC) return 'static';
  if (t.linkage === BTF_FUNC_STATIC) return 'static';
  return t.linkage === BTF_FUNC_GLOBAL ? 'global' : 'extern';
}

/** The prototype of FUNC `funcId`, or undefined when it is not a FUNC with a well-formed FUNC_PROTO. */
export function funcSignature(btf: Btf, funcId: number): FuncSignature | undefined {
  try {
    return signature(btf, funcId);
  } catch (e) {
    if (e instanceof BtfError) return undefined;
    throw e;
  }
}

function signature(btf: Btf, funcId: number): FuncSignature | undefined {
  const fn = btf.types[funcId];
  if (fn?.kind !== BTF_KIND_FUNC) return undefined;
  const proto = btf.type(fn.type);
  if (proto.kind !== BTF_KIND_FUNC_PROTO) return undefined;
  const tags = argTags(btf, funcId, proto.params.length);
  const params = proto.params.map((p, i): FuncParam => {
    const t = btf.type(btf.skipMods(p.type));
    const kind = isScalarKind(t.kind) ? 'scalar' : t.kind === BTF_KIND_PTR ? 'pointer' : 'other';
    return {
      kind, btfKind: kindName(t.kind), tags: tags[i]!,
      ...(t.kind === BTF_KIND_PTR ? { pointee: pointee(btf, t.type) } : {}),
    };
  });
  return { params, returnsScalar: isScalarKind(btf.type(btf.skipMods(proto.type)).kind) };
}
