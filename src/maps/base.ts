import type { Arena, Region } from '../arena/index.js';
import { ERRNO, ErrnoError } from '../errno.js';
import { BPF_F_LOCK, BPF_F_RDONLY, BPF_F_WRONLY } from '../uapi.js';
import { specialFields } from './btfFields.js';
import { MAP_DESCRIPTOR_SIZE, MapDescriptor, writeMapDescriptor } from './descriptor.js';
import type { SpecialField } from './btfFields.js';
import { MapBatchError, round8 } from './errors.js';
import type { MapSpec } from './spec.js';
import type { BatchLookupResult, BatchOptions, MapEnv, UserMap } from './types.js';

const { EINVAL, ENOENT, ENOTSUPP, EOPNOTSUPP, EPERM } = ERRNO;

/** Map types whose kernel object is a `struct bpf_array` (array, prog array, perf event array, per-CPU array, cgroup array, array of maps). */
const ARRAY_TYPES: readonly number[] = [2, 3, 4, 6, 8, 12];

/** The simulated CPU that userspace commands (the bpf() syscall side) run on. */
export const SYSCALL_CPU = 0;

/** A value read by a userspace command, or a negative errno. */
export type SysResult = Uint8Array | number;

/** What a batch implementation reports: a negative errno or 0, the count, and for lookups the data. */
export interface BatchOutcome {
  /** 0, or the negative errno the command ends with (-ENOENT: the map is exhausted). */
  readonly errno: number;
  /** What the kernel leaves in `batch.count`. */
  readonly count: number;
  /** Keys returned by a lookup batch. */
  readonly keys: Uint8Array[];
  /** Values returned by a lookup batch. */
  readonly values: Uint8Array[];
  /** The out_batch buffer as the command leaves it. */
  readonly outBatch: Uint8Array;
}

/** Geometry a map type derives from its spec (the kernel may round max_entries or add flags). */
export interface MapShape {
  /** max_entries as the kernel keeps it (default: the spec's). */
  readonly maxEntries?: number;
  /** Flags the kernel adds (devmaps add BPF_F_RDONLY_PROG). */
  readonly extraFlags?: number;
  /** Whether userspace sees one value per CPU. */
  readonly perCpu?: boolean;
}

/**
 * A simulated map: the kernel's userspace semantics (`BackendMap` plus batches, throwing
 * `ErrnoError`s with the kernel's errno) on top of a program-side API that works on arena
 * addresses and returns negative errnos, as helpers do. Subclasses implement one map family.
 */
export abstract class BpfMap implements UserMap {
  /** What the map was created with. */
  readonly spec: MapSpec;
  /** `BPF_MAP_TYPE_*`. */
  readonly type: number;
  /** Key size in bytes. */
  readonly keySize: number;
  /** Value size in bytes (one CPU's copy for per-CPU maps). */
  readonly valueSize: number;
  /** max_entries as the kernel keeps it. */
  readonly maxEntries: number;
  /** map_flags as the kernel keeps them (without BPF_F_RDONLY/WRONLY, which only govern fds). */
  readonly mapFlags: number;
  /** Name (up to 15 characters). */
  readonly name: string;
  /** Whether userspace sees one value per CPU. */
  readonly perCpu: boolean;
  /** Bytes of one value as userspace reads and writes it. */
  readonly sysValueSize: number;
  /** The map pointer programs hold (LD_IMM64 with src 1 loads it): the start of its descriptor region. */
  readonly address: number;
  /** The value's special fields (`bpf_spin_lock`, `bpf_timer`) from its BTF: never copied, zero in new elements and in what userspace reads. */
  readonly fields: readonly SpecialField[];
  #id = 0;
  /** The descriptor the simulated process holds for it, assigned by the Machine (-1 until then). */
  fd = -1;
  /** The Machine's services. */
  protected readonly env: MapEnv;
  /** The Machine's memory. */
  protected readonly arena: Arena;
  /** Arena address where userspace keys are staged (two slots of `keyStride` bytes). */
  protected readonly keyScratch: number;
  /** Bytes between the two key scratch slots. */
  protected readonly keyStride: number;
  /** Arena address where userspace values are staged (sysValueSize bytes). */
  protected readonly valueScratch: number;
  private readonly access: number;
  private frozen = false;
  private holders = 0;
  private userClosed = false;
  private freed = false;
  private readonly regions: Region[] = [];
  private readonly freeHooks: (() => void)[] = [];

