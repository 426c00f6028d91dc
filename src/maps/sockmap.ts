import { ERRNO } from '../errno.js';
import { BPF_EXIST, BPF_MAP_TYPE_SOCKHASH, BPF_NOEXIST } from '../uapi.js';
import { arrayNextKey, indexAt } from './array.js';
import { BpfMap, type SysResult } from './base.js';
import { checkFlags, roundUpPow2 } from './hash.js';
import { HashTable } from './hashTable.js';
import { jhash } from './jhash.js';
import { SlotPool } from './slots.js';
import type { MapSpec } from './spec.js';
import type { MapEnv, MapSocket } from './types.js';

const { E2BIG, EBADF, EEXIST, EINVAL, ENOENT, ENOSPC, ENOTSOCK, EOPNOTSUPP } = ERRNO;

/** The socket a userspace fd names, or a negative errno (EBADF: not open; ENOTSOCK: not a socket). */
export function socketOfFd(env: MapEnv, fd: number): MapSocket | number {
  const obj = env.resolveFd(fd);
  if (!obj) return -EBADF;
  return obj.kind === 'socket' ? obj.socket : -ENOTSOCK;
}

/** The socket cookie as userspace reads a sockmap value (8 bytes; ENOSPC for 4-byte values). */
function cookieValue(valueSize: number, sock: MapSocket | undefined): SysResult {
  if (valueSize !== 8) return -ENOSPC;
  if (!sock) return -ENOENT;
  const out = new Uint8Array(8);
  new DataView(out.buffer).setBigUint64(0, sock.cookie, true);
  return out;
}

/**
 * SOCKMAP (by index) and SOCKHASH (by key): sockets for `bpf_sk_redirect_map`/`_hash` and
 * `bpf_msg_redirect_*`. Userspace stores socket fds (u32 or u64 values) and reads back socket
 * cookies; only sockets in a state the kernel accepts (TCP listening or established, bound UDP,
 * …) may enter. SOCKHASH buckets use jhash with seed 0, as the kernel's, so its order is Linux's.
 */
export class SockMap extends BpfMap {
  private readonly hashed: boolean;
  private readonly byIndex: (MapSocket | undefined)[] = [];
  private readonly bySlot = new Map<number, MapSocket>();
  private readonly pool: SlotPool | undefined;
  private readonly table: HashTable | undefined;

  constructor(env: MapEnv, spec: MapSpec) {
    super(env, spec);
    this.hashed = spec.type === BPF_MAP_TYPE_SOCKHASH;
    if (this.hashed) {
      const layout = { keySize: this.keySize, valueSize: 0, cpus: 0 };
      const pool = new SlotPool(layout, this.maxEntries + 1, false, (size, what) =>
        this.allocRegion(size, 'map', `keys[${this.label}/${what}]`, { writable: false }));
      this.pool = pool;
      this.table = new HashTable(roundUpPow2(this.maxEntries), this.keySize, { u8: () => this.arena.u8, keyAddr: (s) => pool.keyAddr(s) });
    }
  }

  /** The socket stored under the key at `keyAddr`, if any. */
  socketAt(keyAddr: number): MapSocket | undefined {
    if (!this.table) return this.byIndex[indexAt(this.env, keyAddr)];
    const slot = this.table.find(this.hash(keyAddr), keyAddr);
    return slot < 0 ? undefined : this.bySlot.get(slot);
  }

  /** The socket at a SOCKMAP index (`__sock_map_lookup_elem`), if any; always undefined for a SOCKHASH. */
  socketByIndex(index: number): MapSocket | undefined {
    return this.table || index >= this.maxEntries ? undefined : this.byIndex[index];
  }

  override lookupElem(_cpu: number, keyAddr: number): number {
    return this.socketAt(keyAddr)?.address ?? 0;
  }

  /** `bpf_sock_map_update`/`bpf_sock_hash_update` and program-side updates: stores `sock` under the key. */
  sockUpdate(keyAddr: number, sock: MapSocket, flags: number): number {
    if (!sock.sockmapReady) return -EOPNOTSUPP;
    if (flags > BPF_EXIST) return -EINVAL;
    if (!this.table) {
      const index = indexAt(this.env, keyAddr);
      if (index >= this.maxEntries) return -E2BIG;
      const err = checkFlags(this.byIndex[index] ? 0 : -1, flags);
      if (err) return err;
      this.byIndex[index] = sock;
      return 0;
    }
    const hash = this.hash(keyAddr);
    const old = this.table.find(hash, keyAddr);
    const err = checkFlags(old, flags);
    if (err) return err;
    if (old < 0 && this.bySlot.size >= this.maxEntries) return -E2BIG;
    const pool = this.pool!;
    const slot = pool.alloc();
    this.arena.u8.copyWithin(pool.keyAddr(slot), keyAddr, keyAddr + this.keySize);
    this.table.addHead(slot, hash);
    this.bySlot.set(slot, sock);
    if (old >= 0) this.unlink(old);
    return 0;
  }

