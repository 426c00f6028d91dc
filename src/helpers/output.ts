import { ERRNO } from '../errno.js';
import { PerfEventArrayMap, RingbufMap } from '../maps/index.js';
import { argFlags, argU64 } from './args.js';
import { HelperFault } from './fault.js';
import { mapArg, ptrArg } from './maps.js';
import { defineHelper } from './table.js';
import type { HelperCall, HelperDef } from './types.js';

/** `BPF_F_INDEX_MASK`: the low 32 bits of perf_event_output's flags select the array slot. */
export const BPF_F_INDEX_MASK = 0xffffffffn;

function ringbufArg(c: HelperCall, helper: number): RingbufMap {
  const map = mapArg(c, helper);
  if (!(map instanceof RingbufMap)) throw new HelperFault(helper, `map ${map.label} is not a ring buffer`);
  return map;
}

/** The ring buffer holding the record at argument 1 (reserved by bpf_ringbuf_reserve). */
function recordRing(c: HelperCall, helper: number): { ring: RingbufMap; addr: number } {
  const addr = ptrArg(c, helper, 1);
  const ring = c.env.maps?.ringbufFor(addr);
  if (!ring) throw new HelperFault(helper, `0x${addr.toString(16)} is not a record reserved in a ring buffer`);
  return { ring, addr };
}

/** Sizes past u32 are refused by the ring buffer like any other size it cannot hold. */
function size(c: HelperCall, i: number): number {
  const s = argU64(c, i);
  return s > 0xffffffffn ? 0x100000000 : Number(s);
}

/** `bpf_ringbuf_output(ringbuf, data, size, flags)`: copies data into a new record; 0, -EAGAIN when full, -EINVAL for bad flags. */
export const ringbufOutput: HelperDef = defineHelper('ringbuf_output',
  { ret: 'integer', args: ['const_map_ptr', 'mem', 'const_size_or_zero', 'anything'] },
  (c) => {
    const ring = ringbufArg(c, 130);
    // Flag bits above 32 are as invalid as the low ones the ring buffer checks.
    if (c.hi[4] !== 0) return -ERRNO.EINVAL;
    return ring.output(ptrArg(c, 130, 2), size(c, 3), argFlags(c, 4));
  });

/** `bpf_ringbuf_reserve(ringbuf, size, flags)`: the address of a new record's data, or NULL (no room, flags ≠ 0). */
export const ringbufReserve: HelperDef = defineHelper('ringbuf_reserve',
  { ret: 'ringbuf_mem_or_null', args: ['const_map_ptr', 'const_alloc_size_or_zero', 'anything'] },
  (c) => ringbufArg(c, 131).reserve(size(c, 2), argFlags(c, 3)));

/** `bpf_ringbuf_submit(data, flags)`: publishes a reserved record. */
export const ringbufSubmit: HelperDef = defineHelper('ringbuf_submit',
  { ret: 'void', args: ['ringbuf_mem', 'anything'] },
  (c) => {
    const { ring, addr } = recordRing(c, 132);
    ring.submit(addr, argFlags(c, 2));
    return 0;
  });

/** `bpf_ringbuf_discard(data, flags)`: drops a reserved record. */
export const ringbufDiscard: HelperDef = defineHelper('ringbuf_discard',
  { ret: 'void', args: ['ringbuf_mem', 'anything'] },
  (c) => {
    const { ring, addr } = recordRing(c, 133);
    ring.discard(addr, argFlags(c, 2));
    return 0;
  });

/** `bpf_ringbuf_query(ringbuf, flags)`: available data, ring size, consumer or producer position; 0 for other flags. */
export const ringbufQuery: HelperDef = defineHelper('ringbuf_query',
  { ret: 'integer', args: ['const_map_ptr', 'anything'] },
  (c) => ringbufArg(c, 134).query(argFlags(c, 2)));

/**
 * `bpf_perf_event_output(ctx, map, flags, data, size)`: appends a sample to the perf event in
 * the slot the low 32 bits of flags name (BPF_F_CURRENT_CPU: this CPU's). -EINVAL for other flag
 * bits, -E2BIG past the array, -ENOENT for an empty slot, -EOPNOTSUPP for another CPU's event.
 * (Appending packet bytes through BPF_F_CTXLEN_MASK is left to the packet helpers.)
 */
export const perfEventOutput: HelperDef = defineHelper('perf_event_output',
  { ret: 'integer', args: ['ctx', 'const_map_ptr', 'anything', 'mem', 'const_size_or_zero'], gplOnly: true },
  (c) => {
    const map = mapArg(c, 25, 2);
    if (!(map instanceof PerfEventArrayMap)) throw new HelperFault(25, `map ${map.label} is not a perf event array`);
    const flags = argU64(c, 3);
    if (flags & ~BPF_F_INDEX_MASK) return -ERRNO.EINVAL;
    return map.output(c.cpu, Number(flags), ptrArg(c, 25, 4), size(c, 5));
  });

/** The ring buffer and perf event output helpers. */
export const outputHelpers: readonly HelperDef[] = [ringbufOutput, ringbufReserve, ringbufSubmit, ringbufDiscard, ringbufQuery, perfEventOutput];
