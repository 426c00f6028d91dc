import { ERRNO } from '../errno.js';
import { BPF_ANY } from '../uapi.js';
import { arrayNextKey, indexAt } from './array.js';
import { BpfMap, type SysResult } from './base.js';
import type { MapSpec } from './spec.js';
import type { MapEnv, PerfEventTarget } from './types.js';

const { E2BIG, EBADF, EINVAL, ENOENT, EOPNOTSUPP } = ERRNO;

/** The index value of `bpf_perf_event_output` flags that selects the current CPU's slot. */
export const BPF_F_CURRENT_CPU = 0xffffffff;

/** A perf event that collects samples in memory: what `PerfEventArrayMap.open` installs. */
export class PerfSampleQueue implements PerfEventTarget {
  /** Samples in arrival order, each padded as the kernel pads raw samples. */
  readonly samples: Uint8Array[] = [];

  constructor(
    /** The CPU the event is bound to. */
    readonly cpu: number,
  ) {}

  /** Appends a sample. */
  push(sample: Uint8Array): void {
    this.samples.push(sample);
  }

  /** Returns and clears the collected samples. */
  drain(): Uint8Array[] {
    return this.samples.splice(0);
  }
}

/**
 * PERF_EVENT_ARRAY: slots holding perf events (fds from userspace, one per CPU as libbpf's
 * perf_buffer opens them), to which `bpf_perf_event_output` appends samples. A sample of n bytes
 * is padded with zeros to round_up(n + 4, 8) - 4 bytes, the size the kernel reports to readers.
 */
export class PerfEventArrayMap extends BpfMap {
  private readonly events: (PerfEventTarget | undefined)[];

  constructor(env: MapEnv, spec: MapSpec) {
    super(env, spec);
    this.events = new Array<PerfEventTarget | undefined>(this.maxEntries);
  }

  /** Installs an in-memory sample queue in slot `index` for `cpu` (default: the CPU of the same number). */
  open(index: number, cpu = index): PerfSampleQueue {
    const queue = new PerfSampleQueue(cpu);
    this.events[index] = queue;
    return queue;
  }

  /** The event in slot `index`, if any. */
  event(index: number): PerfEventTarget | undefined {
    return this.events[index];
  }

  /**
   * `bpf_perf_event_output` from a program on `cpu`: `index` is the low 32 bits of its flags
   * (BPF_F_CURRENT_CPU for the slot of `cpu`); 0 or a negative errno.
   */
  output(cpu: number, index: number, dataAddr: number, size: number): number {
    const slot = index === BPF_F_CURRENT_CPU ? cpu : index;
    if (slot >= this.maxEntries) return -E2BIG;
    const event = this.events[slot];
    if (!event) return -ENOENT;
    if (event.cpu !== cpu) return -EOPNOTSUPP;
    const padded = new Uint8Array(Math.ceil((size + 4) / 8) * 8 - 4);
    padded.set(this.arena.u8.subarray(dataAddr, dataAddr + size));
    event.push(padded);
    return 0;
  }

  protected override sysUpdate(keyAddr: number, value: Uint8Array, flags: number): number {
    if (flags !== BPF_ANY) return -EINVAL;
    const index = indexAt(this.env, keyAddr);
    if (index >= this.maxEntries) return -E2BIG;
    const fd = new DataView(value.buffer, value.byteOffset, 4).getUint32(0, true);
    const obj = this.env.resolveFd(fd);
    if (obj?.kind !== 'perf_event') return -EBADF;
    this.events[index] = obj.event;
    return 0;
  }

  protected override sysDelete(keyAddr: number): number {
    const index = indexAt(this.env, keyAddr);
    if (index >= this.maxEntries) return -E2BIG;
    if (!this.events[index]) return -ENOENT;
    this.events[index] = undefined;
    return 0;
  }

  protected override sysNextKey(keyAddr: number): SysResult {
    return arrayNextKey(this.env, keyAddr, this.maxEntries);
  }
}
