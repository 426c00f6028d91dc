/**
 * Context access, pluggable per program type: a `CtxAccessTable` answers the kernel's
 * `is_valid_access` for one program type (may a load or store of `size` bytes at `off` touch the
 * context, and does a load give a scalar or a packet pointer). The verifier takes the table from
 * its options; `ctxAccessTable` gives the tables bpfsim has, keyed by program type. A type without
 * a table has every context access refused with a message that says so, rather than guessed.
 */
import { XdpMd, XDP_MD_SIZE } from '../vm/progtypes/xdp.js';
import { BPF_PROG_TYPE_XDP, BPF_XDP_DEVMAP } from '../uapi.js';
import { RegType } from './regState.js';

/** What a context load yields: a scalar, or one of the packet pointers. */
export type CtxFieldType = typeof RegType.SCALAR | typeof RegType.PKT | typeof RegType.PKT_META | typeof RegType.PKT_END;

/** is_valid_access for one program type. */
export interface CtxAccessTable {
  /** Size of the context structure in bytes. */
  readonly size: number;
  /**
   * The type a load of `size` bytes at `off` gives (or, for a store, any value when it is
   * allowed), or undefined when the kernel refuses the access.
   */
  access(off: number, size: number, write: boolean, expectedAttachType: number): CtxFieldType | undefined;
}

/** xdp_is_valid_access (Linux 6.18): 4-byte reads only, egress_ifindex for devmap programs only. */
export const xdpCtxAccess: CtxAccessTable = {
  size: XDP_MD_SIZE,
  access(off, size, write, expectedAttachType) {
    if (off === XdpMd.egress_ifindex && expectedAttachType !== BPF_XDP_DEVMAP) return undefined;
    if (write || off < 0 || off >= XDP_MD_SIZE || size !== 4 || off % 4 !== 0) return undefined;
    if (off === XdpMd.data) return RegType.PKT;
    if (off === XdpMd.data_meta) return RegType.PKT_META;
    if (off === XdpMd.data_end) return RegType.PKT_END;
    return RegType.SCALAR;
  },
};

const TABLES: ReadonlyMap<number, CtxAccessTable> = new Map([[BPF_PROG_TYPE_XDP, xdpCtxAccess]]);

/** The context access table bpfsim has for a program type, if any. */
export function ctxAccessTable(progType: number): CtxAccessTable | undefined {
  return TABLES.get(progType);
}
