import { BPF_CALL, BPF_JMP, BPF_PSEUDO_FUNC, LD_IMM64, insnClass } from '../isa/index.js';
import type { Insn } from '../isa/index.js';
import type { ArrayLayout } from '../maps/index.js';
import type { ProgramCfg } from './cfg.js';
import type { CallEmitter } from './emitCall.js';
import { IO } from './layout.js';
import { defs } from './liveness.js';
import { I64, Op } from './wasm/ops.js';

/** The kernel's BPF_FUNC_map_lookup_elem. */
export const BPF_FUNC_map_lookup_elem = 1;

/** An array map as an inlined lookup sees it. */
export interface InlineArray {
  /** Its elements. */
  readonly maxEntries: number;
  /** Bytes between elements. */
  readonly stride: number;
  /** Address of element 0 (ARRAY); -1 when it depends on the CPU. */
  readonly base: number;
  /** PERCPU_ARRAY: the i32 global holding the running CPU's element 0; -1 otherwise. */
  readonly global: number;
}

/**
 * The `call bpf_map_lookup_elem` slots whose r1 is a constant naming an array map: the last write
 * to r1 before the call in its basic block is an LD_IMM64 whose value `arrayAt` knows, as the
 * kernel's verifier finds the map of an inlinable lookup. A slot shared by two functions (in
 * unverified code) is inlined only when both find the same map.
 */
export function findArrayLookups(
  insns: readonly Insn[], prog: ProgramCfg, arrayAt: (addr: number) => ArrayLayout | undefined,
): Map<number, ArrayLayout> {
  const found = new Map<number, ArrayLayout | null>();
  for (const fn of prog.functions) {
    for (const b of fn.blocks) {
      b.pcs.forEach((pc, k) => {
        const ins = insns[pc]!;
        if (ins.code !== (BPF_JMP | BPF_CALL) || ins.src !== 0 || ins.imm !== BPF_FUNC_map_lookup_elem) return;
        let layout: ArrayLayout | null = null;
        for (let j = k - 1; j >= 0; j--) {
          const at = b.pcs[j]!;
          const def = insns[at]!;
          if (insnClass(def.code) === BPF_JMP) break;
          if ((defs(insns, at) & 0b10) === 0) continue;
          if (def.code === LD_IMM64 && def.src !== BPF_PSEUDO_FUNC && insns[at + 1]!.imm === 0) layout = arrayAt(def.imm >>> 0) ?? null;
          break;
        }
        const seen = found.get(pc);
        found.set(pc, seen === undefined || seen === layout ? layout : null);
      });
    }
  }
  const out = new Map<number, ArrayLayout>();
  for (const [pc, layout] of found) if (layout) out.set(pc, layout);
  return out;
}

/**
 * `r0 = bpf_map_lookup_elem(array, r2)` inline, as the kernel's JIT does it for arrays:
 * `index = *(u32 *)r2; r0 = index < max_entries ? base + index * stride : NULL`. The key is read
 * as the helper reads it (no region check); a key pointer the memory cannot hold takes the helper
 * call `call`, which reports it as the interpreter does. A NULL result at depth 0 ends the run when
 * the lookup is the run's unwind helper.
 */
export function emitInlineLookup(e: CallEmitter, a: InlineArray, call: () => void): void {
  const f = e.f;
  const key = e.reg(2);
  f.get(key);
  f.op(Op.memorySize, 0x00, Op.i64ExtendI32U); f.i64(16, 0); f.op(Op.i64Shl); f.i64(4, 0); f.op(Op.i64Sub);
  f.op(Op.i64LeU);
  f.if();
  f.get(key); f.op(Op.i32WrapI64); f.mem(Op.i32Load, 0, 0); f.tee(e.t32);
  f.i32(a.maxEntries); f.op(Op.i32LtU);
  f.if(I64);
  f.get(e.t32); f.i32(a.stride); f.op(Op.i32Mul);
  if (a.global >= 0) f.gget(a.global); else f.i32(a.base);
  f.op(Op.i32Add, Op.i64ExtendI32U);
  f.else();
  if (e.mayBeDepth0) {
    f.i32(0); f.mem(Op.i32Load, 2, e.refs.scratch + IO.unwind); f.i32(BPF_FUNC_map_lookup_elem); f.op(Op.i32Eq);
    f.get(e.depth); f.op(Op.i32Eqz, Op.i32And);
    f.if();
    e.earlyExit();
    f.end();
  }
  f.i64(0, 0);
  f.end();
  f.set(e.reg(0));
  f.else();
  call();
  f.end();
}
