import { writeFileSync } from 'node:fs';
import { assemble, encodeInsns } from '../../isa/index.js';
import { readFile } from '../input.js';
import { UsageError, parseFlags, str } from '../usage.js';
import type { Command } from '../usage.js';

/** `bpfsim asm`: assembly to bytecode. */
export const asmCommand: Command = {
  name: 'asm',
  summary: 'assemble a program to bytecode',
  usage: `usage: bpfsim asm FILE [-o OUT] [--dialect llvm|ubpf]

Assembles FILE (the kernel verifier-log / llvm-objdump syntax by default, or the uBPF /
bpf_conformance syntax with --dialect ubpf). With -o, writes little-endian bytecode to OUT;
without, prints each instruction slot as 8 hex bytes.`,
  run(argv, io) {
    const p = parseFlags('asm', argv, { output: { type: 'string', short: 'o' }, dialect: { type: 'string' } });
    if (p.values['help']) return io.out(asmCommand.usage + '\n'), 0;
    const [file, ...extra] = p.positionals;
    if (!file || extra.length) throw new UsageError('expects exactly one FILE (see bpfsim asm --help)');
    const dialect = str(p, 'dialect') ?? 'llvm';
    if (dialect !== 'llvm' && dialect !== 'ubpf') throw new UsageError(`--dialect must be llvm or ubpf, not '${dialect}'`);
    const source = new TextDecoder().decode(readFile(file));
    const bytes = encodeInsns(assemble(source, { dialect }).insns);
    const out = str(p, 'output');
    if (out) {
      writeFileSync(out, bytes);
      return 0;
    }
    const lines: string[] = [];
    for (let i = 0; i < bytes.length; i += 8) {
      lines.push(Array.from(bytes.subarray(i, i + 8), (b) => b.toString(16).padStart(2, '0')).join(' '));
    }
    io.out(lines.join('\n') + (lines.length ? '\n' : ''));
    return 0;
  },
};
