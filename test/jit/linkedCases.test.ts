import { describe, expect, test } from 'vitest';
import { argU64, defaultHelpers, mapLookupElem } from '../../src/helpers/index.js';
import { assemble } from '../../src/isa/index.js';
import type { JitExecutable } from '../../src/jit/index.js';
import { createMachine, simKernelKfuncs } from '../../src/machines.js';
import type { ArrayMap, BpfMap } from '../../src/maps/index.js';
import { BPF_MAP_TYPE_ARRAY, BPF_MAP_TYPE_PERCPU_ARRAY, BPF_MAP_TYPE_PROG_ARRAY } from '../../src/uapi.js';
import { MAY_GOTO_BUDGET, VmFault } from '../../src/vm/index.js';
import type { Machine, Program, RawRunOptions } from '../../src/vm/index.js';

const u32 = (n: number): Uint8Array => new Uint8Array(new Uint32Array([n]).buffer);

interface Setup { m: Machine; jt: BpfMap; array: BpfMap; percpu: BpfMap; log: bigint[][] }

/** A machine with a PROG_ARRAY, an array and a per-CPU array, and a logging helper (101). */
function setup(): Setup {
  const log: bigint[][] = [];
  const helpers = defaultHelpers().set(101, 'log', (c) => { log.push([1, 2, 3, 4, 5].map((i) => argU64(c, i))); return 0; });
  const m = createMachine({ cpus: 2, helpers });
  const jt = m.createMap({ type: BPF_MAP_TYPE_PROG_ARRAY, keySize: 4, valueSize: 4, maxEntries: 4, name: 'jt' });
  const array = m.createMap({ type: BPF_MAP_TYPE_ARRAY, keySize: 4, valueSize: 8, maxEntries: 4, name: 'array' });
  const percpu = m.createMap({ type: BPF_MAP_TYPE_PERCPU_ARRAY, keySize: 4, valueSize: 8, maxEntries: 4, name: 'percpu' });
  return { m, jt, array, percpu, log };
}

/** Loads assembly (with `JT`, `ARRAY` and `PERCPU` standing for the maps' addresses) and puts it in PROG_ARRAY slot `slot`. */
function load(s: Setup, src: string, slot?: number): Program {
  const text = src.replace(/\bJT\b/g, `${s.jt.address} ll`).replace(/\bARRAY\b/g, `${s.array.address} ll`).replace(/\bPERCPU\b/g, `${s.percpu.address} ll`);
  const p = s.m.loadProgram({ insns: assemble(text).insns, name: `slot${slot ?? '-'}` });
  if (slot !== undefined) {
    const fd = s.m.fds.open({ kind: 'prog', prog: p });
    s.jt.update(u32(slot), u32(fd));
    s.m.fds.close(fd);
  }
  return p;
}

type Outcome = { r0: bigint; insns: number; log: bigint[][] } | { fault: string };

