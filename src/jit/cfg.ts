import {
  BPF_CALL, BPF_EXIT, BPF_JA, BPF_JMP, BPF_JMP32, BPF_K, BPF_PSEUDO_CALL, LD_IMM64, insnClass, insnOp,
  insnSrc, jumpTarget,
} from '../isa/index.js';
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
}

/** Where control goes after slot `pc`: the fall-through slot (or null) and the jump target (or null). */
interface Flow { readonly next: number | null; readonly target: number | null; readonly kind: 'exit' | 'goto' | 'cond' | 'call' | 'plain' }

function flow(insns: readonly Insn[], pc: number): Flow {
  const ins = insns[pc]!;
  if (ins.code === LD_IMM64) return { next: pc + 2, target: null, kind: 'plain' };
  const cls = insnClass(ins.code);
  if (cls !== BPF_JMP && cls !== BPF_JMP32) return { next: pc + 1, target: null, kind: 'plain' };
  const op = insnOp(ins.code);
  if (op === BPF_EXIT) return { next: null, target: null, kind: 'exit' };
  if (op === BPF_CALL) {
    const pseudo = insnSrc(ins.code) === BPF_K && ins.src === BPF_PSEUDO_CALL;
    return { next: pc + 1, target: pseudo ? jumpTarget(insns, pc) : null, kind: pseudo ? 'call' : 'plain' };
  }
  if (op === BPF_JA) return { next: null, target: jumpTarget(insns, pc), kind: 'goto' };
  return { next: pc + 1, target: jumpTarget(insns, pc), kind: 'cond' };
}

/** The control-flow graph of the function starting at `entry`; adds the entries of the functions it calls to `callees`. */
function buildFunction(insns: readonly Insn[], entry: number, callees: number[]): FunctionCfg {
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
    const f = flow(insns, pc);
    if (f.kind === 'call') callees.push(f.target!);
    else if (f.target !== null) { leader[f.target] = 1; work.push(f.target); }
    if (f.next !== null) {
      if (f.kind === 'cond' || f.kind === 'call') leader[f.next] = 1;
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
      const f = flow(insns, pc);
      if (f.kind === 'exit') { blocks.push({ id: idOf[start]!, pcs, term: 'exit', succs: [] }); break; }
      if (f.kind === 'goto') { blocks.push({ id: idOf[start]!, pcs, term: 'goto', succs: [idOf[f.target!]!] }); break; }
      if (f.kind === 'cond') { blocks.push({ id: idOf[start]!, pcs, term: 'cond', succs: [idOf[f.target!]!, idOf[f.next!]!] }); break; }
      if (leader[f.next!]) { blocks.push({ id: idOf[start]!, pcs, term: 'fall', succs: [idOf[f.next!]!] }); break; }
      pc = f.next!;
    }
  }
  return { entry, blocks, entryBlock: idOf[entry]! };
}

/**
 * Splits a validated program into its functions and their basic blocks. A function is everything
 * reachable from its entry; code reachable from two entries (possible in unverified programs)
 * belongs to both. Blocks end at jumps, at `exit`, before jump targets and after bpf-to-bpf calls
 * (so that instruction counting in checked mode is exact across calls).
 */
export function buildProgramCfg(insns: readonly Insn[]): ProgramCfg {
  const functions: FunctionCfg[] = [];
  const index = new Map<number, number>();
  const queue = [0];
  while (queue.length > 0) {
    const entry = queue.shift()!;
    if (index.has(entry)) continue;
    index.set(entry, functions.length);
    const callees: number[] = [];
    functions.push(buildFunction(insns, entry, callees));
    queue.push(...callees);
  }
  return { functions, index };
}
