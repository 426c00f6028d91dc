import { describe, expect, test } from 'vitest';
import { assemble, disasm, disasmInsn, insn, ldImm64, type Insn } from '../../src/isa/index.js';

interface Case {
  name: string;
  have: Insn[];
  kernel: string;
  llvm: string;
  ubpf: string;
}

const I = insn;
const pseudo = (src: number, dst: number, imm: number, hi = 0): Insn[] => [I(0x18, dst, src, 0, imm), I(0, 0, 0, 0, hi)];

/** One instruction of every family, with the exact text of each style. */
const cases: Case[] = [
  { name: 'mov64 imm', have: [I(0xb7, 0, 0, 0, 1)], kernel: 'r0 = 1', llvm: 'r0 = 1', ubpf: 'mov %r0, 1' },
  { name: 'mov32 imm', have: [I(0xb4, 1, 0, 0, -1)], kernel: 'w1 = -1', llvm: 'w1 = -1', ubpf: 'mov32 %r1, -1' },
  { name: 'mov64 reg', have: [I(0xbf, 6, 1)], kernel: 'r6 = r1', llvm: 'r6 = r1', ubpf: 'mov %r6, %r1' },
  { name: 'add64 reg', have: [I(0x0f, 1, 2)], kernel: 'r1 += r2', llvm: 'r1 += r2', ubpf: 'add %r1, %r2' },
  { name: 'add32 reg', have: [I(0x0c, 0, 1)], kernel: 'w0 += w1', llvm: 'w0 += w1', ubpf: 'add32 %r0, %r1' },
  { name: 'sub64 imm', have: [I(0x17, 1, 0, 0, -3)], kernel: 'r1 -= -3', llvm: 'r1 -= -3', ubpf: 'sub %r1, -3' },
  { name: 'mul32 imm', have: [I(0x24, 2, 0, 0, 7)], kernel: 'w2 *= 7', llvm: 'w2 *= 7', ubpf: 'mul32 %r2, 7' },
  { name: 'div64 reg', have: [I(0x3f, 1, 2)], kernel: 'r1 /= r2', llvm: 'r1 /= r2', ubpf: 'div %r1, %r2' },
  { name: 'or64 imm', have: [I(0x47, 1, 0, 0, 0x7fffffff)], kernel: 'r1 |= 2147483647', llvm: 'r1 |= 2147483647', ubpf: 'or %r1, 2147483647' },
  { name: 'and32 reg', have: [I(0x5c, 1, 2)], kernel: 'w1 &= w2', llvm: 'w1 &= w2', ubpf: 'and32 %r1, %r2' },
  { name: 'lsh64 imm', have: [I(0x67, 1, 0, 0, 3)], kernel: 'r1 <<= 3', llvm: 'r1 <<= 3', ubpf: 'lsh %r1, 3' },
  { name: 'rsh32 reg', have: [I(0x7c, 1, 2)], kernel: 'w1 >>= w2', llvm: 'w1 >>= w2', ubpf: 'rsh32 %r1, %r2' },
  { name: 'xor64 imm', have: [I(0xa7, 1, 0, 0, -0x80000000)], kernel: 'r1 ^= -2147483648', llvm: 'r1 ^= -2147483648', ubpf: 'xor %r1, -2147483648' },
  { name: 'arsh64 imm', have: [I(0xc7, 1, 0, 0, 3)], kernel: 'r1 s>>= 3', llvm: 'r1 s>>= 3', ubpf: 'arsh %r1, 3' },
  { name: 'mod64 imm (not in LLVM 14)', have: [I(0x97, 1, 0, 0, 5)], kernel: 'r1 %= 5', llvm: 'r1 %= 5', ubpf: 'mod %r1, 5' },
  { name: 'mod32 reg', have: [I(0x9c, 1, 2)], kernel: 'w1 %= w2', llvm: 'w1 %= w2', ubpf: 'mod32 %r1, %r2' },
  { name: 'sdiv64 reg', have: [I(0x3f, 1, 2, 1)], kernel: 'r1 s/= r2', llvm: 'r1 s/= r2', ubpf: 'sdiv %r1, %r2' },
  { name: 'sdiv32 imm', have: [I(0x34, 1, 0, 1, -4)], kernel: 'w1 s/= -4', llvm: 'w1 s/= -4', ubpf: 'sdiv32 %r1, -4' },
  { name: 'smod32 imm', have: [I(0x94, 1, 0, 1, -3)], kernel: 'w1 s%= -3', llvm: 'w1 s%= -3', ubpf: 'smod32 %r1, -3' },
  { name: 'smod64 reg', have: [I(0x9f, 3, 4, 1)], kernel: 'r3 s%= r4', llvm: 'r3 s%= r4', ubpf: 'smod %r3, %r4' },
  { name: 'neg64', have: [I(0x87, 3)], kernel: 'r3 = -r3', llvm: 'r3 = -r3', ubpf: 'neg %r3' },
  { name: 'neg32', have: [I(0x84, 3)], kernel: 'w3 = -w3', llvm: 'w3 = -w3', ubpf: 'neg32 %r3' },
  { name: 'movsx 8 to 64', have: [I(0xbf, 1, 2, 8)], kernel: 'r1 = (s8)r2', llvm: 'r1 = (s8)r2', ubpf: 'movsx864 %r1, %r2' },
  { name: 'movsx 16 to 32', have: [I(0xbc, 1, 2, 16)], kernel: 'w1 = (s16)w2', llvm: 'w1 = (s16)w2', ubpf: 'movsx1632 %r1, %r2' },
  { name: 'movsx 32 to 64', have: [I(0xbf, 1, 2, 32)], kernel: 'r1 = (s32)r2', llvm: 'r1 = (s32)r2', ubpf: 'movsx3264 %r1, %r2' },
  { name: 'be16', have: [I(0xdc, 1, 0, 0, 16)], kernel: 'r1 = be16 r1', llvm: 'r1 = be16 r1', ubpf: 'be16 %r1' },
  { name: 'le64', have: [I(0xd4, 1, 0, 0, 64)], kernel: 'r1 = le64 r1', llvm: 'r1 = le64 r1', ubpf: 'le64 %r1' },
  { name: 'bswap32', have: [I(0xd7, 1, 0, 0, 32)], kernel: 'r1 = bswap32 r1', llvm: 'r1 = bswap32 r1', ubpf: 'bswap32 %r1' },
  { name: 'jgt32 imm', have: [I(0x26, 1, 0, 3, 5)], kernel: 'if w1 > 0x5 goto pc+3', llvm: 'if w1 > 5 goto +3', ubpf: 'jgt32 %r1, 5, +3' },
  { name: 'jeq negative imm', have: [I(0x15, 1, 0, -2, -7)], kernel: 'if r1 == 0xfffffff9 goto pc-2', llvm: 'if r1 == -7 goto -2', ubpf: 'jeq %r1, -7, -2' },
  { name: 'jsle reg', have: [I(0xdd, 1, 2, 0)], kernel: 'if r1 s<= r2 goto pc+0', llvm: 'if r1 s<= r2 goto +0', ubpf: 'jsle %r1, %r2, +0' },
  { name: 'jne32 reg', have: [I(0x5e, 1, 2, 1)], kernel: 'if w1 != w2 goto pc+1', llvm: 'if w1 != w2 goto +1', ubpf: 'jne32 %r1, %r2, +1' },
  { name: 'jset (not in LLVM 14)', have: [I(0x45, 1, 0, 1, 8)], kernel: 'if r1 & 0x8 goto pc+1', llvm: 'if r1 & 0x8 goto pc+1', ubpf: 'jset %r1, 8, +1' },
  { name: 'goto', have: [I(0x05, 0, 0, -3)], kernel: 'goto pc-3', llvm: 'goto -3', ubpf: 'ja -3' },
  { name: 'gotol', have: [I(0x06, 0, 0, 0, 7)], kernel: 'gotol pc+7', llvm: 'gotol pc+7', ubpf: 'ja32 +7' },
  { name: 'may_goto', have: [I(0xe5, 0, 0, 2)], kernel: 'may_goto pc+2', llvm: 'may_goto pc+2', ubpf: 'may_goto +2' },
  { name: 'helper call', have: [I(0x85, 0, 0, 0, 1)], kernel: 'call bpf_map_lookup_elem#1', llvm: 'call 1', ubpf: 'call 1' },
  { name: 'call of an unknown helper id', have: [I(0x85, 0, 0, 0, 999)], kernel: 'call unknown#999', llvm: 'call 999', ubpf: 'call 999' },
  { name: 'bpf-to-bpf call', have: [I(0x85, 0, 1, 0, 5)], kernel: 'call pc+5', llvm: 'call pc+5', ubpf: 'call local +5' },
  { name: 'kfunc call', have: [I(0x85, 0, 2, 0, 123)], kernel: 'call kernel-function#123', llvm: 'call kernel-function#123', ubpf: 'call runtime 123' },
  { name: 'kfunc call from a module BTF', have: [I(0x85, 0, 2, 3, 123)], kernel: 'call kernel-function#123 off:3', llvm: 'call kernel-function#123 off:3', ubpf: 'call runtime 123 off:3' },
  { name: 'callx', have: [I(0x8d, 2)], kernel: 'callx r2', llvm: 'callx r2', ubpf: 'call %r2' },
  { name: 'exit', have: [I(0x95)], kernel: 'exit', llvm: 'exit', ubpf: 'exit' },
  { name: 'ld_imm64', have: ldImm64(1, 0x1122334455667788n), kernel: 'r1 = 0x1122334455667788', llvm: 'r1 = 1234605616436508552 ll', ubpf: 'lddw %r1, 0x1122334455667788' },
  { name: 'ld_imm64 -1', have: ldImm64(0, -1n), kernel: 'r0 = 0xffffffffffffffff', llvm: 'r0 = -1 ll', ubpf: 'lddw %r0, 0xffffffffffffffff' },
  { name: 'ld_imm64 small', have: ldImm64(0, 5n), kernel: 'r0 = 0x5', llvm: 'r0 = 5 ll', ubpf: 'lddw %r0, 0x5' },
  { name: 'map fd', have: pseudo(1, 1, 5), kernel: 'r1 = map[fd:5]', llvm: 'ld_pseudo\tr1, 1, 5', ubpf: 'lddw %r1, map[fd:5]' },
  { name: 'map value', have: pseudo(2, 1, 5, 8), kernel: 'r1 = map_value[fd:5] + 8', llvm: 'r1 = map_value[fd:5] + 8', ubpf: 'lddw %r1, map_value[fd:5] + 8' },
  { name: 'btf id', have: pseudo(3, 2, 42), kernel: 'r2 = btf_id[42]', llvm: 'ld_pseudo\tr2, 3, 42', ubpf: 'lddw %r2, btf_id[42]' },
  { name: 'pseudo func', have: pseudo(4, 2, 3), kernel: 'r2 = subprog[+3]', llvm: 'ld_pseudo\tr2, 4, 3', ubpf: 'lddw %r2, subprog[+3]' },
  { name: 'map idx', have: pseudo(5, 1, 0), kernel: 'r1 = map[idx:0]', llvm: 'ld_pseudo\tr1, 5, 0', ubpf: 'lddw %r1, map[idx:0]' },
  { name: 'map idx value', have: pseudo(6, 1, 1, 16), kernel: 'r1 = map_value[idx:1] + 16', llvm: 'r1 = map_value[idx:1] + 16', ubpf: 'lddw %r1, map_value[idx:1] + 16' },
  { name: 'ld_abs', have: [I(0x30, 0, 0, 0, 12)], kernel: 'r0 = *(u8 *)skb[12]', llvm: 'r0 = *(u8 *)skb[12]', ubpf: 'ldabsb 12' },
  { name: 'ld_ind', have: [I(0x48, 0, 7, 0, -1)], kernel: 'r0 = *(u16 *)skb[r7 + -1]', llvm: 'r0 = *(u16 *)skb[r7 + -1]', ubpf: 'ldindh %r7, -1' },
  { name: 'ld_ind without offset', have: [I(0x40, 0, 7, 0, 0)], kernel: 'r0 = *(u32 *)skb[r7 + 0]', llvm: 'r0 = *(u32 *)skb[r7]', ubpf: 'ldindw %r7, 0' },
  { name: 'ldxw', have: [I(0x61, 0, 1, 4)], kernel: 'r0 = *(u32 *)(r1 +4)', llvm: 'r0 = *(u32 *)(r1 + 4)', ubpf: 'ldxw %r0, [%r1+4]' },
  { name: 'ldxdw', have: [I(0x79, 2, 10, -8)], kernel: 'r2 = *(u64 *)(r10 -8)', llvm: 'r2 = *(u64 *)(r10 - 8)', ubpf: 'ldxdw %r2, [%r10-8]' },
  { name: 'ldxh', have: [I(0x69, 2, 1, 0)], kernel: 'r2 = *(u16 *)(r1 +0)', llvm: 'r2 = *(u16 *)(r1 + 0)', ubpf: 'ldxh %r2, [%r1]' },
  { name: 'ldxsb', have: [I(0x91, 2, 1, 0)], kernel: 'r2 = *(s8 *)(r1 +0)', llvm: 'r2 = *(s8 *)(r1 +0)', ubpf: 'ldxsb %r2, [%r1]' },
  { name: 'ldxsw', have: [I(0x81, 2, 1, -2)], kernel: 'r2 = *(s32 *)(r1 -2)', llvm: 'r2 = *(s32 *)(r1 -2)', ubpf: 'ldxsw %r2, [%r1-2]' },
  { name: 'stw imm', have: [I(0x62, 10, 0, -4, 1)], kernel: '*(u32 *)(r10 -4) = 1', llvm: '*(u32 *)(r10 -4) = 1', ubpf: 'stw [%r10-4], 1' },
  { name: 'stdw imm', have: [I(0x7a, 1, 0, 2, -2)], kernel: '*(u64 *)(r1 +2) = -2', llvm: '*(u64 *)(r1 +2) = -2', ubpf: 'stdw [%r1+2], -2' },
  { name: 'stxdw', have: [I(0x7b, 10, 1, -8)], kernel: '*(u64 *)(r10 -8) = r1', llvm: '*(u64 *)(r10 - 8) = r1', ubpf: 'stxdw [%r10-8], %r1' },
  { name: 'stxb', have: [I(0x73, 1, 2, 3)], kernel: '*(u8 *)(r1 +3) = r2', llvm: '*(u8 *)(r1 + 3) = r2', ubpf: 'stxb [%r1+3], %r2' },
  { name: 'atomic add 64', have: [I(0xdb, 10, 1, -8, 0)], kernel: 'lock *(u64 *)(r10 -8) += r1', llvm: 'lock *(u64 *)(r10 - 8) += r1', ubpf: 'lock add [%r10-8], %r1' },
  { name: 'atomic add 32', have: [I(0xc3, 10, 1, -4, 0)], kernel: 'lock *(u32 *)(r10 -4) += r1', llvm: 'lock *(u32 *)(r10 - 4) += r1', ubpf: 'lock add32 [%r10-4], %r1' },
  { name: 'atomic or 32', have: [I(0xc3, 10, 1, -4, 0x40)], kernel: 'lock *(u32 *)(r10 -4) |= r1', llvm: 'lock *(u32 *)(r10 -4) |= r1', ubpf: 'lock or32 [%r10-4], %r1' },
  { name: 'atomic and 64', have: [I(0xdb, 10, 1, -8, 0x50)], kernel: 'lock *(u64 *)(r10 -8) &= r1', llvm: 'lock *(u64 *)(r10 - 8) &= r1', ubpf: 'lock and [%r10-8], %r1' },
  { name: 'fetch add 64', have: [I(0xdb, 10, 0, -8, 0x01)], kernel: 'r0 = atomic64_fetch_add((u64 *)(r10 -8), r0)', llvm: 'r0 = atomic_fetch_add((u64 *)(r10 - 8), r0)', ubpf: 'lock fetch add [%r10-8], %r0' },
  { name: 'fetch xor 32', have: [I(0xc3, 10, 2, -8, 0xa1)], kernel: 'r2 = atomic_fetch_xor((u32 *)(r10 -8), r2)', llvm: 'r2 = atomic_fetch_xor((u32 *)(r10 -8), r2)', ubpf: 'lock fetch xor32 [%r10-8], %r2' },
  { name: 'xchg 64', have: [I(0xdb, 1, 3, 0, 0xe1)], kernel: 'r3 = atomic64_xchg((u64 *)(r1 +0), r3)', llvm: 'r3 = xchg_64(r1 + 0, r3)', ubpf: 'lock xchg [%r1], %r3' },
  { name: 'cmpxchg 64', have: [I(0xdb, 10, 1, -8, 0xf1)], kernel: 'r0 = atomic64_cmpxchg((u64 *)(r10 -8), r0, r1)', llvm: 'r0 = cmpxchg_64(r10 - 8, r0, r1)', ubpf: 'lock cmpxchg [%r10-8], %r1' },
  { name: 'cmpxchg 32', have: [I(0xc3, 10, 1, -8, 0xf1)], kernel: 'r0 = atomic_cmpxchg((u32 *)(r10 -8), r0, r1)', llvm: 'r0 = atomic_cmpxchg((u32 *)(r10 -8), r0, r1)', ubpf: 'lock cmpxchg32 [%r10-8], %r1' },
];

