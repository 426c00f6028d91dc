import type { Region } from '../arena/index.js';
import { round8 } from './errors.js';

/** Where a SlotPool gets its memory: the owning map's region allocator. */
export type RegionAllocator = (size: number, name: string) => Region;

interface Chunk {
  readonly first: number;
  readonly count: number;
  /** Start of the chunk's elements (non-per-CPU: key then value; per-CPU: keys only). */
  readonly base: number;
  /** Per-CPU value areas (empty for non-per-CPU pools). */
  readonly cpuBases: readonly number[];
}

/** Layout of the elements of a SlotPool. */
export interface SlotLayout {
  /** Key bytes per element (0 for none). */
  readonly keySize: number;
  /** Value bytes per element (per CPU for per-CPU pools). */
  readonly valueSize: number;
  /** Number of value copies: 0 for one shared value, else the CPU count. */
  readonly cpus: number;
}

const FIRST_LAZY_CHUNK = 16;

/**
 * Element storage in the arena, as the kernel's preallocated htab elements or its on-demand
 * allocations: numbered slots, each with a key and a value (one per CPU for per-CPU maps) at fixed
 * addresses. A freed slot keeps its memory, so a value pointer a program holds stays valid.
 */
export class SlotPool {
  /** Bytes from an element's key to its value (non-per-CPU pools). */
  readonly keyStride: number;
  /** Bytes of one value copy, rounded up to 8. */
  readonly valueStride: number;
  private readonly elemSize: number;
  private readonly chunks: Chunk[] = [];
  private readonly free: number[] = [];
  private allocated = 0;

  constructor(
    private readonly layout: SlotLayout,
    /** The most slots the pool may hold. */
    readonly capacity: number,
    prealloc: boolean,
    private readonly allocRegion: RegionAllocator,
  ) {
    this.keyStride = round8(layout.keySize);
    this.valueStride = round8(layout.valueSize);
    this.elemSize = layout.cpus ? this.keyStride : this.keyStride + this.valueStride;
    if (prealloc) this.grow(capacity);
  }

  /** A free slot, or -1 when all `capacity` slots are in use. */
  alloc(): number {
    const slot = this.free.pop();
    if (slot !== undefined) return slot;
    if (this.allocated >= this.capacity) return -1;
    const last = this.chunks[this.chunks.length - 1];
    this.grow(Math.min(this.capacity - this.allocated, last ? last.count * 2 : FIRST_LAZY_CHUNK));
    return this.free.pop()!;
  }

  /** Returns a slot; its memory stays as it was. */
  release(slot: number): void {
    this.free.push(slot);
  }

  /** Address of the slot's key. */
  keyAddr(slot: number): number {
    const c = this.chunkOf(slot);
    return c.base + (slot - c.first) * this.elemSize;
  }

  /** Address of the slot's value (the copy of `cpu` for per-CPU pools). */
  valueAddr(slot: number, cpu = 0): number {
    const c = this.chunkOf(slot);
    const i = slot - c.first;
    return this.layout.cpus ? c.cpuBases[cpu]! + i * this.valueStride : c.base + i * this.elemSize + this.keyStride;
  }

  private grow(count: number): void {
    if (count <= 0) return;
    const first = this.allocated;
    const perCpu = count * this.valueStride;
    const base = this.allocRegion(count * this.elemSize + this.layout.cpus * perCpu, `${first}..${first + count - 1}`).start;
    const cpuBases: number[] = [];
    for (let cpu = 0; cpu < this.layout.cpus; cpu++) cpuBases.push(base + count * this.elemSize + cpu * perCpu);
    this.chunks.push({ first, count, base, cpuBases });
    this.allocated += count;
    for (let s = first + count - 1; s >= first; s--) this.free.push(s);
  }

  private chunkOf(slot: number): Chunk {
    const cs = this.chunks;
    let lo = 0;
    let hi = cs.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if (cs[mid]!.first <= slot) lo = mid;
      else hi = mid - 1;
    }
    return cs[lo]!;
  }
}
