import { ERRNO } from '../errno.js';
import { UserRingbufMap } from '../maps/index.js';
import { argNum, argU32 } from './args.js';
import { BPF_DYNPTR_SIZE, DynptrType, encodeDynptr } from './dynptrLayout.js';
import { HelperFault } from './fault.js';
import { callbackOf, mapArg } from './maps.js';
import { defineHelper } from './table.js';
import type { HelperDef } from './types.js';

const { EAGAIN, EBUSY, EINVAL, ENODATA } = ERRNO;
/** BPF_MAX_USER_RINGBUF_SAMPLES: the most samples one drain consumes. */
const MAX_SAMPLES = 128 * 1024;
/** The flags a drain accepts (BPF_RB_NO_WAKEUP, BPF_RB_FORCE_WAKEUP). */
const WAKEUP_FLAGS = 3;

/**
 * `bpf_user_ringbuf_drain(map, callback, ctx, flags)`: calls `callback(dynptr, ctx)` with a local
 * dynptr over each sample user space produced, until the ring is empty or the callback returns 1;
 * returns the number of samples consumed (discarded ones not counted), -EINVAL for other flags,
 * -EBUSY during another drain, or the error of a malformed sample (-EINVAL, -E2BIG).
 */
export const userRingbufDrain: HelperDef = defineHelper('user_ringbuf_drain',
  { ret: 'integer', args: ['const_map_ptr', 'func', 'stack_or_null', 'anything'] },
  (c) => {
    const map = mapArg(c, 209);
    if (!(map instanceof UserRingbufMap)) throw new HelperFault(209, `map ${map.label} is not a user ring buffer`);
    const fn = argU32(c, 2);
    const ctx = argNum(c, 3);
    if (c.hi[4] !== 0 || (c.lo[4]! & ~WAKEUP_FLAGS)) return -EINVAL;
    if (map.busy) return -EBUSY;
    map.busy = true;
    const arena = c.env.arena;
    const region = arena.alloc(BPF_DYNPTR_SIZE, 'mem', `user_ringbuf_dynptr[${map.label}]`);
    try {
      let samples = 0;
      let discarded = 0;
      for (let ret = 0; samples < MAX_SAMPLES && ret === 0; samples++) {
        const s = map.peek();
        if (s === -ENODATA) break;
        if (s === -EAGAIN) { discarded++; continue; }
        if (typeof s === 'number') return s;
        encodeDynptr(arena.view, region.start, { data: s.addr, offset: 0, size: s.size, type: DynptrType.LOCAL, rdonly: false });
        ret = callbackOf(c, 209)(fn, region.start, ctx, 0, 0, 0);
        map.consumeSample(s.size);
      }
      return samples - discarded;
    } finally {
      map.busy = false;
      arena.release(region);
    }
  });
