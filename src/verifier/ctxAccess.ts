/**
 * Context access, pluggable per program type: a `CtxAccessTable` answers the kernel's
 * `is_valid_access` for one program type (may a load or store of `size` bytes at `off` touch the
 * context, and does a load give a scalar or a packet pointer). The verifier takes the table from
 * its options; by default `ctxAccessTable` reads the context layouts of the program-type layer
 * (measured on Linux 6.18). A type without a layout has every context access refused with a
 * message that says so, rather than guessed.
 */
import { ctxAccess, type CtxPtr } from '../vm/progtypes/ctx/access.js';
import { ctxLayout } from '../vm/progtypes/ctx/layouts.js';
import { RegType } from './regState.js';

/**
 * What a context access gives: a scalar or a packet pointer; `null` for a pointer field the
 * verifier does not track yet (sockets, flow keys).
 */
export type CtxFieldType = typeof RegType.SCALAR | typeof RegType.PKT | typeof RegType.PKT_META | typeof RegType.PKT_END | null;

/** is_valid_access for one program type. */
export interface CtxAccessTable {
  /**
   * The type a load of `size` bytes at `off` gives (any type when a store is allowed), or
   * undefined when the kernel refuses the access.
   */
  access(off: number, size: number, write: boolean, expectedAttachType: number): CtxFieldType | undefined;
}

const PTR_TYPES: Readonly<Partial<Record<CtxPtr, CtxFieldType>>> = { pkt: RegType.PKT, pkt_end: RegType.PKT_END, pkt_meta: RegType.PKT_META };

/** The context access table of a program type, from its context layout, or undefined when bpfsim has none. */
export function ctxAccessTable(progType: number): CtxAccessTable | undefined {
  if (!ctxLayout(progType)) return undefined;
  return {
    access(off, size, write, attach) {
      const layout = ctxLayout(progType, attach);
      const f = layout && ctxAccess(layout, off, size, write);
      if (!f) return undefined;
      if (!f.ptr || write || size !== f.size) return RegType.SCALAR;
      return PTR_TYPES[f.ptr] ?? null;
    },
  };
}
