import { describe, expect, test } from 'vitest';
import {
  AF_XDP, BPF_SK_STORAGE_GET_F_CREATE, type ArrayOfMapsMap, type CpuMap, type DevMap, type HashOfMapsMap, type MapProgram,
  type ProgArrayMap, type SkStorageMap, type SockMap, type XskMap,
} from '../../src/maps/index.js';
import {
  BPF_F_INNER_MAP, BPF_F_NO_PREALLOC, BPF_F_RDONLY_PROG, BPF_MAP_TYPE_ARRAY, BPF_MAP_TYPE_ARRAY_OF_MAPS, BPF_MAP_TYPE_CPUMAP,
  BPF_MAP_TYPE_DEVMAP, BPF_MAP_TYPE_DEVMAP_HASH, BPF_MAP_TYPE_HASH, BPF_MAP_TYPE_HASH_OF_MAPS, BPF_MAP_TYPE_PROG_ARRAY,
  BPF_MAP_TYPE_SK_STORAGE, BPF_MAP_TYPE_SOCKHASH, BPF_MAP_TYPE_SOCKMAP, BPF_MAP_TYPE_XSKMAP, BPF_NOEXIST,
  BPF_PROG_TYPE_SOCKET_FILTER, BPF_PROG_TYPE_XDP, BPF_XDP_CPUMAP, BPF_XDP_DEVMAP,
} from '../../src/uapi.js';
import { TestEnv, errnoOf, hex, readU32, testSocket, u32 } from './support/env.js';

const prog = (id: number, type: number, expectedAttachType = 0): MapProgram => ({ id, type, expectedAttachType });

function pair(a: number, b: number): Uint8Array {
  const v = new Uint8Array(8);
  new DataView(v.buffer).setUint32(0, a, true);
  new DataView(v.buffer).setInt32(4, b, true);
  return v;
}

describe('PROG_ARRAY', () => {
  test('stores programs by fd, returns their ids, and holds every program to the first one\'s type', () => {
    const env = new TestEnv();
    const m = env.createMap({ type: BPF_MAP_TYPE_PROG_ARRAY, keySize: 4, valueSize: 4, maxEntries: 3 }).map as ProgArrayMap;
    const sf = prog(7, BPF_PROG_TYPE_SOCKET_FILTER);
    m.update(u32(0), u32(env.program(sf)));
    expect(readU32(m.lookup(u32(0)))).toBe(7);
    expect(m.program(0)).toBe(sf);
    expect(errnoOf(() => m.update(u32(1), u32(env.program(prog(8, BPF_PROG_TYPE_XDP)))))).toBe('EINVAL');
    expect(errnoOf(() => m.update(u32(1), u32(env.program(prog(9, BPF_PROG_TYPE_SOCKET_FILTER)))))).toBe('OK');
    expect(errnoOf(() => m.update(u32(1), u32(env.program(sf)), BPF_NOEXIST))).toBe('EINVAL');
    expect(errnoOf(() => m.update(u32(3), u32(12345)))).toBe('E2BIG');
    expect(errnoOf(() => m.update(u32(2), u32(12345)))).toBe('EBADF');
    expect(errnoOf(() => m.update(u32(2), u32(env.createMap({ type: BPF_MAP_TYPE_ARRAY, keySize: 4, valueSize: 4, maxEntries: 1 }).fd)))).toBe('EINVAL');
    expect(m.compatible(prog(10, BPF_PROG_TYPE_XDP))).toBe(false);
    m.delete(u32(0));
    expect(errnoOf(() => m.delete(u32(0)))).toBe('ENOENT');
    expect(errnoOf(() => m.delete(u32(3)))).toBe('E2BIG');
    expect(m.lookupElem(0, 0)).toBe(0);
  });
});

