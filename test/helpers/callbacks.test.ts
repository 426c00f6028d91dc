/*
 * Callbacks (LD_IMM64 src 4): bpf_loop and bpf_for_each_map_elem with the kernel's limits,
 * stop rule, argument order and iteration order, checked against Linux 6.18 where bpf() works.
 */
import { afterAll, describe, test } from 'vitest';
import * as U from '../../src/uapi.js';
import { call, fp, imm, st } from './support/asm.js';
import { checkCase, kernelBackend } from './support/cases.js';
import type { HelperCase } from './support/cases.js';
import { kernelSkip } from './support/xdp.js';

const kernel = kernelBackend();
if (kernelSkip) console.log(`callback cases run on bpfsim only: ${kernelSkip}`);
afterAll(() => kernel?.close());

const E2BIG_U32 = 0xfffffff9;
const EINVAL = -22;

/** loop(n, cb, &counter at r10-8, flags): r0 to slot 0, the counter to slot 1. */
const loop = (n: bigint | number, cb: string, flags: bigint | number = 0): string => [
  st(-8, 0n), call('bpf_loop', [imm(1, n), `r2 = subprog[${cb}]`, fp(3, -8), imm(4, flags)], 0),
  'r1 = *(u64 *)(r10 -8)', '*(u64 *)(r7 +8) = r1',
].join('\n');

/** The callbacks, by name: each case lays out only those it uses (the kernel refuses unreachable code). */
const CALLBACKS: Record<string, string> = {
  count: `
    r3 = *(u64 *)(r2 +0)
    r3 += 1
    *(u64 *)(r2 +0) = r3
    r0 = 0
    exit`,
  stop_at_2: `
    *(u64 *)(r2 +0) = r1
    r0 = 0
    if r1 != 2 goto keep
    r0 = 1
  keep:
    exit`,
  // for_each callbacks: append key and value to an array at ctx (count at ctx+0); look the key up through the map argument.
  collect: `
    r6 = r4
    r5 = *(u64 *)(r6 +0)
    if r5 > 6 goto full
    r0 = r5
    r0 <<= 4
    r0 += r6
    r9 = *(u32 *)(r2 +0)
    *(u64 *)(r0 +8) = r9
    r9 = *(u64 *)(r3 +0)
    *(u64 *)(r0 +16) = r9
    r5 += 1
    *(u64 *)(r6 +0) = r5
  full:
    r0 = 0
    exit`,
  via_map: `
    r6 = r4
    r8 = r3
    call bpf_map_lookup_elem
    if r0 == 0 goto miss
    if r0 != r8 goto miss
    r5 = *(u64 *)(r6 +0)
    r5 += 1
    *(u64 *)(r6 +0) = r5
  miss:
    r0 = 0
    exit`,
  stop_at_1: `
    r0 = 0
    r5 = *(u32 *)(r2 +0)
    if r5 != 1 goto go_on
    r0 = 1
  go_on:
    exit`,
  bump: `
    r5 = *(u64 *)(r3 +0)
    r5 += 1000
    *(u64 *)(r3 +0) = r5
    r0 = 0
    exit`,
};

/** The text of the named callbacks, each under its label. */
const cbs = (...names: string[]): string => names.map((n) => `${n}:\n${CALLBACKS[n]!}`).join('\n');

/** for_each(map 0, cb, ctx = r10-128, flags): r0 to slot 0, then the 15 u64 of ctx to slots 1..15. */
const each = (cb: string, flags: bigint | number = 0): string => [
  ...Array.from({ length: 16 }, (_, i) => st(-128 + 8 * i, 0n)),
  call('bpf_for_each_map_elem', ['r1 = map[idx:0]', `r2 = subprog[${cb}]`, fp(3, -128), imm(4, flags)], 0),
  ...Array.from({ length: 15 }, (_, i) => `r1 = *(u64 *)(r10 ${-128 + 8 * i})\n*(u64 *)(r7 +${8 + 8 * i}) = r1`),
].join('\n');

const fillArray = (n: number) => (maps: readonly { update(k: Uint8Array, v: Uint8Array): void }[]): void => {
  for (let i = 0; i < n; i++) maps[0]!.update(Uint8Array.of(i, 0, 0, 0), new Uint8Array(new BigUint64Array([BigInt(10 * i + 1)]).buffer));
};

