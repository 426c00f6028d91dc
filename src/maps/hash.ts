import { ERRNO } from '../errno.js';
import {
  BPF_EXIST, BPF_F_LOCK, BPF_F_NO_COMMON_LRU, BPF_F_NO_PREALLOC, BPF_F_ZERO_SEED, BPF_MAP_TYPE_LRU_HASH,
  BPF_MAP_TYPE_LRU_PERCPU_HASH, BPF_MAP_TYPE_PERCPU_HASH, BPF_NOEXIST,
} from '../uapi.js';
import { BpfMap, SYSCALL_CPU, type BatchOutcome, type SysResult } from './base.js';
import { HashTable } from './hashTable.js';
import { jhash } from './jhash.js';
import { Lru } from './lru.js';
import { SlotPool } from './slots.js';
import type { MapSpec } from './spec.js';
import type { BatchOptions, MapEnv } from './types.js';

const { E2BIG, EEXIST, EINVAL, ENOENT, ENOMEM, ENOSPC } = ERRNO;

/** The smallest power of two ≥ n (n ≥ 1). */
export function roundUpPow2(n: number): number {
  return n <= 1 ? 1 : 2 ** Math.ceil(Math.log2(n));
}

/** max_entries of an LRU map with BPF_F_NO_COMMON_LRU: a multiple of the CPU count, as the kernel rounds it. */
function perCpuLruEntries(maxEntries: number, ncpus: number): number {
  const up = Math.ceil(maxEntries / ncpus) * ncpus;
  return up > 0xffffffff ? Math.floor(maxEntries / ncpus) * ncpus : up;
}

/**
 * HASH, PERCPU_HASH, LRU_HASH and LRU_PERCPU_HASH (and the base of HASH_OF_MAPS): elements in
 * arena slots, preallocated unless BPF_F_NO_PREALLOC, in jhash buckets seeded like the kernel's
 * (0 with BPF_F_ZERO_SEED, so iteration and batch order then match Linux exactly). Replacing an
 * element of a plain hash swaps in a spare element, as the kernel does, so a value pointer held by
 * a program keeps its old contents.
 */
export class HashMap extends BpfMap {
  /** The buckets. */
  protected readonly table: HashTable;
  /** Element storage. */
  protected readonly pool: SlotPool;
  private readonly seed: number;
  private readonly lru: Lru | undefined;
  private readonly spare: number[] = [];
  private readonly prealloc: boolean;
  private count = 0;

  constructor(env: MapEnv, spec: MapSpec) {
    const flags = spec.flags ?? 0;
    const isLru = spec.type === BPF_MAP_TYPE_LRU_HASH || spec.type === BPF_MAP_TYPE_LRU_PERCPU_HASH;
    const perCpu = spec.type === BPF_MAP_TYPE_PERCPU_HASH || spec.type === BPF_MAP_TYPE_LRU_PERCPU_HASH;
    const maxEntries = isLru && flags & BPF_F_NO_COMMON_LRU ? perCpuLruEntries(spec.maxEntries, env.ncpus) : spec.maxEntries;
    super(env, spec, { maxEntries, perCpu });
    this.seed = flags & BPF_F_ZERO_SEED ? 0 : env.randomU32();
    this.prealloc = !(flags & BPF_F_NO_PREALLOC);
    const spares = !perCpu && !isLru ? env.ncpus : 0;
    const layout = { keySize: this.keySize, valueSize: this.valueSize, cpus: perCpu ? env.ncpus : 0 };
    this.pool = new SlotPool(layout, maxEntries + spares, this.prealloc, (size, what) =>
      this.allocRegion(size, 'map_value', `map_value[${this.label}/${what}]`));
    if (this.prealloc) for (let cpu = 0; cpu < spares; cpu++) this.spare.push(this.pool.alloc());
    this.table = new HashTable(roundUpPow2(maxEntries), this.keySize, {
      u8: () => this.arena.u8,
      keyAddr: (slot) => this.pool.keyAddr(slot),
    });
    this.lru = isLru
      ? new Lru(maxEntries, env.ncpus, (flags & BPF_F_NO_COMMON_LRU) !== 0, (node) => this.evict(node))
      : undefined;
  }

  /** Number of elements. */
  get size(): number {
    return this.count;
  }

  override lookupElem(cpu: number, keyAddr: number): number {
    const slot = this.find(keyAddr);
    if (slot < 0) return 0;
    this.lru?.setRef(slot);
    return this.pool.valueAddr(slot, this.perCpu ? cpu : 0);
  }

  override lookupPercpuElem(keyAddr: number, cpu: number): number {
    if (!this.perCpu || cpu >= this.env.ncpus) return 0;
    const slot = this.find(keyAddr);
    if (slot < 0) return 0;
    this.lru?.setRef(slot);
    return this.pool.valueAddr(slot, cpu);
  }

  override updateElem(cpu: number, keyAddr: number, valueAddr: number, flags: number): number {
    return this.updateCore(cpu, keyAddr, valueAddr, flags, false);
  }