  override deleteElem(_cpu: number, keyAddr: number): number {
    if (!this.table) {
      const index = indexAt(this.env, keyAddr);
      if (index >= this.maxEntries || !this.byIndex[index]) return -EINVAL;
      this.byIndex[index] = undefined;
      return 0;
    }
    const slot = this.table.find(this.hash(keyAddr), keyAddr);
    if (slot < 0) return -ENOENT;
    this.unlink(slot);
    return 0;
  }

  protected override sysLookup(keyAddr: number): SysResult {
    return cookieValue(this.valueSize, this.socketAt(keyAddr));
  }

  protected override sysUpdate(keyAddr: number, value: Uint8Array, flags: number): number {
    const v = new DataView(value.buffer, value.byteOffset, value.length);
    const fd = this.valueSize === 8 ? v.getBigUint64(0, true) : BigInt(v.getUint32(0, true));
    if (fd > 0x7fffffffn) return -EINVAL;
    const sock = socketOfFd(this.env, Number(fd));
    return typeof sock === 'number' ? sock : this.sockUpdate(keyAddr, sock, flags);
  }

  protected override sysDelete(keyAddr: number): number {
    return this.deleteElem(0, keyAddr);
  }

  protected override sysNextKey(keyAddr: number): SysResult {
    if (!this.table) return arrayNextKey(this.env, keyAddr, this.maxEntries);
    const slot = keyAddr ? this.table.find(this.hash(keyAddr), keyAddr) : -1;
    const next = slot < 0 ? this.table.firstFrom(0) : this.table.after(slot);
    return next < 0 ? -ENOENT : this.read(this.pool!.keyAddr(next), this.keySize);
  }

  private unlink(slot: number): void {
    this.table!.remove(slot);
    this.bySlot.delete(slot);
    this.pool!.release(slot);
  }

  private hash(keyAddr: number): number {
    return jhash(this.arena.u8, keyAddr, this.keySize, 0);
  }
}

/** Address family of AF_XDP sockets, the only ones an XSKMAP takes. */
export const AF_XDP = 44;

/**
 * XSKMAP: AF_XDP sockets for `bpf_redirect_map`, by index. Userspace stores socket fds and cannot
 * read entries back (EOPNOTSUPP); a program's lookup returns the socket's pointer.
 */
export class XskMap extends BpfMap {
  private readonly sockets: (MapSocket | undefined)[] = [];

  /** The socket in slot `index`, if any. */
  socket(index: number): MapSocket | undefined {
    return this.sockets[index];
  }

  override lookupElem(_cpu: number, keyAddr: number): number {
    return this.sockets[indexAt(this.env, keyAddr)]?.address ?? 0;
  }

  protected override sysLookup(): SysResult {
    return -EOPNOTSUPP;
  }

  protected override sysUpdate(keyAddr: number, value: Uint8Array, flags: number): number {
    const index = indexAt(this.env, keyAddr);
    if (flags > BPF_EXIST) return -EINVAL;
    if (index >= this.maxEntries) return -E2BIG;
    const sock = socketOfFd(this.env, new DataView(value.buffer, value.byteOffset, 4).getUint32(0, true));
    if (typeof sock === 'number') return sock;
    if (sock.family !== AF_XDP) return -EOPNOTSUPP;
    const old = this.sockets[index];
    if (old === sock) return 0;
    if (old && flags === BPF_NOEXIST) return -EEXIST;
    if (!old && flags === BPF_EXIST) return -ENOENT;
    this.sockets[index] = sock;
    return 0;
  }

  protected override sysDelete(keyAddr: number): number {
    const index = indexAt(this.env, keyAddr);
    if (index >= this.maxEntries) return -EINVAL;
    this.sockets[index] = undefined;
    return 0;
  }

  protected override sysNextKey(keyAddr: number): SysResult {
    return arrayNextKey(this.env, keyAddr, this.maxEntries);
  }
}
