import { spawnSync } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { BPF_ALU64, BPF_EXIT, BPF_JMP, BPF_K, BPF_MOV, encodeInsns, insn } from '../../src/isa/index.js';
import { ERRNO } from '../../src/errno.js';
import {
  BPF_ANY, BPF_EXIST, BPF_F_LOCK, BPF_MAP_TYPE_ARRAY, BPF_MAP_TYPE_HASH, BPF_MAP_TYPE_PERCPU_ARRAY,
  BPF_MAP_TYPE_QUEUE, BPF_NOEXIST, BPF_PROG_TYPE_SCHED_CLS, BPF_PROG_TYPE_XDP, BPF_STATS_RUN_TIME,
  BPF_TCX_EGRESS, BPF_TCX_INGRESS, BPF_XDP, XDP_PASS,
} from '../../src/uapi.js';
import {
  Fd, KernelError, btfGetInfo, btfLoad, enableStats,
  getFdById, kernelAvailable, linkCreate, linkDetach, mapCreate, mapDeleteBatch, mapGetInfo, mapGetNextKey,
  mapLookup, mapLookupBatch, mapUpdate, mapUpdateBatch, nativeBpf, ncpus, objGetNextId, perCpuValueSize,
  progGetInfo, progGetXlated, progLoad, progTestRun, type MapCreateAttr,
} from '../../src/kernel/index.js';

const availability = kernelAvailable();
if (!availability.ok) console.log(`skipping kernel tests: ${availability.reason}`);

/** `r0 = imm; exit`. */
function returnImm(imm: number): Uint8Array {
  return encodeInsns([insn(BPF_ALU64 | BPF_MOV | BPF_K, 0, 0, 0, imm), insn(BPF_JMP | BPF_EXIT)]);
}

/** A little-endian u32, as a map key or value. */
function u32(n: number): Uint8Array {
  return new Uint8Array(new Uint32Array([n]).buffer);
}

function readU32(bytes: Uint8Array, offset = 0): number {
  return new DataView(bytes.buffer, bytes.byteOffset).getUint32(offset, true);
}

function openFds(): number {
  return readdirSync('/proc/self/fd').length;
}

/** A BTF blob describing one type, `int` (32-bit signed), laid out by hand. */
function tinyBtf(): Uint8Array {
  const strings = new TextEncoder().encode('\0int\0');
  const bytes = new Uint8Array(24 + 16 + strings.length);
  const v = new DataView(bytes.buffer);
  v.setUint16(0, 0xeb9f, true); // magic
  v.setUint8(2, 1); // version
  v.setUint32(4, 24, true); // hdr_len
  v.setUint32(8, 0, true); // type_off
  v.setUint32(12, 16, true); // type_len
  v.setUint32(16, 16, true); // str_off
  v.setUint32(20, strings.length, true); // str_len
  v.setUint32(24, 1, true); // name_off → "int"
  v.setUint32(28, 1 << 24, true); // info: BTF_KIND_INT
  v.setUint32(32, 4, true); // size
  v.setUint32(36, (1 << 24) | 32, true); // BTF_INT_SIGNED, 32 bits
  bytes.set(strings, 40);
  return bytes;
}

function withMap<T>(attr: MapCreateAttr, body: (map: Fd) => T): T {
  const map = mapCreate(attr);
  try {
    return body(map);
  } finally {
    map.close();
  }
}

