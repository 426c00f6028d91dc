/** What a region of the arena holds; checked mode names it in faults. */
export type RegionKind =
  | 'stack'
  | 'ctx'
  | 'packet'
  | 'input'
  | 'map'
  | 'map_value'
  | 'ringbuf'
  | 'global'
  | 'mem';

/** A contiguous range of the arena that BPF code may access. */
export interface Region {
  /** Arena offset of the first byte (never below the guard). */
  readonly start: number;
  /** Length in bytes. */
  readonly size: number;
  /** What the region holds. */
  readonly kind: RegionKind;
  /** A name for faults and debuggers, e.g. `stack[cpu0/frame1]` or `map_value[counts]`. */
  readonly name: string;
  /** Whether BPF stores into the region are allowed in checked mode. */
  writable: boolean;
}

/** Options for `Arena.alloc`. */
export interface AllocOptions {
  /** Whether programs may store into the region (default true). */
  readonly writable?: boolean;
  /** Alignment of the start offset, a power of two (default 8). */
  readonly align?: number;
  /** Whether the bytes must be zeroed (default true). */
  readonly zero?: boolean;
  /** Whether the region is entered in the region table that checked mode consults (default true). */
  readonly mapped?: boolean;
}