/** What `llvm-objdump -d --mattr=+alu32` prints differently. */
const alu32Cases: [Insn[], string][] = [
  [[I(0x61, 0, 1, 4)], 'w0 = *(u32 *)(r1 + 4)'],
  [[I(0x79, 0, 1, 4)], 'r0 = *(u64 *)(r1 + 4)'],
  [[I(0x73, 1, 2, 3)], '*(u8 *)(r1 + 3) = w2'],
  [[I(0xc3, 10, 1, -4, 0)], 'lock *(u32 *)(r10 - 4) += w1'],
  [[I(0xc3, 10, 1, -4, 0x40)], 'lock *(u32 *)(r10 - 4) |= w1'],
  [[I(0xc3, 10, 2, -8, 0xa1)], 'w2 = atomic_fetch_xor((u32 *)(r10 - 8), w2)'],
  [[I(0xc3, 1, 3, 0, 0xe1)], 'w3 = xchg32_32(r1 + 0, w3)'],
  [[I(0xc3, 10, 1, -8, 0xf1)], 'w0 = cmpxchg32_32(r10 - 8, w0, w1)'],
];

/** Encodings outside the ISA, printed as the kernel prints them (every style falls back to kernel). */
const invalid: [string, Insn[], string][] = [
  ['LD with mode IMM and size W', [I(0x00)], 'BUG_ld_00'],
  ['LDX with mode ABS', [I(0x21)], 'BUG_ldx_21'],
  ['STX with mode MEMSX', [I(0x83)], 'BUG_83'],
  ['ST with mode 0xc0', [I(0xc2)], 'nospec'],
  ['ALU op 0xe0', [I(0xe7, 1)], 'r1 (null) 0'],
  ['add with a reserved src', [I(0x07, 1, 3, 0, 5)], 'r1 += 5'],
  ['load-acquire', [I(0xc3, 1, 2, 0, 0x100)], 'r1 = load_acquire((u32 *)(r2 +0))'],
  ['store-release', [I(0xdb, 1, 2, 8, 0x110)], 'store_release((u64 *)(r1 +8), r2)'],
  ['addr_space_cast', [I(0xbf, 1, 2, 1, 0x10000)], 'r1 = addr_space_cast(r2, 1, 0)'],
  ['per-cpu address', [I(0xbf, 1, 2, -1)], 'r1 = &(void __percpu *)(r2)'],
  ['JMP32 call', [I(0x86, 0, 0, 0, 5)], 'call bpf_ktime_get_ns#5'],
  ['LD_IMM64 with pseudo source 7', pseudo(7, 1, 1), 'r1 = 0x1'],
];

