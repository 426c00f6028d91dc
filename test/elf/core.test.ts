import { describe, expect, test } from 'vitest';
import {
  BPF_ALU64, BPF_DW, BPF_K, BPF_LDX, BPF_MEM, BPF_MOV, BPF_W, LD_IMM64, insn, ldImm64, type Insn,
} from '../../src/isa/index.js';
import {
  BPF_CORE_ENUMVAL_EXISTS, BPF_CORE_ENUMVAL_VALUE, BPF_CORE_FIELD_BYTE_OFFSET, BPF_CORE_FIELD_BYTE_SIZE,
  BPF_CORE_FIELD_EXISTS, BPF_CORE_FIELD_LSHIFT_U64, BPF_CORE_FIELD_RSHIFT_U64, BPF_CORE_FIELD_SIGNED,
  BPF_CORE_TYPE_EXISTS, BPF_CORE_TYPE_ID_LOCAL, BPF_CORE_TYPE_ID_TARGET, BPF_CORE_TYPE_MATCHES, BPF_CORE_TYPE_SIZE,
  BTF_INT_SIGNED, BtfBuilder, BtfError, CORE_POISON_IMM, applyCoreRelocations, essentialName,
} from '../../src/elf/index.js';

/** The object's view: what the program was compiled against. */
function localBtf() {
  const b = new BtfBuilder();
  const int = b.int('int', 4, BTF_INT_SIGNED);
  const uint = b.int('unsigned int', 4);
  const char = b.int('char', 1);
  const anon = b.struct('', [['a', int], ['b', int]]);
  const task = b.struct('task', [['pid', int], ['', anon], ['comm', b.array(char, 16)], ['flags', uint, 3], ['mode', uint, 5], ['count', uint], ['delta', int]]);
  const v2 = b.struct('task___v2', [['pid', int], ['gone', int]]);
  const missing = b.struct('not_there', [['x', int]]);
  const e = b.enum('color', [['RED', 0], ['GREEN', 1], ['PURPLE', 9]]);
  const anonTop = b.struct('', [['x', int]]);
  return { btf: b.build(), int, task, v2, missing, e, anonTop };
}

/** The kernel's view: the same things laid out differently. */
function targetBtf(opts: { twoTasks?: boolean } = {}) {
  const b = new BtfBuilder();
  const int = b.int('int', 4, BTF_INT_SIGNED);
  const uint = b.int('unsigned int', 4);
  const ulong = b.int('long unsigned int', 8);
  const long = b.int('long int', 8, BTF_INT_SIGNED);
  const char = b.int('char', 1);
  const inner = b.struct('', [['b', int], ['a', int]]);
  const u = b.union('', [['', inner], ['raw', long]]);
  const task = b.struct('task', [
    ['state', long], ['pid', int], ['', u], ['comm', b.array(char, 32)], ['mode', uint, 6], ['flags', uint, 4],
    ['count', ulong], ['delta', long],
  ]);
  if (opts.twoTasks) b.struct('task___other', [['pid', int]]);
  const e = b.enum('color', [['GREEN', 5], ['RED', 6], ['BLUE', 0x1_0000_0000n]], 8);
  return { btf: b.build(), task, e };
}

const L = localBtf();
const T = targetBtf();
const ldxW = (off: number) => insn(BPF_LDX | BPF_MEM | BPF_W, 0, 1, off);
const movK = (imm: number) => insn(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, imm);

function relocate(ins: Insn[], typeId: number, accessStr: string, kind: number, target = T.btf): Insn[] {
  const out = [...ins];
  applyCoreRelocations(out, [{ insn: 0, typeId, accessStr, kind }], L.btf, target, 'test');
  return out;
}

