import { ERRNO } from '../errno.js';
import { BPF_EXIST, BPF_F_INNER_MAP, BPF_MAP_TYPE_ARRAY, BPF_MAP_TYPE_PERCPU_ARRAY, BPF_NOEXIST } from '../uapi.js';
import { indexAt, u32Bytes } from './array.js';
import { SYSCALL_CPU, type BatchOutcome, type BpfMap, type SysResult } from './base.js';
import { FdArrayMap } from './fdArray.js';
import { HashMap } from './hash.js';
import type { MapSpec } from './spec.js';
import type { BatchOptions, FdObject, MapEnv } from './types.js';

const { EBADF, EINVAL, ENOTSUPP, EOPNOTSUPP } = ERRNO;

/** What an outer map remembers of its inner-map template (the kernel's inner_map_meta). */
export interface MapMeta {
  /** `BPF_MAP_TYPE_*`. */
  readonly type: number;
  /** Key size in bytes. */
  readonly keySize: number;
  /** Value size in bytes. */
  readonly valueSize: number;
  /** max_entries as the kernel keeps it. */
  readonly maxEntries: number;
  /** map_flags as the kernel keeps them. */
  readonly mapFlags: number;
}

/**
 * Whether `map` may be stored in an outer map made from `template`: same type, key and value
 * sizes and flags; arrays also need the same max_entries unless the template has BPF_F_INNER_MAP.
 */
export function innerMapCompatible(template: MapMeta, map: MapMeta): boolean {
  if (template.type !== map.type || template.keySize !== map.keySize || template.valueSize !== map.valueSize ||
    template.mapFlags !== map.mapFlags) return false;
  const isArray = template.type === BPF_MAP_TYPE_ARRAY || template.type === BPF_MAP_TYPE_PERCPU_ARRAY;
  return !isArray || (template.mapFlags & BPF_F_INNER_MAP) !== 0 || template.maxEntries === map.maxEntries;
}

/** The inner map an fd names for an outer map, or a negative errno; takes a reference on success. */
function resolveInner(template: MapMeta, obj: FdObject | undefined): BpfMap | number {
  if (!obj) return -EBADF;
  if (obj.kind !== 'map' || !innerMapCompatible(template, obj.map)) return -EINVAL;
  obj.map.hold();
  return obj.map;
}

/**
 * ARRAY_OF_MAPS: slots holding inner maps that match the template. Userspace stores map fds and
 * reads back map ids; `bpf_map_lookup_elem` in a program returns the inner map's pointer.
 */
export class ArrayOfMapsMap extends FdArrayMap<BpfMap> {
  constructor(env: MapEnv, spec: MapSpec, readonly template: MapMeta) {
    super(env, spec);
  }

  override lookupElem(_cpu: number, keyAddr: number): number {
    return this.at(indexAt(this.env, keyAddr))?.address ?? 0;
  }

  protected resolve(obj: FdObject | undefined): BpfMap | number {
    return resolveInner(this.template, obj);
  }

  protected idOf(map: BpfMap): number {
    return map.id;
  }

  protected override dropped(map: BpfMap): void {
    map.unhold();
  }

  protected override lookupBatchImpl(inBatch: Uint8Array | null, count: number, opts: BatchOptions, del: boolean): BatchOutcome {
    return del ? super.lookupBatchImpl(inBatch, count, opts, del) : this.genericLookupBatch(inBatch, count, opts);
  }

  protected override updateBatchImpl(keys: readonly Uint8Array[], values: readonly Uint8Array[], opts: BatchOptions): BatchOutcome {
    return this.genericUpdateBatch(keys, values, opts);
  }
}

/**
 * HASH_OF_MAPS: a hash table whose values are inner maps matching the template; each element's
 * value in the arena holds the inner map's pointer, which is what a program's lookup returns.
 * Replacing an element's inner map happens in place, so unlike a plain hash the element keeps
 * its place in iteration order.
 */
export class HashOfMapsMap extends HashMap {
  private readonly inner = new Map<number, BpfMap>();

  constructor(env: MapEnv, spec: MapSpec, readonly template: MapMeta) {
    super(env, spec);
  }

  override lookupElem(_cpu: number, keyAddr: number): number {
    const slot = this.find(keyAddr);
    return slot < 0 ? 0 : this.inner.get(slot)!.address;
  }

  override updateElem(_cpu: number, _keyAddr: number, _valueAddr: number, _flags: number): number {
    return -EOPNOTSUPP;
  }

  override forEachElem(_cpu: number, _cb: (keyAddr: number, valueAddr: number) => number): number {
    return -EOPNOTSUPP;
  }

  protected override sysUpdate(keyAddr: number, value: Uint8Array, flags: number): number {
    const fd = new DataView(value.buffer, value.byteOffset, 4).getUint32(0, true);
    const map = resolveInner(this.template, this.env.resolveFd(fd));
    if (typeof map === 'number') return map;
    const old = this.find(keyAddr);
    if (old >= 0 && flags !== BPF_NOEXIST && flags <= BPF_EXIST) {
      // The kernel swaps the inner map of an existing element in place: it keeps its position.
      this.inner.get(old)!.unhold();
      this.inner.set(old, map);
      this.arena.view.setUint32(this.pool.valueAddr(old), map.address, true);
      return 0;
    }
    const err = this.updateCore(SYSCALL_CPU, keyAddr, this.stageValue(u32Bytes(map.address)), flags, true);
    if (err) {
      map.unhold();
      return err;
    }
    this.inner.set(this.find(keyAddr), map);
    return 0;
  }

  protected override sysLookupAndDelete(): SysResult {
    return -ENOTSUPP;
  }

  protected override sysValueOf(slot: number): Uint8Array {
    return u32Bytes(this.inner.get(slot)!.id);
  }

  protected override dropped(slot: number): void {
    this.inner.get(slot)?.unhold();
    this.inner.delete(slot);
  }
}
