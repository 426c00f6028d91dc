import { ErrnoError } from '../../errno.js';
import { KernelError } from '../../kernel/index.js';
import { backendFor, progTypeArg } from '../backends.js';
import { readProgram } from '../input.js';
import { UsageError, int, parseFlags, str } from '../usage.js';
import type { Command } from '../usage.js';

function processed(log: string): number | undefined {
  const m = /processed (\d+) insns/.exec(log);
  return m ? Number(m[1]) : undefined;
}

/** `bpfsim verify`: a verifier's verdict and log. */
export const verifyCommand: Command = {
  name: 'verify',
  summary: "print a verifier's verdict and log for a program",
  usage: `usage: bpfsim verify FILE --backend kernel [--type T] [--log-level N] [--dialect llvm|ubpf] [--json]

Loads FILE (assembly or bytecode) as program type T (default xdp) and prints the verifier log and
its verdict; exits 1 when the program is rejected. --backend kernel asks the running kernel's
verifier (bpfsim's own verifier is not built yet, so it is the only backend). --log-level is the
kernel's log_level: 1 (default), 2 (every state) or 4 (statistics only). --json prints
{"backend":"kernel","verdict":"accepted"|"rejected","errno":N,"processed_insns":N,"log":"…"}.`,
  run(argv, io) {
    const p = parseFlags('verify', argv, {
      backend: { type: 'string' }, type: { type: 'string' }, 'log-level': { type: 'string' },
      dialect: { type: 'string' }, json: { type: 'boolean' },
    });
    if (p.values['help']) return io.out(verifyCommand.usage + '\n'), 0;
    const [file, ...extra] = p.positionals;
    if (!file || extra.length) throw new UsageError('expects exactly one FILE (see bpfsim verify --help)');
    const which = str(p, 'backend');
    if (which !== 'kernel') {
      throw new UsageError(`--backend ${which ?? '(none)'} is not available: bpfsim's own verifier is not built yet; use --backend kernel`);
    }
    const dialect = str(p, 'dialect') ?? 'llvm';
    if (dialect !== 'llvm' && dialect !== 'ubpf') throw new UsageError(`--dialect must be llvm or ubpf, not '${dialect}'`);
    const insns = readProgram(file, dialect);
    const type = progTypeArg(str(p, 'type') ?? 'xdp');
    const logLevel = int(p, 'log-level', 1);
    const backend = backendFor('kernel');
    let verdict: { accepted: boolean; errno: number; log: string; processed: number | undefined };
    try {
      const r = backend.loadProgram({ type, insns, name: 'verify', logLevel });
      verdict = { accepted: true, errno: 0, log: r.log, processed: r.verifiedInsns ?? processed(r.log) };
    } catch (e) {
      if (!(e instanceof ErrnoError) || e.op !== 'BPF_PROG_LOAD') throw e;
      const log = e instanceof KernelError ? e.log ?? '' : '';
      verdict = { accepted: false, errno: e.errno, log, processed: processed(log) };
    } finally {
      backend.close();
    }
    if (p.values['json']) {
      io.out(JSON.stringify({
        backend: 'kernel', verdict: verdict.accepted ? 'accepted' : 'rejected', errno: verdict.errno,
        processed_insns: verdict.processed ?? null, log: verdict.log,
      }) + '\n');
    } else {
      io.out(verdict.log.endsWith('\n') || verdict.log === '' ? verdict.log : verdict.log + '\n');
      io.out(verdict.accepted
        ? `verdict: accepted${verdict.processed !== undefined ? ` (processed ${verdict.processed} insns)` : ''}\n`
        : `verdict: rejected (errno ${verdict.errno})\n`);
    }
    return verdict.accepted ? 0 : 1;
  },
};
