import { basename } from 'node:path';
import { describeObject, formatDescription, isElf } from '../../elf/index.js';
import { readFile } from '../input.js';
import { UsageError, parseFlags } from '../usage.js';
import type { Command } from '../usage.js';

/** `bpfsim inspect`: what a BPF ELF object holds. */
export const inspectCommand: Command = {
  name: 'inspect',
  summary: 'show the sections, programs, maps, relocations and BTF of a BPF object',
  usage: `usage: bpfsim inspect FILE.o [--json] [--btf-c]

Shows what a BPF ELF object (clang -O2 -g -target bpf -c) holds, as bpfsim's loader reads it:
sections, programs with their types and sizes, maps, global variables, externs, relocations,
CO-RE relocations and BTF types (bpftool's raw format; --btf-c prints them as C). --json prints
the same as one JSON object.`,
  run(argv, io) {
    const p = parseFlags('inspect', argv, { json: { type: 'boolean' }, 'btf-c': { type: 'boolean' } });
    if (p.values['help']) return io.out(inspectCommand.usage + '\n'), 0;
    const [file, ...extra] = p.positionals;
    if (!file || extra.length) throw new UsageError('expects exactly one FILE (see bpfsim inspect --help)');
    const bytes = readFile(file);
    if (!isElf(bytes)) throw new UsageError(`${file} is not an ELF object`);
    const desc = describeObject(bytes, { objectName: basename(file).replace(/\..*$/, ''), btfC: p.values['btf-c'] === true });
    io.out(p.values['json'] ? JSON.stringify(desc, null, 2) + '\n' : formatDescription(desc, file));
    return 0;
  },
};
