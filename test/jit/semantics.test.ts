import { describe, expect, test } from 'vitest';
import { assemble } from '../../src/isa/index.js';
import { createMachine } from '../../src/machines.js';

const ops = [
  'lock *(u64 *)(r1 +OFF) += r2', 'lock *(u32 *)(r1 +OFF) += r2',
  'lock *(u64 *)(r1 +OFF) |= r2', 'lock *(u32 *)(r1 +OFF) &= r2', 'lock *(u64 *)(r1 +OFF) ^= r2',
  'r2 = atomic_fetch_add((u64 *)(r1 +OFF), r2)', 'r2 = atomic_fetch_and((u32 *)(r1 +OFF), r2)',
  'r2 = atomic_fetch_or((u64 *)(r1 +OFF), r2)', 'r2 = atomic_fetch_xor((u32 *)(r1 +OFF), r2)',
  'r2 = xchg_64(r1 +OFF, r2)', 'w2 = xchg32_32(r1 +OFF, w2)',
  'r0 = cmpxchg_64(r1 +OFF, r0, r2)', 'w0 = cmpxchg32_32(r1 +OFF, w0, w2)',
];

/** Input memory with a recognisable pattern. */
const mem = Uint8Array.from({ length: 32 }, (_, i) => (i * 29 + 7) & 0xff);

describe('JIT instruction semantics the random programs do not reach', () => {
  test.each(ops.flatMap((op) => [0, 1, 2, 3, 4, 8, 13].map((off) => [op.replace('OFF', String(off)), off] as const)))(
    '%s (aligned or not) on input memory', (op) => {
      const src = `r2 = 0x8877665544332211 ll\nr0 = *(u64 *)(r1 +8)\n${op}\nr0 += r2\nexit`;
      const m = createMachine({ cpus: 1 });
      const p = m.loadProgram({ insns: assemble(src).insns });
      const want = p.runRaw({ mem, engine: 'interp' });
      for (const checked of [true, false]) {
        const got = p.runRaw({ mem, engine: 'jit', checked });
        expect({ r0: got.r0, mem: got.mem }).toEqual({ r0: want.r0, mem: want.mem });
      }
    });

  test.each([
    ['LD_ABS at the last byte', 'r0 = *(u8 *)skb[31]\nexit'],
    ['LD_ABS one past the end', 'r0 = *(u16 *)skb[31]\nr0 = 5\nexit'],
    ['LD_ABS at a negative offset', 'r0 = *(u8 *)skb[-1]\nr0 = 5\nexit'],
    ['LD_IND with a negative register', 'r2 = -4\nr0 = *(u32 *)skb[r2 + 8]\nexit'],
    ['LD_IND wrapping at 2^31', 'r2 = 0x7fffffff\nr0 = *(u32 *)skb[r2 + 4]\nr0 = 5\nexit'],
    ['LD_IND reads the low half of the register', 'r2 = 0x100000004 ll\nr0 = *(u16 *)skb[r2 + 0]\nexit'],
    ['LD_ABS in a called function at depth 0 of the main program', 'r0 = *(u32 *)skb[0]\nr6 = r0\ncall f\nr0 += r6\nexit\nf: r0 = 1\nexit'],
  ])('%s', (_name, body) => {
    const m = createMachine({ cpus: 1 });
    const p = m.loadProgram({ insns: assemble(`r6 = r1\n${body}`).insns });
    const want = p.runRaw({ mem, engine: 'interp' });
    for (const checked of [true, false]) expect(p.runRaw({ mem, engine: 'jit', checked }).r0).toBe(want.r0);
    expect(p.runRaw({ mem, engine: 'jit' }).insns).toBe(want.insns);
  });

  test('a call to the main program: its exits and unwinds inside the call return to the caller', () => {
    const m = createMachine({ cpus: 1 });
    const src = 'main: r7 += 1\nif r7 == 1 goto again\nr0 = *(u32 *)skb[100]\nexit\nagain: call main\nexit';
    const p = m.loadProgram({ insns: assemble(src).insns });
    for (const engine of ['interp', 'jit']) {
      const f = (): unknown => p.runRaw({ mem, engine });
      expect(f).toThrow(/a failed LD_ABS\/LD_IND inside a BPF function cannot unwind the caller/);
    }
    const q = m.loadProgram({ insns: assemble('main: r1 += 1\nif r1 > 3 goto out\ncall main\nr0 += r1\nexit\nout: r0 = 10\nexit').insns });
    for (const checked of [true, false]) expect(q.runRaw({ engine: 'jit', checked }).r0).toBe(q.runRaw({ engine: 'interp' }).r0);
    expect(q.runRaw({ engine: 'interp' }).r0).toBe(22n);
  });
});
