/*
 * The dynptr helpers against Linux 6.18: local dynptrs over a map value and ring buffer dynptrs,
 * their errno returns (-EINVAL for flags and failed reservations, -E2BIG past the end or past
 * DYNPTR_MAX_SIZE), NULL from bpf_dynptr_data, the invalid dynptr a failed constructor leaves,
 * and the records a ring buffer ends up holding. Every program also passes bpfsim's verifier.
 */
import { afterAll, describe, expect, test } from 'vitest';
import * as U from '../../src/uapi.js';
import { RingbufMap, type MapSpec } from '../../src/maps/index.js';
import { verifyProgram } from '../../src/verifier/index.js';
import { call, fp, imm, out, st } from './support/asm.js';
import { checkCase, kernelBackend } from './support/cases.js';
import type { HelperCase } from './support/cases.js';
import { SIM_ENGINES, kernelSkip, runXdp, simBackend, xdpProgram } from './support/xdp.js';

const kernel = kernelBackend();
if (kernelSkip) console.log(`dynptr helper cases run on bpfsim only: ${kernelSkip}`);
afterAll(() => kernel?.close());

const E2BIG = -7;
const EINVAL = -22;

const ARRAY: MapSpec = { type: U.BPF_MAP_TYPE_ARRAY, keySize: 4, valueSize: 16, maxEntries: 1 };
const RING: MapSpec = { type: U.BPF_MAP_TYPE_RINGBUF, keySize: 0, valueSize: 0, maxEntries: 4096 };

/** The array's value 0x00..0x0f. */
const fillValue = (maps: readonly { update(k: Uint8Array, v: Uint8Array): void }[]): void => {
  maps[0]!.update(new Uint8Array(4), Uint8Array.from({ length: 16 }, (_, i) => i));
};

/** Looks up the array's only value into r6 (exits when NULL). */
const lookup = [st(-8, 0, 'u32'), call('bpf_map_lookup_elem', ['r1 = map[idx:0]', fp(2, -8)]), 'if r0 == 0 goto out', 'r6 = r0'].join('\n');
/** A local dynptr at fp-32 over `size` bytes of the value, its result in `slot`. */
const fromMem = (size: number, flags: number | bigint, slot: number): string => call('bpf_dynptr_from_mem', ['r1 = r6', `r2 = ${size}`, imm(3, flags), fp(4, -32)], slot);
/** bpf_dynptr_read of `len` bytes at `offset` into fp-48, the result in `slot` and the first 8 bytes read in `slot + 1`. */
const read = (len: number, offset: number | bigint, flags: number | bigint, slot: number): string => [
  st(-48, 0), call('bpf_dynptr_read', [fp(1, -48), `r2 = ${len}`, fp(3, -32), imm(4, offset), imm(5, flags)], slot),
  'r1 = *(u64 *)(r10 -48)', out(slot + 1, 1),
].join('\n');
/** bpf_dynptr_write of `len` bytes from fp-48 (holding `v`) at `offset`, the result in `slot`. */
const write = (len: number, offset: number | bigint, flags: number | bigint, v: bigint, slot: number): string => [
  st(-48, v), call('bpf_dynptr_write', [fp(1, -32), imm(2, offset), fp(3, -48), `r4 = ${len}`, imm(5, flags)], slot),
].join('\n');
/** bpf_dynptr_data of 8 bytes at `offset`: the u64 there in `slot`, or -1 for NULL. */
const data = (offset: number | bigint, slot: number): string => [
  call('bpf_dynptr_data', [fp(1, -32), imm(2, offset), 'r3 = 8']), 'r1 = -1', 'if r0 == 0 goto +1', 'r1 = *(u64 *)(r0 +0)', out(slot, 1),
].join('\n');
/** A ring buffer dynptr at fp-32 of `size` bytes (a 64-bit constant), the result in `slot`. */
const reserve = (size: number | bigint, flags: number | bigint, slot: number): string => call('bpf_ringbuf_reserve_dynptr', ['r1 = map[idx:0]', imm(2, size), imm(3, flags), fp(4, -32)], slot);
const commit = (how: 'submit' | 'discard', flags = 0): string => call(`bpf_ringbuf_${how}_dynptr`, [fp(1, -32), `r2 = ${flags}`]);
const query = (flags: number, slot: number): string => call('bpf_ringbuf_query', ['r1 = map[idx:0]', `r2 = ${flags}`], slot);

const LE = (bytes: number[]): bigint => bytes.reduceRight((v, b) => (v << 8n) | BigInt(b), 0n);

