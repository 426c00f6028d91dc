import { ERRNO } from '../errno.js';
import { isPerCpuMapType, type BatchLookupResult, type BatchOptions, type MapSpec, type UserMap } from '../maps/index.js';
import { BPF_MAP_TYPE_ARRAY_OF_MAPS, BPF_MAP_TYPE_BLOOM_FILTER, BPF_MAP_TYPE_HASH_OF_MAPS, BPF_MAP_TYPE_SK_STORAGE } from '../uapi.js';
import { nativeBpf, type MapCreateAttr, type MapInfo } from './addon.js';
import { KernelError } from './errno.js';
import type { Fd } from './fd.js';
import { btfLoad, mapCreate, ncpus } from './syscall.js';

/** A batch command the kernel refused; `count` is what it left in `batch.count` (elements processed). */
export class KernelBatchError extends KernelError {
  /** The count the kernel reported back. */
  readonly count: number;

  constructor(op: string, errno: number, count: number) {
    super(op, errno, { detail: `after ${count} elements` });
    this.count = count;
  }
}

/**
 * A BTF blob for socket storage, which the kernel will not create without BTF: type 1 is a 32-bit
 * `int` (the key, a socket fd), type 2 a `u8[valueSize]` array (the value), type 3 the `u8`.
 */
function storageBtf(valueSize: number): Uint8Array {
  const strings = new TextEncoder().encode('\0int\0u8\0');
  const types = new Uint32Array([
    1, 1 << 24, 4, (1 << 24) | 32, // int: name "int", BTF_KIND_INT, 4 bytes, signed, 32 bits
    0, 3 << 24, 0, 3, 1, valueSize, // array: BTF_KIND_ARRAY of type 3 indexed by type 1
    5, 1 << 24, 1, 8, // u8: name "u8", BTF_KIND_INT, 1 byte, 8 bits
  ]);
  const out = new Uint8Array(24 + types.byteLength + strings.length);
  const v = new DataView(out.buffer);
  v.setUint16(0, 0xeb9f, true);
  v.setUint8(2, 1);
  v.setUint32(4, 24, true);
  v.setUint32(8, 0, true);
  v.setUint32(12, types.byteLength, true);
  v.setUint32(16, types.byteLength, true);
  v.setUint32(20, strings.length, true);
  out.set(new Uint8Array(types.buffer), 24);
  out.set(strings, 24 + types.byteLength);
  return out;
}

/**
 * A map in the running kernel with the same userspace API as a simulated map (`BackendMap` and
 * the batch commands): bytes in, bytes out, failures as KernelErrors carrying the kernel's errno.
 * Per-CPU values are round_up(value_size, 8) × the kernel's possible CPUs.
 */
export class KernelMap implements UserMap {
  /** What the map was created with. */
  readonly spec: MapSpec;
  /** The map's file descriptor. */
  readonly fd: Fd;
  /** What the kernel reports about the map (effective max_entries and flags, id). */
  readonly info: MapInfo;
  /** Bytes of one value as userspace reads and writes it. */
  readonly sysValueSize: number;

  /** Wraps an open map fd (taking ownership of it) created from `spec`. */
  constructor(fd: Fd, spec: MapSpec) {
    this.fd = fd;
    this.spec = spec;
    const info = nativeBpf().mapGetInfo(fd.raw);
    if (info.errno) throw new KernelError('BPF_OBJ_GET_INFO_BY_FD', info.errno);
    this.info = info;
    this.sysValueSize = isPerCpuMapType(spec.type) ? Math.ceil(spec.valueSize / 8) * 8 * ncpus() : spec.valueSize;
  }

