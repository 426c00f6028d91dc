/*
 * BTF for hand-assembled programs with global functions: every function entry (the program's and
 * each BPF-to-BPF call target) gets a FUNC whose prototype the test gives — parameters a context
 * pointer, an integer, a pointer to an 8-byte struct or `void *`, the return an integer or a
 * pointer — with the func_info facts the ELF loader derives from the same BTF.
 */
import { BTF_FUNC_GLOBAL, BTF_FUNC_STATIC, BtfBuilder, encodeBtf, funcLinkage, funcSignature } from '../../../src/elf/index.js';
import { BPF_PSEUDO_CALL, type Insn } from '../../../src/isa/index.js';
import type { ProgramBtf } from '../../../src/vm/index.js';

/** A parameter type: `struct xdp_md *`, `int`, `struct pair *` (8 bytes) or `void *`. */
export type ParamDecl = 'ctx' | 'int' | 'pair' | 'void*';

/** A function's BTF: static or global, its parameters and whether it returns `int` or a pointer. */
export interface FuncDecl {
  readonly global: boolean;
  readonly params: readonly ParamDecl[];
  readonly ret?: 'int' | 'ptr';
}

/**
 * The BTF of `insns`: the program a global `int prog(struct xdp_md *)` (or `main`), the n-th call
 * target (in instruction order) declared by `decls[n]` (default: a static `int f(int)`).
 */
export function globalFuncBtf(insns: readonly Insn[], decls: readonly FuncDecl[], main: FuncDecl = { global: true, params: ['ctx'] }): ProgramBtf {
  const entries = new Set<number>();
  insns.forEach((ins, i) => {
    if (ins.code === 0x85 && ins.src === BPF_PSEUDO_CALL) entries.add(i + 1 + ins.imm);
  });
  const b = new BtfBuilder();
  const int = b.int('int', 4, 1);
  const u32 = b.int('unsigned int', 4);
  const xdpMd = b.ptr(b.struct('xdp_md', [['data', u32], ['data_end', u32]]));
  const pair = b.ptr(b.struct('pair', [['a', u32], ['b', u32]]));
  const voidPtr = b.ptr(0);
  const types: Record<ParamDecl, number> = { ctx: xdpMd, int, pair, 'void*': voidPtr };
  const declare = (name: string, d: FuncDecl): number => {
    const proto = b.funcProto(d.ret === 'ptr' ? pair : int, d.params.map((p, i) => [`a${i}`, types[p]] as const));
    return b.func(name, proto, d.global ? BTF_FUNC_GLOBAL : BTF_FUNC_STATIC);
  };
  const ids = [declare('prog', main)];
  [...entries].sort((x, y) => x - y).forEach((_, n) => ids.push(declare(`f${n + 1}`, decls[n] ?? { global: false, params: ['int'] })));
  const btf = b.build();
  const starts = [0, ...[...entries].sort((x, y) => x - y)];
  const funcInfo = starts.map((insn, n) => {
    const signature = funcSignature(btf, ids[n]!);
    return { insn, typeId: ids[n]!, name: n === 0 ? 'prog' : `f${n}`, linkage: funcLinkage(btf, ids[n]!), ...(signature ? { signature } : {}) };
  });
  return { raw: encodeBtf(btf).bytes, funcInfo, lineInfo: [] };
}
