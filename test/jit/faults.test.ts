import { describe, expect, test } from 'vitest';
import { argPtr, defaultHelpers } from '../../src/helpers/index.js';
import { assemble, insn } from '../../src/isa/index.js';
import { createMachine } from '../../src/machines.js';
import { VmFault } from '../../src/vm/index.js';
import type { Machine, RawRunOptions } from '../../src/vm/index.js';

type Setup = (m: Machine) => string;

/** Runs the program an engine sees after `setup` (which may allocate regions and return the source). */
function fault(engine: string, setup: Setup, opts: RawRunOptions = {}): VmFault {
  const m = createMachine({ cpus: 1, helpers: defaultHelpers().set(50, 'release', (c) => {
    c.env.arena.release(c.env.arena.find(argPtr(c, 1), 1)!);
    return 0;
  }) });
  const src = setup(m);
  try {
    m.loadProgram({ insns: assemble(src).insns }).runRaw({ ...opts, engine });
  } catch (e) {
    if (e instanceof VmFault) return e;
    throw e;
  }
  throw new Error(`${engine}: expected a fault`);
}

/** The fields that must agree between engines. */
function shape(f: VmFault): object {
  return { message: f.message, kind: f.kind, pc: f.pc, insnText: f.insnText, addr: f.addr, size: f.size, region: f.region?.name };
}

const cases: [string, Setup, RawRunOptions][] = [
  ['a load past the input', () => 'r0 = *(u64 *)(r1 +4)\nexit', { mem: new Uint8Array(8) }],
  ['a pointer with high bits set', () => 'r1 = 0x100000000 ll\nr0 = *(u8 *)(r1 +0)\nexit', {}],
  ['a null store', () => 'r1 = 0\n*(u8 *)(r1 +0) = 1\nexit', {}],
  ['a store below the frame', () => '*(u64 *)(r10 -520) = 1\nexit', {}],
  ['a store through a copy of r10 below the frame', () => 'r2 = r10\n*(u32 *)(r2 -516) = 1\nexit', {}],
  ['an atomic on a read-only region', (m) => {
    const ro = m.arena.alloc(16, 'map_value', 'map_value[ro]', { writable: false });
    return `r1 = ${ro.start} ll\nr2 = 1\nlock *(u64 *)(r1 +8) += r2\nexit`;
  }, {}],
  ['a read of a region freed by a helper during the run', (m) => {
    const r = m.arena.alloc(32, 'map_value', 'map_value[gone]');
    return `r6 = ${r.start} ll\nr0 = *(u64 *)(r6 +0)\nr1 = r6\ncall 50\nr0 = *(u64 *)(r6 +0)\nexit`;
  }, {}],
  ['the budget, mid-block', () => 'r0 = 0\nl: r0 += 1\nr0 += 2\nr0 += 3\ngoto l', { budget: 1001 }],
  ['the budget, in a function', () => 'call f\nexit\nf: r0 = 1\nl: r0 += 1\nif r0 != 0 goto l\nexit', { budget: 500 }],
  ['the call depth', () => 'call f\nexit\nf:\ncall f\nexit', {}],
  ['an unknown helper', () => 'call 9999\nexit', {}],
  ['LD_ABS out of the packet inside a function', () => 'r6 = r1\ncall f\nexit\nf: r0 = *(u32 *)skb[100]\nexit', { mem: new Uint8Array(8) }],
  ['running past the last instruction', () => 'r0 = 1', {}],
];

