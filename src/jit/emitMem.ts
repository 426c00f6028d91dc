import {
  BPF_ABS, BPF_ADD, BPF_AND, BPF_CMPXCHG, BPF_DW, BPF_FETCH, BPF_LDX, BPF_MEMSX, BPF_OR, BPF_PROBE_MEM, BPF_STX, BPF_XCHG,
  BPF_XOR, insnClass, insnMode, insnSize, sizeBytes,
} from '../isa/index.js';
import type { Insn } from '../isa/index.js';
import { bswap16, bswap32 } from './emitAlu.js';
import type { InsnEmitter } from './emitter.js';
import { Fault, IO } from './layout.js';
import { AtomicRmw, I64, Op, RMW_I64, RMW_I64_32 } from './wasm/ops.js';

const LOAD_U: Record<number, number> = { 1: Op.i64Load8U, 2: Op.i64Load16U, 4: Op.i64Load32U, 8: Op.i64Load };
const LOAD_S: Record<number, number> = { 1: Op.i64Load8S, 2: Op.i64Load16S, 4: Op.i64Load32S };
const STORE: Record<number, number> = { 1: Op.i64Store8, 2: Op.i64Store16, 4: Op.i64Store32, 8: Op.i64Store };
const ALIGN: Record<number, number> = { 1: 0, 2: 1, 4: 2, 8: 3 };

/** Whether `ins` is a BPF_PROBE_MEM load (through a kernel pointer). */
export function isProbeLoad(ins: Insn): boolean {
  return insnClass(ins.code) === BPF_LDX && insnMode(ins.code) === BPF_PROBE_MEM;
}

/** A BPF_PROBE_MEM load: the `probe` import finds the bytes in the arena; where nothing is mapped the load gives 0. */
function emitProbeLoad(e: InsnEmitter, ins: Insn, n: number): void {
  const f = e.f;
  f.get(e.reg(ins.src));
  if (ins.off !== 0) { f.i64s(ins.off); f.op(Op.i64Add); }
  f.tee(e.t64);
  f.op(Op.i32WrapI64);
  f.get(e.t64); f.i64(32, 0); f.op(Op.i64ShrU); f.op(Op.i32WrapI64);
  f.i32(n);
  f.call(e.refs.probeFn);
  f.tee(e.t32);
  f.i32(0); f.op(Op.i32LtS);
  f.if(I64);
  f.i64(0, 0);
  f.else();
  f.get(e.t32);
  f.mem(LOAD_U[n]!, 0, 0);
  f.end();
  f.set(e.reg(ins.dst));
}

/** LDX: `dst = *(size *)(src + off)`, zero- or (MEMSX) sign-extending; PROBE_MEM loads give 0 where they would fault. */
export function emitLoad(e: InsnEmitter, ins: Insn, pc: number): void {
  const n = sizeBytes(insnSize(ins.code));
  if (insnMode(ins.code) === BPF_PROBE_MEM) { emitProbeLoad(e, ins, n); return; }
  e.address(ins.src, ins.off, n, false, pc);
  e.f.mem(insnMode(ins.code) === BPF_MEMSX ? LOAD_S[n]! : LOAD_U[n]!, ALIGN[n]!, 0);
  e.f.set(e.reg(ins.dst));
}

/** ST and STX: `*(size *)(dst + off) = imm or src`. */
export function emitStore(e: InsnEmitter, ins: Insn, pc: number): void {
  const n = sizeBytes(insnSize(ins.code));
  e.address(ins.dst, ins.off, n, true, pc);
  if (insnClass(ins.code) === BPF_STX) e.f.get(e.reg(ins.src)); else e.f.i64s(ins.imm);
  e.f.mem(STORE[n]!, ALIGN[n]!, 0);
}

const RMW: Record<number, number> = { [BPF_ADD]: AtomicRmw.add, [BPF_OR]: AtomicRmw.or, [BPF_AND]: AtomicRmw.and, [BPF_XOR]: AtomicRmw.xor };
const PLAIN: Record<number, number> = { [BPF_ADD]: Op.i64Add, [BPF_OR]: Op.i64Or, [BPF_AND]: Op.i64And, [BPF_XOR]: Op.i64Xor };

