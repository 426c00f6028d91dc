import { argU32, argU64 } from './args.js';
import { HelperFault } from './fault.js';
import { mapArg, ptrArg } from './maps.js';
import { defineHelper } from './table.js';
import type { TimerQueue } from './timerQueue.js';
import type { HelperCall, HelperDef } from './types.js';

function queue(c: HelperCall, id: number): TimerQueue {
  if (!c.env.timers) throw new HelperFault(id, 'this machine has no timers');
  return c.env.timers;
}

/** `bpf_timer_init(timer, map, flags)`: sets up the `struct bpf_timer` of a map value on clock flags (REALTIME, MONOTONIC, BOOTTIME). */
export const timerInit: HelperDef = defineHelper('timer_init',
  { ret: 'integer', args: ['timer', 'const_map_ptr', 'anything'], gplOnly: true },
  (c) => queue(c, 169).init(ptrArg(c, 169, 1), mapArg(c, 169, 2), argU64(c, 3)));

/** `bpf_timer_set_callback(timer, fn)`: the BPF function the timer runs, as `fn(map, key, value)`. */
export const timerSetCallback: HelperDef = defineHelper('timer_set_callback',
  { ret: 'integer', args: ['timer', 'func'], gplOnly: true },
  (c) => {
    const addr = ptrArg(c, 170, 1);
    const fn = argU32(c, 2);
    if (!c.defer) throw new HelperFault(170, 'this engine cannot keep BPF callbacks for later');
    return queue(c, 170).setCallback(addr, c.defer(fn));
  });

/** `bpf_timer_start(timer, nsecs, flags)`: arms the timer nsecs from now (or at nsecs with BPF_F_TIMER_ABS) on the Machine's clock. */
export const timerStart: HelperDef = defineHelper('timer_start',
  { ret: 'integer', args: ['timer', 'anything', 'anything'], gplOnly: true },
  (c) => queue(c, 171).start(ptrArg(c, 171, 1), argU64(c, 2), argU64(c, 3), c.env.nowNs(), c.cpu));

/** `bpf_timer_cancel(timer)`: disarms it and drops its callback; 1 if it was armed. */
export const timerCancel: HelperDef = defineHelper('timer_cancel',
  { ret: 'integer', args: ['timer'], gplOnly: true },
  (c) => queue(c, 172).cancel(ptrArg(c, 172, 1)));

/** The timer helpers. */
export const timerHelpers: readonly HelperDef[] = [timerInit, timerSetCallback, timerStart, timerCancel];
