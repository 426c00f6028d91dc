/*
 * Ring buffer and perf event output helpers against Linux 6.18: reserve, submit, discard, output
 * and query with their flags and limits (positions are compared, since records are consumed
 * through mmap on the kernel), and perf_event_output's errors for empty and missing slots.
 */
import { afterAll, describe, test } from 'vitest';
import * as U from '../../src/uapi.js';
import { BPF_RB_AVAIL_DATA, BPF_RB_CONS_POS, BPF_RB_FORCE_WAKEUP, BPF_RB_NO_WAKEUP, BPF_RB_PROD_POS, BPF_RB_RING_SIZE } from '../../src/maps/index.js';
import { call, fp, fresh, imm, st } from './support/asm.js';
import { checkCase, kernelBackend } from './support/cases.js';
import type { HelperCase } from './support/cases.js';
import { kernelSkip } from './support/xdp.js';

const kernel = kernelBackend();
if (kernelSkip) console.log(`output helper cases run on bpfsim only: ${kernelSkip}`);
afterAll(() => kernel?.close());

const ENOENT = -2;
const E2BIG = -7;
const EAGAIN = -11;
const EINVAL = -22;

const RING = { type: U.BPF_MAP_TYPE_RINGBUF, keySize: 0, valueSize: 0, maxEntries: 4096 };
const BIG = { type: U.BPF_MAP_TYPE_ARRAY, keySize: 4, valueSize: 3000, maxEntries: 1 };

const query = (flags: number | bigint, slot: number): string => call('bpf_ringbuf_query', ['r1 = map[idx:0]', imm(2, flags)], slot);
const output = (size: number, flags: number | bigint, slot: number, from = fp(2, -16)): string =>
  call('bpf_ringbuf_output', ['r1 = map[idx:0]', from, `r3 = ${size}`, imm(4, flags)], slot);
/** Reserves `size` bytes, stores whether it worked in `slot`, writes 8 bytes and submits (or discards) it. */
const reserve = (size: number, flags: number, slot: number, how: 'submit' | 'discard' = 'submit'): string => {
  const done = fresh('rsv');
  return [
    call('bpf_ringbuf_reserve', ['r1 = map[idx:0]', `r2 = ${size}`, `r3 = ${flags}`]),
    'r8 = 0', `if r0 == 0 goto ${done}`, 'r8 = 1', 'r1 = r0', 'r2 = 0', `call bpf_ringbuf_${how}`,
    `${done}:`, `*(u64 *)(r7 +${8 * slot}) = r8`,
  ].join('\n');
};

const positions = (first: number): string => [query(BPF_RB_AVAIL_DATA, first), query(BPF_RB_PROD_POS, first + 1), query(BPF_RB_CONS_POS, first + 2)].join('\n');

const cases: HelperCase[] = [
  {
    name: 'ringbuf_reserve and submit: 8-byte header, 8-byte rounding, positions',
    maps: [RING],
    body: [reserve(13, 0, 0), positions(1), query(BPF_RB_RING_SIZE, 4), query(9, 5), query(1n << 33n, 6)].join('\n'),
    want: [1, 24, 24, 0, 4096, 0, 0],
  },
  {
    name: 'ringbuf_reserve: flags and sizes it cannot hold give NULL',
    maps: [RING],
    body: [
      call('bpf_ringbuf_reserve', ['r1 = map[idx:0]', 'r2 = 8', 'r3 = 1']), 'r6 = r0', 'if r0 == 0 goto +3',
      'r1 = r0', 'r2 = 0', 'call bpf_ringbuf_discard', '*(u64 *)(r7 +0) = r6',
      call('bpf_ringbuf_reserve', ['r1 = map[idx:0]', 'r2 = 4089', 'r3 = 0']), 'r6 = r0', 'if r0 == 0 goto +3',
      'r1 = r0', 'r2 = 0', 'call bpf_ringbuf_discard', '*(u64 *)(r7 +8) = r6',
      positions(2),
    ].join('\n'),
    want: [0, 0, 0, 0, 0],
  },
  {
    name: 'ringbuf_discard still advances the producer',
    maps: [RING],
    body: [reserve(16, 0, 0, 'discard'), positions(1)].join('\n'),
    want: [1, 24, 24, 0],
  },
  {
    name: 'ringbuf_output: copies, flags, and -EAGAIN once full',
    maps: [RING, BIG],
    body: [
      st(-16, 0x1234n),
      output(8, 0, 0), output(8, BPF_RB_NO_WAKEUP, 1), output(8, BPF_RB_FORCE_WAKEUP, 2), output(8, 4, 3), output(8, 1n << 32n, 4),
      st(-24, 0, 'u32'), call('bpf_map_lookup_elem', ['r1 = map[idx:1]', fp(2, -24)]), 'if r0 == 0 goto +12', 'r6 = r0',
      output(3000, 0, 5, 'r2 = r6'), output(3000, 0, 6, 'r2 = r6'),
      positions(7),
    ].join('\n'),
    want: [0, 0, 0, EINVAL, EINVAL, 0, EAGAIN, 3056, 3056, 0],
  },
  {
    name: 'perf_event_output: an empty slot, the current CPU\'s empty slot, an index past the array, bad flags',
    maps: [{ type: U.BPF_MAP_TYPE_PERF_EVENT_ARRAY, keySize: 4, valueSize: 4, maxEntries: 4 }],
    body: [
      st(-8, 7n),
      ...[[0, 0], [0xffffffff, 1], [9, 2]].map(([flags, slot]) => call('bpf_perf_event_output', ['r1 = r6', 'r2 = map[idx:0]', imm(3, flags!), fp(4, -8), 'r5 = 8'], slot)),
    ].join('\n'),
    want: [ENOENT, ENOENT, E2BIG],
  },
];

describe('output helpers', () => {
  test.each(cases)('$name', (c) => checkCase(c, kernel, kernel?.ncpus));
});
