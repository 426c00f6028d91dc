/*
 * Applying CO-RE relocations (libbpf's bpf_core_calc_relo_insn and bpf_core_patch_insn): find
 * candidate target types by essential name, match the local access against each, require every
 * matching candidate to agree, then patch the instruction's immediate, offset or load size, or
 * poison it (`call 0xbad2310`) when the target lacks what it accesses.
 */
import { BPF_ALU, BPF_ALU64, BPF_CALL, BPF_DW, BPF_B, BPF_H, BPF_JMP, BPF_K, BPF_LD, BPF_LDX, BPF_ST, BPF_STX, BPF_W, LD_IMM64, insnClass, insnSize, insnSrc, type Insn } from '../../isa/index.js';
import type { Btf } from '../btf/btf.js';
import { BtfError } from '../errors.js';
import {
  BTF_INT_SIGNED, BTF_KIND_ENUM, BTF_KIND_ENUM64, BTF_KIND_INT, BTF_KIND_PTR, BTF_KIND_STRUCT, BTF_KIND_UNION,
  type BtfType,
} from '../btf/types.js';
import {
  BPF_CORE_FIELD_BYTE_OFFSET, BPF_CORE_FIELD_BYTE_SIZE, BPF_CORE_FIELD_EXISTS, BPF_CORE_FIELD_LSHIFT_U64,
  BPF_CORE_FIELD_RSHIFT_U64, BPF_CORE_FIELD_SIGNED, BPF_CORE_TYPE_EXISTS, BPF_CORE_TYPE_ID_LOCAL,
  BPF_CORE_TYPE_ID_TARGET, BPF_CORE_TYPE_MATCHES, BPF_CORE_TYPE_SIZE, BPF_CORE_ENUMVAL_EXISTS, BPF_CORE_ENUMVAL_VALUE,
  CORE_KIND_NAMES, isEnumvalKind, isFieldKind, isTypeKind,
} from './kinds.js';
import { SpecError, essentialName, kindsCompatible, matchSpec, parseSpec, type CoreSpec } from './spec.js';

/** The imm of a poisoned instruction: `call 0xbad2310` ("bad relo"), as libbpf writes it. */
export const CORE_POISON_IMM = 0xbad2310;

/** A CO-RE relocation of one program instruction. */
export interface CoreRelocation {
  /** Slot index of the instruction in the program. */
  readonly insn: number;
  /** Local root type id in the object's BTF. */
  readonly typeId: number;
  /** Access string (`0:1:2`). */
  readonly accessStr: string;
  /** Relocation kind (BPF_CORE_*). */
  readonly kind: number;
}

/** What a CO-RE relocation resolved to. */
export interface CoreOutcome {
  readonly relo: CoreRelocation;
  /** The local access, as libbpf's debug output prints it. */
  readonly local: string;
  /** The matched target access, or undefined when nothing matched. */
  readonly target: string | undefined;
  /** Value the compiler assumed (from the local BTF). */
  readonly origValue: bigint;
  /** Value for the target. */
  readonly newValue: bigint;
  /** Whether the instruction was poisoned. */
  readonly poisoned: boolean;
}

interface Result {
  origVal: bigint;
  newVal: bigint;
  poison: boolean;
  validate: boolean;
  failMemszAdjust: boolean;
  origSz: number;
  newSz: number;
  origTypeId: number;
  newTypeId: number;
}

class Poison extends Error {}

const candidateIndex = new WeakMap<Btf, Map<string, number[]>>();

function byEssentialName(btf: Btf): Map<string, number[]> {
  let index = candidateIndex.get(btf);
  if (!index) {
    index = new Map();
    btf.types.forEach((t, id) => {
      if (!t.name) return;
      const key = essentialName(t.name);
      const list = index!.get(key);
      if (list) list.push(id);
      else index!.set(key, [id]);
    });
    candidateIndex.set(btf, index);
  }
  return index;
}

