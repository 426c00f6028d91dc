/**
 * The dynptr helpers (Linux 6.18, kernel/bpf/helpers.c and ringbuf.c): a dynptr is 16 bytes of the
 * program's stack describing a memory area (a map value, a ring buffer record) with its size; the
 * program reads and writes the area only through helpers that check offsets against that size.
 * Failures leave the invalid (zeroed) dynptr: -EINVAL for non-zero flags or a full ring buffer,
 * -E2BIG for a size past DYNPTR_MAX_SIZE or an access past the end.
 */
import { ERRNO } from '../errno.js';
import { RingbufMap } from '../maps/index.js';
import { argFlags, argU32 } from './args.js';
import { type Dynptr, BPF_DYNPTR_SIZE, DYNPTR_MAX_SIZE, DynptrType, NULL_DYNPTR, decodeDynptr, encodeDynptr } from './dynptrLayout.js';
import { HelperFault } from './fault.js';
import { mapArg, ptrArg } from './maps.js';
import { defineHelper } from './table.js';
import type { HelperCall, HelperDef } from './types.js';

const { E2BIG, EINVAL } = ERRNO;

/** The address of the dynptr in argument `i`, checked to lie in the arena. */
function dynptrAddr(c: HelperCall, helper: number, i: number): number {
  const addr = ptrArg(c, helper, i);
  if (addr + BPF_DYNPTR_SIZE > c.env.arena.u8.length) throw new HelperFault(helper, `r${i} = 0x${addr.toString(16)} is not a struct bpf_dynptr in this machine's memory`);
  return addr;
}

function store(c: HelperCall, addr: number, d: Dynptr): void {
  encodeDynptr(c.env.arena.view, addr, d);
}

function load(c: HelperCall, addr: number): Dynptr {
  return decodeDynptr(c.env.arena.view, addr);
}

/** bpf_dynptr_check_off_len: `len` bytes at `offset` lie within the dynptr. */
function inRange(d: Dynptr, offset: number, len: number): boolean {
  return len <= d.size && offset <= d.size - len;
}

/** The arena range `[addr, addr + len)`, a HelperFault when it is outside the arena. */
function arenaSpan(c: HelperCall, helper: number, addr: number, len: number): number {
  if (addr < 0 || addr + len > c.env.arena.u8.length) throw new HelperFault(helper, `0x${addr.toString(16)}+${len} is outside this machine's memory`);
  return addr;
}

/** `bpf_dynptr_from_mem(data, size, flags, ptr)`: a local dynptr over `size` bytes of data; -E2BIG, -EINVAL for flags. */
export const dynptrFromMem: HelperDef = defineHelper('dynptr_from_mem',
  { ret: 'integer', args: ['uninit_mem', 'const_size_or_zero', 'anything', 'dynptr_local_uninit'] },
  (c) => {
    const at = dynptrAddr(c, 197, 4);
    const size = argU32(c, 2);
    let err = 0;
    if (size > DYNPTR_MAX_SIZE) err = -E2BIG;
    else if (argFlags(c, 3) !== 0) err = -EINVAL;
    store(c, at, err ? NULL_DYNPTR : { data: ptrArg(c, 197, 1), offset: 0, size, type: DynptrType.LOCAL, rdonly: false });
    return err;
  });

/** `bpf_ringbuf_reserve_dynptr(ringbuf, size, flags, ptr)`: a ring buffer record as a dynptr; -EINVAL (flags, no room), -E2BIG. */
export const ringbufReserveDynptr: HelperDef = defineHelper('ringbuf_reserve_dynptr',
  { ret: 'integer', args: ['const_map_ptr', 'anything', 'anything', 'dynptr_ringbuf_uninit'] },
  (c) => {
    const map = mapArg(c, 198);
    if (!(map instanceof RingbufMap)) throw new HelperFault(198, `map ${map.label} is not a ring buffer`);
    const at = dynptrAddr(c, 198, 4);
    const size = argU32(c, 2);
    let err = 0;
    let rec = 0;
    if (argFlags(c, 3) !== 0) err = -EINVAL;
    else if (size > DYNPTR_MAX_SIZE) err = -E2BIG;
    else if (!(rec = map.reserve(size, 0))) err = -EINVAL;
    store(c, at, err ? NULL_DYNPTR : { data: rec, offset: 0, size, type: DynptrType.RINGBUF, rdonly: false });
    return err;
  });

