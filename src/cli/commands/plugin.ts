import { HelperTable } from '../../helpers/index.js';
import { createMachine } from '../../machines.js';
import type { Machine } from '../../vm/index.js';
import { parseHex } from '../input.js';
import { UsageError, parseFlags, str } from '../usage.js';
import type { Command } from '../usage.js';

/** The bpf_conformance suite's helper 5 ("unwind"): returns r1; r0 == 0 then ends the program. */
export const UNWIND_HELPER = 5;

/** A Machine with the helper table the bpf_conformance suite expects. */
export function conformanceMachine(): Machine {
  const helpers = new HelperTable().set(UNWIND_HELPER, 'unwind', (c) => (BigInt(c.hi[1]! >>> 0) << 32n) | BigInt(c.lo[1]! >>> 0));
  return createMachine({ helpers, cpus: 1 });
}

/** `bpfsim plugin`: the bpf_conformance plugin protocol. */
export const pluginCommand: Command = {
  name: 'plugin',
  summary: 'run one program for the bpf_conformance runner (program hex on stdin)',
  usage: `usage: bpfsim plugin [--engine interp|jit] [MEMHEX] [OPTIONS]

Speaks the bpf_conformance plugin protocol: the program arrives as hex bytes on standard input,
the input memory as hex bytes in the first argument; r0 is printed in hex. An error exits non-zero
with a message on standard error. The runner passes plugin options as one argument; they are split
on spaces and read like flags (e.g. --plugin_options "--engine interp").`,
  run(argv, io) {
    // The runner sends the memory as the first argument (possibly empty) and its plugin options
    // as one more argument (possibly empty): split that one into words.
    const words = argv.flatMap((a, i) => (i === 0 && !a.startsWith('--') ? [a] : a.split(/\s+/).filter((w) => w !== '')));
    const p = parseFlags('plugin', words, { engine: { type: 'string' } });
    if (p.values['help']) return io.out(pluginCommand.usage + '\n'), 0;
    if (p.positionals.length > 1) throw new UsageError('expects at most one MEMHEX argument');
    const mem = parseHex(p.positionals[0] ?? '', 'memory');
    const code = parseHex(io.stdin(), 'program');
    const machine = conformanceMachine();
    const engine = str(p, 'engine') ?? 'interp';
    if (!machine.engines.has(engine)) throw new UsageError(`unknown engine '${engine}'`);
    const r = machine.loadProgram({ insns: code }).runRaw({ mem, engine, unwindHelper: UNWIND_HELPER });
    io.out('0x' + r.r0.toString(16) + '\n');
    return 0;
  },
};
