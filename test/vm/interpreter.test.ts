import { describe, expect, test } from 'vitest';
import { HelperTable } from '../../src/helpers/index.js';
import { assemble } from '../../src/isa/index.js';
import { createMachine } from '../../src/machines.js';
import { VmFault } from '../../src/vm/index.js';

/** Every engine runs every case: the interpreter (the reference semantics) and the JIT. */
const ENGINES = ['interp', 'jit'] as const;

function on(engine: string): {
  run: (src: string, mem?: Uint8Array, m?: ReturnType<typeof createMachine>) => bigint;
  fault: (src: string, mem?: Uint8Array, opts?: { budget?: number }) => VmFault;
} {
  const run = (src: string, mem?: Uint8Array, m = createMachine({ cpus: 1 })): bigint =>
    m.loadProgram({ insns: assemble(src).insns }).runRaw({ engine, ...(mem ? { mem } : {}) }).r0;
  const fault = (src: string, mem?: Uint8Array, opts: { budget?: number } = {}): VmFault => {
    const m = createMachine({ cpus: 1 });
    try {
      m.loadProgram({ insns: assemble(src).insns }).runRaw({ engine, ...(mem ? { mem } : {}), ...opts });
    } catch (e) {
      if (e instanceof VmFault) return e;
      throw e;
    }
    throw new Error('expected a fault');
  };
  return { run, fault };
}

const U64 = (x: bigint): bigint => BigInt.asUintN(64, x);

describe.each(ENGINES)('%s: edge cases per instruction (RFC 9669)', (engine) => {
  const { run } = on(engine);
  test.each([
    ['64-bit add wraps', 'r0 = -1\nr0 += 1\nexit', 0n],
    ['add carries into the high half', 'r0 = 0xffffffff ll\nr0 += 1\nexit', 0x100000000n],
    ['sub borrows from the high half', 'r0 = 0x100000000 ll\nr0 -= 1\nexit', 0xffffffffn],
    ['32-bit add zero-extends', 'r0 = -1\nw0 += 1\nexit', 0n],
    ['32-bit result clears the high half', 'r0 = -1\nw0 += 0\nexit', 0xffffffffn],
    ['imm is sign-extended for ALU64', 'r0 = 0\nr0 |= -2\nexit', U64(-2n)],
    ['udiv by zero register gives 0', 'r0 = 7\nr1 = 0\nr0 /= r1\nexit', 0n],
    ['umod by zero register leaves dst', 'r0 = -7\nr1 = 0\nr0 %= r1\nexit', U64(-7n)],
    ['32-bit umod by zero zero-extends dst', 'r0 = -7\nr1 = 0\nw0 %= w1\nexit', 0xfffffff9n],
    ['sdiv INT64_MIN / -1 wraps to INT64_MIN', 'r0 = 0x8000000000000000 ll\nr1 = -1\nr0 s/= r1\nexit', 0x8000000000000000n],
    ['smod INT64_MIN % -1 is 0', 'r0 = 0x8000000000000000 ll\nr1 = -1\nr0 s%= r1\nexit', 0n],
    ['smod takes the sign of the dividend', 'r0 = -7\nr0 s%= 3\nexit', U64(-1n)],
    ['sdiv truncates toward zero', 'r0 = -7\nr0 s/= 2\nexit', U64(-3n)],
    ['32-bit sdiv INT32_MIN / -1', 'w0 = -2147483648\nw1 = -1\nw0 s/= w1\nexit', 0x80000000n],
    ['64-bit udiv with a 33-bit divisor', 'r0 = 0xfffffffffffffff0 ll\nr1 = 0x100000007 ll\nr0 /= r1\nexit', 0xfffffff9n],
    ['unsigned div uses the sign-extended imm', 'r0 = -1\nr0 /= -1\nexit', 1n],
    ['64-bit mul low half', 'r0 = 0x9e3779b97f4a7c15 ll\nr1 = 0xbf58476d1ce4e5b9 ll\nr0 *= r1\nexit',
      U64(0x9e3779b97f4a7c15n * 0xbf58476d1ce4e5b9n)],
    ['shift by register masks to 63', 'r0 = 1\nr1 = 65\nr0 <<= r1\nexit', 2n],
    ['32-bit shift by register masks to 31', 'w0 = 1\nw1 = 33\nw0 <<= w1\nexit', 2n],
    ['arsh64 across halves', 'r0 = 0x8000000000000000 ll\nr0 s>>= 36\nexit', 0xfffffffff8000000n],
    ['rsh64 across halves', 'r0 = 0x8000000000000000 ll\nr0 >>= 36\nexit', 0x8000000n],
    ['neg64 of 0 and INT64_MIN', 'r0 = 0x8000000000000000 ll\nr0 = -r0\nexit', 0x8000000000000000n],
    ['movsx8 to 64', 'r1 = 0x80\nr0 = (s8)r1\nexit', U64(-128n)],
    ['movsx16 to 32 zero-extends', 'r1 = 0x8000\nw0 = (s16)w1\nexit', 0xffff8000n],
    ['movsx32 to 64', 'r1 = 0xffffffff ll\nr0 = (s32)r1\nexit', U64(-1n)],
    ['be16 swaps and zero-extends', 'r0 = 0x1122334455667788 ll\nr0 = be16 r0\nexit', 0x8877n],
    ['be64 swaps all bytes', 'r0 = 0x1122334455667788 ll\nr0 = be64 r0\nexit', 0x8877665544332211n],
    ['le32 truncates', 'r0 = 0x1122334455667788 ll\nr0 = le32 r0\nexit', 0x55667788n],
    ['bswap32 (ALU64) zero-extends', 'r0 = 0x1122334455667788 ll\nr0 = bswap32 r0\nexit', 0x88776655n],
    ['jgt is unsigned', 'r0 = 0\nr1 = -1\nif r1 > 1 goto +1\nexit\nr0 = 1\nexit', 1n],
    ['jsgt is signed', 'r0 = 0\nr1 = -1\nif r1 s> 1 goto +1\nexit\nr0 = 1\nexit', 0n],
    ['jmp32 compares the low halves only', 'r0 = 0\nr1 = 0x100000001 ll\nif w1 == 1 goto +1\nexit\nr0 = 1\nexit', 1n],
    ['jset on the high half', 'r0 = 0\nr1 = 0x100000000 ll\nif r1 & r1 goto +1\nexit\nr0 = 1\nexit', 1n],
    ['gotol jumps by imm', 'r0 = 1\ngotol +1\nr0 = 2\nexit', 1n],
    ['lock xadd on the stack', '*(u64 *)(r10 -8) = 5\nr1 = 3\nlock *(u64 *)(r10 -8) += r1\nr0 = *(u64 *)(r10 -8)\nexit', 8n],
    ['atomic fetch returns the old value', '*(u32 *)(r10 -4) = 5\nr1 = 3\nr1 = atomic_fetch_or((u32 *)(r10 -4), r1)\nr0 = r1\nexit', 5n],
    ['cmpxchg32 zero-extends r0', '*(u32 *)(r10 -4) = 9\nr0 = 0x100000009 ll\nr1 = 1\nr0 = atomic_cmpxchg((u32 *)(r10 -4), r0, r1)\nexit', 9n],
    ['sign-extending loads', '*(u32 *)(r10 -4) = -3\nr0 = *(s16 *)(r10 -4)\nexit', U64(-3n)],
    ['may_goto falls through while the budget lasts', 'r0 = 0\nmay_goto +1\nr0 = 1\nexit', 1n],
  ])('%s', (_name, src, want) => expect(run(src)).toBe(want));

  test('bpf-to-bpf calls: r1-r5 in, r6-r9 preserved, r10 per frame', () => {
    const src = `
      r6 = 6
      r1 = 10
      r2 = r10
      call f
      r0 += r6
      exit
    f:
      r6 = 100
      r0 = r1
      r0 += 1
      if r10 == r2 goto bad
      exit
    bad:
      r0 = -1
      exit`;
    expect(run(src)).toBe(17n);
  });

  test('LD_ABS and LD_IND read the packet big-endian; out of range ends with r0 = 0', () => {
    const mem = Uint8Array.from([0x12, 0x34, 0x56, 0x78, 0x9a]);
    expect(run('r6 = r1\nr0 = *(u16 *)skb[1]\nexit', mem)).toBe(0x3456n);
    expect(run('r6 = r1\nr2 = 1\nr0 = *(u32 *)skb[r2 + 0]\nexit', mem)).toBe(0x3456789an);
    expect(run('r6 = r1\nr0 = *(u32 *)skb[2]\nr0 = 7\nexit', mem)).toBe(0n);
  });

  test('helpers are dispatched through the machine table', () => {
    const helpers = new HelperTable().set(42, 'answer', (c) => c.lo[1]! * 2 - 100);
    const m = createMachine({ cpus: 1, helpers });
    expect(run('r1 = 10\ncall 42\nexit', undefined, m)).toBe(U64(-80n));
  });
});

