/*
 * bpf_spin_lock and BPF_F_LOCK against Linux 6.18: values with a `struct bpf_spin_lock` (found in
 * their BTF) are updated under the lock from programs and userspace, the lock never leaves the
 * map (userspace reads it as zero, copies skip it), an F_LOCK update of a hash element is in
 * place, and the kernel's refusals of such maps and flags.
 */
import { afterAll, describe, expect, test } from 'vitest';
import { BtfBuilder, encodeBtf } from '../../src/elf/index.js';
import { ErrnoError } from '../../src/errno.js';
import type { MapSpec } from '../../src/maps/index.js';
import * as U from '../../src/uapi.js';
import type { Backend } from '../../src/vm/index.js';
import { call, fp, imm, st } from './support/asm.js';
import { checkCase, kernelBackend } from './support/cases.js';
import type { HelperCase } from './support/cases.js';
import { kernelSkip, simBackend } from './support/xdp.js';

const kernel = kernelBackend();
if (kernelSkip) console.log(`spin lock cases run on bpfsim only: ${kernelSkip}`);
afterAll(() => kernel?.close());

const EINVAL = -22;

/** BTF of `struct val { u64 a; struct bpf_spin_lock lock; u32 b; }` (16 bytes, the lock at 8), or variants. */
function valueBtf(kind: 'lock' | 'two' | 'nested' | 'none'): { btf: MapSpec['btf']; size: number } {
  const b = new BtfBuilder();
  const u32 = b.int('unsigned int', 4);
  const u64 = b.int('long long unsigned int', 8);
  const lock = b.struct('bpf_spin_lock', [['val', u32]]);
  const inner = b.struct('inner', [['x', u32], ['l', lock]]);
  const members: [string, number][] = kind === 'lock' ? [['a', u64], ['lock', lock], ['b', u32]]
    : kind === 'two' ? [['a', u64], ['l1', lock], ['l2', lock]]
    : kind === 'nested' ? [['a', u64], ['in', inner]] : [['a', u64], ['b', u64]];
  const value = b.struct('val', members);
  const built = b.build();
  return { btf: { raw: encodeBtf(built).bytes, keyTypeId: u32, valueTypeId: value }, size: built.resolveSize(value) };
}

const LOCKED = valueBtf('lock');
const spec = (type: number, extra: Partial<MapSpec> = {}): MapSpec =>
  ({ type, keySize: 4, valueSize: LOCKED.size, maxEntries: 4, btf: LOCKED.btf, flags: type === U.BPF_MAP_TYPE_HASH ? U.BPF_F_ZERO_SEED : 0, ...extra });

/** Adds 5 to value.a of key 0 under its lock. */
const BUMP = [
  st(-8, 0, 'u32'), call('bpf_map_lookup_elem', ['r1 = map[idx:0]', fp(2, -8)]), 'if r0 == 0 goto skip', 'r8 = r0',
  'r1 = r8', 'r1 += 8', 'call bpf_spin_lock', 'r1 = *(u64 *)(r8 +0)', 'r1 += 5', '*(u64 *)(r8 +0) = r1',
  'r1 = r8', 'r1 += 8', 'call bpf_spin_unlock', 'skip:',
].join('\n');

/** A value on the stack at r10-32: a = 0x77, the lock word garbage, b = 0x99. */
const VALUE = [st(-32, 0x77n), st(-24, 0x99ffffffffn)].join('\n');
const update = (flags: number, slot: number): string => call('bpf_map_update_elem', ['r1 = map[idx:0]', fp(2, -8), fp(3, -32), imm(4, flags)], slot);

const fill = (maps: readonly { update(k: Uint8Array, v: Uint8Array, f?: number): void }[]): void => {
  maps[0]!.update(new Uint8Array(4), Uint8Array.of(1, 0, 0, 0, 0, 0, 0, 0, 0xee, 0xee, 0xee, 0xee, 2, 0, 0, 0), U.BPF_F_LOCK);
};

