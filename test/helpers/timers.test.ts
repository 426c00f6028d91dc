/*
 * BPF timers against Linux 6.18: bpf_timer_init/set_callback/start/cancel with their errors, the
 * callback's (map, key, value) arguments, a timer freed with its element, and clocks. On the kernel
 * the callbacks run from a real hrtimer (the test waits for them); on bpfsim from the Machine's
 * virtual clock (Machine.advanceTime).
 */
import { afterAll, describe, expect, test } from 'vitest';
import { BtfBuilder, encodeBtf } from '../../src/elf/index.js';
import { assemble } from '../../src/isa/index.js';
import type { MapSpec } from '../../src/maps/index.js';
import * as U from '../../src/uapi.js';
import type { Backend } from '../../src/vm/index.js';
import { SimBackend } from '../../src/vm/index.js';
import { dumpMap } from '../elf/support/dump.js';
import { call, fp, imm, st } from './support/asm.js';
import { SIM_ENGINES, kernelBackend, kernelSkip, runXdp, simBackend, simBackends, xdpProgram } from './support/xdp.js';

const kernel = kernelBackend();
if (kernelSkip) console.log(`timer cases run on bpfsim only: ${kernelSkip}`);
afterAll(() => kernel?.close());

const EBUSY = -16;
const EINVAL = -22;

/** `struct val { u64 count; u64 key; struct bpf_timer t; }`: 32 bytes, the timer at 16. */
function timerBtf(): MapSpec['btf'] {
  const b = new BtfBuilder();
  const u32 = b.int('unsigned int', 4);
  const u64 = b.int('long long unsigned int', 8);
  const timer = b.struct('bpf_timer', [['__opaque', b.array(u64, 2)]]);
  const value = b.struct('val', [['count', u64], ['key', u64], ['t', timer]]);
  return { raw: encodeBtf(b.build()).bytes, keyTypeId: u32, valueTypeId: value };
}
const BTF = timerBtf();
const spec = (type: number): MapSpec => ({ type, keySize: 4, valueSize: 32, maxEntries: 4, btf: BTF });

/** The callback: count += 1, key = *key. */
const CB = `
  cb:
    r4 = *(u64 *)(r3 +0)
    r4 += 1
    *(u64 *)(r3 +0) = r4
    r4 = *(u32 *)(r2 +0)
    *(u64 *)(r3 +8) = r4
    r0 = 0
    exit`;

const T = 'r1 = r8\nr1 += 16';
const lookup = (key: number, reg = 8): string => [st(-8, key, 'u32'), call('bpf_map_lookup_elem', ['r1 = map[idx:0]', fp(2, -8)]), `if r0 == 0 goto done`, `r${reg} = r0`].join('\n');

/** Runs `body` on a backend with a fresh map, lets `ms` of time pass, and returns the results and the map. */
function run(b: Backend, type: number, body: string, ms: number, setup?: (m: ReturnType<Backend['createMap']>) => void): { slots: bigint[]; map: string[] | undefined } {
  const m = b.createMap(spec(type));
  try {
    setup?.(m);
    const r = runXdp(b, xdpProgram(`${body}\ndone:`, { subprogs: CB }), { maps: [m] });
    if (b instanceof SimBackend) b.machine.advanceTime(BigInt(ms) * 1_000_000n);
    else Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms + 50);
    return { slots: Array.from({ length: 16 }, (_, i) => r.s64(i)), map: dumpMap(m, b.ncpus) };
  } finally {
    (m as unknown as { close(): void }).close();
  }
}

function onBoth(fn: (b: Backend) => void): void {
  for (const sim of simBackends()) {
    try {
      fn(sim);
    } finally {
      sim.close();
    }
  }
  if (kernel) fn(kernel);
}

const hex64 = (v: bigint): string => Array.from(new Uint8Array(new BigUint64Array([v]).buffer), (x) => x.toString(16).padStart(2, '0')).join('');
const element = (key: number, count: bigint, k: bigint): string => `${hex64(BigInt(key)).slice(0, 8)}=${hex64(count)}${hex64(k)}${'0'.repeat(32)}`;

