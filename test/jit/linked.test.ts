import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { argNum, argU32, argU64, defaultHelpers } from '../../src/helpers/index.js';
import type { HelperImpl } from '../../src/helpers/index.js';
import type { Insn } from '../../src/isa/index.js';
import { createMachine } from '../../src/machines.js';
import type { BpfMap } from '../../src/maps/index.js';
import { BPF_MAP_TYPE_ARRAY, BPF_MAP_TYPE_HASH, BPF_MAP_TYPE_PERCPU_ARRAY, BPF_MAP_TYPE_PROG_ARRAY } from '../../src/uapi.js';
import { VmFault } from '../../src/vm/index.js';
import type { Machine } from '../../src/vm/index.js';
import { LINKED_HELPERS, PROG_ARRAY_SLOTS, arbLinked } from './arbLinked.js';
import type { TailSites } from './arbLinked.js';

/** bpf_loop as the kernel defines it, for as long as the machine's table has none. */
const loop: HelperImpl = (c) => {
  const n = argU32(c, 1);
  const fn = argU32(c, 2);
  const ctx = argNum(c, 3);
  for (let i = 0; i < n; i++) if (c.invoke!(fn, i, ctx, 0, 0, 0) !== 0) return i + 1;
  return n;
};

interface LinkedMachine { m: Machine; log: bigint[][]; progArray: BpfMap; dump: number; maps: BpfMap[] }

/** A machine with the PROG_ARRAY, dump area and maps the linked programs use, and their helpers. */
function linkedMachine(): LinkedMachine {
  const log: bigint[][] = [];
  const helpers = defaultHelpers()
    .set(LINKED_HELPERS.mix, 'mix', (c) => (argU64(c, 1) * 0x9e3779b97f4a7c15n) ^ (argU64(c, 2) << 7n) ^ (argU64(c, 3) + argU64(c, 4)) ^ (argU64(c, 5) >> 3n))
    .set(LINKED_HELPERS.log, 'log', (c) => { log.push([1, 2, 3, 4, 5].map((i) => argU64(c, i))); return -log.length; });
  if (!helpers.get(LINKED_HELPERS.loop)) helpers.set(LINKED_HELPERS.loop, 'loop', loop);
  const m = createMachine({ cpus: 2, helpers });
  const progArray = m.createMap({ type: BPF_MAP_TYPE_PROG_ARRAY, keySize: 4, valueSize: 4, maxEntries: PROG_ARRAY_SLOTS, name: 'jump_table' });
  const dump = m.arena.alloc(80, 'mem', 'dump').start;
  const maps = [BPF_MAP_TYPE_ARRAY, BPF_MAP_TYPE_PERCPU_ARRAY, BPF_MAP_TYPE_HASH].map((type) => m.createMap({ type, keySize: 4, valueSize: 8, maxEntries: 4 }));
  return { m, log, progArray, dump, maps };
}

/** Every map back to its start: zeroed arrays, a hash holding key 1 only. */
function resetMaps(t: LinkedMachine): void {
  const [array, percpu, hash] = t.maps as [BpfMap, BpfMap, BpfMap];
  for (let k = 0; k < 4; k++) {
    array.update(u32(k), new Uint8Array(8));
    percpu.update(u32(k), new Uint8Array(16));
    if (hash.lookup(u32(k))) hash.delete(u32(k));
  }
  hash.update(u32(1), new Uint8Array(8));
}

/** The values of every map, in hex. */
function mapValues(t: LinkedMachine): string {
  return t.maps.map((m) => [0, 1, 2, 3].map((k) => Buffer.from(m.lookup(u32(k)) ?? []).toString('hex')).join(',')).join('\n');
}

const u32 = (n: number): Uint8Array => new Uint8Array(new Uint32Array([n]).buffer);

type Outcome = { r0: bigint; insns: number; memory: string; log: bigint[][] } | { fault: string };

/** Every stack frame of the CPU, the dump area and the maps, in hex. */
function memory(t: LinkedMachine, cpu: number): string {
  t.m.arena.refresh();
  const top = t.m.frameTops(cpu);
  const frames = Array.from({ length: 8 }, (_, d) => Buffer.from(t.m.arena.read(top[d]! - 512, 512)).toString('hex'));
  return [...frames, Buffer.from(t.m.arena.read(t.dump, 80)).toString('hex'), mapValues(t)].join('\n');
}

/**
 * Loads the programs into PROG_ARRAY slots 0.. (the others emptied) and runs program 0 on `cpu`,
 * on zeroed stacks and maps; `precise` faults compare by message, others by kind and instruction.
 */
function run(t: LinkedMachine, progs: Insn[][], cpu: number, engine: string, checked: boolean, budget: number, precise: boolean): Outcome {
  const top = t.m.frameTops(cpu);
  for (let d = 0; d < 8; d++) t.m.arena.write(top[d]! - 512, new Uint8Array(512));
  t.m.arena.write(t.dump, new Uint8Array(80));
  resetMaps(t);
  t.log.length = 0;
  const loaded = progs.map((insns, i) => t.m.loadProgram({ insns, name: `p${i}` }));
  for (let slot = 0; slot < PROG_ARRAY_SLOTS; slot++) {
    const p = loaded[slot];
    if (p) {
      const fd = t.m.fds.open({ kind: 'prog', prog: p });
      t.progArray.update(u32(slot), u32(fd));
      t.m.fds.close(fd);
    } else if (t.progArray.lookup(u32(slot))) t.progArray.delete(u32(slot));
  }
  try {
    const r = loaded[0]!.runRaw({ engine, checked, budget, cpu });
    return { r0: r.r0, insns: checked ? r.insns : 0, memory: memory(t, cpu), log: [...t.log] };
  } catch (e) {
    if (!(e instanceof VmFault)) throw e;
    return { fault: precise ? e.message : `${e.kind} at ${e.pc}` };
  }
}

/** Runs linked cases on the interpreter and the JIT, checked (under `budget`) and unchecked, and compares. */
function differential(tails: TailSites, callbacks: boolean, budget: number, numRuns: number): void {
  const a = linkedMachine();
  const b = linkedMachine();
  expect([b.progArray.address, b.dump, ...b.maps.map((m) => m.address)]).toEqual([a.progArray.address, a.dump, ...a.maps.map((m) => m.address)]);
  // After a tail call from a BPF function returns, the interpreter describes faults with the target's instructions.
  const precise = tails === 'main';
  const lookups = a.maps.map((m) => m.address);
  fc.assert(fc.property(arbLinked({ progArray: a.progArray.address, dump: a.dump, tails, callbacks, lookups }), fc.nat(1), (progs, cpu) => {
    for (const checked of [true, false]) {
      const want = run(a, progs, cpu, 'interp', checked, checked ? budget : 1e8, precise);
      expect(run(b, progs, cpu, 'jit', checked, checked ? budget : 1e8, precise)).toEqual(want);
    }
  }), { numRuns });
}

describe('JIT against the interpreter on linked programs', () => {
  test('tail calls from any function, map lookups: registers, stacks, maps, helper arguments, counts and the 33-call limit agree', () => {
    differential('anywhere', false, 1e6, 1500);
  });

  test('callbacks through bpf_loop (and tail calls from main): the same r0, stacks, counts, or the same fault', () => {
    differential('main', true, 500, 1500);
  });
});