describe('field relocations', () => {
  const cases: { name: string; access: string; kind: number; have: Insn; want: Partial<Insn> }[] = [
    { name: 'byte offset of a moved field', access: '0:0', kind: BPF_CORE_FIELD_BYTE_OFFSET, have: ldxW(0), want: { off: 8 } },
    { name: 'through anonymous struct and union', access: '0:1:0', kind: BPF_CORE_FIELD_BYTE_OFFSET, have: ldxW(4), want: { off: 20 } },
    { name: 'array element', access: '0:2:3', kind: BPF_CORE_FIELD_BYTE_OFFSET, have: movK(15), want: { imm: 27 } },
    { name: 'byte size of a grown array', access: '0:2', kind: BPF_CORE_FIELD_BYTE_SIZE, have: movK(16), want: { imm: 32 } },
    { name: 'exists', access: '0:0', kind: BPF_CORE_FIELD_EXISTS, have: movK(1), want: { imm: 1 } },
    { name: 'signed', access: '0:0', kind: BPF_CORE_FIELD_SIGNED, have: movK(1), want: { imm: 1 } },
    { name: 'bitfield left shift', access: '0:4', kind: BPF_CORE_FIELD_LSHIFT_U64, have: movK(56), want: { imm: 58 } },
    { name: 'bitfield right shift', access: '0:4', kind: BPF_CORE_FIELD_RSHIFT_U64, have: movK(59), want: { imm: 58 } },
    { name: 'bitfield byte offset (not validated)', access: '0:3', kind: BPF_CORE_FIELD_BYTE_OFFSET, have: movK(123), want: { imm: 56 } },
    { name: 'unsigned field widened: load size follows', access: '0:5', kind: BPF_CORE_FIELD_BYTE_OFFSET, have: ldxW(32), want: { off: 64, code: BPF_LDX | BPF_MEM | BPF_DW } },
  ];
  test.each(cases)('$name', ({ access, kind, have, want }) => {
    expect(relocate([have], L.task, access, kind)[0]).toMatchObject(want);
  });

  test('a signed field that changes size poisons the load', () => {
    expect(relocate([ldxW(36)], L.task, '0:6', BPF_CORE_FIELD_BYTE_OFFSET)[0]).toMatchObject({ imm: CORE_POISON_IMM, code: 0x85 });
  });

  test('a missing field: exists is 0, the access is poisoned', () => {
    expect(relocate([movK(1)], L.v2, '0:1', BPF_CORE_FIELD_EXISTS)[0]).toMatchObject({ imm: 0 });
    expect(relocate([ldxW(4)], L.v2, '0:1', BPF_CORE_FIELD_BYTE_OFFSET)[0]).toMatchObject({ imm: CORE_POISON_IMM });
  });

  test('a flavor (task___v2) relocates against task', () => {
    expect(essentialName('task___v2')).toBe('task');
    expect(relocate([ldxW(0)], L.v2, '0:0', BPF_CORE_FIELD_BYTE_OFFSET)[0]).toMatchObject({ off: 8 });
  });
});