describe('ARRAY_OF_MAPS and HASH_OF_MAPS', () => {
  const template = { type: BPF_MAP_TYPE_ARRAY, keySize: 4, valueSize: 4, maxEntries: 4 };

  test('inner maps must match the template (max_entries too for arrays, unless BPF_F_INNER_MAP)', () => {
    const env = new TestEnv();
    const outer = env.createMap({ type: BPF_MAP_TYPE_ARRAY_OF_MAPS, keySize: 4, valueSize: 4, maxEntries: 2, innerMap: template }).map;
    const fd = (spec: object) => u32(env.createMap({ ...template, ...spec }).fd);
    expect(errnoOf(() => outer.update(u32(0), fd({})))).toBe('OK');
    expect(errnoOf(() => outer.update(u32(0), fd({ maxEntries: 5 })))).toBe('EINVAL');
    expect(errnoOf(() => outer.update(u32(0), fd({ valueSize: 8 })))).toBe('EINVAL');
    expect(errnoOf(() => outer.update(u32(0), fd({ flags: BPF_F_RDONLY_PROG })))).toBe('EINVAL');
    expect(errnoOf(() => outer.update(u32(0), fd({ type: BPF_MAP_TYPE_HASH })))).toBe('EINVAL');
    expect(errnoOf(() => outer.update(u32(0), u32(0)))).toBe('EINVAL');
    expect(errnoOf(() => outer.update(u32(0), u32(4242)))).toBe('EBADF');
    const flexible = env.createMap({ type: BPF_MAP_TYPE_ARRAY_OF_MAPS, keySize: 4, valueSize: 4, maxEntries: 2, innerMap: { ...template, flags: BPF_F_INNER_MAP } }).map;
    expect(errnoOf(() => flexible.update(u32(0), fd({ maxEntries: 9, flags: BPF_F_INNER_MAP })))).toBe('OK');
    const hashes = env.createMap({ type: BPF_MAP_TYPE_HASH_OF_MAPS, keySize: 4, valueSize: 4, maxEntries: 2, innerMap: { ...template, type: BPF_MAP_TYPE_HASH } }).map;
    expect(errnoOf(() => hashes.update(u32(0), fd({ type: BPF_MAP_TYPE_HASH, maxEntries: 9 })))).toBe('OK');
  });

  test('userspace reads inner map ids; programs get the inner map pointer; an inner map outlives its fd until removed', () => {
    const env = new TestEnv();
    const outer = env.createMap({ type: BPF_MAP_TYPE_ARRAY_OF_MAPS, keySize: 4, valueSize: 4, maxEntries: 2, innerMap: template }).map as ArrayOfMapsMap;
    const { map: inner, fd } = env.createMap(template);
    inner.update(u32(1), u32(99));
    outer.update(u32(1), u32(fd));
    expect(readU32(outer.lookup(u32(1)))).toBe(inner.id);
    const key = env.arena.alloc(4, 'stack', 'k').start;
    env.arena.view.setUint32(key, 1, true);
    expect(outer.lookupElem(0, key)).toBe(inner.address);
    expect(env.registry.byAddress(outer.lookupElem(0, key))).toBe(inner);
    inner.close();
    expect(errnoOf(() => inner.lookup(u32(1)))).toBe('EBADF');
    expect(inner.alive).toBe(true);
    expect(env.registry.byAddress(inner.address)).toBe(inner);
    expect(env.arena.view.getUint32(inner.lookupElem(0, key), true)).toBe(99);
    outer.delete(u32(1));
    expect(inner.alive).toBe(false);
    expect(env.registry.byAddress(inner.address)).toBeUndefined();
  });

  test('HASH_OF_MAPS: hash semantics around inner maps', () => {
    const env = new TestEnv();
    const hom = env.createMap({ type: BPF_MAP_TYPE_HASH_OF_MAPS, keySize: 4, valueSize: 4, maxEntries: 1, innerMap: template }).map as HashOfMapsMap;
    const { map: inner, fd } = env.createMap(template);
    expect(errnoOf(() => hom.update(u32(5), u32(fd), BPF_NOEXIST))).toBe('OK');
    expect(errnoOf(() => hom.update(u32(5), u32(fd), BPF_NOEXIST))).toBe('EEXIST');
    expect(errnoOf(() => hom.update(u32(6), u32(fd)))).toBe('E2BIG');
    expect(errnoOf(() => hom.lookupAndDelete(u32(5)))).toBe('ENOTSUPP');
    expect(readU32(hom.lookup(u32(5)))).toBe(inner.id);
    const key = env.arena.alloc(4, 'stack', 'k').start;
    env.arena.view.setUint32(key, 5, true);
    expect(hom.lookupElem(0, key)).toBe(inner.address);
    expect(hom.lookupBatch(null, 4).values.map((v) => readU32(v))).toEqual([inner.id]);
  });

  test('templates: no nesting, no prog arrays, and a template is required', () => {
    const env = new TestEnv();
    const aom = { type: BPF_MAP_TYPE_ARRAY_OF_MAPS, keySize: 4, valueSize: 4, maxEntries: 1 };
    expect(errnoOf(() => env.createMap(aom))).toBe('EINVAL');
    expect(errnoOf(() => env.createMap({ ...aom, innerMap: { ...aom, innerMap: template } }))).toBe('EINVAL');
    expect(errnoOf(() => env.createMap({ ...aom, innerMap: { type: BPF_MAP_TYPE_PROG_ARRAY, keySize: 4, valueSize: 4, maxEntries: 1 } }))).toBe('ENOTSUPP');
    expect(errnoOf(() => env.createMap({ ...aom, innerMap: { ...template, valueSize: 0 } }))).toBe('EINVAL');
  });
});

