import type { Insn } from '../../isa/index.js';
import { ctxAccess } from './ctx/access.js';
import type { CtxLayout } from './ctx/access.js';
import { BPF_CALL, BPF_EXIT, BPF_JA, BPF_JMP, BPF_JMP32, BPF_LDX, BPF_MEM, BPF_PSEUDO_CALL, BPF_STX, LD_IMM64 } from '../../isa/index.js';

const FP = 10;
const CLASS = 0x07;
const SIZES = [4, 2, 1, 8];

interface State {
  regs: number;
  slots: Set<number>;
}

function join(into: State, from: State): boolean {
  const regs = into.regs | from.regs;
  let changed = regs !== into.regs;
  into.regs = regs;
  for (const s of from.slots) {
    if (!into.slots.has(s)) {
      into.slots.add(s);
      changed = true;
    }
  }
  return changed;
}

/** The instructions (by index) that load from and store to the context. */
export interface CtxAccesses {
  /** BPF_LDX through a context register. */
  readonly loads: Set<number>;
  /** BPF_STX (and BPF_ST) through a context register. */
  readonly stores: Set<number>;
}

/**
 * The loads and stores a program makes through a register that holds the context on some path.
 * The context is r1 at entry; copies, stack spills and fills of it, and the argument registers of
 * bpf-to-bpf calls are followed (the kernel refuses arithmetic on context pointers).
 */
export function ctxAccesses(insns: readonly Insn[]): CtxAccesses {
  const states = new Map<number, State>([[0, { regs: 1 << 1, slots: new Set() }]]);
  const work = [0];
  const loads = new Set<number>();
  const stores = new Set<number>();
  const flow = (pc: number, st: State) => {
    if (pc < 0 || pc >= insns.length) return;
    const cur = states.get(pc);
    if (!cur) {
      states.set(pc, { regs: st.regs, slots: new Set(st.slots) });
      work.push(pc);
    } else if (join(cur, st)) work.push(pc);
  };
  while (work.length > 0) {
    const pc = work.pop()!;
    const ins = insns[pc]!;
    const st: State = { regs: states.get(pc)!.regs, slots: new Set(states.get(pc)!.slots) };
    const cls = ins.code & CLASS;
    const isCtx = (r: number) => (st.regs >> r) & 1;
    const setReg = (r: number, ctx: boolean) => { st.regs = ctx ? st.regs | (1 << r) : st.regs & ~(1 << r); };
    if (ins.code === LD_IMM64) {
      setReg(ins.dst, false);
      flow(pc + 2, st);
      continue;
    }
    if (cls === BPF_LDX) {
      if (isCtx(ins.src)) loads.add(pc);
      setReg(ins.dst, ins.src === FP && st.slots.has(ins.off));
      flow(pc + 1, st);
      continue;
    }
    if (cls === BPF_STX || cls === 0x02) {
      if (isCtx(ins.dst)) stores.add(pc);
      if (ins.dst === FP) {
        if (cls === BPF_STX && isCtx(ins.src) && (ins.code & 0x18) === 0x18) st.slots.add(ins.off);
        else st.slots.delete(ins.off);
      }
      flow(pc + 1, st);
      continue;
    }
    if (cls === BPF_JMP || cls === BPF_JMP32) {
      const op = ins.code & 0xf0;
      if (op === BPF_EXIT) continue;
      if (op === BPF_CALL) {
        if (ins.src === BPF_PSEUDO_CALL) flow(pc + 1 + ins.imm, { regs: st.regs & 0b111110, slots: new Set() });
        st.regs &= ~0b111111;
        flow(pc + 1, st);
        continue;
      }
      if (op === BPF_JA) {
        flow(pc + 1 + (cls === BPF_JMP32 ? ins.imm : ins.off), st);
        continue;
      }
      flow(pc + 1 + ins.off, st);
      flow(pc + 1, st);
      continue;
    }
    // ALU: a 64-bit register move copies ctx-ness; anything else makes the destination a scalar.
    const mov64 = ins.code === 0xbf && ins.off === 0;
    setReg(ins.dst, mov64 && isCtx(ins.src) === 1);
    flow(pc + 1, st);
  }
  return { loads, stores };
}

/**
 * The end of the furthest context access a program makes (the verifier's `max_ctx_offset`: the
 * largest `off + size` of a context load). Raw tracepoint test runs refuse a shorter `ctx_in`.
 */
export function maxCtxOffset(insns: readonly Insn[]): number {
  let max = 0;
  for (const pc of ctxAccesses(insns).loads) max = Math.max(max, insns[pc]!.off + SIZES[(insns[pc]!.code >> 3) & 3]!);
  return max;
}

/** Size bits of a load or store of 1, 2, 4 or 8 bytes. */
const SIZE_BITS: Record<number, number> = { 1: 0x10, 2: 0x08, 4: 0x00, 8: 0x18 };

/**
 * The program with its context accesses changed as the kernel's rewrite changes them, where the
 * simulator's context memory alone would differ: a load at least as wide as the kernel field
 * behind a window (`CtxField.target`) but narrower than the window returns the whole field
 * wherever in the window it points, so it loads from the window's start (the value fits in its
 * first `target` bytes); a store to a window wider than its kernel field truncates the value, so
 * it stores `target` bytes. (`queue_mapping` is not narrowed: Linux ignores stores of 0xffff and
 * above, which the skb model applies when it next reads the field.) Instruction count and jumps
 * are unchanged.
 */
export function rewriteCtxAccesses(insns: readonly Insn[], layout: CtxLayout): readonly Insn[] {
  let out: Insn[] | undefined;
  const { loads, stores } = ctxAccesses(insns);
  for (const pc of loads) {
    const ins = insns[pc]!;
    const size = SIZES[(ins.code >> 3) & 3]!;
    const f = ctxAccess(layout, ins.off, size, false);
    if ((ins.code & 0xe0) !== BPF_MEM || !f?.target || size < f.target || size >= f.size || ins.off === f.off) continue;
    out ??= [...insns];
    out[pc] = { ...ins, off: f.off };
  }
  for (const pc of stores) {
    const ins = insns[pc]!;
    const size = SIZES[(ins.code >> 3) & 3]!;
    const f = ctxAccess(layout, ins.off, size, true);
    if ((ins.code & 0xe7) !== (BPF_STX | BPF_MEM) || !f?.target || f.target >= size || f.name === 'queue_mapping') continue;
    out ??= [...insns];
    out[pc] = { ...ins, code: (ins.code & ~0x18) | SIZE_BITS[f.target]! };
  }
  return out ?? insns;
}
