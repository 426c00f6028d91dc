import { describe, expect, test } from 'vitest';
import {
  Add, And, ArSh, AsmError, Be16, Be32, Be64, Bswap16, Bswap32, Bswap64, BuilderError, Div, JEq, JGE,
  JGT, JLE, JLT, JNE, JSet, JSGE, JSGT, JSLE, JSLT, LSh, Le16, Le32, Le64, Mod, Mov, MovSX16, MovSX32,
  MovSX8, Mul, Neg, Or, R0, R1, R10, R2, R3, R6, RSh, SDiv, SMod, Sub, Xor, assemble, atomic, bpf,
  call, callKfunc, callLocal, disasm, exit, gotol, insn, ja, label, ldAbs, ldInd, ldImm64, loadImm64,
  loadMapPtr, loadMapValue, loadMem, loadMemSX, mayGoto, program, storeImm, storeMem, validateProgram,
  type AsmItem, type AluOp, type JumpOp, type Reg,
} from '../../src/isa/index.js';

const I = insn;
const only = (item: AsmItem) => program(item).insns;

describe('builder instructions', () => {
  const alu: [string, AluOp, number, string][] = [
    ['Add', Add, 0x00, '+='], ['Sub', Sub, 0x10, '-='], ['Mul', Mul, 0x20, '*='], ['Div', Div, 0x30, '/='],
    ['Or', Or, 0x40, '|='], ['And', And, 0x50, '&='], ['LSh', LSh, 0x60, '<<='], ['RSh', RSh, 0x70, '>>='],
    ['Mod', Mod, 0x90, '%='], ['Xor', Xor, 0xa0, '^='], ['Mov', Mov, 0xb0, '='], ['ArSh', ArSh, 0xc0, 's>>='],
    ['SDiv', SDiv, 0x30, 's/='], ['SMod', SMod, 0x90, 's%='],
  ];
  test.each(alu)('%s', (name, op, code, operator) => {
    const o = name.startsWith('S') && name !== 'Sub' ? 1 : 0;
    expect(only(op.imm(R1, 22))).toEqual([I(0x07 | code, 1, 0, o, 22)]);
    expect(only(op.reg(R1, R2))).toEqual([I(0x0f | code, 1, 2, o)]);
    expect(only(op.imm32(R1, -1))).toEqual([I(0x04 | code, 1, 0, o, -1)]);
    expect(only(op.reg32(R1, R2))).toEqual([I(0x0c | code, 1, 2, o)]);
    expect(disasm(only(op.reg(R1, R2)))).toBe(`0: (${(0x0f | code).toString(16).padStart(2, '0')}) r1 ${operator} r2`);
  });

  test('unary and byte-order operations', () => {
    expect(program(Neg.reg(R1), Neg.reg32(R2)).insns).toEqual([I(0x87, 1), I(0x84, 2)]);
    expect(program(MovSX8.reg(R1, R2), MovSX16.reg32(R1, R2), MovSX32.reg(R3, R6)).insns).toEqual([I(0xbf, 1, 2, 8), I(0xbc, 1, 2, 16), I(0xbf, 3, 6, 32)]);
    const ends = [Be16, Be32, Be64, Le16, Le32, Le64, Bswap16, Bswap32, Bswap64].map((op) => op.reg(R1));
    expect(disasm(program(ends).insns, { style: 'ubpf' }).split('\n')).toEqual(
      ['be16', 'be32', 'be64', 'le16', 'le32', 'le64', 'bswap16', 'bswap32', 'bswap64'].map((m) => `${m} %r1`));
  });

  const jumps: [string, JumpOp, number][] = [
    ['JEq', JEq, 0x10], ['JGT', JGT, 0x20], ['JGE', JGE, 0x30], ['JSet', JSet, 0x40], ['JNE', JNE, 0x50],
    ['JSGT', JSGT, 0x60], ['JSGE', JSGE, 0x70], ['JLT', JLT, 0xa0], ['JLE', JLE, 0xb0], ['JSLT', JSLT, 0xc0], ['JSLE', JSLE, 0xd0],
  ];
  test.each(jumps)('%s', (_name, op, code) => {
    const { insns } = program(op.imm(R1, 0, 'out'), op.reg(R1, R2, 'out'), op.imm32(R1, 7, 'out'), op.reg32(R1, R2, -1), label('out'), exit());
    expect(insns).toEqual([I(0x05 | code, 1, 0, 3, 0), I(0x0d | code, 1, 2, 2), I(0x06 | code, 1, 0, 1, 7), I(0x0e | code, 1, 2, -1), I(0x95)]);
  });

  test('memory, atomics and packet loads', () => {
    expect(program(
      loadMem(R0, R1, 4, 'w'), loadMemSX(R2, R1, -2, 'h'), storeMem(R10, -4, R0, 'w'), storeImm(R10, -8, 1, 'dw'),
      atomic('add', 'dw', R10, -8, R1), atomic('fetch_or', 'w', R10, -4, R2), atomic('xchg', 'dw', R10, -8, R3),
      atomic('cmpxchg', 'w', R10, -4, R1), ldAbs('b', 12), ldInd('w', R6, -1),
    ).insns).toEqual([
      I(0x61, 0, 1, 4), I(0x89, 2, 1, -2), I(0x63, 10, 0, -4), I(0x7a, 10, 0, -8, 1),
      I(0xdb, 10, 1, -8, 0), I(0xc3, 10, 2, -4, 0x41), I(0xdb, 10, 3, -8, 0xe1),
      I(0xc3, 10, 1, -4, 0xf1), I(0x30, 0, 0, 0, 12), I(0x40, 0, 6, 0, -1),
    ]);
  });

  test('calls and 64-bit loads', () => {
    const built = program(
      loadImm64(R1, 0x1122334455667788n), loadMapPtr(R1, 'counts'), loadMapValue(R2, '.rodata', 8),
      call('map_lookup_elem'), call('bpf_ktime_get_ns'), call(7), callKfunc(65481), callKfunc(3, 1), callLocal('fn'),
      exit(), label('fn'), Mov.imm(R0, 0), exit(),
    );
    expect(built.insns).toEqual([
      ...ldImm64(1, 0x1122334455667788n), I(0x18, 1, 1), I(0), I(0x18, 2, 2), I(0, 0, 0, 0, 8),
      I(0x85, 0, 0, 0, 1), I(0x85, 0, 0, 0, 5), I(0x85, 0, 0, 0, 7), I(0x85, 0, 2, 0, 65481), I(0x85, 0, 2, 1, 3),
      I(0x85, 0, 1, 0, 1), I(0x95), I(0xb7), I(0x95),
    ]);
    expect(built.mapRefs).toEqual([{ index: 2, name: 'counts' }, { index: 4, name: '.rodata' }]);
    expect(built.labels).toEqual(new Map([['fn', 13]]));
  });

  test('unconditional jumps, labels, nesting and raw slots', () => {
    const loop = [label('top'), Add.imm(R0, 1), mayGoto('done'), ja('top')];
    const built = program(Mov.imm(R0, 0), loop, gotol('done'), I(0xb7, 0, 0, 0, 9), label('done'), exit());
    expect(built.insns).toEqual([I(0xb7), I(0x07, 0, 0, 0, 1), I(0xe5, 0, 0, 3), I(0x05, 0, 0, -3), I(0x06, 0, 0, 0, 1), I(0xb7, 0, 0, 0, 9), I(0x95)]);
    validateProgram(built.insns);
  });

  test('the builder and the assembler agree', () => {
    const built = program(
      Mov.imm(R0, 0), label('loop'), Add.imm(R0, 1), JLT.imm(R0, 10, 'loop'), loadMapPtr(R1, 'm'), call('map_lookup_elem'), exit(),
    );
    const text = 'r0 = 0\nloop: r0 += 1\nif r0 < 10 goto loop\nr1 = map[m]\ncall bpf_map_lookup_elem\nexit';
    const asm = assemble(text);
    expect(built.insns).toEqual(asm.insns);
    expect(built.mapRefs).toEqual(asm.mapRefs);
  });

  const bad: [string, () => unknown, string][] = [
    ['register', () => Add.imm(11 as Reg, 1), 'invalid register 11: registers are R0..R10'],
    ['immediate', () => Add.imm(R1, 2 ** 32), 'immediate 4294967296 does not fit in 32 bits'],
    ['offset', () => loadMem(R0, R1, 40000, 'w'), 'offset 40000 does not fit in 16 bits'],
    ['size', () => loadMem(R0, R1, 0, 'q' as 'w'), "invalid size 'q': use 'b', 'h', 'w' or 'dw'"],
    ['helper', () => call('no_such_helper'), "unknown helper 'no_such_helper'"],
    ['movsx32 on 32 bits', () => MovSX32.reg32(R1, R2), 'MovSX32 has no 32-bit form'],
    ['undefined label', () => program(ja('nowhere')), "undefined label 'nowhere'"],
    ['duplicate label', () => program(label('a'), label('a')), "duplicate label 'a'"],
    ['atomic op', () => atomic('nand' as 'add', 'w', R1, 0, R2), "unknown atomic operation 'nand'"],
  ];
  test.each(bad)('refuses a bad %s', (_name, make, message) => {
    expect(make).toThrow(BuilderError);
    expect(make).toThrow(message);
  });
});

describe('bpf template', () => {
  test('statements separated by ; or newlines, with interpolation', () => {
    const XDP_PASS = 2;
    const insns = bpf`
      r0 = ${XDP_PASS}; r1 = ${0x1122334455667788n} ll
      if r1 == ${-1} goto ${'out'}; call ${'ktime_get_ns'}
      out: exit`;
    expect(insns).toEqual([I(0xb7, 0, 0, 0, 2), ...ldImm64(1, 0x1122334455667788n), I(0x15, 1, 0, 1, -1), I(0x85, 0, 0, 0, 5), I(0x95)]);
  });

  test('bad input raises AsmError', () => {
    expect(() => bpf`r0 = 1; r11 = 2`).toThrow(new AsmError(1, 9, 'unknown register r11'));
    expect(() => bpf`r0 = ${1.5}`).toThrow("cannot interpolate 1.5: expected an integer, a bigint or a name");
    expect(() => bpf`goto ${'a b'}`).toThrow('cannot interpolate "a b"');
    expect(() => bpf`r1 = ${2n ** 40n}`).toThrow("write '1099511627776 ll' for a 64-bit load");
  });
});
