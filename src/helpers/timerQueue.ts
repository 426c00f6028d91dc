import type { Arena } from '../arena/index.js';
import { ERRNO } from '../errno.js';
import { ArrayMap, HashMap } from '../maps/index.js';
import type { BpfMap } from '../maps/index.js';
import type { DeferredCall } from './types.js';

const { EBUSY, EDEADLK, EINVAL, EPERM } = ERRNO;

/** `CLOCK_REALTIME`, `CLOCK_MONOTONIC` and `CLOCK_BOOTTIME`: the clocks a BPF timer may use. */
export const CLOCK_REALTIME = 0;
/** `CLOCK_MONOTONIC`. */
export const CLOCK_MONOTONIC = 1;
/** `CLOCK_BOOTTIME`. */
export const CLOCK_BOOTTIME = 7;
/** bpf_timer_start flag: `nsecs` is an absolute time of the timer's clock. */
export const BPF_F_TIMER_ABS = 1;
/** bpf_timer_start flag: run the callback on the CPU that started the timer. */
export const BPF_F_TIMER_CPU_PIN = 2;

/** A BPF timer: a `struct bpf_timer` in a map value that bpf_timer_init set up. */
interface SimTimer {
  /** The token written into the first 8 bytes of the `struct bpf_timer` (the kernel keeps a pointer there). */
  readonly id: number;
  /** Address of the `struct bpf_timer`. */
  readonly addr: number;
  /** The map whose value holds it, and the value. */
  readonly map: BpfMap;
  readonly value: number;
  /** Its clock: CLOCK_REALTIME, CLOCK_MONOTONIC or CLOCK_BOOTTIME. */
  readonly clock: number;
  /** The callback set by bpf_timer_set_callback (its program holds a reference), if any. */
  callback: DeferredCall | undefined;
  /** When it fires, on the monotonic clock (undefined: not armed), and the CPU it fires on. */
  expires: bigint | undefined;
  cpu: number;
  /** Arming order, so timers due at the same time fire in the order they were started. */
  seq: number;
}

/**
 * The BPF timers of a Machine. A timer lives in a map value: its identity is the `struct bpf_timer`
 * address plus the token bpf_timer_init wrote there, so when the map frees the element (delete,
 * replace, a fresh element at the same address) the token is gone and so is the timer. Timers fire
 * when the Machine's virtual clock passes their expiry (Machine.advanceTime), each running its
 * callback as `callback(map, key, value)` with the key as the kernel computes it.
 */
export class TimerQueue {
  private readonly timers = new Map<number, SimTimer>();
  private nextId = 1;
  private seq = 0;
  private running: SimTimer | undefined;
  private readonly keyScratch: number;

  constructor(private readonly arena: Arena) {
    this.keyScratch = arena.alloc(8, 'mem', 'timer callback key', { writable: false }).start;
  }

  /** The live timer at `addr`, or undefined (never initialised, or freed with its element or map). */
  private at(addr: number): SimTimer | undefined {
    const t = this.timers.get(addr);
    if (!t) return undefined;
    if (t.map.closed || !t.map.alive || this.arena.view.getUint32(addr, true) !== t.id) {
      this.timers.delete(addr);
      return undefined;
    }
    return t;
  }

  /** `bpf_timer_init(timer, map, flags)`: 0, -EINVAL (clock), -EBUSY (already initialised), -EPERM (the map has no user references). */
  init(addr: number, map: BpfMap, flags: bigint): number {
    const clock = Number(flags & 15n);
    if (flags >= 16n || ![CLOCK_REALTIME, CLOCK_MONOTONIC, CLOCK_BOOTTIME].includes(clock)) return -EINVAL;
    if (this.at(addr)) return -EBUSY;
    if (map.closed) return -EPERM;
    const field = map.fields.find((f) => f.kind === 'timer');
    const t: SimTimer = { id: this.nextId++, addr, map, value: addr - (field?.offset ?? 0), clock, callback: undefined, expires: undefined, cpu: 0, seq: 0 };
    this.arena.view.setUint32(addr, t.id, true);
    this.timers.set(addr, t);
    return 0;
  }

  /** `bpf_timer_set_callback(timer, fn)`: 0, -EINVAL (not initialised), -EPERM (no user references). */
  setCallback(addr: number, callback: DeferredCall): number {
    const t = this.at(addr);
    if (!t) return -EINVAL;
    if (t.map.closed) return -EPERM;
    t.callback = callback;
    return 0;
  }

  /** `bpf_timer_start(timer, nsecs, flags)` at monotonic time `now` on `cpu`: 0, or -EINVAL (flags, not initialised, no callback). */
  start(addr: number, nsecs: bigint, flags: bigint, now: bigint, cpu: number): number {
    if (flags & ~BigInt(BPF_F_TIMER_ABS | BPF_F_TIMER_CPU_PIN)) return -EINVAL;
    const t = this.at(addr);
    if (!t || !t.callback) return -EINVAL;
    // The kernel sets its hrtimer up in relative mode, which moves a CLOCK_REALTIME timer to
    // CLOCK_MONOTONIC: an absolute time is a monotonic one whatever the clock (measured on 6.18).
    t.expires = flags & BigInt(BPF_F_TIMER_ABS) ? nsecs : now + nsecs;
    t.cpu = cpu;
    t.seq = this.seq++;
    return 0;
  }

  /** `bpf_timer_cancel(timer)`: 1 if it was armed, 0 if not, -EINVAL (not initialised), -EDEADLK (from its own callback). The callback is dropped. */
  cancel(addr: number): number {
    const t = this.at(addr);
    if (!t) return -EINVAL;
    if (this.running === t) return -EDEADLK;
    const armed = t.expires !== undefined;
    t.expires = undefined;
    t.callback = undefined;
    return armed ? 1 : 0;
  }

  /** The earliest expiry of an armed timer on the monotonic clock, or undefined. */
  next(): bigint | undefined {
    let best: bigint | undefined;
    for (const addr of [...this.timers.keys()]) {
      const t = this.at(addr);
      if (t?.expires !== undefined && (best === undefined || t.expires < best)) best = t.expires;
    }
    return best;
  }

  /** Fires the earliest timer due at `now` (if any) and returns whether one fired. */
  fireDue(now: bigint): boolean {
    let due: SimTimer | undefined;
    for (const addr of [...this.timers.keys()]) {
      const t = this.at(addr);
      if (t?.expires === undefined || t.expires > now) continue;
      if (!due || t.expires < due.expires! || (t.expires === due.expires && t.seq < due.seq)) due = t;
    }
    if (!due) return false;
    due.expires = undefined;
    const cb = due.callback;
    if (!cb) return true;
    this.running = due;
    try {
      cb(due.map.address, this.keyOf(due), due.value, 0, 0);
    } finally {
      this.running = undefined;
    }
    return true;
  }

  /** The key a callback gets: the index of an array element (in scratch memory), the key in front of a hash element. */
  private keyOf(t: SimTimer): number {
    if (t.map instanceof ArrayMap) {
      this.arena.view.setUint32(this.keyScratch, (t.value - t.map.inline.bases[0]!) / t.map.inline.stride, true);
      return this.keyScratch;
    }
    return t.map instanceof HashMap ? t.value - Math.ceil(t.map.keySize / 8) * 8 : 0;
  }
}
