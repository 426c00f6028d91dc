import { describe, expect, test } from 'vitest';
import type { LpmTrieMap } from '../../src/maps/index.js';
import { BPF_EXIST, BPF_F_NO_PREALLOC, BPF_MAP_TYPE_LPM_TRIE, BPF_NOEXIST } from '../../src/uapi.js';
import { TestEnv, errnoOf, hex, readU32, u32 } from './support/env.js';

/** A `struct bpf_lpm_trie_key` for IPv4: prefixlen, then the address in network order. */
function k(prefixlen: number, ...addr: number[]): Uint8Array {
  const key = new Uint8Array(8);
  new DataView(key.buffer).setUint32(0, prefixlen, true);
  key.set(addr, 4);
  return key;
}

function trie(maxEntries = 16): LpmTrieMap {
  return new TestEnv(2).createMap({ type: BPF_MAP_TYPE_LPM_TRIE, keySize: 8, valueSize: 4, maxEntries, flags: BPF_F_NO_PREALLOC }).map as LpmTrieMap;
}

/** The prefixes in iteration order, as `a.b.c.d/len`. */
function order(map: LpmTrieMap): string[] {
  const out: string[] = [];
  for (let key = map.nextKey(undefined); key; key = map.nextKey(key)) out.push(`${Array.from(key.subarray(4)).join('.')}/${readU32(key)}`);
  return out;
}

describe('LPM_TRIE', () => {
  test('lookups return the longest matching prefix, bounded by the key\'s own prefixlen', () => {
    const m = trie();
    m.update(k(8, 10), u32(8));
    m.update(k(16, 10, 1), u32(16));
    m.update(k(24, 10, 1, 2), u32(24));
    m.update(k(32, 10, 1, 2, 3), u32(32));
    m.update(k(0), u32(0));
    expect([k(32, 10, 1, 2, 3), k(32, 10, 1, 2, 4), k(32, 10, 1, 3, 4), k(32, 10, 2), k(32, 11), k(20, 10, 1, 2, 3)].map((x) => readU32(m.lookup(x))))
      .toEqual([32, 24, 16, 8, 0, 16]);
    expect(m.lookup(k(33, 10, 1, 2, 3))).toBeUndefined();
  });

  test('the kernel\'s iteration order (measured): more specific first, the 0 branch before the 1 branch', () => {
    const m = trie();
    for (const key of [k(32, 1, 2, 3, 4), k(24, 1, 2, 3), k(32, 1, 2, 3, 5), k(16, 1, 2), k(32, 1, 2, 200, 1), k(8, 1), k(8, 200), k(0), k(32, 255), k(1, 0)]) m.update(key, u32(1));
    expect(order(m)).toEqual(['1.2.3.4/32', '1.2.3.5/32', '1.2.3.0/24', '1.2.200.1/32', '1.2.0.0/16', '1.0.0.0/8', '0.0.0.0/1', '200.0.0.0/8', '255.0.0.0/32', '0.0.0.0/0']);
  });

  test('next key: the first prefix after a missing or too-long key, ENOENT after the last', () => {
    const m = trie();
    m.update(k(8, 10), u32(1));
    m.update(k(16, 192, 168), u32(1));
    expect(hex(m.nextKey(k(12, 10, 16)))).toBe(hex(k(8, 10)));
    expect(hex(m.nextKey(k(33, 10)))).toBe(hex(k(8, 10)));
    expect(hex(m.nextKey(k(8, 10, 5)))).toBe(hex(k(16, 192, 168)));
    expect(m.nextKey(k(16, 192, 168))).toBeUndefined();
  });

  test('keys keep the bits past the prefix as last written', () => {
    const m = trie();
    m.update(k(8, 10, 1, 2, 3), u32(1));
    m.update(k(8, 10, 9, 9, 9), u32(2), BPF_EXIST);
    expect(hex(m.nextKey(undefined))).toBe(hex(k(8, 10, 9, 9, 9)));
    expect(errnoOf(() => m.delete(k(8, 10, 7)))).toBe('OK');
  });

  test.each([
    { name: 'prefixlen past the data', run: (m: LpmTrieMap) => errnoOf(() => m.update(k(33, 10), u32(1))), want: 'EINVAL' },
    { name: 'flags 3', run: (m: LpmTrieMap) => errnoOf(() => m.update(k(8, 10), u32(1), 3)), want: 'EINVAL' },
    { name: 'BPF_EXIST on a missing prefix', run: (m: LpmTrieMap) => errnoOf(() => m.update(k(8, 10), u32(1), BPF_EXIST)), want: 'ENOENT' },
    { name: 'BPF_NOEXIST on an existing prefix', run: (m: LpmTrieMap) => (m.update(k(8, 10), u32(1)), errnoOf(() => m.update(k(8, 10, 5), u32(1), BPF_NOEXIST))), want: 'EEXIST' },
    { name: 'a full trie', run: (m: LpmTrieMap) => (m.update(k(8, 10), u32(1)), m.update(k(9, 10), u32(1)), errnoOf(() => m.update(k(10, 10), u32(1)))), want: 'ENOSPC' },
    { name: 'a full trie still replaces', run: (m: LpmTrieMap) => (m.update(k(8, 10), u32(1)), m.update(k(9, 10), u32(1)), errnoOf(() => m.update(k(8, 10), u32(2)))), want: 'OK' },
    { name: 'delete of a missing prefix', run: (m: LpmTrieMap) => errnoOf(() => m.delete(k(8, 10))), want: 'ENOENT' },
    { name: 'delete with a too-long prefixlen', run: (m: LpmTrieMap) => errnoOf(() => m.delete(k(40, 10))), want: 'EINVAL' },
    { name: 'lookup-and-delete', run: (m: LpmTrieMap) => errnoOf(() => m.lookupAndDelete(k(8, 10))), want: 'ENOTSUPP' },
  ])('$name', ({ run, want }) => {
    expect(run(trie(2))).toBe(want);
  });

  test('a program\'s lookup returns the matching value\'s address', () => {
    const env = new TestEnv(2);
    const m = env.createMap({ type: BPF_MAP_TYPE_LPM_TRIE, keySize: 8, valueSize: 4, maxEntries: 4, flags: BPF_F_NO_PREALLOC }).map as LpmTrieMap;
    m.update(k(16, 10, 1), u32(77));
    const key = env.arena.alloc(8, 'stack', 'key').start;
    env.arena.write(key, k(32, 10, 1, 9, 9));
    const v = m.lookupElem(0, key);
    expect(env.arena.view.getUint32(v, true)).toBe(77);
    env.arena.write(key, k(32, 10, 2, 9, 9));
    expect(m.lookupElem(0, key)).toBe(0);
    env.arena.write(key, k(16, 10, 1));
    expect(m.deleteElem(0, key)).toBe(0);
    expect(m.size).toBe(0);
  });
});
