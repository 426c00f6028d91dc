/*
 * Typed map keys and values: integers (little-endian as the BPF target stores them, or big-endian
 * for network-order fields), fixed arrays and byte strings, and C structs laid out with natural
 * alignment and padding as clang lays them out for BPF.
 */

/** Converts values of type T to and from their bytes. */
export interface Codec<T> {
  /** Bytes of an encoded value. */
  readonly size: number;
  /** Alignment in a struct (the C type's natural alignment). */
  readonly align: number;
  /** Writes `value` at `offset` of `view`. */
  write(view: DataView, offset: number, value: T): void;
  /** Reads a value at `offset` of `view`. */
  read(view: DataView, offset: number): T;
  /** The bytes of `value`, padding zeroed. */
  encode(value: T): Uint8Array;
  /** The value held by `bytes` from `offset` (default 0). */
  decode(bytes: Uint8Array, offset?: number): T;
}

function makeCodec<T>(size: number, align: number, write: Codec<T>['write'], read: Codec<T>['read']): Codec<T> {
  return {
    size,
    align,
    write,
    read,
    encode(value: T): Uint8Array {
      const out = new Uint8Array(size);
      write(new DataView(out.buffer), 0, value);
      return out;
    },
    decode(bytes: Uint8Array, offset = 0): T {
      if (bytes.length - offset < size) throw new RangeError(`decode needs ${size} bytes, got ${bytes.length - offset}`);
      return read(new DataView(bytes.buffer, bytes.byteOffset, bytes.length), offset);
    },
  };
}

function intCodec(bits: 8 | 16 | 32, signed: boolean, littleEndian: boolean): Codec<number> {
  const size = bits / 8;
  const min = signed ? -(2 ** (bits - 1)) : 0;
  const max = signed ? 2 ** (bits - 1) - 1 : 2 ** bits - 1;
  const name = `${signed ? 'i' : littleEndian ? 'u' : 'be'}${bits}`;
  return makeCodec<number>(size, size, (view, offset, value) => {
    if (!Number.isInteger(value) || value < min || value > max) throw new RangeError(`${name}: ${value} is out of range ${min}..${max}`);
    if (bits === 8) view.setUint8(offset, value & 0xff);
    else if (bits === 16) view.setUint16(offset, value & 0xffff, littleEndian);
    else view.setUint32(offset, value >>> 0, littleEndian);
  }, (view, offset) => {
    if (bits === 8) return signed ? view.getInt8(offset) : view.getUint8(offset);
    if (bits === 16) return signed ? view.getInt16(offset, littleEndian) : view.getUint16(offset, littleEndian);
    return signed ? view.getInt32(offset, littleEndian) : view.getUint32(offset, littleEndian);
  });
}

function int64Codec(signed: boolean, littleEndian: boolean): Codec<bigint> {
  const min = signed ? -(1n << 63n) : 0n;
  const max = signed ? (1n << 63n) - 1n : (1n << 64n) - 1n;
  const name = signed ? 'i64' : littleEndian ? 'u64' : 'be64';
  return makeCodec<bigint>(8, 8, (view, offset, value) => {
    if (typeof value !== 'bigint' || value < min || value > max) throw new RangeError(`${name}: ${String(value)} is not a bigint in ${min}..${max}`);
    view.setBigUint64(offset, BigInt.asUintN(64, value), littleEndian);
  }, (view, offset) => (signed ? view.getBigInt64(offset, littleEndian) : view.getBigUint64(offset, littleEndian)));
}

/** Unsigned 8-bit integer. */
export const u8 = intCodec(8, false, true);
/** Unsigned 16-bit integer, little-endian. */
export const u16 = intCodec(16, false, true);
/** Unsigned 32-bit integer, little-endian. */
export const u32 = intCodec(32, false, true);
/** Unsigned 64-bit integer, little-endian, as a bigint. */
export const u64 = int64Codec(false, true);
/** Signed 8-bit integer. */
export const i8 = intCodec(8, true, true);
/** Signed 16-bit integer, little-endian. */
export const i16 = intCodec(16, true, true);
/** Signed 32-bit integer, little-endian. */
export const i32 = intCodec(32, true, true);
/** Signed 64-bit integer, little-endian, as a bigint. */
export const i64 = int64Codec(true, true);
/** Unsigned 16-bit integer in network byte order (`__be16`: ports). */
export const be16 = intCodec(16, false, false);
/** Unsigned 32-bit integer in network byte order (`__be32`: IPv4 addresses). */
export const be32 = intCodec(32, false, false);
/** Unsigned 64-bit integer in network byte order, as a bigint. */
export const be64 = int64Codec(false, false);

