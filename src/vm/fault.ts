import { BpfError } from '../errors.js';
import type { Arena, Region } from '../arena/index.js';

/** Why a run stopped abnormally. */
export type FaultKind =
  | 'out-of-bounds'
  | 'read-only'
  | 'budget'
  | 'call-depth'
  | 'unknown-helper'
  | 'unsupported'
  | 'helper';

/** Details of a fault, for `VmFault`. */
export interface FaultInfo {
  /** What went wrong. */
  readonly kind: FaultKind;
  /** Index of the faulting instruction slot. */
  readonly pc: number;
  /** The instruction as the disassembler prints it. */
  readonly insnText: string;
  /** The sentence that explains the fault. */
  readonly detail: string;
  /** The address accessed, for memory faults. */
  readonly addr?: bigint;
  /** Bytes accessed, for memory faults. */
  readonly size?: number;
  /** The region the address falls in or is nearest to, for memory faults. */
  readonly region?: Region;
  /** `file.c:42: source text` when line info is known. */
  readonly sourceLine?: string;
}

/**
 * A run that stopped at an instruction: an out-of-bounds or read-only access in checked mode, an
 * exhausted instruction budget, too deep a call chain, an unknown helper.
 */
export class VmFault extends BpfError implements FaultInfo {
  readonly kind: FaultKind;
  readonly pc: number;
  readonly insnText: string;
  readonly detail: string;
  readonly addr?: bigint;
  readonly size?: number;
  readonly region?: Region;
  readonly sourceLine?: string;

  constructor(info: FaultInfo) {
    const where = info.sourceLine ? ` [${info.sourceLine}]` : '';
    super('EFAULT', `fault at insn ${info.pc} (${info.insnText})${where}: ${info.detail}`);
    this.kind = info.kind;
    this.pc = info.pc;
    this.insnText = info.insnText;
    this.detail = info.detail;
    if (info.addr !== undefined) this.addr = info.addr;
    if (info.size !== undefined) this.size = info.size;
    if (info.region !== undefined) this.region = info.region;
    if (info.sourceLine !== undefined) this.sourceLine = info.sourceLine;
  }
}

/**
 * The VmFault for a memory access that checked mode refuses at the 64-bit address `hi:lo` (an
 * address with its high half set, outside every region, or a store to a read-only region), with
 * the same wording on every engine.
 */
export function accessFault(arena: Arena, pc: number, insnText: string, lo: number, hi: number, size: number, write: boolean): VmFault {
  const a = lo >>> 0;
  const addr = (BigInt(hi >>> 0) << 32n) | BigInt(a);
  const what = `${write ? 'store' : 'load'} of ${size} byte${size === 1 ? '' : 's'} at 0x${addr.toString(16)}`;
  const fault = (kind: FaultKind, detail: string): VmFault => {
    const region = arena.nearest(a);
    return new VmFault({ kind, pc, insnText, detail, addr, size, ...(region ? { region } : {}) });
  };
  if (hi !== 0) return fault('out-of-bounds', `${what}: not an address in the machine's memory`);
  const r = arena.find(a, size);
  if (!r) {
    const near = arena.nearest(a);
    const hint = near ? ` (nearest region ${near.name} spans 0x${near.start.toString(16)}..0x${(near.start + near.size).toString(16)})` : '';
    return fault('out-of-bounds', `${what} is outside every mapped region${hint}`);
  }
  return fault('read-only', `${what} writes to read-only region ${r.name}`);
}
