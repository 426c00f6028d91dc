import {
  BPF_ALU, BPF_ALU64, BPF_ATOMIC, BPF_CALL, BPF_JCOND, BPF_JMP, BPF_LD, BPF_LDX, BPF_PSEUDO_FUNC, BPF_ST, BPF_STX, BPF_X,
  LD_IMM64, MAX_BPF_STACK, insnClass, insnMode, insnOp,
} from '../isa/index.js';
import type { Insn } from '../isa/index.js';
import { MAY_GOTO_BUDGET } from '../vm/index.js';
import { isTailCall } from './cfg.js';
import type { BasicBlock, FunctionCfg } from './cfg.js';
import type { GraphFacts } from './dominators.js';
import { emitAlu } from './emitAlu.js';
import { emitCall } from './emitCall.js';
import type { CallEmitter, CalleeShape } from './emitCall.js';
import type { ModuleRefs } from './emitter.js';
import { emitCondition, emitMayGoto, emitMayGotoNotTaken } from './emitJump.js';
import { emitAtomic, emitLdAbs, emitLoad, emitStore } from './emitMem.js';
import { Fault, IO } from './layout.js';
import { dispatch, structure } from './structure.js';
import type { NodeEmitter } from './structure.js';
import { FuncBuilder } from './wasm/func.js';
import { I32, I64, Op } from './wasm/ops.js';

/** Everything known about one BPF function before its code is emitted. */
export interface FunctionPlan {
  /** Its graph of basic blocks. */
  readonly cfg: FunctionCfg;
  /** Dominators, loops and merges of that graph. */
  readonly graph: GraphFacts;
  /** Its own shape as callers see it. */
  readonly shape: CalleeShape;
  /** Whether r10 may not be its frame top (if it always is, r10-relative stack accesses in the frame need no check). */
  readonly writesR10: boolean;
  /** Whether it may run at depth 0 (the main program). */
  readonly mayBeDepth0: boolean;
}

/**
 * Emits one BPF function as a wasm function `(depth: i32, r1..r5: i64, extra params[, r10: i64,
 * may_goto: i32]) -> (r0, extra results)`. Registers are i64 locals; r10 is loaded from the frame
 * table by depth (the main program takes it, and its may_goto counter, from its caller); the body is
 * the structured (or, for an irreducible graph, dispatched) arrangement of its basic blocks.
 */
class FunctionEmitter implements CallEmitter, NodeEmitter {
  readonly f: FuncBuilder;
  readonly refs: ModuleRefs;
  readonly t64: number;
  readonly t32: number;
  readonly depth = 0;
  readonly mayBeDepth0: boolean;
  readonly mayGoto: number;
  readonly shape: CalleeShape;
  private readonly regs = new Int32Array(11);
  private readonly insns: readonly Insn[];
  private readonly plan: FunctionPlan;
  private readonly shapes: (entry: number) => CalleeShape;
  private readonly budgetLeft: number;
  private readonly ta: number;
  private readonly te: number;
  private remaining = 0;

  constructor(insns: readonly Insn[], plan: FunctionPlan, refs: ModuleRefs, shapes: (entry: number) => CalleeShape) {
    this.insns = insns;
    this.plan = plan;
    this.refs = refs;
    this.shapes = shapes;
    this.shape = plan.shape;
    this.mayBeDepth0 = plan.mayBeDepth0;
    const extra = plan.shape.extraParams;
    const frame = plan.shape.takesFrame ? [I64, I32] : [];
    this.f = new FuncBuilder([I32, I64, I64, I64, I64, I64, ...extra.map(() => I64), ...frame]);
    this.regs.fill(-1);
    for (let r = 1; r <= 5; r++) this.regs[r] = r;
    extra.forEach((r, i) => { this.regs[r] = 6 + i; });
    if (plan.shape.takesFrame) this.regs[10] = 6 + extra.length;
    for (let r = 0; r <= 10; r++) if (this.regs[r] === -1) this.regs[r] = this.f.local(I64);
    this.mayGoto = plan.shape.takesFrame ? 7 + extra.length : this.f.local(I32);
    this.budgetLeft = refs.checked ? this.f.local(I64) : -1;
    this.ta = refs.checked ? this.f.local(I64) : -1;
    this.te = refs.checked ? this.f.local(I64) : -1;
    this.t64 = this.f.local(I64);
    this.t32 = this.f.local(I32);
  }