/** Target types that could correspond to local type `localId`: same essential name, compatible kind. */
export function coreCandidates(local: Btf, localId: number, target: Btf): number[] {
  const lt = local.type(localId);
  return (byEssentialName(target).get(essentialName(lt.name)) ?? []).filter((id) => kindsCompatible(lt, target.type(id)));
}

function member(spec: CoreSpec) {
  const acc = spec.spec[spec.spec.length - 1]!;
  const t = spec.btf.type(acc.typeId) as Extract<BtfType, { kind: 4 | 5 }>;
  return { acc, t };
}

/** bpf_core_calc_field_relo: the value of a field relocation for one side. */
function fieldValue(spec: CoreSpec | undefined, kind: number): { val: bigint; size: number; typeId: number; validate: boolean } {
  if (kind === BPF_CORE_FIELD_EXISTS) return { val: spec ? 1n : 0n, size: 0, typeId: 0, validate: true };
  if (!spec) throw new Poison();
  const { acc, t } = member(spec);
  const btf = spec.btf;
  if (acc.name === undefined) {
    if (kind === BPF_CORE_FIELD_BYTE_OFFSET) {
      return { val: BigInt(spec.bitOffset / 8 | 0), size: btf.resolveSize(acc.typeId), typeId: acc.typeId, validate: true };
    }
    if (kind === BPF_CORE_FIELD_BYTE_SIZE) return { val: BigInt(btf.resolveSize(acc.typeId)), size: 0, typeId: 0, validate: true };
    throw new SpecError(`relocation ${CORE_KIND_NAMES[kind]} cannot be applied to an array access`);
  }
  if (t.kind !== BTF_KIND_STRUCT && t.kind !== BTF_KIND_UNION) throw new SpecError('field access into a non-composite type');
  const m = t.members[acc.idx]!;
  const fieldTypeId = btf.skipMods(m.type);
  const mt = btf.type(fieldTypeId);
  const bitOff = spec.bitOffset;
  let bitSz = m.bitfieldSize;
  const bitfield = bitSz > 0;
  let byteSz: number;
  let byteOff: number;
  if (bitfield) {
    byteSz = (mt as { size?: number }).size ?? 0;
    if (byteSz <= 0) throw new SpecError(`bitfield of ${btf.describe(fieldTypeId)} has no size`);
    byteOff = Math.floor(bitOff / 8 / byteSz) * byteSz;
    while (bitOff + bitSz - byteOff * 8 > byteSz * 8) {
      if (byteSz >= 8) throw new SpecError('bitfield cannot be read with a 64-bit load');
      byteSz *= 2;
      byteOff = Math.floor(bitOff / 8 / byteSz) * byteSz;
    }
  } else {
    byteSz = btf.resolveSize(fieldTypeId);
    byteOff = Math.floor(bitOff / 8);
    bitSz = byteSz * 8;
  }
  switch (kind) {
    case BPF_CORE_FIELD_BYTE_OFFSET:
      return { val: BigInt(byteOff), size: bitfield ? 0 : byteSz, typeId: bitfield ? 0 : fieldTypeId, validate: !bitfield };
    case BPF_CORE_FIELD_BYTE_SIZE:
      return { val: BigInt(byteSz), size: 0, typeId: 0, validate: !bitfield };
    case BPF_CORE_FIELD_SIGNED: {
      const signed = ((mt.kind === BTF_KIND_ENUM || mt.kind === BTF_KIND_ENUM64) && mt.signed)
        || (mt.kind === BTF_KIND_INT && (mt.encoding & BTF_INT_SIGNED) !== 0);
      return { val: signed ? 1n : 0n, size: 0, typeId: 0, validate: true };
    }
    case BPF_CORE_FIELD_LSHIFT_U64:
      return { val: BigInt(64 - (bitOff + bitSz - byteOff * 8)), size: 0, typeId: 0, validate: !bitfield };
    case BPF_CORE_FIELD_RSHIFT_U64:
      return { val: BigInt(64 - bitSz), size: 0, typeId: 0, validate: true };
    default:
      throw new SpecError(`unsupported field relocation kind ${kind}`);
  }
}

