/**
 * The kernel's `bstr_printf` for the formats bpf_bprintf_prepare accepts: renders a format with
 * the binary argument buffer it prepared, as lib/vsprintf.c does (its number, string and pointer
 * rules, `%p` hashing, and the quirk that a pre-formatted argument met with a full buffer is
 * neither written nor consumed). Returns the bytes that fit in `size` (with room for the NUL) and
 * the length the whole output would have.
 */
import { isAlnum, symbolString } from './prepare.js';

const LEFT = 1;
const PLUS = 2;
const SPACE = 4;
const ZEROPAD = 8;
const SIGN = 16;
const SMALL = 32;
/** The widest field the kernel formats (`FIELD_WIDTH_MAX`). */
const FIELD_WIDTH_MAX = (1 << 23) - 1;

interface Spec {
  flags: number;
  width: number;
  base: number;
}

/** Maps a pointer to the 32-bit id `%p` prints instead of the address (the kernel's siphash with a boot-time key). */
export type PointerHash = (ptr: bigint) => number;

/** The simulator's stand-in for the kernel's keyed pointer hash: a fixed 64-bit mix, folded to 32 bits. */
export function simPointerHash(ptr: bigint): number {
  let z = BigInt.asUintN(64, ptr + 0x9e3779b97f4a7c15n);
  z = BigInt.asUintN(64, (z ^ (z >> 30n)) * 0xbf58476d1ce4e5b9n);
  z = BigInt.asUintN(64, (z ^ (z >> 27n)) * 0x94d049bb133111ebn);
  return Number((z ^ (z >> 31n)) & 0xffffffffn);
}

class Out {
  readonly bytes: number[] = [];
  len = 0;
  constructor(readonly size: number) {}
  put(b: number): void {
    if (this.len < this.size) this.bytes.push(b);
    this.len++;
  }
  putAll(bs: Iterable<number>): void {
    for (const b of bs) this.put(b);
  }
}

function number(out: Out, value: bigint, spec: Spec): void {
  let num = BigInt.asUintN(64, value);
  let width = spec.width;
  const flags = spec.flags & LEFT ? spec.flags & ~ZEROPAD : spec.flags;
  let sign = 0;
  if (flags & SIGN) {
    if (BigInt.asIntN(64, num) < 0n) {
      sign = 0x2d;
      num = BigInt.asUintN(64, -BigInt.asIntN(64, num));
      width--;
    } else if (flags & PLUS) {
      sign = 0x2b;
      width--;
    } else if (flags & SPACE) {
      sign = 0x20;
      width--;
    }
  }
  let digits = num.toString(spec.base);
  if (!(flags & SMALL)) digits = digits.toUpperCase();
  width -= digits.length;
  if (!(flags & (ZEROPAD | LEFT))) for (; width > 0; width--) out.put(0x20);
  if (sign) out.put(sign);
  if (!(flags & LEFT)) for (; width > 0; width--) out.put(flags & ZEROPAD ? 0x30 : 0x20);
  for (let i = 0; i < digits.length; i++) out.put(digits.charCodeAt(i));
  for (; width > 0; width--) out.put(0x20);
}

function string(out: Out, s: Uint8Array, spec: Spec): void {
  const pad = Math.max(0, spec.width - s.length);
  if (!(spec.flags & LEFT)) for (let i = 0; i < pad; i++) out.put(0x20);
  out.putAll(s);
  if (spec.flags & LEFT) for (let i = 0; i < pad; i++) out.put(0x20);
}

function pointer(out: Out, ext: number, ptr: bigint, spec: Spec, hash: PointerHash): void {
  if (ext === 0x53 || ext === 0x73) {
    string(out, new TextEncoder().encode(symbolString(ptr)), spec);
    return;
  }
  // %px prints the address; %p and %pK (kptr_restrict 0) print a hash, except for NULL and error pointers.
  const raw = ext === 0x78 || ptr === 0n || ptr >= 0xfffffffffffff001n;
  const s: Spec = { ...spec, base: 16, flags: spec.flags | SMALL };
  if (s.width === -1) {
    s.width = 16;
    s.flags |= ZEROPAD;
  }
  number(out, raw ? ptr : BigInt(hash(ptr)), s);
}

/** Renders `fmt` with the arguments in `bin` into at most `size` bytes (NUL included); see the file comment. */
export function bstrPrintf(fmt: Uint8Array, bin: Uint8Array, size: number, hash: PointerHash = simPointerHash): { bytes: Uint8Array; length: number } {
  const out = new Out(Math.max(0, size - 1));
  const limit = size;
  const view = new DataView(bin.buffer, bin.byteOffset, bin.byteLength);
  let args = 0;
  const at = (k: number): number => (k < fmt.length ? fmt[k]! : 0);
  const getArg = (bytes: 1 | 4 | 8): bigint => {
    if (bytes === 1) return BigInt(bin[args++] ?? 0);
    args = (args + 3) & ~3;
    const v = bytes === 8 ? view.getBigUint64(args, true) : BigInt(view.getUint32(args, true));
    args += bytes;
    return v;
  };
  const cstr = (): Uint8Array => {
    let e = args;
    while (e < bin.length && bin[e] !== 0) e++;
    const s = bin.subarray(args, e);
    args = e + 1;
    return s;
  };
  let i = 0;
  while (i < fmt.length) {
    if (at(i) !== 0x25) {
      out.put(at(i++));
      continue;
    }
    i++;
    if (at(i) === 0x25) {
      out.put(0x25);
      i++;
      continue;
    }
    const spec: Spec = { flags: 0, width: -1, base: 10 };
    for (;;) {
      const f = at(i);
      if (f === 0x2d) spec.flags |= LEFT;
      else if (f === 0x2b) spec.flags |= PLUS;
      else if (f === 0x20) spec.flags |= SPACE;
      else if (f === 0x30) spec.flags |= ZEROPAD;
      else break;
      i++;
    }
    if (at(i) >= 0x30 && at(i) <= 0x39) {
      let w = 0;
      while (at(i) >= 0x30 && at(i) <= 0x39) w = Math.min(w * 10 + at(i++) - 0x30, FIELD_WIDTH_MAX);
      spec.width = w;
    }
    let long = 0;
    while (at(i) === 0x6c) {
      long++;
      i++;
    }
    const conv = at(i++);
    switch (conv) {
      case 0x63: { // %c
        const c = Number(getArg(1));
        string(out, Uint8Array.of(c), spec);
        break;
      }
      case 0x73: // %s
        string(out, cstr(), spec);
        break;
      case 0x70: { // %p and its extensions
        const ext = at(i);
        if ([0x53, 0x73, 0x78, 0x4b].includes(ext) || !isAlnum(ext)) pointer(out, ext, getArg(8), spec, hash);
        else if (out.len < limit) out.putAll(cstr());
        while (isAlnum(at(i))) i++;
        break;
      }
      default: { // d i u x X
        const wide = long > 0;
        let v = getArg(wide ? 8 : 4);
        if (conv === 0x64 || conv === 0x69) {
          spec.flags |= SIGN;
          if (!wide) v = BigInt.asIntN(32, v);
        }
        if (conv === 0x78) spec.flags |= SMALL;
        if (conv === 0x78 || conv === 0x58) spec.base = 16;
        number(out, v, spec);
      }
    }
  }
  return { bytes: Uint8Array.from(out.bytes), length: out.len };
}
