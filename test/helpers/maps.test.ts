/*
 * The map helpers, case by case, with the results Linux 6.18 gives (checked again on the kernel
 * where bpf() works): lookups, updates with every flag, deletes, per-CPU lookups, queue, stack,
 * bloom filter and LPM trie, and map contents afterwards.
 */
import { afterAll, describe, test } from 'vitest';
import * as U from '../../src/uapi.js';
import { call, derefOut, fp, imm, st } from './support/asm.js';
import { checkCase, kernelBackend } from './support/cases.js';
import type { HelperCase } from './support/cases.js';
import { kernelSkip } from './support/xdp.js';

const kernel = kernelBackend();
if (kernelSkip) console.log(`map helper cases run on bpfsim only: ${kernelSkip}`);
afterAll(() => kernel?.close());

const ENOENT = -2;
const E2BIG = -7;
const EEXIST = -17;
const EINVAL = -22;
const EOPNOTSUPP = -95;

const update = (map: number, keyOff: number, valOff: number, flags: bigint | number, slot: number): string =>
  call('bpf_map_update_elem', [`r1 = map[idx:${map}]`, fp(2, keyOff), fp(3, valOff), imm(4, flags)], slot);
const lookup = (map: number, keyOff: number, slot: number): string =>
  [call('bpf_map_lookup_elem', [`r1 = map[idx:${map}]`, fp(2, keyOff)]), derefOut(slot)].join('\n');
const del = (map: number, keyOff: number, slot: number): string => call('bpf_map_delete_elem', [`r1 = map[idx:${map}]`, fp(2, keyOff)], slot);

const ARRAY4 = { type: U.BPF_MAP_TYPE_ARRAY, keySize: 4, valueSize: 8, maxEntries: 4 };
const HASH2 = { type: U.BPF_MAP_TYPE_HASH, keySize: 4, valueSize: 8, maxEntries: 2, flags: U.BPF_F_ZERO_SEED };

