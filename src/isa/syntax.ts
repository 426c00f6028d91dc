/**
 * The vocabulary shared by the disassembler and the assembler: operator spellings of the
 * kernel/llvm syntax, mnemonics of the uBPF/bpf_conformance syntax, size names and the textual
 * forms of LD_IMM64 pseudo sources. Keeping them in one place keeps the two directions in step.
 */
import {
  BPF_ADD, BPF_AND, BPF_ARSH, BPF_B, BPF_DIV, BPF_DW, BPF_H, BPF_JEQ, BPF_JGE, BPF_JGT,
  BPF_JLE, BPF_JLT, BPF_JNE, BPF_JSET, BPF_JSGE, BPF_JSGT, BPF_JSLE, BPF_JSLT, BPF_LSH, BPF_MOD,
  BPF_MOV, BPF_MUL, BPF_OR, BPF_RSH, BPF_SUB, BPF_W, BPF_XOR,
} from './opcodes.js';

/** Kernel/llvm operator of each ALU operation code (the high four bits), as `disasm.c` spells it. */
export const ALU_OPERATORS: Readonly<Record<number, string>> = {
  [BPF_ADD]: '+=', [BPF_SUB]: '-=', [BPF_MUL]: '*=', [BPF_DIV]: '/=', [BPF_OR]: '|=',
  [BPF_AND]: '&=', [BPF_LSH]: '<<=', [BPF_RSH]: '>>=', [BPF_MOD]: '%=', [BPF_XOR]: '^=',
  [BPF_MOV]: '=', [BPF_ARSH]: 's>>=',
};

/** Kernel/llvm comparison operator of each conditional jump code. */
export const JMP_OPERATORS: Readonly<Record<number, string>> = {
  [BPF_JEQ]: '==', [BPF_JGT]: '>', [BPF_JGE]: '>=', [BPF_JSET]: '&', [BPF_JNE]: '!=',
  [BPF_JSGT]: 's>', [BPF_JSGE]: 's>=', [BPF_JLT]: '<', [BPF_JLE]: '<=', [BPF_JSLT]: 's<',
  [BPF_JSLE]: 's<=',
};

/** uBPF mnemonic of each ALU operation code (append `32` for the 32-bit class). */
export const UBPF_ALU: Readonly<Record<number, string>> = {
  [BPF_ADD]: 'add', [BPF_SUB]: 'sub', [BPF_MUL]: 'mul', [BPF_DIV]: 'div', [BPF_OR]: 'or',
  [BPF_AND]: 'and', [BPF_LSH]: 'lsh', [BPF_RSH]: 'rsh', [BPF_MOD]: 'mod', [BPF_XOR]: 'xor',
  [BPF_MOV]: 'mov', [BPF_ARSH]: 'arsh',
};

/** uBPF mnemonic of each conditional jump code (append `32` for JMP32). */
export const UBPF_JMP: Readonly<Record<number, string>> = {
  [BPF_JEQ]: 'jeq', [BPF_JGT]: 'jgt', [BPF_JGE]: 'jge', [BPF_JSET]: 'jset', [BPF_JNE]: 'jne',
  [BPF_JSGT]: 'jsgt', [BPF_JSGE]: 'jsge', [BPF_JLT]: 'jlt', [BPF_JLE]: 'jle', [BPF_JSLT]: 'jslt',
  [BPF_JSLE]: 'jsle',
};

/** Atomic operation names (`imm` without the fetch bit) in `lock` and `atomic_fetch_*` forms. */
export const ATOMIC_OPS: Readonly<Record<number, string>> = {
  [BPF_ADD]: 'add', [BPF_OR]: 'or', [BPF_AND]: 'and', [BPF_XOR]: 'xor',
};

/** Bit width of each size field: `u${width}` in the kernel syntax. */
export const SIZE_BITS: Readonly<Record<number, number>> = { [BPF_B]: 8, [BPF_H]: 16, [BPF_W]: 32, [BPF_DW]: 64 };

/** uBPF suffix of each size field (`ldxw`, `stdw`, …). */
export const UBPF_SIZE: Readonly<Record<number, string>> = { [BPF_B]: 'b', [BPF_H]: 'h', [BPF_W]: 'w', [BPF_DW]: 'dw' };

/** Inverts a table of names. */
export function invert(table: Readonly<Record<number, string>>): Map<string, number> {
  return new Map(Object.entries(table).map(([k, v]) => [v, Number(k)]));
}

/** `+N` or `-N`, as C's `%+d` prints it. */
export function signed(n: number): string {
  return n < 0 ? String(n) : '+' + n;
}

/** Two lowercase hex digits of an opcode. */
export function hex2(n: number): string {
  return n.toString(16).padStart(2, '0');
}

/** The 64-bit constant of a LD_IMM64 from its two 32-bit halves, unsigned. */
export function joinImm64(lo: number, hi: number): bigint {
  return (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
}

/** The printed form of an LD_IMM64 pseudo source, without the `+ off` suffix, as in `map[fd:5]`. */
export function pseudoOperand(src: number, imm: number, name: string | undefined): string | null {
  const u = imm >>> 0;
  switch (src) {
    case 1: return `map[${name ?? 'fd:' + u}]`;
    case 2: return `map_value[${name ?? 'fd:' + u}]`;
    case 3: return `btf_id[${u}]`;
    case 4: return `subprog[${signed(imm)}]`;
    case 5: return `map[${name ?? 'idx:' + u}]`;
    case 6: return `map_value[${name ?? 'idx:' + u}]`;
    default: return null;
  }
}
