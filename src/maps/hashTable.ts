const PAGE_BITS = 10;
const PAGE = 1 << PAGE_BITS;

/** Where a HashTable finds keys: the arena and the key address of each slot. */
export interface KeySource {
  /** The current byte view of the arena (re-read on every use: the arena may grow). */
  u8(): Uint8Array;
  /** Address of the key of a slot. */
  keyAddr(slot: number): number;
}

/**
 * The kernel's hash-table shape: a power-of-two number of buckets, each a list of elements with the
 * newest at its head. Elements are slot numbers; keys live in the arena. Iteration walks buckets in
 * index order and each list from its head, as `htab_map_get_next_key` does. Bucket heads are
 * allocated in pages on first use, so a huge, sparsely filled table costs little.
 */
export class HashTable {
  /** Number of buckets (a power of two). */
  readonly nBuckets: number;
  private readonly pages: (Int32Array | undefined)[];
  private readonly next: number[] = [];
  private readonly hashes: number[] = [];

  constructor(nBuckets: number, private readonly keySize: number, private readonly keys: KeySource) {
    this.nBuckets = nBuckets;
    this.pages = new Array<Int32Array | undefined>(Math.ceil(nBuckets / PAGE));
  }

  /** Bucket index of a hash. */
  bucketOf(hash: number): number {
    return hash & (this.nBuckets - 1);
  }

  /** First slot of bucket `b`, or -1. */
  head(b: number): number {
    const page = this.pages[b >>> PAGE_BITS];
    return page ? page[b & (PAGE - 1)]! : -1;
  }

  /** The hash stored with `slot`. */
  hashOf(slot: number): number {
    return this.hashes[slot]!;
  }

  /** The slot whose key equals the `keySize` bytes at `keyAddr`, or -1. */
  find(hash: number, keyAddr: number): number {
    const u8 = this.keys.u8();
    for (let s = this.head(this.bucketOf(hash)); s >= 0; s = this.next[s]!) {
      if (this.hashes[s] === hash && this.sameKey(u8, this.keys.keyAddr(s), keyAddr)) return s;
    }
    return -1;
  }

  /** Links `slot` at the head of its bucket. */
  addHead(slot: number, hash: number): void {
    const b = this.bucketOf(hash);
    const pi = b >>> PAGE_BITS;
    const page = this.pages[pi] ?? (this.pages[pi] = new Int32Array(PAGE).fill(-1));
    this.next[slot] = page[b & (PAGE - 1)]!;
    this.hashes[slot] = hash;
    page[b & (PAGE - 1)] = slot;
  }

  /** Unlinks `slot`; false if it was not linked. */
  remove(slot: number): boolean {
    const hash = this.hashes[slot];
    if (hash === undefined) return false;
    const b = this.bucketOf(hash);
    const page = this.pages[b >>> PAGE_BITS];
    if (!page) return false;
    const i = b & (PAGE - 1);
    if (page[i] === slot) {
      page[i] = this.next[slot]!;
      return true;
    }
    for (let s = page[i]!; s >= 0; s = this.next[s]!) {
      if (this.next[s] === slot) {
        this.next[s] = this.next[slot]!;
        return true;
      }
    }
    return false;
  }

  /** The first slot in buckets `from`, `from + 1`, …, or -1. */
  firstFrom(from: number): number {
    for (let b = from; b < this.nBuckets; ) {
      const page = this.pages[b >>> PAGE_BITS];
      if (!page) {
        b = ((b >>> PAGE_BITS) + 1) << PAGE_BITS;
        continue;
      }
      const s = page[b & (PAGE - 1)]!;
      if (s >= 0) return s;
      b++;
    }
    return -1;
  }

  /** The slot after `slot` in iteration order, or -1. */
  after(slot: number): number {
    const n = this.next[slot]!;
    return n >= 0 ? n : this.firstFrom(this.bucketOf(this.hashes[slot]!) + 1);
  }

  /** The slots of bucket `b`, head first. */
  bucket(b: number): number[] {
    const out: number[] = [];
    for (let s = this.head(b); s >= 0; s = this.next[s]!) out.push(s);
    return out;
  }

  private sameKey(u8: Uint8Array, a: number, b: number): boolean {
    for (let i = 0; i < this.keySize; i++) if (u8[a + i] !== u8[b + i]) return false;
    return true;
  }
}