function typeValue(spec: CoreSpec | undefined, kind: number): { val: bigint; validate: boolean } {
  if (!spec) return { val: 0n, validate: true };
  switch (kind) {
    case BPF_CORE_TYPE_ID_TARGET: return { val: BigInt(spec.rootTypeId), validate: false };
    case BPF_CORE_TYPE_EXISTS: case BPF_CORE_TYPE_MATCHES: return { val: 1n, validate: true };
    case BPF_CORE_TYPE_SIZE: return { val: BigInt(spec.btf.resolveSize(spec.rootTypeId)), validate: true };
    default: throw new SpecError(`unsupported type relocation kind ${kind}`);
  }
}

function enumValue(spec: CoreSpec | undefined, kind: number): bigint {
  if (kind === BPF_CORE_ENUMVAL_EXISTS) return spec ? 1n : 0n;
  if (kind !== BPF_CORE_ENUMVAL_VALUE) throw new SpecError(`unsupported enum relocation kind ${kind}`);
  if (!spec) throw new Poison();
  const acc = spec.spec[0]!;
  const t = spec.btf.type(acc.typeId) as Extract<BtfType, { kind: 6 | 19 }>;
  return BigInt.asUintN(64, t.values[acc.idx]!.value);
}

/** bpf_core_calc_relo: local and target values for one candidate (or none). */
function calc(local: CoreSpec, targ: CoreSpec | undefined): Result {
  const res: Result = { origVal: 0n, newVal: 0n, poison: false, validate: true, failMemszAdjust: false, origSz: 0, newSz: 0, origTypeId: 0, newTypeId: 0 };
  const kind = local.kind;
  try {
    if (isFieldKind(kind)) {
      const o = fieldValue(local, kind);
      const n = fieldValue(targ, kind);
      Object.assign(res, { origVal: o.val, origSz: o.size, origTypeId: o.typeId, validate: o.validate, newVal: n.val, newSz: n.size, newTypeId: n.typeId });
      if (res.origSz !== res.newSz) {
        const ot = local.btf.type(res.origTypeId);
        const nt = targ!.btf.type(res.newTypeId);
        const bothPtr = ot.kind === BTF_KIND_PTR && nt.kind === BTF_KIND_PTR;
        const bothUnsigned = ot.kind === BTF_KIND_INT && nt.kind === BTF_KIND_INT && ot.encoding !== BTF_INT_SIGNED && nt.encoding !== BTF_INT_SIGNED;
        res.failMemszAdjust = !bothPtr && !bothUnsigned;
      }
    } else if (isTypeKind(kind)) {
      const o = typeValue(local, kind);
      Object.assign(res, { origVal: o.val, validate: o.validate, newVal: typeValue(targ, kind).val });
    } else if (isEnumvalKind(kind)) {
      res.origVal = enumValue(local, kind);
      res.newVal = enumValue(targ, kind);
    } else {
      throw new SpecError(`unrecognized CO-RE relocation kind ${kind}`);
    }
  } catch (e) {
    if (!(e instanceof Poison)) throw e;
    res.poison = true;
  }
  return res;
}

