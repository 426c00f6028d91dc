import { helperId } from '../isa/index.js';
import { helperAllowed } from './progTypes.js';
import type { HelperProto } from './proto.js';
import type { HelperDef, HelperImpl } from './types.js';

/** A helper definition by its kernel name (`bpf_` prefix optional), prototype and implementation. */
export function defineHelper(name: string, proto: HelperProto, impl: HelperImpl): HelperDef {
  const id = helperId(name);
  if (id === undefined) throw new RangeError(`'${name}' is not a helper the kernel knows`);
  return { id, name: name.startsWith('bpf_') ? name : `bpf_${name}`, impl, proto };
}

/**
 * A helper table keyed by kernel helper id, as the VM dispatches through it. A Machine starts with
 * the default table; tests and embedders may add or replace entries (the bpf_conformance suite
 * installs its own helper 5, for example).
 */
export class HelperTable {
  private readonly byId: (HelperDef | undefined)[] = [];

  constructor(defs: Iterable<HelperDef> = []) {
    for (const d of defs) this.define(d);
  }

  /** Adds or replaces a helper. */
  define(def: HelperDef): this {
    this.byId[def.id] = def;
    return this;
  }

  /** Adds or replaces a helper by id, name and implementation. */
  set(id: number, name: string, impl: HelperImpl): this {
    return this.define({ id, name, impl });
  }

  /** The helper with this id, if any. */
  get(id: number): HelperDef | undefined {
    return id >= 0 ? this.byId[id] : undefined;
  }

  /** The prototype of helper `id` (what a verifier checks), if bpfsim has one. */
  proto(id: number): HelperProto | undefined {
    return this.get(id)?.proto;
  }

  /** Whether a program of type `progType` may call helper `id`, by the kernel's rules (true for types whose rules bpfsim does not know). */
  allowed(id: number, progType: number): boolean {
    return helperAllowed(progType, id) ?? true;
  }

  /** The implementations indexed by id, for the interpreter's dispatch. */
  impls(): (HelperImpl | undefined)[] {
    return this.byId.map((d) => d?.impl);
  }

  /** Every defined helper, by id. */
  list(): HelperDef[] {
    return this.byId.filter((d): d is HelperDef => d !== undefined);
  }

  /**
   * The helpers a program of type `progType` may call here: defined in this table and allowed for
   * that type by the kernel's rules (every defined helper for a type whose rules bpfsim does not know).
   */
  forProgType(progType: number): HelperDef[] {
    return this.list().filter((d) => helperAllowed(progType, d.id) !== false);
  }

  /** A copy that can be changed without affecting this table. */
  clone(): HelperTable {
    return new HelperTable(this.list());
  }
}
