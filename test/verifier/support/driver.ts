/**
 * A tiny verifier for the kernel-exactness tests: it walks programs of scalar ALU instructions,
 * `call bpf_get_prandom_u32`, LD_IMM64, conditional jumps and exits, exploring both outcomes of an
 * undecided jump in the kernel's order (fall-through first, then the most recent pushed branch),
 * tracks scalar ids the way 6.18 does (copies share an id, `rX += K` keeps it with an offset,
 * jumps propagate bounds to linked registers), and records the printed register states the
 * kernel's level-2 log would show.
 */
import {
  BPF_ADD, BPF_ALU, BPF_ALU64, BPF_CALL, BPF_END, BPF_EXIT, BPF_JA, BPF_JMP, BPF_JMP32, BPF_MOV,
  BPF_NEG, BPF_SUB, BPF_X, LD_IMM64, imm64, insnClass, insnOp, insnSrc, type Insn,
} from '../../../src/isa/index.js';
import {
  Scalar, boundsViolation, branchTaken, copyScalar, forkSide, forkWidth, formatScalar, immScalar, linkedAdd,
  markUnbounded, refineBranch, regWidth, scalarAlu, scalarEnd, scalarMov, scalarMovImm, tnumIsConst,
} from '../../../src/verifier/index.js';

/** A register in the walk: uninitialised, the context pointer, the frame pointer or a scalar. */
export type Reg =
  | { readonly kind: 'uninit' }
  | { readonly kind: 'ctx' }
  | { readonly kind: 'fp' }
  | { kind: 'scalar'; s: Scalar; id: number; addConst: boolean; addConst32: boolean; off: number };

/** What the log shows at one point: after instruction `idx`, or on entering a pushed branch. */
export interface Event {
  readonly kind: 'insn' | 'from';
  readonly idx: number;
  readonly from?: number;
  /** Register number to its printed state. */
  readonly regs: Map<number, string>;
}

const UNINIT: Reg = { kind: 'uninit' };

function cloneReg(r: Reg): Reg {
  return r.kind === 'scalar' ? { ...r, s: r.s.clone() } : r;
}

function scalarReg(s: Scalar): Reg {
  return { kind: 'scalar', s, id: 0, addConst: false, addConst32: false, off: 0 };
}

/** The printed form of a register, as the 6.18 log shows it (without a precision mark). */
export function printReg(r: Reg): string {
  switch (r.kind) {
    case 'ctx': return 'ctx()';
    case 'fp': return 'fp0';
    case 'uninit': return '?';
    default: return formatScalar(r.s, { id: r.id, ...(r.addConst ? { addConst: r.off } : {}) });
  }
}

/**
 * Registers live before each instruction (bit i for ri), by the backward analysis 6.18 runs
 * before verification: the kernel links only live registers when a jump refines one of them.
 */
export function liveRegs(insns: readonly Insn[]): number[] {
  const live = new Array<number>(insns.length).fill(0);
  for (let changed = true; changed;) {
    changed = false;
    for (let i = insns.length - 1; i >= 0; i--) {
      const ins = insns[i]!;
      const cls = insnClass(ins.code);
      const op = insnOp(ins.code);
      let out = 0;
      let use = 0;
      let def = 0;
      if (ins.code === LD_IMM64) {
        out = live[i + 2] ?? 0;
        def = 1 << ins.dst;
      } else if (cls === BPF_ALU || cls === BPF_ALU64) {
        out = live[i + 1] ?? 0;
        def = 1 << ins.dst;
        if (op !== BPF_MOV) use |= 1 << ins.dst;
        if (insnSrc(ins.code) === BPF_X && op !== BPF_END && op !== BPF_NEG) use |= 1 << ins.src;
      } else if (op === BPF_EXIT) {
        use = 1;
      } else if (op === BPF_CALL) {
        out = live[i + 1] ?? 0;
        def = 0x3f;
      } else {
        out = (live[i + 1] ?? 0) | (live[i + ins.off + 1] ?? 0);
        use = (1 << ins.dst) | (insnSrc(ins.code) === BPF_X ? 1 << ins.src : 0);
      }
      const v = use | (out & ~def);
      if (v !== live[i]) { live[i] = v; changed = true; }
    }
  }
  return live;
}

interface Pending {
  readonly regs: Reg[];
  readonly pc: number;
  readonly from: number;
}

class Walk {
  idGen = 0;
  readonly events: Event[] = [];
  readonly stack: Pending[] = [];
  live: number[] = [];

  snapshot(kind: 'insn' | 'from', idx: number, regs: Reg[], from?: number): void {
    const m = new Map<number, string>();
    regs.forEach((r, i) => { if (r.kind !== 'uninit') m.set(i, printReg(r)); });
    this.events.push(from === undefined ? { kind, idx, regs: m } : { kind, idx, from, regs: m });
  }