  constructor(env: MapEnv, spec: MapSpec, shape: MapShape = {}) {
    this.env = env;
    this.arena = env.arena;
    this.spec = spec;
    this.type = spec.type;
    this.keySize = spec.keySize;
    this.valueSize = spec.valueSize;
    this.maxEntries = shape.maxEntries ?? spec.maxEntries;
    const flags = spec.flags ?? 0;
    this.access = flags & (BPF_F_RDONLY | BPF_F_WRONLY);
    this.mapFlags = (flags & ~(BPF_F_RDONLY | BPF_F_WRONLY)) | (shape.extraFlags ?? 0);
    this.name = (spec.name ?? '').slice(0, 15);
    this.perCpu = shape.perCpu ?? false;
    const fields = specialFields(spec);
    this.fields = 'fields' in fields ? fields.fields : [];
    this.sysValueSize = this.perCpu ? round8(spec.valueSize) * env.ncpus : spec.valueSize;
    const desc = this.allocRegion(MAP_DESCRIPTOR_SIZE, 'map', `map[${this.label}]`, { writable: false });
    this.address = desc.start;
    writeMapDescriptor(this.arena.view, desc.start, this, ARRAY_TYPES.includes(this.type));
    this.keyStride = round8(Math.max(this.keySize, 4));
    const scratch = this.allocRegion(2 * this.keyStride + this.sysValueSize, 'map', `scratch[${this.label}]`, { mapped: false });
    this.keyScratch = scratch.start;
    this.valueScratch = scratch.start + 2 * this.keyStride;
  }

  /** Map id, assigned by the MapRegistry (0 until registered); `map->id` in the descriptor too. */
  get id(): number {
    return this.#id;
  }

  set id(v: number) {
    this.#id = v;
    this.arena.view.setUint32(this.address + MapDescriptor.id, v >>> 0, true);
  }

  /** The map's name, or its type number when it has none, for messages. */
  get label(): string {
    return this.name || `type${this.type}`;
  }

  /** Whether freeze() has been called. */
  get isFrozen(): boolean {
    return this.frozen;
  }

  // ---- userspace: BackendMap ----------------------------------------------------------------

  /** The value for `key` (null for queue/stack peek; the value to test for a bloom filter), or undefined (ENOENT). */
  lookup(key: Uint8Array | null, flags = 0): Uint8Array | undefined {
    const op = 'BPF_MAP_LOOKUP_ELEM';
    this.sysCheck(op, flags & ~BPF_F_LOCK ? -EINVAL : this.readable ? 0 : -EPERM);
    this.sysCheck(op, this.lockFlag(flags));
    return this.found(op, this.sysLookup(this.staged(op, this.stageLookup(key))));
  }

  /** Creates or replaces an element (`BPF_ANY`, `BPF_NOEXIST`, `BPF_EXIST`); null key for queue, stack, bloom filter. */
  update(key: Uint8Array | null, value: Uint8Array, flags = 0): void {
    const op = 'BPF_MAP_UPDATE_ELEM';
    this.sysCheck(op, this.writable ? 0 : -EPERM);
    this.sysCheck(op, this.lockFlag(flags));
    this.sysCheck(op, this.sysUpdate(this.staged(op, this.stageKey(key, 0)), this.userValue(value), flags));
  }

  /** Deletes an element; ENOENT when it does not exist. */
  delete(key: Uint8Array | null): void {
    const op = 'BPF_MAP_DELETE_ELEM';
    this.sysCheck(op, this.writable ? 0 : -EPERM);
    this.sysCheck(op, this.sysDelete(this.staged(op, this.stageKey(key, 0))));
  }

