/*
 * Bounds-checked little-endian reads from a byte slice. Every read of an untrusted object goes
 * through a Reader, so a truncated or corrupt input ends in the caller's typed error (with the
 * section and offset) instead of a RangeError or a silently wrong value.
 */

/** Builds the error a Reader throws: `fail(offset, message)`. */
export type Fail = (offset: number, message: string) => Error;

/** A bounds-checked view of a byte slice. Offsets are relative to the slice. */
export class Reader {
  /** The slice read. */
  readonly bytes: Uint8Array;
  readonly #view: DataView;
  readonly #fail: Fail;

  /** Reads `bytes`, reporting problems through `fail`. */
  constructor(bytes: Uint8Array, fail: Fail) {
    this.bytes = bytes;
    this.#view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.#fail = fail;
  }

  /** Length of the slice in bytes. */
  get length(): number {
    return this.bytes.length;
  }

  /** Throws unless `[offset, offset + size)` lies inside the slice. */
  need(offset: number, size: number, what: string): void {
    if (!Number.isSafeInteger(offset) || offset < 0 || size < 0 || offset + size > this.bytes.length) {
      throw this.#fail(offset, `${what} (${size} bytes) runs past the end (${this.bytes.length} bytes)`);
    }
  }

  /** An error at `offset`, as this reader's owner reports them. */
  error(offset: number, message: string): Error {
    return this.#fail(offset, message);
  }

  /** The byte at `offset`; `what` names it in errors. */
  u8(offset: number, what = 'u8'): number {
    this.need(offset, 1, what);
    return this.bytes[offset]!;
  }

  /** The little-endian u16 at `offset`. */
  u16(offset: number, what = 'u16'): number {
    this.need(offset, 2, what);
    return this.#view.getUint16(offset, true);
  }

  /** The little-endian u32 at `offset`. */
  u32(offset: number, what = 'u32'): number {
    this.need(offset, 4, what);
    return this.#view.getUint32(offset, true);
  }

  /** The little-endian s32 at `offset`. */
  i32(offset: number, what = 'i32'): number {
    this.need(offset, 4, what);
    return this.#view.getInt32(offset, true);
  }

  /** The little-endian u64 at `offset`. */
  u64(offset: number, what = 'u64'): bigint {
    this.need(offset, 8, what);
    return this.#view.getBigUint64(offset, true);
  }

  /** A u64 that must fit in a safe integer (an offset or size), else an error naming `what`. */
  size64(offset: number, what: string): number {
    const v = this.u64(offset, what);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw this.#fail(offset, `${what} 0x${v.toString(16)} is too large`);
    return Number(v);
  }

  /** A sub-slice, checked. */
  slice(offset: number, size: number, what: string): Uint8Array {
    this.need(offset, size, what);
    return this.bytes.subarray(offset, offset + size);
  }

  /** The NUL-terminated string at `offset` (UTF-8); an error if it is unterminated. */
  cstr(offset: number, what = 'string'): string {
    if (!Number.isSafeInteger(offset) || offset < 0 || offset >= this.bytes.length) {
      throw this.#fail(offset, `${what} offset is outside the string table (${this.bytes.length} bytes)`);
    }
    const end = this.bytes.indexOf(0, offset);
    if (end < 0) throw this.#fail(offset, `${what} is not NUL-terminated`);
    return decodeUtf8(this.bytes.subarray(offset, end));
  }
}

const decoder = new TextDecoder();
const encoder = new TextEncoder();

/** Decodes UTF-8 (invalid sequences become U+FFFD). */
export function decodeUtf8(bytes: Uint8Array): string {
  return decoder.decode(bytes);
}

/** Encodes a string as UTF-8. */
export function encodeUtf8(text: string): Uint8Array {
  return encoder.encode(text);
}

/** A little-endian writer that grows as needed. */
export class Writer {
  #buf = new Uint8Array(256);
  #view = new DataView(this.#buf.buffer);
  #len = 0;

  /** Bytes written so far. */
  get length(): number {
    return this.#len;
  }

  #grow(n: number): void {
    if (this.#len + n <= this.#buf.length) return;
    let cap = this.#buf.length * 2;
    while (cap < this.#len + n) cap *= 2;
    const next = new Uint8Array(cap);
    next.set(this.#buf.subarray(0, this.#len));
    this.#buf = next;
    this.#view = new DataView(next.buffer);
  }

  /** Appends a byte. */
  u8(v: number): this {
    this.#grow(1);
    this.#buf[this.#len++] = v & 0xff;
    return this;
  }

  /** Appends a little-endian u16. */
  u16(v: number): this {
    this.#grow(2);
    this.#view.setUint16(this.#len, v, true);
    this.#len += 2;
    return this;
  }

  /** Appends a little-endian u32. */
  u32(v: number): this {
    this.#grow(4);
    this.#view.setUint32(this.#len, v >>> 0, true);
    this.#len += 4;
    return this;
  }

  /** Appends a little-endian s32. */
  i32(v: number): this {
    this.#grow(4);
    this.#view.setInt32(this.#len, v | 0, true);
    this.#len += 4;
    return this;
  }

  /** Appends a little-endian u64. */
  u64(v: bigint): this {
    this.#grow(8);
    this.#view.setBigUint64(this.#len, BigInt.asUintN(64, v), true);
    this.#len += 8;
    return this;
  }

  /** Appends bytes. */
  bytes(b: Uint8Array): this {
    this.#grow(b.length);
    this.#buf.set(b, this.#len);
    this.#len += b.length;
    return this;
  }


  /** A copy of what was written. */
  finish(): Uint8Array {
    return this.#buf.slice(0, this.#len);
  }
}