const cases: HelperCase[] = [
  {
    name: 'a local dynptr over a map value: reads, writes and slices within its size',
    maps: [ARRAY], setup: fillValue, compareMaps: true,
    body: [
      lookup, fromMem(16, 0, 0), read(8, 4, 0, 1), read(0, 16, 0, 3), write(4, 12, 0, 0xaabbccddn, 5), data(8, 6), data(0, 7),
    ].join('\n'),
    want: [0, 0, LE([4, 5, 6, 7, 8, 9, 10, 11]), 0, 0, 0, LE([8, 9, 10, 11, 0xdd, 0xcc, 0xbb, 0xaa]), LE([0, 1, 2, 3, 4, 5, 6, 7])],
  },
  {
    name: 'a local dynptr: out of range is -E2BIG (NULL for a slice), flags -EINVAL, offsets are 32-bit',
    maps: [ARRAY], setup: fillValue, compareMaps: true,
    body: [
      lookup, fromMem(12, 0, 0), read(8, 8, 0, 1), read(1, 12, 0, 3), read(0, 13, 0, 5), read(8, 0, 1, 7),
      write(8, 8, 0, 1n, 9), write(8, 0, 2, 1n, 10), write(8, 16, 2, 1n, 11), data(8, 12), data(4, 13), read(8, 1n << 32n, 0, 14),
    ].join('\n'),
    want: [0, E2BIG, 0, E2BIG, 0, E2BIG, 0, EINVAL, 0, E2BIG, EINVAL, E2BIG, -1, LE([4, 5, 6, 7, 8, 9, 10, 11]), 0, LE([0, 1, 2, 3, 4, 5, 6, 7])],
  },
  {
    name: 'bpf_dynptr_from_mem with flags leaves an invalid dynptr',
    maps: [ARRAY], setup: fillValue, compareMaps: true,
    body: [lookup, fromMem(16, 1, 0), read(8, 0, 0, 1), write(8, 0, 0, 1n, 3), data(0, 4), fromMem(0, 0, 5), read(0, 0, 0, 6), data(0, 8)].join('\n'),
    want: [EINVAL, EINVAL, 0, EINVAL, -1, 0, 0, 0, -1],
  },
  {
    name: 'a ring buffer dynptr: written, read back and submitted',
    maps: [RING],
    body: [
      reserve(16, 0, 0), write(8, 0, 0, 0x1122334455667788n, 1), write(8, 8, 0, 0x99n, 2), read(8, 8, 0, 3), data(0, 5),
      commit('submit'), query(0, 6), query(3, 7),
    ].join('\n'),
    want: [0, 0, 0, 0, 0x99, 0x1122334455667788n, 24, 24],
  },
  {
    name: 'bpf_ringbuf_reserve_dynptr: flags, no room and sizes past DYNPTR_MAX_SIZE leave an invalid dynptr',
    maps: [RING],
    body: [
      reserve(8, 1, 0), read(0, 0, 0, 1), commit('discard'), reserve(4096, 0, 3), commit('discard'),
      reserve(0x1000000, 0, 4), data(0, 5), commit('submit'), reserve((1n << 32n) | 8n, 0, 6), commit('discard'), query(3, 7),
    ].join('\n'),
    want: [EINVAL, EINVAL, 0, EINVAL, E2BIG, -1, 0, 16],
  },
];

describe('dynptr helpers', () => {
  test.each(cases)('$name', (c) => checkCase(c, kernel, kernel?.ncpus));

  test.each(cases)('bpfsim\'s verifier accepts: $name', (c) => {
    const maps = (c.maps ?? []).map((m) => ({ ...m, name: '', flags: 0 }));
    const r = verifyProgram(xdpProgram(c.body), { progType: U.BPF_PROG_TYPE_XDP, maps });
    expect(r.errors[0]?.message ?? '').toBe('');
  });
});

describe('ring buffer records written through dynptrs', () => {
  const body = [
    reserve(12, 0, 0), write(8, 0, 0, 0x0807060504030201n, 1), write(4, 8, 0, 0x0c0b0a09n, 2), commit('submit'),
    reserve(8, 0, 3), write(8, 0, 0, 0xffn, 4), commit('discard'),
    reserve(3, 0, 5), write(3, 0, 0, 0x434241n, 6), commit('submit', 1),
  ].join('\n');

  test('the interpreter and the JIT leave the same records', () => {
    const records = SIM_ENGINES.map((engine) => {
      const sim = simBackend(undefined, engine);
      try {
        const ring = sim.createMap(RING) as RingbufMap;
        const run = runXdp(sim, xdpProgram(body), { maps: [ring] });
        expect([0, 1, 2, 3, 4, 5, 6].map((i) => run.s64(i))).toEqual([0n, 0n, 0n, 0n, 0n, 0n, 0n]);
        return ring.drain().map((r) => [...r]);
      } finally {
        sim.close();
      }
    });
    expect(records[0]).toEqual([[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], [0x41, 0x42, 0x43]]);
    expect(records[1]).toEqual(records[0]);
  });
});
