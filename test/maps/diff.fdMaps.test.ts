import fc from 'fast-check';
import { afterAll, describe, test } from 'vitest';
import { kernelAvailable, ncpus } from '../../src/kernel/index.js';
import type { MapSpec } from '../../src/maps/index.js';
import {
  BPF_F_INNER_MAP, BPF_F_NO_PREALLOC, BPF_F_RDONLY, BPF_F_RDONLY_PROG, BPF_F_ZERO_SEED, BPF_MAP_TYPE_ARRAY,
  BPF_MAP_TYPE_ARRAY_OF_MAPS, BPF_MAP_TYPE_CPUMAP, BPF_MAP_TYPE_DEVMAP, BPF_MAP_TYPE_DEVMAP_HASH, BPF_MAP_TYPE_HASH,
  BPF_MAP_TYPE_HASH_OF_MAPS, BPF_MAP_TYPE_LRU_HASH, BPF_MAP_TYPE_PERF_EVENT_ARRAY, BPF_MAP_TYPE_PROG_ARRAY,
  BPF_MAP_TYPE_RINGBUF, BPF_MAP_TYPE_XSKMAP, BPF_PROG_TYPE_CGROUP_SKB, BPF_PROG_TYPE_SOCKET_FILTER, BPF_PROG_TYPE_XDP,
  BPF_XDP_CPUMAP, BPF_XDP_DEVMAP,
} from '../../src/uapi.js';
import { TestEnv, u32 } from './support/env.js';
import { opsArb, printTallies, type Bytes, type DiffConfig, type Side } from './support/diff.js';
import { buildPools, type PoolObject } from './support/pool.js';
import { runDiff } from './support/sides.js';

const availability = kernelAvailable();
if (!availability.ok) console.log(`skipping kernel differential tests: ${availability.reason}`);

const RUNS = 300;

const arr = (valueSize: number, maxEntries: number, flags = 0): PoolObject =>
  ({ kind: 'map', spec: { type: BPF_MAP_TYPE_ARRAY, keySize: 4, valueSize, maxEntries, flags } });
const hash = (type: number, valueSize: number, maxEntries: number, flags = 0): PoolObject =>
  ({ kind: 'map', spec: { type, keySize: 4, valueSize, maxEntries, flags } });
const prog = (type: number, attach = 0, frags = false): PoolObject => ({ kind: 'prog', type, attach, frags });
const STDIN: PoolObject = { kind: 'stdin' };
const CLOSED: PoolObject = { kind: 'closed' };

/** A u32 value holding the fd of pooled object `ref`. */
function fdValue(n: number): fc.Arbitrary<Bytes> {
  return fc.integer({ min: 0, max: n - 1 }).map((ref) => (side: Side) => u32(side.fd(ref)));
}

/** Renders u32 ids read back as the pooled objects' names. */
function showId(side: Side, v: Uint8Array): string {
  return side.ref(BigInt(new DataView(v.buffer, v.byteOffset).getUint32(0, true)));
}

/** Renders a devmap or cpumap value: the first u32 as is, a program id as its name. */
function showPair(side: Side, v: Uint8Array): string {
  const d = new DataView(v.buffer, v.byteOffset, v.length);
  const id = v.length === 8 ? d.getUint32(4, true) : 0;
  return `${d.getUint32(0, true)}/${id ? side.ref(BigInt(id)) : '-'}`;
}

interface FdCase {
  readonly name: string;
  readonly spec: MapSpec;
  readonly pool: readonly PoolObject[];
  readonly value: (poolSize: number) => fc.Arbitrary<Bytes>;
  readonly keys: number;
  readonly show?: (side: Side, v: Uint8Array) => string;
}

