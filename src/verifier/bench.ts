/**
 * A micro-benchmark of the scalar domain, for the project's bench: millions of operations per
 * second for tnum arithmetic, a full ALU transfer (with reg_bounds_sync) and a branch refinement.
 */
import { BPF_ADD, BPF_AND, BPF_JGT, BPF_LSH, BPF_MUL } from '../isa/index.js';
import { scalarAlu, immScalar } from './alu.js';
import { branchTaken, refineBranch } from './branch.js';
import { Scalar, boundsSync, copyScalar } from './scalar.js';
import { tnumAdd, tnumMul, tnumOfHalves } from './tnum.js';

/** One row of the domain benchmark. */
export interface DomainBenchRow {
  /** What was timed. */
  readonly name: string;
  /** Millions of operations per second. */
  readonly mops: number;
}

function time(name: string, minMs: number, body: (n: number) => number): DomainBenchRow {
  // Each body returns a value of its last result so that the work cannot be optimised away.
  let n = 1000;
  body(n);
  for (;;) {
    const t0 = performance.now();
    body(n);
    const ms = performance.now() - t0;
    if (ms >= minMs || n >= 1 << 30) return { name, mops: n / ms / 1e3 };
    n *= ms < minMs / 8 ? 8 : 2;
  }
}

/** Times the domain operations; each row runs for at least `minMs` milliseconds (default 200). */
export function benchVerifierDomain(minMs = 200): DomainBenchRow[] {
  const a = tnumOfHalves(0, 5, 0, 0xf0);
  const b = tnumOfHalves(0, 0x100, 0, 3);
  const out = tnumOfHalves(0, 0, 0, 0);
  const base = Scalar.unknown();
  scalarAlu(base, immScalar(new Scalar(), 0xffff), BPF_AND, true);
  const dst = new Scalar();
  const k = immScalar(new Scalar(), 3);
  const lim = immScalar(new Scalar(), 1000);
  const x = new Scalar();
  const y = new Scalar();
  return [
    time('tnum_add', minMs, (n) => { for (let i = 0; i < n; i++) tnumAdd(out, a, b); return out.mlo; }),
    time('tnum_mul', minMs, (n) => { for (let i = 0; i < n; i++) tnumMul(out, a, b); return out.mlo; }),
    time('reg_bounds_sync', minMs, (n) => { for (let i = 0; i < n; i++) boundsSync(copyScalar(dst, base)); return dst.umaxLo; }),
    time('alu64 add imm', minMs, (n) => { for (let i = 0; i < n; i++) scalarAlu(copyScalar(dst, base), k, BPF_ADD, true); return dst.umaxLo; }),
    time('alu32 lsh imm', minMs, (n) => { for (let i = 0; i < n; i++) scalarAlu(copyScalar(dst, base), k, BPF_LSH, false); return dst.umaxLo; }),
    time('alu64 mul reg', minMs, (n) => { for (let i = 0; i < n; i++) scalarAlu(copyScalar(dst, base), base, BPF_MUL, true); return dst.umaxLo; }),
    time('jgt taken? + refine both', minMs, (n) => {
      for (let i = 0; i < n; i++) {
        copyScalar(x, base);
        copyScalar(y, lim);
        if (branchTaken(x, y, BPF_JGT, false) < 0) refineBranch(x, y, BPF_JGT, false, true);
      }
      return x.umaxLo;
    }),
  ];
}
