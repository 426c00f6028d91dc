import { Machine } from '../../vm/index.js';
import { bytesArg, readProgram } from '../input.js';
import { UsageError, int, parseFlags, str } from '../usage.js';
import type { Command } from '../usage.js';

/** `bpfsim run`: run a program on input memory. */
export const runCommand: Command = {
  name: 'run',
  summary: 'run a program (assembly or bytecode) and print r0',
  usage: `usage: bpfsim run FILE [--mem HEX|@FILE] [--engine interp] [--repeat N] [--budget N]
                  [--dialect llvm|ubpf] [--json]

Runs FILE as uBPF does: r1 points at a copy of the input memory, r2 holds its length, and the
result is r0. Raw runs are unverified, so every memory access is bounds-checked. Prints r0, the
instructions executed and the time per run (averaged over --repeat runs). --json prints one object:
{"r0":"0x…","insns":N,"ns_per_run":X}.`,
  run(argv, io) {
    const p = parseFlags('run', argv, {
      mem: { type: 'string' }, engine: { type: 'string' }, repeat: { type: 'string' },
      budget: { type: 'string' }, dialect: { type: 'string' }, json: { type: 'boolean' },
    });
    if (p.values['help']) return io.out(runCommand.usage + '\n'), 0;
    const [file, ...extra] = p.positionals;
    if (!file || extra.length) throw new UsageError('expects exactly one FILE (see bpfsim run --help)');
    const dialect = str(p, 'dialect') ?? 'llvm';
    if (dialect !== 'llvm' && dialect !== 'ubpf') throw new UsageError(`--dialect must be llvm or ubpf, not '${dialect}'`);
    const insns = readProgram(file, dialect);
    const mem = str(p, 'mem');
    const machine = new Machine();
    const engine = str(p, 'engine') ?? 'interp';
    if (!machine.engines.has(engine)) {
      throw new UsageError(`unknown engine '${engine}' (available: ${[...machine.engines.keys()].join(', ')})`);
    }
    const prog = machine.loadProgram({ insns, name: file });
    const r = prog.runRaw({
      mem: mem === undefined ? new Uint8Array(0) : bytesArg(mem, '--mem'),
      engine,
      repeat: int(p, 'repeat', 1),
      budget: int(p, 'budget', 100_000_000),
    });
    const r0 = '0x' + r.r0.toString(16);
    if (p.values['json']) {
      io.out(JSON.stringify({ r0, insns: r.insns, ns_per_run: Math.round(r.nsPerRun * 10) / 10 }) + '\n');
    } else {
      io.out(`r0 = ${r0} (${BigInt.asIntN(64, r.r0)})\ninsns = ${r.insns}\nns/run = ${r.nsPerRun.toFixed(1)}\n`);
    }
    return 0;
  },
};