/** One run from zeroed maps and stacks; the host's own words for an access outside the memory are left out. */
function outcome(s: Setup, p: Program, opts: RawRunOptions): Outcome {
  s.log.length = 0;
  for (let k = 0; k < 4; k++) {
    s.array.update(u32(k), new Uint8Array(8));
    s.percpu.update(u32(k), new Uint8Array(16));
  }
  for (const top of s.m.frameTops(opts.cpu ?? 0)) s.m.arena.write(top - 512, new Uint8Array(512));
  try {
    const r = p.runRaw(opts);
    return { r0: r.r0, insns: r.insns, log: [...s.log] };
  } catch (e) {
    if (e instanceof VmFault) return { fault: e.message.replace(/machine's memory \(.*\)/, "machine's memory (…)") };
    throw e;
  }
}

/** Runs the program on the interpreter and on the JIT, checked and unchecked, and expects the same outcomes; returns the interpreter's. */
function agree(s: Setup, p: Program, opts: RawRunOptions = {}): Outcome {
  const want = outcome(s, p, { ...opts, engine: 'interp', checked: true });
  expect(outcome(s, p, { ...opts, engine: 'jit', checked: true })).toEqual(want);
  // Unchecked, the JIT counts no instructions.
  const uncounted = (o: Outcome): Outcome => ('fault' in o ? o : { ...o, insns: 0 });
  expect(uncounted(outcome(s, p, { ...opts, engine: 'jit', checked: false }))).toEqual(uncounted(outcome(s, p, { ...opts, engine: 'interp', checked: false })));
  return want;
}

describe('tail calls on the JIT', () => {
  test('the target goes on with the may_goto counter of the frame it replaces', () => {
    const s = setup();
    load(s, 'r0 = 0\nl: may_goto out\nr0 += 1\ngoto l\nout: exit', 1);
    const p = load(s, `r6 = ${MAY_GOTO_BUDGET - 5}\nr6 /= 1\nl: may_goto out\nr6 += -1\nif r6 != 0 goto l\nout: r2 = JT\nr3 = 1\ncall 12\nexit`);
    expect(agree(s, p, { budget: 1e9 })).toMatchObject({ r0: 5n });
  });

  test('a caller that changed r10: the target uses it, for stack accesses and atomics alike', () => {
    const s = setup();
    load(s, 'r1 = 5\nlock *(u64 *)(r10 -8) += r1\nr0 = *(u64 *)(r10 -8)\nexit', 1);
    const values = (s.percpu as ArrayMap).inline.bases[0]!;
    for (const off of [64, 61]) {
      const p = load(s, `r10 = ${values + off} ll\nr0 = 7\n*(u64 *)(r10 -8) = r0\nr2 = JT\nr3 = 1\ncall 12\nexit`);
      expect(agree(s, p)).toMatchObject({ r0: 12n });
    }
    const bad = load(s, 'r10 = 16\nr2 = JT\nr3 = 1\ncall 12\nexit');
    const want = outcome(s, bad, { engine: 'interp' });
    expect(want).toMatchObject({ fault: expect.stringMatching(/^fault at insn 1 .*: store of 8 bytes at 0x8 is outside every mapped region/) });
    expect(outcome(s, bad, { engine: 'jit' })).toEqual(want);
  });

  test('through `call %rN` with rN = 12, and a failed one leaves r0 alone', () => {
    const s = setup();
    load(s, 'r0 += 100\nexit', 2);
    const p = load(s, 'r0 = 1\nr2 = JT\nr3 = 3\nr5 = 12\ncallx r5\nr3 = 2\ncallx r5\nr0 += 1000\nexit');
    expect(agree(s, p)).toMatchObject({ r0: 101n });
  });

  test('a fault in the target names the target\'s instruction, checked or not', () => {
    const s = setup();
    load(s, 'r0 = 1\nr1 = 0x7ffffff0 ll\nr0 = *(u32 *)(r1 +0)\nexit', 0);
    const p = load(s, 'call f\nexit\nf: r2 = JT\nr3 = 0\ncall 12\nexit');
    const fault = (checked: boolean): string => {
      try { p.runRaw({ engine: 'jit', checked }); } catch (e) { if (e instanceof VmFault) return `${e.pc} ${e.insnText}`; }
      return 'no fault';
    };
    expect([fault(true), fault(false)]).toEqual(['3 r0 = *(u32 *)(r1 +0)', '3 r0 = *(u32 *)(r1 +0)']);
    agree(s, load(s, 'r2 = JT\nr3 = 0\ncall 12\nexit'));
  });
});

describe('callbacks on the JIT', () => {
  test('r6..r9 of the calling frame stay the same for every iteration, whatever the callback did with them', () => {
    const s = setup();
    const p = load(s, 'r6 = 5\nr1 = 3\nr2 = subprog[cb]\nr3 = 0\nr4 = 0\ncall bpf_loop\nr0 = r6\nexit\ncb: r1 = r6\nr6 = 77\ncall 101\nr0 = 0\nexit');
    expect(agree(s, p)).toMatchObject({ r0: 5n, log: [[5n, 0n, 0n, 0n, 0n], [5n, 0n, 0n, 0n, 0n], [5n, 0n, 0n, 0n, 0n]] });
  });

  test('bpf_for_each_map_elem visits an array, and a callback may tail-call', () => {
    const s = setup();
    load(s, 'r0 = 1\nexit', 1);
    const p = load(s, `*(u64 *)(r10 -8) = 0\nr1 = ARRAY\nr2 = subprog[sum]\nr3 = r10\nr3 += -8\nr4 = 0\ncall bpf_for_each_map_elem
      r6 = r0\nr1 = 1\nr2 = subprog[tc]\nr3 = 0\nr4 = 0\ncall bpf_loop\nr0 <<= 32\nr0 += r6\nr1 = *(u64 *)(r10 -8)\nr0 += r1\nexit
      sum: r5 = *(u64 *)(r3 +0)\nr0 = *(u32 *)(r2 +0)\nr5 += r0\nr0 = *(u64 *)(r4 +0)\nr0 += r5\n*(u64 *)(r4 +0) = r0\nr0 = 0\nexit
      tc: r2 = JT\nr3 = 1\ncall 12\nexit`);
    expect(agree(s, p)).toMatchObject({ r0: (1n << 32n) + 4n + 6n });
  });

  test('a callback value that is no function of the program faults', () => {
    const s = setup();
    const p = load(s, 'r1 = 1\nr2 = 0\nr3 = 0\nr4 = 0\ncall bpf_loop\nexit');
    expect(agree(s, p)).toEqual({ fault: 'fault at insn 4 (call bpf_loop#181): 0 is not a BPF function of this program' });
  });
});

describe('array map lookups inline', () => {
  const src = '*(u32 *)(r10 -4) = KEY\nr2 = r10\nr2 += -4\nr1 = MAP\ncall bpf_map_lookup_elem\nif r0 == 0 goto out\nr1 = *(u64 *)(r0 +0)\nr1 += 1\n*(u64 *)(r0 +0) = r1\nr0 = r1\nout: exit';

  test('ARRAY and PERCPU_ARRAY, in and out of range, on each CPU: compiled inline, the interpreter\'s results', () => {
    const s = setup();
    for (const map of ['ARRAY', 'PERCPU']) {
      for (const key of [0, 3, 4, -1]) {
        const p = load(s, src.replace('KEY', String(key)).replace('MAP', map));
        for (const cpu of [0, 1]) agree(s, p, { cpu });
        expect((p.executable('jit', false) as JitExecutable).stats.inlineLookups).toBe(1);
      }
    }
    const p = load(s, src.replace('KEY', '3').replace('MAP', 'PERCPU'));
    for (const checked of [false, true]) {
      expect(outcome(s, p, { engine: 'jit', checked, cpu: 1 })).toMatchObject({ r0: 1n });
      expect([...s.percpu.lookup(u32(3))!]).toEqual([0, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0, 0, 0, 0]);
    }
  });

  test('a NULL lookup is the unwind helper\'s signal at depth 0 only', () => {
    const s = setup();
    const p = load(s, 'r0 = 3\n*(u32 *)(r10 -4) = 9\nr2 = r10\nr2 += -4\nr1 = ARRAY\ncall bpf_map_lookup_elem\nr0 = 5\nexit');
    expect(agree(s, p, { unwindHelper: 1 })).toMatchObject({ r0: 0n });
    const q = load(s, 'call f\nr0 += 1\nexit\nf: *(u32 *)(r10 -4) = 9\nr2 = r10\nr2 += -4\nr1 = ARRAY\ncall bpf_map_lookup_elem\nr0 = 5\nexit');
    expect(agree(s, q, { unwindHelper: 1 })).toMatchObject({ r0: 6n });
  });

  test('a key pointer outside the memory, a map pointer that is no constant: the helper, as on the interpreter', () => {
    const s = setup();
    agree(s, load(s, 'r2 = 0xfffffffe ll\nr1 = ARRAY\ncall bpf_map_lookup_elem\nexit'));
    const p = load(s, src.replace('KEY', '1').replace('r1 = MAP', 'r1 = ARRAY\nr1 += 0'));
    agree(s, p);
    expect((p.executable('jit', false) as JitExecutable).stats.inlineLookups).toBe(0);
  });

  test('not when bpf_map_lookup_elem is replaced: the replacement sees every call', () => {
    let calls = 0;
    const m = createMachine({ cpus: 1, helpers: defaultHelpers().set(1, 'lookup', (c) => { calls++; return mapLookupElem.impl(c); }) });
    const array = m.createMap({ type: BPF_MAP_TYPE_ARRAY, keySize: 4, valueSize: 8, maxEntries: 4 });
    const p = m.loadProgram({ insns: assemble(src.replace('KEY', '1').replace('MAP', `${array.address} ll`)).insns });
    expect(p.runRaw({ engine: 'jit' }).r0).toBe(1n);
    expect(calls).toBe(1);
    expect((p.executable('jit', true) as JitExecutable).stats.inlineLookups).toBe(0);
  });
});

describe('kfuncs on the JIT', () => {
  const kfunc = (name: string): number => [...simKernelKfuncs()].find(([, k]) => k.name === name)![0];

  test('the open-coded number iterator: the Machine\'s kfuncs by BTF id, the interpreter\'s results and counts', () => {
    const s = setup();
    const [make, next, destroy] = ['bpf_iter_num_new', 'bpf_iter_num_next', 'bpf_iter_num_destroy'].map(kfunc);
    const sum = (start: number, end: number): string => `
      r6 = 0
      r1 = r10
      r1 += -8
      r2 = ${start}
      r3 = ${end}
      call kfunc ${make}
      r7 = r0
    l: r1 = r10
      r1 += -8
      call kfunc ${next}
      if r0 == 0 goto done
      r0 = *(u32 *)(r0 +0)
      r6 += r0
      goto l
    done: r1 = r10
      r1 += -8
      call kfunc ${destroy}
      r0 = r7
      r0 <<= 32
      r0 += r6
      exit`;
    expect(agree(s, load(s, sum(3, 7)))).toMatchObject({ r0: 3n + 4n + 5n + 6n });
    expect(agree(s, load(s, sum(7, 3)))).toMatchObject({ r0: BigInt.asUintN(64, -22n << 32n) });
  });

  test('a kfunc the Machine lacks is the interpreter\'s fault', () => {
    const s = setup();
    expect(agree(s, load(s, 'r0 = 1\ncall kfunc 999999\nexit'))).toEqual({
      fault: 'fault at insn 1 (call kernel-function#999999): kfunc 999999 cannot be called: no kfunc with that BTF id is defined on this machine',
    });
  });
});
