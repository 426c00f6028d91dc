/**
 * A corpus case's outcome as one comparable record (verdict, errno, first line of the reason,
 * processed count), from bpfsim's verifier or from the kernel's, with BTF func_info as callbacks need.
 */
import { KernelBackend } from '../../../src/kernel/index.js';
import type { MapSpec } from '../../../src/maps/index.js';
import { verifyProgram, type MapInfo } from '../../../src/verifier/index.js';
import { funcInfoBtf } from '../../helpers/support/xdp.js';
import type { CorpusCase } from './corpus.js';
import { kernelReason } from './verdicts.js';

/** What a corpus case asserts. */
export interface CaseVerdict {
  readonly ok: boolean;
  readonly errno: number;
  readonly message: string;
  readonly processed: number | undefined;
}

/** What the case expects. */
export function expectedVerdict(c: CorpusCase): CaseVerdict {
  return { ok: c.ok, errno: c.errno, message: c.message, processed: c.processed };
}

/** bpfsim's verdict on the case, with `maps` as the fd_array. */
export function simVerdictOf(c: CorpusCase, maps: readonly MapInfo[]): CaseVerdict {
  const r = verifyProgram(c.insns, { progType: c.type, maps, funcInfo: true });
  return { ok: r.ok, errno: r.errno, message: r.errors[0]?.message.split('\n')[0] ?? '', processed: r.stats.processed };
}

/** The kernel's verdict on the case, with maps created from `specs` as the fd_array. */
export function kernelVerdictOf(c: CorpusCase, specs: readonly MapSpec[]): CaseVerdict {
  const kb = new KernelBackend();
  try {
    const maps = specs.map((m) => kb.createMap(m));
    try {
      const r = kb.loadProgram({ type: c.type, insns: c.insns, maps, btf: funcInfoBtf(c.insns), logLevel: 1 });
      r.program.close();
      return { ok: true, errno: 0, message: '', processed: r.verifiedInsns ?? -1 };
    } catch (e) {
      const { errno, log } = e as { errno: number; log?: string };
      const processed = Number(/processed (\d+) insns/.exec(log ?? '')?.[1] ?? -1);
      return { ok: false, errno, message: kernelReason(log ?? '').split('\n')[0]!, processed };
    }
  } finally {
    kb.close();
  }
}