  /** The key after `key` in iteration order (the first key for undefined), or undefined after the last. */
  nextKey(key: Uint8Array | undefined): Uint8Array | undefined {
    const op = 'BPF_MAP_GET_NEXT_KEY';
    this.sysCheck(op, this.readable ? 0 : -EPERM);
    return this.found(op, this.sysNextKey(key === undefined ? 0 : this.staged(op, this.stageKey(key, 0))));
  }

  /** Returns and removes an element (pop for queue/stack with a null key), or undefined (ENOENT). */
  lookupAndDelete(key: Uint8Array | null, flags = 0): Uint8Array | undefined {
    const op = 'BPF_MAP_LOOKUP_AND_DELETE_ELEM';
    this.sysCheck(op, flags & ~BPF_F_LOCK ? -EINVAL : this.readable && this.writable ? 0 : -EPERM);
    this.sysCheck(op, this.lockFlag(flags));
    return this.found(op, this.sysLookupAndDelete(this.staged(op, this.stageKey(key, 0))));
  }

  /** Makes the map read-only for userspace (`BPF_MAP_FREEZE`); EPERM without write access. */
  freeze(): void {
    this.sysCheck('BPF_MAP_FREEZE', this.writable ? 0 : -EPERM);
    this.frozen = true;
  }

  /**
   * Releases the user's reference (userspace commands then fail with EBADF, as on a closed fd);
   * the map and its memory go once no outer map or program holds it either.
   */
  close(): void {
    if (this.userClosed) return;
    this.userClosed = true;
    this.maybeFree();
  }

  /** Whether userspace closed its reference (its descriptor is gone). */
  get closed(): boolean {
    return this.userClosed;
  }

  /** Takes a reference (an outer map or a program that uses this map). */
  hold(): void {
    this.holders++;
  }

  /** Drops a reference taken with hold(). */
  unhold(): void {
    this.holders--;
    this.maybeFree();
  }

  /** Whether the map still exists (not closed, or still held by an outer map or a program). */
  get alive(): boolean {
    return !this.freed;
  }

  /** Calls `fn` when the map is finally freed. */
  onFree(fn: () => void): void {
    this.freeHooks.push(fn);
  }

  // ---- userspace: batches -------------------------------------------------------------------

  /** `BPF_MAP_LOOKUP_BATCH` from `inBatch` (null: the start) for up to `count` elements. */
  lookupBatch(inBatch: Uint8Array | null, count: number, opts: BatchOptions = {}): BatchLookupResult {
    const op = 'BPF_MAP_LOOKUP_BATCH';
    this.batchCheck(op, this.readable ? 0 : -EPERM, count);
    return this.batchResult(op, this.lookupBatchImpl(inBatch, count, opts, false));
  }

  /** `BPF_MAP_LOOKUP_AND_DELETE_BATCH`: as lookupBatch, deleting what it returns. */
  lookupAndDeleteBatch(inBatch: Uint8Array | null, count: number, opts: BatchOptions = {}): BatchLookupResult {
    const op = 'BPF_MAP_LOOKUP_AND_DELETE_BATCH';
    this.batchCheck(op, this.readable && this.writable ? 0 : -EPERM, count);
    return this.batchResult(op, this.lookupBatchImpl(inBatch, count, opts, true));
  }

  /** `BPF_MAP_UPDATE_BATCH`; returns how many elements were written. */
  updateBatch(keys: readonly Uint8Array[], values: readonly Uint8Array[], opts: BatchOptions = {}): number {
    const op = 'BPF_MAP_UPDATE_BATCH';
    const count = Math.min(keys.length, values.length);
    this.batchCheck(op, this.writable ? 0 : -EPERM, count);
    const { errno, count: done } = this.updateBatchImpl(keys.slice(0, count), values, opts);
    this.batchCheck(op, errno, done);
    return done;
  }

  /** `BPF_MAP_DELETE_BATCH`; returns how many elements were deleted. */
  deleteBatch(keys: readonly Uint8Array[], opts: BatchOptions = {}): number {
    const op = 'BPF_MAP_DELETE_BATCH';
    this.batchCheck(op, this.writable ? 0 : -EPERM, keys.length);
    const { errno, count } = this.deleteBatchImpl(keys, opts);
    this.batchCheck(op, errno, count);
    return count;
  }

