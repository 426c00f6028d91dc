/**
 * `npm run fuzz:kernel -- --runs N --seed S [--workers W] [--engines interp,jit,kernel]`: a long
 * differential campaign of random programs on the kernel and on bpfsim's engines. Prints programs
 * compared, refused by the kernel (grouped by reason, and how many of them bpfsim's verifier refused
 * with the same errno and reason), kernel deviations by class, bpfsim
 * mismatches (with their listings), and the seed. Shards across child processes.
 */
import { availableParallelism } from 'node:os';
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
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
    compared: a.compared + b.compared, refused: a.refused + b.refused, refusedAgreed: a.refusedAgreed + b.refusedAgreed,
    mismatches: a.mismatches + b.mismatches,
    deviations: add(a.deviations, b.deviations), refusals: add(a.refusals, b.refusals),
  };
}

const { values } = parseArgs({
  args: process.argv.slice(2),
  options: {
    runs: { type: 'string' }, seed: { type: 'string' }, workers: { type: 'string' }, engines: { type: 'string' },
    shard: { type: 'string' },
  },
});
const runs = Number(values['runs'] ?? 10000);
const seed = Number(values['seed'] ?? Date.now() % 2 ** 31);
const shards = Math.max(1, Number(values['workers'] ?? availableParallelism()));
const engines = String(values['engines'] ?? 'interp').split(',').filter((e) => e && e !== 'kernel');

if (values['shard'] !== undefined) {
  process.stdout.write(JSON.stringify(campaign({ seed, runs, shard: Number(values['shard']), shards, engines })));
} else {
  const ok = kernelAvailable();
  if (!ok.ok) {
    console.log(`fuzz:kernel needs the kernel backend: ${ok.reason}`);
    process.exit(2);
  }
  const t0 = performance.now();
  const script = fileURLToPath(import.meta.url);
  const reports = await Promise.all(Array.from({ length: shards }, (_, shard) => new Promise<Report>((resolve, reject) => {
    const args = [...process.execArgv, script, '--runs', String(runs), '--seed', String(seed), '--workers', String(shards),
      '--engines', engines.join(','), '--shard', String(shard)];
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'inherit'] });
    let out = '';
    child.stdout!.on('data', (chunk) => { out += chunk.toString(); });
    child.on('error', reject);
    child.on('close', (code) => (code === 0 ? resolve(JSON.parse(out) as Report) : reject(new Error(`shard ${shard} exited with ${code}`))));
  })));
  const tally = reports.map((r) => r.tally).reduce(merge);
  for (const r of reports) for (const m of r.mismatches) console.log(`MISMATCH (${m.engine}): ${m.detail}\n${m.listing}\n`);
  console.log(JSON.stringify({ seed, runs, engines, seconds: Math.round((performance.now() - t0) / 1000), ...tally }, null, 2));
  process.exitCode = tally.mismatches > 0 ? 1 : 0;
}
