/*
 * The BTF decoder: header, type section and string section of `.BTF` or a vmlinux BTF file. Every
 * type is checked as it is read (kind known, extra data inside the type section, name offsets
 * inside the string section) and every reference between types is checked afterwards, so the rest
 * of bpfsim can follow type ids without bounds checks.
 */
import { Reader } from '../bytes.js';
import { BtfError } from '../errors.js';
import { Btf } from './btf.js';
import {
  BTF_KIND_ARRAY, BTF_KIND_CONST, BTF_KIND_DATASEC, BTF_KIND_DECL_TAG, BTF_KIND_ENUM, BTF_KIND_ENUM64,
  BTF_KIND_FLOAT, BTF_KIND_FUNC, BTF_KIND_FUNC_PROTO, BTF_KIND_FWD, BTF_KIND_INT, BTF_KIND_PTR,
  BTF_KIND_RESTRICT, BTF_KIND_STRUCT, BTF_KIND_TYPEDEF, BTF_KIND_TYPE_TAG, BTF_KIND_UNION, BTF_KIND_VAR,
  BTF_KIND_VOLATILE, BTF_MAGIC, type BtfType,
} from './types.js';

/** The fields of the BTF header. */
export interface BtfHeader {
  readonly version: number;
  readonly flags: number;
  readonly hdrLen: number;
  readonly typeOff: number;
  readonly typeLen: number;
  readonly strOff: number;
  readonly strLen: number;
}

/** Reads and checks the BTF header; `section` names the input in errors. */
export function parseBtfHeader(bytes: Uint8Array, section = '.BTF'): BtfHeader {
  const r = new Reader(bytes, (offset, message) => new BtfError({ section, offset }, message));
  const magic = r.u16(0, 'magic');
  if (magic === 0x9feb) throw new BtfError({ section, offset: 0 }, 'big-endian BTF is not supported');
  if (magic !== BTF_MAGIC) throw new BtfError({ section, offset: 0 }, `bad magic 0x${magic.toString(16)} (expected 0xeb9f)`);
  const version = r.u8(2, 'version');
  if (version !== 1) throw new BtfError({ section, offset: 2 }, `unsupported BTF version ${version}`);
  const hdrLen = r.u32(4, 'hdr_len');
  if (hdrLen < 24) throw new BtfError({ section, offset: 4 }, `header length ${hdrLen} is shorter than 24 bytes`);
  r.need(0, hdrLen, 'the header');
  const h = {
    version, flags: r.u8(3), hdrLen,
    typeOff: r.u32(8), typeLen: r.u32(12), strOff: r.u32(16), strLen: r.u32(20),
  };
  for (const [what, off, len] of [['type section', h.typeOff, h.typeLen], ['string section', h.strOff, h.strLen]] as const) {
    if (hdrLen + off + len > bytes.length) {
      throw new BtfError({ section, offset: hdrLen + off }, `${what} (${len} bytes at ${off}) runs past the end (${bytes.length} bytes)`);
    }
  }
  if (h.typeOff % 4 !== 0) throw new BtfError({ section, offset: 8 }, `type section offset ${h.typeOff} is not 4-byte aligned`);
  return h;
}

/** Decodes BTF bytes (an object's `.BTF` or `/sys/kernel/btf/vmlinux`). */
export function parseBtf(bytes: Uint8Array, section = '.BTF'): Btf {
  const h = parseBtfHeader(bytes, section);
  const strings = new Uint8Array(bytes.subarray(h.hdrLen + h.strOff, h.hdrLen + h.strOff + h.strLen));
  if (strings.length > 0 && strings[0] !== 0) {
    throw new BtfError({ section, offset: h.hdrLen + h.strOff }, 'the string section does not start with an empty string');
  }
  const typeStart = h.hdrLen + h.typeOff;
  const r = new Reader(bytes.subarray(typeStart, typeStart + h.typeLen),
    (offset, message) => new BtfError({ section, offset: typeStart + offset }, message));
  const names = new Reader(strings, (offset, message) => new BtfError({ section, offset: h.hdrLen + h.strOff + offset }, message));
  const cache = new Map<number, string>();
  const name = (off: number, what: string): string => {
    if (off === 0) return '';
    let s = cache.get(off);
    if (s === undefined) {
      s = names.cstr(off, what);
      cache.set(off, s);
    }
    return s;
  };
  const types: BtfType[] = [{ kind: 0, name: '' }];
  for (let at = 0; at < r.length;) {
    const id = types.length;
    const t = readType(r, at, id, name);
    types.push(t.type);
    at = t.next;
  }
  const btf = new Btf(types, strings);
  checkReferences(btf, section);
  return btf;
}