describe('DEVMAP and DEVMAP_HASH', () => {
  test('DEVMAP: ifindex or devmap_val in, ifindex and program id out; programs read only', () => {
    const env = new TestEnv();
    const m = env.createMap({ type: BPF_MAP_TYPE_DEVMAP, keySize: 4, valueSize: 8, maxEntries: 4 }).map as DevMap;
    expect(m.mapFlags & BPF_F_RDONLY_PROG).toBe(BPF_F_RDONLY_PROG);
    const devProg = env.program(prog(5, BPF_PROG_TYPE_XDP, BPF_XDP_DEVMAP));
    m.update(u32(0), pair(1, devProg));
    expect(hex(m.lookup(u32(0)))).toBe('0100000005000000');
    expect(m.entry(0)?.dev.ifindex).toBe(1);
    expect(errnoOf(() => m.update(u32(1), pair(1, env.program(prog(6, BPF_PROG_TYPE_XDP)))))).toBe('EINVAL');
    expect(errnoOf(() => m.update(u32(1), pair(999, 0)))).toBe('EINVAL');
    expect(errnoOf(() => m.update(u32(1), pair(0, devProg)))).toBe('EINVAL');
    expect(errnoOf(() => m.update(u32(1), pair(1, 0), BPF_NOEXIST))).toBe('EEXIST');
    expect(errnoOf(() => m.update(u32(4), pair(1, 0)))).toBe('E2BIG');
    expect(errnoOf(() => m.delete(u32(3)))).toBe('OK');
    expect(errnoOf(() => m.delete(u32(4)))).toBe('EINVAL');
    const key = env.arena.alloc(4, 'stack', 'k').start;
    const val = m.lookupElem(0, key);
    expect(env.arena.view.getUint32(val, true)).toBe(1);
    expect(env.arena.find(val, 8)?.writable).toBe(false);
    m.update(u32(0), pair(0, 0));
    expect(m.lookup(u32(0))).toBeUndefined();
    expect(m.entries()).toEqual([]);
  });

  test('DEVMAP_HASH iterates buckets by key & (n - 1), newest first', () => {
    const env = new TestEnv();
    const m = env.createMap({ type: BPF_MAP_TYPE_DEVMAP_HASH, keySize: 4, valueSize: 4, maxEntries: 4 }).map as DevMap;
    for (const k of [5, 1, 2, 9]) m.update(u32(k), u32(1));
    const order: number[] = [];
    for (let k = m.nextKey(undefined); k; k = m.nextKey(k)) order.push(readU32(k)!);
    expect(order).toEqual([9, 1, 5, 2]);
    expect(errnoOf(() => m.update(u32(6), u32(1)))).toBe('E2BIG');
    expect(errnoOf(() => m.update(u32(6), u32(0)))).toBe('EINVAL');
    expect(errnoOf(() => m.delete(u32(6)))).toBe('ENOENT');
  });
});

describe('CPUMAP', () => {
  test('queue sizes and programs per CPU, with the kernel\'s errnos', () => {
    const env = new TestEnv(2);
    const m = env.createMap({ type: BPF_MAP_TYPE_CPUMAP, keySize: 4, valueSize: 8, maxEntries: 4 }).map as CpuMap;
    const cpuProg = env.program(prog(3, BPF_PROG_TYPE_XDP, BPF_XDP_CPUMAP));
    expect(errnoOf(() => m.update(u32(0), pair(64, cpuProg)))).toBe('OK');
    expect(hex(m.lookup(u32(0)))).toBe('4000000003000000');
    expect(m.entry(0)).toMatchObject({ qsize: 64 });
    expect(errnoOf(() => m.update(u32(1), pair(16385, 0)))).toBe('EOVERFLOW');
    expect(errnoOf(() => m.update(u32(2), pair(64, 0)))).toBe('ENODEV');
    expect(errnoOf(() => m.update(u32(4), pair(64, 0)))).toBe('E2BIG');
    expect(errnoOf(() => m.update(u32(1), pair(64, env.program(prog(4, BPF_PROG_TYPE_XDP)))))).toBe('ENOMEM');
    expect(errnoOf(() => m.update(u32(1), pair(64, 0), BPF_NOEXIST))).toBe('EEXIST');
    m.update(u32(0), pair(0, 0));
    expect(m.lookup(u32(0))).toBeUndefined();
  });
});