describe('disasmInsn', () => {
  test.each(cases)('$name', ({ have, kernel, llvm, ubpf }) => {
    expect(disasmInsn(have, 0)).toBe(kernel);
    expect(disasmInsn(have, 0, { style: 'kernel' })).toBe(kernel);
    expect(disasmInsn(have, 0, { style: 'llvm' })).toBe(llvm);
    expect(disasmInsn(have, 0, { style: 'ubpf' })).toBe(ubpf);
  });

  test.each(alu32Cases)('llvm --mattr=+alu32: %j', (have, want) => {
    expect(disasmInsn(have, 0, { style: 'llvm', alu32: true })).toBe(want);
  });

  test.each(invalid)('%s', (_name, have, want) => {
    for (const style of ['kernel', 'llvm', 'ubpf'] as const) expect(disasmInsn(have, 0, { style })).toBe(want);
  });

  test('names from the resolvers', () => {
    const opts = { mapName: (src: number, imm: number) => (imm === 5 ? `m${src}` : undefined), kfuncName: (id: number) => (id === 7 ? 'bpf_rcu_read_lock' : undefined) };
    expect(disasmInsn(pseudo(1, 1, 5), 0, opts)).toBe('r1 = map[m1]');
    expect(disasmInsn(pseudo(2, 1, 5, 8), 0, { ...opts, style: 'llvm' })).toBe('r1 = map_value[m2] + 8');
    expect(disasmInsn(pseudo(1, 1, 5), 0, { ...opts, style: 'llvm' })).toBe('r1 = map[m1]');
    expect(disasmInsn(pseudo(1, 1, 6), 0, { ...opts, style: 'llvm' })).toBe('ld_pseudo\tr1, 1, 6');
    expect(disasmInsn(pseudo(5, 1, 5), 0, { ...opts, style: 'ubpf' })).toBe('lddw %r1, map[m5]');
    expect(disasmInsn([I(0x85, 0, 2, 0, 7)], 0, opts)).toBe('call bpf_rcu_read_lock#7');
    expect(disasmInsn([I(0x85, 0, 2, 0, 8)], 0, opts)).toBe('call kernel-function#8');
  });
});

