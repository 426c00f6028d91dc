import { describe, expect, test } from 'vitest';
import { benchInsns, benchPrograms, type BenchProgram } from '../../src/bench/index.js';
import { KernelBackend, kernelAvailable } from '../../src/kernel/index.js';
import { createMachine } from '../../src/machines.js';
import { BPF_PROG_TYPE_XDP } from '../../src/uapi.js';
import { SimBackend, type Backend } from '../../src/vm/index.js';

const available = kernelAvailable();
if (!available.ok) console.log(`bench programs are verified by bpfsim only: ${available.reason}`);

/** Instructions the backend's verifier processed loading `p` as XDP, with fresh maps. */
function processed(backend: Backend, p: BenchProgram): number {
  const maps = (p.maps ?? []).map((spec) => backend.createMap(spec));
  try {
    const r = backend.loadProgram({ type: BPF_PROG_TYPE_XDP, insns: benchInsns(p), name: p.name, maps, logLevel: 1 });
    r.program.close();
    return r.verifiedInsns ?? Number(/processed (\d+) insns/.exec(r.log)?.[1]);
  } finally {
    for (const m of maps) m.close();
  }
}

describe('the benchmark programs verify as the kernel verifies them', () => {
  test.each(benchPrograms.map((p) => [p.name, p] as const))('%s', (_name, p) => {
    const sim = processed(new SimBackend({ machine: createMachine({ cpus: 1 }) }), p);
    expect(sim).toBeGreaterThan(0);
    expect(sim).toBeLessThan(1000);
    if (!available.ok) return;
    const kernel = new KernelBackend();
    try {
      const k = processed(kernel, p);
      expect(sim / k).toBeLessThanOrEqual(2);
      expect(k / sim).toBeLessThanOrEqual(2);
    } finally {
      kernel.close();
    }
  });
});
