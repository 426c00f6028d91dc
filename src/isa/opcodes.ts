/**
 * Opcode fields and constants of the BPF instruction set (RFC 9669 and Linux's v4 additions),
 * with the names the kernel's UAPI header `linux/bpf.h` gives them.
 */

/** Instruction classes: the low three bits of the opcode. */
export const BPF_LD = 0x00;
/** Load into a register from memory. */
export const BPF_LDX = 0x01;
/** Store an immediate to memory. */
export const BPF_ST = 0x02;
/** Store a register to memory (and the atomic operations). */
export const BPF_STX = 0x03;
/** 32-bit arithmetic. */
export const BPF_ALU = 0x04;
/** 64-bit jumps, calls and exit. */
export const BPF_JMP = 0x05;
/** Jumps that compare the low 32 bits. */
export const BPF_JMP32 = 0x06;
/** 64-bit arithmetic. */
export const BPF_ALU64 = 0x07;

/** Access size for load and store: 4 bytes. */
export const BPF_W = 0x00;
/** Access size: 2 bytes. */
export const BPF_H = 0x08;
/** Access size: 1 byte. */
export const BPF_B = 0x10;
/** Access size: 8 bytes. */
export const BPF_DW = 0x18;

/** Mode: 64-bit immediate (LD_IMM64 with BPF_DW). */
export const BPF_IMM = 0x00;
/** Mode: legacy packet access at an absolute offset. */
export const BPF_ABS = 0x20;
/** Mode: legacy packet access at a register-relative offset. */
export const BPF_IND = 0x40;
/**
 * LDX mode internal to a loaded program (the kernel's BPF_PROBE_MEM, never in bytecode given to
 * the verifier): a load through a kernel pointer, which gives 0 where the address faults.
 */
export const BPF_PROBE_MEM = 0x20;
/** Mode: regular memory access. */
export const BPF_MEM = 0x60;
/** Mode: sign-extending load (v4). */
export const BPF_MEMSX = 0x80;
/** Mode: atomic read-modify-write. */
export const BPF_ATOMIC = 0xc0;

/** Source operand: the 32-bit immediate. */
export const BPF_K = 0x00;
/** Source operand: the source register. */
export const BPF_X = 0x08;

/** ALU operation codes (the high four bits). */
export const BPF_ADD = 0x00;
/** Subtract. */
export const BPF_SUB = 0x10;
/** Multiply. */
export const BPF_MUL = 0x20;
/** Divide (unsigned; signed when off is 1). */
export const BPF_DIV = 0x30;
/** Bitwise or. */
export const BPF_OR = 0x40;
/** Bitwise and. */
export const BPF_AND = 0x50;
/** Left shift. */
export const BPF_LSH = 0x60;
/** Logical right shift. */
export const BPF_RSH = 0x70;
/** Negate. */
export const BPF_NEG = 0x80;
/** Modulo (unsigned; signed when off is 1). */
export const BPF_MOD = 0x90;
/** Bitwise exclusive or. */
export const BPF_XOR = 0xa0;
/** Move (sign-extending when off is 8, 16 or 32). */
export const BPF_MOV = 0xb0;
/** Arithmetic right shift. */
export const BPF_ARSH = 0xc0;
/** Byte-order conversion (ALU) or unconditional byte swap (ALU64). */
export const BPF_END = 0xd0;

/** BPF_END source bit: convert to little-endian. */
export const BPF_TO_LE = 0x00;
/** BPF_END source bit: convert to big-endian. */
export const BPF_TO_BE = 0x08;

