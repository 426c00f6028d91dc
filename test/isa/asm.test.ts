import { describe, expect, test } from 'vitest';
import { AsmError, assemble, insn, ldImm64, type AsmOptions, type Insn } from '../../src/isa/index.js';

const I = insn;

interface Case {
  name: string;
  have: string;
  want: Insn[];
  opts?: AsmOptions;
}

const llvmCases: Case[] = [
  {
    name: 'labels, comments and jumps both ways',
    have: `
      start:
        r0 = 0
      loop: r0 += 1          // count
        if r0 < 10 goto loop # again
        if w0 != w1 goto done ; skip
        goto +0
      done:
        exit`,
    want: [I(0xb7), I(0x07, 0, 0, 0, 1), I(0xa5, 0, 0, -2, 10), I(0x5e, 0, 1, 1), I(0x05), I(0x95)],
  },
  { name: 'gotol and may_goto to labels', have: 'a: gotol b\nmay_goto a\nb: exit', want: [I(0x06, 0, 0, 0, 1), I(0xe5, 0, 0, -2), I(0x95)] },
  { name: 'helper by name with prefix', have: 'call bpf_ktime_get_ns', want: [I(0x85, 0, 0, 0, 5)] },
  { name: 'helper by name without prefix', have: 'call ktime_get_ns', want: [I(0x85, 0, 0, 0, 5)] },
  { name: 'helper as the verifier prints it', have: 'call bpf_map_lookup_elem#1', want: [I(0x85, 0, 0, 0, 1)] },
  { name: 'helper by number', have: 'call 12', want: [I(0x85, 0, 0, 0, 12)] },
  { name: 'unknown helper id', have: 'call unknown#999', want: [I(0x85, 0, 0, 0, 999)] },
  { name: 'local call by offset', have: 'call pc+2', want: [I(0x85, 0, 1, 0, 2)] },
  { name: 'local call by label', have: 'call fn\nexit\nfn: exit', want: [I(0x85, 0, 1, 0, 1), I(0x95), I(0x95)] },
  { name: 'a label wins over a helper name', have: 'call ktime_get_ns\nktime_get_ns: exit', want: [I(0x85, 0, 1, 0, 0), I(0x95)] },
  { name: 'kfunc by id', have: 'call kfunc 123', want: [I(0x85, 0, 2, 0, 123)] },
  { name: 'kfunc with a module BTF', have: 'call kfunc 123 off:2', want: [I(0x85, 0, 2, 2, 123)] },
  { name: 'kfunc as the verifier prints it', have: 'call bpf_rcu_read_lock#65481', want: [I(0x85, 0, 2, 0, 65481)] },
  { name: 'kfunc without a name', have: 'call kernel-function#9', want: [I(0x85, 0, 2, 0, 9)] },
  { name: 'callx', have: 'callx r3', want: [I(0x8d, 3)] },
  { name: 'mov is decimal', have: 'r1 = 5', want: [I(0xb7, 1, 0, 0, 5)] },
  { name: 'hex without ll is LD_IMM64, as in the verifier log', have: 'r1 = 0x5', want: ldImm64(1, 5n) },
  { name: 'll makes LD_IMM64', have: 'r1 = 5 ll', want: ldImm64(1, 5n) },
  { name: 'negative ll', have: 'r1 = -1 ll', want: ldImm64(1, -1n) },
  { name: 'unsigned 64-bit ll', have: 'r1 = 18446744073709551615 ll', want: ldImm64(1, -1n) },
  { name: 'hex mov32 uses all 32 bits', have: 'w1 = 0xffffffff', want: [I(0xb4, 1, 0, 0, -1)] },
  { name: 'hex jump immediate as the kernel prints it', have: 'if r1 > 0xfffffff9 goto +0', want: [I(0x25, 1, 0, 0, -7)] },
  { name: 'tight spacing', have: 'r0=*(u32*)(r1+4)\nr1+=r2\n*(u32 *)(r10-4)=1', want: [I(0x61, 0, 1, 4), I(0x0f, 1, 2), I(0x62, 10, 0, -4, 1)] },
  { name: 'ld_pseudo as llvm-objdump prints it', have: 'ld_pseudo r1, 1, 4294967291', want: [I(0x18, 1, 1, 0, -5), I(0)] },
  { name: 'subprog by label', have: 'r1 = subprog[fn]\nexit\nfn: exit', want: [I(0x18, 1, 4, 0, 2), I(0), I(0x95), I(0x95)] },
  { name: 'verifier log lines', have: '0: (b7) r0 = 1\n1: (95) exit', want: [I(0xb7, 0, 0, 0, 1), I(0x95)] },
  {
    name: 'llvm-objdump lines with their annotations',
    have: '       0:\t05 00 01 00 00 00 00 00\tgoto +1 <.text+0x10>\n       1:\t95 00 00 00 00 00 00 00\texit',
    want: [I(0x05, 0, 0, 1), I(0x95)],
  },
  { name: 'semicolons separate statements', have: 'r0 = 1; exit', want: [I(0xb7, 0, 0, 0, 1), I(0x95)], opts: { semicolon: 'separator' } },
  { name: 'semicolons start comments by default', have: 'r0 = 1; exit', want: [I(0xb7, 0, 0, 0, 1)] },
  { name: 'w registers in llvm alu32 loads and stores', have: 'w0 = *(u8 *)(r1 - 4)\n*(u16 *)(r10 - 8) = w1', want: [I(0x71, 0, 1, -4), I(0x6b, 10, 1, -8)] },
];

