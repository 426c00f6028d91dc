/**
 * The special fields of a map value, found in the value type's BTF as the kernel finds them
 * (`btf_parse_fields`): a `struct bpf_spin_lock` (4 bytes) and a `struct bpf_timer` (16 bytes),
 * as members of the value struct or of structs nested in it. Maps keep them out of value copies,
 * zero them in what userspace reads and in new elements, and BPF_F_LOCK needs the spin lock.
 * A small reader of the BTF wire format: the maps layer cannot use the ELF loader's.
 */
import { ERRNO } from '../errno.js';
import type { MapSpec } from './spec.js';

/** A special field of a map value. */
export interface SpecialField {
  /** What it is. */
  readonly kind: 'spin_lock' | 'timer';
  /** Its byte offset in the value. */
  readonly offset: number;
  /** Its size: 4 for a spin lock, 16 for a timer. */
  readonly size: number;
}

/** The fields, or the errno and reason BPF_MAP_CREATE (or BPF_BTF_LOAD) refuses the BTF with. */
export type FieldsResult = { readonly fields: readonly SpecialField[] } | { readonly errno: number; readonly why: string };

const KIND_INT = 1;
const KIND_PTR = 2;
const KIND_ARRAY = 3;
const KIND_STRUCT = 4;
const KIND_UNION = 5;
const KIND_ENUM = 6;
const KIND_TYPEDEF = 8;
const KIND_VOLATILE = 9;
const KIND_CONST = 10;
const KIND_RESTRICT = 11;
const KIND_FUNC_PROTO = 13;
const KIND_VAR = 14;
const KIND_DATASEC = 15;
const KIND_FLOAT = 16;
const KIND_DECL_TAG = 17;
const KIND_TYPE_TAG = 18;
const KIND_ENUM64 = 19;

interface RawType {
  readonly name: string;
  readonly kind: number;
  readonly vlen: number;
  readonly kflag: boolean;
  /** size, or the referenced type id. */
  readonly sizeOrType: number;
  /** Offset of the kind-specific data after the 12-byte header. */
  readonly extra: number;
}

/** A parsed BTF blob: its types by id (1-based) and a view to read their members. */
class BtfTypes {
  readonly types: (RawType | undefined)[] = [undefined];
  readonly view: DataView;

  constructor(raw: Uint8Array) {
    this.view = new DataView(raw.buffer, raw.byteOffset, raw.byteLength);
    const v = this.view;
    if (raw.length < 24 || v.getUint16(0, true) !== 0xeb9f) throw new RangeError('not BTF (bad magic)');
    const hdr = v.getUint32(4, true);
    const typeOff = hdr + v.getUint32(8, true);
    const typeEnd = typeOff + v.getUint32(12, true);
    const strOff = hdr + v.getUint32(16, true);
    const strEnd = strOff + v.getUint32(20, true);
    if (typeEnd > raw.length || strEnd > raw.length) throw new RangeError('BTF sections run past its end');
    const str = (off: number): string => {
      let e = strOff + off;
      while (e < strEnd && raw[e] !== 0) e++;
      return new TextDecoder().decode(raw.subarray(strOff + off, e));
    };
    for (let at = typeOff; at < typeEnd;) {
      const info = v.getUint32(at + 4, true);
      const kind = (info >>> 24) & 0x1f;
      const vlen = info & 0xffff;
      const t: RawType = { name: str(v.getUint32(at, true)), kind, vlen, kflag: (info >>> 31) === 1, sizeOrType: v.getUint32(at + 8, true), extra: at + 12 };
      this.types.push(t);
      at += 12 + extraSize(kind, vlen);
    }
  }

  /** The type id with modifiers and typedefs peeled off. */
  resolve(id: number): number {
    for (let n = 0; n < 64; n++) {
      const t = this.types[id];
      if (!t || ![KIND_TYPEDEF, KIND_VOLATILE, KIND_CONST, KIND_RESTRICT, KIND_TYPE_TAG].includes(t.kind)) return id;
      id = t.sizeOrType;
    }
    return id;
  }

  /** The size of a type in bytes, or -1 when it has none. */
  size(id: number): number {
    const t = this.types[this.resolve(id)];
    if (!t) return -1;
    switch (t.kind) {
      case KIND_INT: case KIND_STRUCT: case KIND_UNION: case KIND_ENUM: case KIND_ENUM64: case KIND_FLOAT: case KIND_DATASEC:
        return t.sizeOrType;
      case KIND_PTR:
        return 8;
      case KIND_ARRAY: {
        const elem = this.size(this.view.getUint32(t.extra, true));
        return elem < 0 ? -1 : elem * this.view.getUint32(t.extra + 8, true);
      }
      default:
        return -1;
    }
  }
}

function extraSize(kind: number, vlen: number): number {
  switch (kind) {
    case KIND_INT: case KIND_VAR: case KIND_DECL_TAG: return 4;
    case KIND_ARRAY: return 12;
    case KIND_STRUCT: case KIND_UNION: case KIND_DATASEC: case KIND_ENUM64: return 12 * vlen;
    case KIND_ENUM: case KIND_FUNC_PROTO: return 8 * vlen;
    default: return 0;
  }
}

/** Collects the special fields of struct `id` at byte offset `base`, nested structs included. */
function collect(btf: BtfTypes, id: number, base: number, out: SpecialField[]): void {
  const t = btf.types[btf.resolve(id)];
  if (!t || t.kind !== KIND_STRUCT) return;
  for (let i = 0; i < t.vlen; i++) {
    const at = t.extra + 12 * i;
    const member = btf.resolve(btf.view.getUint32(at + 4, true));
    const raw = btf.view.getUint32(at + 8, true);
    const bits = t.kflag ? raw & 0xffffff : raw;
    const offset = base + Math.floor(bits / 8);
    const m = btf.types[member];
    if (!m || m.kind !== KIND_STRUCT) continue;
    if (m.name === 'bpf_spin_lock') out.push({ kind: 'spin_lock', offset, size: 4 });
    else if (m.name === 'bpf_timer') out.push({ kind: 'timer', offset, size: 16 });
    else collect(btf, member, offset, out);
  }
}

/** The special fields of a map spec's value (none without BTF), or why the kernel refuses the BTF. */
export function specialFields(spec: MapSpec): FieldsResult {
  const b = spec.btf;
  if (!b) return { fields: [] };
  let btf: BtfTypes;
  try {
    btf = new BtfTypes(b.raw);
  } catch (e) {
    return { errno: ERRNO.EINVAL, why: `the map's BTF cannot be read: ${(e as Error).message}` };
  }
  if (b.keyTypeId && btf.size(b.keyTypeId) !== spec.keySize) return { errno: ERRNO.EINVAL, why: `BTF key type ${b.keyTypeId} is not ${spec.keySize} bytes` };
  if (btf.size(b.valueTypeId) !== spec.valueSize) return { errno: ERRNO.EINVAL, why: `BTF value type ${b.valueTypeId} is not ${spec.valueSize} bytes` };
  const fields: SpecialField[] = [];
  collect(btf, b.valueTypeId, 0, fields);
  for (const kind of ['spin_lock', 'timer'] as const) {
    if (fields.filter((f) => f.kind === kind).length > 1) return { errno: ERRNO.E2BIG, why: `the value has more than one bpf_${kind}` };
  }
  return { fields };
}