const ARRAY4 = { type: U.BPF_MAP_TYPE_ARRAY, keySize: 4, valueSize: 8, maxEntries: 4 };
const HASH8 = { type: U.BPF_MAP_TYPE_HASH, keySize: 4, valueSize: 8, maxEntries: 8, flags: U.BPF_F_ZERO_SEED };

const cases: HelperCase[] = [
  { name: 'bpf_loop runs the callback nr_loops times and returns the count', body: loop(5, 'count'), subprogs: cbs('count'), want: [5, 5] },
  { name: 'bpf_loop with nr_loops 0', body: loop(0, 'count'), subprogs: cbs('count'), want: [0, 0] },
  { name: 'bpf_loop stops when the callback returns 1 and counts that call', body: loop(10, 'stop_at_2'), subprogs: cbs('stop_at_2'), want: [3, 2] },
  // The verifier inlines bpf_loop when it knows flags are 0: nr_loops is then compared as 64 bits
  // and -E2BIG comes back as a 32-bit value.
  { name: 'inlined bpf_loop compares all of nr_loops', body: loop(0x100000003n, 'count'), subprogs: cbs('count'), want: [E2BIG_U32, 0] },
  { name: 'bpf_loop refuses more than 1 << 23 loops', body: loop((1 << 23) + 1, 'count'), subprogs: cbs('count'), want: [E2BIG_U32, 0] },
  { name: 'bpf_loop refuses flags (checked before nr_loops)', body: loop((1 << 23) + 1, 'count', 1), subprogs: cbs('count'), want: [EINVAL, 0] },
  { name: 'bpf_loop refuses high flag bits', body: loop(1, 'count', 1n << 40n), subprogs: cbs('count'), want: [EINVAL, 0] },
  {
    name: 'for_each over an array: every index in order, with its value',
    maps: [ARRAY4], setup: fillArray(4), body: each('collect'), subprogs: cbs('collect'),
    want: [4, 4, 0, 1, 1, 11, 2, 21, 3, 31, 0, 0, 0, 0, 0, 0],
  },
  {
    name: 'for_each over a hash: the kernel\'s bucket order (zero seed)',
    maps: [HASH8],
    setup: (maps) => {
      for (const k of [5, 1, 7, 3]) maps[0]!.update(Uint8Array.of(k, 0, 0, 0), new Uint8Array(new BigUint64Array([BigInt(k * 100)]).buffer));
    },
    body: each('collect'), subprogs: cbs('collect'),
    want: [4, 4, ...[0, 0, 0, 0, 0, 0, 0, 0].map(() => (v: bigint) => v < 1000n), 0, 0, 0, 0, 0, 0],
    compareMaps: true,
    sameSlots: 10,
  },
  { name: 'for_each passes the map, and the key looks up the value it passed', maps: [ARRAY4], body: each('via_map'), subprogs: cbs('via_map'), want: [4, 4] },
  { name: 'for_each stops when the callback returns 1 and counts that call', maps: [ARRAY4], body: each('stop_at_1'), subprogs: cbs('stop_at_1'), want: [2] },
  { name: 'for_each over an empty hash', maps: [HASH8], body: each('collect'), subprogs: cbs('collect'), want: [0, 0] },
  { name: 'for_each refuses flags', maps: [ARRAY4], body: each('collect', 1), subprogs: cbs('collect'), want: [EINVAL, 0] },
  {
    name: 'for_each callbacks may write the values',
    maps: [ARRAY4], setup: fillArray(4), body: each('bump'), subprogs: cbs('bump'), want: [4], compareMaps: true,
  },
  {
    name: 'for_each over a per-CPU array sees this CPU\'s copy',
    maps: [{ type: U.BPF_MAP_TYPE_PERCPU_ARRAY, keySize: 4, valueSize: 8, maxEntries: 2 }],
    setup: ([m], b) => {
      for (let k = 0; k < 2; k++) {
        const v = new BigUint64Array(b.ncpus).map((_, cpu) => BigInt(100 * k + cpu));
        m!.update(Uint8Array.of(k, 0, 0, 0), new Uint8Array(v.buffer));
      }
    },
    body: [each('collect'), call('bpf_get_smp_processor_id', [], 16)].join('\n'), subprogs: cbs('collect'),
    want: [2, 2, 0, (v, r) => v === r.u64(16), 1, (v, r) => v === 100n + r.u64(16)],
  },
];

describe('callbacks', () => {
  test.each(cases)('$name', (c) => checkCase(c, kernel, kernel?.ncpus));
});
