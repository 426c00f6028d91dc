import { basename } from 'node:path';
import { createMachine } from '../../machines.js';
import { backendFor, progTypeArg } from '../backends.js';
import { bytesArg, readFile, readProgram } from '../input.js';
import { parseMapUpdate, runObject } from '../objectRun.js';
import { printTestRun, testRunOutput } from '../testRunOutput.js';
import { isElf, LoadError } from '../../elf/index.js';
import { UsageError, int, parseFlags, str } from '../usage.js';
import type { Command, Parsed } from '../usage.js';
import type { Insn } from '../../isa/index.js';
import type { TestRunOptions } from '../../vm/index.js';
import type { CliIo } from '../usage.js';
import { VerifierRejectedError } from '../../verifier/index.js';

/** Raw mode: r1 = input memory, r2 = its length, as uBPF. */
function runRawMode(p: Parsed, io: CliIo, insns: Insn[], name: string, engine: string): number {
  const machine = createMachine();
  if (!machine.engines.has(engine)) {
    const hint = engine === 'kernel' ? ': the kernel runs programs as a program type, add --type xdp or --type socket_filter' : '';
    throw new UsageError(`engine '${engine}' cannot run raw programs${hint}`);
  }
  const mem = str(p, 'mem');
  const r = machine.loadProgram({ insns, name }).runRaw({
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
}

/** The test run's inputs: --packet (or --mem), --ctx-in and --repeat. */
function testRunInput(p: Parsed): TestRunOptions {
  const packet = str(p, 'packet') ?? str(p, 'mem');
  const ctx = str(p, 'ctx-in');
  return {
    ...(packet !== undefined ? { data: bytesArg(packet, '--packet') } : {}),
    ...(ctx !== undefined ? { ctx: bytesArg(ctx, '--ctx-in') } : {}),
    repeat: int(p, 'repeat', 1),
  };
}

/** Program-type mode: a BPF_PROG_TEST_RUN on the chosen backend. */
function runTyped(p: Parsed, io: CliIo, insns: Insn[], name: string, engine: string): number {
  const type = progTypeArg(str(p, 'type')!);
  const backend = backendFor(engine, !p.values['no-verify']);
  try {
    let program;
    try {
      program = backend.loadProgram({ type, insns, name }).program;
    } catch (e) {
      if (!(e instanceof VerifierRejectedError)) throw e;
      io.err(e.log + `bpfsim run: the verifier rejects the program (errno ${e.errno}); --no-verify runs it in checked mode\n`);
      return 1;
    }
    const r = program.testRun(testRunInput(p));
    printTestRun(io, testRunOutput(r), !!p.values['json']);
    return 0;
  } finally {
    backend.close();
  }
}

/** Object mode: load a BPF ELF object, update its maps, test-run one program, read the maps back. */
function runObjectMode(p: Parsed, io: CliIo, bytes: Uint8Array, engine: string): number {
  const prog = str(p, 'prog');
  if (prog === undefined) throw new UsageError('FILE is a BPF object: name the program to run with --prog NAME (bpfsim inspect lists them)');
  const typeName = str(p, 'type');
  const updates = ((p.values['map-update'] ?? []) as string[]).map(parseMapUpdate);
  const backend = backendFor(engine, !p.values['no-verify']);
  try {
    const r = runObject(bytes, backend, {
      prog,
      ...(typeName !== undefined ? { type: progTypeArg(typeName) } : {}),
      updates,
      input: testRunInput(p),
      mapsAfter: !!p.values['maps-after'],
    });
    printTestRun(io, r, !!p.values['json']);
    return 0;
  } catch (e) {
    const cause = e instanceof LoadError ? e.cause : e;
    if (!(cause instanceof VerifierRejectedError)) throw e;
    io.err(cause.log + `bpfsim run: the verifier rejects ${prog} (errno ${cause.errno}); --no-verify runs it in checked mode\n`);
    return 1;
  } finally {
    backend.close();
  }
}

/** `bpfsim run`: run a program on input memory, or test-run it as a program type. */
export const runCommand: Command = {
  name: 'run',
  summary: 'run a program (assembly or bytecode): raw like uBPF, or as a program type',
  usage: `usage: bpfsim run FILE [--mem HEX|@FILE] [--engine interp|jit|kernel] [--repeat N] [--budget N]
                  [--dialect llvm|ubpf] [--json]
       bpfsim run FILE --type T [--packet HEX|@FILE] [--ctx-in HEX|@FILE] [--engine interp|jit|kernel] [--no-verify]
                  [--repeat N] [--json]
       bpfsim run FILE.o --prog NAME [--packet HEX|@FILE] [--ctx-in HEX|@FILE] [--type T] [--engine …]
                  [--map-update NAME:KEYHEX:VALUEHEX …] [--maps-after] [--no-verify] [--repeat N] [--json]

Without --type, runs FILE as uBPF does: r1 points at a copy of the input memory, r2 holds its
length, and the result is r0. Raw runs are unverified, so every memory access is bounds-checked.
Prints r0, the instructions executed and the time per run (averaged over --repeat runs). --json
prints one object: {"r0":"0x…","insns":N,"ns_per_run":X}.

With --type (xdp, socket_filter, sched_cls, … as the kernel names them), verifies FILE as Linux
would (a rejected program is not run: its log is printed; --no-verify runs it anyway, checked),
then test-runs it as that program type, the way BPF_PROG_TEST_RUN does, on the packet and context given; --engine kernel
runs it on the running kernel. Prints retval, data out and context out; --json prints
{"retval":N,"data_out":"hex","ctx_out":"hex","ns_per_run":X}.

With a BPF ELF object, loads it as libbpf would (maps, global data, relocations; the program type
from its section unless --type says otherwise) and test-runs the program --prog. Each --map-update
is applied after the load and before the run, as bpftool map update would (a per-CPU map gets the
value on every CPU); --maps-after adds each map's non-zero entries after the run (per-CPU maps:
CPU 0's slice) to the output, in --json as "maps_after":{"name":[["keyhex","valuehex"],…]}.`,
  run(argv, io) {
    const p = parseFlags('run', argv, {
      mem: { type: 'string' }, engine: { type: 'string' }, repeat: { type: 'string' },
      budget: { type: 'string' }, dialect: { type: 'string' }, json: { type: 'boolean' },
      type: { type: 'string' }, packet: { type: 'string' }, 'ctx-in': { type: 'string' }, 'no-verify': { type: 'boolean' },
      prog: { type: 'string' }, 'map-update': { type: 'string', multiple: true }, 'maps-after': { type: 'boolean' },
    });
    if (p.values['help']) return io.out(runCommand.usage + '\n'), 0;
    const [file, ...extra] = p.positionals;
    if (!file || extra.length) throw new UsageError('expects exactly one FILE (see bpfsim run --help)');
    const dialect = str(p, 'dialect') ?? 'llvm';
    if (dialect !== 'llvm' && dialect !== 'ubpf') throw new UsageError(`--dialect must be llvm or ubpf, not '${dialect}'`);
    const engine = str(p, 'engine') ?? 'interp';
    const bytes = readFile(file);
    if (isElf(bytes)) return runObjectMode(p, io, bytes, engine);
    for (const f of ['prog', 'map-update', 'maps-after']) {
      if (p.values[f] !== undefined) throw new UsageError(`--${f} is for BPF ELF objects; ${file} is not one`);
    }
    const insns = readProgram(file, dialect);
    const name = basename(file).replace(/\.[^.]*$/, '');
    return str(p, 'type') === undefined ? runRawMode(p, io, insns, name, engine) : runTyped(p, io, insns, name, engine);
  },
};