  /** assign_scalar_id_before_mov. */
  assignId(r: Reg): void {
    if (r.kind !== 'scalar') return;
    if (r.addConst) { r.id = 0; r.off = 0; r.addConst = false; r.addConst32 = false; }
    if (r.id === 0 && !tnumIsConst(r.s)) r.id = ++this.idGen;
  }

  alu(regs: Reg[], ins: Insn, pc: number): void {
    const alu64 = insnClass(ins.code) === BPF_ALU64;
    const op = insnOp(ins.code);
    const d = regs[ins.dst]!;
    if (op === BPF_MOV) {
      if (insnSrc(ins.code) !== BPF_X) {
        regs[ins.dst] = scalarReg(scalarMovImm(new Scalar(), ins.imm, alu64));
        return;
      }
      const src = regs[ins.src]!;
      if (src.kind !== 'scalar') { regs[ins.dst] = src; return; }
      const linked = ins.off === 0 ? (alu64 || regWidth(src.s) <= 32) : src.s.umaxHi === 0 && (src.s.umaxLo >>> 0) < 2 ** (ins.off - 1);
      if (linked) this.assignId(src);
      const out: Reg = { ...src, s: scalarMov(new Scalar(), src.s, alu64, ins.off) };
      if (!linked) out.id = 0;
      regs[ins.dst] = out;
      return;
    }
    if (d.kind !== 'scalar') throw new Error(`driver: ALU on a non-scalar r${ins.dst}`);
    if (op === BPF_END) {
      const toBe = insnSrc(ins.code) === BPF_X;
      scalarEnd(d.s, ins.imm as 16 | 32 | 64, alu64, toBe);
      // Only the no-op le64 keeps the register linked.
      if (alu64 || toBe || ins.imm !== 64) d.id = 0;
      return;
    }
    if (op === BPF_NEG) { scalarAlu(d.s, d.s, BPF_NEG, alu64); d.id = 0; return; }
    let src: Scalar;
    if (insnSrc(ins.code) === BPF_X) {
      const r = regs[ins.src]!;
      if (r.kind !== 'scalar') throw new Error(`driver: ALU with a non-scalar r${ins.src}`);
      src = r.s.clone();
    } else {
      src = immScalar(new Scalar(), ins.imm);
    }
    const width = forkWidth(d.s, src, op);
    if (width !== 0) {
      // maybe_fork_scalars: another path re-runs this instruction with dst = 0.
      const other = regs.map(cloneReg);
      const od = other[ins.dst] as Reg & { kind: 'scalar' };
      forkSide(od.s, width, 0);
      forkSide(d.s, width, -1);
      if (width === 64) { od.id = 0; d.id = 0; d.addConst = false; od.addConst = false; }
      this.stack.push({ regs: other, pc, from: pc });
    }
    const dstUmaxBefore: [number, number] = [d.s.umaxHi, d.s.umaxLo];
    scalarAlu(d.s, src, op, alu64);
    this.linkAfterAlu(d, src, op, alu64, dstUmaxBefore);
  }

  /** adjust_reg_min_max_vals's id rule: `rX += K` and `rX -= K` keep rX linked, at offset K. */
  linkAfterAlu(d: Reg & { kind: 'scalar' }, src: Scalar, op: number, alu64: boolean, dstUmax: [number, number]): void {
    const isConst = alu64 ? tnumIsConst(src) : src.mlo === 0;
    if ((op !== BPF_ADD && op !== BPF_SUB) || d.id === 0 || !isConst) { d.id = 0; return; }
    const fitsS32 = (src.vhi === 0 && src.vlo >= 0) || (src.vhi === -1 && src.vlo < 0);
    let off = src.vlo | 0;
    const clear = (!alu64 ? dstUmax[0] !== 0 : !fitsS32) || (op === BPF_SUB && off === -0x80000000) || d.addConst;
    if (clear) { d.id = 0; d.off = 0; d.addConst = false; d.addConst32 = false; return; }
    if (op === BPF_SUB) off = -off;
    d.addConst = true;
    d.addConst32 = !alu64;
    d.off = off;
  }

  /** sync_linked_regs: registers sharing `known`'s id learn what the jump taught it. */
  syncLinked(regs: Reg[], known: Reg, members: Set<number>): void {
    if (known.kind !== 'scalar') return;
    for (const i of members) {
      const r = regs[i]!;
      if (r.kind !== 'scalar' || r === known || r.id !== known.id) continue;
      if ((!r.addConst && !known.addConst) || r.off === known.off) {
        copyScalar(r.s, known.s);
        r.id = known.id; r.addConst = known.addConst; r.addConst32 = known.addConst32; r.off = known.off;
      } else {
        copyScalar(r.s, known.s);
        linkedAdd(r.s, r.off - known.off, known.addConst32 || r.addConst32);
      }
    }
  }

