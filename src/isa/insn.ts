import { LD_IMM64 } from './opcodes.js';

/**
 * One 8-byte instruction slot, decoded. A program is an array of slots exactly as the kernel's
 * `struct bpf_insn[]`: LD_IMM64 takes two slots, the second with opcode 0 and the high half of the
 * constant in `imm`. Jump offsets and instruction indices count slots.
 */
export interface Insn {
  /** The 8-bit opcode: class | size/mode | op/source. */
  readonly code: number;
  /** Destination register, 0..15 as encoded (valid programs use 0..10). */
  readonly dst: number;
  /** Source register, 0..15 as encoded. */
  readonly src: number;
  /** Signed 16-bit offset. */
  readonly off: number;
  /** Signed 32-bit immediate. */
  readonly imm: number;
}

/** Creates an instruction slot, normalising each field to its encoded width. */
export function insn(code: number, dst = 0, src = 0, off = 0, imm = 0): Insn {
  return { code: code & 0xff, dst: dst & 0xf, src: src & 0xf, off: (off << 16) >> 16, imm: imm | 0 };
}

/** Whether the slot at `i` is the first half of a 16-byte LD_IMM64. */
export function isLdImm64(insns: readonly Insn[], i: number): boolean {
  return insns[i]?.code === LD_IMM64;
}

/** The 64-bit constant of the LD_IMM64 that starts at slot `i`, as an unsigned bigint. */
export function imm64(insns: readonly Insn[], i: number): bigint {
  const lo = BigInt(insns[i]!.imm >>> 0);
  const hi = BigInt((insns[i + 1]?.imm ?? 0) >>> 0);
  return (hi << 32n) | lo;
}

/** The two slots of an LD_IMM64 loading `value` (taken modulo 2^64) into `dst` with pseudo source `src`. */
export function ldImm64(dst: number, value: bigint | number, src = 0): [Insn, Insn] {
  const v = BigInt.asUintN(64, BigInt(value));
  return [insn(LD_IMM64, dst, src, 0, Number(v & 0xffffffffn)), insn(0, 0, 0, 0, Number(v >> 32n))];
}