function readType(r: Reader, at: number, id: number, name: (off: number, what: string) => string): { type: BtfType; next: number } {
  const what = `type [${id}]`;
  const nameOff = r.u32(at, what);
  const info = r.u32(at + 4, what);
  const sizeOrType = r.u32(at + 8, what);
  const kind = (info >>> 24) & 0x1f;
  const vlen = info & 0xffff;
  const kflag = (info >>> 31) === 1;
  const n = name(nameOff, `name of ${what}`);
  let p = at + 12;
  switch (kind) {
    case BTF_KIND_INT: {
      const v = r.u32(p, what);
      return { type: { kind, name: n, size: sizeOrType, encoding: (v >>> 24) & 0xf, offset: (v >>> 16) & 0xff, bits: v & 0xff }, next: p + 4 };
    }
    case BTF_KIND_PTR: case BTF_KIND_TYPEDEF: case BTF_KIND_VOLATILE: case BTF_KIND_CONST: case BTF_KIND_RESTRICT:
      return { type: { kind, name: n, type: sizeOrType }, next: p };
    case BTF_KIND_TYPE_TAG:
      return { type: { kind, name: n, type: sizeOrType, ...(kflag ? { attribute: true } : {}) }, next: p };
    case BTF_KIND_FWD:
      return { type: { kind, name: n, union: kflag }, next: p };
    case BTF_KIND_FUNC:
      return { type: { kind, name: n, type: sizeOrType, linkage: vlen }, next: p };
    case BTF_KIND_FLOAT:
      return { type: { kind, name: n, size: sizeOrType }, next: p };
    case BTF_KIND_ARRAY:
      return { type: { kind, name: '', type: r.u32(p, what), indexType: r.u32(p + 4, what), nelems: r.u32(p + 8, what) }, next: p + 12 };
    case BTF_KIND_STRUCT: case BTF_KIND_UNION: {
      r.need(p, vlen * 12, `members of ${what}`);
      const members = [];
      for (let i = 0; i < vlen; i++, p += 12) {
        const off = r.u32(p + 8);
        members.push({
          name: name(r.u32(p), `name of member ${i} of ${what}`), type: r.u32(p + 4),
          bitOffset: kflag ? off & 0xffffff : off, bitfieldSize: kflag ? off >>> 24 : 0,
        });
      }
      return { type: { kind, name: n, size: sizeOrType, bitfields: kflag, members }, next: p };
    }
    case BTF_KIND_ENUM: {
      r.need(p, vlen * 8, `values of ${what}`);
      const values = [];
      for (let i = 0; i < vlen; i++, p += 8) {
        const raw = r.i32(p + 4);
        values.push({ name: name(r.u32(p), `name of value ${i} of ${what}`), value: BigInt(kflag ? raw : raw >>> 0) });
      }
      return { type: { kind, name: n, size: sizeOrType, signed: kflag, values }, next: p };
    }
    case BTF_KIND_ENUM64: {
      r.need(p, vlen * 12, `values of ${what}`);
      const values = [];
      for (let i = 0; i < vlen; i++, p += 12) {
        const raw = (BigInt(r.u32(p + 8)) << 32n) | BigInt(r.u32(p + 4));
        values.push({ name: name(r.u32(p), `name of value ${i} of ${what}`), value: kflag ? BigInt.asIntN(64, raw) : raw });
      }
      return { type: { kind, name: n, size: sizeOrType, signed: kflag, values }, next: p };
    }
    case BTF_KIND_FUNC_PROTO: {
      r.need(p, vlen * 8, `parameters of ${what}`);
      const params = [];
      for (let i = 0; i < vlen; i++, p += 8) params.push({ name: name(r.u32(p), `name of parameter ${i} of ${what}`), type: r.u32(p + 4) });
      return { type: { kind, name: '', type: sizeOrType, params }, next: p };
    }
    case BTF_KIND_VAR:
      return { type: { kind, name: n, type: sizeOrType, linkage: r.u32(p, what) }, next: p + 4 };
    case BTF_KIND_DATASEC: {
      r.need(p, vlen * 12, `variables of ${what}`);
      const vars = [];
      for (let i = 0; i < vlen; i++, p += 12) vars.push({ type: r.u32(p), offset: r.u32(p + 4), size: r.u32(p + 8) });
      return { type: { kind, name: n, size: sizeOrType, vars }, next: p };
    }
    case BTF_KIND_DECL_TAG:
      return { type: { kind, name: n, type: sizeOrType, componentIdx: r.i32(p, what), ...(kflag ? { attribute: true } : {}) }, next: p + 4 };
    default:
      throw r.error(at + 4, `${what} has unknown kind ${kind}`);
  }
}

/** The type ids a type refers to. */
export function typeReferences(t: BtfType): number[] {
  switch (t.kind) {
    case BTF_KIND_ARRAY: return [t.type, t.indexType];
    case BTF_KIND_STRUCT: case BTF_KIND_UNION: return t.members.map((m) => m.type);
    case BTF_KIND_FUNC_PROTO: return [t.type, ...t.params.map((p) => p.type)];
    case BTF_KIND_DATASEC: return t.vars.map((v) => v.type);
    default: return 'type' in t ? [t.type] : [];
  }
}

function checkReferences(btf: Btf, section: string): void {
  const n = btf.types.length;
  btf.types.forEach((t, id) => {
    for (const ref of typeReferences(t)) {
      if (ref >= n) throw new BtfError({ section }, `type ${btf.describe(id)} refers to type [${ref}], which does not exist (${n} types)`);
    }
  });
}
