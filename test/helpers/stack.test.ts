/*
 * Stack traces: the STACK_TRACE map's rules and userspace view against Linux 6.18, and
 * bpf_get_stackid / bpf_get_stack / bpf_get_func_ip / bpf_get_attach_cookie on the simulated
 * task's stacks; on the kernel (a raw tracepoint test run, on the real stack) by property.
 */
import { afterAll, describe, expect, test } from 'vitest';
import { ErrnoError } from '../../src/errno.js';
import { KernelProgram, progTestRun } from '../../src/kernel/index.js';
import { assemble, loadImm64, program } from '../../src/isa/index.js';
import type { MapSpec } from '../../src/maps/index.js';
import { BPF_F_REUSE_STACKID, BPF_F_USER_STACK } from '../../src/maps/index.js';
import * as U from '../../src/uapi.js';
import { Machine } from '../../src/vm/index.js';
import type { Backend } from '../../src/vm/index.js';
import { kernelBackend, kernelSkip, simBackend, simBackends } from './support/xdp.js';

const kernel = kernelBackend();
if (kernelSkip) console.log(`stack trace cases run on bpfsim only: ${kernelSkip}`);
afterAll(() => kernel?.close());

const stackMap = (extra: Partial<MapSpec> = {}): MapSpec => ({ type: U.BPF_MAP_TYPE_STACK_TRACE, keySize: 4, valueSize: 64, maxEntries: 4, ...extra });
const u32 = (n: number): Uint8Array => Uint8Array.of(n, 0, 0, 0);

function errnoOf(fn: () => unknown): string {
  try {
    fn();
    return 'ok';
  } catch (e) {
    if (e instanceof ErrnoError) return e.errnoName;
    throw e;
  }
}

describe('STACK_TRACE maps', () => {
  test.each([
    ['value_size 64', {}, 'ok'],
    ['value_size 12', { valueSize: 12 }, 'EINVAL'],
    ['127 frames', { valueSize: 1016 }, 'ok'],
    ['128 frames', { valueSize: 1024 }, 'EINVAL'],
    ['key_size 8', { keySize: 8 }, 'EINVAL'],
    ['max_entries 0', { maxEntries: 0 }, 'EINVAL'],
    ['build ids, 2 entries', { valueSize: 64, flags: U.BPF_F_STACK_BUILD_ID }, 'ok'],
    ['build ids, 48 bytes', { valueSize: 48, flags: U.BPF_F_STACK_BUILD_ID }, 'EINVAL'],
    ['BPF_F_NO_PREALLOC', { flags: U.BPF_F_NO_PREALLOC }, 'EINVAL'],
  ] as const)('%s: %s', (_, extra, want) => {
    for (const b of [simBackend(), kernel]) {
      if (!b) continue;
      expect(errnoOf(() => (b.createMap(stackMap(extra)) as unknown as { close(): void }).close()), b.name).toBe(want);
      if (b !== kernel) b.close();
    }
  });

  test('userspace: no updates, ENOENT for empty ids, E2BIG past the buckets, nothing to walk', () => {
    for (const b of [simBackend(), kernel] as (Backend | undefined)[]) {
      if (!b) continue;
      const m = b.createMap(stackMap({ maxEntries: 3 }));
      expect(errnoOf(() => m.update(u32(0), new Uint8Array(64))), b.name).toBe('EINVAL');
      expect(m.lookup(u32(1)), b.name).toBeUndefined();
      expect(errnoOf(() => m.delete(u32(1))), b.name).toBe('ENOENT');
      expect(errnoOf(() => m.delete(u32(4))), b.name).toBe('E2BIG');
      expect(m.nextKey(undefined), b.name).toBeUndefined();
      (m as unknown as { close(): void }).close();
      if (b !== kernel) b.close();
    }
  });
});

