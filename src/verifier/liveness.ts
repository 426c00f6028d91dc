/**
 * Registers live before each instruction, as Linux 6.18's compute_live_registers finds them before
 * verification: a backward data-flow analysis within each function (a call defines r0..r5 and uses
 * its arguments). The verifier links only live registers on a conditional jump, compares only
 * live registers when pruning, and prints the table in the level-2 log.
 */
import {
  BPF_ALU, BPF_ALU64, BPF_ATOMIC, BPF_CALL, BPF_CMPXCHG, BPF_END, BPF_EXIT, BPF_FETCH, BPF_IMM, BPF_JA,
  BPF_JCOND, BPF_JMP, BPF_JMP32, BPF_K, BPF_LD, BPF_LDX, BPF_MEM, BPF_MEMSX, BPF_MOV, BPF_ST,
  BPF_STX, BPF_X, LD_IMM64, disasmInsn, insnClass, insnMode, insnOp, insnSrc, type Insn,
} from '../isa/index.js';
import type { HelperProtoSource } from './helperProtos.js';

const CALLER_SAVED = 0x3f;

function useDef(ins: Insn, helpers: HelperProtoSource): [number, number] {
  const src = 1 << ins.src;
  const dst = 1 << ins.dst;
  switch (insnClass(ins.code)) {
    case BPF_LD:
      return insnMode(ins.code) === BPF_IMM && ins.code === LD_IMM64 ? [0, dst] : [0xffff, 0];
    case BPF_LDX:
      return insnMode(ins.code) === BPF_MEM || insnMode(ins.code) === BPF_MEMSX ? [src, dst] : [0xffff, 0];
    case BPF_ST:
      return insnMode(ins.code) === BPF_MEM ? [dst, 0] : [0xffff, 0];
    case BPF_STX:
      if (insnMode(ins.code) === BPF_MEM) return [dst | src, 0];
      if (insnMode(ins.code) !== BPF_ATOMIC) return [0xffff, 0];
      if (ins.imm === BPF_CMPXCHG) return [1 | dst | src, 1];
      return [dst | src, ins.imm & BPF_FETCH ? src : 0];
    case BPF_ALU:
    case BPF_ALU64: {
      const op = insnOp(ins.code);
      if (op === BPF_END) return [dst, dst];
      if (op === BPF_MOV) return [insnSrc(ins.code) === BPF_K ? 0 : src, dst];
      return [insnSrc(ins.code) === BPF_K ? dst : dst | src, dst];
    }
    default: {
      const op = insnOp(ins.code);
      if (op === BPF_JA) return [insnSrc(ins.code) === BPF_X ? dst : 0, 0];
      if (op === BPF_JCOND) return [0, 0];
      if (op === BPF_EXIT) return [1, 0];
      if (op === BPF_CALL) {
        const proto = ins.src === 0 ? helpers.proto(ins.imm) : undefined;
        const n = proto ? proto.args.length : 5;
        return [((1 << (n + 1)) - 1) & ~1, CALLER_SAVED];
      }
      return [insnSrc(ins.code) === BPF_K ? dst : dst | src, 0];
    }
  }
}

function successors(insns: readonly Insn[], i: number): number[] {
  const ins = insns[i]!;
  if (ins.code === LD_IMM64) return [i + 2];
  const cls = insnClass(ins.code);
  if (cls !== BPF_JMP && cls !== BPF_JMP32) return [i + 1];
  const op = insnOp(ins.code);
  if (op === BPF_EXIT) return [];
  if (op === BPF_CALL) return [i + 1];
  if (op === BPF_JA) return [i + 1 + (cls === BPF_JMP32 ? ins.imm : ins.off)];
  return [i + 1, i + 1 + ins.off];
}

/** Registers live before each instruction (bit i: ri). */
export function liveRegisters(insns: readonly Insn[], helpers: HelperProtoSource): Uint16Array {
  const n = insns.length;
  const live = new Uint16Array(n + 2);
  const ud = insns.map((ins) => useDef(ins, helpers));
  for (let changed = true; changed;) {
    changed = false;
    for (let i = n - 1; i >= 0; i--) {
      if (i > 0 && insns[i - 1]!.code === LD_IMM64) continue;
      let out = 0;
      for (const s of successors(insns, i)) out |= live[s] ?? 0;
      const [use, def] = ud[i]!;
      const v = (use | (out & ~def)) & 0xffff;
      if (v !== live[i]) { live[i] = v; changed = true; }
    }
  }
  return live;
}

/** The level-2 log's `Live regs before insn:` table. */
export function formatLiveness(insns: readonly Insn[], live: Uint16Array, subprogs: readonly number[]): string {
  const lines = subprogs.map((s, i) => `func#${i} @${s}`);
  lines.push('Live regs before insn:');
  for (let i = 0; i < insns.length; i++) {
    let regs = '';
    for (let r = 0; r < 10; r++) regs += (live[i]! >> r) & 1 ? String(r) : '.';
    lines.push(`${String(i).padStart(7)}: ${regs} (${insns[i]!.code.toString(16).padStart(2, '0')}) ${disasmInsn(insns, i)}`);
    if (insns[i]!.code === LD_IMM64) i++;
  }
  return lines.join('\n') + '\n';
}
