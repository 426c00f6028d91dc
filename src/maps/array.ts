import { ERRNO } from '../errno.js';
import { BPF_EXIST, BPF_F_LOCK, BPF_MAP_TYPE_PERCPU_ARRAY, BPF_NOEXIST } from '../uapi.js';
import { BpfMap, type BatchOutcome, type SysResult } from './base.js';
import { round8 } from './errors.js';
import type { MapSpec } from './spec.js';
import type { BatchOptions, MapEnv } from './types.js';

const { E2BIG, EEXIST, EINVAL, ENOENT } = ERRNO;

/**
 * Where an array's values are, so that a JIT can inline `bpf_map_lookup_elem` as the kernel does:
 * `index < maxEntries ? bases[cpu or 0] + index * stride : 0`.
 */
export interface ArrayLayout {
  /** Address of element 0: one entry for ARRAY, one per CPU for PERCPU_ARRAY. */
  readonly bases: readonly number[];
  /** Bytes between elements: round_up(value_size, 8). */
  readonly stride: number;
  /** Number of elements. */
  readonly maxEntries: number;
  /** Whether `bases` is indexed by CPU. */
  readonly perCpu: boolean;
}

/** The u32 index at `keyAddr`, as array-like maps read their keys. */
export function indexAt(env: MapEnv, keyAddr: number): number {
  return env.arena.view.getUint32(keyAddr, true);
}

/** The key after `keyAddr` (0 for none) in an array of `maxEntries`: 0 after a missing or out-of-range key. */
export function arrayNextKey(env: MapEnv, keyAddr: number, maxEntries: number): SysResult {
  const index = keyAddr ? indexAt(env, keyAddr) : maxEntries;
  if (index >= maxEntries) return u32Bytes(0);
  return index === maxEntries - 1 ? -ENOENT : u32Bytes(index + 1);
}

/** A little-endian u32 as 4 bytes. */
export function u32Bytes(n: number): Uint8Array {
  const out = new Uint8Array(4);
  new DataView(out.buffer).setUint32(0, n, true);
  return out;
}

/**
 * ARRAY and PERCPU_ARRAY: one contiguous region of `max_entries * round_up(value_size, 8)` bytes
 * (one per CPU for per-CPU arrays), zero-filled at creation; elements always exist and cannot be
 * deleted.
 */
export class ArrayMap extends BpfMap {
  /** The value layout a JIT can inline lookups against. */
  readonly inline: ArrayLayout;
  private readonly iterKeys: number;

  constructor(env: MapEnv, spec: MapSpec) {
    const perCpu = spec.type === BPF_MAP_TYPE_PERCPU_ARRAY;
    super(env, spec, { perCpu });
    const stride = round8(spec.valueSize);
    const copies = perCpu ? env.ncpus : 1;
    const base = this.allocRegion(copies * this.maxEntries * stride, 'map_value', `map_value[${this.label}]`).start;
    const bases = Array.from({ length: copies }, (_, cpu) => base + cpu * this.maxEntries * stride);
    this.inline = { bases, stride, maxEntries: this.maxEntries, perCpu };
    this.iterKeys = this.allocRegion(8 * env.ncpus, 'map', `iter_key[${this.label}]`, { writable: false }).start;
  }

  /** Address of element `index`'s value (CPU `cpu`'s copy for per-CPU arrays). */
  valueAddr(index: number, cpu = 0): number {
    const { bases, stride, perCpu } = this.inline;
    return bases[perCpu ? cpu : 0]! + index * stride;
  }

  override lookupElem(cpu: number, keyAddr: number): number {
    const index = indexAt(this.env, keyAddr);
    return index < this.maxEntries ? this.valueAddr(index, cpu) : 0;
  }

  override lookupPercpuElem(keyAddr: number, cpu: number): number {
    const index = indexAt(this.env, keyAddr);
    return this.perCpu && cpu < this.env.ncpus && index < this.maxEntries ? this.valueAddr(index, cpu) : 0;
  }

  override updateElem(cpu: number, keyAddr: number, valueAddr: number, flags: number): number {
    const index = indexAt(this.env, keyAddr);
    const err = this.checkUpdate(index, flags);
    if (err) return err;
    this.copyValue(this.valueAddr(index, cpu), valueAddr);
    return 0;
  }

  override deleteElem(_cpu: number, _keyAddr: number): number {
    return -EINVAL;
  }

  override forEachElem(cpu: number, cb: (keyAddr: number, valueAddr: number) => number): number {
    const keyAddr = this.iterKeys + 8 * cpu;
    let calls = 0;
    for (let i = 0; i < this.maxEntries; i++) {
      this.arena.view.setUint32(keyAddr, i, true);
      calls++;
      if (cb(keyAddr, this.valueAddr(i, cpu))) break;
    }
    return calls;
  }

  protected override sysLookup(keyAddr: number): SysResult {
    const index = indexAt(this.env, keyAddr);
    if (index >= this.maxEntries) return -ENOENT;
    if (!this.perCpu) return this.userCopy(this.valueAddr(index));
    const out = new Uint8Array(this.sysValueSize);
    const stride = this.inline.stride;
    for (let cpu = 0; cpu < this.env.ncpus; cpu++) out.set(this.read(this.valueAddr(index, cpu), stride), cpu * stride);
    return out;
  }

  protected override sysUpdate(keyAddr: number, value: Uint8Array, flags: number): number {
    const index = indexAt(this.env, keyAddr);
    const err = this.checkUpdate(index, flags);
    if (err) return err;
    if (!this.perCpu) {
      this.copyValue(this.valueAddr(index), value);
      return 0;
    }
    const stride = this.inline.stride;
    for (let cpu = 0; cpu < this.env.ncpus; cpu++) {
      this.arena.u8.set(value.subarray(cpu * stride, (cpu + 1) * stride), this.valueAddr(index, cpu));
    }
    return 0;
  }

  protected override sysDelete(): number {
    return -EINVAL;
  }

  protected override sysNextKey(keyAddr: number): SysResult {
    return arrayNextKey(this.env, keyAddr, this.maxEntries);
  }

  protected override lookupBatchImpl(inBatch: Uint8Array | null, count: number, opts: BatchOptions, del: boolean): BatchOutcome {
    return del ? super.lookupBatchImpl(inBatch, count, opts, del) : this.genericLookupBatch(inBatch, count, opts);
  }

  protected override updateBatchImpl(keys: readonly Uint8Array[], values: readonly Uint8Array[], opts: BatchOptions): BatchOutcome {
    return this.genericUpdateBatch(keys, values, opts);
  }

  /** array_map_update_elem's checks, in its order: unknown flags, the index, NOEXIST, then BPF_F_LOCK without a spin lock. */
  private checkUpdate(index: number, flags: number): number {
    if ((flags & ~BPF_F_LOCK) > BPF_EXIST || flags > 0xffffffff) return -EINVAL;
    if (index >= this.maxEntries) return -E2BIG;
    if (flags & BPF_NOEXIST) return -EEXIST;
    return this.lockFlag(flags);
  }
}
