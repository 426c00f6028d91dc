/**
 * The kernel's `struct bpf_dynptr_kern` as it lies in the 16 bytes of a program's `struct
 * bpf_dynptr`: the data pointer (u64 at 0), the size word (u32 at 8: bits 0-23 the size, bits
 * 28-30 the type, bit 31 read-only) and the offset into the data (u32 at 12). A zeroed struct is
 * the invalid (NULL) dynptr.
 */

/** Bytes of a `struct bpf_dynptr`. */
export const BPF_DYNPTR_SIZE = 16;
/** The largest size a dynptr may have (the low 24 bits of the size word). */
export const DYNPTR_MAX_SIZE = 0xffffff;
/** Where the type sits in the size word. */
const DYNPTR_TYPE_SHIFT = 28;
/** Bit 31 of the size word: the dynptr's data may not be written through it. */
const DYNPTR_RDONLY_BIT = 0x80000000;

/** The kernel's `enum bpf_dynptr_type`, the kinds bpfsim creates. */
export const DynptrType = { INVALID: 0, LOCAL: 1, RINGBUF: 2 } as const;

/** A decoded dynptr. */
export interface Dynptr {
  /** Address of the data (0: the dynptr is invalid). */
  readonly data: number;
  /** Offset from `data` where the dynptr's view starts. */
  readonly offset: number;
  /** Usable bytes from `data + offset` (at most DYNPTR_MAX_SIZE). */
  readonly size: number;
  /** `DynptrType`. */
  readonly type: number;
  /** Whether writes through it are refused. */
  readonly rdonly: boolean;
}

/** The invalid dynptr (what a failed constructor leaves). */
export const NULL_DYNPTR: Dynptr = { data: 0, offset: 0, size: 0, type: DynptrType.INVALID, rdonly: false };

/** Writes `d` as a `struct bpf_dynptr_kern` at `addr`. */
export function encodeDynptr(view: DataView, addr: number, d: Dynptr): void {
  view.setUint32(addr, d.data >>> 0, true);
  view.setUint32(addr + 4, Math.floor(d.data / 0x100000000) >>> 0, true);
  const word = (d.size & DYNPTR_MAX_SIZE) | ((d.type & 7) << DYNPTR_TYPE_SHIFT) | (d.rdonly ? DYNPTR_RDONLY_BIT : 0);
  view.setUint32(addr + 8, word >>> 0, true);
  view.setUint32(addr + 12, d.offset >>> 0, true);
}

/** Reads the `struct bpf_dynptr_kern` at `addr`. */
export function decodeDynptr(view: DataView, addr: number): Dynptr {
  const data = view.getUint32(addr + 4, true) * 0x100000000 + view.getUint32(addr, true);
  const word = view.getUint32(addr + 8, true);
  return {
    data, offset: view.getUint32(addr + 12, true), size: word & DYNPTR_MAX_SIZE,
    type: (word >>> DYNPTR_TYPE_SHIFT) & 7, rdonly: (word & DYNPTR_RDONLY_BIT) !== 0,
  };
}
