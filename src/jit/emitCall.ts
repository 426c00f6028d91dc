import { BPF_PSEUDO_CALL, BPF_PSEUDO_KFUNC_CALL, BPF_X, MAX_CALL_FRAMES, insnSrc } from '../isa/index.js';
import type { Insn } from '../isa/index.js';
import { MAY_GOTO_BUDGET } from '../vm/index.js';
import { isTailCall } from './cfg.js';
import type { InsnEmitter } from './emitter.js';
import { emitInlineLookup } from './inline.js';
import { Fault, IO, TAIL_TAKEN } from './layout.js';
import { Op } from './wasm/ops.js';

/** A BPF function as a call site sees it. */
export interface CalleeShape {
  /** Its wasm function index. */
  readonly fn: number;
  /** Registers passed after depth and r1..r5 (of r0, r6..r9, in order). */
  readonly extraParams: readonly number[];
  /** Registers returned after r0 (of r1..r5, in order). */
  readonly extraResults: readonly number[];
  /** Whether r10 and the may_goto counter are passed last (the main program, which a tail call enters with them). */
  readonly takesFrame: boolean;
}

/** What call sites need beyond plain instructions. */
export interface CallEmitter extends InsnEmitter {
  /** The shape of the BPF function starting at slot `entry`. */
  callee(entry: number): CalleeShape;
  /** The function's own shape. */
  readonly shape: CalleeShape;
  /** The local holding the frame's may_goto counter (an i32). */
  readonly mayGoto: number;
  /** Checked mode: stores the function's instruction budget in the global before a call. */
  leftOut(): void;
  /** Checked mode: reloads the budget from the global after a call. */
  leftIn(): void;
  /** Checked mode: pushes the function's instruction budget (an i64). */
  left(): void;
  /** Checked mode: sets the function's instruction budget from the i64 on the stack. */
  setLeft(): void;
  /** Returns from the function with r0 and its extra results. */
  returnNow(): void;
}

/** The registers of a bit mask, in ascending order. */
export function regsOf(mask: number): number[] {
  const out: number[] = [];
  for (let r = 0; r < 16; r++) if (mask & (1 << r)) out.push(r);
  return out;
}

/** Stores register `r` into `HelperCall.lo/hi[r]` in the scratch area, as 32-bit halves (no BigInt anywhere). */
function storeHalves(e: InsnEmitter, r: number): void {
  const f = e.f;
  const io = e.refs.scratch;
  f.i32(0); f.get(e.reg(r)); f.mem(Op.i64Store32, 2, io + IO.lo + 4 * r);
  f.i32(0); f.get(e.reg(r)); f.i64(32, 0); f.op(Op.i64ShrU); f.mem(Op.i64Store32, 2, io + IO.hi + 4 * r);
}

/** Pushes `HelperCall.lo/hi[r]` as an i64. */
export function loadHalves(f: InsnEmitter['f'], scratch: number, r: number): void {
  f.i32(0); f.mem(Op.i64Load32U, 2, scratch + IO.lo + 4 * r);
  f.i32(0); f.mem(Op.i64Load32U, 2, scratch + IO.hi + 4 * r);
  f.i64(32, 0); f.op(Op.i64Shl, Op.i64Or);
}

/**
 * Before a helper: r1..r5 into `HelperCall.lo/hi`, and, when the program has callbacks, what
 * they read of this frame (r0, r6..r9) and the budget they count down.
 */
function beforeHelper(e: CallEmitter): void {
  for (let r = 1; r <= 5; r++) storeHalves(e, r);
  if (!e.refs.callbacks) return;
  for (const r of regsOf(e.refs.callbackParams)) storeHalves(e, r);
  e.leftOut();
}

/**
 * After a helper import returned its unwind flag: end the program if asked to (at depth 0), take
 * r0 from `lo[0]/hi[0]` and the r1..r5 read later from `lo/hi` (a callback leaves its own there,
 * as the interpreter's shared registers would), and in checked mode take back the budget and
 * forget the last regions hit: the helper may have freed one (the import has re-validated the
 * region cache for the same reason).
 */
function afterHelper(e: CallEmitter, pc: number): void {
  const f = e.f;
  const io = e.refs.scratch;
  if (!e.mayBeDepth0) f.op(Op.drop);
  else {
    f.get(e.depth); f.op(Op.i32Eqz, Op.i32And);
    f.if();
    e.earlyExit();
    f.end();
  }
  loadHalves(f, io, 0);
  f.set(e.reg(0));
  if (e.refs.callbacks) {
    for (const r of regsOf(e.refs.helperLive.get(pc) ?? 0)) { loadHalves(f, io, r); f.set(e.reg(r)); }
    e.leftIn();
  }
  forgetHits(e);
}

/** Checked mode: forgets the regions the last read and write hit (other code ran and may have freed them). */
function forgetHits(e: InsnEmitter): void {
  if (!e.refs.checked) return;
  e.f.i64(0, 0); e.f.gset(e.refs.readCache.span);
  e.f.i64(0, 0); e.f.gset(e.refs.writeCache.span);
}

/**
 * Hands the whole frame to a possible tail call: r0..r10 into `regs`, the may_goto counter and, in
 * checked mode, the budget.
 */
function storeFrame(e: CallEmitter): void {
  const f = e.f;
  const io = e.refs.scratch;
  for (let r = 0; r <= 10; r++) { f.i32(0); f.get(e.reg(r)); f.mem(Op.i64Store, 3, io + IO.regs + 8 * r); }
  f.i32(0); f.get(e.mayGoto); f.mem(Op.i32Store, 2, io + IO.mayGoto);
  if (e.refs.checked) { f.i32(0); e.left(); f.mem(Op.i64Store, 3, io + IO.left); }
}

