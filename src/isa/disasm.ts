/**
 * The disassembler. Three styles, each exact for what it can express:
 * - `kernel`: Linux's verifier log (`0: (b7) r0 = 1`), the default;
 * - `llvm`: `llvm-objdump -d` of LLVM 14 (`       0:\tb7 00 00 00 01 00 00 00\tr0 = 1`);
 * - `ubpf`: the bpf_conformance / uBPF assembler dialect (`mov %r0, 1`).
 * A slot the chosen style cannot express exactly (a v4 instruction in `llvm`, an invalid encoding
 * in `llvm` or `ubpf`) is printed in kernel style. `assemble` reads every style back.
 */
import type { Insn } from './insn.js';
import { LD_IMM64 } from './opcodes.js';
import { encodeInsns } from './encoding.js';
import { InvalidInsnError, checkInsn } from './validate.js';
import { kernelText, type NameResolvers } from './disasmKernel.js';
import { llvmText } from './disasmLlvm.js';
import { ubpfText } from './disasmUbpf.js';
import { hex2 } from './syntax.js';

export type { NameResolvers } from './disasmKernel.js';

/** Which disassembly syntax to print. */
export type DisasmStyle = 'kernel' | 'llvm' | 'ubpf';

/** Options of `disasm` and `disasmInsn`. */
export interface DisasmOptions extends NameResolvers {
  /** The syntax; default `kernel`. */
  readonly style?: DisasmStyle;
  /** In `llvm` style, print as `llvm-objdump -d --mattr=+alu32` does (w registers in 32-bit memory ops). */
  readonly alu32?: boolean;
}

/** The text of the instruction at slot `i` in the chosen style, without index or opcode prefix. */
export function disasmInsn(insns: readonly Insn[], i: number, opts: DisasmOptions = {}): string {
  if (!insns[i]) throw new InvalidInsnError(i, `there is no slot ${i} in a program of ${insns.length} slots`);
  const style = opts.style ?? 'kernel';
  if (style === 'kernel' || checkInsn(insns, i) !== null) return kernelText(insns, i, opts);
  if (style === 'ubpf') return ubpfText(insns, i, opts);
  return llvmText(insns, i, opts.alu32 ?? false, opts) ?? kernelText(insns, i, opts);
}

function rawBytes(insns: readonly Insn[], i: number, slots: number): string {
  const bytes = encodeInsns(insns.slice(i, i + slots));
  return Array.from(bytes, hex2).join(' ');
}

/** One line of `disasm` output for the instruction at slot `i`. */
function line(insns: readonly Insn[], i: number, slots: number, opts: DisasmOptions): string {
  const text = disasmInsn(insns, i, opts);
  switch (opts.style ?? 'kernel') {
    case 'kernel': return text.startsWith('BUG_') ? `${i}: ${text}` : `${i}: (${hex2(insns[i]!.code)}) ${text}`;
    case 'llvm': return `${String(i).padStart(8)}:\t${rawBytes(insns, i, slots)}\t${text}`;
    default: return text;
  }
}

/**
 * Disassembles a program, one line per instruction (an LD_IMM64 is one line), joined by `\n`.
 * Kernel-style lines carry the slot index and opcode as the verifier log does, llvm-style lines
 * the index and raw bytes as llvm-objdump does; uBPF lines are bare, as in conformance files.
 */
export function disasm(insns: readonly Insn[], opts: DisasmOptions = {}): string {
  const lines: string[] = [];
  for (let i = 0; i < insns.length; i++) {
    const slots = insns[i]!.code === LD_IMM64 && i + 1 < insns.length ? 2 : 1;
    lines.push(line(insns, i, slots, opts));
    i += slots - 1;
  }
  return lines.join('\n');
}