  reg(r: number): number {
    return this.regs[r]!;
  }

  callee(entry: number): CalleeShape {
    return this.shapes(entry);
  }

  leftOut(): void {
    if (this.refs.checked) { this.f.get(this.budgetLeft); this.f.gset(this.refs.gLeft); }
  }

  leftIn(): void {
    if (this.refs.checked) { this.f.gget(this.refs.gLeft); this.f.set(this.budgetLeft); }
  }

  left(): void {
    this.f.get(this.budgetLeft);
  }

  setLeft(): void {
    this.f.set(this.budgetLeft);
  }

  returnNow(): void {
    this.leftOut();
    this.f.get(this.reg(0));
    for (const r of this.plan.shape.extraResults) this.f.get(this.reg(r));
    this.f.op(Op.return);
  }

  address(base: number, off: number, size: number, write: boolean, pc: number): void {
    const f = this.f;
    const inFrame = base === 10 && !this.plan.writesR10 && off >= -MAX_BPF_STACK && off + size <= 0;
    if (!this.refs.checked || inFrame) {
      f.get(this.reg(base));
      f.op(Op.i32WrapI64);
      if (off !== 0) { f.i32(off); f.op(Op.i32Add); }
      return;
    }
    // The region the last read (write) hit, inline; anything else in `chk_r` (`chk_w`), see checked.ts.
    const cache = write ? this.refs.writeCache : this.refs.readCache;
    f.get(this.reg(base));
    if (off !== 0) { f.i64s(off); f.op(Op.i64Add); }
    f.tee(this.ta);
    f.gget(cache.start); f.op(Op.i64Sub); f.i64(size, 0); f.op(Op.i64Add); f.tee(this.te);
    f.i64(size, 0); f.op(Op.i64GeU);
    f.get(this.te); f.gget(cache.span); f.op(Op.i64LeU);
    f.op(Op.i32And);
    f.if(I32);
    f.get(this.ta); f.op(Op.i32WrapI64);
    f.else();
    f.get(this.ta); f.i32(size); f.i32(pc); f.call(write ? this.refs.chkW : this.refs.chkR);
    f.end();
  }

  aligned(base: number, off: number, size: number): boolean {
    return base === 10 && !this.plan.writesR10 && off % size === 0;
  }

  fault(reason: number, pc: number, arg: number): void {
    this.f.i32(reason);
    this.f.i32(pc);
    this.f.i32(arg);
    this.f.call(this.refs.faultFn);
    this.f.op(Op.unreachable);
  }

  earlyExit(): void {
    this.f.i64(0, 0);
    this.f.set(this.reg(0));
    if (this.refs.checked && this.remaining > 0) {
      this.f.get(this.budgetLeft); this.f.i64(this.remaining, 0); this.f.op(Op.i64Add); this.f.set(this.budgetLeft);
    }
    this.returnNow();
  }

  /** The prologue, the blocks, and a final `unreachable` (every path has returned or faulted by then). */
  emit(): 'structured' | 'dispatch' {
    const f = this.f;
    if (!this.plan.shape.takesFrame) {
      f.get(this.depth); f.i32(2); f.op(Op.i32Shl);
      f.mem(Op.i32Load, 2, this.refs.scratch + IO.frames);
      f.op(Op.i64ExtendI32U);
      f.set(this.reg(10));
      if (this.usesMayGoto()) { f.i32(MAY_GOTO_BUDGET); f.set(this.mayGoto); }
    }
    this.leftIn();
    const g = this.plan.graph;
    if (g.reducible) structure(f, this.plan.cfg, g, this);
    else dispatch(f, this.plan.cfg, g, this, f.local(I32));
    f.op(Op.unreachable);
    return g.reducible ? 'structured' : 'dispatch';
  }