describe.skipIf(!availability.ok)('bpf() on the running kernel', () => {
  test('an XDP program returning XDP_PASS test-runs on a 64-byte packet', () => {
    const { fd } = progLoad({ prog_type: BPF_PROG_TYPE_XDP, insns: returnImm(XDP_PASS), prog_name: 'xdp_pass' });
    try {
      const packet = Uint8Array.from({ length: 64 }, (_, i) => i);
      const run = progTestRun(fd, { data_in: packet, repeat: 1 });
      expect(run.retval).toBe(XDP_PASS);
      expect(run.dataSizeOut).toBe(64);
      expect(run.dataOut).toEqual(packet);
    } finally {
      fd.close();
    }
  });

  test('a too-small data_size_out reports ENOSPC with the size needed', () => {
    const { fd } = progLoad({ prog_type: BPF_PROG_TYPE_XDP, insns: returnImm(XDP_PASS) });
    try {
      const raw = nativeBpf().progTestRun({ prog_fd: fd.raw, data_in: new Uint8Array(64), data_size_out: 16 });
      expect(raw.errno).toBe(ERRNO.ENOSPC);
      expect(raw.dataSizeOut).toBe(64);
      expect(raw.dataOut.length).toBe(16);
      expect(() => progTestRun(fd, { data_in: new Uint8Array(64), data_size_out: 16 })).toThrow(/ENOSPC \(28\)/);
    } finally {
      fd.close();
    }
  });

  test.each([
    { name: 'a bare exit reads an unset r0', insns: encodeInsns([insn(BPF_JMP | BPF_EXIT)]), errno: ERRNO.EACCES, message: 'R0 !read_ok' },
    { name: 'an unknown opcode', insns: encodeInsns([insn(0xff), insn(BPF_JMP | BPF_EXIT)]), errno: ERRNO.EINVAL, message: 'unknown opcode ff' },
  ])('the verifier refuses $name', ({ insns, errno, message }) => {
    const raw = nativeBpf().progLoad({ prog_type: BPF_PROG_TYPE_XDP, insns, log_level: 1 });
    expect(raw).toMatchObject({ fd: -1, errno });
    expect(raw.log).toContain(message);
    expect(raw.logTrueSize).toBe(raw.log.length + 1);

    // Without a log requested, the throwing form loads again to fetch one for the error.
    const err = (() => {
      try {
        progLoad({ prog_type: BPF_PROG_TYPE_XDP, insns });
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(err).toBeInstanceOf(KernelError);
    expect(err).toMatchObject({ errno, op: 'BPF_PROG_LOAD' });
    expect((err as KernelError).message).toBe(
      `BPF_PROG_LOAD failed: ${(err as KernelError).errnoName} (${errno}): ${message}`,
    );
    expect((err as KernelError).log).toContain(message);
  });

  test('prog info reports verified_insns, the xlated length and the name', () => {
    const insns = returnImm(XDP_PASS);
    const { fd } = progLoad({ prog_type: BPF_PROG_TYPE_XDP, insns, prog_name: 'a_name_longer_than_15' });
    try {
      const info = progGetInfo(fd);
      expect(info).toMatchObject({ type: BPF_PROG_TYPE_XDP, verifiedInsns: 2, xlatedProgLen: 16, name: 'a_name_longer_t' });
      expect(info.tag).toMatch(/^[0-9a-f]{16}$/);
      expect(progGetXlated(fd)).toEqual(insns);
      const again = getFdById('prog', info.id);
      expect(progGetInfo(again).id).toBe(info.id);
      again.close();
      expect(objGetNextId('prog', info.id - 1)).toBeGreaterThan(0);
    } finally {
      fd.close();
    }
  });

  test('with BPF_ENABLE_STATS, test runs are counted', () => {
    const { fd } = progLoad({ prog_type: BPF_PROG_TYPE_XDP, insns: returnImm(XDP_PASS) });
    const stats = enableStats(BPF_STATS_RUN_TIME);
    try {
      progTestRun(fd, { data_in: new Uint8Array(64), repeat: 5 });
      expect(progGetInfo(fd).runCnt).toBe(5n);
    } finally {
      stats.close();
      fd.close();
    }
  });

  describe('array map errno values', () => {
    const attr = { map_type: BPF_MAP_TYPE_ARRAY, key_size: 4, value_size: 8, max_entries: 4 };
    test.each([
      { name: 'update an index', op: 'update', key: 0, flags: BPF_ANY, errno: 0 },
      { name: 'update with BPF_NOEXIST (elements always exist)', op: 'update', key: 0, flags: BPF_NOEXIST, errno: ERRNO.EEXIST },
      { name: 'update past max_entries', op: 'update', key: 4, flags: BPF_ANY, errno: ERRNO.E2BIG },
      { name: 'update with BPF_F_LOCK and no spin lock', op: 'update', key: 0, flags: BPF_F_LOCK, errno: ERRNO.EINVAL },
      { name: 'look up past max_entries', op: 'lookup', key: 4, flags: 0, errno: ERRNO.ENOENT },
      { name: 'delete (arrays cannot)', op: 'delete', key: 0, flags: 0, errno: ERRNO.EINVAL },
      { name: 'lookup-and-delete (arrays cannot)', op: 'lookupAndDelete', key: 0, flags: 0, errno: ERRNO.ENOTSUPP },
    ])('$name → $errno', ({ op, key, flags, errno }) => {
      withMap(attr, (map) => {
        const bpf = nativeBpf();
        const value = new Uint8Array(8);
        const got = op === 'update' ? bpf.mapUpdate(map.raw, u32(key), value, flags)
          : op === 'lookup' ? bpf.mapLookup(map.raw, u32(key), value, flags)
          : op === 'delete' ? bpf.mapDelete(map.raw, u32(key))
          : bpf.mapLookupAndDelete(map.raw, u32(key), value, flags);
        expect(got).toBe(errno);
      });
    });

    test('get_next_key: null → 0, last → ENOENT, out of range → 0', () => {
      withMap(attr, (map) => {
        const next = new Uint8Array(4).fill(0xff);
        expect(mapGetNextKey(map, null, next)).toBe(true);
        expect(readU32(next)).toBe(0);
        expect(nativeBpf().mapGetNextKey(map.raw, u32(3), next)).toBe(ERRNO.ENOENT);
        expect(mapGetNextKey(map, u32(3), next)).toBe(false);
        next.fill(0xff);
        expect(mapGetNextKey(map, u32(7), next)).toBe(true);
        expect(readU32(next)).toBe(0);
      });
    });

    test('values round-trip, and a batch lookup returns every index', () => {
      withMap(attr, (map) => {
        mapUpdate(map, u32(2), Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8));
        const value = new Uint8Array(8);
        expect(mapLookup(map, u32(2), value)).toBe(true);
        expect(value).toEqual(Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8));
        const keys = new Uint8Array(16);
        const values = new Uint8Array(32);
        const step = mapLookupBatch(map, { out_batch: new Uint8Array(4), keys, values, count: 4 });
        expect(step.count).toBe(4);
        expect([0, 1, 2, 3].map((i) => readU32(keys, 4 * i))).toEqual([0, 1, 2, 3]);
        expect(values.subarray(16, 24)).toEqual(Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8));
      });
    });
  });

  describe('hash map errno values', () => {
    const attr = { map_type: BPF_MAP_TYPE_HASH, key_size: 4, value_size: 8, max_entries: 2, map_name: 'errno_hash' };

    test('lookup, update flags, E2BIG when full, delete', () => {
      withMap(attr, (map) => {
        const bpf = nativeBpf();
        const v = new Uint8Array(8);
        const steps: [string, () => number, number][] = [
          ['lookup of an absent key', () => bpf.mapLookup(map.raw, u32(1), v), ERRNO.ENOENT],
          ['BPF_NOEXIST insert', () => bpf.mapUpdate(map.raw, u32(1), v, BPF_NOEXIST), 0],
          ['BPF_NOEXIST on an existing key', () => bpf.mapUpdate(map.raw, u32(1), v, BPF_NOEXIST), ERRNO.EEXIST],
          ['BPF_EXIST on an absent key', () => bpf.mapUpdate(map.raw, u32(9), v, BPF_EXIST), ERRNO.ENOENT],
          ['second insert', () => bpf.mapUpdate(map.raw, u32(2), v, BPF_ANY), 0],
          ['insert into a full map', () => bpf.mapUpdate(map.raw, u32(3), v, BPF_ANY), ERRNO.E2BIG],
          ['delete of an absent key', () => bpf.mapDelete(map.raw, u32(3)), ERRNO.ENOENT],
          ['lookup-and-delete', () => bpf.mapLookupAndDelete(map.raw, u32(1), v), 0],
          ['lookup after it', () => bpf.mapLookup(map.raw, u32(1), v), ERRNO.ENOENT],
        ];
        expect(steps.map(([name, run]) => [name, run()])).toEqual(steps.map(([name, , errno]) => [name, errno]));
      });
    });

    test('the throwing form names the command and errno', () => {
      withMap(attr, (map) => {
        mapUpdate(map, u32(1), new Uint8Array(8));
        expect(() => mapUpdate(map, u32(1), new Uint8Array(8), BPF_NOEXIST)).toThrow(
          'BPF_MAP_UPDATE_ELEM failed: EEXIST (17)',
        );
        expect(mapLookup(map, u32(5), new Uint8Array(8))).toBe(false);
        expect(mapGetInfo(map)).toMatchObject({ type: BPF_MAP_TYPE_HASH, keySize: 4, valueSize: 8, maxEntries: 2, name: 'errno_hash' });
      });
    });

    test('get_next_key walks every key once', () => {
      withMap({ ...attr, max_entries: 16 }, (map) => {
        for (const k of [5, 10, 15]) mapUpdate(map, u32(k), new Uint8Array(8));
        const seen: number[] = [];
        let key: Uint8Array | null = null;
        const next = new Uint8Array(4);
        while (mapGetNextKey(map, key, next)) {
          seen.push(readU32(next));
          key = next.slice();
        }
        expect(seen.sort((a, b) => a - b)).toEqual([5, 10, 15]);
      });
    });

    test('batch update, lookup (ENOENT at the end) and delete', () => {
      withMap({ ...attr, max_entries: 8 }, (map) => {
        const keys = new Uint8Array(new Uint32Array([1, 2, 3, 4, 5]).buffer);
        const values = Uint8Array.from({ length: 40 }, (_, i) => i);
        expect(mapUpdateBatch(map, { keys, values, count: 5 })).toBe(5);

        const outKeys = new Uint8Array(32);
        const outValues = new Uint8Array(64);
        const raw = nativeBpf().mapLookupBatch(map.raw, { out_batch: new Uint8Array(4), keys: outKeys, values: outValues, count: 8 });
        expect(raw).toEqual({ errno: ERRNO.ENOENT, count: 5 });
        const got = new Map<number, number>();
        for (let i = 0; i < 5; i++) got.set(readU32(outKeys, 4 * i), outValues[8 * i]!);
        expect(got).toEqual(new Map([[1, 0], [2, 8], [3, 16], [4, 24], [5, 32]]));

        expect(mapDeleteBatch(map, { keys, count: 5 })).toBe(5);
        expect(nativeBpf().mapDeleteBatch(map.raw, { keys, count: 5 })).toEqual({ errno: ERRNO.ENOENT, count: 0 });
      });
    });
  });

  test('a queue map takes null keys: push, then pop in FIFO order', () => {
    withMap({ map_type: BPF_MAP_TYPE_QUEUE, key_size: 0, value_size: 4, max_entries: 4 }, (map) => {
      const bpf = nativeBpf();
      expect(bpf.mapUpdate(map.raw, null, u32(1))).toBe(0);
      expect(bpf.mapUpdate(map.raw, null, u32(2))).toBe(0);
      const out = new Uint8Array(4);
      expect(bpf.mapLookupAndDelete(map.raw, null, out)).toBe(0);
      expect(readU32(out)).toBe(1);
    });
  });

  test('per-CPU values take round_up(value_size, 8) × ncpus() bytes', () => {
    const possible = readFileSync('/sys/devices/system/cpu/possible', 'utf8').trim().split(',')
      .map((range) => range.split('-').map(Number))
      .reduce((n, [lo, hi]) => n + (hi ?? lo!) - lo! + 1, 0);
    expect(ncpus()).toBe(possible);
    expect(perCpuValueSize(4)).toBe(8 * possible);
    withMap({ map_type: BPF_MAP_TYPE_PERCPU_ARRAY, key_size: 4, value_size: 4, max_entries: 1 }, (map) => {
      const value = new Uint8Array(perCpuValueSize(4));
      for (let cpu = 0; cpu < possible; cpu++) value.set(u32(100 + cpu), 8 * cpu);
      mapUpdate(map, u32(0), value);
      const out = new Uint8Array(perCpuValueSize(4));
      expect(mapLookup(map, u32(0), out)).toBe(true);
      expect(out).toEqual(value);
      expect(() => mapLookup(map, u32(0), new Uint8Array(4))).toThrow(RangeError);
    });
  });

  test('arguments are checked before the kernel sees them', () => {
    withMap({ map_type: BPF_MAP_TYPE_HASH, key_size: 4, value_size: 8, max_entries: 1 }, (map) => {
      const bpf = nativeBpf() as unknown as Record<string, (...args: unknown[]) => unknown>;
      expect(() => bpf.mapLookup!('3', u32(0), new Uint8Array(8))).toThrow(TypeError);
      expect(() => bpf.mapLookup!(map.raw, [0, 0, 0, 0], new Uint8Array(8))).toThrow(TypeError);
      expect(() => bpf.progLoad!({ prog_type: BPF_PROG_TYPE_XDP, insns: new Uint8Array(9) })).toThrow(RangeError);
      expect(() => nativeBpf().mapLookup(map.raw, new Uint8Array(2), new Uint8Array(8))).toThrow(
        'mapLookup: key has 2 bytes, the map needs 4',
      );
      expect(() => nativeBpf().mapUpdate(map.raw, u32(0), new Uint8Array(7))).toThrow(RangeError);
    });
    // A program fd is not a map: the kernel's answer, EINVAL, not a size complaint.
    const { fd } = progLoad({ prog_type: BPF_PROG_TYPE_XDP, insns: returnImm(XDP_PASS) });
    expect(nativeBpf().mapLookup(fd.raw, new Uint8Array(1), new Uint8Array(1))).toBe(ERRNO.EINVAL);
    fd.close();
  });

  test('a hand-built BTF blob with one int type loads', () => {
    const { fd } = btfLoad(tinyBtf());
    try {
      const info = btfGetInfo(fd);
      expect(info.id).toBeGreaterThan(0);
      expect(info.btfSize).toBe(tinyBtf().length);
      expect(info.kernelBtf).toBe(false);
    } finally {
      fd.close();
    }
    const bad = tinyBtf();
    bad[0] = 0;
    expect(() => btfLoad(bad)).toThrow('BPF_BTF_LOAD failed: EINVAL (22): Invalid magic');
  });

  test('fds do not leak over 1000 load/create/close cycles', () => {
    const before = openFds();
    for (let i = 0; i < 1000; i++) {
      const map = mapCreate({ map_type: BPF_MAP_TYPE_ARRAY, key_size: 4, value_size: 4, max_entries: 1 });
      const { fd } = progLoad({ prog_type: BPF_PROG_TYPE_XDP, insns: returnImm(XDP_PASS) });
      if (i % 2) map.close();
      else map[Symbol.dispose]();
      fd.close();
      fd.close();
    }
    expect(openFds()).toBeLessThanOrEqual(before);
  });

  test('Fds dropped without close() are closed when garbage-collected', () => {
    const kernel = new URL('../../src/kernel/index.ts', import.meta.url).pathname;
    const uapi = new URL('../../src/uapi.ts', import.meta.url).pathname;
    const script = `
      const { readdirSync } = await import('node:fs');
      const k = { ...(await import(${JSON.stringify(kernel)})), ...(await import(${JSON.stringify(uapi)})) };
      const count = () => readdirSync('/proc/self/fd').length;
      const before = count();
      for (let i = 0; i < 100; i++) k.mapCreate({ map_type: k.BPF_MAP_TYPE_ARRAY, key_size: 4, value_size: 4, max_entries: 1 });
      const leaked = count() - before;
      for (let i = 0; i < 50 && count() > before; i++) { gc(); await new Promise((r) => setTimeout(r, 10)); }
      console.log(JSON.stringify({ leaked, after: count() - before }));`;
    const child = spawnSync(process.execPath, ['--expose-gc', '--import', 'tsx', '--input-type=module', '-e', script]);
    expect(child.stderr.toString()).toBe('');
    // Node itself may open or close a descriptor meanwhile, so allow for one either way.
    const { leaked, after } = JSON.parse(child.stdout.toString()) as { leaked: number; after: number };
    expect(leaked).toBeGreaterThanOrEqual(99);
    expect(after).toBeLessThanOrEqual(0);
  });

  test('a closed Fd refuses to hand out its number', () => {
    const map = mapCreate({ map_type: BPF_MAP_TYPE_ARRAY, key_size: 4, value_size: 4, max_entries: 1 });
    map.close();
    expect(map.closed).toBe(true);
    expect(() => map.raw).toThrow('this fd has been closed');
  });

  const hasIp = spawnSync('ip', ['-V']).status === 0;
  test.skipIf(!hasIp)('links attach XDP and tcx programs to a veth pair', () => {
    const name = `bs${process.pid % 100000}a`;
    const ip = (...args: string[]) => spawnSync('ip', args, { stdio: 'ignore' }).status;
    expect(ip('link', 'add', name, 'type', 'veth', 'peer', 'name', `${name}b`)).toBe(0);
    const xdp = progLoad({ prog_type: BPF_PROG_TYPE_XDP, insns: returnImm(XDP_PASS) }).fd;
    const tc = progLoad({ prog_type: BPF_PROG_TYPE_SCHED_CLS, insns: returnImm(0) }).fd;
    try {
      const ifindex = nativeBpf().ifNameToIndex(name);
      expect(ifindex).toBeGreaterThan(0);
      const link = linkCreate(xdp, { target_ifindex: ifindex, attach_type: BPF_XDP });
      expect(nativeBpf().linkCreate({ prog_fd: xdp.raw, target_ifindex: ifindex, attach_type: BPF_XDP }).errno)
        .toBe(ERRNO.EBUSY);
      linkDetach(link);
      link.close();
      linkCreate(xdp, { target_ifindex: ifindex, attach_type: BPF_XDP }).close();
      for (const attach_type of [BPF_TCX_INGRESS, BPF_TCX_EGRESS]) {
        const tcx = linkCreate(tc, { target_ifindex: ifindex, attach_type });
        // tcx holds a list of programs, but each program at most once.
        expect(nativeBpf().linkCreate({ prog_fd: tc.raw, target_ifindex: ifindex, attach_type }).errno)
          .toBe(ERRNO.EEXIST);
        tcx.close();
      }
    } finally {
      xdp.close();
      tc.close();
      ip('link', 'del', name);
    }
  });
});
