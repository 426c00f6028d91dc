/**
 * The WebAssembly opcodes the JIT emits (core spec 2.0 plus sign extension and the threads
 * proposal's atomics), with the spec's names in camel case.
 */

/** Value type i32. */
export const I32 = 0x7f;
/** Value type i64. */
export const I64 = 0x7e;
/** Block type of a block that yields nothing. */
export const VOID = 0x40;

/** Control instructions. */
export const Op = {
  unreachable: 0x00, block: 0x02, loop: 0x03, if: 0x04, else: 0x05, end: 0x0b, br: 0x0c, brIf: 0x0d,
  brTable: 0x0e, return: 0x0f, call: 0x10, drop: 0x1a, select: 0x1b,
  localGet: 0x20, localSet: 0x21, localTee: 0x22, globalGet: 0x23, globalSet: 0x24,
  i32Load: 0x28, i64Load: 0x29, i32Load16U: 0x2f, i64Load8S: 0x30, i64Load8U: 0x31, i64Load16S: 0x32,
  i64Load16U: 0x33, i64Load32S: 0x34, i64Load32U: 0x35, i32Store: 0x36, i64Store: 0x37,
  i64Store8: 0x3c, i64Store16: 0x3d, i64Store32: 0x3e, memorySize: 0x3f,
  i32Const: 0x41, i64Const: 0x42,
  i32Eqz: 0x45, i32Eq: 0x46, i32Ne: 0x47, i32LtS: 0x48, i32LtU: 0x49, i32GtS: 0x4a, i32GtU: 0x4b,
  i32LeS: 0x4c, i32LeU: 0x4d, i32GeS: 0x4e, i32GeU: 0x4f,
  i64Eqz: 0x50, i64Eq: 0x51, i64Ne: 0x52, i64LtS: 0x53, i64LtU: 0x54, i64GtS: 0x55, i64GtU: 0x56,
  i64LeS: 0x57, i64LeU: 0x58, i64GeS: 0x59, i64GeU: 0x5a,
  i32Add: 0x6a, i32Sub: 0x6b, i32Mul: 0x6c, i32DivS: 0x6d, i32DivU: 0x6e, i32RemS: 0x6f, i32RemU: 0x70,
  i32And: 0x71, i32Or: 0x72, i32Xor: 0x73, i32Shl: 0x74, i32ShrS: 0x75, i32ShrU: 0x76, i32Rotl: 0x77,
  i32Rotr: 0x78,
  i64Add: 0x7c, i64Sub: 0x7d, i64Mul: 0x7e, i64DivS: 0x7f, i64DivU: 0x80, i64RemS: 0x81, i64RemU: 0x82,
  i64And: 0x83, i64Or: 0x84, i64Xor: 0x85, i64Shl: 0x86, i64ShrS: 0x87, i64ShrU: 0x88, i64Rotl: 0x89,
  i32WrapI64: 0xa7, i64ExtendI32U: 0xad,
  i32Extend8S: 0xc0, i32Extend16S: 0xc1, i64Extend8S: 0xc2, i64Extend16S: 0xc3, i64Extend32S: 0xc4,
} as const;

/** Prefix byte of the atomic instructions. */
export const ATOMIC_PREFIX = 0xfe;

/**
 * Atomic read-modify-write opcodes (after the prefix) of the i32 form; the i64 form is +1 and the
 * i64 32-bit zero-extending form (`i64.atomic.rmw32.*_u`) is +6.
 */
export const AtomicRmw = { add: 0x1e, and: 0x2c, or: 0x33, xor: 0x3a, xchg: 0x41, cmpxchg: 0x48 } as const;

/** Offset from an i32 atomic RMW opcode to its i64 form. */
export const RMW_I64 = 1;
/** Offset from an i32 atomic RMW opcode to its `i64.atomic.rmw32.*_u` form. */
export const RMW_I64_32 = 6;