  override deleteElem(_cpu: number, keyAddr: number): number {
    const slot = this.find(keyAddr);
    if (slot < 0) return -ENOENT;
    this.unlink(slot);
    return 0;
  }

  override forEachElem(cpu: number, cb: (keyAddr: number, valueAddr: number) => number): number {
    let calls = 0;
    for (let slot = this.table.firstFrom(0); slot >= 0; ) {
      const after = this.table.after(slot);
      calls++;
      if (cb(this.pool.keyAddr(slot), this.pool.valueAddr(slot, this.perCpu ? cpu : 0))) break;
      slot = after;
    }
    return calls;
  }

  protected override sysLookup(keyAddr: number): SysResult {
    const slot = this.find(keyAddr);
    return slot < 0 ? -ENOENT : this.sysValueOf(slot);
  }

  protected override sysUpdate(keyAddr: number, value: Uint8Array, flags: number): number {
    return this.updateCore(SYSCALL_CPU, keyAddr, this.stageValue(value), flags, true);
  }

  protected override sysDelete(keyAddr: number): number {
    return this.deleteElem(SYSCALL_CPU, keyAddr);
  }

  protected override sysNextKey(keyAddr: number): SysResult {
    const slot = keyAddr ? this.find(keyAddr) : -1;
    const next = slot < 0 ? this.table.firstFrom(0) : this.table.after(slot);
    return next < 0 ? -ENOENT : this.read(this.pool.keyAddr(next), this.keySize);
  }

  protected override sysLookupAndDelete(keyAddr: number): SysResult {
    const slot = this.find(keyAddr);
    if (slot < 0) return -ENOENT;
    const value = this.sysValueOf(slot);
    this.unlink(slot);
    return value;
  }

  /** The kernel's htab batch: whole buckets at a time, the batch token being the next bucket index. */
  protected override lookupBatchImpl(inBatch: Uint8Array | null, count: number, opts: BatchOptions, del: boolean): BatchOutcome {
    if (this.badElemFlags(opts) || (opts.flags ?? 0) !== 0) return this.batchOutcome(-EINVAL, count);
    if (count === 0) return this.batchOutcome(0, 0);
    let bucket = inBatch ? new DataView(inBatch.buffer, inBatch.byteOffset, 4).getUint32(0, true) : 0;
    if (bucket >= this.table.nBuckets) return this.batchOutcome(-ENOENT, 0);
    const keys: Uint8Array[] = [];
    const values: Uint8Array[] = [];
    let errno = 0;
    for (;;) {
      const first = this.table.firstFrom(bucket);
      bucket = first < 0 ? this.table.nBuckets : this.table.bucketOf(this.table.hashOf(first));
      if (bucket >= this.table.nBuckets) {
        errno = -ENOENT;
        break;
      }
      const slots = this.table.bucket(bucket);
      if (slots.length > count - keys.length) {
        if (keys.length === 0) errno = -ENOSPC;
        break;
      }
      for (const slot of slots) {
        keys.push(this.read(this.pool.keyAddr(slot), this.keySize));
        values.push(this.sysValueOf(slot));
      }
      if (del) for (const slot of slots) this.unlink(slot);
      bucket++;
      if (bucket >= this.table.nBuckets) {
        errno = -ENOENT;
        break;
      }
    }
    const outBatch = new Uint8Array(Math.max(this.keySize, 4));
    new DataView(outBatch.buffer).setUint32(0, bucket, true);
    return { errno, count: keys.length, keys, values, outBatch };
  }

  protected override updateBatchImpl(keys: readonly Uint8Array[], values: readonly Uint8Array[], opts: BatchOptions): BatchOutcome {
    return this.genericUpdateBatch(keys, values, opts);
  }

  protected override deleteBatchImpl(keys: readonly Uint8Array[], opts: BatchOptions): BatchOutcome {
    return this.genericDeleteBatch(keys, opts);
  }

  /** An element's value as userspace reads it (per-CPU maps: every CPU's copy, 8-byte strides). */
  protected sysValueOf(slot: number): Uint8Array {
    if (!this.perCpu) return this.userCopy(this.pool.valueAddr(slot));
    const stride = this.pool.valueStride;
    const out = new Uint8Array(this.sysValueSize);
    const u8 = this.arena.u8;
    for (let cpu = 0; cpu < this.env.ncpus; cpu++) {
      const at = this.pool.valueAddr(slot, cpu);
      out.set(u8.subarray(at, at + stride), cpu * stride);
    }
    return out;
  }

  /** Called when an element leaves the table (deleted, replaced or evicted). */
  protected dropped(_slot: number): void {}

  /** An element leaves: its special fields are freed (a timer in it is cancelled), then `dropped`. */
  private leave(slot: number): void {
    if (!this.perCpu) this.clearFields(this.pool.valueAddr(slot));
    this.dropped(slot);
  }

  /** The slot holding the key at `keyAddr`, or -1. */
  protected find(keyAddr: number): number {
    return this.table.find(this.hash(keyAddr), keyAddr);
  }

