import { ERRNO } from '../errno.js';
import { argFlags, argNum, argU32, argU64 } from './args.js';
import { callbackOf } from './maps.js';
import { defineHelper } from './table.js';
import type { HelperDef } from './types.js';

/** The most iterations `bpf_loop` accepts (`BPF_MAX_LOOPS`, 1 << 23). */
export const BPF_MAX_LOOPS = 1 << 23;

/**
 * `bpf_loop(nr_loops, callback, ctx, flags)`: calls `callback(i, ctx)` for i = 0..nr_loops-1
 * until it returns non-zero, and returns the iterations done (including the one that stopped it).
 * The kernel's verifier inlines every call whose flags it proves zero, and the inlined loop
 * compares all 64 bits of nr_loops with BPF_MAX_LOOPS and leaves -E2BIG as a 32-bit value
 * (0xfffffff9); bpfsim does the same whenever flags are 0. Other flags reach the helper itself:
 * -EINVAL.
 */
export const loop: HelperDef = defineHelper('loop',
  { ret: 'integer', args: ['anything', 'func', 'stack_or_null', 'anything'] },
  (c) => {
    const n = argU64(c, 1);
    const fn = argU32(c, 2);
    const ctx = argNum(c, 3);
    if (argFlags(c, 4) !== 0) return -ERRNO.EINVAL;
    if (n > BigInt(BPF_MAX_LOOPS)) return (-ERRNO.E2BIG) >>> 0;
    const invoke = callbackOf(c, 181);
    const count = Number(n);
    for (let i = 0; i < count; i++) if (invoke(fn, i, ctx, 0, 0, 0) !== 0) return i + 1;
    return count;
  });
