/*
 * What a load at an offset of a kernel struct reads, walking its BTF as Linux 6.18's
 * btf_struct_access does: nested structs and unions are entered, arrays are indexed by element
 * (an integer array may be read across elements, like scratch space), a pointer member must be
 * read whole and gives a pointer to its struct (or read-only untrusted memory for any other
 * pointee), a bitfield only by a load that covers it, a flexible array at the end repeats its
 * element. Walking through a union with more than one member makes the pointer untrusted.
 */
import { ERRNO } from '../../errno.js';
import { BtfPtrFlag, type StructAccess } from '../../verifier/index.js';
import type { Btf } from './btf.js';
import {
  BTF_KIND_ARRAY, BTF_KIND_INT, BTF_KIND_PTR, BTF_KIND_STRUCT, BTF_KIND_TYPE_TAG, BTF_KIND_UNION, isModifierKind,
  type BtfComposite, type BtfType,
} from './types.js';

const MAX_RESOLVE_DEPTH = 32;
/** Structs a walk may enter: each step goes one level deeper, so only a BTF whose structs contain themselves reaches it. */
const MAX_WALK_STEPS = 1024;

const TAG_FLAGS: Readonly<Record<string, number>> = { user: BtfPtrFlag.USER, percpu: BtfPtrFlag.PERCPU, rcu: BtfPtrFlag.RCU };

function isComposite(t: BtfType): t is BtfComposite {
  return t.kind === BTF_KIND_STRUCT || t.kind === BTF_KIND_UNION;
}

/** A member's type with modifiers and arrays resolved (__btf_resolve_size). */
interface Resolved {
  /** Bytes of the whole member. */
  readonly size: number;
  /** Elements, multi-dimensional arrays flattened (1 for a non-array). */
  readonly nelems: number;
  /** Whether the member is an array. */
  readonly array: boolean;
  /** The (element) type's id, modifiers skipped. */
  readonly elemId: number;
}

function resolveMember(btf: Btf, id: number): Resolved | undefined {
  let nelems = 1;
  let array = false;
  for (let depth = 0; depth < MAX_RESOLVE_DEPTH; depth++) {
    const t = btf.types[id];
    if (!t) return undefined;
    if (t.kind === BTF_KIND_ARRAY) {
      array = true;
      nelems *= t.nelems;
      id = t.type;
      continue;
    }
    if (isModifierKind(t.kind)) {
      id = (t as { type: number }).type;
      continue;
    }
    if (t.kind === BTF_KIND_PTR) return { size: 8 * nelems, nelems, array, elemId: id };
    if ('size' in t) return { size: t.size * nelems, nelems, array, elemId: id };
    return undefined;
  }
  return undefined;
}

function error(errno: number, message: string): StructAccess {
  return { kind: 'error', errno, message };
}

/** A pointer member (the PTR type `ptrId`): a struct pointer (with its type tag) or untrusted read-only memory. */
function pointerMember(btf: Btf, ptrId: number, flags: number, field: string): StructAccess {
  const target = (btf.type(ptrId) as { type: number }).type;
  const tag = btf.types[target];
  let tagFlag = 0;
  if (tag?.kind === BTF_KIND_TYPE_TAG && !tag.attribute) tagFlag = TAG_FLAGS[tag.name] ?? 0;
  const sid = btf.skipMods(target);
  if (isComposite(btf.type(sid))) return { kind: 'ptr', id: sid, flags: flags | tagFlag, field };
  return { kind: 'mem' };
}

/** btf_struct_access: what a load of `size` bytes at `off` in the struct `id` of `btf` gives. */
export function structAccess(btf: Btf, id: number, off: number, size: number): StructAccess {
  let flags = 0;
  for (let steps = 0; steps < MAX_WALK_STEPS; steps++) {
    id = btf.skipMods(id);
    const t = btf.type(id);
    if (!isComposite(t)) return error(ERRNO.EINVAL, `Type '${t.name}' is not a struct`);
    const tname = t.name;
    const members = t.members;
    if (t.kind === BTF_KIND_UNION && members.length !== 1) flags |= BtfPtrFlag.UNTRUSTED;
    if (off + size > t.size) {
      const beyond = error(ERRNO.EACCES, `access beyond struct ${tname} at off ${off >>> 0} size ${size}`);
      const last = members[members.length - 1];
      if (!last) return beyond;
      const arr = btf.type(btf.skipMods(last.type));
      if (arr.kind !== BTF_KIND_ARRAY || arr.nelems !== 0) return beyond;
      const moff = Math.floor(last.bitOffset / 8);
      if (off < moff) return beyond;
      const elemId = btf.skipMods(arr.type);
      const elem = btf.type(elemId);
      if (elem.kind === BTF_KIND_INT) return { kind: 'scalar' };
      if (!isComposite(elem)) return beyond;
      off = (off - moff) % elem.size;
      id = elemId;
      continue;
    }
    let next: number | undefined;
    for (const m of members) {
      let moff = Math.floor(m.bitOffset / 8);
      if (off + size <= moff) break;
      if (m.bitfieldSize) {
        if (off <= moff && Math.ceil((m.bitOffset + m.bitfieldSize) / 8) <= off + size) return { kind: 'scalar' };
        continue;
      }
      if (off < moff) break;
      const r = resolveMember(btf, m.type);
      if (!r) return error(ERRNO.EFAULT, `field ${m.name} doesn't have size`);
      const trueEnd = moff + r.size;
      if (off >= trueEnd) continue;
      let msize = r.size;
      if (r.array) {
        if (moff === trueEnd) continue;
        msize = r.size / r.nelems;
        moff += Math.floor((off - moff) / msize) * msize;
      }
      const mtype = btf.type(r.elemId);
      if (isComposite(mtype)) {
        off -= moff;
        next = r.elemId;
        break;
      }
      if (mtype.kind === BTF_KIND_PTR) {
        if (msize !== size || off !== moff) {
          return error(ERRNO.EACCES, `cannot access ptr member ${m.name} with moff ${moff} in struct ${tname} with off ${off} size ${size}`);
        }
        return pointerMember(btf, r.elemId, flags, m.name);
      }
      if (off + size > trueEnd && !(flags & BtfPtrFlag.UNTRUSTED)) {
        return error(ERRNO.EACCES, `access beyond the end of member ${m.name} (mend:${trueEnd}) in struct ${tname} with off ${off} size ${size}`);
      }
      return { kind: 'scalar' };
    }
    if (next === undefined) return error(ERRNO.EINVAL, `struct ${tname} doesn't have field at offset ${off}`);
    id = next;
  }
  return error(ERRNO.EINVAL, `struct ${btf.describe(id)} nests too deep`);
}