describe('disasm', () => {
  const prog = [I(0xb7, 0, 0, 0, 1), ...ldImm64(1, 1n), I(0x95)];

  test('kernel style: the verifier log lines', () => {
    expect(disasm(prog)).toBe('0: (b7) r0 = 1\n1: (18) r1 = 0x1\n3: (95) exit');
    expect(disasm([I(0x00)])).toBe('0: BUG_ld_00');
  });

  test('llvm style: the llvm-objdump -d lines', () => {
    expect(disasm(prog, { style: 'llvm' })).toBe([
      '       0:\tb7 00 00 00 01 00 00 00\tr0 = 1',
      '       1:\t18 01 00 00 01 00 00 00 00 00 00 00 00 00 00 00\tr1 = 1 ll',
      '       3:\t95 00 00 00 00 00 00 00\texit',
    ].join('\n'));
  });

  test('ubpf style: bare lines', () => {
    expect(disasm(prog, { style: 'ubpf' })).toBe('mov %r0, 1\nlddw %r1, 0x1\nexit');
  });

  test('a truncated LD_IMM64 prints as one slot', () => {
    expect(disasm([I(0x18, 1, 0, 0, 2)])).toBe('0: (18) r1 = 0x2');
  });
});

describe('every table text assembles back to its instruction', () => {
  test.each(cases)('$name', ({ have, kernel, llvm, ubpf }) => {
    expect(assemble(kernel).insns).toEqual(have);
    expect(assemble(llvm).insns).toEqual(have);
    expect(assemble(ubpf, { dialect: 'ubpf' }).insns).toEqual(have);
  });

  test.each(alu32Cases)('llvm --mattr=+alu32: %j', (have, text) => {
    expect(assemble(text).insns).toEqual(have);
  });
});

test('disasmInsn names a slot that does not exist', () => {
  expect(() => disasmInsn([insn(0x95)], 1)).toThrow('insn 1: there is no slot 1 in a program of 1 slots');
});