/** The result for one relocation: the agreed value over all matching candidates (bpf_core_calc_relo_insn). */
function resolve(local: CoreSpec, target: Btf, cands: number[]): { res: Result; targ: CoreSpec | undefined; matched: number[] } {
  if (local.kind === BPF_CORE_TYPE_ID_LOCAL) {
    const id = BigInt(local.rootTypeId);
    return { res: { origVal: id, newVal: id, poison: false, validate: false, failMemszAdjust: false, origSz: 0, newSz: 0, origTypeId: 0, newTypeId: 0 }, targ: undefined, matched: [] };
  }
  let best: { res: Result; targ: CoreSpec } | undefined;
  const matched: number[] = [];
  for (const id of cands) {
    const targ = matchSpec(local, target, id);
    if (!targ) continue;
    const res = calc(local, targ);
    if (!best) {
      best = { res, targ };
    } else if (targ.bitOffset !== best.targ.bitOffset) {
      throw new SpecError(`field offset ambiguity: ${targ.bitOffset} != ${best.targ.bitOffset}`);
    } else if (res.poison !== best.res.poison || res.newVal !== best.res.newVal) {
      throw new SpecError(`relocation decision ambiguity: ${res.newVal} != ${best.res.newVal}`);
    }
    matched.push(id);
  }
  return best ? { ...best, matched } : { res: calc(local, undefined), targ: undefined, matched };
}

function poisonInsn(): Insn {
  return { code: BPF_JMP | BPF_CALL, dst: 0, src: 0, off: 0, imm: CORE_POISON_IMM };
}

const SIZE_CODE: Readonly<Record<number, number>> = { 1: BPF_B, 2: BPF_H, 4: BPF_W, 8: BPF_DW };
const SIZE_BYTES: Readonly<Record<number, number>> = { [BPF_B]: 1, [BPF_H]: 2, [BPF_W]: 4, [BPF_DW]: 8 };

function u64(n: number): bigint {
  return BigInt.asUintN(64, BigInt(n));
}

/** bpf_core_patch_insn, on a mutable copy of the program. */
function patch(insns: Insn[], i: number, res: Result, fail: (msg: string) => Error): boolean {
  const ins = insns[i];
  if (!ins) throw fail(`instruction ${i} does not exist`);
  const doPoison = () => {
    if (ins.code === LD_IMM64 && insns[i + 1]) insns[i + 1] = poisonInsn();
    insns[i] = poisonInsn();
    return true;
  };
  if (res.poison) return doPoison();
  const cls = insnClass(ins.code);
  switch (cls) {
    case BPF_ALU: case BPF_ALU64:
      if (insnSrc(ins.code) !== BPF_K) throw fail(`instruction ${i} is not an ALU operation with an immediate`);
      if (res.validate && u64(ins.imm) !== res.origVal) throw fail(`unexpected instruction ${i} (ALU/ALU64) value: got ${ins.imm >>> 0}, expected ${res.origVal} -> ${res.newVal}`);
      insns[i] = { ...ins, imm: Number(BigInt.asIntN(32, res.newVal)) };
      return false;
    case BPF_LDX: case BPF_ST: case BPF_STX: {
      if (res.validate && u64(ins.off) !== res.origVal) throw fail(`unexpected instruction ${i} (LDX/ST/STX) value: got ${ins.off}, expected ${res.origVal} -> ${res.newVal}`);
      if (res.newVal > 32767n) throw fail(`instruction ${i} (LDX/ST/STX) value too big: ${res.newVal}`);
      if (res.failMemszAdjust) return doPoison();
      let code = ins.code;
      if (res.newSz !== res.origSz) {
        const bytes = SIZE_BYTES[insnSize(ins.code)];
        if (bytes !== res.origSz) throw fail(`instruction ${i} (LDX/ST/STX) unexpected memory size: got ${bytes}, expected ${res.origSz}`);
        const sz = SIZE_CODE[res.newSz];
        if (sz === undefined) throw fail(`instruction ${i} (LDX/ST/STX) invalid new memory size: ${res.newSz}`);
        code = (ins.code & ~0x18) | sz;
      }
      insns[i] = { ...ins, code, off: Number(res.newVal) };
      return false;
    }
    case BPF_LD: {
      const hi = insns[i + 1];
      if (ins.code !== LD_IMM64 || !hi || ins.src !== 0 || ins.off !== 0 || hi.code !== 0 || hi.dst !== 0 || hi.src !== 0 || hi.off !== 0) {
        throw fail(`instruction ${i} (LDIMM64) has unexpected form`);
      }
      const imm = (u64(hi.imm) << 32n & 0xffffffff00000000n) | BigInt(ins.imm >>> 0);
      if (res.validate && imm !== res.origVal) throw fail(`unexpected instruction ${i} (LDIMM64) value: got ${imm}, expected ${res.origVal} -> ${res.newVal}`);
      insns[i] = { ...ins, imm: Number(BigInt.asIntN(32, res.newVal)) };
      insns[i + 1] = { ...hi, imm: Number(BigInt.asIntN(32, res.newVal >> 32n)) };
      return false;
    }
    default:
      throw fail(`trying to relocate unrecognized instruction ${i} (code 0x${ins.code.toString(16)})`);
  }
}