/** Jump operation codes (the high four bits). */
export const BPF_JA = 0x00;
/** Jump if equal. */
export const BPF_JEQ = 0x10;
/** Jump if greater, unsigned. */
export const BPF_JGT = 0x20;
/** Jump if greater or equal, unsigned. */
export const BPF_JGE = 0x30;
/** Jump if dst & src is non-zero. */
export const BPF_JSET = 0x40;
/** Jump if not equal. */
export const BPF_JNE = 0x50;
/** Jump if greater, signed. */
export const BPF_JSGT = 0x60;
/** Jump if greater or equal, signed. */
export const BPF_JSGE = 0x70;
/** Call a helper, a BPF function or a kfunc. */
export const BPF_CALL = 0x80;
/** Return from the function or program. */
export const BPF_EXIT = 0x90;
/** Jump if lower, unsigned. */
export const BPF_JLT = 0xa0;
/** Jump if lower or equal, unsigned. */
export const BPF_JLE = 0xb0;
/** Jump if lower, signed. */
export const BPF_JSLT = 0xc0;
/** Jump if lower or equal, signed. */
export const BPF_JSLE = 0xd0;
/** Conditional pseudo jump (`may_goto`). */
export const BPF_JCOND = 0xe0;

/** Atomic operation in imm: fetch flag. */
export const BPF_FETCH = 0x01;
/** Atomic exchange (always fetches). */
export const BPF_XCHG = 0xe0 | BPF_FETCH;
/** Atomic compare and exchange against r0 (always fetches). */
export const BPF_CMPXCHG = 0xf0 | BPF_FETCH;

/** LD_IMM64 src: the immediate is a map file descriptor. */
export const BPF_PSEUDO_MAP_FD = 1;
/** LD_IMM64 src: map fd in imm, offset into its value in the second imm. */
export const BPF_PSEUDO_MAP_VALUE = 2;
/** LD_IMM64 src: the immediate is a BTF id of a kernel variable. */
export const BPF_PSEUDO_BTF_ID = 3;
/** LD_IMM64 src: the immediate is the relative address of a BPF function. */
export const BPF_PSEUDO_FUNC = 4;
/** LD_IMM64 src: the immediate is an index into fd_array. */
export const BPF_PSEUDO_MAP_IDX = 5;
/** LD_IMM64 src: map index in imm, value offset in the second imm. */
export const BPF_PSEUDO_MAP_IDX_VALUE = 6;

/** CALL src: a BPF-to-BPF call, imm is the relative target. */
export const BPF_PSEUDO_CALL = 1;
/** CALL src: a kernel function, imm is its BTF id. */
export const BPF_PSEUDO_KFUNC_CALL = 2;

/** Number of registers r0..r10. */
export const MAX_BPF_REG = 11;
/** The read-only frame pointer register. */
export const BPF_REG_FP = 10;
/** Bytes of stack per BPF frame. */
export const MAX_BPF_STACK = 512;
/** Deepest chain of bpf-to-bpf calls, counting the main program. */
export const MAX_CALL_FRAMES = 8;
/** Size of one encoded instruction slot in bytes. */
export const INSN_SIZE = 8;

/** Opcode of the first slot of LD_IMM64. */
export const LD_IMM64 = BPF_LD | BPF_DW | BPF_IMM;

/** The instruction class of an opcode. */
export function insnClass(code: number): number {
  return code & 0x07;
}

/** The operation (high four bits) of an ALU or JMP opcode. */
export function insnOp(code: number): number {
  return code & 0xf0;
}

/** The source bit (BPF_K or BPF_X) of an ALU or JMP opcode. */
export function insnSrc(code: number): number {
  return code & 0x08;
}

/** The size field of a load/store opcode. */
export function insnSize(code: number): number {
  return code & 0x18;
}

/** The mode field of a load/store opcode. */
export function insnMode(code: number): number {
  return code & 0xe0;
}

/** Bytes accessed for a size field (BPF_B/H/W/DW). */
export function sizeBytes(size: number): 1 | 2 | 4 | 8 {
  switch (size) {
    case BPF_B: return 1;
    case BPF_H: return 2;
    case BPF_W: return 4;
    default: return 8;
  }
}

/** Size field for a byte count of 1, 2, 4 or 8. */
export function sizeField(bytes: 1 | 2 | 4 | 8): number {
  switch (bytes) {
    case 1: return BPF_B;
    case 2: return BPF_H;
    case 4: return BPF_W;
    default: return BPF_DW;
  }
}
