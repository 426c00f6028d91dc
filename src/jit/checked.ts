import { ENTRY_BYTES, IO } from './layout.js';
import { FuncBuilder } from './wasm/func.js';
import { I32, I64, Op } from './wasm/ops.js';

/** Globals of the last region hit by reads or by writes: start and span (i64 each). */
export interface HitCache {
  /** Start of the region. */
  readonly start: number;
  /** Its size; 0 means nothing is cached. */
  readonly span: number;
}

/**
 * The body of `chk_r` or `chk_w (addr: i64, size: i32, pc: i32) -> i32`, checked mode's access
 * check. Three tiers, cheapest first: the region the last read (write) hit, held in two globals;
 * then a scan of the region cache in the scratch area (the run's stack frames, then regions found
 * during the run); then the `slow` import, which asks the arena's region table, throws the
 * interpreter's VmFault for a bad access, and otherwise caches the region and returns its entry
 * index. The region table may change between runs and inside helpers, so the Executable
 * re-validates the cache against it before a run and after every helper call; the module forgets
 * the last hits after every helper call, and before a run when the cache changed. A region holds `[addr, addr + size)` when `e = addr - start + size`
 * satisfies `size <= e <= span` as unsigned 64-bit numbers, which also rejects addresses below the
 * start or with high bits set.
 */
export function checkFunction(scratch: number, cache: HitCache, write: boolean, slow: number): FuncBuilder {
  const f = new FuncBuilder([I64, I32, I32]);
  const [a, sz, pc] = [0, 1, 2];
  const e = f.local(I64);
  const i = f.local(I32);
  const p = f.local(I32);
  const table = scratch + IO.table;
  const hit = (start: () => void, span: () => void): void => {
    f.get(a); start(); f.op(Op.i64Sub); f.get(sz); f.op(Op.i64ExtendI32U, Op.i64Add); f.tee(e);
    f.get(sz); f.op(Op.i64ExtendI32U, Op.i64GeU);
    f.get(e); span(); f.op(Op.i64LeU);
    f.op(Op.i32And);
  };
  const remember = (): void => {
    f.get(p); f.mem(Op.i32Load, 2, table); f.op(Op.i64ExtendI32U); f.gset(cache.start);
    f.get(p); f.mem(Op.i32Load, 2, table + 4); f.op(Op.i64ExtendI32U); f.gset(cache.span);
  };
  const wrapA = (): void => { f.get(a); f.op(Op.i32WrapI64); };

  hit(() => f.gget(cache.start), () => f.gget(cache.span));
  f.if(); wrapA(); f.op(Op.return); f.end();

  // Newest entries first: the stack frames are at the bottom, and most stack accesses never get here.
  f.i32(0); f.mem(Op.i32Load, 2, scratch + IO.tableLen); f.set(i);
  f.block();
  f.loop();
  f.get(i); f.op(Op.i32Eqz); f.brIf(1);
  f.get(i); f.i32(1); f.op(Op.i32Sub); f.tee(i);
  f.i32(Math.log2(ENTRY_BYTES)); f.op(Op.i32Shl); f.set(p);
  hit(() => { f.get(p); f.mem(Op.i32Load, 2, table); f.op(Op.i64ExtendI32U); },
    () => { f.get(p); f.mem(Op.i32Load, 2, table + 4); f.op(Op.i64ExtendI32U); });
  if (write) { f.get(p); f.mem(Op.i32Load, 2, table + 8); f.op(Op.i32And); }
  f.if(); remember(); wrapA(); f.op(Op.return); f.end();
  f.br(0);
  f.end();
  f.end();

  wrapA();
  f.get(a); f.i64(32, 0); f.op(Op.i64ShrU, Op.i32WrapI64);
  f.get(sz); f.i32(write ? 1 : 0); f.get(pc);
  f.call(slow);
  f.tee(i); f.i32(0); f.op(Op.i32GeS);
  f.if();
  f.get(i); f.i32(Math.log2(ENTRY_BYTES)); f.op(Op.i32Shl); f.set(p);
  remember();
  f.end();
  wrapA();
  return f;
}
