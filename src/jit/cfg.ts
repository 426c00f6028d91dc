import {
  BPF_CALL, BPF_EXIT, BPF_JA, BPF_JMP, BPF_JMP32, BPF_K, BPF_PSEUDO_CALL, BPF_PSEUDO_FUNC, BPF_X, LD_IMM64,
  insnClass, insnOp, insnSrc, jumpTarget,
} from '../isa/index.js';
import { BPF_FUNC_tail_call } from '../vm/index.js';
import type { Insn } from '../isa/index.js';

/** How a basic block ends: at `exit`, an unconditional jump, a conditional jump (or may_goto), by falling into the next block, or past the last slot. */
export type TermKind = 'exit' | 'goto' | 'cond' | 'fall' | 'off-end';

/** A straight-line run of instructions of one BPF function. */
export interface BasicBlock {
  /** Index in `FunctionCfg.blocks`. */
  readonly id: number;
  /** Instruction slots in execution order (an LD_IMM64 once); the terminator is last. `[n]` for the off-end block. */
  readonly pcs: readonly number[];
  /** How it ends. */
  readonly term: TermKind;
  /** Successor block ids; for `cond`, `[taken, fall-through]`. */
  readonly succs: readonly number[];
}

/** One BPF function (the main program or a bpf-to-bpf call target) as a control-flow graph. */
export interface FunctionCfg {
  /** Slot of its first instruction. */
  readonly entry: number;
  /** Its basic blocks: every slot reachable from the entry without following calls. */
  readonly blocks: readonly BasicBlock[];
  /** Id of the entry block. */
  readonly entryBlock: number;
}

/** Every function of a program: [0] is the main program. */
export interface ProgramCfg {
  /** The functions, in discovery order. */
  readonly functions: readonly FunctionCfg[];
  /** Function index by entry slot. */
  readonly index: ReadonlyMap<number, number>;
  /** Entry slots of the functions that LD_IMM64 src 4 refers to: the callbacks helpers may call. */
  readonly callbacks: readonly number[];
}

/** Where control goes after slot `pc`: the fall-through slot (or null) and the jump target (or null). */
interface Flow {
  readonly next: number | null;
  readonly target: number | null;
  /** `call`: a bpf-to-bpf call (target: the callee); `split`: a call after which a block ends; `func`: a callback reference. */
  readonly kind: 'exit' | 'goto' | 'cond' | 'call' | 'split' | 'func' | 'plain';
}

/** What the graph builder must know of the whole program. */
interface Shape {
  /** 1 at every slot an instruction starts at (not the second half of an LD_IMM64). */
  readonly starts: Uint8Array;
  /** Whether helpers may call back into the program, so that blocks end after helper calls. */
  readonly callbacks: boolean;
}

/** The slot a callback reference (LD_IMM64 src 4) at `pc` names, or null when it names no function a helper could call. */
function callbackTarget(insns: readonly Insn[], starts: Uint8Array, pc: number): number | null {
  const ins = insns[pc]!;
  if (ins.code !== LD_IMM64 || ins.src !== BPF_PSEUDO_FUNC) return null;
  const t = pc + 1 + ins.imm;
  return t > 0 && t < insns.length && starts[t] ? t : null;
}

/** Whether the instruction at `pc` is `call bpf_tail_call`, which the JIT carries out itself. */
export function isTailCall(ins: Insn): boolean {
  return ins.code === (BPF_JMP | BPF_CALL) && ins.src === BPF_K && ins.imm === BPF_FUNC_tail_call;
}

function flow(insns: readonly Insn[], shape: Shape, pc: number): Flow {
  const ins = insns[pc]!;
  if (ins.code === LD_IMM64) {
    const t = callbackTarget(insns, shape.starts, pc);
    return { next: pc + 2, target: t, kind: t === null ? 'plain' : 'func' };
  }
  const cls = insnClass(ins.code);
  if (cls !== BPF_JMP && cls !== BPF_JMP32) return { next: pc + 1, target: null, kind: 'plain' };
  const op = insnOp(ins.code);
  if (op === BPF_EXIT) return { next: null, target: null, kind: 'exit' };
  if (op === BPF_CALL) {
    if (insnSrc(ins.code) === BPF_K && ins.src === BPF_PSEUDO_CALL) return { next: pc + 1, target: jumpTarget(insns, pc), kind: 'call' };
    // A tail call or `call %rN` (which may be one) may leave the block; a helper may run callbacks.
    const split = insnSrc(ins.code) === BPF_X || isTailCall(ins) || (shape.callbacks && ins.src === BPF_K);
    return { next: pc + 1, target: null, kind: split ? 'split' : 'plain' };
  }
  if (op === BPF_JA) return { next: null, target: jumpTarget(insns, pc), kind: 'goto' };
  return { next: pc + 1, target: jumpTarget(insns, pc), kind: 'cond' };
}

