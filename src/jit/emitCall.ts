import { BPF_PSEUDO_CALL, BPF_PSEUDO_KFUNC_CALL, BPF_X, MAX_CALL_FRAMES, insnSrc } from '../isa/index.js';
import type { Insn } from '../isa/index.js';
import type { InsnEmitter } from './emitter.js';
import { Fault, IO } from './layout.js';
import { Op } from './wasm/ops.js';

/** A BPF function as a call site sees it. */
export interface CalleeShape {
  /** Its wasm function index. */
  readonly fn: number;
  /** Registers passed after depth and r1..r5 (of r0, r6..r9, in order). */
  readonly extraParams: readonly number[];
  /** Registers returned after r0 (of r1..r5, in order). */
  readonly extraResults: readonly number[];
}

/** What call sites need beyond plain instructions. */
export interface CallEmitter extends InsnEmitter {
  /** The shape of the BPF function starting at slot `entry`. */
  callee(entry: number): CalleeShape;
  /** Checked mode: stores the function's instruction budget in the global before a call. */
  leftOut(): void;
  /** Checked mode: reloads the budget from the global after a call. */
  leftIn(): void;
}

/** The registers of a bit mask, in ascending order. */
export function regsOf(mask: number): number[] {
  const out: number[] = [];
  for (let r = 0; r < 16; r++) if (mask & (1 << r)) out.push(r);
  return out;
}

/** Writes r1..r5 to `HelperCall.lo/hi` in the scratch area, as 32-bit halves (no BigInt anywhere). */
function storeArgs(e: InsnEmitter): void {
  const f = e.f;
  const io = e.refs.scratch;
  for (let r = 1; r <= 5; r++) {
    f.i32(0); f.get(e.reg(r)); f.mem(Op.i64Store32, 2, io + IO.lo + 4 * r);
    f.i32(0); f.get(e.reg(r)); f.i64(32, 0); f.op(Op.i64ShrU); f.mem(Op.i64Store32, 2, io + IO.hi + 4 * r);
  }
}

/**
 * After a helper import returned its unwind flag: end the program if asked to (at depth 0), take
 * r0 from `lo[0]/hi[0]`, and in checked mode forget the last regions hit: the helper may have
 * freed one (the import has re-validated the region cache for the same reason).
 */
function afterHelper(e: InsnEmitter): void {
  const f = e.f;
  const io = e.refs.scratch;
  if (e.atDepth0 === 'never') f.op(Op.drop);
  else {
    if (e.atDepth0 === 'maybe') { f.get(e.depth); f.op(Op.i32Eqz, Op.i32And); }
    f.if();
    e.earlyExit();
    f.end();
  }
  f.i32(0); f.mem(Op.i64Load32U, 2, io + IO.lo);
  f.i32(0); f.mem(Op.i64Load32U, 2, io + IO.hi);
  f.i64(32, 0); f.op(Op.i64Shl, Op.i64Or);
  f.set(e.reg(0));
  if (e.refs.checked) {
    f.i64(0, 0); f.gset(e.refs.readCache.span);
    f.i64(0, 0); f.gset(e.refs.writeCache.span);
  }
}

/**
 * A bpf-to-bpf call: a direct wasm call with the depth + 1, r1..r5 and whatever else the callee
 * reads; r0 (and what the caller reads later of r1..r5) come back as results. r6..r9 and r10 are
 * the caller's own locals, so they survive the call as BPF requires.
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
  f.call(c.fn);
  for (let i = c.extraResults.length - 1; i >= 0; i--) f.set(e.reg(c.extraResults[i]!));
  f.set(e.reg(0));
  e.leftIn();
}

/** JMP | CALL: a helper (through its import), `call %rN`, a bpf-to-bpf call or a kfunc (a fault). */
export function emitCall(e: CallEmitter, ins: Insn, pc: number): void {
  const f = e.f;
  if (insnSrc(ins.code) === BPF_X) {
    storeArgs(e);
    f.get(e.reg(ins.dst)); f.op(Op.i32WrapI64); f.i32(pc);
    f.call(e.refs.helperx);
    afterHelper(e);
    return;
  }
  if (ins.src === BPF_PSEUDO_CALL) { emitBpfCall(e, pc + 1 + ins.imm, pc); return; }
  if (ins.src === BPF_PSEUDO_KFUNC_CALL) { e.fault(Fault.kfunc, pc, ins.imm); return; }
  const fn = e.refs.helperFns.get(ins.imm);
  if (fn === undefined) { e.fault(Fault.unknownHelper, pc, ins.imm); return; }
  storeArgs(e);
  f.call(fn);
  afterHelper(e);
}