/**
 * A tail call was taken and its target has exited at this depth: the frame ends with the target's
 * r0 (and the r1..r5 the caller reads) and what it left of the budget.
 */
function tailReturn(e: CallEmitter): void {
  const f = e.f;
  const io = e.refs.scratch;
  for (const r of [0, ...e.shape.extraResults]) { f.i32(0); f.mem(Op.i64Load, 3, io + IO.regs + 8 * r); f.set(e.reg(r)); }
  if (e.refs.checked) { f.i32(0); f.mem(Op.i64Load, 3, io + IO.left); e.setLeft(); }
  forgetHits(e);
  e.returnNow();
}

/**
 * `call bpf_tail_call`: the `tail` import looks the target up and, when there is one, runs it on
 * this frame's registers, stack and budget; this frame then returns what the target returned. When
 * there is none the program goes on with r0 unchanged.
 */
function emitTailCall(e: CallEmitter): void {
  const f = e.f;
  storeFrame(e);
  f.get(e.depth); f.call(e.refs.tailFn);
  f.if();
  tailReturn(e);
  f.end();
}

/**
 * `call %rN`: helper `rN` through the `helperx` import, which also carries out a tail call when
 * `rN` is 12 (it then returns TAIL_TAKEN).
 */
function emitCallx(e: CallEmitter, ins: Insn, pc: number): void {
  const f = e.f;
  storeFrame(e);
  beforeHelper(e);
  f.get(e.reg(ins.dst)); f.op(Op.i32WrapI64); f.i32(pc); f.get(e.depth);
  f.call(e.refs.helperx);
  f.tee(e.t32); f.i32(TAIL_TAKEN); f.op(Op.i32Eq);
  f.if();
  tailReturn(e);
  f.end();
  f.get(e.t32);
  afterHelper(e, pc);
}

/**
 * A kfunc call: r1..r5 into `HelperCall.lo/hi`, the `k<id>` import, r0 back from `lo[0]/hi[0]`, as
 * the interpreter calls the Machine's kfunc by BTF id; one the machine lacks is a fault.
 */
function emitKfunc(e: CallEmitter, ins: Insn, pc: number): void {
  const fn = e.refs.kfuncFns.get(ins.imm);
  if (fn === undefined) { e.fault(Fault.kfunc, pc, ins.imm); return; }
  for (let r = 1; r <= 5; r++) storeHalves(e, r);
  e.f.i32(pc);
  e.f.call(fn);
  loadHalves(e.f, e.refs.scratch, 0);
  e.f.set(e.reg(0));
  forgetHits(e);
}

/**
 * A bpf-to-bpf call: a direct wasm call with the depth + 1, r1..r5 and whatever else the callee
 * reads (the main program also takes the new frame's r10 and a fresh may_goto counter); r0 (and
 * what the caller reads later of r1..r5) come back as results. r6..r9 and r10 are the caller's
 * own locals, so they survive the call as BPF requires.
 */
function emitBpfCall(e: CallEmitter, target: number, pc: number): void {
  const f = e.f;
  const c = e.callee(target);
  f.get(e.depth); f.i32(MAX_CALL_FRAMES - 1); f.op(Op.i32GeS);
  f.if();
  e.fault(Fault.callDepth, pc, MAX_CALL_FRAMES - 1);
  f.end();
  e.leftOut();
  f.get(e.depth); f.i32(1); f.op(Op.i32Add);
  for (let r = 1; r <= 5; r++) f.get(e.reg(r));
  for (const r of c.extraParams) f.get(e.reg(r));
  if (c.takesFrame) {
    f.get(e.depth); f.i32(2); f.op(Op.i32Shl);
    f.mem(Op.i32Load, 2, e.refs.scratch + IO.frames + 4);
    f.op(Op.i64ExtendI32U);
    f.i32(MAY_GOTO_BUDGET);
  }
  f.call(c.fn);
  for (let i = c.extraResults.length - 1; i >= 0; i--) f.set(e.reg(c.extraResults[i]!));
  f.set(e.reg(0));
  e.leftIn();
}

/**
 * JMP | CALL: a helper (through its import, or inline for an array map lookup), a tail call,
 * `call %rN`, a bpf-to-bpf call or a kfunc. Helper imports take the call's pc and depth,
 * which the Executable needs if the helper calls back into the program.
 */
export function emitCall(e: CallEmitter, ins: Insn, pc: number): void {
  const f = e.f;
  if (insnSrc(ins.code) === BPF_X) { emitCallx(e, ins, pc); return; }
  if (ins.src === BPF_PSEUDO_CALL) { emitBpfCall(e, pc + 1 + ins.imm, pc); return; }
  if (ins.src === BPF_PSEUDO_KFUNC_CALL) { emitKfunc(e, ins, pc); return; }
  if (isTailCall(ins)) { emitTailCall(e); return; }
  const fn = e.refs.helperFns.get(ins.imm);
  if (fn === undefined) { e.fault(Fault.unknownHelper, pc, ins.imm); return; }
  const call = (): void => {
    beforeHelper(e);
    f.i32(pc); f.get(e.depth);
    f.call(fn);
    afterHelper(e, pc);
  };
  const array = e.refs.inlineLookups.get(pc);
  if (array) emitInlineLookup(e, array, call);
  else call();
}
