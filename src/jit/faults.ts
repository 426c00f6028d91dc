import type { Arena, Region } from '../arena/index.js';
import { LD_IMM64, disasmInsn } from '../isa/index.js';
import type { Insn } from '../isa/index.js';
import { VmFault, accessFault, faultText } from '../vm/index.js';
import type { FaultKind } from '../vm/index.js';
import { Fault } from './layout.js';

/** The instruction at a slot as faults print it (the interpreter's wording for a missing one). */
export function insnText(insns: readonly Insn[], pc: number): string {
  return insns[pc] ? disasmInsn(insns, pc) : faultText.noInsn(pc);
}

/**
 * Checked mode's slow path: the region that holds the access at the 64-bit address `hi:lo`, or the
 * interpreter's VmFault for it (`accessFault`), thrown.
 */
export function findRegion(arena: Arena, insns: readonly Insn[], pc: number, lo: number, hi: number, size: number, write: boolean): Region {
  if (hi === 0) {
    const r = arena.find(lo >>> 0, size);
    if (r !== undefined && (!write || r.writable)) return r;
  }
  throw accessFault(arena, pc, insnText(insns, pc), lo, hi, size, write);
}

/** The slot of the instruction `skip` instructions after `start` in straight-line code. */
function nthInsn(insns: readonly Insn[], start: number, skip: number): number {
  let pc = start;
  for (let k = 0; k < skip; k++) pc += insns[pc]?.code === LD_IMM64 ? 2 : 1;
  return pc;
}

/** The VmFault for a `fault(reason, pc, arg)` call from a module, worded as the interpreter words it. */
export function programFault(insns: readonly Insn[], reason: number, pc: number, arg: number, budget: number): VmFault {
  let at = pc;
  let kind: FaultKind = 'unsupported';
  let detail: string;
  switch (reason) {
    case Fault.budget:
      at = nthInsn(insns, pc, arg);
      kind = 'budget';
      detail = faultText.budget(budget);
      break;
    case Fault.callDepth:
      kind = 'call-depth';
      detail = faultText.callDepth(arg);
      break;
    case Fault.unknownHelper:
      kind = 'unknown-helper';
      detail = faultText.unknownHelper(arg);
      break;
    case Fault.kfunc:
      detail = faultText.kfunc(arg);
      break;
    case Fault.ldAbsInCall:
      detail = faultText.ldAbsInCall;
      break;
    default:
      detail = faultText.invalidOpcode(0);
  }
  return new VmFault({ kind, pc: at, insnText: insnText(insns, at), detail });
}

/**
 * Unchecked mode: a WebAssembly trap (an access outside the memory) as the interpreter reports
 * a RangeError there. The instruction is found from the trap's code offset in the stack trace
 * (`wasm-function[i]:0x…`, printed by V8, SpiderMonkey and JavaScriptCore alike) through the pc
 * map recorded while emitting.
 */
export function trapFault(e: Error, insns: readonly Insn[], pcMap: Int32Array): VmFault {
  const m = /wasm-function\[\d+\]:0x([0-9a-f]+)/.exec(e.stack ?? '');
  let pc = -1;
  if (m) {
    const off = parseInt(m[1]!, 16);
    for (let k = 0; k < pcMap.length && pcMap[k]! <= off; k += 2) pc = pcMap[k + 1]!;
  }
  return new VmFault({
    kind: 'out-of-bounds', pc, insnText: pc >= 0 ? insnText(insns, pc) : '<unknown instruction>',
    detail: faultText.outsideMemory(e.message),
  });
}