describe('BPF timers', () => {
  test('init, set_callback, start, cancel: results and errors; the callback gets (map, key, value)', () => {
    const body = [
      lookup(2),
      call('bpf_timer_init', [T, 'r2 = map[idx:0]', 'r3 = 1'], 0), call('bpf_timer_init', [T, 'r2 = map[idx:0]', 'r3 = 1'], 1),
      call('bpf_timer_start', [T, 'r2 = 1000', 'r3 = 0'], 2),
      call('bpf_timer_set_callback', [T, 'r2 = subprog[cb]'], 3),
      call('bpf_timer_start', [T, 'r2 = 1000000', 'r3 = 4'], 4), call('bpf_timer_start', [T, 'r2 = 1000000', 'r3 = 0'], 5),
      call('bpf_timer_cancel', [T], 6), call('bpf_timer_cancel', [T], 7), call('bpf_timer_start', [T, 'r2 = 1000', 'r3 = 0'], 8),
      call('bpf_timer_set_callback', [T, 'r2 = subprog[cb]'], 9), call('bpf_timer_start', [T, 'r2 = 1000', 'r3 = 0'], 10),
      lookup(3),
      call('bpf_timer_init', [T, 'r2 = map[idx:0]', 'r3 = 2'], 11), call('bpf_timer_init', [T, 'r2 = map[idx:0]', 'r3 = 17'], 12),
      call('bpf_timer_set_callback', [T, 'r2 = subprog[cb]'], 13), call('bpf_timer_start', [T, 'r2 = 1', 'r3 = 0'], 14), call('bpf_timer_cancel', [T], 15),
    ].join('\n');
    onBoth((b) => {
      const { slots, map } = run(b, U.BPF_MAP_TYPE_ARRAY, body, 20);
      expect(slots, b.name).toEqual([0, EBUSY, EINVAL, 0, EINVAL, 0, 1, 0, EINVAL, 0, 0, EINVAL, EINVAL, EINVAL, EINVAL, EINVAL].map(BigInt));
      expect(map, b.name).toEqual([element(0, 0n, 0n), element(1, 0n, 0n), element(2, 1n, 2n), element(3, 0n, 0n)]);
    });
  });

  test('a hash element\'s timer: the callback gets its key; deleting the element cancels it', () => {
    const arm = (key: number): string => [lookup(key), call('bpf_timer_init', [T, 'r2 = map[idx:0]', 'r3 = 1']),
      call('bpf_timer_set_callback', [T, 'r2 = subprog[cb]']), call('bpf_timer_start', [T, 'r2 = 1000000', 'r3 = 0'])].join('\n');
    const body = [arm(7), arm(8), st(-8, 7, 'u32'), call('bpf_map_delete_elem', ['r1 = map[idx:0]', fp(2, -8)], 0)].join('\n');
    onBoth((b) => {
      const { slots, map } = run(b, U.BPF_MAP_TYPE_HASH, body, 20, (m) => {
        for (const k of [7, 8]) m.update(Uint8Array.of(k, 0, 0, 0), new Uint8Array(32));
      });
      expect(slots[0], b.name).toBe(0n);
      expect(map, b.name).toEqual([element(8, 1n, 8n)]);
    });
  });

  test('absolute times are monotonic even on CLOCK_REALTIME (the kernel moves a relative-mode REALTIME hrtimer to MONOTONIC); BOOTTIME', () => {
    const absolute = (key: number, clock: number, now: string, slot: number): string => [
      lookup(key), call('bpf_timer_init', [T, 'r2 = map[idx:0]', `r3 = ${clock}`]), call('bpf_timer_set_callback', [T, 'r2 = subprog[cb]']),
      `call ${now}`, 'r2 = r0', 'r2 += 1000000', `${T}\nr3 = 1\ncall bpf_timer_start`, `*(u64 *)(r7 +${8 * slot}) = r0`,
    ].join('\n');
    const body = [
      absolute(0, 0, 'bpf_ktime_get_ns', 0), absolute(1, 0, 'bpf_ktime_get_tai_ns', 1),
      lookup(2), call('bpf_timer_init', [T, 'r2 = map[idx:0]', 'r3 = 7'], 2), call('bpf_timer_set_callback', [T, 'r2 = subprog[cb]'], 3),
      call('bpf_timer_start', [T, imm(2, 500000), 'r3 = 0'], 4),
    ].join('\n');
    onBoth((b) => {
      const { slots, map } = run(b, U.BPF_MAP_TYPE_ARRAY, body, 20);
      expect(slots.slice(0, 5), b.name).toEqual([0n, 0n, 0n, 0n, 0n]);
      expect(map!.slice(0, 3), b.name).toEqual([element(0, 1n, 0n), element(1, 0n, 0n), element(2, 1n, 2n)]);
    });
  });

  test.each(SIM_ENGINES)('bpfsim fires timers in order of expiry as its clock advances, and not before (%s)', (engine) => {
    const sim = simBackend(undefined, engine);
    const m = sim.createMap(spec(U.BPF_MAP_TYPE_ARRAY));
    const arm = (key: number, ns: number): string => [lookup(key), call('bpf_timer_init', [T, 'r2 = map[idx:0]', 'r3 = 1']),
      call('bpf_timer_set_callback', [T, 'r2 = subprog[cb]']), call('bpf_timer_start', [T, `r2 = ${ns}`, 'r3 = 0'])].join('\n');
    runXdp(sim, xdpProgram(`${arm(0, 5_000_000)}\n${arm(1, 1_000_000)}\ndone:`, { subprogs: CB }), { maps: [m] });
    const count = (k: number): number => Number(new DataView(m.lookup(Uint8Array.of(k, 0, 0, 0))!.buffer).getBigUint64(0, true));
    sim.machine.advanceTime(900_000);
    expect([count(0), count(1)]).toEqual([0, 0]);
    sim.machine.advanceTime(200_000);
    expect([count(0), count(1)]).toEqual([0, 1]);
    sim.machine.advanceTime(10_000_000);
    expect([count(0), count(1)]).toEqual([1, 1]);
    sim.close();
  });

  test.each(SIM_ENGINES)('a closed map\'s timers never fire, and the program keeps the trampoline it gave (%s)', (engine) => {
    const sim = simBackend(undefined, engine);
    const m = sim.createMap(spec(U.BPF_MAP_TYPE_ARRAY));
    const { insns } = assemble(`r0 = 0\nexit`);
    expect(insns.length).toBe(2);
    runXdp(sim, xdpProgram(`${lookup(0)}\n${call('bpf_timer_init', [T, 'r2 = map[idx:0]', 'r3 = 1'])}\n${call('bpf_timer_set_callback', [T, 'r2 = subprog[cb]'])}\n${call('bpf_timer_start', [T, 'r2 = 10', 'r3 = 0'])}\ndone:`, { subprogs: CB }), { maps: [m] });
    (m as unknown as { close(): void }).close();
    expect(() => sim.machine.advanceTime(1000)).not.toThrow();
    expect(sim.machine.timers.next()).toBeUndefined();
    sim.close();
  });
});
