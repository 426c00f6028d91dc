import {
  BPF_ABS, BPF_ALU, BPF_ALU64, BPF_ATOMIC, BPF_CALL, BPF_CMPXCHG, BPF_END, BPF_EXIT, BPF_FETCH, BPF_IND,
  BPF_JA, BPF_JCOND, BPF_JMP, BPF_JMP32, BPF_K, BPF_LD, BPF_LDX, BPF_MOV, BPF_NEG, BPF_PSEUDO_CALL, BPF_PSEUDO_KFUNC_CALL,
  BPF_ST, BPF_X, LD_IMM64, insnClass, insnMode, insnOp, insnSrc, jumpTarget,
} from '../isa/index.js';
import type { Insn } from '../isa/index.js';
import { isTailCall } from './cfg.js';
import type { FunctionCfg, ProgramCfg } from './cfg.js';

/** Bit mask of r1..r5, the argument registers. */
export const ARG_REGS = 0b111110;
/** Bit mask of the registers a callee may read from its caller besides the arguments: r0 and r6..r9. */
export const EXTRA_PARAM_REGS = 0b1111000001;

/** Bit mask of every register r0..r10. */
const ALL_REGS = 0b11111111111;

/** What calls between the program's functions must carry, beyond r1..r5 in and r0 out. */
export interface CallShapes {
  /** Per function: registers of EXTRA_PARAM_REGS it may read before writing them (passed in by the caller). */
  readonly extraParams: readonly number[];
  /** Per function: registers of ARG_REGS some caller reads after the call before writing them (returned). */
  readonly extraResults: readonly number[];
  /** Per function: whether any of its instructions writes r10 (if not, r10 is its frame pointer throughout). */
  readonly writesR10: readonly boolean[];
  /** Registers of EXTRA_PARAM_REGS some callback reads from the frame of the helper that calls it. */
  readonly callbackParams: number;
  /** Per helper call slot, when the program has callbacks: r1..r5 read after the call, which a callback may have changed. */
  readonly helperLive: ReadonlyMap<number, number>;
}

const bit = (r: number): number => 1 << r;

function isBpfCall(ins: Insn | undefined): boolean {
  return ins !== undefined && insnClass(ins.code) === BPF_JMP && insnOp(ins.code) === BPF_CALL && !(ins.code & BPF_X) && ins.src === BPF_PSEUDO_CALL;
}

/** Whether the instruction calls a helper (directly or through a register), which may call back into the program. */
function isHelperCall(ins: Insn | undefined): boolean {
  if (ins === undefined || insnClass(ins.code) !== BPF_JMP || insnOp(ins.code) !== BPF_CALL) return false;
  return (ins.code & BPF_X) !== 0 || (ins.src === BPF_K && !isTailCall(ins));
}

/** Whether a function makes bpf-to-bpf calls (if the main program makes none, there is nothing to analyse). */
function calls(insns: readonly Insn[], fn: FunctionCfg): boolean {
  return fn.blocks.some((b) => b.pcs.some((pc) => isBpfCall(insns[pc])));
}

/** What the registers an instruction reads depend on beyond the instruction itself. */
interface UseContext {
  /** Registers of EXTRA_PARAM_REGS the callee at `entry` reads. */
  calleeParams(entry: number): number;
  /** Registers `exit` returns. */
  readonly exitUse: number;
  /** Registers a helper call reads: its arguments, and what callbacks read of the calling frame. */
  readonly helperUse: number;
}

/**
 * Registers read and written by the instruction at `pc`. A call reads what its callee needs; a
 * tail call (and `call %rN`, which may be one) reads every register, since its target starts with
 * them all.
 */
function useDef(insns: readonly Insn[], pc: number, ctx: UseContext): [number, number] {
  const ins = insns[pc];
  if (!ins) return [0, 0];
  const cls = insnClass(ins.code);
  const x = insnSrc(ins.code) === BPF_X;
  switch (cls) {
    case BPF_ALU:
    case BPF_ALU64: {
      const op = insnOp(ins.code);
      if (op === BPF_MOV) return [x ? bit(ins.src) : 0, bit(ins.dst)];
      if (op === BPF_NEG || op === BPF_END) return [bit(ins.dst), bit(ins.dst)];
      return [bit(ins.dst) | (x ? bit(ins.src) : 0), bit(ins.dst)];
    }
    case BPF_LD:
      if (ins.code === LD_IMM64) return [0, bit(ins.dst)];
      if (insnMode(ins.code) === BPF_IND) return [bit(ins.src), bit(0)];
      return insnMode(ins.code) === BPF_ABS ? [0, bit(0)] : [0, 0];
    case BPF_LDX: return [bit(ins.src), bit(ins.dst)];
    case BPF_ST: return [bit(ins.dst), 0];
    case BPF_JMP:
    case BPF_JMP32: {
      const op = insnOp(ins.code);
      if (op === BPF_EXIT) return [ctx.exitUse, 0];
      if (op === BPF_JA || op === BPF_JCOND) return [0, 0];
      if (op === BPF_CALL) {
        if (x) return [ALL_REGS, bit(0)];
        if (ins.src === BPF_PSEUDO_CALL) return [ARG_REGS | ctx.calleeParams(jumpTarget(insns, pc)!), bit(0) | ARG_REGS];
        if (isTailCall(ins)) return [ALL_REGS, 0];
        if (ins.src === BPF_K) return [ctx.helperUse, bit(0)];
        return ins.src === BPF_PSEUDO_KFUNC_CALL ? [ARG_REGS, bit(0)] : [0, 0];
      }
      return [bit(ins.dst) | (x ? bit(ins.src) : 0), 0];
    }
    default: {
      if (insnMode(ins.code) !== BPF_ATOMIC) return [bit(ins.dst) | bit(ins.src), 0];
      if (ins.imm === BPF_CMPXCHG) return [bit(ins.dst) | bit(ins.src) | bit(0), bit(0)];
      return [bit(ins.dst) | bit(ins.src), ins.imm & BPF_FETCH ? bit(ins.src) : 0];
    }
  }
}