describe('faults on the JIT are the interpreter\'s', () => {
  test.each(cases)('%s (checked)', (_name, setup, opts) => {
    const want = fault('interp', setup, opts);
    expect(shape(fault('jit', setup, opts))).toEqual(shape(want));
  });

  test.each([
    ['a kfunc call', insn(0x85, 0, 2, 0, 77)],
    ['a call through a register to an unknown helper', insn(0x8d, 1)],
  ])('%s', (_name, call) => {
    const run = (engine: string): VmFault => {
      const m = createMachine({ cpus: 1 });
      const p = m.loadProgram({ insns: [insn(0xb7, 1, 0, 0, 9998), call, insn(0x95)] });
      try { p.runRaw({ engine }); } catch (e) { if (e instanceof VmFault) return e; throw e; }
      throw new Error('expected a fault');
    };
    expect(shape(run('jit'))).toEqual(shape(run('interp')));
  });

  test('unchecked: an access outside the memory traps, and the trap names the instruction', () => {
    const src = 'r0 = 1\nr1 = 0x7ffffff0 ll\nr0 = *(u32 *)(r1 +0)\nexit';
    const want = fault('interp', () => src, { checked: false });
    const got = fault('jit', () => src, { checked: false });
    expect({ kind: got.kind, pc: got.pc, insnText: got.insnText }).toEqual({ kind: want.kind, pc: want.pc, insnText: want.insnText });
    expect(got.message).toMatch(/^fault at insn 3 \(r0 = \*\(u32 \*\)\(r1 \+0\)\): memory access outside the machine's memory \(.*\); run in checked mode to see the address$/);
  });
});

describe('JIT runtime behaviour', () => {
  test('checked runs count instructions exactly as the interpreter, across calls and helpers', () => {
    const m = createMachine({ cpus: 1 });
    const p = m.loadProgram({ insns: assemble('r6 = 3\nl: call f\nr6 -= 1\nif r6 != 0 goto l\nexit\nf: call 7\nr0 = 1\nexit').insns });
    expect(p.runRaw({ engine: 'jit' }).insns).toBe(p.runRaw({ engine: 'interp' }).insns);
    expect(p.runRaw({ engine: 'jit', checked: false }).insns).toBe(0);
  });

  test('a helper that grows the memory: views are re-taken and the run goes on', () => {
    const helpers = defaultHelpers().set(60, 'grow', (c) => c.env.arena.alloc(8 * 1024 * 1024, 'mem', 'big').start);
    const m = createMachine({ cpus: 1, helpers });
    const p = m.loadProgram({ insns: assemble('r1 = 7\n*(u64 *)(r10 -8) = r1\ncall 60\nr1 = 0x1234\n*(u64 *)(r0 +8) = r1\nr0 = *(u64 *)(r0 +8)\nr2 = *(u64 *)(r10 -8)\nr0 += r2\nexit').insns });
    const before = m.arena.memory.buffer.byteLength;
    expect(p.runRaw({ engine: 'jit' }).r0).toBe(0x1234n + 7n);
    expect(m.arena.memory.buffer.byteLength).toBeGreaterThan(before);
    expect(p.runRaw({ engine: 'jit', checked: false }).r0).toBe(0x1234n + 7n);
  });

  test('each run uses the stack of its CPU, and helpers see the CPU', () => {
    const m = createMachine({ cpus: 3 });
    const p = m.loadProgram({ insns: assemble('call 8\nr0 <<= 32\nr1 = r10\nr0 |= r1\nexit').insns });
    for (const cpu of [2, 0, 1]) {
      const want = (BigInt(cpu) << 32n) | BigInt(m.frameTops(cpu)[0]!);
      expect(p.runRaw({ engine: 'jit', cpu }).r0).toBe(want);
      expect(p.runRaw({ engine: 'jit', cpu, checked: false }).r0).toBe(want);
    }
  });

  test('the unwind helper ends the program only at depth 0', () => {
    const m = createMachine({ cpus: 1, helpers: defaultHelpers().set(5, 'unwind', (c) => c.lo[1]!) });
    const src = 'r1 = 0\ncall f\nr0 = 9\nr1 = 0\ncall 5\nr0 = 8\nexit\nf: r1 = 0\ncall 5\nr0 = 4\nexit';
    const p = m.loadProgram({ insns: assemble(src).insns });
    for (const engine of ['interp', 'jit']) {
      for (const checked of [true, false]) {
        const r = p.runRaw({ engine, checked, unwindHelper: 5 });
        expect([engine, checked, r.r0]).toEqual([engine, checked, 0n]);
        expect(p.runRaw({ engine, checked }).r0).toBe(8n);
      }
    }
    expect(p.runRaw({ engine: 'jit', unwindHelper: 5 }).insns).toBe(p.runRaw({ engine: 'interp', unwindHelper: 5 }).insns);
  });

  test('helpers returning bigints, negative numbers and values beyond 2^53 convert as in the interpreter', () => {
    const rets: (number | bigint)[] = [-2, 2 ** 60, 0xffffffffffffffffn, -1n, 1.5, 2 ** 64];
    const helpers = defaultHelpers();
    rets.forEach((v, i) => helpers.set(70 + i, `r${i}`, () => v));
    const m = createMachine({ cpus: 1, helpers });
    rets.forEach((_, i) => {
      const p = m.loadProgram({ insns: assemble(`call ${70 + i}\nexit`).insns });
      expect(p.runRaw({ engine: 'jit' }).r0).toBe(p.runRaw({ engine: 'interp' }).r0);
    });
  });
});