describe('type and enum relocations', () => {
  const cases: { name: string; type: () => number; kind: number; have: number; want: number }[] = [
    { name: 'type exists', type: () => L.task, kind: BPF_CORE_TYPE_EXISTS, have: 1, want: 1 },
    { name: 'type missing', type: () => L.missing, kind: BPF_CORE_TYPE_EXISTS, have: 1, want: 0 },
    { name: 'type size', type: () => L.task, kind: BPF_CORE_TYPE_SIZE, have: 40, want: 80 },
    { name: 'target type id', type: () => L.task, kind: BPF_CORE_TYPE_ID_TARGET, have: 77, want: T.task },
    { name: 'local type id', type: () => L.task, kind: BPF_CORE_TYPE_ID_LOCAL, have: 0, want: L.task },
    { name: 'type matches (members differ)', type: () => L.task, kind: BPF_CORE_TYPE_MATCHES, have: 1, want: 0 },
    { name: 'enum value exists', type: () => L.e, kind: BPF_CORE_ENUMVAL_EXISTS, have: 1, want: 1 },
  ];
  test.each(cases)('$name', ({ type, kind, have, want }) => {
    const access = kind === BPF_CORE_ENUMVAL_EXISTS ? '1' : '0';
    const [got] = relocate([movK(have)], type(), access, kind);
    expect(got!.imm).toBe(want);
  });

  test('type size on a real size: validated against what the compiler saw', () => {
    expect(() => relocate([movK(1)], L.task, '0', BPF_CORE_TYPE_SIZE)).toThrow(/unexpected instruction 0 \(ALU\/ALU64\) value: got 1, expected 40 -> 80/);
  });

  test('enum value into an LD_IMM64, from an enum64 target', () => {
    const out = relocate([...ldImm64(0, 1)], L.e, '1', BPF_CORE_ENUMVAL_VALUE);
    expect(out.map((i) => i.imm)).toEqual([5, 0]);
  });

  test('a missing enumerator: value poisoned in both LD_IMM64 slots, exists 0', () => {
    const out = relocate([...ldImm64(0, 9)], L.e, '2', BPF_CORE_ENUMVAL_VALUE);
    expect(out.map((i) => [i.code, i.imm])).toEqual([[0x85, CORE_POISON_IMM], [0x85, CORE_POISON_IMM]]);
    expect(relocate([movK(1)], L.e, '2', BPF_CORE_ENUMVAL_EXISTS)[0]!.imm).toBe(0);
  });

  test('type matches when the target has every local member', () => {
    const b = new BtfBuilder();
    const int = b.int('int', 4, BTF_INT_SIGNED);
    const small = b.struct('task', [['pid', int]]);
    expect(relocate([movK(1)], small, '0', BPF_CORE_TYPE_MATCHES, (() => {
      const t = new BtfBuilder();
      const tint = t.int('int', 4, BTF_INT_SIGNED);
      t.struct('task', [['x', tint], ['pid', tint]]);
      return t.build();
    })())[0]!.imm).toBe(0);
  });
});

describe('failures are BtfErrors naming the program and relocation', () => {
  const bad: { name: string; run: () => unknown; want: RegExp }[] = [
    { name: 'ambiguous candidates', run: () => relocate([ldxW(0)], L.task, '0:0', BPF_CORE_FIELD_BYTE_OFFSET, targetBtf({ twoTasks: true }).btf), want: /field offset ambiguity/ },
    { name: 'offset the compiler did not assume', run: () => relocate([ldxW(2)], L.task, '0:0', BPF_CORE_FIELD_BYTE_OFFSET), want: /unexpected instruction 0 \(LDX\/ST\/STX\)/ },
    { name: 'member index out of range', run: () => relocate([ldxW(0)], L.task, '0:42', BPF_CORE_FIELD_BYTE_OFFSET), want: /member 42 .* does not exist/ },
    { name: 'bad access string', run: () => relocate([ldxW(0)], L.task, '0:x', BPF_CORE_FIELD_BYTE_OFFSET), want: /bad access string/ },
    { name: 'type relocation with a field access', run: () => relocate([movK(1)], L.task, '0:1', BPF_CORE_TYPE_EXISTS), want: /expected '0'/ },
    { name: 'anonymous root type', run: () => relocate([movK(1)], L.anonTop, '0', BPF_CORE_TYPE_EXISTS), want: /anonymous types/ },
    { name: 'unknown kind', run: () => relocate([movK(1)], L.task, '0:0', 99), want: /unknown relocation kind 99/ },
    { name: 'instruction that cannot be relocated', run: () => relocate([insn(0x95)], L.task, '0:0', BPF_CORE_FIELD_BYTE_OFFSET), want: /unrecognized instruction/ },
    { name: 'LD_IMM64 with a pseudo source', run: () => relocate(ldImm64(1, 0, 2), L.e, '1', BPF_CORE_ENUMVAL_VALUE), want: /LDIMM64\) has unexpected form/ },
  ];
  test.each(bad)('$name', ({ run, want }) => {
    let err: unknown;
    try {
      run();
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(BtfError);
    expect((err as BtfError).message).toMatch(want);
    expect((err as BtfError).section).toBe('test: CO-RE relocation #0');
  });

  test('LD_IMM64 is two slots', () => {
    expect(ldImm64(0, 1)[0]!.code).toBe(LD_IMM64);
  });
});
