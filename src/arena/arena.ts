import { BpfError } from '../errors.js';
import type { AllocOptions, Region, RegionKind } from './region.js';

/** Bytes at the bottom of the arena that are never allocated, so that 0 and small offsets are invalid. */
export const ARENA_GUARD = 0x10000;
const PAGE = 0x10000;

/** Raised when the arena cannot grow to satisfy an allocation. */
export class ArenaExhaustedError extends BpfError {
  constructor(needed: number, limit: number) {
    super('ENOMEM', `the arena would need ${needed} bytes but is limited to ${limit} (raise the Machine's memoryLimit)`);
  }
}

interface FreeBlock { start: number; size: number }

/**
 * The one memory of a Machine (DESIGN.md invariant 1): a `WebAssembly.Memory` that holds every byte
 * a BPF program can reach, with a region table for checked mode and a first-fit allocator.
 * A BPF pointer is an offset into it. Typed views are re-taken whenever the memory grows, so read
 * `u8`/`view` after any call that may allocate.
 */
export class Arena {
  /** The shared memory; the WebAssembly JIT imports it. */
  readonly memory: WebAssembly.Memory;
  /** Byte view of the whole memory (re-taken on growth). */
  u8: Uint8Array;
  /** DataView of the whole memory (re-taken on growth). */
  view: DataView;
  /** Upper bound of the arena in bytes. */
  readonly limit: number;
  /** Mapped regions, sorted by start. */
  private readonly regions: Region[] = [];
  private readonly free: FreeBlock[] = [];
  private top = ARENA_GUARD;
  private lastHit: Region | undefined;

  constructor(opts: { initialBytes?: number; limit?: number } = {}) {
    const limit = opts.limit ?? 256 * 1024 * 1024;
    const initial = Math.max(2, Math.ceil((opts.initialBytes ?? 1024 * 1024) / PAGE));
    this.limit = Math.ceil(limit / PAGE) * PAGE;
    this.memory = new WebAssembly.Memory({ initial, maximum: this.limit / PAGE });
    this.u8 = new Uint8Array(this.memory.buffer);
    this.view = new DataView(this.memory.buffer);
  }

  /** Re-takes the typed views if the memory has grown (by us or by a WebAssembly module). */
  refresh(): void {
    if (this.u8.buffer !== this.memory.buffer) {
      this.u8 = new Uint8Array(this.memory.buffer);
      this.view = new DataView(this.memory.buffer);
    }
  }

  /** Allocates `size` bytes (0 is allowed) and enters them in the region table. */
  alloc(size: number, kind: RegionKind, name: string, opts: AllocOptions = {}): Region {
    const align = opts.align ?? 8;
    const need = Math.max(size, 1);
    let start = -1;
    for (let i = 0; i < this.free.length; i++) {
      const b = this.free[i]!;
      const s = (b.start + align - 1) & ~(align - 1);
      if (s + need <= b.start + b.size) {
        start = s;
        this.takeFromFree(i, s, need);
        break;
      }
    }
    if (start < 0) {
      start = (this.top + align - 1) & ~(align - 1);
      if (start > this.top) this.free.push({ start: this.top, size: start - this.top });
      this.ensure(start + need);
      this.top = start + need;
    }
    if (opts.zero !== false) this.u8.fill(0, start, start + need);
    const region: Region = { start, size, kind, name, writable: opts.writable ?? true };
    if (opts.mapped !== false) this.insert(region);
    return region;
  }

  /** Returns a region's bytes to the allocator and removes it from the region table. */
  release(region: Region): void {
    this.unmap(region);
    this.free.push({ start: region.start, size: Math.max(region.size, 1) });
    this.coalesce();
  }

  /**
   * Enters `[start, start + size)` of already allocated memory in the region table as its own
   * region (e.g. the live part of a packet buffer, which moves with `bpf_xdp_adjust_head`).
   */
  map(start: number, size: number, kind: RegionKind, name: string, writable = true): Region {
    const region: Region = { start, size, kind, name, writable };
    this.insert(region);
    return region;
  }

  /** Removes a region entered by `map` from the region table (its memory stays allocated). */
  unmap(region: Region): void {
    const i = this.regions.indexOf(region);
    if (i >= 0) this.regions.splice(i, 1);
    if (this.lastHit === region) this.lastHit = undefined;
  }

  /** The mapped region that contains all of `[addr, addr + size)`, or undefined. */
  find(addr: number, size: number): Region | undefined {
    const hit = this.lastHit;
    if (hit && addr >= hit.start && addr + size <= hit.start + hit.size) return hit;
    const rs = this.regions;
    let lo = 0;
    let hi = rs.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      const r = rs[mid]!;
      if (addr < r.start) hi = mid - 1;
      else if (addr >= r.start + Math.max(r.size, 1)) lo = mid + 1;
      else {
        if (addr + size > r.start + r.size) return undefined;
        this.lastHit = r;
        return r;
      }
    }
    return undefined;
  }

  /** The mapped region nearest to `addr` (containing it, or the closest on either side), for fault messages. */
  nearest(addr: number): Region | undefined {
    let best: Region | undefined;
    let bestDist = Infinity;
    for (const r of this.regions) {
      const end = r.start + r.size;
      const dist = addr < r.start ? r.start - addr : addr >= end ? addr - end + 1 : 0;
      if (dist < bestDist) {
        best = r;
        bestDist = dist;
      }
    }
    return best;
  }

  /** All mapped regions, in address order. */
  list(): readonly Region[] {
    return this.regions;
  }

  /** Copies bytes into the arena at `addr`. */
  write(addr: number, bytes: Uint8Array): void {
    this.u8.set(bytes, addr);
  }

  /** Copies `size` bytes out of the arena from `addr`. */
  read(addr: number, size: number): Uint8Array {
    return this.u8.slice(addr, addr + size);
  }

  private ensure(end: number): void {
    const have = this.memory.buffer.byteLength;
    if (end <= have) return;
    if (end > this.limit) throw new ArenaExhaustedError(end, this.limit);
    const want = Math.min(this.limit, Math.max(end, have * 2));
    this.memory.grow(Math.ceil((want - have) / PAGE));
    this.refresh();
  }

  private insert(region: Region): void {
    const rs = this.regions;
    let i = rs.length;
    while (i > 0 && rs[i - 1]!.start > region.start) i--;
    rs.splice(i, 0, region);
  }

  private takeFromFree(i: number, start: number, size: number): void {
    const b = this.free[i]!;
    const before = start - b.start;
    const after = b.start + b.size - (start + size);
    const parts: FreeBlock[] = [];
    if (before > 0) parts.push({ start: b.start, size: before });
    if (after > 0) parts.push({ start: start + size, size: after });
    this.free.splice(i, 1, ...parts);
  }

  private coalesce(): void {
    this.free.sort((a, b) => a.start - b.start);
    const out: FreeBlock[] = [];
    for (const b of this.free) {
      const last = out[out.length - 1];
      if (last && last.start + last.size === b.start) last.size += b.size;
      else out.push({ ...b });
    }
    const tail = out[out.length - 1];
    if (tail && tail.start + tail.size === this.top) {
      this.top = tail.start;
      out.pop();
    }
    this.free.length = 0;
    this.free.push(...out);
  }
}
