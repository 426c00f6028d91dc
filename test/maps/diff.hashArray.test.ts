import fc from 'fast-check';
import { afterAll, describe, test } from 'vitest';
import { kernelAvailable, ncpus } from '../../src/kernel/index.js';
import {
  BPF_F_NO_PREALLOC, BPF_F_RDONLY, BPF_F_WRONLY, BPF_F_ZERO_SEED, BPF_MAP_TYPE_ARRAY, BPF_MAP_TYPE_HASH,
  BPF_MAP_TYPE_PERCPU_ARRAY, BPF_MAP_TYPE_PERCPU_HASH,
} from '../../src/uapi.js';
import { TestEnv, u32 } from './support/env.js';
import { opsArb, printTallies, type DiffConfig } from './support/diff.js';
import { runDiff } from './support/sides.js';

const availability = kernelAvailable();
if (!availability.ok) console.log(`skipping kernel differential tests: ${availability.reason}`);

const RUNS = 300;

function keyArb(keySize: number, domain: number): fc.Arbitrary<Uint8Array> {
  return fc.integer({ min: 0, max: domain }).map((n) => {
    const k = new Uint8Array(keySize);
    k.set(u32(n === domain ? 0xffffffff : n).subarray(0, Math.min(4, keySize)));
    return k;
  });
}

function valueArb(size: number): fc.Arbitrary<Uint8Array> {
  return fc.integer({ min: 0, max: 255 }).map((b) => Uint8Array.from({ length: size }, (_, i) => (b + i) & 0xff));
}

interface Case {
  readonly name: string;
  readonly type: number;
  readonly keySize: number;
  readonly valueSize: number;
  readonly maxEntries: number;
  readonly flags: number;
  readonly ordered: boolean;
}

const cases: Case[] = [
  { name: 'ARRAY', type: BPF_MAP_TYPE_ARRAY, keySize: 4, valueSize: 4, maxEntries: 5, flags: 0, ordered: true },
  { name: 'ARRAY', type: BPF_MAP_TYPE_ARRAY, keySize: 4, valueSize: 13, maxEntries: 3, flags: 0, ordered: true },
  { name: 'ARRAY (rdonly)', type: BPF_MAP_TYPE_ARRAY, keySize: 4, valueSize: 4, maxEntries: 3, flags: BPF_F_RDONLY, ordered: true },
  { name: 'ARRAY (wronly)', type: BPF_MAP_TYPE_ARRAY, keySize: 4, valueSize: 4, maxEntries: 3, flags: BPF_F_WRONLY, ordered: true },
  { name: 'PERCPU_ARRAY', type: BPF_MAP_TYPE_PERCPU_ARRAY, keySize: 4, valueSize: 4, maxEntries: 4, flags: 0, ordered: true },
  { name: 'PERCPU_ARRAY', type: BPF_MAP_TYPE_PERCPU_ARRAY, keySize: 4, valueSize: 9, maxEntries: 2, flags: 0, ordered: true },
  { name: 'HASH', type: BPF_MAP_TYPE_HASH, keySize: 4, valueSize: 8, maxEntries: 6, flags: BPF_F_ZERO_SEED, ordered: true },
  { name: 'HASH', type: BPF_MAP_TYPE_HASH, keySize: 6, valueSize: 3, maxEntries: 5, flags: BPF_F_ZERO_SEED | BPF_F_NO_PREALLOC, ordered: true },
  { name: 'HASH', type: BPF_MAP_TYPE_HASH, keySize: 4, valueSize: 4, maxEntries: 7, flags: 0, ordered: false },
  { name: 'HASH', type: BPF_MAP_TYPE_HASH, keySize: 13, valueSize: 4, maxEntries: 3, flags: BPF_F_ZERO_SEED, ordered: true },
  { name: 'PERCPU_HASH', type: BPF_MAP_TYPE_PERCPU_HASH, keySize: 4, valueSize: 4, maxEntries: 5, flags: BPF_F_ZERO_SEED, ordered: true },
  { name: 'PERCPU_HASH', type: BPF_MAP_TYPE_PERCPU_HASH, keySize: 4, valueSize: 12, maxEntries: 4, flags: BPF_F_NO_PREALLOC, ordered: false },
];

describe.skipIf(!availability.ok)('arrays and hash maps match the kernel', () => {
  const cpus = availability.ok ? ncpus() : 2;

  afterAll(() => {
    printTallies();
  });

  test.each(cases)('$name key $keySize value $valueSize max $maxEntries flags $flags', (c) => {
    const env = new TestEnv(cpus, 11);
    const spec = { type: c.type, keySize: c.keySize, valueSize: c.valueSize, maxEntries: c.maxEntries, flags: c.flags };
    const perCpu = c.type === BPF_MAP_TYPE_PERCPU_ARRAY || c.type === BPF_MAP_TYPE_PERCPU_HASH;
    const cfg: DiffConfig = { name: c.name.split(' ')[0]!, spec, ordered: c.ordered };
    const isArray = c.type === BPF_MAP_TYPE_ARRAY || c.type === BPF_MAP_TYPE_PERCPU_ARRAY;
    const ops = opsArb({
      key: keyArb(c.keySize, c.maxEntries + (isArray ? 1 : 4)),
      value: valueArb(perCpu ? Math.ceil(c.valueSize / 8) * 8 * cpus : c.valueSize),
      ordered: c.ordered, batches: true, maxEntries: c.maxEntries, freeze: true,
    });
    runDiff(cfg, { env }, ops, RUNS);
  });
});