  // ---- program side -------------------------------------------------------------------------

  /** `bpf_map_lookup_elem`: the address of the value for the key at `keyAddr` (this CPU's copy), or 0. */
  lookupElem(_cpu: number, _keyAddr: number): number {
    return 0;
  }

  /** `bpf_map_update_elem` from a program on `cpu`: 0 or a negative errno. */
  updateElem(_cpu: number, _keyAddr: number, _valueAddr: number, _flags: number): number {
    return -EOPNOTSUPP;
  }

  /** `bpf_map_delete_elem` from a program: 0 or a negative errno. */
  deleteElem(_cpu: number, _keyAddr: number): number {
    return -EOPNOTSUPP;
  }

  /** `bpf_map_push_elem` (queue, stack, bloom filter): 0 or a negative errno. */
  pushElem(_cpu: number, _valueAddr: number, _flags: number): number {
    return -EOPNOTSUPP;
  }

  /** `bpf_map_pop_elem`: copies the element to `valueAddr` and removes it; 0 or a negative errno. */
  popElem(_cpu: number, _valueAddr: number): number {
    return -EOPNOTSUPP;
  }

  /** `bpf_map_peek_elem` (bloom filter: membership of the value at `valueAddr`); 0 or a negative errno. */
  peekElem(_cpu: number, _valueAddr: number): number {
    return -EOPNOTSUPP;
  }

  /** `bpf_map_lookup_percpu_elem`: the address of `cpu`'s copy of the value, or 0. */
  lookupPercpuElem(_keyAddr: number, _cpu: number): number {
    return 0;
  }

  /** `bpf_for_each_map_elem`: calls `cb(keyAddr, valueAddr)` until it returns non-zero; the number of calls or a negative errno. */
  forEachElem(_cpu: number, _cb: (keyAddr: number, valueAddr: number) => number): number {
    return -EOPNOTSUPP;
  }

  // ---- what subclasses implement ------------------------------------------------------------

  /** Userspace lookup of the staged key (0 for a NULL key). */
  protected sysLookup(_keyAddr: number): SysResult {
    return -ENOTSUPP;
  }

  /** Userspace update of the staged key with `value` (sysValueSize bytes). */
  protected sysUpdate(_keyAddr: number, _value: Uint8Array, _flags: number): number {
    return -ENOTSUPP;
  }

  /** Userspace delete of the staged key. */
  protected sysDelete(_keyAddr: number): number {
    return -ENOTSUPP;
  }

  /** Userspace next-key after the staged key (0: from the start). */
  protected sysNextKey(_keyAddr: number): SysResult {
    return -ENOTSUPP;
  }

  /** Userspace lookup-and-delete of the staged key. */
  protected sysLookupAndDelete(_keyAddr: number): SysResult {
    return -ENOTSUPP;
  }

  /** Lookup (and delete) batch; ENOTSUPP unless the map type has one. */
  protected lookupBatchImpl(_in: Uint8Array | null, count: number, _opts: BatchOptions, _del: boolean): BatchOutcome {
    return this.batchOutcome(-ENOTSUPP, count);
  }

  /** Update batch; ENOTSUPP unless the map type has one. */
  protected updateBatchImpl(keys: readonly Uint8Array[], _values: readonly Uint8Array[], _opts: BatchOptions): BatchOutcome {
    return this.batchOutcome(-ENOTSUPP, keys.length);
  }

  /** Delete batch; ENOTSUPP unless the map type has one. */
  protected deleteBatchImpl(keys: readonly Uint8Array[], _opts: BatchOptions): BatchOutcome {
    return this.batchOutcome(-ENOTSUPP, keys.length);
  }

  /** Frees type-specific resources (references to programs, inner maps, sockets). */
  protected release(): void {}

  // ---- shared machinery ---------------------------------------------------------------------

  /** Allocates an arena region that lives as long as the map. */
  protected allocRegion(size: number, kind: 'map' | 'map_value' | 'ringbuf', name: string, opts: { writable?: boolean; mapped?: boolean } = {}): Region {
    const region = this.arena.alloc(size, kind, name, opts);
    this.regions.push(region);
    return region;
  }