const PLAIN: UseContext = { calleeParams: () => 0, exitUse: 0, helperUse: ARG_REGS };

/** Registers the instruction at `pc` writes. */
export function defs(insns: readonly Insn[], pc: number): number {
  return useDef(insns, pc, PLAIN)[1];
}

/**
 * Register liveness over every function, iterated to a fixed point across calls, to decide which
 * registers a bpf-to-bpf call passes beyond the kernel's convention. Verified programs never read
 * r0 or r6..r9 of the caller, nor r1..r5 after a call, so their calls carry just r1..r5 and r0;
 * unverified programs that do get exactly what the interpreter would give them. The main program
 * takes and returns every register it can (a tail call may enter it with any of them, and its
 * callers may read them all back); a callback takes what it reads of the frame of the helper that
 * calls it, and returns the r1..r5 that frame reads after the helper.
 */
export function callShapes(insns: readonly Insn[], prog: ProgramCfg): CallShapes {
  const fns = prog.functions;
  const extraParams = fns.map((_, i): number => (i === 0 ? EXTRA_PARAM_REGS : 0));
  const extraResults = fns.map((_, i): number => (i === 0 ? ARG_REGS : 0));
  const writesR10 = fns.map((fn) => fn.blocks.some((b) => b.pcs.some((pc) => (defs(insns, pc) & bit(10)) !== 0)));
  const helperLive = new Map<number, number>();
  const cbs = prog.callbacks.map((entry) => prog.index.get(entry)!);
  if (fns.length === 1 && !calls(insns, fns[0]!)) return { extraParams, extraResults, writesR10, callbackParams: 0, helperLive };
  let cbParams = 0;
  let cbResults = 0;
  for (let changed = true; changed;) {
    changed = false;
    fns.forEach((fn, fi) => {
      const ctx: UseContext = {
        calleeParams: (entry) => extraParams[prog.index.get(entry)!]!,
        exitUse: bit(0) | extraResults[fi]!,
        helperUse: ARG_REGS | cbParams,
      };
      const liveIn = new Int32Array(fn.blocks.length);
      for (let again = true; again;) {
        again = false;
        for (let bi = fn.blocks.length - 1; bi >= 0; bi--) {
          const b = fn.blocks[bi]!;
          let live = 0;
          for (const s of b.succs) live |= liveIn[s]!;
          for (let k = b.pcs.length - 1; k >= 0; k--) {
            const pc = b.pcs[k]!;
            const ins = insns[pc];
            if (isBpfCall(ins)) {
              const callee = prog.index.get(jumpTarget(insns, pc)!)!;
              const need = live & ARG_REGS;
              if ((extraResults[callee]! | need) !== extraResults[callee]) { extraResults[callee] = extraResults[callee]! | need; changed = true; }
            } else if (cbs.length > 0 && isHelperCall(ins)) {
              const need = live & ARG_REGS;
              helperLive.set(pc, (helperLive.get(pc) ?? 0) | need);
              if ((cbResults | need) !== cbResults) { cbResults |= need; changed = true; }
            }
            const [use, def] = useDef(insns, pc, ctx);
            live = (live & ~def) | use;
          }
          if (live !== liveIn[bi]) { liveIn[bi] = live; again = true; }
        }
      }
      if (fi === 0) return;
      const params = liveIn[fn.entryBlock]! & EXTRA_PARAM_REGS;
      if (params !== extraParams[fi]) { extraParams[fi] = params; changed = true; }
    });
    for (const fi of cbs) {
      if ((extraResults[fi]! | cbResults) !== extraResults[fi]) { extraResults[fi] = extraResults[fi]! | cbResults; changed = true; }
      if ((cbParams | extraParams[fi]!) !== cbParams) { cbParams |= extraParams[fi]!; changed = true; }
    }
  }
  return { extraParams, extraResults, writesR10, callbackParams: cbParams, helperLive };
}
