import { disasmObject, isElf } from '../../elf/index.js';
import { disasm } from '../../isa/index.js';
import type { DisasmStyle } from '../../isa/index.js';
import { readFile, readProgram } from '../input.js';
import { UsageError, parseFlags, str } from '../usage.js';
import type { Command } from '../usage.js';

/** `bpfsim disasm`: bytecode to text. */
export const disasmCommand: Command = {
  name: 'disasm',
  summary: 'disassemble bytecode',
  usage: `usage: bpfsim disasm FILE [--style kernel|llvm|ubpf] [--prog NAME]

Disassembles FILE (raw little-endian bytecode, or assembly to normalise) in the syntax of the
kernel's verifier log (default), of llvm-objdump -d, or of uBPF / bpf_conformance. A BPF ELF
object's programs are printed linked, with their C source lines (from BTF); --prog picks one.`,
  run(argv, io) {
    const p = parseFlags('disasm', argv, { style: { type: 'string' }, prog: { type: 'string' } });
    if (p.values['help']) return io.out(disasmCommand.usage + '\n'), 0;
    const [file, ...extra] = p.positionals;
    if (!file || extra.length) throw new UsageError('expects exactly one FILE (see bpfsim disasm --help)');
    const style = str(p, 'style') ?? 'kernel';
    if (style !== 'kernel' && style !== 'llvm' && style !== 'ubpf') {
      throw new UsageError(`--style must be kernel, llvm or ubpf, not '${style}'`);
    }
    const prog = str(p, 'prog');
    const bytes = readFile(file);
    if (isElf(bytes)) {
      io.out(disasmObject(bytes, { style: style as DisasmStyle, ...(prog === undefined ? {} : { prog }) }));
      return 0;
    }
    if (prog !== undefined) throw new UsageError('--prog is for ELF objects; FILE is not one');
    io.out(disasm(readProgram(file), { style: style as DisasmStyle }) + '\n');
    return 0;
  },
};
