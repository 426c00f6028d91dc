import { BpfError } from '../errors.js';
import type { Insn } from './insn.js';
import { INSN_SIZE } from './opcodes.js';

/** Raised when bytes cannot be split into 8-byte instruction slots. */
export class BytecodeLengthError extends BpfError {
  /** Length of the rejected input in bytes. */
  readonly length: number;

  constructor(length: number) {
    super('EINSN', `bytecode length ${length} is not a multiple of ${INSN_SIZE} bytes: the last instruction is truncated`);
    this.length = length;
  }
}

/**
 * Splits little-endian bytecode into instruction slots without judging them: every 8 bytes become
 * one `Insn`. Use `decodeProgram` to also validate.
 */
export function decodeInsns(bytes: Uint8Array): Insn[] {
  if (bytes.length % INSN_SIZE !== 0) throw new BytecodeLengthError(bytes.length);
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: Insn[] = new Array(bytes.length / INSN_SIZE);
  for (let i = 0, p = 0; p < bytes.length; i++, p += INSN_SIZE) {
    const regs = bytes[p + 1]!;
    out[i] = {
      code: bytes[p]!,
      dst: regs & 0x0f,
      src: regs >>> 4,
      off: view.getInt16(p + 2, true),
      imm: view.getInt32(p + 4, true),
    };
  }
  return out;
}

/** Encodes instruction slots as little-endian bytecode, 8 bytes per slot. */
export function encodeInsns(insns: readonly Insn[]): Uint8Array {
  const bytes = new Uint8Array(insns.length * INSN_SIZE);
  const view = new DataView(bytes.buffer);
  insns.forEach((ins, i) => {
    const p = i * INSN_SIZE;
    bytes[p] = ins.code & 0xff;
    bytes[p + 1] = (ins.dst & 0x0f) | ((ins.src & 0x0f) << 4);
    view.setInt16(p + 2, ins.off, true);
    view.setInt32(p + 4, ins.imm, true);
  });
  return bytes;
}
