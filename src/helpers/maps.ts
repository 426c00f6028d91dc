import { ERRNO } from '../errno.js';
import type { BpfMap } from '../maps/index.js';
import { argFlags, argNum, argPtr, argU32, argU64 } from './args.js';
import { HelperFault } from './fault.js';
import { defineHelper } from './table.js';
import type { HelperCall, HelperDef } from './types.js';

const { EINVAL } = ERRNO;

/** The map whose pointer is argument `i`; a HelperFault when it is none (the verifier would refuse). */
export function mapArg(c: HelperCall, helper: number, i = 1): BpfMap {
  const addr = argPtr(c, i);
  const map = addr >= 0 ? c.env.maps?.byAddress(addr) : undefined;
  if (!map) throw new HelperFault(helper, `r${i} = 0x${argU64(c, i).toString(16)} is not a map of this machine`);
  return map;
}

/** Argument `i` as an address in the arena; a HelperFault when it cannot be one. */
export function ptrArg(c: HelperCall, helper: number, i: number): number {
  const addr = argPtr(c, i);
  if (addr < 0) throw new HelperFault(helper, `r${i} = 0x${argU64(c, i).toString(16)} is not a pointer into this machine's memory`);
  return addr;
}

/** `bpf_map_lookup_elem(map, key)`: the value's address (this CPU's copy for per-CPU maps) or NULL. */
export const mapLookupElem: HelperDef = defineHelper('map_lookup_elem',
  { ret: 'map_value_or_null', args: ['const_map_ptr', 'map_key'] },
  (c) => mapArg(c, 1).lookupElem(c.cpu, ptrArg(c, 1, 2)));

/** `bpf_map_update_elem(map, key, value, flags)`: 0 or a negative errno, per map type. */
export const mapUpdateElem: HelperDef = defineHelper('map_update_elem',
  { ret: 'integer', args: ['const_map_ptr', 'map_key', 'map_value', 'anything'] },
  (c) => mapArg(c, 2).updateElem(c.cpu, ptrArg(c, 2, 2), ptrArg(c, 2, 3), argFlags(c, 4)));

/** `bpf_map_delete_elem(map, key)`: 0 or a negative errno. */
export const mapDeleteElem: HelperDef = defineHelper('map_delete_elem',
  { ret: 'integer', args: ['const_map_ptr', 'map_key'] },
  (c) => mapArg(c, 3).deleteElem(c.cpu, ptrArg(c, 3, 2)));

/** `bpf_map_push_elem(map, value, flags)` (queue, stack, bloom filter). */
export const mapPushElem: HelperDef = defineHelper('map_push_elem',
  { ret: 'integer', args: ['const_map_ptr', 'map_value', 'anything'] },
  (c) => mapArg(c, 87).pushElem(c.cpu, ptrArg(c, 87, 2), argFlags(c, 3)));

/** `bpf_map_pop_elem(map, value)`: copies the next element out and removes it. */
export const mapPopElem: HelperDef = defineHelper('map_pop_elem',
  { ret: 'integer', args: ['const_map_ptr', 'uninit_map_value'] },
  (c) => mapArg(c, 88).popElem(c.cpu, ptrArg(c, 88, 2)));

/** `bpf_map_peek_elem(map, value)`: copies the next element out (bloom filter: tests membership). */
export const mapPeekElem: HelperDef = defineHelper('map_peek_elem',
  { ret: 'integer', args: ['const_map_ptr', 'uninit_map_value'] },
  (c) => mapArg(c, 89).peekElem(c.cpu, ptrArg(c, 89, 2)));

/** `bpf_map_lookup_percpu_elem(map, key, cpu)`: CPU `cpu`'s copy of a per-CPU value, or NULL. */
export const mapLookupPercpuElem: HelperDef = defineHelper('map_lookup_percpu_elem',
  { ret: 'map_value_or_null', args: ['const_map_ptr', 'map_key', 'anything'] },
  (c) => mapArg(c, 195).lookupPercpuElem(ptrArg(c, 195, 2), argU32(c, 3)));

/**
 * `bpf_for_each_map_elem(map, callback, ctx, flags)`: calls `callback(map, key, value, ctx)` for
 * each element in the map's order (arrays and hashes, per-CPU ones on this CPU's copy) until it
 * returns non-zero; returns the number of calls, or -EINVAL for non-zero flags.
 */
export const forEachMapElem: HelperDef = defineHelper('for_each_map_elem',
  { ret: 'integer', args: ['const_map_ptr', 'func', 'stack_or_null', 'anything'] },
  (c) => {
    const map = mapArg(c, 164);
    const fn = argU32(c, 2);
    const ctx = argNum(c, 3);
    if (argFlags(c, 4) !== 0) return -EINVAL;
    const invoke = callbackOf(c, 164);
    return map.forEachElem(c.cpu, (key, value) => invoke(fn, map.address, key, value, ctx, 0));
  });

/** The engine's way of calling back into the program; a HelperFault on engines without one. */
export function callbackOf(c: HelperCall, helper: number): NonNullable<HelperCall['invoke']> {
  if (!c.invoke) throw new HelperFault(helper, 'this engine cannot call BPF callbacks');
  return c.invoke.bind(c);
}

/**
 * `bpf_tail_call(ctx, prog_array, index)`: the engine carries it out itself (a jump into the
 * program in the slot, or a fall-through). This entry gives its prototype and, for an engine that
 * does not, the fall-through: r0 is left as it was.
 */
export const tailCall: HelperDef = defineHelper('tail_call',
  { ret: 'void', args: ['ctx', 'const_map_ptr', 'anything'] },
  (c) => (BigInt(c.hi[0]! >>> 0) << 32n) | BigInt(c.lo[0]! >>> 0));
