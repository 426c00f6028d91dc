/**
 * Context access rules as data: for each program type, which bytes of its context structure a
 * program may load or store, with which sizes, and what a load yields. This is what the kernel's
 * `*_is_valid_access` functions decide (measured exhaustively on Linux 6.18: every offset, every
 * size, loads and stores); the simulator maps contexts by these rules for checked mode and the
 * verifier checks programs against them.
 */

/** A load or store size in bytes. */
export type AccessSize = 1 | 2 | 4 | 8;

/** What a load of a pointer field yields (the verifier's register type after the load). */
export type CtxPtr =
  | 'pkt'
  | 'pkt_end'
  | 'pkt_meta'
  | 'sock_common_or_null'
  | 'socket'
  | 'socket_or_null'
  | 'flow_keys';

/** How a program may reach one field (or a window of one) of a context structure. */
export interface CtxField {
  /** The field's name in the UAPI structure. */
  readonly name: string;
  /** Byte offset of the window. */
  readonly off: number;
  /** Bytes in the window. */
  readonly size: number;
  /** Load sizes allowed, each at any offset in the window that is a multiple of the size. */
  readonly read: readonly AccessSize[];
  /** Store sizes allowed (BPF_STX of a register; the kernel refuses BPF_ST and atomics on contexts). */
  readonly write: readonly AccessSize[];
  /** What a full-size load yields when the field is a pointer. */
  readonly ptr?: CtxPtr;
  /**
   * Bytes of the kernel field a load reads after the rewrite (the verifier's `target_size`), when
   * fewer than the window: a narrow load at least that wide returns the whole kernel field.
   */
  readonly target?: number;
}

/** A context structure and the windows a program type may access. */
export interface CtxLayout {
  /** The UAPI structure, e.g. `struct __sk_buff`. */
  readonly struct: string;
  /** Its size in bytes. */
  readonly size: number;
  /** The accessible windows; an access is allowed when one of them allows it. */
  readonly fields: readonly CtxField[];
}

const NARROW: readonly AccessSize[] = [1, 2, 4];
const ANY: readonly AccessSize[] = [1, 2, 4, 8];

/** Options of a field rule: writable sizes, pointer type, kernel field width. */
export interface FieldOpts {
  /** Store sizes allowed (default none). */
  readonly write?: readonly AccessSize[];
  /** Pointer type of a load. */
  readonly ptr?: CtxPtr;
  /** Width of the kernel field behind it. */
  readonly target?: number;
}

function field(name: string, off: number, size: number, read: readonly AccessSize[], o: FieldOpts): CtxField {
  return {
    name, off, size, read, write: o.write ?? [],
    ...(o.ptr ? { ptr: o.ptr } : {}), ...(o.target ? { target: o.target } : {}),
  };
}

/** A u32 field readable with narrow loads (1, 2 or 4 bytes at any aligned offset inside it). */
export function narrow32(name: string, off: number, o: FieldOpts = {}): CtxField {
  return field(name, off, 4, NARROW, o);
}

/** A u32 field readable only as a whole. */
export function whole32(name: string, off: number, o: FieldOpts = {}): CtxField {
  return field(name, off, 4, [4], o);
}

/** A u64 (or pointer) field readable only as a whole. */
export function whole64(name: string, off: number, o: FieldOpts = {}): CtxField {
  return field(name, off, 8, [8], o);
}

/**
 * A u32 field whose narrow loads the kernel allows only at its first byte (the fields it matches
 * with `case offsetof(...)` instead of a range): windows of 1, 2 and 4 bytes at `off`.
 */
export function narrowAtStart(name: string, off: number, o: FieldOpts = {}): CtxField[] {
  return [field(name, off, 1, [1], o), field(name, off, 2, [2], o), field(name, off, 4, [4], o)];
}

/** A byte range readable (and maybe writable) with every size at aligned offsets. */
export function bytes(name: string, off: number, size: number, o: FieldOpts = {}): CtxField {
  return field(name, off, size, ANY, o);
}

/** A range of consecutive u32 fields readable only as whole words (`remote_ip6[4]`, …). */
export function words32(name: string, off: number, count: number): CtxField[] {
  return Array.from({ length: count }, (_, i) => whole32(count > 1 ? `${name}[${i}]` : name, off + 4 * i));
}

/** A custom window (for fields with their own rules). */
export function windowOf(name: string, off: number, size: number, read: readonly AccessSize[], o: FieldOpts = {}): CtxField {
  return field(name, off, size, read, o);
}

/** The window that allows an access, or undefined when the kernel's verifier refuses it. */
export function ctxAccess(layout: CtxLayout, off: number, size: number, write: boolean): CtxField | undefined {
  if (off < 0 || off % size !== 0 || off + size > layout.size) return undefined;
  for (const f of layout.fields) {
    if (off < f.off || off + size > f.off + f.size) continue;
    if ((write ? f.write : f.read).includes(size as AccessSize)) return f;
  }
  return undefined;
}

/** Byte ranges `[start, end)` a program may touch, merged where windows overlap, with whether any store is allowed. */
export function ctxSpans(layout: CtxLayout): { start: number; end: number; writable: boolean }[] {
  const spans = layout.fields
    .filter((f) => f.read.length > 0 || f.write.length > 0)
    .map((f) => ({ start: f.off, end: f.off + f.size, writable: f.write.length > 0 }))
    .sort((a, b) => a.start - b.start || b.end - a.end);
  const out: { start: number; end: number; writable: boolean }[] = [];
  for (const s of spans) {
    const last = out[out.length - 1];
    if (last && s.start < last.end) {
      last.end = Math.max(last.end, s.end);
      last.writable ||= s.writable;
    } else out.push({ ...s });
  }
  return out;
}
