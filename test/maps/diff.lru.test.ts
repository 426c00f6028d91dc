import { spawnSync } from 'node:child_process';
import fc from 'fast-check';
import { afterAll, describe, test } from 'vitest';
import { kernelAvailable, ncpus } from '../../src/kernel/index.js';
import {
  BPF_F_NO_COMMON_LRU, BPF_F_ZERO_SEED, BPF_MAP_TYPE_LRU_HASH, BPF_MAP_TYPE_LRU_PERCPU_HASH,
} from '../../src/uapi.js';
import { TestEnv, u32 } from './support/env.js';
import { opsArb, printTallies, type DiffConfig } from './support/diff.js';
import { runDiff } from './support/sides.js';

/*
 * The kernel's LRU depends on the CPU each update runs on (per-CPU free lists). The simulator runs
 * userspace commands on CPU 0, so this file pins its process to CPU 0; then the LRU model must
 * agree with Linux exactly, evictions included.
 */

const availability = kernelAvailable();
if (!availability.ok) console.log(`skipping kernel differential tests: ${availability.reason}`);

function pinToCpu0(): string | undefined {
  const r = spawnSync('taskset', ['-a', '-p', '-c', '0', String(process.pid)]);
  if (r.error || r.status !== 0) return `cannot pin the test process to CPU 0 with taskset (${r.error?.message ?? r.stderr.toString().trim()})`;
  return undefined;
}

const RUNS = 300;

const cases = [
  { name: 'LRU_HASH', type: BPF_MAP_TYPE_LRU_HASH, flags: BPF_F_ZERO_SEED, maxEntries: 6, valueSize: 4 },
  { name: 'LRU_HASH', type: BPF_MAP_TYPE_LRU_HASH, flags: BPF_F_ZERO_SEED, maxEntries: 33, valueSize: 8 },
  { name: 'LRU_HASH', type: BPF_MAP_TYPE_LRU_HASH, flags: BPF_F_ZERO_SEED | BPF_F_NO_COMMON_LRU, maxEntries: 9, valueSize: 4 },
  { name: 'LRU_PERCPU_HASH', type: BPF_MAP_TYPE_LRU_PERCPU_HASH, flags: BPF_F_ZERO_SEED, maxEntries: 5, valueSize: 4 },
  { name: 'LRU_PERCPU_HASH', type: BPF_MAP_TYPE_LRU_PERCPU_HASH, flags: BPF_F_ZERO_SEED | BPF_F_NO_COMMON_LRU, maxEntries: 8, valueSize: 12 },
];

const pinFailure = availability.ok ? pinToCpu0() : undefined;
if (pinFailure) console.log(`skipping exact LRU comparisons: ${pinFailure}`);

describe.skipIf(!availability.ok || pinFailure !== undefined)('LRU maps match the kernel exactly on one CPU', () => {
  const cpus = availability.ok ? ncpus() : 2;

  afterAll(() => {
    printTallies();
  });

  test.each(cases)('$name max $maxEntries flags $flags', (c) => {
    const env = new TestEnv(cpus, 5);
    const spec = { type: c.type, keySize: 4, valueSize: c.valueSize, maxEntries: c.maxEntries, flags: c.flags };
    const cfg: DiffConfig = { name: c.name, spec, ordered: true };
    const perCpu = c.type === BPF_MAP_TYPE_LRU_PERCPU_HASH;
    const ops = opsArb({
      key: fc.integer({ min: 0, max: 3 * c.maxEntries }).map(u32),
      value: fc.integer({ min: 0, max: 255 }).map((b) => new Uint8Array(perCpu ? Math.ceil(c.valueSize / 8) * 8 * cpus : c.valueSize).fill(b)),
      ordered: true, batches: true, maxEntries: c.maxEntries,
    }, 60);
    runDiff(cfg, { env }, ops, RUNS);
  });
});