  /** Stages the argument of a userspace lookup and returns its address (bloom filters take the value to test). */
  protected stageLookup(key: Uint8Array | null): number {
    return this.stageKey(key, 0);
  }

  /**
   * Copies a userspace key into scratch slot `slot` (0 or 1) and returns its address. Maps without
   * keys take a NULL key (0); a non-empty key for them is -EINVAL, as the kernel refuses it.
   */
  protected stageKey(key: Uint8Array | null, slot: number): number {
    if (this.keySize === 0) return key?.length ? -EINVAL : 0;
    if (!key || key.length < this.keySize) {
      throw new RangeError(`map ${this.label}: the key has ${key?.length ?? 0} bytes, the map needs ${this.keySize}`);
    }
    const addr = this.keyScratch + slot * this.keyStride;
    this.arena.u8.set(key.subarray(0, this.keySize), addr);
    return addr;
  }

  /** Copies a userspace value (sysValueSize bytes) into the value scratch area and returns its address. */
  protected stageValue(value: Uint8Array): number {
    this.arena.u8.set(value, this.valueScratch);
    return this.valueScratch;
  }

  /** Bytes of the arena, copied out. */
  protected read(addr: number, size: number): Uint8Array {
    return this.arena.u8.slice(addr, addr + size);
  }

  /** The offset of the value's `bpf_spin_lock`, or -1. */
  get spinLockOffset(): number {
    return this.fields.find((f) => f.kind === 'spin_lock')?.offset ?? -1;
  }

  /** -EINVAL for BPF_F_LOCK on a map whose value has no spin lock (the kernel's check before the operation), else 0. */
  protected lockFlag(flags: number): number {
    return flags & BPF_F_LOCK && this.spinLockOffset < 0 ? -EINVAL : 0;
  }

  /** Copies one value into the arena at `dst` from `src` (an arena address or bytes), leaving the special fields as they are. */
  protected copyValue(dst: number, src: number | Uint8Array): void {
    const u8 = this.arena.u8;
    const bytes = typeof src === 'number' ? u8.subarray(src, src + this.valueSize) : src.subarray(0, this.valueSize);
    if (this.fields.length === 0) {
      u8.set(typeof src === 'number' ? bytes.slice() : bytes, dst);
      return;
    }
    let at = 0;
    for (const f of [...this.fields].sort((a, b) => a.offset - b.offset)) {
      u8.set(bytes.slice(at, f.offset), dst + at);
      at = f.offset + f.size;
    }
    u8.set(bytes.slice(at), dst + at);
  }

  /** Zeroes the special fields of the value at `addr` (a new or freed element: its lock is unlocked, its timer gone). */
  protected clearFields(addr: number): void {
    for (const f of this.fields) this.arena.u8.fill(0, addr + f.offset, addr + f.offset + f.size);
  }

  /** A value as userspace reads it: the special fields zeroed. */
  protected userCopy(addr: number): Uint8Array {
    const out = this.read(addr, this.valueSize);
    for (const f of this.fields) out.fill(0, f.offset, f.offset + f.size);
    return out;
  }

  /** The generic lookup batch (arrays, LPM trie, array of maps): next-key then lookup, as the kernel's. */
  protected genericLookupBatch(inBatch: Uint8Array | null, count: number, opts: BatchOptions): BatchOutcome {
    if (this.badElemFlags(opts)) return this.batchOutcome(-EINVAL, count);
    if (count === 0) return this.batchOutcome(0, 0);
    const keys: Uint8Array[] = [];
    const values: Uint8Array[] = [];
    let prev = inBatch ? this.stageKey(inBatch, 0) : 0;
    let visited: Uint8Array | undefined;
    let errno = 0;
    while (keys.length < count) {
      const next = this.sysNextKey(prev);
      if (typeof next === 'number') {
        errno = next;
        break;
      }
      // A key without a value (an empty slot of a map-in-map) is passed over, as the kernel does.
      const value = this.sysLookup(this.stageKey(next, 1));
      if (typeof value === 'number' && value !== -ENOENT) return this.batchOutcome(value, 0);
      if (typeof value !== 'number') {
        keys.push(next);
        values.push(value);
      }
      visited = next;
      prev = this.stageKey(next, 0);
    }
    const outBatch = new Uint8Array(Math.max(this.keySize, 4));
    if (keys.length && visited) outBatch.set(visited);
    return { errno, count: keys.length, keys, values, outBatch };
  }