/** Submits or discards the record of a ring buffer dynptr, then invalidates it; an invalid dynptr is left alone. */
function commitDynptr(c: HelperCall, helper: number, discard: boolean): number {
  const at = dynptrAddr(c, helper, 1);
  const d = load(c, at);
  if (!d.data) return 0;
  const ring = c.env.maps?.ringbufFor(d.data);
  if (!ring) throw new HelperFault(helper, `0x${d.data.toString(16)} is not a record reserved in a ring buffer`);
  if (discard) ring.discard(d.data, argFlags(c, 2));
  else ring.submit(d.data, argFlags(c, 2));
  store(c, at, NULL_DYNPTR);
  return 0;
}

/** `bpf_ringbuf_submit_dynptr(ptr, flags)`: publishes the dynptr's record. */
export const ringbufSubmitDynptr: HelperDef = defineHelper('ringbuf_submit_dynptr',
  { ret: 'void', args: ['dynptr_ringbuf_release', 'anything'] },
  (c) => commitDynptr(c, 199, false));

/** `bpf_ringbuf_discard_dynptr(ptr, flags)`: drops the dynptr's record. */
export const ringbufDiscardDynptr: HelperDef = defineHelper('ringbuf_discard_dynptr',
  { ret: 'void', args: ['dynptr_ringbuf_release', 'anything'] },
  (c) => commitDynptr(c, 200, true));

/** `bpf_dynptr_read(dst, len, src, offset, flags)`: copies len bytes from the dynptr at offset; -EINVAL, -E2BIG. */
export const dynptrRead: HelperDef = defineHelper('dynptr_read',
  { ret: 'integer', args: ['uninit_mem', 'const_size_or_zero', 'dynptr_rdonly', 'anything', 'anything'] },
  (c) => {
    const d = load(c, dynptrAddr(c, 201, 3));
    const len = argU32(c, 2);
    const offset = argU32(c, 4);
    if (!d.data || argFlags(c, 5) !== 0) return -EINVAL;
    if (!inRange(d, offset, len)) return -E2BIG;
    const from = arenaSpan(c, 201, d.data + d.offset + offset, len);
    const to = arenaSpan(c, 201, ptrArg(c, 201, 1), len);
    c.env.arena.u8.copyWithin(to, from, from + len);
    return 0;
  });

/** `bpf_dynptr_write(dst, offset, src, len, flags)`: copies len bytes into the dynptr at offset; -EINVAL, -E2BIG. */
export const dynptrWrite: HelperDef = defineHelper('dynptr_write',
  { ret: 'integer', args: ['dynptr_rdonly', 'anything', 'mem', 'const_size_or_zero', 'anything'] },
  (c) => {
    const d = load(c, dynptrAddr(c, 202, 1));
    const offset = argU32(c, 2);
    const len = argU32(c, 4);
    if (!d.data || d.rdonly) return -EINVAL;
    if (!inRange(d, offset, len)) return -E2BIG;
    if (argFlags(c, 5) !== 0) return -EINVAL;
    const to = arenaSpan(c, 202, d.data + d.offset + offset, len);
    const from = arenaSpan(c, 202, ptrArg(c, 202, 3), len);
    c.env.arena.u8.copyWithin(to, from, from + len);
    return 0;
  });

/** `bpf_dynptr_data(ptr, offset, len)`: the address of len bytes at offset in the dynptr, or NULL. */
export const dynptrData: HelperDef = defineHelper('dynptr_data',
  { ret: 'dynptr_mem_or_null', args: ['dynptr_rdonly', 'anything', 'const_alloc_size_or_zero'] },
  (c) => {
    const d = load(c, dynptrAddr(c, 203, 1));
    const offset = argU32(c, 2);
    const len = argU32(c, 3);
    if (!d.data || !inRange(d, offset, len) || d.rdonly) return 0;
    return d.data + d.offset + offset;
  });

/** The dynptr helpers. */
export const dynptrHelpers: readonly HelperDef[] = [
  dynptrFromMem, ringbufReserveDynptr, ringbufSubmitDynptr, ringbufDiscardDynptr, dynptrRead, dynptrWrite, dynptrData,
];