const cases: HelperCase[] = [
  {
    name: 'array: update and lookup, every flag, out of range, delete',
    maps: [ARRAY4],
    body: [
      st(-8, 3, 'u32'), st(-16, 0x1122n), st(-24, 9, 'u32'),
      update(0, -8, -16, U.BPF_ANY, 0), lookup(0, -8, 1),
      update(0, -8, -16, U.BPF_NOEXIST, 2), update(0, -8, -16, U.BPF_EXIST, 3),
      update(0, -8, -16, 3, 4), update(0, -8, -16, 1n << 32n, 5),
      update(0, -24, -16, U.BPF_ANY, 6), lookup(0, -24, 7), del(0, -8, 8), update(0, -8, -16, U.BPF_F_LOCK, 9),
    ].join('\n'),
    want: [0, 0x1122, EEXIST, 0, EINVAL, EINVAL, E2BIG, -1, EINVAL, EINVAL],
    compareMaps: true,
  },
  {
    name: 'hash: NOEXIST, EXIST, a full map, delete, lookup after delete',
    maps: [HASH2],
    body: [
      st(-8, 1, 'u32'), st(-12, 2, 'u32'), st(-4, 3, 'u32'), st(-24, 0xabcdn),
      update(0, -8, -24, U.BPF_EXIST, 0), update(0, -8, -24, U.BPF_NOEXIST, 1), update(0, -8, -24, U.BPF_NOEXIST, 2),
      update(0, -12, -24, U.BPF_ANY, 3), update(0, -4, -24, U.BPF_ANY, 4), update(0, -8, -24, U.BPF_ANY, 5),
      lookup(0, -12, 6), del(0, -12, 7), del(0, -12, 8), lookup(0, -12, 9), update(0, -4, -24, U.BPF_ANY, 10),
      update(0, -4, -24, 4, 11),
    ].join('\n'),
    want: [ENOENT, 0, EEXIST, 0, E2BIG, 0, 0xabcd, 0, ENOENT, -1, 0, EINVAL],
    compareMaps: true,
  },
  {
    name: 'LRU hash: a full map evicts instead of failing',
    maps: [{ type: U.BPF_MAP_TYPE_LRU_HASH, keySize: 4, valueSize: 8, maxEntries: 2 }],
    body: [
      st(-8, 1, 'u32'), st(-12, 2, 'u32'), st(-4, 3, 'u32'), st(-24, 7n),
      update(0, -8, -24, U.BPF_ANY, 0), update(0, -12, -24, U.BPF_ANY, 1), update(0, -4, -24, U.BPF_ANY, 2),
      update(0, -4, -24, U.BPF_NOEXIST, 3), del(0, -4, 4), lookup(0, -4, 5),
    ].join('\n'),
    want: [0, 0, 0, EEXIST, 0, -1],
  },
  {
    name: 'per-CPU array: this CPU\'s copy, lookup_percpu_elem of each CPU, a CPU that does not exist',
    maps: [{ type: U.BPF_MAP_TYPE_PERCPU_ARRAY, keySize: 4, valueSize: 8, maxEntries: 2 }],
    setup: ([m], b) => {
      const v = new BigUint64Array(b.ncpus).map((_, i) => BigInt(100 + i));
      m!.update(Uint8Array.of(1, 0, 0, 0), new Uint8Array(v.buffer));
    },
    body: [
      st(-8, 1, 'u32'), lookup(0, -8, 0),
      call('bpf_map_lookup_percpu_elem', ['r1 = map[idx:0]', fp(2, -8), 'r3 = 1']), derefOut(1),
      call('bpf_map_lookup_percpu_elem', ['r1 = map[idx:0]', fp(2, -8), 'r3 = 4096']), derefOut(2),
      call('bpf_map_lookup_percpu_elem', ['r1 = map[idx:0]', fp(2, -8), imm(3, 0x100000000n)]), derefOut(3),
      call('bpf_get_smp_processor_id', [], 4),
    ].join('\n'),
    // XDP test runs cannot be pinned to a CPU: "this CPU" is whichever ran it.
    want: [(v, r) => v === 100n + r.u64(4), 101, -1, 100, (v) => v < 2n],
  },
  {
    name: 'queue: FIFO, full, BPF_EXIST replaces the oldest, empty pop and peek',
    maps: [{ type: U.BPF_MAP_TYPE_QUEUE, keySize: 0, valueSize: 8, maxEntries: 2 }],
    body: [
      st(-8, 1n), st(-16, 2n), st(-24, 3n),
      call('bpf_map_push_elem', ['r1 = map[idx:0]', fp(2, -8), 'r3 = 0'], 0),
      call('bpf_map_push_elem', ['r1 = map[idx:0]', fp(2, -16), 'r3 = 0'], 1),
      call('bpf_map_push_elem', ['r1 = map[idx:0]', fp(2, -24), 'r3 = 0'], 2),
      call('bpf_map_push_elem', ['r1 = map[idx:0]', fp(2, -24), `r3 = ${U.BPF_EXIST}`], 3),
      call('bpf_map_push_elem', ['r1 = map[idx:0]', fp(2, -24), `r3 = ${U.BPF_NOEXIST}`], 4),
      call('bpf_map_peek_elem', ['r1 = map[idx:0]', fp(2, -32)], 5), 'r1 = *(u64 *)(r10 -32)', '*(u64 *)(r7 +48) = r1',
      call('bpf_map_pop_elem', ['r1 = map[idx:0]', fp(2, -32)], 7), 'r1 = *(u64 *)(r10 -32)', '*(u64 *)(r7 +64) = r1',
      call('bpf_map_pop_elem', ['r1 = map[idx:0]', fp(2, -32)], 9), 'r1 = *(u64 *)(r10 -32)', '*(u64 *)(r7 +80) = r1',
      call('bpf_map_pop_elem', ['r1 = map[idx:0]', fp(2, -32)], 11),
      call('bpf_map_peek_elem', ['r1 = map[idx:0]', fp(2, -32)], 12),
    ].join('\n'),
    want: [0, 0, E2BIG, 0, EINVAL, 0, 2, 0, 2, 0, 3, ENOENT, ENOENT],
  },
  {
    name: 'stack: LIFO',
    maps: [{ type: U.BPF_MAP_TYPE_STACK, keySize: 0, valueSize: 8, maxEntries: 4 }],
    body: [
      st(-8, 1n), st(-16, 2n),
      call('bpf_map_push_elem', ['r1 = map[idx:0]', fp(2, -8), 'r3 = 0'], 0),
      call('bpf_map_push_elem', ['r1 = map[idx:0]', fp(2, -16), 'r3 = 0'], 1),
      call('bpf_map_pop_elem', ['r1 = map[idx:0]', fp(2, -32)], 2), 'r1 = *(u64 *)(r10 -32)', '*(u64 *)(r7 +24) = r1',
      call('bpf_map_pop_elem', ['r1 = map[idx:0]', fp(2, -32)], 4), 'r1 = *(u64 *)(r10 -32)', '*(u64 *)(r7 +40) = r1',
    ].join('\n'),
    want: [0, 0, 0, 2, 0, 1],
  },
  {
    name: 'bloom filter: push, peek for a member and a stranger, push flags',
    maps: [{ type: U.BPF_MAP_TYPE_BLOOM_FILTER, keySize: 0, valueSize: 8, maxEntries: 16, mapExtra: 3n }],
    body: [
      st(-8, 42n), st(-16, 43n),
      call('bpf_map_push_elem', ['r1 = map[idx:0]', fp(2, -8), 'r3 = 0'], 0),
      call('bpf_map_peek_elem', ['r1 = map[idx:0]', fp(2, -8)], 1),
      call('bpf_map_push_elem', ['r1 = map[idx:0]', fp(2, -8), `r3 = ${U.BPF_EXIST}`], 2),
    ].join('\n'),
    want: [0, 0, EINVAL],
  },
  {
    name: 'LPM trie: the longest prefix wins, deletes, NOEXIST',
    maps: [{ type: U.BPF_MAP_TYPE_LPM_TRIE, keySize: 8, valueSize: 8, maxEntries: 8, flags: U.BPF_F_NO_PREALLOC }],
    body: [
      st(-8, 0x0000000a00000008n), st(-16, 0x0000000a00000018n), st(-24, 0x0300000a00000020n), st(-32, 8n), st(-40, 24n),
      update(0, -8, -32, U.BPF_ANY, 0), update(0, -16, -40, U.BPF_ANY, 1), lookup(0, -24, 2),
      del(0, -16, 3), lookup(0, -24, 4), update(0, -8, -32, U.BPF_NOEXIST, 5), del(0, -16, 6),
    ].join('\n'),
    want: [0, 0, 24, 0, 8, EEXIST, ENOENT],
    compareMaps: true,
  },
  {
    // Regressions found by the random differential: pop and peek of an empty queue zero the buffer;
    // an array update checks the index before BPF_F_LOCK, and NOEXIST before it too.
    name: 'an empty queue zeroes the buffer of pop and peek',
    maps: [{ type: U.BPF_MAP_TYPE_QUEUE, keySize: 0, valueSize: 8, maxEntries: 2 }],
    body: [
      st(-8, 0x5555n), call('bpf_map_pop_elem', ['r1 = map[idx:0]', fp(2, -8)], 0), 'r1 = *(u64 *)(r10 -8)', '*(u64 *)(r7 +8) = r1',
      st(-8, 0x5555n), call('bpf_map_peek_elem', ['r1 = map[idx:0]', fp(2, -8)], 2), 'r1 = *(u64 *)(r10 -8)', '*(u64 *)(r7 +24) = r1',
    ].join('\n'),
    want: [ENOENT, 0, ENOENT, 0],
  },
  {
    name: 'array updates with BPF_F_LOCK: the index and NOEXIST are checked first',
    maps: [ARRAY4],
    body: [st(-8, 9, 'u32'), st(-12, 1, 'u32'), st(-24, 1n), update(0, -8, -24, U.BPF_F_LOCK, 0),
      update(0, -12, -24, U.BPF_F_LOCK | U.BPF_NOEXIST, 1), update(0, -12, -24, U.BPF_F_LOCK | U.BPF_EXIST, 2)].join('\n'),
    want: [E2BIG, EEXIST, EINVAL],
  },
  {
    name: 'a queue refuses keyed operations',
    maps: [{ type: U.BPF_MAP_TYPE_QUEUE, keySize: 0, valueSize: 8, maxEntries: 2 }],
    body: [st(-8, 1n), call('bpf_map_push_elem', ['r1 = map[idx:0]', fp(2, -8), imm(3, 1n << 40n)], 0)].join('\n'),
    want: [EINVAL],
  },
];

describe('map helpers', () => {
  test.each(cases)('$name', (c) => checkCase(c, kernel, kernel?.ncpus));
  test('pop on a bloom filter is EOPNOTSUPP at run time on bpfsim (the kernel verifier refuses it)', () => {
    checkCase({
      name: 'bloom pop',
      maps: [{ type: U.BPF_MAP_TYPE_BLOOM_FILTER, keySize: 0, valueSize: 8, maxEntries: 16 }],
      body: call('bpf_map_pop_elem', ['r1 = map[idx:0]', fp(2, -8)], 0),
      want: [EOPNOTSUPP],
    }, undefined);
  });
});