/** libbpf's text of a spec: `<byte_off> [5] struct iphdr.ihl (0:0 @ offset 0.0)`. */
export function formatSpec(spec: CoreSpec): string {
  const root = spec.btf.describe(spec.rootTypeId);
  let s = `<${CORE_KIND_NAMES[spec.kind] ?? spec.kind}> ${root}`;
  if (isTypeKind(spec.kind)) return s;
  if (isEnumvalKind(spec.kind)) {
    const acc = spec.spec[0];
    if (!acc) return s;
    const t = spec.btf.type(acc.typeId) as Extract<BtfType, { kind: 6 | 19 }>;
    return `${s}::${acc.name} = ${t.values[acc.idx]?.value}`;
  }
  spec.spec.forEach((acc, i) => {
    if (acc.name !== undefined) s += `.${acc.name}`;
    else if (i > 0 || acc.idx > 0) s += `[${acc.idx}]`;
  });
  const off = spec.bitOffset % 8 ? `${Math.floor(spec.bitOffset / 8)}.${spec.bitOffset % 8}` : `${spec.bitOffset / 8}`;
  return `${s} (${spec.raw.join(':')} @ offset ${off})`;
}

/**
 * Applies CO-RE relocations to a program (in place on `insns`) against `target`, as libbpf does at
 * load time. Poisons what the target lacks; throws a BtfError for malformed or ambiguous ones.
 */
export function applyCoreRelocations(
  insns: Insn[], relos: readonly CoreRelocation[], local: Btf, target: Btf, progName: string,
): CoreOutcome[] {
  const cands = new Map<number, number[]>();
  return relos.map((relo, n) => {
    const fail = (msg: string) => new BtfError({ section: `${progName}: CO-RE relocation #${n}`, offset: relo.insn * 8 }, msg);
    try {
      if (relo.typeId >= local.types.length) throw new SpecError(`type id ${relo.typeId} does not exist`);
      const spec = parseSpec(local, relo.typeId, relo.accessStr, relo.kind);
      if (relo.kind !== BPF_CORE_TYPE_ID_LOCAL && !local.type(relo.typeId).name) {
        throw new SpecError(`<${CORE_KIND_NAMES[relo.kind]}> relocation does not support anonymous types (${local.describe(relo.typeId)})`);
      }
      let list = cands.get(relo.typeId);
      if (!list) {
        list = relo.kind === BPF_CORE_TYPE_ID_LOCAL ? [] : coreCandidates(local, relo.typeId, target);
        cands.set(relo.typeId, list);
      }
      const { res, targ, matched } = resolve(spec, target, list);
      // As libbpf: candidates that failed to match drop out for later relocations of the same type.
      if (matched.length > 0) cands.set(relo.typeId, matched);
      const poisoned = patch(insns, relo.insn, res, fail);
      return {
        relo, local: formatSpec(spec), target: targ ? formatSpec(targ) : undefined,
        origValue: res.origVal, newValue: res.newVal, poisoned,
      };
    } catch (e) {
      if (e instanceof SpecError) throw fail(e.message);
      throw e;
    }
  });
}
