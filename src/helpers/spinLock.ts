import { ptrArg } from './maps.js';
import { defineHelper } from './table.js';
import type { HelperDef } from './types.js';

/**
 * `bpf_spin_lock(lock)`: takes the `struct bpf_spin_lock` in a map value. The simulator runs one
 * program at a time, so the lock never spins; it is marked taken (1, as the kernel's queued
 * spinlock) until `bpf_spin_unlock`. The verifier keeps programs from taking two locks or leaving one.
 */
export const spinLock: HelperDef = defineHelper('spin_lock', { ret: 'void', args: ['spin_lock'] }, (c) => {
  c.env.arena.view.setUint32(ptrArg(c, 93, 1), 1, true);
  return 0;
});

/** `bpf_spin_unlock(lock)`: releases the lock. */
export const spinUnlock: HelperDef = defineHelper('spin_unlock', { ret: 'void', args: ['spin_lock'] }, (c) => {
  c.env.arena.view.setUint32(ptrArg(c, 94, 1), 0, true);
  return 0;
});
