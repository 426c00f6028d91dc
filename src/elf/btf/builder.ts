/*
 * Building BTF in code: named helpers for each kind and C struct layout (natural alignment, SysV
 * bitfield placement) so that a struct can be described by its members alone. Used for bpfsim's
 * own target BTF and in tests.
 */
import { BtfError } from '../errors.js';
import { Btf } from './btf.js';
import {
  BTF_FUNC_GLOBAL, BTF_KIND_ARRAY, BTF_KIND_CONST, BTF_KIND_DATASEC,
  BTF_KIND_ENUM, BTF_KIND_ENUM64, BTF_KIND_FUNC, BTF_KIND_FUNC_PROTO, BTF_KIND_FWD, BTF_KIND_INT, BTF_KIND_PTR,
  BTF_KIND_STRUCT, BTF_KIND_TYPEDEF, BTF_KIND_UNION, BTF_KIND_VAR, BTF_KIND_VOLATILE, BTF_VAR_GLOBAL_ALLOCATED,
  type BtfMember, type BtfType,
} from './types.js';

/** A member to lay out: name, type id and, for a bitfield, its width in bits. */
export type MemberDecl = readonly [name: string, type: number, bitfieldSize?: number];

/** Builds a Btf type by type; each method returns the new type's id. */
export class BtfBuilder {
  readonly #types: (BtfType | undefined)[] = [{ kind: 0, name: '' }];
  #arrayIndex: number | undefined;

  /** Appends a type as is. */
  add(t: BtfType): number {
    this.#types.push(t);
    return this.#types.length - 1;
  }

  /** Reserves an id to fill later with `set` (for types that refer to themselves). */
  reserve(): number {
    this.#types.push(undefined);
    return this.#types.length - 1;
  }

  /** Fills a reserved id. */
  set(id: number, t: BtfType): number {
    this.#types[id] = t;
    return id;
  }

  /** An integer type; `encoding` is BTF_INT_SIGNED, BTF_INT_CHAR, BTF_INT_BOOL or 0. */
  int(name: string, size: number, encoding = 0): number {
    return this.add({ kind: BTF_KIND_INT, name, size, encoding, offset: 0, bits: size * 8 });
  }

  /** A pointer to `type`. */
  ptr(type: number): number {
    return this.add({ kind: BTF_KIND_PTR, name: '', type });
  }

  /** A typedef. */
  typedef(name: string, type: number): number {
    return this.add({ kind: BTF_KIND_TYPEDEF, name, type });
  }

  /** `const type`. */
  const(type: number): number {
    return this.add({ kind: BTF_KIND_CONST, name: '', type });
  }

  /** `volatile type`. */
  volatile(type: number): number {
    return this.add({ kind: BTF_KIND_VOLATILE, name: '', type });
  }

  /** An array of `nelems` elements (index type: clang's `__ARRAY_SIZE_TYPE__`). */
  array(type: number, nelems: number): number {
    this.#arrayIndex ??= this.add({ kind: BTF_KIND_INT, name: '__ARRAY_SIZE_TYPE__', size: 4, encoding: 0, offset: 0, bits: 32 });
    return this.add({ kind: BTF_KIND_ARRAY, name: '', type, indexType: this.#arrayIndex, nelems });
  }

  /** A forward declaration. */
  fwd(name: string, union = false): number {
    return this.add({ kind: BTF_KIND_FWD, name, union });
  }

  /** A struct laid out as the C compiler would; `into` fills a reserved id. */
  struct(name: string, members: readonly MemberDecl[], into?: number): number {
    return this.#composite(BTF_KIND_STRUCT, name, members, into);
  }

  /** A union (every member at offset 0). */
  union(name: string, members: readonly MemberDecl[], into?: number): number {
    return this.#composite(BTF_KIND_UNION, name, members, into);
  }

  /** An enum; values beyond 32 bits make an ENUM64. */
  enum(name: string, values: readonly (readonly [string, number | bigint])[], size = 4, signed = false): number {
    const vals = values.map(([n, v]) => ({ name: n, value: BigInt(v) }));
    const kind = size > 4 ? BTF_KIND_ENUM64 : BTF_KIND_ENUM;
    return this.add({ kind, name, size, signed, values: vals });
  }

  /** A function prototype; params as `[name, type]`. */
  funcProto(ret: number, params: readonly (readonly [string, number])[]): number {
    return this.add({ kind: BTF_KIND_FUNC_PROTO, name: '', type: ret, params: params.map(([n, t]) => ({ name: n, type: t })) });
  }

  /** A function with prototype `proto`. */
  func(name: string, proto: number, linkage = BTF_FUNC_GLOBAL): number {
    return this.add({ kind: BTF_KIND_FUNC, name, type: proto, linkage });
  }

  /** A variable. */
  var(name: string, type: number, linkage = BTF_VAR_GLOBAL_ALLOCATED): number {
    return this.add({ kind: BTF_KIND_VAR, name, type, linkage });
  }

  /** A data section of variables, each at its given offset. */
  datasec(name: string, size: number, vars: readonly (readonly [type: number, offset: number, size: number])[]): number {
    return this.add({ kind: BTF_KIND_DATASEC, name, size, vars: vars.map(([type, offset, sz]) => ({ type, offset, size: sz })) });
  }

  /** The BTF built so far. */
  build(): Btf {
    const types = this.#types.map((t, id) => {
      if (!t) throw new BtfError({ section: `type [${id}]` }, 'reserved but never filled');
      return t;
    });
    return new Btf(types);
  }

  #view(): Btf {
    return new Btf(this.#types.map((t) => t ?? { kind: 0, name: '' }));
  }

  #composite(kind: typeof BTF_KIND_STRUCT | typeof BTF_KIND_UNION, name: string, decls: readonly MemberDecl[], into?: number): number {
    const btf = this.#view();
    const members: BtfMember[] = [];
    let bit = 0;
    let maxAlign = 1;
    let end = 0;
    for (const [mname, type, width = 0] of decls) {
      const size = btf.resolveSize(type);
      const align = btf.alignment(type);
      maxAlign = Math.max(maxAlign, align);
      let at: number;
      if (kind === BTF_KIND_UNION) {
        at = 0;
      } else if (width > 0) {
        // SysV: a bitfield stays in the current unit of its type unless it would straddle one.
        const unit = size * 8;
        at = Math.floor(bit / unit) === Math.floor((bit + width - 1) / unit) ? bit : Math.ceil(bit / unit) * unit;
      } else {
        at = Math.ceil(bit / (align * 8)) * align * 8;
      }
      members.push({ name: mname, type, bitOffset: at, bitfieldSize: width });
      const memberEnd = at + (width > 0 ? width : size * 8);
      end = Math.max(end, memberEnd);
      if (kind === BTF_KIND_STRUCT) bit = memberEnd;
    }
    const size = Math.ceil(end / 8 / maxAlign) * maxAlign;
    const t: BtfType = { kind, name, size, bitfields: members.some((m) => m.bitfieldSize > 0), members };
    return into === undefined ? this.add(t) : this.set(into, t);
  }
}
