import type { Insn } from '../../isa/index.js';
import { BPF_CALL, BPF_EXIT, BPF_JA, BPF_JMP, BPF_JMP32, BPF_LDX, BPF_PSEUDO_CALL, BPF_STX, LD_IMM64 } from '../../isa/index.js';

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

/**
 * The end of the furthest context access a program makes (the verifier's `max_ctx_offset`: the
 * largest `off + size` of a load through a register that holds the context on some path). The
 * context is r1 at entry; copies, stack spills and fills of it, and the argument registers of
 * bpf-to-bpf calls are followed. Raw tracepoint test runs refuse a `ctx_in` shorter than this.
 */
export function maxCtxOffset(insns: readonly Insn[]): number {
  const states = new Map<number, State>([[0, { regs: 1 << 1, slots: new Set() }]]);
  const work = [0];
  let max = 0;
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
      if (isCtx(ins.src)) max = Math.max(max, ins.off + SIZES[(ins.code >> 3) & 3]!);
      setReg(ins.dst, ins.src === FP && st.slots.has(ins.off));
      flow(pc + 1, st);
      continue;
    }
    if (cls === BPF_STX || cls === 0x02) {
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
  return max;
}
