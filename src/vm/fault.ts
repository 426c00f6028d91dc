import { BpfError } from '../errors.js';
import type { Region } from '../arena/index.js';

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
