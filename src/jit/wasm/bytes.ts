/** A growable byte buffer with the LEB128 encodings of the WebAssembly binary format. */
export class ByteWriter {
  // Small enough for V8 to allocate on the heap; most writers (sections, locals) stay that small.
  private buf = new Uint8Array(64);
  /** Bytes written so far. */
  length = 0;

  /** Appends one byte. */
  byte(b: number): void {
    if (this.length === this.buf.length) this.grow(1);
    this.buf[this.length++] = b;
  }

  /** Appends raw bytes. */
  bytes(b: Uint8Array | readonly number[]): void {
    if (this.length + b.length > this.buf.length) this.grow(b.length);
    this.buf.set(b, this.length);
    this.length += b.length;
  }

  /** Appends an unsigned LEB128 number (0 .. 2^32-1). */
  u32(v: number): void {
    let x = v >>> 0;
    for (;;) {
      const b = x & 0x7f;
      x >>>= 7;
      if (x === 0) { this.byte(b); return; }
      this.byte(b | 0x80);
    }
  }

  /** Appends a signed LEB128 32-bit number. */
  s32(v: number): void {
    let x = v | 0;
    for (;;) {
      const b = x & 0x7f;
      x >>= 7;
      if ((x === 0 && (b & 0x40) === 0) || (x === -1 && (b & 0x40) !== 0)) { this.byte(b); return; }
      this.byte(b | 0x80);
    }
  }

  /** Appends a signed LEB128 64-bit number given as signed 32-bit halves (no BigInt). */
  s64(lo: number, hi: number): void {
    let l = lo | 0;
    let h = hi | 0;
    for (;;) {
      const b = l & 0x7f;
      l = (l >>> 7) | (h << 25);
      h >>= 7;
      const done = (h === 0 && l === 0 && (b & 0x40) === 0) || (h === -1 && l === -1 && (b & 0x40) !== 0);
      if (done) { this.byte(b); return; }
      this.byte(b | 0x80);
    }
  }

  /** Appends a length-prefixed name (the JIT's names are ASCII). */
  name(s: string): void {
    this.u32(s.length);
    for (let i = 0; i < s.length; i++) this.byte(s.charCodeAt(i) & 0x7f);
  }

  /** Appends another writer's bytes, prefixed by their length. */
  sized(w: ByteWriter): void {
    this.u32(w.length);
    this.bytes(w.view());
  }

  /** The bytes written so far (a view, valid until the next write). */
  view(): Uint8Array {
    return this.buf.subarray(0, this.length);
  }

  private grow(need: number): void {
    const next = new Uint8Array(Math.max(this.buf.length * 2, this.length + need));
    next.set(this.buf.subarray(0, this.length));
    this.buf = next;
  }
}