describe('XSKMAP, SOCKMAP, SOCKHASH', () => {
  test('XSKMAP takes AF_XDP sockets only and cannot be read from userspace', () => {
    const env = new TestEnv();
    const m = env.createMap({ type: BPF_MAP_TYPE_XSKMAP, keySize: 4, valueSize: 4, maxEntries: 2 }).map as XskMap;
    const xsk = testSocket(1n, { family: AF_XDP, address: 0x5000 });
    expect(errnoOf(() => m.update(u32(0), u32(env.open({ kind: 'socket', socket: xsk }))))).toBe('OK');
    expect(m.socket(0)).toBe(xsk);
    expect(errnoOf(() => m.update(u32(1), u32(env.open({ kind: 'socket', socket: testSocket(2n) }))))).toBe('EOPNOTSUPP');
    expect(errnoOf(() => m.update(u32(1), u32(1)))).toBe('ENOTSOCK');
    expect(errnoOf(() => m.lookup(u32(0)))).toBe('EOPNOTSUPP');
    const key = env.arena.alloc(4, 'stack', 'k').start;
    expect(m.lookupElem(0, key)).toBe(0x5000);
  });

  test.each([BPF_MAP_TYPE_SOCKMAP, BPF_MAP_TYPE_SOCKHASH])('type %i: socket fds in, cookies out (8-byte values only)', (type) => {
    const env = new TestEnv();
    const m = env.createMap({ type, keySize: 4, valueSize: 8, maxEntries: 2 }).map as SockMap;
    const s = testSocket(42n, { address: 0x7000 });
    const fd = env.open({ kind: 'socket', socket: s });
    const fdValue = new Uint8Array(8);
    fdValue[0] = fd;
    m.update(u32(1), fdValue);
    expect(hex(m.lookup(u32(1)))).toBe('2a00000000000000');
    expect(m.socketAt(env.arena.alloc(4, 'stack', 'k').start + 0)).toBeUndefined();
    expect(errnoOf(() => m.update(u32(1), fdValue, BPF_NOEXIST))).toBe('EEXIST');
    const notReady = env.open({ kind: 'socket', socket: testSocket(43n, { sockmapReady: false }) });
    expect(errnoOf(() => m.update(u32(0), Uint8Array.of(notReady, 0, 0, 0, 0, 0, 0, 0)))).toBe('EOPNOTSUPP');
    expect(errnoOf(() => m.update(u32(0), Uint8Array.of(0, 0, 0, 0x80, 0, 0, 0, 0)))).toBe('EINVAL');
    const small = env.createMap({ type, keySize: 4, valueSize: 4, maxEntries: 2 }).map;
    expect(errnoOf(() => small.lookup(u32(0)))).toBe('ENOSPC');
  });
});

describe('SK_STORAGE', () => {
  test('programs create and delete per-socket values; userspace addresses them by socket fd', () => {
    const env = new TestEnv();
    const m = env.createMap({ type: BPF_MAP_TYPE_SK_STORAGE, keySize: 4, valueSize: 8, maxEntries: 0, flags: BPF_F_NO_PREALLOC }).map as SkStorageMap;
    const s = testSocket(9n);
    expect(m.storageGet(s, 0, 0)).toBe(0);
    const v = m.storageGet(s, 0, BPF_SK_STORAGE_GET_F_CREATE);
    expect(v).not.toBe(0);
    expect(m.storageGet(s, 0, 0)).toBe(v);
    expect(m.storageGet(s, 0, 2)).toBe(0);
    env.arena.view.setUint32(v, 77, true);
    const fd = env.open({ kind: 'socket', socket: s });
    expect(readU32(m.lookup(u32(fd)))).toBe(77);
    expect(errnoOf(() => m.update(u32(fd), new Uint8Array(8), BPF_NOEXIST))).toBe('EEXIST');
    expect(errnoOf(() => m.nextKey(undefined))).toBe('ENOTSUPP');
    expect(errnoOf(() => m.lookup(u32(999)))).toBe('EBADF');
    m.socketClosed(s);
    expect(m.lookup(u32(fd))).toBeUndefined();
    expect(m.storageDelete(s)).toBe(-2);
  });
});