/**
 * STX | ATOMIC: WebAssembly's atomic read-modify-write instructions, 32-bit ones in their
 * zero-extending i64 forms (which also compare only the low 32 bits of r0 in cmpxchg, as BPF does).
 * They trap on a misaligned address, which BPF code that was never verified may use: such an access
 * takes the same operation as a plain load, operate and store, as the interpreter does.
 */
export function emitAtomic(e: InsnEmitter, ins: Insn, pc: number): void {
  const f = e.f;
  const wide = insnSize(ins.code) === BPF_DW;
  const n = wide ? 8 : 4;
  const s = e.reg(ins.src);
  const r0 = e.reg(0);
  const op = ins.imm;
  const a = e.t32;
  e.address(ins.dst, ins.off, n, true, pc);
  f.set(a);
  const atomic = (): void => {
    f.get(a);
    if (op === BPF_CMPXCHG) f.get(r0);
    f.get(s);
    const base = op === BPF_XCHG ? AtomicRmw.xchg : op === BPF_CMPXCHG ? AtomicRmw.cmpxchg : RMW[op & ~BPF_FETCH]!;
    f.atomic(base + (wide ? RMW_I64 : RMW_I64_32), ALIGN[n]!, 0);
    if (op === BPF_CMPXCHG) f.set(r0);
    else if (op & BPF_FETCH) f.set(s);
    else f.op(Op.drop);
  };
  const plain = (): void => {
    const old = e.t64;
    f.get(a);
    f.mem(wide ? Op.i64Load : Op.i64Load32U, 0, 0);
    f.set(old);
    if (op === BPF_CMPXCHG) {
      f.get(r0);
      if (!wide) { f.i64(-1, 0); f.op(Op.i64And); }
      f.get(old);
      f.op(Op.i64Eq);
      f.if();
      f.get(a); f.get(s); f.mem(STORE[n]!, 0, 0);
      f.end();
      f.get(old); f.set(r0);
      return;
    }
    f.get(a);
    if (op === BPF_XCHG) f.get(s); else { f.get(old); f.get(s); f.op(PLAIN[op & ~BPF_FETCH]!); }
    f.mem(STORE[n]!, 0, 0);
    if (op & BPF_FETCH) { f.get(old); f.set(s); }
  };
  if (e.aligned(ins.dst, ins.off, n)) { atomic(); return; }
  f.get(a); f.i32(n - 1); f.op(Op.i32And);
  f.if();
  plain();
  f.else();
  atomic();
  f.end();
}

/**
 * LD_ABS / LD_IND: r0 = the big-endian 1, 2 or 4 bytes at packet offset imm (+ src). Out of the
 * packet, the program ends with r0 = 0, as in the interpreter; inside a BPF function that is a fault.
 */
export function emitLdAbs(e: InsnEmitter, ins: Insn, pc: number): void {
  const f = e.f;
  const n = sizeBytes(insnSize(ins.code));
  const off = e.t32;
  const io = e.refs.scratch;
  if (insnMode(ins.code) === BPF_ABS) f.i32(ins.imm);
  else { f.get(e.reg(ins.src)); f.op(Op.i32WrapI64); f.i32(ins.imm); f.op(Op.i32Add); }
  f.set(off);
  f.get(off); f.i32(0); f.op(Op.i32LtS);
  f.get(off); f.i32(0); f.mem(Op.i32Load, 2, io + IO.packet + 4); f.i32(n); f.op(Op.i32Sub, Op.i32GtS);
  f.op(Op.i32Or);
  f.if();
  if (e.mayBeDepth0) { f.get(e.depth); f.op(Op.i32Eqz); f.if(); e.earlyExit(); f.end(); }
  e.fault(Fault.ldAbsInCall, pc, 0);
  f.end();
  f.i32(0); f.mem(Op.i32Load, 2, io + IO.packet);
  f.get(off); f.op(Op.i32Add);
  if (n === 1) { f.mem(Op.i64Load8U, 0, 0); f.set(e.reg(0)); return; }
  if (n === 2) { f.mem(Op.i32Load16U, 0, 0); bswap16(e); } else { f.mem(Op.i32Load, 0, 0); bswap32(e); }
  f.op(Op.i64ExtendI32U);
  f.set(e.reg(0));
}