const cases: HelperCase[] = [
  { name: 'array: bump under the lock', maps: [spec(U.BPF_MAP_TYPE_ARRAY)], setup: fill, body: BUMP, want: [], compareMaps: true },
  { name: 'hash: bump under the lock', maps: [spec(U.BPF_MAP_TYPE_HASH)], setup: fill, body: BUMP, want: [], compareMaps: true },
  {
    name: 'array: BPF_F_LOCK updates from a program copy everything but the lock',
    maps: [spec(U.BPF_MAP_TYPE_ARRAY)], setup: fill, body: [st(-8, 0, 'u32'), VALUE, update(U.BPF_F_LOCK, 0), update(U.BPF_F_LOCK | U.BPF_EXIST, 1), update(U.BPF_F_LOCK | 8, 2)].join('\n'),
    want: [0, 0, EINVAL], compareMaps: true,
  },
  {
    name: 'hash: an F_LOCK update is in place (a value pointer sees it); a plain one swaps in a new element (it does not)',
    maps: [spec(U.BPF_MAP_TYPE_HASH)], setup: fill,
    body: [
      st(-8, 0, 'u32'), VALUE, call('bpf_map_lookup_elem', ['r1 = map[idx:0]', fp(2, -8)]), 'if r0 == 0 goto skip', 'r9 = r0',
      update(U.BPF_F_LOCK, 0), 'r1 = *(u64 *)(r9 +0)', '*(u64 *)(r7 +8) = r1',
      st(-32, 0x55n), update(0, 2), 'r1 = *(u64 *)(r9 +0)', '*(u64 *)(r7 +24) = r1',
      st(-8, 3, 'u32'), update(U.BPF_F_LOCK | U.BPF_EXIST, 4), update(U.BPF_F_LOCK | U.BPF_NOEXIST, 5), 'skip:',
    ].join('\n'),
    want: [0, 0x77, 0, 0x77, -2, 0], compareMaps: true,
  },
  {
    name: 'BPF_F_LOCK on a map without a spin lock is -EINVAL',
    maps: [{ type: U.BPF_MAP_TYPE_HASH, keySize: 4, valueSize: 16, maxEntries: 4 }], body: [st(-8, 0, 'u32'), VALUE, update(U.BPF_F_LOCK, 0)].join('\n'),
    want: [EINVAL],
  },
  {
    name: 'a lock in a nested struct counts',
    maps: [spec(U.BPF_MAP_TYPE_ARRAY, { btf: valueBtf('nested').btf })], setup: fill, body: [st(-8, 0, 'u32'), VALUE, update(U.BPF_F_LOCK, 0)].join('\n'),
    want: [0], compareMaps: true,
  },
];

/** The errno name a map creation fails with, or 'ok'. */
function createErrno(b: Backend, s: MapSpec): string {
  try {
    (b.createMap(s) as unknown as { close(): void }).close();
    return 'ok';
  } catch (e) {
    if (e instanceof ErrnoError) return e.errnoName;
    throw e;
  }
}

describe('spin locks', () => {
  test.each(cases)('$name', (c) => checkCase(c, kernel));

  test.each([
    ['an LRU hash', spec(U.BPF_MAP_TYPE_LRU_HASH), 'EOPNOTSUPP'],
    ['a per-CPU array', spec(U.BPF_MAP_TYPE_PERCPU_ARRAY), 'EOPNOTSUPP'],
    ['program-read-only access', spec(U.BPF_MAP_TYPE_ARRAY, { flags: U.BPF_F_RDONLY_PROG }), 'EACCES'],
    ['two locks in one value', spec(U.BPF_MAP_TYPE_ARRAY, { btf: valueBtf('two').btf }), 'E2BIG'],
    ['a value size that is not the BTF type\'s', spec(U.BPF_MAP_TYPE_ARRAY, { valueSize: 24 }), 'EINVAL'],
    ['a value without special fields', spec(U.BPF_MAP_TYPE_HASH, { btf: valueBtf('none').btf }), 'ok'],
  ])('a spin lock in %s: %s', (_, s, want) => {
    const sim = simBackend();
    try {
      expect(createErrno(sim, s)).toBe(want);
      if (kernel) expect(createErrno(kernel, s)).toBe(want);
    } finally {
      sim.close();
    }
  });

  test('userspace: BPF_F_LOCK lookups and updates, the lock read as zero, F_LOCK refused without a lock', () => {
    for (const b of [simBackend(), kernel]) {
      if (!b) continue;
      const m = b.createMap(spec(U.BPF_MAP_TYPE_HASH));
      const key = new Uint8Array(4);
      const v = Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8, 0xff, 0xff, 0xff, 0xff, 9, 9, 9, 9);
      m.update(key, v, U.BPF_F_LOCK);
      expect(Array.from(m.lookup(key, U.BPF_F_LOCK)!), b.name).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0, 0, 9, 9, 9, 9]);
      expect(Array.from(m.lookup(key)!), b.name).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 0, 0, 0, 0, 9, 9, 9, 9]);
      const plain = b.createMap({ type: U.BPF_MAP_TYPE_HASH, keySize: 4, valueSize: 16, maxEntries: 1 });
      expect(() => plain.update(key, v, U.BPF_F_LOCK), b.name).toThrow(expect.objectContaining({ errnoName: 'EINVAL' }));
      for (const x of [m, plain]) (x as unknown as { close(): void }).close();
      if (b !== kernel) b.close();
    }
  });
});