  /** The generic update batch: one update per element (elem_flags may only be BPF_F_LOCK), stopping at the first error. */
  protected genericUpdateBatch(keys: readonly Uint8Array[], values: readonly Uint8Array[], opts: BatchOptions): BatchOutcome {
    if (this.badElemFlags(opts)) return this.batchOutcome(-EINVAL, keys.length);
    let done = 0;
    for (; done < keys.length; done++) {
      const err = this.sysUpdate(this.stageKey(keys[done]!, 0), this.userValue(values[done]!), opts.elemFlags ?? 0);
      if (err) return this.batchOutcome(err, done);
    }
    return this.batchOutcome(0, done);
  }

  /** The generic delete batch: one delete per key, stopping at the first error. */
  protected genericDeleteBatch(keys: readonly Uint8Array[], opts: BatchOptions): BatchOutcome {
    if (opts.elemFlags) return this.batchOutcome(-EINVAL, keys.length);
    let done = 0;
    for (; done < keys.length; done++) {
      const err = this.sysDelete(this.stageKey(keys[done]!, 0));
      if (err) return this.batchOutcome(err, done);
    }
    return this.batchOutcome(0, done);
  }

  /** Whether batch elem_flags are refused: anything but BPF_F_LOCK, and BPF_F_LOCK without a spin lock. */
  protected badElemFlags(opts: BatchOptions): boolean {
    const f = opts.elemFlags ?? 0;
    return (f & ~BPF_F_LOCK) !== 0 || this.lockFlag(f) !== 0;
  }

  /** A batch outcome without data. */
  protected batchOutcome(errno: number, count: number): BatchOutcome {
    return { errno, count, keys: [], values: [], outBatch: new Uint8Array(Math.max(this.keySize, 4)) };
  }

  private get readable(): boolean {
    return !(this.access & BPF_F_WRONLY);
  }

  private get writable(): boolean {
    return !(this.access & BPF_F_RDONLY) && !this.frozen;
  }

  private userValue(value: Uint8Array): Uint8Array {
    if (value.length < this.sysValueSize) {
      throw new RangeError(`map ${this.label}: the value has ${value.length} bytes, the map needs ${this.sysValueSize}`);
    }
    return value.subarray(0, this.sysValueSize);
  }

  private staged(op: string, addr: number): number {
    this.sysCheck(op, addr < 0 ? addr : 0);
    return addr;
  }

  private sysCheck(op: string, result: number): void {
    if (this.userClosed) throw new ErrnoError(op, ERRNO.EBADF, `map ${this.label} is closed`);
    if (result < 0) throw new ErrnoError(op, -result);
  }

  private found(op: string, result: SysResult): Uint8Array | undefined {
    if (result === -ENOENT) return undefined;
    if (typeof result === 'number') this.sysCheck(op, result);
    return result as Uint8Array;
  }

  private batchCheck(op: string, errno: number, count: number): void {
    if (this.userClosed) throw new MapBatchError(op, ERRNO.EBADF, count);
    if (errno < 0) throw new MapBatchError(op, -errno, count);
  }

  private batchResult(op: string, out: BatchOutcome): BatchLookupResult {
    if (out.errno && out.errno !== -ENOENT) this.batchCheck(op, out.errno, out.count);
    return { keys: out.keys, values: out.values, outBatch: out.outBatch, done: out.errno === -ENOENT };
  }

  private maybeFree(): void {
    if (this.freed || !this.userClosed || this.holders > 0) return;
    this.freed = true;
    this.release();
    for (const r of this.regions) this.arena.release(r);
    this.regions.length = 0;
    for (const fn of this.freeHooks.splice(0)) fn();
  }
}