  /**
   * Creates a map (`BPF_MAP_CREATE`) from a spec: a map-in-map's inner-map template is created and
   * closed again as libbpf does, the spec's BTF (for spin locks and timers in values) is loaded
   * for it, and socket storage without one gets the BTF the kernel insists on.
   */
  static create(spec: MapSpec): KernelMap {
    const attr: MapCreateAttr = {
      map_type: spec.type, key_size: spec.keySize, value_size: spec.valueSize, max_entries: spec.maxEntries,
      map_flags: spec.flags ?? 0, numa_node: spec.numaNode ?? 0, map_extra: spec.mapExtra ?? 0n,
      ...(spec.name ? { map_name: spec.name } : {}),
    };
    const mapInMap = spec.type === BPF_MAP_TYPE_ARRAY_OF_MAPS || spec.type === BPF_MAP_TYPE_HASH_OF_MAPS;
    const inner = mapInMap && spec.innerMap ? KernelMap.create(spec.innerMap) : undefined;
    const own = spec.btf;
    const btf = own ? btfLoad(own.raw).fd
      : spec.type === BPF_MAP_TYPE_SK_STORAGE && spec.valueSize > 0 ? btfLoad(storageBtf(spec.valueSize)).fd : undefined;
    try {
      if (inner) attr.inner_map_fd = inner.fd.raw;
      if (btf) Object.assign(attr, { btf_fd: btf.raw, btf_key_type_id: own ? own.keyTypeId : 1, btf_value_type_id: own ? own.valueTypeId : 2 });
      return new KernelMap(mapCreate(attr), spec);
    } finally {
      inner?.close();
      btf?.close();
    }
  }

  /** The kernel's id of the map. */
  get id(): number {
    return this.info.id;
  }

  /** The value for `key` (null for queue/stack peek; the value to test for a bloom filter), or undefined (ENOENT). */
  lookup(key: Uint8Array | null, flags = 0): Uint8Array | undefined {
    if (this.spec.type === BPF_MAP_TYPE_BLOOM_FILTER) {
      if (!key || key.length < this.spec.valueSize) {
        throw new RangeError(`a bloom filter lookup takes the ${this.spec.valueSize}-byte value to test`);
      }
      const probe = key.slice(0, this.spec.valueSize);
      return this.found('BPF_MAP_LOOKUP_ELEM', nativeBpf().mapLookup(this.fd.raw, null, probe, flags)) ? probe : undefined;
    }
    const out = new Uint8Array(this.sysValueSize);
    return this.found('BPF_MAP_LOOKUP_ELEM', nativeBpf().mapLookup(this.fd.raw, key, out, flags)) ? out : undefined;
  }

  /** Creates or replaces an element (`BPF_ANY`, `BPF_NOEXIST`, `BPF_EXIST`); null key for queue, stack, bloom filter. */
  update(key: Uint8Array | null, value: Uint8Array, flags = 0): void {
    this.check('BPF_MAP_UPDATE_ELEM', nativeBpf().mapUpdate(this.fd.raw, key, value, flags));
  }

  /** Deletes an element; ENOENT when it does not exist. */
  delete(key: Uint8Array | null): void {
    this.check('BPF_MAP_DELETE_ELEM', nativeBpf().mapDelete(this.fd.raw, key));
  }

  /** The key after `key` in the kernel's order (the first key for undefined), or undefined after the last. */
  nextKey(key: Uint8Array | undefined): Uint8Array | undefined {
    const out = new Uint8Array(this.spec.keySize);
    return this.found('BPF_MAP_GET_NEXT_KEY', nativeBpf().mapGetNextKey(this.fd.raw, key ?? null, out)) ? out : undefined;
  }

  /** Returns and removes an element (pop for queue/stack with a null key), or undefined (ENOENT). */
  lookupAndDelete(key: Uint8Array | null, flags = 0): Uint8Array | undefined {
    const out = new Uint8Array(this.sysValueSize);
    return this.found('BPF_MAP_LOOKUP_AND_DELETE_ELEM', nativeBpf().mapLookupAndDelete(this.fd.raw, key, out, flags)) ? out : undefined;
  }

  /** Makes the map read-only for userspace (`BPF_MAP_FREEZE`). */
  freeze(): void {
    this.check('BPF_MAP_FREEZE', nativeBpf().mapFreeze(this.fd.raw));
  }

  /** Closes the fd. */
  close(): void {
    this.fd.close();
  }

