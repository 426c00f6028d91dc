/**
 * Known places where Linux deviates from the BPF ISA (see ../shared/kernel-deviations and
 * test/fixtures/kernel-deviations/README.md). Each class was checked by hand against RFC 9669 and a
 * second engine; the harness recognises a new instance only by a control experiment: the case is
 * rewritten so that the kernel bug cannot apply while the ISA semantics stay the same, and the
 * kernel's answer for the control must then equal bpfsim's for the original.
 */
import {
  Add, And, BPF_ATOMIC, BPF_CMPXCHG, BPF_DW, BPF_FETCH, BPF_STX, BPF_W, BPF_XCHG, JNE, Mov, Or, Xor, loadMem, storeMem,
} from '../../src/isa/index.js';
import type { AluOp, AsmItem, Insn, Reg, Size } from '../../src/isa/index.js';
import { SCRATCH } from './kernelProgram.js';
import type { KernelCase, Stmt } from './kernelProgram.js';

/** A documented kernel deviation and the control experiment that recognises it. */
export interface DeviationClass {
  /** Short id, as in the reproducers' file names. */
  readonly id: string;
  /** What goes wrong in the kernel. */
  readonly summary: string;
  /** The control case, or undefined when the class cannot apply to this case. */
  control(c: KernelCase): KernelCase | undefined;
}

const STX_ATOMIC_W = BPF_STX | BPF_ATOMIC | BPF_W;
const STX_ATOMIC_DW = BPF_STX | BPF_ATOMIC | BPF_DW;

function atomicOf(st: Stmt): Insn | undefined {
  if (st.k !== 'op' || st.item.kind !== 'insn') return undefined;
  const ins = st.item.slots[0]!;
  return ins.code === STX_ATOMIC_W || ins.code === STX_ATOMIC_DW ? ins : undefined;
}

/** Rewrites every statement list of a case (main and subprograms), with the right scratch slots. */
function rewrite(c: KernelCase, f: (st: Stmt, scratch: readonly [number, number]) => Stmt[] | undefined): KernelCase | undefined {
  let changed = false;
  const walk = (list: readonly Stmt[], scratch: readonly [number, number]): Stmt[] => list.flatMap((st): Stmt[] => {
    const r = f(st, scratch);
    if (r) {
      changed = true;
      return r;
    }
    switch (st.k) {
      case 'if': return [{ ...st, then: walk(st.then, scratch) }];
      case 'maygoto': return [{ ...st, then: walk(st.then, scratch) }];
      case 'ifelse': return [{ ...st, then: walk(st.then, scratch), else: walk(st.else, scratch) }];
      case 'loop': return [{ ...st, body: walk(st.body, scratch) }];
      default: return [st];
    }
  });
  const main = walk(c.main, SCRATCH.main);
  const subprogs = c.subprogs.map((s) => walk(s, SCRATCH.sub));
  return changed ? { ...c, main, subprogs } : undefined;
}

const op = (item: AsmItem): Stmt => ({ k: 'op', item });

const ALU_BY_ATOMIC: Record<number, AluOp> = { 0x00: Add, 0x40: Or, 0x50: And, 0xa0: Xor };

/**
 * kbug2: a 32-bit cmpxchg must zero-extend r0, but the verifier inserts the zero-extension only
 * where it sees a 64-bit read of r0 on a path it explored. Control: read r0 as 64 bits (a store to
 * a scratch slot) right after each 32-bit cmpxchg.
 */
export const kbug2: DeviationClass = {
  id: 'kbug2-cmpxchg32-zext',
  summary: '32-bit cmpxchg leaves the upper half of r0 stale when the only 64-bit read of r0 is on a pruned path',
  control: (c) => rewrite(c, (st, [scratch]) => {
    const a = atomicOf(st);
    if (!a || a.code !== STX_ATOMIC_W || a.imm !== BPF_CMPXCHG) return undefined;
    return [st, op(storeMem(10, scratch, 0, 'dw'))];
  }),
};

/**
 * kbug1: precision is not carried from a value fetched by an atomic (fetch-op, xchg, cmpxchg) back
 * to the stack slot it came from, so the verifier prunes a path as equivalent, decides a later
 * branch and removes live code. Control: the same operation as plain loads and stores through two
 * scratch slots, which the verifier tracks precisely.
 */
export const kbug1: DeviationClass = {
  id: 'kbug1-atomic-precision',
  summary: 'precision is not propagated through atomic fetch/xchg/cmpxchg on a stack slot; the verifier mis-prunes',
  control: (c) => rewrite(c, (st, [saveT, saveOld]) => {
    const a = atomicOf(st);
    if (!a || (a.imm & BPF_FETCH) === 0) return undefined;
    const sz: Size = a.code === STX_ATOMIC_W ? 'w' : 'dw';
    const src = a.src as Reg;
    const t = ([1, 2, 3, 4, 5] as Reg[]).find((r) => r !== src)!;
    const mem = a.off;
    const out: Stmt[] = [op(storeMem(10, saveT, t, 'dw')), op(loadMem(t, 10, mem, sz))];
    if (a.imm === BPF_CMPXCHG) {
      out.push({ k: 'if', cond: { op: JNE, wide: sz === 'dw', dst: t, src: 0, imm: 0 }, then: [op(storeMem(10, mem, src, sz))] });
      out.push(op(Mov.reg(0, t)));
    } else if (a.imm === BPF_XCHG) {
      out.push(op(storeMem(10, mem, src, sz)), op(Mov.reg(src, t)));
    } else {
      const base = a.imm & ~BPF_FETCH;
      const alu = ALU_BY_ATOMIC[base]!;
      out.push(op(storeMem(10, saveOld, t, 'dw')), op(sz === 'dw' ? alu.reg(t, src) : alu.reg32(t, src)),
        op(storeMem(10, mem, t, sz)), op(loadMem(src, 10, saveOld, 'dw')));
    }
    out.push(op(loadMem(t, 10, saveT, 'dw')));
    return out;
  }),
};

/** Every documented deviation class, in the order the harness tries them. */
export const DEVIATIONS: readonly DeviationClass[] = [kbug2, kbug1];
