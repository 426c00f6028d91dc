import type { Arena, Region } from '../../arena/index.js';
import { ctxSpans } from './ctx/access.js';
import type { CtxLayout } from './ctx/access.js';

/**
 * A context structure in the arena: one zeroed allocation, entered in the region table only where
 * the program type's access rules let a program reach it (fields it may not touch are holes, fields
 * it may only read are read-only regions), so that checked mode faults where the verifier would
 * refuse. The kernel rewrites context accesses into loads of its own structures; bpfsim keeps the
 * UAPI structure itself up to date instead, so loads see the same values.
 */
export class CtxMemory {
  /** Address of the structure (the program's r1). */
  readonly start: number;
  /** Its size in bytes. */
  readonly size: number;
  private readonly arena: Arena;
  private readonly block: Region;
  private readonly regions: Region[];

  constructor(arena: Arena, layout: CtxLayout, name: string) {
    this.arena = arena;
    this.size = layout.size;
    this.block = arena.alloc(layout.size, 'ctx', name, { mapped: false, align: 8 });
    this.start = this.block.start;
    this.regions = ctxSpans(layout).map((s) =>
      arena.map(this.start + s.start, s.end - s.start, 'ctx', `${name}+${s.start}`, s.writable));
  }

  /** The current DataView of the arena. */
  get view(): DataView {
    return this.arena.view;
  }

  /** The structure's bytes (a copy). */
  read(): Uint8Array {
    return this.arena.read(this.start, this.size);
  }

  /** Overwrites the structure's first bytes. */
  write(bytes: Uint8Array): void {
    this.arena.write(this.start, bytes.subarray(0, this.size));
  }

  /** Unmaps and frees the structure. */
  release(): void {
    for (const r of this.regions) this.arena.unmap(r);
    this.arena.release(this.block);
  }
}
