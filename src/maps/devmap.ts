import { ERRNO } from '../errno.js';
import { BPF_EXIST, BPF_F_RDONLY_PROG, BPF_MAP_TYPE_DEVMAP_HASH, BPF_NOEXIST, BPF_PROG_TYPE_XDP, BPF_XDP_DEVMAP } from '../uapi.js';
import { arrayNextKey, indexAt } from './array.js';
import { BpfMap, type SysResult } from './base.js';
import { ProgOwner } from './fdArray.js';
import { roundUpPow2 } from './hash.js';
import { HashTable } from './hashTable.js';
import { SlotPool } from './slots.js';
import type { MapSpec } from './spec.js';
import type { MapEnv, MapProgram, NetDevice } from './types.js';

const { E2BIG, EEXIST, EINVAL, ENOENT } = ERRNO;

/** A device map entry: where `bpf_redirect_map` sends packets, and the program to run first. */
export interface DevmapEntry {
  /** The target device. */
  readonly dev: NetDevice;
  /** An XDP program (BPF_XDP_DEVMAP) to run on the packet before transmission. */
  readonly prog: MapProgram | undefined;
}

/**
 * DEVMAP (by index) and DEVMAP_HASH (by any u32 key): network devices for XDP redirection.
 * Userspace writes an ifindex or a `struct bpf_devmap_val` (ifindex, program fd) and reads back
 * ifindex and program id; programs may only read entries (the kernel adds BPF_F_RDONLY_PROG),
 * through a pointer to the same struct in the arena.
 */
export class DevMap extends BpfMap {
  private readonly hashed: boolean;
  private readonly pool: SlotPool;
  private readonly table: HashTable | undefined;
  private readonly bySlot = new Map<number, DevmapEntry>();
  private readonly byIndex: number[] = [];
  private readonly owner = new ProgOwner();

  constructor(env: MapEnv, spec: MapSpec) {
    super(env, spec, { extraFlags: BPF_F_RDONLY_PROG });
    this.hashed = spec.type === BPF_MAP_TYPE_DEVMAP_HASH;
    const layout = { keySize: 4, valueSize: 8, cpus: 0 };
    this.pool = new SlotPool(layout, this.maxEntries + 1, false, (size, what) =>
      this.allocRegion(size, 'map_value', `map_value[${this.label}/${what}]`, { writable: false }));
    this.table = this.hashed
      ? new HashTable(roundUpPow2(this.maxEntries), 4, { u8: () => this.arena.u8, keyAddr: (s) => this.pool.keyAddr(s) })
      : undefined;
  }

  /** The entry for key `key` (an index for DEVMAP), if any. */
  entry(key: number): DevmapEntry | undefined {
    const slot = this.slotOfKey(key);
    return slot < 0 ? undefined : this.bySlot.get(slot);
  }

  /** All entries in iteration order, for broadcast redirects. */
  entries(): DevmapEntry[] {
    const out: DevmapEntry[] = [];
    for (const slot of this.slots()) out.push(this.bySlot.get(slot)!);
    return out;
  }

  override lookupElem(_cpu: number, keyAddr: number): number {
    const slot = this.slotOfKey(indexAt(this.env, keyAddr));
    return slot < 0 ? 0 : this.pool.valueAddr(slot);
  }

  protected override sysLookup(keyAddr: number): SysResult {
    const slot = this.slotOfKey(indexAt(this.env, keyAddr));
    return slot < 0 ? -ENOENT : this.read(this.pool.valueAddr(slot), this.valueSize);
  }

  protected override sysUpdate(keyAddr: number, value: Uint8Array, flags: number): number {
    const key = indexAt(this.env, keyAddr);
    const v = new DataView(value.buffer, value.byteOffset, value.length);
    const ifindex = v.getUint32(0, true);
    const progFd = this.valueSize === 8 ? v.getInt32(4, true) : 0;
    if (flags > BPF_EXIST || (this.hashed && !ifindex)) return -EINVAL;
    if (!this.hashed) {
      if (key >= this.maxEntries) return -E2BIG;
      if (flags === BPF_NOEXIST) return -EEXIST;
      if (!ifindex) {
        if (progFd > 0) return -EINVAL;
        this.clear(this.byIndex[key] ?? -1);
        return 0;
      }
    }
    const old = this.slotOfKey(key);
    if (this.hashed && old >= 0 && flags === BPF_NOEXIST) return -EEXIST;
    const entry = this.resolve(ifindex, progFd);
    if (!entry) return -EINVAL;
    if (this.hashed && old < 0 && this.bySlot.size >= this.maxEntries) return -E2BIG;
    this.store(key, keyAddr, entry, old);
    return 0;
  }

  protected override sysDelete(keyAddr: number): number {
    const key = indexAt(this.env, keyAddr);
    if (!this.hashed) {
      if (key >= this.maxEntries) return -EINVAL;
      this.clear(this.byIndex[key] ?? -1);
      return 0;
    }
    const slot = this.slotOfKey(key);
    if (slot < 0) return -ENOENT;
    this.clear(slot);
    return 0;
  }

  protected override sysNextKey(keyAddr: number): SysResult {
    if (!this.table) return arrayNextKey(this.env, keyAddr, this.maxEntries);
    const slot = keyAddr ? this.slotOfKey(indexAt(this.env, keyAddr)) : -1;
    const next = slot < 0 ? this.table.firstFrom(0) : this.table.after(slot);
    return next < 0 ? -ENOENT : this.read(this.pool.keyAddr(next), 4);
  }

  private resolve(ifindex: number, progFd: number): DevmapEntry | undefined {
    const dev = this.env.deviceByIfindex(ifindex);
    if (!dev) return undefined;
    if (progFd <= 0) return { dev, prog: undefined };
    const obj = this.env.resolveFd(progFd);
    if (obj?.kind !== 'prog') return undefined;
    const prog = obj.prog;
    if (prog.type !== BPF_PROG_TYPE_XDP || prog.expectedAttachType !== BPF_XDP_DEVMAP || !this.owner.compatible(prog)) return undefined;
    return { dev, prog };
  }

  private store(key: number, keyAddr: number, entry: DevmapEntry, old: number): void {
    const slot = this.pool.alloc();
    const view = this.arena.view;
    view.setUint32(this.pool.keyAddr(slot), key, true);
    view.setUint32(this.pool.valueAddr(slot), entry.dev.ifindex, true);
    view.setUint32(this.pool.valueAddr(slot) + 4, entry.prog?.id ?? 0, true);
    this.bySlot.set(slot, entry);
    if (this.table) this.table.addHead(slot, indexAt(this.env, keyAddr));
    else this.byIndex[key] = slot;
    if (old >= 0) this.clear(old);
  }

  private clear(slot: number): void {
    if (slot < 0 || !this.bySlot.delete(slot)) return;
    if (this.table) this.table.remove(slot);
    else {
      const key = this.arena.view.getUint32(this.pool.keyAddr(slot), true);
      if (this.byIndex[key] === slot) this.byIndex[key] = -1;
    }
    this.pool.release(slot);
  }

  private slotOfKey(key: number): number {
    if (!this.table) return key < this.maxEntries ? this.byIndex[key] ?? -1 : -1;
    const keyAddr = this.keyScratch + this.keyStride;
    this.arena.view.setUint32(keyAddr, key, true);
    return this.table.find(key, keyAddr);
  }

  private slots(): number[] {
    if (!this.table) return this.byIndex.filter((s) => s >= 0);
    const out: number[] = [];
    for (let s = this.table.firstFrom(0); s >= 0; s = this.table.after(s)) out.push(s);
    return out;
  }
}
