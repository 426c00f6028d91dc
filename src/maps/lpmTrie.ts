import { ERRNO } from '../errno.js';
import { BPF_EXIST, BPF_NOEXIST } from '../uapi.js';
import { BpfMap, type BatchOutcome, type SysResult } from './base.js';
import { SlotPool } from './slots.js';
import type { MapSpec } from './spec.js';
import type { BatchOptions, MapEnv } from './types.js';

const { EEXIST, EINVAL, ENOENT, ENOSPC } = ERRNO;

/** Bytes of `struct bpf_lpm_trie_key`'s prefixlen field, before the data. */
export const LPM_PREFIXLEN_SIZE = 4;

interface Entry {
  readonly slot: number;
  readonly prefixlen: number;
  /** The data bytes covering the prefix, with bits past it cleared. */
  readonly prefix: Uint8Array;
}

/**
 * LPM_TRIE: keys are `struct bpf_lpm_trie_key` (u32 prefixlen, then data in network order);
 * lookups return the longest stored prefix that covers the key's first prefixlen bits. Iteration
 * follows the kernel's trie walk, which is a post-order of the binary prefix tree: more specific
 * prefixes before the prefixes that cover them, the 0 branch before the 1 branch. Keys are kept
 * as last written, including bits past the prefix, as the kernel returns them.
 */
export class LpmTrieMap extends BpfMap {
  /** Longest prefix: 8 × data bytes. */
  readonly maxPrefixlen: number;
  private readonly pool: SlotPool;
  private readonly byPrefix = new Map<string, Entry>();
  private readonly lengths = new Map<number, number>();
  private sortedLengths: number[] = [];
  private readonly order: Entry[] = [];

  constructor(env: MapEnv, spec: MapSpec) {
    super(env, spec);
    this.maxPrefixlen = 8 * (spec.keySize - LPM_PREFIXLEN_SIZE);
    const layout = { keySize: this.keySize, valueSize: this.valueSize, cpus: 0 };
    this.pool = new SlotPool(layout, this.maxEntries + 1, false, (size, what) =>
      this.allocRegion(size, 'map_value', `map_value[${this.label}/${what}]`));
  }

  /** Number of stored prefixes. */
  get size(): number {
    return this.order.length;
  }

  override lookupElem(_cpu: number, keyAddr: number): number {
    const hit = this.longestMatch(keyAddr);
    return hit ? this.pool.valueAddr(hit.slot) : 0;
  }

  override updateElem(_cpu: number, keyAddr: number, valueAddr: number, flags: number): number {
    if (flags > BPF_EXIST) return -EINVAL;
    const prefixlen = this.prefixlenAt(keyAddr);
    if (prefixlen > this.maxPrefixlen) return -EINVAL;
    const id = this.prefixId(keyAddr, prefixlen);
    const old = this.byPrefix.get(id);
    if (old && flags === BPF_NOEXIST) return -EEXIST;
    if (!old && flags === BPF_EXIST) return -ENOENT;
    if (!old && this.order.length >= this.maxEntries) return -ENOSPC;
    const slot = this.pool.alloc();
    const u8 = this.arena.u8;
    u8.copyWithin(this.pool.keyAddr(slot), keyAddr, keyAddr + this.keySize);
    u8.copyWithin(this.pool.valueAddr(slot), valueAddr, valueAddr + this.valueSize);
    const entry: Entry = { slot, prefixlen, prefix: this.prefixBytes(keyAddr, prefixlen) };
    if (old) {
      this.order[this.indexOf(old)] = entry;
      this.pool.release(old.slot);
    } else {
      this.order.splice(this.insertionPoint(entry), 0, entry);
      this.lengths.set(prefixlen, (this.lengths.get(prefixlen) ?? 0) + 1);
      this.sortedLengths = [...this.lengths.keys()].sort((a, b) => b - a);
    }
    this.byPrefix.set(id, entry);
    return 0;
  }

