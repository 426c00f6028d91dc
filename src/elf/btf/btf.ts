import { BtfError } from '../errors.js';
import {
  BTF_KIND_ARRAY, BTF_KIND_DATASEC, BTF_KIND_ENUM, BTF_KIND_ENUM64, BTF_KIND_FLOAT, BTF_KIND_INT,
  BTF_KIND_PTR, BTF_KIND_STRUCT, BTF_KIND_UNION, BTF_KIND_VAR, KIND_NAMES, isModifierKind,
  type BtfType,
} from './types.js';

/** Deepest chain of modifiers, typedefs and arrays bpfsim follows (the kernel's MAX_RESOLVE_DEPTH). */
const MAX_RESOLVE_DEPTH = 32;

/**
 * A set of BTF types with lookups: by id, by name and kind, size and alignment resolution. Built by
 * `parseBtf` from an object's `.BTF` or a vmlinux file, or by `BtfBuilder`. Immutable: fix-ups
 * produce a new Btf.
 */
export class Btf {
  /** Types by id; `types[0]` is void. */
  readonly types: readonly BtfType[];
  /** The raw string section this BTF was parsed from (empty for built BTF); kept so offsets stay valid. */
  readonly strings: Uint8Array;
  #byName: Map<string, number[]> | undefined;

  constructor(types: readonly BtfType[], strings: Uint8Array = new Uint8Array(1)) {
    this.types = types;
    this.strings = strings;
  }

  /** The type with id `id`; a BtfError for an id that does not exist. */
  type(id: number): BtfType {
    const t = this.types[id];
    if (!t) throw new BtfError({ section: '.BTF' }, `type id ${id} does not exist (${this.types.length} types)`);
    return t;
  }

  /** Ids of the types named `name` (optionally of one kind), in id order. */
  findAll(name: string, kind?: number): number[] {
    if (!this.#byName) {
      this.#byName = new Map();
      this.types.forEach((t, id) => {
        if (!t.name) return;
        const list = this.#byName!.get(t.name);
        if (list) list.push(id);
        else this.#byName!.set(t.name, [id]);
      });
    }
    const ids = this.#byName.get(name) ?? [];
    return kind === undefined ? ids : ids.filter((id) => this.types[id]!.kind === kind);
  }

  /** The first type named `name` (optionally of one kind), or undefined. */
  find(name: string, kind?: number): number | undefined {
    return this.findAll(name, kind)[0];
  }

  /** Follows typedefs, const/volatile/restrict and type tags to the underlying type's id. */
  skipMods(id: number): number {
    for (let depth = 0; depth <= this.types.length; depth++) {
      const t = this.type(id);
      if (!isModifierKind(t.kind)) return id;
      id = (t as { type: number }).type;
    }
    throw new BtfError({ section: '.BTF' }, `type [${id}] is part of a modifier loop`);
  }

  /** Size in bytes of a type, as `sizeof` gives it; a BtfError for void, functions and forward declarations. */
  resolveSize(id: number): number {
    let mult = 1;
    for (let depth = 0; depth < MAX_RESOLVE_DEPTH; depth++) {
      const t = this.type(id);
      switch (t.kind) {
        case BTF_KIND_INT: case BTF_KIND_STRUCT: case BTF_KIND_UNION: case BTF_KIND_ENUM:
        case BTF_KIND_ENUM64: case BTF_KIND_FLOAT: case BTF_KIND_DATASEC: {
          const size = t.size * mult;
          if (!Number.isSafeInteger(size) || size > 0xffffffff) throw this.#sizeError(id, 'is too large');
          return size;
        }
        case BTF_KIND_PTR:
          return 8 * mult;
        case BTF_KIND_ARRAY:
          mult *= t.nelems;
          id = t.type;
          break;
        case BTF_KIND_VAR:
          id = t.type;
          break;
        default:
          if (!isModifierKind(t.kind)) throw this.#sizeError(id, 'has no size');
          id = (t as { type: number }).type;
      }
    }
    throw this.#sizeError(id, `nests deeper than ${MAX_RESOLVE_DEPTH} levels`);
  }

  /** Alignment in bytes of a type, as the BPF target's C ABI lays it out. */
  alignment(id: number, nesting = 0): number {
    if (nesting > MAX_RESOLVE_DEPTH) throw this.#sizeError(id, `nests deeper than ${MAX_RESOLVE_DEPTH} levels`);
    for (let depth = 0; depth < MAX_RESOLVE_DEPTH; depth++) {
      const t = this.type(id);
      switch (t.kind) {
        case BTF_KIND_INT: case BTF_KIND_ENUM: case BTF_KIND_ENUM64: case BTF_KIND_FLOAT:
          return Math.min(Math.max(t.size, 1), 8);
        case BTF_KIND_PTR:
          return 8;
        case BTF_KIND_ARRAY: case BTF_KIND_VAR:
          id = t.type;
          break;
        case BTF_KIND_STRUCT: case BTF_KIND_UNION: {
          let align = 1;
          for (const m of t.members) {
            if (m.bitfieldSize === 0 && m.bitOffset % 8 === 0) align = Math.max(align, this.alignment(m.type, nesting + 1));
          }
          return align;
        }
        default:
          if (!isModifierKind(t.kind)) throw this.#sizeError(id, 'has no alignment');
          id = (t as { type: number }).type;
      }
    }
    throw this.#sizeError(id, `nests deeper than ${MAX_RESOLVE_DEPTH} levels`);
  }

  /** `STRUCT 'ethhdr'`: a type's kind and name, for messages. */
  describe(id: number): string {
    const t = this.types[id];
    if (!t) return `[${id}] <invalid>`;
    return `[${id}] ${KIND_NAMES[t.kind]} '${t.name || '<anon>'}'`;
  }

  #sizeError(id: number, what: string): BtfError {
    return new BtfError({ section: '.BTF' }, `type ${this.describe(id)} ${what}`);
  }
}