describe('stack helpers on the simulated task', () => {
  /** Runs a raw program (no type: no helper restrictions) with `maps[i]` loaded into r6+i before `body`. */
  function raw(machine: Machine, maps: number[], body: string): bigint {
    const { insns } = assemble(body);
    const prologue = program(maps.map((addr, i) => loadImm64((6 + i) as 6, addr))).insns;
    return machine.loadProgram({ insns: [...prologue, ...insns] }).runRaw({ mem: new Uint8Array(256) }).r0;
  }

  test('get_stackid stores a stack once, skips frames, takes the user stack, and keeps ids stable', () => {
    const m = new Machine();
    const map = m.createMap(stackMap());
    const id = (flags: number): bigint => BigInt.asIntN(64, raw(m, [map.address], `r2 = r6\nr3 = ${flags}\ncall bpf_get_stackid\nexit`));
    const a = id(0);
    expect(a).toBeGreaterThanOrEqual(0n);
    expect(id(0)).toBe(a);
    const frames = (key: bigint): bigint[] => Array.from(new BigUint64Array(map.lookup(u32(Number(key)))!.buffer)).filter((x) => x !== 0n);
    expect(frames(a)).toEqual(m.task.kernelStack);
    const skipped = id(2);
    if (skipped >= 0n) expect(frames(skipped)).toEqual(m.task.kernelStack.slice(2));
    const user = id(BPF_F_USER_STACK);
    if (user >= 0n) expect(frames(user)).toEqual(m.task.userStack);
    expect(id(4)).toBe(-14n);
    expect(id(1 << 12)).toBe(-22n);
  });

  test('one bucket: a different stack is -EEXIST, or replaces it with BPF_F_REUSE_STACKID', () => {
    const m = new Machine();
    const map = m.createMap(stackMap({ maxEntries: 1 }));
    const id = (flags: number): bigint => BigInt.asIntN(64, raw(m, [map.address], `r2 = r6\nr3 = ${flags}\ncall bpf_get_stackid\nexit`));
    expect(id(0)).toBe(0n);
    expect(id(1)).toBe(-17n);
    expect(id(1 | BPF_F_REUSE_STACKID)).toBe(0n);
    expect(Array.from(new BigUint64Array(map.lookup(u32(0))!.buffer)).filter((x) => x !== 0n)).toEqual(m.task.kernelStack.slice(1));
  });

  test('get_stack copies frames and zeroes the rest; bad sizes and flags zero the buffer', () => {
    const m = new Machine();
    m.task.kernelStack = [1n, 2n, 3n];
    const run = (size: number, flags: number): { r0: bigint; buf: bigint[] } => {
      const { insns } = assemble(`r6 = r1\nr2 = r1\nr3 = ${size}\nr4 = ${flags}\ncall bpf_get_stack\nexit`);
      const r = m.loadProgram({ insns }).runRaw({ mem: new Uint8Array(64).fill(0xff) });
      return { r0: BigInt.asIntN(64, r.r0), buf: Array.from(new BigUint64Array(r.mem.buffer)) };
    };
    expect(run(32, 0)).toEqual({ r0: 24n, buf: [1n, 2n, 3n, 0n, ...Array(4).fill(0xffffffffffffffffn)] });
    expect(run(16, 1)).toEqual({ r0: 16n, buf: [2n, 3n, ...Array(6).fill(0xffffffffffffffffn)] });
    expect(run(12, 0).r0).toBe(-22n);
    expect(run(12, 0).buf.slice(0, 2)).toEqual([0n, 0xffffffff00000000n]);
    expect(run(16, 3).r0).toBe(-14n);
    expect(run(16, 1 << 12).r0).toBe(-22n);
    expect(run(64, BPF_F_USER_STACK | (1 << 11)).r0).toBe(64n);
  });

  test('get_func_ip and get_attach_cookie report the Machine\'s attachment', () => {
    const m = new Machine();
    m.attach.funcIp = 0xffffffff81000abcn;
    m.attach.cookie = 42n;
    expect(raw(m, [], 'call bpf_get_func_ip\nexit')).toBe(0xffffffff81000abcn);
    expect(raw(m, [], 'call bpf_get_attach_cookie\nexit')).toBe(42n);
  });
});

describe.skipIf(!kernel)('stack helpers on the kernel', () => {
  test('a raw tracepoint test run gets a stack id and a stack, as bpfsim does on its task', () => {
    const body = `
      r6 = r1
      r2 = map[idx:0]
      r1 = r6
      r3 = 0
      call bpf_get_stackid
      r7 = r0
      r1 = r6
      r2 = r10
      r2 += -64
      r3 = 64
      r4 = 0
      call bpf_get_stack
      if r0 s< 8 goto bad
      if r7 s< 0 goto bad
      r0 = 1
      exit
    bad:
      r0 = 0
      exit`;
    for (const b of [...simBackends(), kernel!]) {
      const m = b.createMap(stackMap());
      const { program: p } = b.loadProgram({ type: U.BPF_PROG_TYPE_RAW_TRACEPOINT, insns: assemble(body).insns, maps: [m], name: 'stack' });
      // A raw tracepoint test run takes the arguments as ctx_in and nothing else (repeat 0).
      const retval = p instanceof KernelProgram ? progTestRun(p.fd, { ctx_in: new Uint8Array(8), repeat: 0, data_size_out: 0, ctx_size_out: 0 }).retval
        : (p as unknown as { run(o: object): { retval: number } }).run({ ctx: new Uint8Array(8) }).retval;
      expect(retval, b.name).toBe(1);
      expect(m.nextKey(undefined), b.name).toBeDefined();
      p.close();
      (m as unknown as { close(): void }).close();
      if (b !== kernel) b.close();
    }
  });
});
