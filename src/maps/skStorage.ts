import { ERRNO } from '../errno.js';
import { BPF_EXIST, BPF_F_LOCK } from '../uapi.js';
import { BpfMap, type SysResult } from './base.js';
import { checkFlags } from './hash.js';
import { SlotPool } from './slots.js';
import { socketOfFd } from './sockmap.js';
import type { MapSpec } from './spec.js';
import type { MapEnv, MapSocket } from './types.js';

const { EINVAL, ENOENT } = ERRNO;

/** `bpf_sk_storage_get` flag: create the socket's storage if it has none. */
export const BPF_SK_STORAGE_GET_F_CREATE = 1;

/**
 * SK_STORAGE: one value per socket, created on demand by programs (`bpf_sk_storage_get` with
 * BPF_SK_STORAGE_GET_F_CREATE) or by userspace with the socket's fd as the key. Values live in
 * the arena; a socket's value goes when the socket closes (`socketClosed`). The kernel also
 * demands BTF for the key and value types; bpfsim's MapSpec carries none and does not ask for it.
 */
export class SkStorageMap extends BpfMap {
  private readonly pool: SlotPool;
  private readonly bySocket = new Map<bigint, number>();

  constructor(env: MapEnv, spec: MapSpec) {
    super(env, spec);
    const layout = { keySize: 0, valueSize: this.valueSize, cpus: 0 };
    this.pool = new SlotPool(layout, Number.MAX_SAFE_INTEGER, false, (size, what) =>
      this.allocRegion(size, 'map_value', `map_value[${this.label}/${what}]`));
  }

  /** `bpf_sk_storage_get`: the address of `sock`'s value, created (from `initAddr`, or zeroed if 0) when flags ask; else 0. */
  storageGet(sock: MapSocket, initAddr: number, flags: number): number {
    if (flags & ~BPF_SK_STORAGE_GET_F_CREATE) return 0;
    const have = this.bySocket.get(sock.cookie);
    if (have !== undefined) return this.pool.valueAddr(have);
    if (!(flags & BPF_SK_STORAGE_GET_F_CREATE)) return 0;
    const slot = this.create(sock);
    const dst = this.pool.valueAddr(slot);
    if (initAddr) this.arena.u8.copyWithin(dst, initAddr, initAddr + this.valueSize);
    else this.arena.u8.fill(0, dst, dst + this.valueSize);
    return dst;
  }

  /** `bpf_sk_storage_delete`: 0, or -ENOENT when the socket has no value. */
  storageDelete(sock: MapSocket): number {
    const slot = this.bySocket.get(sock.cookie);
    if (slot === undefined) return -ENOENT;
    this.bySocket.delete(sock.cookie);
    this.pool.release(slot);
    return 0;
  }

  /** Frees the value of a socket that has closed. */
  socketClosed(sock: MapSocket): void {
    this.storageDelete(sock);
  }

  protected override sysLookup(keyAddr: number): SysResult {
    const sock = socketOfFd(this.env, this.arena.view.getInt32(keyAddr, true));
    if (typeof sock === 'number') return sock;
    const slot = this.bySocket.get(sock.cookie);
    return slot === undefined ? -ENOENT : this.read(this.pool.valueAddr(slot), this.valueSize);
  }

  protected override sysUpdate(keyAddr: number, value: Uint8Array, flags: number): number {
    const sock = socketOfFd(this.env, this.arena.view.getInt32(keyAddr, true));
    if (typeof sock === 'number') return sock;
    if (flags & BPF_F_LOCK || flags > BPF_EXIST) return -EINVAL;
    const have = this.bySocket.get(sock.cookie);
    const err = checkFlags(have ?? -1, flags);
    if (err) return err;
    const slot = have ?? this.create(sock);
    this.arena.u8.set(value, this.pool.valueAddr(slot));
    return 0;
  }

  protected override sysDelete(keyAddr: number): number {
    const sock = socketOfFd(this.env, this.arena.view.getInt32(keyAddr, true));
    return typeof sock === 'number' ? sock : this.storageDelete(sock);
  }

  private create(sock: MapSocket): number {
    const slot = this.pool.alloc();
    this.bySocket.set(sock.cookie, slot);
    return slot;
  }
}
