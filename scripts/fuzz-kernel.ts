/**
 * `npm run fuzz:kernel -- --runs N --seed S [--workers W] [--engines interp,jit]`: a long
 * differential campaign of random programs on the kernel and on bpfsim's engines. Prints programs
 * compared, refused by the kernel (grouped by reason), kernel deviations by class, bpfsim
 * mismatches (with their listings), and the seed. Shards across worker threads.
 */
import { availableParallelism } from 'node:os';
import { parseArgs } from 'node:util';
import { Worker, isMainThread, parentPort, workerData } from 'node:worker_threads';
import { KernelBackend, kernelAvailable } from '../src/kernel/index.js';
import { createMachine } from '../src/machines.js';
import { SimBackend } from '../src/vm/index.js';
import { count, diffCase, newTally } from '../test/support/kernelDiff.js';
import type { Outcome, Tally } from '../test/support/kernelDiff.js';
import { caseAt } from '../test/support/kernelProgram.js';

interface Job { seed: number; runs: number; shard: number; shards: number; engines: string[] }
interface Report { tally: Tally; mismatches: Extract<Outcome, { kind: 'mismatch' }>[] }

function campaign(job: Job): Report {
  const kernel = new KernelBackend();
  const sims = job.engines.map((engine) => ({
    engine, backend: new SimBackend({ machine: createMachine({ cpus: kernel.ncpus }), engine, checked: true }),
  }));
  const tally = newTally();
  const mismatches: Report['mismatches'] = [];
  try {
    for (let i = job.shard; i < job.runs; i += job.shards) {
      const o = diffCase(caseAt(job.seed, i), { kernel, sims });
      count(tally, o);
      if (o.kind === 'mismatch') mismatches.push({ ...o, detail: `case ${i}: ${o.detail}` });
    }
  } finally {
    kernel.close();
  }
  return { tally, mismatches };
}

function merge(a: Tally, b: Tally): Tally {
  const add = (x: Record<string, number>, y: Record<string, number>): Record<string, number> => {
    const out = { ...x };
    for (const [k, v] of Object.entries(y)) out[k] = (out[k] ?? 0) + v;
    return out;
  };
  return {
    compared: a.compared + b.compared, refused: a.refused + b.refused, mismatches: a.mismatches + b.mismatches,
    deviations: add(a.deviations, b.deviations), refusals: add(a.refusals, b.refusals),
  };
}

if (!isMainThread) {
  parentPort!.postMessage(campaign(workerData as Job));
} else {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: { runs: { type: 'string' }, seed: { type: 'string' }, workers: { type: 'string' }, engines: { type: 'string' } },
  });
  const ok = kernelAvailable();
  if (!ok.ok) {
    console.log(`fuzz:kernel needs the kernel backend: ${ok.reason}`);
    process.exit(2);
  }
  const runs = Number(values['runs'] ?? 10000);
  const seed = Number(values['seed'] ?? Date.now() % 2 ** 31);
  const shards = Math.max(1, Number(values['workers'] ?? availableParallelism()));
  const engines = String(values['engines'] ?? 'interp').split(',').filter((e) => e && e !== 'kernel');
  const t0 = performance.now();
  const reports = await Promise.all(Array.from({ length: shards }, (_, shard) => new Promise<Report>((resolve, reject) => {
    const w = new Worker(new URL(import.meta.url), { workerData: { seed, runs, shard, shards, engines } satisfies Job, execArgv: ['--import', 'tsx'] });
    w.on('message', resolve);
    w.on('error', reject);
  })));
  const tally = reports.map((r) => r.tally).reduce(merge);
  for (const r of reports) for (const m of r.mismatches) console.log(`MISMATCH (${m.engine}): ${m.detail}\n${m.listing}\n`);
  console.log(JSON.stringify({ seed, runs, engines, seconds: Math.round((performance.now() - t0) / 1000), ...tally }, null, 2));
  process.exitCode = tally.mismatches > 0 ? 1 : 0;
}
