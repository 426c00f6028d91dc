import type { Arena, Region } from '../arena/index.js';
import { LD_IMM64, MAX_CALL_FRAMES, disasmInsn } from '../isa/index.js';
import type { Insn } from '../isa/index.js';
import { VmFault } from '../vm/index.js';
import type { FaultKind } from '../vm/index.js';
import { Fault } from './layout.js';

/** The instruction at a slot as faults print it (the interpreter's wording for a missing one). */
export function insnText(insns: readonly Insn[], pc: number): string {
  return insns[pc] ? disasmInsn(insns, pc) : `<no instruction at ${pc}>`;
}

function memFault(arena: Arena, insns: readonly Insn[], pc: number, kind: FaultKind, detail: string, addr: bigint, size: number): VmFault {
  const region = arena.nearest(Number(addr & 0xffffffffn));
  return new VmFault({ kind, pc, insnText: insnText(insns, pc), detail, addr, size, ...(region ? { region } : {}) });
}

/**
 * Checked mode's slow path: the region that holds the access at the 64-bit address `hi:lo`, or the
 * interpreter's VmFault for it (same kinds, details and fields), thrown.
 */
export function findRegion(arena: Arena, insns: readonly Insn[], pc: number, lo: number, hi: number, size: number, write: boolean): Region {
  const a = lo >>> 0;
  const addr = (BigInt(hi >>> 0) << 32n) | BigInt(a);
  const what = `${write ? 'store' : 'load'} of ${size} byte${size === 1 ? '' : 's'} at 0x${addr.toString(16)}`;
  if (hi !== 0) throw memFault(arena, insns, pc, 'out-of-bounds', `${what}: not an address in the machine's memory`, addr, size);
  const r = arena.find(a, size);
  if (!r) {
    const near = arena.nearest(a);
    const hint = near ? ` (nearest region ${near.name} spans 0x${near.start.toString(16)}..0x${(near.start + near.size).toString(16)})` : '';
    throw memFault(arena, insns, pc, 'out-of-bounds', `${what} is outside every mapped region${hint}`, addr, size);
  }
  if (write && !r.writable) throw memFault(arena, insns, pc, 'read-only', `${what} writes to read-only region ${r.name}`, addr, size);
  return r;
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
      detail = `the instruction budget of ${budget} ran out (an endless loop? raise the budget to run longer)`;
      break;
    case Fault.callDepth:
      kind = 'call-depth';
      detail = `the call would be frame ${arg + 2}; BPF allows ${MAX_CALL_FRAMES} frames`;
      break;
    case Fault.unknownHelper:
      kind = 'unknown-helper';
      detail = `helper ${arg} is not defined on this machine`;
      break;
    case Fault.kfunc:
      detail = `kfunc ${arg} cannot be called: no kfunc with that BTF id is defined on this machine`;
      break;
    case Fault.ldAbsInCall:
      detail = 'a failed LD_ABS/LD_IND inside a BPF function cannot unwind the caller';
      break;
    default:
      detail = 'opcode 0x00 is not a valid instruction';
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
    detail: `memory access outside the machine's memory (${e.message}); run in checked mode to see the address`,
  });
}