const ubpfCases: Case[] = [
  { name: 'the special label exit', have: 'ja exit\nmov %r0, 1\nexit\nexit', want: [I(0x05, 0, 0, 1), I(0xb7, 0, 0, 0, 1), I(0x95), I(0x95)] },
  { name: 'call local by label', have: 'call local f\nexit\nf:\nexit', want: [I(0x85, 0, 1, 0, 1), I(0x95), I(0x95)] },
  { name: 'call helper', have: 'call helper 5\ncall 6', want: [I(0x85, 0, 0, 0, 5), I(0x85, 0, 0, 0, 6)] },
  { name: 'swap is bswap', have: 'swap16 %r0\nbswap64 %r1', want: [I(0xd7, 0, 0, 0, 16), I(0xd7, 1, 0, 0, 64)] },
  { name: 'memory operands with spaces', have: 'ldxb %r0, [%r1 + 4]\nstxh [ %r10 - 2 ], %r3', want: [I(0x71, 0, 1, 4), I(0x6b, 10, 3, -2)] },
  { name: 'hex offset', have: 'ldxb %r0, [%r1+0xffff]', want: [I(0x71, 0, 1, -1)] },
  { name: 'lddw decimal', have: 'lddw %r0, 2147483648', want: ldImm64(0, 2147483648n) },
  { name: 'comments', have: 'mov %r0, 1 # set\n// nothing\nexit ; done', want: [I(0xb7, 0, 0, 0, 1), I(0x95)] },
  { name: 'map by name', have: 'lddw %r1, map[counts]', want: [I(0x18, 1, 1), I(0)] },
];

describe('assemble, kernel/llvm dialect', () => {
  test.each(llvmCases)('$name', ({ have, want, opts }) => {
    expect(assemble(have, opts).insns).toEqual(want);
  });

  test('labels and map references are reported', () => {
    const { insns, labels, mapRefs } = assemble('r1 = map[my_map]\nhere: r2 = map_value[.rodata] + 8\nexit');
    expect(insns).toEqual([I(0x18, 1, 1), I(0), I(0x18, 2, 2), I(0, 0, 0, 0, 8), I(0x95)]);
    expect(labels).toEqual(new Map([['here', 2]]));
    expect(mapRefs).toEqual([{ index: 0, name: 'my_map' }, { index: 2, name: '.rodata' }]);
  });

  test('a jump beyond 16 bits needs gotol', () => {
    const body = 'r0 = 0\n'.repeat(40_000);
    expect(() => assemble(`goto far\n${body}far: exit`)).toThrow("1:6: jump to 'far' is 40000 slots away, beyond the 16-bit offset");
    expect(assemble(`gotol far\n${body}far: exit`).insns[0]).toEqual(I(0x06, 0, 0, 0, 40000));
  });
});

describe('assemble, uBPF dialect', () => {
  test.each(ubpfCases)('$name', ({ have, want }) => {
    expect(assemble(have, { dialect: 'ubpf' }).insns).toEqual(want);
  });
});