/** The integer codecs by C-like name, for struct field lists. */
export const scalars = { u8, u16, u32, u64, i8, i16, i32, i64, be16, be32, be64 } as const;

/** A scalar's name in a struct field list. */
export type ScalarName = keyof typeof scalars;
/** A struct field: a scalar name or any codec (a nested struct, an array, bytes). */
export type FieldSpec = ScalarName | Codec<any>;
/** The JavaScript type of a field. */
export type FieldValue<S> = S extends ScalarName ? ((typeof scalars)[S] extends Codec<infer T> ? T : never) : S extends Codec<infer T> ? T : never;
/** The JavaScript object a struct codec reads and writes. */
export type StructValue<F extends Record<string, FieldSpec>> = { [K in keyof F]: FieldValue<F[K]> };

/** A fixed-length byte string (`char[n]`, `__u8[n]`). */
export function bytes(length: number): Codec<Uint8Array> {
  return makeCodec<Uint8Array>(length, 1, (view, offset, value) => {
    if (value.length !== length) throw new RangeError(`bytes(${length}): got ${value.length} bytes`);
    new Uint8Array(view.buffer, view.byteOffset + offset, length).set(value);
  }, (view, offset) => new Uint8Array(view.buffer, view.byteOffset + offset, length).slice());
}

/** A fixed-length array of `elem`s. */
export function array<T>(elem: Codec<T>, length: number): Codec<T[]> {
  const stride = alignUp(elem.size, elem.align);
  return makeCodec<T[]>(stride * length, elem.align, (view, offset, value) => {
    if (value.length !== length) throw new RangeError(`array of ${length}: got ${value.length} elements`);
    value.forEach((v, i) => elem.write(view, offset + i * stride, v));
  }, (view, offset) => Array.from({ length }, (_, i) => elem.read(view, offset + i * stride)));
}

/**
 * A C struct: fields in order, each at the next offset aligned to its alignment, the size rounded
 * up to the largest alignment. `struct({ saddr: 'u32', dport: 'u16', proto: 'u8' })` is 8 bytes.
 */
export function struct<F extends Record<string, FieldSpec>>(fields: F): Codec<StructValue<F>> & { readonly offsets: Readonly<Record<keyof F, number>> } {
  const layout: [string, Codec<unknown>, number][] = [];
  let offset = 0;
  let align = 1;
  for (const [name, spec] of Object.entries(fields)) {
    const codec = (typeof spec === 'string' ? scalars[spec] : spec) as Codec<unknown> | undefined;
    if (!codec) throw new RangeError(`struct field ${name}: unknown type '${String(spec)}'`);
    offset = alignUp(offset, codec.align);
    layout.push([name, codec, offset]);
    offset += codec.size;
    align = Math.max(align, codec.align);
  }
  const size = alignUp(offset, align);
  const codec = makeCodec<StructValue<F>>(size, align, (view, at, value) => {
    for (const [name, field, off] of layout) {
      if (!(name in value)) throw new RangeError(`struct: field ${name} is missing`);
      field.write(view, at + off, (value as Record<string, unknown>)[name]);
    }
  }, (view, at) => {
    const out: Record<string, unknown> = {};
    for (const [name, field, off] of layout) out[name] = field.read(view, at + off);
    return out as StructValue<F>;
  });
  const offsets = Object.fromEntries(layout.map(([name, , off]) => [name, off])) as Record<keyof F, number>;
  return { ...codec, offsets };
}

/** A per-CPU value as userspace reads it: `ncpus` copies of `elem`, each in round_up(size, 8) bytes. */
export function perCpu<T>(elem: Codec<T>, ncpus: number): Codec<T[]> {
  const stride = alignUp(elem.size, 8);
  return makeCodec<T[]>(stride * ncpus, 8, (view, offset, value) => {
    if (value.length !== ncpus) throw new RangeError(`perCpu: got ${value.length} values for ${ncpus} CPUs`);
    value.forEach((v, cpu) => elem.write(view, offset + cpu * stride, v));
  }, (view, offset) => Array.from({ length: ncpus }, (_, cpu) => elem.read(view, offset + cpu * stride)));
}

function alignUp(n: number, align: number): number {
  return Math.ceil(n / align) * align;
}