const xdpProgs = (attach: number) => [prog(BPF_PROG_TYPE_XDP, attach), prog(BPF_PROG_TYPE_XDP), prog(BPF_PROG_TYPE_SOCKET_FILTER), prog(BPF_PROG_TYPE_XDP, attach, true), STDIN, CLOSED];
/** A devmap or cpumap value: a first u32, then no program (0 or -1) or the fd of pooled object `ref`. */
const pairValue = (first: readonly number[]) => (n: number) =>
  fc.tuple(fc.constantFrom(...first), fc.oneof(fc.constantFrom('none', 'minus1'), fc.integer({ min: 0, max: n - 1 }))).map(([a, ref]) => (side: Side) => {
    const v = new Uint8Array(8);
    const d = new DataView(v.buffer);
    d.setUint32(0, a, true);
    d.setInt32(4, ref === 'none' ? 0 : ref === 'minus1' ? -1 : side.fd(ref), true);
    return v;
  });

const cases: FdCase[] = [
  {
    name: 'PROG_ARRAY', spec: { type: BPF_MAP_TYPE_PROG_ARRAY, keySize: 4, valueSize: 4, maxEntries: 4 }, keys: 6, show: showId,
    pool: [prog(BPF_PROG_TYPE_SOCKET_FILTER), prog(BPF_PROG_TYPE_SOCKET_FILTER), prog(BPF_PROG_TYPE_XDP), prog(BPF_PROG_TYPE_XDP, BPF_XDP_DEVMAP),
      prog(BPF_PROG_TYPE_CGROUP_SKB, 0), prog(BPF_PROG_TYPE_CGROUP_SKB, 1), prog(BPF_PROG_TYPE_XDP, 0, true), arr(4, 4), STDIN, CLOSED],
    value: fdValue,
  },
  {
    name: 'ARRAY_OF_MAPS', spec: { type: BPF_MAP_TYPE_ARRAY_OF_MAPS, keySize: 4, valueSize: 4, maxEntries: 4, innerMap: { type: BPF_MAP_TYPE_ARRAY, keySize: 4, valueSize: 4, maxEntries: 4 } },
    keys: 6, show: showId,
    pool: [arr(4, 4), arr(4, 4), arr(4, 5), arr(8, 4), hash(BPF_MAP_TYPE_HASH, 4, 4), arr(4, 4, BPF_F_RDONLY), arr(4, 4, BPF_F_RDONLY_PROG),
      arr(4, 4, BPF_F_INNER_MAP), prog(BPF_PROG_TYPE_SOCKET_FILTER), STDIN, CLOSED],
    value: fdValue,
  },
  {
    name: 'ARRAY_OF_MAPS', spec: { type: BPF_MAP_TYPE_ARRAY_OF_MAPS, keySize: 4, valueSize: 4, maxEntries: 3, innerMap: { type: BPF_MAP_TYPE_ARRAY, keySize: 4, valueSize: 4, maxEntries: 4, flags: BPF_F_INNER_MAP } },
    keys: 4, show: showId,
    pool: [arr(4, 4, BPF_F_INNER_MAP), arr(4, 9, BPF_F_INNER_MAP), arr(4, 1, BPF_F_INNER_MAP), arr(4, 4), CLOSED],
    value: fdValue,
  },
  {
    name: 'HASH_OF_MAPS', spec: { type: BPF_MAP_TYPE_HASH_OF_MAPS, keySize: 4, valueSize: 4, maxEntries: 4, flags: BPF_F_ZERO_SEED, innerMap: { type: BPF_MAP_TYPE_HASH, keySize: 4, valueSize: 4, maxEntries: 4 } },
    keys: 8, show: showId,
    pool: [hash(BPF_MAP_TYPE_HASH, 4, 4), hash(BPF_MAP_TYPE_HASH, 4, 9), hash(BPF_MAP_TYPE_HASH, 8, 4), hash(BPF_MAP_TYPE_HASH, 4, 4, BPF_F_NO_PREALLOC),
      arr(4, 4), hash(BPF_MAP_TYPE_LRU_HASH, 4, 4), prog(BPF_PROG_TYPE_SOCKET_FILTER), STDIN, CLOSED],
    value: fdValue,
  },
  {
    name: 'DEVMAP', spec: { type: BPF_MAP_TYPE_DEVMAP, keySize: 4, valueSize: 4, maxEntries: 4 }, keys: 6, show: showPair,
    pool: [], value: () => fc.constantFrom(0, 1, 1, 999).map(u32),
  },
  {
    name: 'DEVMAP', spec: { type: BPF_MAP_TYPE_DEVMAP, keySize: 4, valueSize: 8, maxEntries: 3 }, keys: 5, show: showPair,
    pool: xdpProgs(BPF_XDP_DEVMAP), value: pairValue([0, 1, 1, 999]),
  },
  {
    name: 'DEVMAP_HASH', spec: { type: BPF_MAP_TYPE_DEVMAP_HASH, keySize: 4, valueSize: 4, maxEntries: 4 }, keys: 12, show: showPair,
    pool: [], value: () => fc.constantFrom(0, 1, 1, 1, 999).map(u32),
  },
  {
    name: 'DEVMAP_HASH', spec: { type: BPF_MAP_TYPE_DEVMAP_HASH, keySize: 4, valueSize: 8, maxEntries: 3 }, keys: 12, show: showPair,
    pool: xdpProgs(BPF_XDP_DEVMAP), value: pairValue([0, 1, 1, 999]),
  },
  {
    name: 'CPUMAP', spec: { type: BPF_MAP_TYPE_CPUMAP, keySize: 4, valueSize: 4, maxEntries: 4 }, keys: 6, show: showPair,
    pool: [], value: () => fc.constantFrom(0, 1, 64, 16384, 16385).map(u32),
  },
  {
    name: 'CPUMAP', spec: { type: BPF_MAP_TYPE_CPUMAP, keySize: 4, valueSize: 8, maxEntries: 3 }, keys: 5, show: showPair,
    pool: xdpProgs(BPF_XDP_CPUMAP), value: pairValue([0, 64, 64, 16385]),
  },
  {
    name: 'XSKMAP', spec: { type: BPF_MAP_TYPE_XSKMAP, keySize: 4, valueSize: 4, maxEntries: 4 }, keys: 6,
    pool: [arr(4, 4), prog(BPF_PROG_TYPE_SOCKET_FILTER), CLOSED], value: fdValue,
  },
  {
    name: 'PERF_EVENT_ARRAY', spec: { type: BPF_MAP_TYPE_PERF_EVENT_ARRAY, keySize: 4, valueSize: 4, maxEntries: 4 }, keys: 6,
    pool: [arr(4, 4), prog(BPF_PROG_TYPE_SOCKET_FILTER), CLOSED], value: fdValue,
  },
];