  override deleteElem(_cpu: number, keyAddr: number): number {
    const prefixlen = this.prefixlenAt(keyAddr);
    if (prefixlen > this.maxPrefixlen) return -EINVAL;
    const id = this.prefixId(keyAddr, prefixlen);
    const entry = this.byPrefix.get(id);
    if (!entry) return -ENOENT;
    this.byPrefix.delete(id);
    this.order.splice(this.indexOf(entry), 1);
    const n = this.lengths.get(prefixlen)! - 1;
    if (n) this.lengths.set(prefixlen, n);
    else {
      this.lengths.delete(prefixlen);
      this.sortedLengths = this.sortedLengths.filter((l) => l !== prefixlen);
    }
    this.pool.release(entry.slot);
    return 0;
  }

  protected override sysLookup(keyAddr: number): SysResult {
    const hit = this.longestMatch(keyAddr);
    return hit ? this.read(this.pool.valueAddr(hit.slot), this.valueSize) : -ENOENT;
  }

  protected override sysUpdate(keyAddr: number, value: Uint8Array, flags: number): number {
    return this.updateElem(0, keyAddr, this.stageValue(value), flags);
  }

  protected override sysDelete(keyAddr: number): number {
    return this.deleteElem(0, keyAddr);
  }

  protected override sysNextKey(keyAddr: number): SysResult {
    let next: Entry | undefined = this.order[0];
    if (keyAddr) {
      const prefixlen = this.prefixlenAt(keyAddr);
      const at = prefixlen <= this.maxPrefixlen ? this.byPrefix.get(this.prefixId(keyAddr, prefixlen)) : undefined;
      if (at) next = this.order[this.indexOf(at) + 1];
    }
    return next ? this.read(this.pool.keyAddr(next.slot), this.keySize) : -ENOENT;
  }

  protected override lookupBatchImpl(inBatch: Uint8Array | null, count: number, opts: BatchOptions, del: boolean): BatchOutcome {
    return del ? super.lookupBatchImpl(inBatch, count, opts, del) : this.genericLookupBatch(inBatch, count, opts);
  }

  protected override updateBatchImpl(keys: readonly Uint8Array[], values: readonly Uint8Array[], opts: BatchOptions): BatchOutcome {
    return this.genericUpdateBatch(keys, values, opts);
  }

  protected override deleteBatchImpl(keys: readonly Uint8Array[], opts: BatchOptions): BatchOutcome {
    return this.genericDeleteBatch(keys, opts);
  }

  private longestMatch(keyAddr: number): Entry | undefined {
    const prefixlen = this.prefixlenAt(keyAddr);
    if (prefixlen > this.maxPrefixlen) return undefined;
    for (const len of this.sortedLengths) {
      if (len > prefixlen) continue;
      const hit = this.byPrefix.get(this.prefixId(keyAddr, len));
      if (hit) return hit;
    }
    return undefined;
  }

  private prefixlenAt(keyAddr: number): number {
    return this.arena.view.getUint32(keyAddr, true);
  }

  /** A string naming the first `len` bits of the key's data. */
  private prefixId(keyAddr: number, len: number): string {
    return String.fromCharCode(len, ...this.prefixBytes(keyAddr, len));
  }

  private prefixBytes(keyAddr: number, len: number): Uint8Array {
    const data = keyAddr + LPM_PREFIXLEN_SIZE;
    const out = this.arena.u8.slice(data, data + Math.ceil(len / 8));
    if (len % 8) out[out.length - 1]! &= 0xff << (8 - (len % 8));
    return out;
  }

  private indexOf(entry: Entry): number {
    let lo = 0;
    let hi = this.order.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const c = postOrder(this.order[mid]!, entry);
      if (c === 0) return mid;
      if (c < 0) lo = mid + 1;
      else hi = mid - 1;
    }
    return -1;
  }

  private insertionPoint(entry: Entry): number {
    let lo = 0;
    let hi = this.order.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (postOrder(this.order[mid]!, entry) < 0) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

/** The kernel's iteration order of two prefixes: the first differing bit (0 first), else the longer first. */
function postOrder(a: Entry, b: Entry): number {
  const common = Math.min(a.prefixlen, b.prefixlen);
  for (let bit = 0; bit < common; bit++) {
    const byte = bit >> 3;
    const mask = 0x80 >> (bit & 7);
    const x = a.prefix[byte]! & mask;
    const y = b.prefix[byte]! & mask;
    if (x !== y) return x ? 1 : -1;
  }
  return b.prefixlen - a.prefixlen;
}
