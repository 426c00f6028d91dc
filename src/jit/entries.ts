import { MAY_GOTO_BUDGET } from '../vm/index.js';
import { loadHalves } from './emitCall.js';
import type { CalleeShape } from './emitCall.js';
import type { ModuleRefs } from './emitter.js';
import { IO } from './layout.js';
import { FuncBuilder } from './wasm/func.js';
import { I32, I64, Op } from './wasm/ops.js';

/**
 * Checked mode, at the start of a run or a tail call: the budget from the scratch area into the
 * global; the last regions hit forgotten if the Executable found the region table changed.
 */
function enter(f: FuncBuilder, refs: ModuleRefs): void {
  if (!refs.checked) return;
  const io = refs.scratch;
  f.i32(0); f.mem(Op.i64Load, 3, io + IO.left); f.gset(refs.gLeft);
  f.i32(0); f.mem(Op.i32Load, 2, io + IO.dirty);
  f.if();
  f.i64(0, 0); f.gset(refs.readCache.span);
  f.i64(0, 0); f.gset(refs.writeCache.span);
  f.i32(0); f.i32(0); f.mem(Op.i32Store, 2, io + IO.dirty);
  f.end();
}

/** Checked mode: what is left of the budget back into the scratch area. */
function leave(f: FuncBuilder, refs: ModuleRefs): void {
  if (refs.checked) { f.i32(0); f.gget(refs.gLeft); f.mem(Op.i64Store, 3, refs.scratch + IO.left); }
}

/** Stores the i64 on the stack into `regs[r]`. */
function storeReg(f: FuncBuilder, refs: ModuleRefs, t: number, r: number): void {
  f.set(t);
  f.i32(0); f.get(t); f.mem(Op.i64Store, 3, refs.scratch + IO.regs + 8 * r);
}

/**
 * The exported `run()`: r1..r5 from the scratch area into the main program at depth 0 (r0 and
 * r6..r9 zero, r10 the CPU's first frame top, a fresh may_goto counter, as the interpreter starts),
 * r0 (and the budget left) back. The last regions hit stay cached from run to run unless the
 * Executable found the region table changed.
 */
export function runFunction(refs: ModuleRefs, main: CalleeShape): FuncBuilder {
  const f = new FuncBuilder([]);
  const t = f.local(I64);
  enter(f, refs);
  f.i32(0);
  for (let r = 1; r <= 5; r++) { f.i32(0); f.mem(Op.i64Load, 3, refs.scratch + IO.regs + 8 * r); }
  for (let k = 0; k < main.extraParams.length; k++) f.i64(0, 0);
  f.i32(0); f.mem(Op.i32Load, 2, refs.scratch + IO.frames); f.op(Op.i64ExtendI32U);
  f.i32(MAY_GOTO_BUDGET);
  f.call(main.fn);
  for (let k = 0; k < main.extraResults.length; k++) f.op(Op.drop);
  storeReg(f, refs, t, 0);
  leave(f, refs);
  return f;
}

/**
 * The exported `tail(depth)`: the main program entered by a tail call at `depth`, with every
 * register and the may_goto counter of the frame it replaces (from the scratch area, where the
 * Executable copied them from the caller's); r0..r5 (and the budget left) back.
 */
export function tailFunction(refs: ModuleRefs, main: CalleeShape): FuncBuilder {
  const f = new FuncBuilder([I32]);
  const t = f.local(I64);
  const io = refs.scratch;
  enter(f, refs);
  f.get(0);
  for (const r of [1, 2, 3, 4, 5, ...main.extraParams, 10]) { f.i32(0); f.mem(Op.i64Load, 3, io + IO.regs + 8 * r); }
  f.i32(0); f.mem(Op.i32Load, 2, io + IO.mayGoto);
  f.call(main.fn);
  for (const r of [0, ...main.extraResults].reverse()) storeReg(f, refs, t, r);
  leave(f, refs);
  return f;
}

/**
 * The exported `cb(k, depth)`: callback number `k` (of `callbacks`) at `depth`, its r1..r5 (and
 * whatever else it reads of the calling frame) from `HelperCall.lo/hi`, where its r0 (and the
 * r1..r5 the calling frame reads after the helper) go back — the interpreter's registers, which
 * the helper and the callback share there.
 */
export function callbackFunction(refs: ModuleRefs, callbacks: readonly CalleeShape[]): FuncBuilder {
  const f = new FuncBuilder([I32, I32]);
  const t = f.local(I64);
  const io = refs.scratch;
  const n = callbacks.length;
  for (let i = 0; i <= n; i++) f.block();
  f.get(0);
  f.brTable(Array.from({ length: n }, (_, i) => i), n);
  for (const c of callbacks) {
    f.end();
    f.get(1);
    for (const r of [1, 2, 3, 4, 5, ...c.extraParams]) loadHalves(f, io, r);
    f.call(c.fn);
    for (const r of [0, ...c.extraResults].reverse()) {
      f.set(t);
      f.i32(0); f.get(t); f.mem(Op.i64Store32, 2, io + IO.lo + 4 * r);
      f.i32(0); f.get(t); f.i64(32, 0); f.op(Op.i64ShrU); f.mem(Op.i64Store32, 2, io + IO.hi + 4 * r);
    }
    f.op(Op.return);
  }
  f.end();
  return f;
}
