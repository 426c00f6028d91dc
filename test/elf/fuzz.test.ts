import fc from 'fast-check';
import { expect, test } from 'vitest';
import { caseArb, exerciseLoader, fixtures, mutate } from './support/mutate.js';

const objs = fixtures();

test('every fixture passes the loader oracle unmutated', () => {
  for (const o of objs) expect(() => exerciseLoader(o.bytes)).not.toThrow();
});

test('mutated objects raise only typed errors, quickly', () => {
  let slowest = 0;
  fc.assert(fc.property(caseArb(objs), (c) => {
    const bytes = mutate(objs[c.fixture]!.bytes, c.mutations);
    const t0 = performance.now();
    exerciseLoader(bytes);
    slowest = Math.max(slowest, performance.now() - t0);
  }), { numRuns: Number(process.env['BPFSIM_FUZZ_RUNS'] ?? 2000) });
  expect(slowest).toBeLessThan(2000);
});
