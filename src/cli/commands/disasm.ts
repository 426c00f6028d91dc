import { disasm } from '../../isa/index.js';
import type { DisasmStyle } from '../../isa/index.js';
import { readProgram } from '../input.js';
import { UsageError, parseFlags, str } from '../usage.js';
import type { Command } from '../usage.js';

/** `bpfsim disasm`: bytecode to text. */
export const disasmCommand: Command = {
  name: 'disasm',
  summary: 'disassemble bytecode',
  usage: `usage: bpfsim disasm FILE [--style kernel|llvm|ubpf]

Disassembles FILE (raw little-endian bytecode, or assembly to normalise) in the syntax of the
kernel's verifier log (default), of llvm-objdump -d, or of uBPF / bpf_conformance.`,
  run(argv, io) {
    const p = parseFlags('disasm', argv, { style: { type: 'string' } });
    if (p.values['help']) return io.out(disasmCommand.usage + '\n'), 0;
    const [file, ...extra] = p.positionals;
    if (!file || extra.length) throw new UsageError('expects exactly one FILE (see bpfsim disasm --help)');
    const style = str(p, 'style') ?? 'kernel';
    if (style !== 'kernel' && style !== 'llvm' && style !== 'ubpf') {
      throw new UsageError(`--style must be kernel, llvm or ubpf, not '${style}'`);
    }
    io.out(disasm(readProgram(file), { style: style as DisasmStyle }) + '\n');
    return 0;
  },
};