/**
 * The control-flow graph of the function starting at `entry`; adds the entries of the functions it
 * calls to `callees` and those it refers to as callbacks to `refs`.
 */
function buildFunction(insns: readonly Insn[], shape: Shape, entry: number, callees: number[], refs: number[]): FunctionCfg {
  const n = insns.length;
  const reached = new Uint8Array(n + 1);
  const leader = new Uint8Array(n + 1);
  leader[entry] = 1;
  leader[n] = 1;
  const work = [entry];
  while (work.length > 0) {
    const pc = work.pop()!;
    if (reached[pc]) continue;
    reached[pc] = 1;
    if (pc === n) continue;
    const f = flow(insns, shape, pc);
    if (f.kind === 'call') callees.push(f.target!);
    else if (f.kind === 'func') refs.push(f.target!);
    else if (f.target !== null) { leader[f.target] = 1; work.push(f.target); }
    if (f.next !== null) {
      if (f.kind === 'cond' || f.kind === 'call' || f.kind === 'split') leader[f.next] = 1;
      work.push(f.next);
    }
  }
  const idOf = new Int32Array(n + 1).fill(-1);
  let count = 0;
  for (let pc = 0; pc <= n; pc++) if (leader[pc] && reached[pc]) idOf[pc] = count++;
  const blocks: BasicBlock[] = [];
  for (let start = 0; start <= n; start++) {
    if (idOf[start]! < 0) continue;
    const pcs: number[] = [];
    let pc = start;
    for (;;) {
      pcs.push(pc);
      if (pc === n) { blocks.push({ id: idOf[start]!, pcs, term: 'off-end', succs: [] }); break; }
      const f = flow(insns, shape, pc);
      if (f.kind === 'exit') { blocks.push({ id: idOf[start]!, pcs, term: 'exit', succs: [] }); break; }
      if (f.kind === 'goto') { blocks.push({ id: idOf[start]!, pcs, term: 'goto', succs: [idOf[f.target!]!] }); break; }
      if (f.kind === 'cond') { blocks.push({ id: idOf[start]!, pcs, term: 'cond', succs: [idOf[f.target!]!, idOf[f.next!]!] }); break; }
      if (leader[f.next!]) { blocks.push({ id: idOf[start]!, pcs, term: 'fall', succs: [idOf[f.next!]!] }); break; }
      pc = f.next!;
    }
  }
  return { entry, blocks, entryBlock: idOf[entry]! };
}

/** 1 at every slot an instruction starts at. */
function insnStarts(insns: readonly Insn[]): Uint8Array {
  const starts = new Uint8Array(insns.length);
  for (let pc = 0; pc < insns.length; pc += insns[pc]!.code === LD_IMM64 ? 2 : 1) starts[pc] = 1;
  return starts;
}

/**
 * Splits a validated program into its functions and their basic blocks. A function is everything
 * reachable from its entry: the main program, bpf-to-bpf call targets and callbacks (functions an
 * LD_IMM64 src 4 refers to); code reachable from two entries (possible in unverified programs)
 * belongs to both. Blocks end at jumps, at `exit`, before jump targets, and after calls that may
 * run other BPF code — bpf-to-bpf calls, tail calls, `call %rN`, and helper calls when the program
 * has callbacks — so that instruction counting in checked mode is exact across them.
 */
export function buildProgramCfg(insns: readonly Insn[]): ProgramCfg {
  const starts = insnStarts(insns);
  const shape: Shape = { starts, callbacks: insns.some((_, pc) => callbackTarget(insns, starts, pc) !== null) };
  const functions: FunctionCfg[] = [];
  const index = new Map<number, number>();
  const callbacks = new Set<number>();
  const queue = [0];
  while (queue.length > 0) {
    const entry = queue.shift()!;
    if (index.has(entry)) continue;
    index.set(entry, functions.length);
    const callees: number[] = [];
    const refs: number[] = [];
    functions.push(buildFunction(insns, shape, entry, callees, refs));
    for (const r of refs) callbacks.add(r);
    queue.push(...callees, ...refs);
  }
  return { functions, index, callbacks: [...callbacks].sort((a, b) => a - b) };
}
