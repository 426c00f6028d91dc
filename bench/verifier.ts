/**
 * The verifier's speed, beside the kernel's: programs verified per second on the fuzz corpus (the
 * generated programs of `npm run fuzz:verifier`), and the time to load the largest fixture
 * program (xdp_lb.o, 82,635 instructions processed), bpfsim's verifier against the kernel's (through the kernel backend, when bpf() is
 * available). Loads include creating the object's maps on both backends.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { loadCollection, loadCollectionSpec } from '../src/elf/index.js';
import { KernelBackend, kernelAvailable } from '../src/kernel/index.js';
import { createMachine } from '../src/machines.js';
import type { Backend } from '../src/vm/index.js';
import { SimBackend } from '../src/vm/index.js';
import { genVerifierProgram } from '../test/verifier/support/genVerifier.js';
import { KernelVerdicts, simVerdict } from '../test/verifier/support/verdicts.js';

const CORPUS_SEED = 20261126;
const CORPUS = 2000;
const FIXTURE = 'xdp_lb.o';
const FIXTURE_PROG = 'xdp_lb';
const FIXTURE_LOADS = 5;

function perSecond(n: number, ms: number): string {
  return `${((n * 1000) / ms).toFixed(0).padStart(7)} programs/s`;
}

function fixtureLoadMs(backend: Backend, runs: number): number {
  const bytes = readFileSync(fileURLToPath(new URL(`../test/fixtures/bpf/${FIXTURE}`, import.meta.url)));
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const spec = loadCollectionSpec(bytes, { objectName: 'xdp_lb' });
    const t0 = performance.now();
    loadCollection(spec, { backend, programs: [FIXTURE_PROG] }).close();
    times.push(performance.now() - t0);
  }
  return times.sort((a, b) => a - b)[times.length >> 1]!;
}

/** Runs the verifier benchmark and returns its table. */
export function verifierBench(): string {
  const corpus = Array.from({ length: CORPUS }, (_, i) => genVerifierProgram(CORPUS_SEED + i).insns);
  const lines = [`verifier, fuzz corpus (${CORPUS} programs from seed ${CORPUS_SEED}) and ${FIXTURE} ${FIXTURE_PROG} (median of ${FIXTURE_LOADS} loads)`];
  let t0 = performance.now();
  for (const insns of corpus) simVerdict(insns);
  lines.push(`  bpfsim corpus      ${perSecond(CORPUS, performance.now() - t0)}`);
  const available = kernelAvailable();
  if (available.ok) {
    const k = new KernelVerdicts();
    t0 = performance.now();
    for (const insns of corpus) k.verdict(insns);
    lines.push(`  kernel corpus      ${perSecond(CORPUS, performance.now() - t0)}`);
    k.close();
  }
  const sim = new SimBackend({ machine: createMachine() });
  lines.push(`  bpfsim ${FIXTURE.padEnd(12)}${fixtureLoadMs(sim, FIXTURE_LOADS).toFixed(2).padStart(8)} ms`);
  sim.close();
  if (available.ok) {
    const kernel = new KernelBackend();
    lines.push(`  kernel ${FIXTURE.padEnd(12)}${fixtureLoadMs(kernel, FIXTURE_LOADS).toFixed(2).padStart(8)} ms`);
    kernel.close();
  } else {
    lines.push(`  (no kernel: ${available.reason})`);
  }
  return lines.join('\n');
}
