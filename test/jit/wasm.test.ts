import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { ByteWriter } from '../../src/jit/wasm/bytes.js';
import { FuncBuilder } from '../../src/jit/wasm/func.js';
import { ModuleBuilder } from '../../src/jit/wasm/module.js';
import { I32, I64, Op } from '../../src/jit/wasm/ops.js';

/** Signed LEB128 the slow, obvious way. */
function slebRef(v: bigint): number[] {
  const out: number[] = [];
  for (;;) {
    const b = Number(v & 0x7fn);
    v >>= 7n;
    const done = (v === 0n && (b & 0x40) === 0) || (v === -1n && (b & 0x40) !== 0);
    out.push(done ? b : b | 0x80);
    if (done) return out;
  }
}

function bytesOf(fill: (w: ByteWriter) => void): number[] {
  const w = new ByteWriter();
  fill(w);
  return [...w.view()];
}

describe('WebAssembly binary encoder', () => {
  test.each([[0, [0]], [127, [0x7f]], [128, [0x80, 0x01]], [624485, [0xe5, 0x8e, 0x26]], [0xffffffff, [0xff, 0xff, 0xff, 0xff, 0x0f]]])(
    'u32 %i', (v, want) => expect(bytesOf((w) => w.u32(v))).toEqual(want));

  test('s32 and s64 (from halves, no BigInt) match the reference encoding', () => {
    fc.assert(fc.property(fc.integer({ min: -0x80000000, max: 0x7fffffff }), (v) => {
      expect(bytesOf((w) => w.s32(v))).toEqual(slebRef(BigInt(v)));
    }));
    fc.assert(fc.property(fc.bigInt({ min: -(1n << 63n), max: (1n << 63n) - 1n }), (v) => {
      const lo = Number(BigInt.asIntN(32, v));
      const hi = Number(BigInt.asIntN(32, v >> 32n));
      expect(bytesOf((w) => w.s64(lo, hi))).toEqual(slebRef(v));
    }));
  });

  test('a module with an import, a global, mutual calls and an export validates and runs', () => {
    const m = new ModuleBuilder();
    const log: number[] = [];
    const imp = m.importFunc('env', 'log', [I32], []);
    const g = m.global(I64, [Op.i64Const, 5]);
    const a = m.declare([I64], [I64]);
    const b = m.declare([I64], [I64]);
    const fa = new FuncBuilder([I64]);
    fa.get(0); fa.op(Op.i32WrapI64); fa.call(imp);
    fa.get(0); fa.i64(-1, 0x7fffffff); fa.op(Op.i64And); fa.call(b);
    m.define(a, fa);
    const fb = new FuncBuilder([I64]);
    fb.get(0); fb.gget(g); fb.op(Op.i64Add);
    m.define(b, fb);
    m.exportFunc('a', a);
    const { bytes, codeStarts } = m.finish();
    expect(WebAssembly.validate(bytes)).toBe(true);
    expect(codeStarts).toHaveLength(2);
    const inst = new WebAssembly.Instance(new WebAssembly.Module(bytes), { env: { log: (x: number) => log.push(x) } });
    expect((inst.exports['a'] as (x: bigint) => bigint)(-1n)).toBe(BigInt.asIntN(64, 0x7fffffff_ffffffffn + 5n));
    expect(log).toEqual([-1]);
  });
});
