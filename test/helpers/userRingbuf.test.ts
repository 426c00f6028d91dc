/*
 * bpf_user_ringbuf_drain: samples user space produced reach the callback as dynptrs, in order,
 * discarded ones skipped and not counted, until the ring is empty or the callback returns 1. On
 * the kernel (which bpfsim cannot produce into without mmap) an empty ring drains to 0 and bad
 * flags are -EINVAL, as on bpfsim, and the map is created under the same rules. Draining with
 * samples runs on both engines.
 */
import { afterAll, describe, expect, test } from 'vitest';
import * as U from '../../src/uapi.js';
import { UserRingbufMap, type MapSpec } from '../../src/maps/index.js';
import { verifyProgram } from '../../src/verifier/index.js';
import { call, fp, out, st } from './support/asm.js';
import { checkCase, kernelBackend } from './support/cases.js';
import type { HelperCase } from './support/cases.js';
import { SIM_ENGINES, kernelSkip, runXdp, simBackend, xdpProgram } from './support/xdp.js';

const kernel = kernelBackend();
if (kernelSkip) console.log(`user ring buffer cases run on bpfsim only: ${kernelSkip}`);
afterAll(() => kernel?.close());

const URB: MapSpec = { type: U.BPF_MAP_TYPE_USER_RINGBUF, keySize: 0, valueSize: 0, maxEntries: 4096 };

/** Drains map 0 with `flags`: the result in `slot`, the callback's sum (kept at fp-8) in `slot + 1`. */
const drain = (flags: number, slot: number): string =>
  [st(-8, 0), call('bpf_user_ringbuf_drain', ['r1 = map[idx:0]', 'r2 = subprog[cb]', fp(3, -8), `r4 = ${flags}`], slot), 'r1 = *(u64 *)(r10 -8)', out(slot + 1, 1)].join('\n');
/** The callback: sum += first u64 of the sample (read through the dynptr); return 1 after 0xff. */
const SUM_CB = `cb:
  r6 = r2
  r3 = r1
  r1 = 0
  *(u64 *)(r10 -8) = r1
  r1 = r10
  r1 += -8
  r2 = 8
  r4 = 0
  r5 = 0
  call bpf_dynptr_read
  r1 = *(u64 *)(r10 -8)
  r2 = *(u64 *)(r6 +0)
  r2 += r1
  *(u64 *)(r6 +0) = r2
  r0 = 0
  if r1 != 0xff goto +1
  r0 = 1
  exit`;

const cases: HelperCase[] = [
  {
    name: 'an empty user ring buffer drains to 0; flags other than the wakeup ones are -EINVAL',
    maps: [URB], subprogs: SUM_CB,
    body: [drain(0, 0), drain(1, 2), drain(2, 4), drain(4, 6)].join('\n'),
    want: [0, 0, 0, 0, 0, 0, -22, 0],
  },
];

describe.skipIf(!kernel)('USER_RINGBUF maps are created as the kernel creates them', () => {
  test('sizes, key and value sizes, flags', () => {
    const sim = simBackend();
    const outcome = (b: { createMap(s: MapSpec): { close(): void } }, s: MapSpec): string => {
      try {
        b.createMap(s).close();
        return 'ok';
      } catch (e) {
        return (e as { errnoName?: string }).errnoName ?? String(e);
      }
    };
    const specs: MapSpec[] = [
      URB, { ...URB, maxEntries: 1000 }, { ...URB, keySize: 4 }, { ...URB, valueSize: 4 }, { ...URB, maxEntries: 0 },
      { ...URB, maxEntries: 8192, flags: U.BPF_F_NUMA_NODE }, { ...URB, flags: 1024 }, { ...URB, flags: 1 },
    ];
    try {
      expect(specs.map((s) => outcome(sim, s))).toEqual(specs.map((s) => outcome(kernel!, s)));
    } finally {
      sim.close();
    }
  });
});

describe('bpf_user_ringbuf_drain', () => {
  test.each(cases)('$name', (c) => checkCase(c, kernel, kernel?.ncpus));

  test('bpfsim\'s verifier accepts the drain program', () => {
    const r = verifyProgram(xdpProgram(drain(0, 0), { subprogs: SUM_CB }), {
      progType: U.BPF_PROG_TYPE_XDP, maps: [{ ...URB, name: '', flags: 0 }], funcInfo: true,
    });
    expect(r.errors[0]?.message ?? '').toBe('');
  });

  test.each(SIM_ENGINES)('samples reach the callback in order; discarded ones are skipped; a return of 1 stops the drain (%s)', (engine) => {
    const sim = simBackend(undefined, engine);
    try {
      const map = sim.createMap(URB) as UserRingbufMap;
      const u64 = (v: number): Uint8Array => { const b = new Uint8Array(8); new DataView(b.buffer).setBigUint64(0, BigInt(v), true); return b; };
      expect([map.produce(u64(1)), map.produce(u64(100), true), map.produce(u64(2)), map.produce(new Uint8Array(3)), map.produce(u64(0xff)), map.produce(u64(7))])
        .toEqual([true, true, true, true, true, true]);
      const run = runXdp(sim, xdpProgram([drain(0, 0), drain(0, 2), drain(0, 4)].join('\n'), { subprogs: SUM_CB }), { maps: [map] });
      expect([0, 1, 2, 3, 4, 5].map((i) => run.s64(i))).toEqual([4n, 3n + 0xffn, 1n, 7n, 0n, 0n]);
      expect(map.pending).toBe(0);
      expect(map.produce(new Uint8Array(4089))).toBe(false);
    } finally {
      sim.close();
    }
  });
});
