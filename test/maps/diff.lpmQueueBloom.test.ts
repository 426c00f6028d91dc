import fc from 'fast-check';
import { afterAll, describe, test } from 'vitest';
import { kernelAvailable, ncpus } from '../../src/kernel/index.js';
import {
  BPF_F_NO_PREALLOC, BPF_F_ZERO_SEED, BPF_MAP_TYPE_BLOOM_FILTER, BPF_MAP_TYPE_LPM_TRIE, BPF_MAP_TYPE_QUEUE, BPF_MAP_TYPE_STACK,
} from '../../src/uapi.js';
import { TestEnv } from './support/env.js';
import { opsArb, printTallies, type DiffConfig } from './support/diff.js';
import { runDiff } from './support/sides.js';

const availability = kernelAvailable();
if (!availability.ok) console.log(`skipping kernel differential tests: ${availability.reason}`);

const RUNS = 300;

/** LPM keys: prefix lengths around the legal range over a few overlapping address patterns. */
function lpmKey(dataSize: number): fc.Arbitrary<Uint8Array> {
  const patterns = [[10, 0, 0, 0], [10, 1, 0, 0], [10, 1, 2, 3], [10, 128, 0, 0], [192, 168, 1, 1], [0, 0, 0, 0], [255, 255, 255, 255], [10, 1, 2, 200]];
  return fc.tuple(fc.integer({ min: 0, max: 8 * dataSize + 2 }), fc.oneof(fc.constantFrom(...patterns), fc.array(fc.integer({ min: 0, max: 255 }), { minLength: 4, maxLength: 4 })))
    .map(([plen, data]) => {
      const key = new Uint8Array(4 + dataSize);
      new DataView(key.buffer).setUint32(0, plen, true);
      key.set(data.slice(0, dataSize), 4);
      return key;
    });
}

function valueArb(size: number): fc.Arbitrary<Uint8Array> {
  return fc.integer({ min: 0, max: 255 }).map((b) => Uint8Array.from({ length: size }, (_, i) => (b * 7 + i) & 0xff));
}

describe.skipIf(!availability.ok)('LPM tries, queues, stacks and bloom filters match the kernel', () => {
  const cpus = availability.ok ? ncpus() : 2;

  afterAll(() => {
    printTallies();
  });

  test.each([
    { dataSize: 4, valueSize: 4, maxEntries: 6 },
    { dataSize: 1, valueSize: 3, maxEntries: 4 },
    { dataSize: 3, valueSize: 8, maxEntries: 10 },
  ])('LPM_TRIE data $dataSize max $maxEntries', ({ dataSize, valueSize, maxEntries }) => {
    const spec = { type: BPF_MAP_TYPE_LPM_TRIE, keySize: 4 + dataSize, valueSize, maxEntries, flags: BPF_F_NO_PREALLOC };
    const cfg: DiffConfig = { name: 'LPM_TRIE', spec, ordered: true };
    runDiff(cfg, { env: new TestEnv(cpus) }, opsArb({ key: lpmKey(dataSize), value: valueArb(valueSize), ordered: true, batches: true, maxEntries, freeze: true }), RUNS);
  });

  test.each([
    { name: 'QUEUE', type: BPF_MAP_TYPE_QUEUE, valueSize: 4, maxEntries: 3 },
    { name: 'QUEUE', type: BPF_MAP_TYPE_QUEUE, valueSize: 6, maxEntries: 1 },
    { name: 'STACK', type: BPF_MAP_TYPE_STACK, valueSize: 4, maxEntries: 3 },
    { name: 'STACK', type: BPF_MAP_TYPE_STACK, valueSize: 5, maxEntries: 5 },
  ])('$name value $valueSize max $maxEntries', ({ name, type, valueSize, maxEntries }) => {
    const spec = { type, keySize: 0, valueSize, maxEntries };
    const cfg: DiffConfig = { name, spec, ordered: true };
    const key = fc.constantFrom<Uint8Array | null>(null, null, null, null, null, null, null, new Uint8Array(4));
    runDiff(cfg, { env: new TestEnv(cpus) }, opsArb({ key, value: valueArb(valueSize), ordered: true, batches: true, maxEntries, freeze: true }), RUNS);
  });

  test.each([
    { valueSize: 4, maxEntries: 8, hashes: 1n },
    { valueSize: 3, maxEntries: 5, hashes: 3n },
    { valueSize: 8, maxEntries: 20, hashes: 0n },
    { valueSize: 4, maxEntries: 2, hashes: 15n },
  ])('BLOOM_FILTER value $valueSize max $maxEntries hashes $hashes', ({ valueSize, maxEntries, hashes }) => {
    const spec = { type: BPF_MAP_TYPE_BLOOM_FILTER, keySize: 0, valueSize, maxEntries, flags: BPF_F_ZERO_SEED, mapExtra: hashes };
    const cfg: DiffConfig = { name: 'BLOOM_FILTER', spec, ordered: true };
    // Lookups test the value passed as the key; updates push with a null key (and get EINVAL with one).
    const probe = fc.integer({ min: 0, max: 40 }).map((n) => Uint8Array.from({ length: valueSize }, (_, i) => (n + i) & 0xff));
    const updateKey = fc.oneof({ weight: 4, arbitrary: fc.constant(null) }, { weight: 1, arbitrary: probe });
    runDiff(cfg, { env: new TestEnv(cpus) }, opsArb({ key: probe, updateKey, value: probe, ordered: true, batches: true, maxEntries, freeze: true }), RUNS);
  });
});
