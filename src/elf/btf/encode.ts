/*
 * The BTF encoder: a Btf back to the bytes the kernel's BPF_BTF_LOAD takes. The string section of a
 * parsed BTF is kept as it was and new names are appended, so string offsets that other records
 * hold (line_info's file and line text) stay valid after a fix-up.
 */
import { Writer, decodeUtf8, encodeUtf8 } from '../bytes.js';
import { BtfError } from '../errors.js';
import type { Btf } from './btf.js';
import {
  BTF_KIND_ARRAY, BTF_KIND_DATASEC, BTF_KIND_DECL_TAG, BTF_KIND_ENUM, BTF_KIND_ENUM64, BTF_KIND_FLOAT,
  BTF_KIND_FUNC, BTF_KIND_FUNC_PROTO, BTF_KIND_FWD, BTF_KIND_INT, BTF_KIND_STRUCT, BTF_KIND_UNION,
  BTF_KIND_UNKN, BTF_KIND_VAR, BTF_MAGIC, BTF_VERSION, type BtfType,
} from './types.js';

/** A BTF string section under construction: existing strings keep their offsets, new ones are appended. */
export class BtfStrings {
  readonly #w = new Writer();
  readonly #offsets = new Map<string, number>();

  /** Starts from `base` (a parsed BTF's string section), or from just the empty string. */
  constructor(base: Uint8Array = new Uint8Array(1)) {
    const start = base.length > 0 && base[0] === 0 ? base : new Uint8Array(1);
    this.#w.bytes(start);
    if (start[start.length - 1] !== 0) this.#w.u8(0);
    for (let at = 0; at < start.length;) {
      let end = start.indexOf(0, at);
      if (end < 0) end = start.length;
      const s = decodeUtf8(start.subarray(at, end));
      if (!this.#offsets.has(s)) this.#offsets.set(s, at);
      at = end + 1;
    }
  }

  /** The offset of `s`, appending it when it is not there yet. */
  add(s: string): number {
    const known = this.#offsets.get(s);
    if (known !== undefined) return known;
    const off = this.#w.length;
    this.#w.bytes(encodeUtf8(s)).u8(0);
    this.#offsets.set(s, off);
    return off;
  }

  /** The offset of `s` if it is in the section. */
  offsetOf(s: string): number | undefined {
    return this.#offsets.get(s);
  }

  /** The string section's bytes. */
  finish(): Uint8Array {
    return this.#w.finish();
  }
}

/** BTF bytes and the string offsets they were written with. */
export interface EncodedBtf {
  /** Header, type section and string section. */
  readonly bytes: Uint8Array;
  /** The offset of a string in the written string section, if it is there. */
  stringOffset(s: string): number | undefined;
}

function info(kind: number, vlen: number, kflag: boolean): number {
  return ((kflag ? 1 : 0) << 31 | (kind & 0x1f) << 24 | (vlen & 0xffff)) >>> 0;
}

function checkVlen(id: number, n: number): number {
  if (n > 0xffff) throw new BtfError({ section: `type [${id}]` }, `${n} members do not fit in BTF's 16-bit vlen`);
  return n;
}

function writeType(w: Writer, s: BtfStrings, t: BtfType, id: number): void {
  const name = t.name ? s.add(t.name) : 0;
  switch (t.kind) {
    case BTF_KIND_INT:
      w.u32(name).u32(info(t.kind, 0, false)).u32(t.size);
      w.u32(((t.encoding & 0xf) << 24) | ((t.offset & 0xff) << 16) | (t.bits & 0xff));
      return;
    case BTF_KIND_ARRAY:
      w.u32(0).u32(info(t.kind, 0, false)).u32(0).u32(t.type).u32(t.indexType).u32(t.nelems);
      return;
    case BTF_KIND_STRUCT: case BTF_KIND_UNION:
      w.u32(name).u32(info(t.kind, checkVlen(id, t.members.length), t.bitfields)).u32(t.size);
      for (const m of t.members) {
        w.u32(m.name ? s.add(m.name) : 0).u32(m.type);
        w.u32(t.bitfields ? ((m.bitfieldSize & 0xff) << 24 | (m.bitOffset & 0xffffff)) >>> 0 : m.bitOffset);
      }
      return;
    case BTF_KIND_ENUM:
      w.u32(name).u32(info(t.kind, checkVlen(id, t.values.length), t.signed)).u32(t.size);
      for (const v of t.values) w.u32(v.name ? s.add(v.name) : 0).u32(Number(BigInt.asUintN(32, v.value)));
      return;
    case BTF_KIND_ENUM64:
      w.u32(name).u32(info(t.kind, checkVlen(id, t.values.length), t.signed)).u32(t.size);
      for (const v of t.values) {
        const u = BigInt.asUintN(64, v.value);
        w.u32(v.name ? s.add(v.name) : 0).u32(Number(u & 0xffffffffn)).u32(Number(u >> 32n));
      }
      return;
    case BTF_KIND_FWD:
      w.u32(name).u32(info(t.kind, 0, t.union)).u32(0);
      return;
    case BTF_KIND_FUNC:
      w.u32(name).u32(info(t.kind, t.linkage, false)).u32(t.type);
      return;
    case BTF_KIND_FUNC_PROTO:
      w.u32(0).u32(info(t.kind, checkVlen(id, t.params.length), false)).u32(t.type);
      for (const p of t.params) w.u32(p.name ? s.add(p.name) : 0).u32(p.type);
      return;
    case BTF_KIND_VAR:
      w.u32(name).u32(info(t.kind, 0, false)).u32(t.type).u32(t.linkage);
      return;
    case BTF_KIND_DATASEC:
      w.u32(name).u32(info(t.kind, checkVlen(id, t.vars.length), false)).u32(t.size);
      for (const v of t.vars) w.u32(v.type).u32(v.offset).u32(v.size);
      return;
    case BTF_KIND_FLOAT:
      w.u32(name).u32(info(t.kind, 0, false)).u32(t.size);
      return;
    case BTF_KIND_DECL_TAG:
      w.u32(name).u32(info(t.kind, 0, t.attribute === true)).u32(t.type).i32(t.componentIdx);
      return;
    case BTF_KIND_UNKN:
      throw new BtfError({ section: `type [${id}]` }, 'void can only be type 0');
    default:
      w.u32(name).u32(info(t.kind, 0, t.attribute === true)).u32(t.type);
  }
}

/** Encodes a Btf (types 1…n; type 0 is implicit) with its string section extended as needed. */
export function encodeBtf(btf: Btf): EncodedBtf {
  const strings = new BtfStrings(btf.strings);
  const types = new Writer();
  btf.types.forEach((t, id) => {
    if (id > 0) writeType(types, strings, t, id);
  });
  const typeBytes = types.finish();
  const strBytes = strings.finish();
  const out = new Writer();
  out.u16(BTF_MAGIC).u8(BTF_VERSION).u8(0).u32(24);
  out.u32(0).u32(typeBytes.length).u32(typeBytes.length).u32(strBytes.length);
  out.bytes(typeBytes).bytes(strBytes);
  return { bytes: out.finish(), stringOffset: (s) => strings.offsetOf(s) };
}
