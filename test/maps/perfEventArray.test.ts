import { describe, expect, test } from 'vitest';
import { BPF_F_CURRENT_CPU, PerfSampleQueue, type PerfEventArrayMap } from '../../src/maps/index.js';
import { BPF_MAP_TYPE_PERF_EVENT_ARRAY } from '../../src/uapi.js';
import { TestEnv, errnoOf, u32 } from './support/env.js';

function perf(): { env: TestEnv; map: PerfEventArrayMap } {
  const env = new TestEnv(2);
  return { env, map: env.createMap({ type: BPF_MAP_TYPE_PERF_EVENT_ARRAY, keySize: 4, valueSize: 4, maxEntries: 2 }).map as PerfEventArrayMap };
}

describe('PERF_EVENT_ARRAY', () => {
  test('output appends padded samples to the current CPU\'s event', () => {
    const { env, map } = perf();
    const q0 = map.open(0);
    const q1 = map.open(1);
    const data = env.arena.alloc(10, 'stack', 'data').start;
    env.arena.write(data, Uint8Array.from({ length: 10 }, (_, i) => i + 1));
    expect(map.output(1, BPF_F_CURRENT_CPU, data, 10)).toBe(0);
    const sample = q1.drain();
    expect(sample).toHaveLength(1);
    expect(sample[0]).toEqual(Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 0, 0));
    expect(q0.samples).toHaveLength(0);
    expect(map.output(0, 1, data, 4)).toBe(-95);
    expect(map.output(0, 2, data, 4)).toBe(-7);
  });

  test('slots take perf event fds from userspace; lookups are not supported', () => {
    const { env, map } = perf();
    const event = new PerfSampleQueue(0);
    const fd = env.open({ kind: 'perf_event', event });
    expect(errnoOf(() => map.update(u32(0), u32(fd)))).toBe('OK');
    expect(map.event(0)).toBe(event);
    expect(errnoOf(() => map.update(u32(0), u32(fd), 1))).toBe('EINVAL');
    expect(errnoOf(() => map.update(u32(5), u32(fd)))).toBe('E2BIG');
    expect(errnoOf(() => map.update(u32(1), u32(0)))).toBe('EBADF');
    expect(errnoOf(() => map.lookup(u32(0)))).toBe('ENOTSUPP');
    expect(errnoOf(() => map.delete(u32(0)))).toBe('OK');
    expect(errnoOf(() => map.delete(u32(0)))).toBe('ENOENT');
    const data = env.arena.alloc(4, 'stack', 'data').start;
    expect(map.output(0, BPF_F_CURRENT_CPU, data, 4)).toBe(-2);
  });
});