  /** Creates or replaces an element from the value at `valueAddr` (all CPUs' copies when `allCpus`). */
  protected updateCore(cpu: number, keyAddr: number, valueAddr: number, flags: number, allCpus: boolean): number {
    // A plain hash takes BPF_F_LOCK (and needs a spin lock for it); LRU and per-CPU hashes take no such flag.
    const lock = !this.lru && !this.perCpu && (flags & BPF_F_LOCK) !== 0;
    if ((lock ? flags & ~BPF_F_LOCK : flags) > BPF_EXIST || flags > 0xffffffff) return -EINVAL;
    const hash = this.hash(keyAddr);
    if (this.lru) return this.lruUpdate(cpu, hash, keyAddr, valueAddr, flags, allCpus);
    const old = this.table.find(hash, keyAddr);
    if (lock && this.spinLockOffset < 0) return -EINVAL;
    const err = checkFlags(old, flags & ~BPF_F_LOCK);
    if (err) return err;
    if (lock && old >= 0) {
      // Under the element's lock the value is updated in place: the element keeps its place.
      this.copyValue(this.pool.valueAddr(old), valueAddr);
      return 0;
    }
    if (this.perCpu && old >= 0) {
      this.writeValue(old, valueAddr, cpu, allCpus, false);
      return 0;
    }
    const slot = old >= 0 ? this.replacement(cpu, old) : this.newSlot();
    if (slot < 0) return -E2BIG;
    this.writeKey(slot, keyAddr);
    this.writeValue(slot, valueAddr, cpu, allCpus, true);
    this.table.addHead(slot, hash);
    if (old >= 0) {
      this.table.remove(old);
      this.leave(old);
      if (!this.prealloc) this.pool.release(old);
    } else {
      this.count++;
    }
    return 0;
  }

  private lruUpdate(cpu: number, hash: number, keyAddr: number, valueAddr: number, flags: number, allCpus: boolean): number {
    const lru = this.lru!;
    // As in the kernel, the node is taken (possibly evicting) before the flags are checked.
    const node = this.perCpu && flags === BPF_EXIST ? -1 : lru.pop(cpu);
    if (node < 0 && !(this.perCpu && flags === BPF_EXIST)) return -ENOMEM;
    if (node >= 0) this.writeKey(node, keyAddr);
    const old = this.table.find(hash, keyAddr);
    const err = checkFlags(old, flags);
    if (err) {
      if (node >= 0) lru.push(node);
      return err;
    }
    if (this.perCpu && old >= 0) {
      lru.setRef(old);
      this.writeValue(old, valueAddr, cpu, allCpus, false);
      if (node >= 0) lru.push(node);
      return 0;
    }
    this.writeValue(node, valueAddr, cpu, allCpus, true);
    this.table.addHead(node, hash);
    this.count++;
    if (old >= 0) {
      lru.setRef(node);
      this.table.remove(old);
      this.count--;
      this.leave(old);
      lru.push(old);
    }
    return 0;
  }

  private evict(node: number): boolean {
    if (!this.table.remove(node)) return false;
    this.count--;
    this.leave(node);
    return true;
  }

  private unlink(slot: number): void {
    this.table.remove(slot);
    this.count--;
    this.leave(slot);
    if (this.lru) this.lru.push(slot);
    else this.pool.release(slot);
  }

  private newSlot(): number {
    return this.count >= this.maxEntries ? -1 : this.pool.alloc();
  }

  /** The slot that takes a replaced element's place: this CPU's spare (whose place the old one takes), or a new one. */
  private replacement(cpu: number, old: number): number {
    if (!this.prealloc) return this.pool.alloc();
    const slot = this.spare[cpu]!;
    this.spare[cpu] = old;
    return slot;
  }

  private hash(keyAddr: number): number {
    return jhash(this.arena.u8, keyAddr, this.keySize, this.seed);
  }

  private writeKey(slot: number, keyAddr: number): void {
    this.arena.u8.copyWithin(this.pool.keyAddr(slot), keyAddr, keyAddr + this.keySize);
  }

  /** Copies a value in: userspace gives every CPU's 8-byte-strided copy; a program gives its own CPU's (others zeroed if new). */
  private writeValue(slot: number, src: number, cpu: number, allCpus: boolean, fresh: boolean): void {
    const u8 = this.arena.u8;
    if (!this.perCpu) {
      const dst = this.pool.valueAddr(slot);
      this.copyValue(dst, src);
      if (fresh) this.clearFields(dst);
      return;
    }
    const stride = this.pool.valueStride;
    for (let c = 0; c < this.env.ncpus; c++) {
      const dst = this.pool.valueAddr(slot, c);
      if (allCpus) u8.copyWithin(dst, src + c * stride, src + (c + 1) * stride);
      else if (c === cpu) u8.copyWithin(dst, src, src + this.valueSize);
      else if (fresh) u8.fill(0, dst, dst + stride);
    }
  }
}

/** EEXIST for BPF_NOEXIST on an existing element, ENOENT for BPF_EXIST on a missing one, else 0. */
export function checkFlags(old: number, flags: number): number {
  if (old >= 0 && flags === BPF_NOEXIST) return -EEXIST;
  if (old < 0 && flags === BPF_EXIST) return -ENOENT;
  return 0;
}