const errors: [string, string, AsmOptions?][] = [
  ['r11 = 1', '1:1: unknown register r11'],
  ['r0 = 1\n  r1 += r11', '2:9: unknown register r11'],
  ['r1 = 4294967295', "1:6: immediate 4294967295 does not fit in 32 bits; write '4294967295 ll' for a 64-bit load"],
  ['w1 = 4294967296', '1:6: immediate 4294967296 does not fit in 32 bits'],
  ['r1 += 2147483648', '1:7: immediate 2147483648 does not fit in 32 bits'],
  ['r1 = 18446744073709551616 ll', '1:6: 64-bit immediate 18446744073709551616 does not fit in 64 bits'],
  ['r1 = *(u64 *)(r2 +40000)', '1:18: offset +40000 does not fit in 16 bits'],
  ['goto nowhere', "1:6: undefined label 'nowhere'"],
  ['call nothing', "1:6: undefined helper or label 'nothing'"],
  ['call bpf_map_lookup_elem#2', '1:6: helper bpf_map_lookup_elem is #1, not #2'],
  ['a: exit\na: exit', "2:1: duplicate label 'a'"],
  ['w1 += r2', '1:7: r2 and w1 differ in width; use both rN or both wN'],
  ['foo r1', "1:1: unknown instruction 'foo'"],
  ['r1 = *(u128 *)(r2 +0)', "1:8: expected a type (u8, u16, u32, u64, s8, s16, s32), found 'u128'"],
  ['if r1 > 5 goto', '1:15: expected a jump target at the end of the statement'],
  ['goto 3', "1:6: expected a jump target (+N, -N, pc+N or a label), found '3'"],
  ['0: (bf) r0 = 1', '1:5: the listing says opcode bf but the instruction is b7'],
  ['r0 = 1 extra', "1:8: unexpected 'extra' after the instruction"],
  ['r1 = 1$', "1:7: unexpected character '$'"],
  ['r1 = 0x', "1:6: bad number '0x'"],
  ['r0 = atomic_fetch_add((u64 *)(r10 -8), r1)', '1:1: the result register must be the source register r1'],
  ['r1 = atomic64_fetch_add((u32 *)(r10 -8), r1)', '1:6: atomic64_fetch_add takes u64'],
  ['w1 = le16 w1', '1:11: byte swaps write their own register: w1 = le16 w1'],
  ['r1 = -r2', '1:7: negation writes its own register: r1 = -r1'],
  ['r1 = *(u8 *)skb[12]', '1:1: legacy packet loads write r0'],
  ['w1 = 5 ll', '1:1: a 64-bit load takes a 64-bit register, not w1'],
  ['r1 = map[sock:3]', "1:10: expected 'fd:' or 'idx:' before a map number, found 'sock:'"],
  ['*(s32 *)(r10 -4) = 1', '1:3: stores take an unsigned type (u8, u16, u32, u64)'],
  ['mov32 %r0, 2147483648', '1:12: immediate 2147483648 does not fit in 32 bits', { dialect: 'ubpf' }],
  ['mov %r0, %r11', '1:10: unknown register %r11', { dialect: 'ubpf' }],
  ['mov r0, 1', "1:5: expected a register such as %r1, found 'r0'", { dialect: 'ubpf' }],
  ['lock fetch xchg [%r10-8], %r1', '1:12: xchg always fetches; write lock xchg', { dialect: 'ubpf' }],
  ['jeq %r1, 1', '1:11: jeq takes %rD, %rS or imm, target', { dialect: 'ubpf' }],
  ['ldxsdw %r0, [%r1]', "1:1: unknown instruction 'ldxsdw'", { dialect: 'ubpf' }],
  ['movsx3232 %r0, %r1', "1:1: unknown instruction 'movsx3232'", { dialect: 'ubpf' }],
];

describe('assembler errors', () => {
  test.each(errors)('%j', (source, message, opts) => {
    let error: unknown;
    try {
      assemble(source, opts);
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(AsmError);
    expect((error as AsmError).message).toBe(message);
    const [line, column] = message.split(':').map(Number);
    expect([(error as AsmError).line, (error as AsmError).column]).toEqual([line, column]);
    expect((error as AsmError).code).toBe('EASM');
  });
});
