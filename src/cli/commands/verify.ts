import { ErrnoError } from '../../errno.js';
import { isElf, loadCollectionSpec, prepareLoad } from '../../elf/index.js';
import { KernelError } from '../../kernel/index.js';
import { VerifierRejectedError, type VerifyError } from '../../verifier/index.js';
import type { Backend, ProgramLoadSpec } from '../../vm/index.js';
import { backendFor, progTypeArg } from '../backends.js';
import { readFile, readProgram } from '../input.js';
import { UsageError, int, parseFlags, str } from '../usage.js';
import type { CliIo, Command } from '../usage.js';

function processed(log: string): number | undefined {
  const m = /processed (\d+) insns/.exec(log);
  return m ? Number(m[1]) : undefined;
}

interface Verdict {
  readonly name: string;
  readonly accepted: boolean;
  readonly errno: number;
  readonly log: string;
  readonly processed: number | undefined;
  readonly errors: readonly VerifyError[];
}

/** Loads one program on a backend and turns the outcome into a verdict. */
function verdictOf(backend: Backend, name: string, spec: ProgramLoadSpec): Verdict {
  try {
    const r = backend.loadProgram(spec);
    return { name, accepted: true, errno: 0, log: r.log, processed: r.verifiedInsns ?? processed(r.log), errors: [] };
  } catch (e) {
    const cause = (e as { cause?: unknown }).cause ?? e;
    if (!(cause instanceof ErrnoError) || cause.op !== 'BPF_PROG_LOAD') throw e;
    const log = cause instanceof KernelError || cause instanceof VerifierRejectedError ? cause.log ?? '' : '';
    const errors = cause instanceof VerifierRejectedError ? cause.result.errors : [];
    return { name, accepted: false, errno: cause.errno, log, processed: processed(log), errors };
  }
}

/** The verdicts on FILE: its one program (assembly, bytecode) or an object's programs. */
function verdicts(file: string, backend: Backend, p: ReturnType<typeof parseFlags>): Verdict[] {
  const logLevel = int(p, 'log-level', 1);
  const prog = str(p, 'prog');
  const bytes = readFile(file);
  if (!isElf(bytes)) {
    if (prog !== undefined) throw new UsageError('--prog is for ELF objects; FILE is not one');
    const dialect = str(p, 'dialect') ?? 'llvm';
    if (dialect !== 'llvm' && dialect !== 'ubpf') throw new UsageError(`--dialect must be llvm or ubpf, not '${dialect}'`);
    const type = progTypeArg(str(p, 'type') ?? 'xdp');
    return [verdictOf(backend, 'verify', { type, insns: readProgram(file, dialect), name: 'verify', logLevel })];
  }
  const spec = loadCollectionSpec(bytes);
  const names = prog !== undefined ? [prog] : Object.keys(spec.programs);
  const typeName = str(p, 'type');
  return names.map((name) => {
    const prepared = prepareLoad(spec, name, { backend });
    try {
      const type = typeName !== undefined ? progTypeArg(typeName) : prepared.loadSpec.type;
      return verdictOf(backend, name, { ...prepared.loadSpec, type, logLevel });
    } finally {
      for (const m of Object.values(prepared.maps)) m.close();
    }
  });
}

function print(io: CliIo, v: Verdict, many: boolean): void {
  if (many) io.out(`${v.name}:\n`);
  io.out(v.log.endsWith('\n') || v.log === '' ? v.log : v.log + '\n');
  for (const e of v.errors) if (e.sourceLine) io.out(`at insn ${e.insn}, ${e.sourceLine}\n`);
  io.out(v.accepted
    ? `verdict: accepted${v.processed !== undefined ? ` (processed ${v.processed} insns)` : ''}\n`
    : `verdict: rejected (errno ${v.errno})\n`);
}

/** `bpfsim verify`: a verifier's verdict and log. */
export const verifyCommand: Command = {
  name: 'verify',
  summary: "print a verifier's verdict and log for a program",
  usage: `usage: bpfsim verify FILE.o|FILE.s [--prog NAME] [--type T] [--log-level 1|2] [--backend sim|kernel]
                     [--dialect llvm|ubpf] [--json]

Verifies FILE (an object's programs, or assembly or bytecode as program type T, default xdp) the
way Linux does for a privileged load and prints the log and the verdict; exits 1 when a program is
rejected. --backend sim (default) is bpfsim's verifier, --backend kernel the running kernel's.
--prog picks one program of an object (default: all); --type overrides the section's type.
--log-level is the kernel's log_level: 1 (default: the path that failed), 2 (every state).
--json prints {"backend":…,"verdict":"accepted"|"rejected","errno":N,"processed_insns":N,"log":"…",
"errors":[{"insn":N,"sourceLine":"…","message":"…"}]} (one object per program, one per line).`,
  run(argv, io) {
    const p = parseFlags('verify', argv, {
      backend: { type: 'string' }, type: { type: 'string' }, 'log-level': { type: 'string' },
      dialect: { type: 'string' }, json: { type: 'boolean' }, prog: { type: 'string' },
    });
    if (p.values['help']) return io.out(verifyCommand.usage + '\n'), 0;
    const [file, ...extra] = p.positionals;
    if (!file || extra.length) throw new UsageError('expects exactly one FILE (see bpfsim verify --help)');
    const which = str(p, 'backend') ?? 'sim';
    if (which !== 'kernel' && which !== 'sim') throw new UsageError(`--backend must be sim or kernel, not '${which}'`);
    const backend = backendFor(which === 'kernel' ? 'kernel' : 'interp');
    let all: Verdict[];
    try {
      all = verdicts(file, backend, p);
    } finally {
      backend.close();
    }
    for (const v of all) {
      if (p.values['json']) {
        io.out(JSON.stringify({
          backend: which, ...(all.length > 1 ? { prog: v.name } : {}), verdict: v.accepted ? 'accepted' : 'rejected', errno: v.errno,
          processed_insns: v.processed ?? null, log: v.log, errors: v.errors,
        }) + '\n');
      } else {
        print(io, v, all.length > 1);
      }
    }
    return all.every((v) => v.accepted) ? 0 : 1;
  },
};