  /** `BPF_MAP_LOOKUP_BATCH` from `inBatch` (null: the start) for up to `count` elements. */
  lookupBatch(inBatch: Uint8Array | null, count: number, opts: BatchOptions = {}): BatchLookupResult {
    return this.lookupBatchCmd('BPF_MAP_LOOKUP_BATCH', false, inBatch, count, opts);
  }

  /** `BPF_MAP_LOOKUP_AND_DELETE_BATCH`: as lookupBatch, deleting what it returns. */
  lookupAndDeleteBatch(inBatch: Uint8Array | null, count: number, opts: BatchOptions = {}): BatchLookupResult {
    return this.lookupBatchCmd('BPF_MAP_LOOKUP_AND_DELETE_BATCH', true, inBatch, count, opts);
  }

  /** `BPF_MAP_UPDATE_BATCH`; returns how many elements were written. */
  updateBatch(keys: readonly Uint8Array[], values: readonly Uint8Array[], opts: BatchOptions = {}): number {
    const count = Math.min(keys.length, values.length);
    const result = nativeBpf().mapUpdateBatch(this.fd.raw, {
      keys: this.pack(keys.slice(0, count), this.spec.keySize), values: this.pack(values.slice(0, count), this.sysValueSize),
      count, elem_flags: opts.elemFlags ?? 0, flags: opts.flags ?? 0,
    });
    if (result.errno) throw new KernelBatchError('BPF_MAP_UPDATE_BATCH', result.errno, result.count);
    return result.count;
  }

  /** `BPF_MAP_DELETE_BATCH`; returns how many elements were deleted. */
  deleteBatch(keys: readonly Uint8Array[], opts: BatchOptions = {}): number {
    const result = nativeBpf().mapDeleteBatch(this.fd.raw, {
      keys: this.pack(keys, this.spec.keySize), count: keys.length, elem_flags: opts.elemFlags ?? 0, flags: opts.flags ?? 0,
    });
    if (result.errno) throw new KernelBatchError('BPF_MAP_DELETE_BATCH', result.errno, result.count);
    return result.count;
  }

  private lookupBatchCmd(op: string, del: boolean, inBatch: Uint8Array | null, count: number, opts: BatchOptions): BatchLookupResult {
    const tokenSize = Math.max(this.spec.keySize, 4);
    const token = inBatch ? new Uint8Array(tokenSize) : null;
    token?.set(inBatch!.subarray(0, tokenSize));
    const outBatch = new Uint8Array(tokenSize);
    const keys = new Uint8Array(Math.max(count, 1) * this.spec.keySize);
    const values = new Uint8Array(Math.max(count, 1) * this.sysValueSize);
    const attr = { in_batch: token, out_batch: outBatch, keys, values, count, elem_flags: opts.elemFlags ?? 0, flags: opts.flags ?? 0 };
    const bpf = nativeBpf();
    const result = del ? bpf.mapLookupAndDeleteBatch(this.fd.raw, attr) : bpf.mapLookupBatch(this.fd.raw, attr);
    if (result.errno && result.errno !== ERRNO.ENOENT) throw new KernelBatchError(op, result.errno, result.count);
    const n = result.count;
    return {
      keys: Array.from({ length: n }, (_, i) => keys.slice(i * this.spec.keySize, (i + 1) * this.spec.keySize)),
      values: Array.from({ length: n }, (_, i) => values.slice(i * this.sysValueSize, (i + 1) * this.sysValueSize)),
      outBatch,
      done: result.errno === ERRNO.ENOENT,
    };
  }

  private pack(items: readonly Uint8Array[], size: number): Uint8Array {
    const out = new Uint8Array(Math.max(items.length, 1) * size);
    items.forEach((item, i) => out.set(item.subarray(0, size), i * size));
    return out;
  }

  private found(op: string, errno: number): boolean {
    if (errno === ERRNO.ENOENT) return false;
    this.check(op, errno);
    return true;
  }

  private check(op: string, errno: number): void {
    if (errno) throw new KernelError(op, errno);
  }
}