  body(b: BasicBlock): void {
    const f = this.f;
    const len = b.pcs.length;
    if (this.refs.checked) {
      f.get(this.budgetLeft); f.i64(len, 0); f.op(Op.i64Sub); f.tee(this.budgetLeft);
      f.i64(0, 0); f.op(Op.i64LtS);
      f.if();
      f.i32(Fault.budget); f.i32(b.pcs[0]!);
      f.get(this.budgetLeft); f.op(Op.i32WrapI64); f.i32(len); f.op(Op.i32Add);
      f.call(this.refs.faultFn);
      f.op(Op.unreachable);
      f.end();
    }
    const last = b.term === 'fall' ? len : len - 1;
    for (let k = 0; k < last; k++) {
      const pc = b.pcs[k]!;
      this.remaining = len - 1 - k;
      f.mark(pc);
      this.insn(pc);
    }
    if (b.term !== 'fall') f.mark(b.pcs[len - 1]!);
  }

  cond(b: BasicBlock): void {
    const ins = this.insns[b.pcs[b.pcs.length - 1]!]!;
    if (insnOp(ins.code) === BPF_JCOND) emitMayGoto(this, this.mayGoto);
    else emitCondition(this, ins);
  }

  notTaken(b: BasicBlock): void {
    if (this.hasNotTaken(b)) emitMayGotoNotTaken(this, this.mayGoto);
  }

  hasNotTaken(b: BasicBlock): boolean {
    return insnOp(this.insns[b.pcs[b.pcs.length - 1]!]!.code) === BPF_JCOND;
  }

  exit(): void {
    this.returnNow();
  }

  offEnd(b: BasicBlock): void {
    this.fault(Fault.offEnd, b.pcs[0]!, 0);
  }

  /** Whether the frame's may_goto counter is used: by may_goto, or handed to the target of a tail call. */
  private usesMayGoto(): boolean {
    return this.plan.cfg.blocks.some((b) => b.pcs.some((pc) => {
      const ins = this.insns[pc];
      if (!ins || insnClass(ins.code) !== BPF_JMP) return false;
      const op = insnOp(ins.code);
      return op === BPF_JCOND || (op === BPF_CALL && (isTailCall(ins) || (ins.code & BPF_X) !== 0));
    }));
  }

  private insn(pc: number): void {
    const ins = this.insns[pc]!;
    switch (insnClass(ins.code)) {
      case BPF_ALU:
      case BPF_ALU64: emitAlu(this, ins); return;
      case BPF_LD:
        // A callback reference loads the callee's slot, as the interpreter's callback values are.
        if (ins.code === LD_IMM64 && ins.src === BPF_PSEUDO_FUNC) this.f.i64((pc + 1 + ins.imm) | 0, 0);
        else if (ins.code === LD_IMM64) this.f.i64(ins.imm, this.insns[pc + 1]!.imm);
        else { emitLdAbs(this, ins, pc); return; }
        this.f.set(this.reg(ins.dst));
        return;
      case BPF_LDX: emitLoad(this, ins, pc); return;
      case BPF_ST: emitStore(this, ins, pc); return;
      case BPF_STX:
        if (insnMode(ins.code) === BPF_ATOMIC) emitAtomic(this, ins, pc); else emitStore(this, ins, pc);
        return;
      case BPF_JMP: emitCall(this, ins, pc); return;
      default: throw new Error(`insn ${pc}: opcode 0x${ins.code.toString(16)} cannot appear inside a basic block`);
    }
  }
}

/** Emits the body of one BPF function; returns it and how its control flow was arranged. */
export function emitFunction(
  insns: readonly Insn[], plan: FunctionPlan, refs: ModuleRefs, shapes: (entry: number) => CalleeShape,
): { body: FuncBuilder; mode: 'structured' | 'dispatch' } {
  const e = new FunctionEmitter(insns, plan, refs, shapes);
  const mode = e.emit();
  return { body: e.f, mode };
}
