/*
 * A long fuzz campaign of the ELF/BTF loader: `npm run fuzz:elf -- --runs 100000 [--seed N]
 * [--workers N]`. Mutated fixtures (test/elf/support/mutate.ts) go through every loader entry
 * point in child processes; the loader may only throw its own typed errors. A child that stops
 * reporting progress for --hang-ms (default 30 s) is a hang: it is killed and its seed printed.
 * Exits 1 on any crash or hang, printing what reproduces it.
 */
import fc from 'fast-check';
import { spawn } from 'node:child_process';
import { availableParallelism } from 'node:os';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { BpfError } from '../src/errors.js';
import { loadCollectionSpec } from '../src/elf/index.js';
import { caseArb, exerciseLoader, fixtures, mutate } from '../test/elf/support/mutate.js';

interface Job {
  runs: number;
  seed: number;
}

type Report =
  | { type: 'progress'; done: number }
  | { type: 'done'; done: number; slowestMs: number; outcomes: Record<string, number> }
  | { type: 'crash'; message: string };

function outcome(bytes: Uint8Array): string {
  try {
    loadCollectionSpec(bytes);
    return 'loads';
  } catch (e) {
    return e instanceof BpfError ? e.name : 'other';
  }
}

function work(job: Job): void {
  const objs = fixtures();
  const port = { postMessage: (r: Report) => void process.stdout.write(JSON.stringify(r) + '\n') };
  const outcomes: Record<string, number> = {};
  let done = 0;
  let slowestMs = 0;
  try {
    fc.assert(fc.property(caseArb(objs), (c) => {
      const bytes = mutate(objs[c.fixture]!.bytes, c.mutations);
      const t0 = performance.now();
      exerciseLoader(bytes);
      slowestMs = Math.max(slowestMs, performance.now() - t0);
      const o = outcome(bytes);
      outcomes[o] = (outcomes[o] ?? 0) + 1;
      if (++done % 500 === 0) port.postMessage({ type: 'progress', done } satisfies Report);
    }), { numRuns: job.runs, seed: job.seed });
    port.postMessage({ type: 'done', done, slowestMs, outcomes } satisfies Report);
  } catch (e) {
    port.postMessage({ type: 'crash', message: e instanceof Error ? e.message : String(e) } satisfies Report);
  }
}

function main(): void {
  const { values } = parseArgs({
    args: process.argv.slice(2),
    options: {
      runs: { type: 'string' }, seed: { type: 'string' }, workers: { type: 'string' }, 'hang-ms': { type: 'string' },
      child: { type: 'boolean' },
    },
    strict: true, allowPositionals: false,
  });
  const runs = Number(values['runs'] ?? 100_000);
  const seed = Number(values['seed'] ?? Date.now() % 0x7fffffff);
  if (values['child']) return work({ runs, seed });
  const workers = Math.max(1, Number(values['workers'] ?? availableParallelism()));
  const hangMs = Number(values['hang-ms'] ?? 30_000);
  console.log(`fuzz:elf: ${runs} cases, seed ${seed}, ${workers} workers`);
  const started = performance.now();
  const outcomes: Record<string, number> = {};
  let slowest = 0;
  let total = 0;
  let failed = false;
  let pending = workers;
  for (let i = 0; i < workers; i++) {
    const job: Job = { runs: Math.floor(runs / workers) + (i < runs % workers ? 1 : 0), seed: seed + i };
    const w = spawn(process.execPath, [...process.execArgv, fileURLToPath(import.meta.url), '--child', '--runs', String(job.runs), '--seed', String(job.seed)], {
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let last = performance.now();
    let buffered = '';
    let done = 0;
    const watchdog = setInterval(() => {
      if (performance.now() - last < hangMs) return;
      console.log(`HANG: worker ${i} (seed ${job.seed}) made no progress for ${hangMs} ms after case ${done}`);
      failed = true;
      w.kill('SIGKILL');
    }, 1000);
    w.stdout!.on('data', (chunk) => {
      buffered += chunk.toString();
      const lines = buffered.split('\n');
      buffered = lines.pop()!;
      for (const line of lines) if (line) onReport(JSON.parse(line) as Report);
    });
    const onReport = (r: Report) => {
      last = performance.now();
      if (r.type === 'progress') done = r.done;
      if (r.type === 'crash') {
        failed = true;
        console.log(`CRASH in worker ${i} (seed ${job.seed}):\n${r.message}`);
      }
      if (r.type === 'done') {
        total += r.done;
        slowest = Math.max(slowest, r.slowestMs);
        for (const [k, n] of Object.entries(r.outcomes)) outcomes[k] = (outcomes[k] ?? 0) + n;
      }
    };
    w.on('exit', () => {
      clearInterval(watchdog);
      if (--pending > 0) return;
      const secs = (performance.now() - started) / 1000;
      console.log(`cases: ${total} in ${secs.toFixed(1)} s (${Math.round(total / secs)}/s); slowest case ${slowest.toFixed(1)} ms`);
      console.log(`loader outcome of the mutated objects: ${Object.entries(outcomes).map(([k, n]) => `${k} ${n}`).join(', ')}`);
      console.log(failed ? 'FAILED' : 'no crash, no hang');
      process.exitCode = failed ? 1 : 0;
    });
  }
}

main();