  /**
   * collect_linked_regs: the live registers sharing `id`, appended to `list`; the source's and the
   * destination's ids are collected in turn (a register can appear twice), at most six entries in
   * all, and a register that does not fit loses its id. Dead registers are left alone.
   */
  collect(regs: Reg[], id: number, live: number, list: number[]): void {
    regs.forEach((r, i) => {
      if (i >= 10 || r.kind !== 'scalar' || r.id !== id || !((live >> i) & 1)) return;
      if (list.length < 6) list.push(i);
      else { r.id = 0; r.addConst = false; r.addConst32 = false; r.off = 0; }
    });
  }

  /** Both outcomes of an undecided jump; returns the taken side's registers. */
  split(regs: Reg[], ins: Insn, jmp32: boolean, live: number): Reg[] {
    const op = insnOp(ins.code);
    const d = regs[ins.dst]!;
    const isX = insnSrc(ins.code) === BPF_X;
    const s = isX ? regs[ins.src]! : UNINIT;
    if (d.kind !== 'scalar' || (isX && s.kind !== 'scalar')) return regs.map(cloneReg);
    const list: number[] = [];
    if (isX && s.kind === 'scalar' && s.id) this.collect(regs, s.id, live, list);
    if (d.id) this.collect(regs, d.id, live, list);
    const links = new Set(list.length > 1 ? list : []);
    const other = regs.map(cloneReg);
    const od = other[ins.dst] as Reg & { kind: 'scalar' };
    const falseSrc = isX ? (s as Reg & { kind: 'scalar' }).s : immScalar(new Scalar(), ins.imm);
    const trueSrc = isX ? (other[ins.src] as Reg & { kind: 'scalar' }).s : immScalar(new Scalar(), ins.imm);
    refineBranch(d.s, falseSrc, op, jmp32, false);
    refineBranch(od.s, trueSrc, op, jmp32, true);
    for (const x of [od.s, trueSrc, d.s, falseSrc]) if (boundsViolation(x)) markUnbounded(x);
    if (isX && s.kind === 'scalar' && s.id) {
      this.syncLinked(regs, s, links);
      this.syncLinked(other, other[ins.src]!, links);
    }
    if (d.id) {
      this.syncLinked(regs, d, links);
      this.syncLinked(other, od, links);
    }
    return other;
  }
}

/** Walks `insns` as the kernel's verifier would and returns the log events in the kernel's order. */
export function walk(insns: readonly Insn[]): Event[] {
  const w = new Walk();
  w.live = liveRegs(insns);
  const init: Reg[] = Array.from({ length: 11 }, (_, i) => (i === 1 ? { kind: 'ctx' } : i === 10 ? { kind: 'fp' } : UNINIT));
  const stack = w.stack;
  let regs = init;
  let pc = 0;
  for (let steps = 0; steps < 100_000; steps++) {
    const ins = insns[pc]!;
    const cls = insnClass(ins.code);
    if (ins.code === LD_IMM64) {
      regs[ins.dst] = scalarReg(Scalar.known(imm64(insns, pc)));
      w.snapshot('insn', pc, regs);
      pc += 2;
      continue;
    }
    if (cls === BPF_ALU || cls === BPF_ALU64) {
      w.alu(regs, ins, pc);
      w.snapshot('insn', pc, regs);
      pc++;
      continue;
    }
    const op = insnOp(ins.code);
    if (cls === BPF_JMP && op === BPF_CALL) {
      regs[0] = scalarReg(new Scalar());
      for (let i = 1; i <= 5; i++) regs[i] = UNINIT;
      w.snapshot('insn', pc, regs);
      pc++;
      continue;
    }
    if (cls === BPF_JMP && op === BPF_EXIT) {
      w.snapshot('insn', pc, regs);
      const next = stack.pop();
      if (!next) return w.events;
      regs = next.regs;
      pc = next.pc;
      w.snapshot('from', pc, regs, next.from);
      continue;
    }
    if (cls === BPF_JMP && op === BPF_JA) {
      pc += ins.off + 1;
      continue;
    }
    const jmp32 = cls === BPF_JMP32;
    const d = regs[ins.dst]!;
    const isX = insnSrc(ins.code) === BPF_X;
    const s = isX ? regs[ins.src]! : scalarReg(immScalar(new Scalar(), ins.imm));
    if (d.kind !== 'scalar' || s.kind !== 'scalar') throw new Error('driver: jump on a non-scalar');
    const outcome = branchTaken(d.s, s.s, op, jmp32);
    if (outcome === 1) {
      w.snapshot('insn', pc, regs);
      pc += ins.off + 1;
    } else if (outcome === 0) {
      w.snapshot('insn', pc, regs);
      pc++;
    } else {
      const taken = w.split(regs, ins, jmp32, w.live[pc]!);
      stack.push({ regs: taken, pc: pc + ins.off + 1, from: pc });
      w.snapshot('insn', pc, regs);
      pc++;
    }
  }
  throw new Error('driver: the walk did not end');
}

