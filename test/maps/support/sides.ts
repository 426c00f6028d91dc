import fc from 'fast-check';
import { KernelMap } from '../../../src/kernel/index.js';
import type { MapSpec } from '../../../src/maps/index.js';
import type { TestEnv } from './env.js';
import { compareSequence, type DiffConfig, type DiffMap, type Op, type Side } from './diff.js';

/** Objects a sequence's values may name by index: their fds on one side, and the names of their ids. */
export interface Pool {
  /** fds by pool index. */
  readonly fds: number[];
  /** Pool names by object id or socket cookie. */
  readonly names: Map<bigint, string>;
}

/** An empty pool. */
export function emptyPool(): Pool {
  return { fds: [], names: new Map() };
}

/** An fd no side has open. */
export const CLOSED_FD = 999_999;

function side(name: 'sim' | 'kernel', map: DiffMap, pool: Pool): Side {
  return {
    name,
    map,
    fd: (ref) => pool.fds[ref] ?? CLOSED_FD,
    ref: (id) => pool.names.get(id) ?? `id?${id}`,
  };
}

/** How a differential test creates its two maps and pools. */
export interface DiffSetup {
  readonly env: TestEnv;
  readonly simPool?: Pool;
  readonly kernelPool?: Pool;
  /** The spec for the kernel when it must differ (never, except to name things). */
  readonly kernelSpec?: MapSpec;
}

/** Multiplies the number of sequences (BPFSIM_DIFF_SCALE=10 for a long soak). */
const SCALE = Number(process.env['BPFSIM_DIFF_SCALE'] ?? 1) || 1;

/** Runs `runs` generated sequences on a fresh simulated and kernel map each, requiring identical outcomes. */
export function runDiff(cfg: DiffConfig, setup: DiffSetup, ops: fc.Arbitrary<Op[]>, runs: number): void {
  fc.assert(
    fc.property(ops, (seq) => {
      const sim = setup.env.registry.create(cfg.spec);
      const kernel = KernelMap.create(setup.kernelSpec ?? cfg.spec);
      try {
        compareSequence(cfg, [side('sim', sim, setup.simPool ?? emptyPool()), side('kernel', kernel, setup.kernelPool ?? emptyPool())], seq);
      } finally {
        setup.env.registry.remove(sim);
        kernel.close();
      }
    }),
    { numRuns: Math.round(runs * SCALE) },
  );
}
