import type { HelperDef, HelperImpl } from './types.js';

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

  /** The implementations indexed by id, for the interpreter's dispatch. */
  impls(): (HelperImpl | undefined)[] {
    return this.byId.map((d) => d?.impl);
  }

  /** Every defined helper, by id. */
  list(): HelperDef[] {
    return this.byId.filter((d): d is HelperDef => d !== undefined);
  }

  /** A copy that can be changed without affecting this table. */
  clone(): HelperTable {
    return new HelperTable(this.list());
  }
}