describe.each(ENGINES)('%s: faults name the instruction, address and region', (engine) => {
  const { fault } = on(engine);
  test('checked mode refuses a load past the input', () => {
    const f = fault('r0 = *(u64 *)(r1 +4)\nexit', new Uint8Array(8));
    expect(f.kind).toBe('out-of-bounds');
    expect(f.pc).toBe(0);
    expect(f.insnText).toBe('r0 = *(u64 *)(r1 +4)');
    expect(f.size).toBe(8);
    expect(f.message).toMatch(/^fault at insn 0 \(r0 = \*\(u64 \*\)\(r1 \+4\)\): load of 8 bytes at 0x[0-9a-f]+ is outside every mapped region \(nearest region input spans/);
  });

  test('a pointer with high bits set is not an address', () => {
    const f = fault('r1 = 0x100000000 ll\nr0 = *(u8 *)(r1 +0)\nexit');
    expect(f.message).toContain('load of 1 byte at 0x100000000: not an address');
  });

  test('a null pointer store faults', () => {
    expect(fault('r1 = 0\n*(u8 *)(r1 +0) = 1\nexit').kind).toBe('out-of-bounds');
  });

  test('a BPF function writing below its frame faults instead of landing in its caller\'s frame', () => {
    const f = fault('call f\nexit\nf:\n*(u64 *)(r10 -520) = 1\nexit');
    expect(f.kind).toBe('out-of-bounds');
    expect(f.region?.name).toBe(`stack[cpu0/frame1]`);
  });

  test('writing below the stack frame faults', () => {
    expect(fault('*(u64 *)(r10 -520) = 1\nexit').region?.kind).toBe('stack');
  });

  test('the instruction budget stops an endless loop', () => {
    const f = fault('r0 = 0\nr0 += 1\ngoto -2', undefined, { budget: 1000 });
    expect(f.kind).toBe('budget');
    expect(f.message).toContain('budget of 1000 ran out');
  });

  test('an unknown helper', () => {
    const f = fault('call 9999\nexit');
    expect(f.kind).toBe('unknown-helper');
    expect(f.message).toContain('helper 9999 is not defined');
  });

  test('call depth beyond 8 frames', () => {
    expect(fault('call f\nexit\nf:\ncall f\nexit').kind).toBe('call-depth');
  });
});
