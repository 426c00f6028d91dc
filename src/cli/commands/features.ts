import { SimBackend } from '../../vm/index.js';
import { createMachine } from '../../machines.js';
import { backendFor } from '../backends.js';
import { featuresJson, formatFeatures, formatMissing } from '../features/format.js';
import { missingHelpers, probeFeatures } from '../features/probe.js';
import { UsageError, parseFlags, str } from '../usage.js';
import type { Command } from '../usage.js';

/** `bpfsim features`: what a backend supports, as `bpftool feature probe` reports it for a kernel. */
export const featuresCommand: Command = {
  name: 'features',
  summary: 'list the program types, map types and helpers a backend supports (as bpftool feature probe)',
  usage: `usage: bpfsim features [--backend sim|kernel] [--json] [--missing]

Lists the program types, map types and helpers per program type that bpfsim supports (--backend
sim, the default), or that the running kernel supports (--backend kernel, probed by loading a
tiny program per type and per helper and creating a map per type, as bpftool does; about a
third of a second). On the simulator a program type is available when bpfsim can run it, and its
helpers are those bpfsim implements that the kernel's rules allow it.
--json prints bpftool's JSON keys (have_xdp_prog_type, have_hash_map_type, xdp_available_helpers).
--missing prints, per program type, the helpers the kernel allows that bpfsim does not implement.`,
  run(argv, io) {
    const p = parseFlags('features', argv, { backend: { type: 'string' }, json: { type: 'boolean' }, missing: { type: 'boolean' } });
    if (p.values['help']) return io.out(featuresCommand.usage + '\n'), 0;
    if (p.positionals.length) throw new UsageError('takes no arguments (see bpfsim features --help)');
    const which = str(p, 'backend') ?? 'sim';
    if (which !== 'sim' && which !== 'kernel') throw new UsageError(`--backend must be sim or kernel, not '${which}'`);
    if (p.values['missing'] && which !== 'sim') throw new UsageError('--missing describes the simulator: use it with --backend sim');
    const backend = which === 'kernel' ? backendFor('kernel') : new SimBackend({ machine: createMachine() });
    try {
      const report = probeFeatures(backend);
      if (p.values['missing']) io.out(formatMissing(missingHelpers(report)));
      else io.out(p.values['json'] ? JSON.stringify(featuresJson(report)) + '\n' : formatFeatures(report));
    } finally {
      backend.close();
    }
    return 0;
  },
};
