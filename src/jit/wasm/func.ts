import { ByteWriter } from './bytes.js';
import { ATOMIC_PREFIX, Op, VOID } from './ops.js';

/**
 * The body of one WebAssembly function under construction: its locals and instruction bytes, with
 * one small method per instruction form. `mark` records which BPF instruction the following bytes
 * come from, so that a trap's code offset can be mapped back to a BPF pc.
 */
export class FuncBuilder {
  /** The instruction bytes so far. */
  readonly code = new ByteWriter();
  /** Parameter types (locals 0 .. params.length-1). */
  readonly params: readonly number[];
  /** Pairs of (code offset, BPF pc), in code order. */
  readonly marks: number[] = [];
  private readonly locals: number[] = [];

  constructor(params: readonly number[]) {
    this.params = params;
  }

  /** Adds a local of a value type; returns its index. */
  local(type: number): number {
    this.locals.push(type);
    return this.params.length + this.locals.length - 1;
  }

  /** The local declarations, run-length encoded as the code section wants them. */
  encodeLocals(): Uint8Array {
    const w = new ByteWriter();
    const runs: [number, number][] = [];
    for (const t of this.locals) {
      const last = runs[runs.length - 1];
      if (last && last[1] === t) last[0]++;
      else runs.push([1, t]);
    }
    w.u32(runs.length);
    for (const [n, t] of runs) { w.u32(n); w.byte(t); }
    return w.view().slice();
  }

  /** Records that the code from here on belongs to BPF instruction `pc`. */
  mark(pc: number): void {
    this.marks.push(this.code.length, pc);
  }

  /** Emits opcodes without immediates. */
  op(...codes: number[]): void {
    for (const c of codes) this.code.byte(c);
  }

  /** `local.get i`. */
  get(i: number): void { this.code.byte(Op.localGet); this.code.u32(i); }
  /** `local.set i`. */
  set(i: number): void { this.code.byte(Op.localSet); this.code.u32(i); }
  /** `local.tee i`. */
  tee(i: number): void { this.code.byte(Op.localTee); this.code.u32(i); }
  /** `global.get i`. */
  gget(i: number): void { this.code.byte(Op.globalGet); this.code.u32(i); }
  /** `global.set i`. */
  gset(i: number): void { this.code.byte(Op.globalSet); this.code.u32(i); }
  /** `i32.const v`. */
  i32(v: number): void { this.code.byte(Op.i32Const); this.code.s32(v); }
  /** `i64.const` of the value with halves `lo`, `hi`. */
  i64(lo: number, hi: number): void { this.code.byte(Op.i64Const); this.code.s64(lo, hi); }
  /** `i64.const` of a sign-extended 32-bit value. */
  i64s(v: number): void { this.i64(v, v >> 31); }

  /** A load or store with alignment exponent `align` and constant `offset`. */
  mem(op: number, align: number, offset: number): void {
    this.code.byte(op);
    this.code.u32(align);
    this.code.u32(offset);
  }

  /** An atomic instruction (0xfe prefix); the alignment must be the access's natural one. */
  atomic(op: number, align: number, offset: number): void {
    this.code.byte(ATOMIC_PREFIX);
    this.code.u32(op);
    this.code.u32(align);
    this.code.u32(offset);
  }

  /** `block` with a block type (default: no result). */
  block(type: number = VOID): void { this.code.byte(Op.block); this.code.byte(type); }
  /** `loop` with no result. */
  loop(): void { this.code.byte(Op.loop); this.code.byte(VOID); }
  /** `if` with a block type (default: no result). */
  if(type: number = VOID): void { this.code.byte(Op.if); this.code.byte(type); }
  /** `else`. */
  else(): void { this.code.byte(Op.else); }
  /** `end`. */
  end(): void { this.code.byte(Op.end); }
  /** `br depth`. */
  br(depth: number): void { this.code.byte(Op.br); this.code.u32(depth); }
  /** `br_if depth`. */
  brIf(depth: number): void { this.code.byte(Op.brIf); this.code.u32(depth); }
  /** `br_table` over `targets` with a default. */
  brTable(targets: readonly number[], dflt: number): void {
    this.code.byte(Op.brTable);
    this.code.u32(targets.length);
    for (const t of targets) this.code.u32(t);
    this.code.u32(dflt);
  }
  /** `call f`. */
  call(f: number): void { this.code.byte(Op.call); this.code.u32(f); }
}