describe.skipIf(!availability.ok)('fd-holding, device and CPU maps match the kernel', () => {
  const cpus = availability.ok ? ncpus() : 2;

  afterAll(() => {
    printTallies();
  });

  test.each(cases)('$name value $spec.valueSize', (c) => {
    const env = new TestEnv(cpus);
    const pools = buildPools(env, c.pool, c.name);
    try {
      const cfg: DiffConfig = { name: c.name, spec: c.spec, ordered: true, ...(c.show ? { show: c.show } : {}) };
      const key = fc.oneof(fc.integer({ min: 0, max: c.keys }), fc.constantFrom(16, 17, 1024, 0xffffffff)).map(u32);
      const ops = opsArb({ key, value: c.value(c.pool.length), ordered: true, batches: true, maxEntries: c.spec.maxEntries, freeze: true });
      runDiff(cfg, { env, simPool: pools.sim, kernelPool: pools.kernel }, ops, RUNS);
    } finally {
      pools.close();
    }
  });

  test('RINGBUF', () => {
    const spec = { type: BPF_MAP_TYPE_RINGBUF, keySize: 0, valueSize: 0, maxEntries: 4096 };
    const ops = opsArb({ key: fc.constantFrom(null, new Uint8Array(4)), value: fc.constant(new Uint8Array()), ordered: true, batches: true, maxEntries: 1, freeze: true });
    runDiff({ name: 'RINGBUF', spec, ordered: true }, { env: new TestEnv(cpus) }, ops, RUNS);
  });
});
