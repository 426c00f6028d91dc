/*
 * Clocks, ids, the current task and the probe_read family against Linux 6.18: exact where the
 * kernel is deterministic (errno values, zeroed buffers, string lengths), by property where it is
 * not (times, pids, comm). The simulator's own task, user memory and task_struct are unit-tested below.
 */
import { statSync } from 'node:fs';
import { afterAll, describe, expect, test } from 'vitest';
import { INITIAL_JIFFIES, TaskStruct, TICK_NS, USER_MEMORY_START } from '../../src/helpers/index.js';
import { copyOut, call, fp, imm, st, stBytes } from './support/asm.js';
import { checkCase, kernelBackend, runCase } from './support/cases.js';
import type { HelperCase } from './support/cases.js';
import { kernelSkip, simBackend } from './support/xdp.js';

const kernel = kernelBackend();
if (kernelSkip) console.log(`task and clock cases run on bpfsim only: ${kernelSkip}`);
afterAll(() => kernel?.close());

const EFAULT = -14;
const ERANGE = -34;
const FILL = 0x1111111111111111n;

/** `fn(r10-8, size, addr)` with the buffer prefilled: r0 to `slot`, the buffer to `slot + 1`. */
const read = (fn: string, size: number, addr: bigint | string, slot: number): string => [
  st(-8, FILL), call(`bpf_${fn}`, [typeof addr === 'string' ? addr : imm(3, addr), fp(1, -8), `r2 = ${size}`], slot),
  'r1 = *(u64 *)(r10 -8)', `*(u64 *)(r7 +${8 * (slot + 1)}) = r1`,
].join('\n');
const stackStr = (s: string): string => [stBytes(-32, s, 16), fp(3, -32)].join('\n');

const printable = (b: Uint8Array): boolean => b.every((c) => c >= 0x20 && c < 0x7f);
/** The comm a run left in bytes 0..15 of its data: a name, NUL-terminated, zero-padded. */
const commOk = (data: Uint8Array, size: number): boolean => {
  const comm = data.subarray(0, size);
  const nul = comm.indexOf(0);
  return nul > 0 && printable(comm.subarray(0, nul)) && comm.subarray(nul).every((c) => c === 0);
};

const cases: HelperCase[] = [
  {
    name: 'clocks: monotonic, boot ≥ monotonic, coarse within a tick or so, TAI a wall clock, jiffies at HZ 250',
    body: [
      call('bpf_ktime_get_ns', [], 0), call('bpf_ktime_get_ns', [], 1), call('bpf_ktime_get_boot_ns', [], 2),
      call('bpf_ktime_get_coarse_ns', [], 3), call('bpf_ktime_get_tai_ns', [], 4), call('bpf_jiffies64', [], 5),
    ].join('\n'),
    want: [
      (v) => v > 0n, (v, r) => v >= r.u64(0), (v, r) => v >= r.u64(1), (v, r) => v <= r.u64(1) && r.u64(1) - v < 1_000_000_000n,
      (v) => v > 1_700_000_000_000_000_000n,
      (v, r) => {
        const expected = INITIAL_JIFFIES + r.u64(1) / TICK_NS;
        return v - expected < 250n && expected - v < 250n;
      },
    ],
  },
  {
    name: 'ids: CPU, NUMA node, pid/tgid of the current task, uid/gid (root), random numbers',
    body: [
      call('bpf_get_smp_processor_id', [], 0), call('bpf_get_numa_node_id', [], 1), call('bpf_get_current_pid_tgid', [], 2),
      call('bpf_get_current_uid_gid', [], 3), call('bpf_get_prandom_u32', [], 4), call('bpf_get_prandom_u32', [], 5),
      call('bpf_get_current_task', [], 6), call('bpf_get_current_task_btf', [], 7),
    ].join('\n'),
    want: [
      (v) => v < 64n, 0, (v) => [1000n, BigInt(process.pid)].includes(v >> 32n) && (v & 0xffffffffn) > 0n, 0,
      (v) => v < 1n << 32n, (v, r) => v < 1n << 32n && v !== r.u64(4), (v) => v !== 0n, (v, r) => v === r.u64(6),
    ],
  },
  {
    name: 'get_current_comm: NUL-terminated and zero-padded to the size, cut to size - 1',
    body: [
      st(-16, FILL), st(-8, FILL), call('bpf_get_current_comm', [fp(1, -16), 'r2 = 16'], 4), copyOut(-16, 0, 16),
      st(-24, FILL), call('bpf_get_current_comm', [fp(1, -24), 'r2 = 4'], 5), copyOut(-24, 16, 8),
    ].join('\n'),
    want: [
      (_, r) => commOk(r.data, 16), () => true, (v, r) => v >> 32n === 0x11111111n && commOk(r.data.subarray(16), 4) && r.data[18] !== 0,
      0, 0, 0,
    ],
  },
  {
    name: 'probe_read_kernel: user and non-canonical addresses are -ERANGE, unmapped kernel ones -EFAULT, and the buffer is zeroed',
    body: [
      read('probe_read_kernel', 8, 0n, 0), read('probe_read_kernel', 8, 0x1000n, 2), read('probe_read_kernel', 8, 0x7fff00000000n, 4),
      read('probe_read_kernel', 8, 0xdead000000000000n, 6), read('probe_read_kernel', 8, 0xfffffffffffff000n, 8),
      read('probe_read_kernel', 8, 0xffff800000000000n, 10), read('probe_read_kernel', 0, 0n, 12),
      read('probe_read_kernel', 0, 0xfffffffffffff000n, 14), [st(-24, 0x4242n), read('probe_read_kernel', 8, fp(3, -24), 16)].join('\n'),
    ].join('\n'),
    want: [ERANGE, 0, ERANGE, 0, ERANGE, 0, ERANGE, 0, EFAULT, 0, EFAULT, 0, ERANGE, FILL, 0, FILL, 0, 0x4242],
  },
  {
    name: 'probe_read_user: every address here faults; a size of 0 is fine for user addresses only',
    body: [
      read('probe_read_user', 8, 0n, 0), read('probe_read_user', 8, 0xfffffffffffff000n, 2), read('probe_read_user', 0, 0n, 4),
      read('probe_read_user', 0, 0xfffffffffffff000n, 6), read('probe_read_user', 0, fp(3, -32), 8),
    ].join('\n'),
    want: [EFAULT, 0, EFAULT, 0, 0, FILL, EFAULT, FILL, EFAULT, FILL],
  },
  {
    name: 'probe_read_kernel_str: the length with its NUL, cut to size - 1, bytes after the NUL untouched',
    body: [
      read('probe_read_kernel_str', 8, stackStr('abc'), 0), read('probe_read_kernel_str', 2, stackStr('abc'), 2),
      read('probe_read_kernel_str', 1, stackStr('abc'), 4), read('probe_read_kernel_str', 8, stackStr('abcdefghijk'), 6),
      read('probe_read_kernel_str', 8, 0n, 8), read('probe_read_kernel_str', 8, 0xfffffffffffff000n, 10),
      read('probe_read_kernel_str', 0, 0n, 12), read('probe_read_kernel_str', 8, stackStr(''), 14),
    ].join('\n'),
    want: [4, 0x1111111100636261n, 2, 0x1111111111110061n, 1, 0x1111111111111100n, 8, 0x67666564636261n,
      ERANGE, 0, EFAULT, 0, 0, FILL, 1, 0x1111111111111100n],
  },
  {
    name: 'probe_read_user_str: faults; a size of 0 returns 0 without reading',
    body: [read('probe_read_user_str', 8, 0n, 0), read('probe_read_user_str', 0, 0xfffffffffffff000n, 2), read('probe_read_user_str', 8, fp(3, -32), 4)].join('\n'),
    want: [EFAULT, 0, 0, FILL, EFAULT, 0],
  },
];

describe('clocks, ids, the current task and probe_read', () => {
  test.each(cases)('$name', (c) => checkCase(c, kernel, kernel?.ncpus));
});

describe('namespaces, cgroups and signals', () => {
  /** get_ns_current_pid_tgid(dev, ino, r10-8, size): r0 to `slot`, the pidns info to `slot + 1`. */
  const nsPid = (dev: bigint, ino: bigint, size: number, slot: number): string => [
    st(-8, FILL), call('bpf_get_ns_current_pid_tgid', [imm(1, dev), imm(2, ino), fp(3, -8), `r4 = ${size}`], slot),
    'r1 = *(u64 *)(r10 -8)', `*(u64 *)(r7 +${8 * (slot + 1)}) = r1`,
  ].join('\n');
  const ids = [call('bpf_get_current_cgroup_id', [], 0), call('bpf_get_current_ancestor_cgroup_id', ['r1 = 0'], 1),
    call('bpf_get_current_ancestor_cgroup_id', ['r1 = 100'], 2), call('bpf_send_signal', ['r1 = 0'], 3),
    call('bpf_send_signal_thread', ['r1 = 65'], 4)].join('\n');

  test('cgroup ids of the current task; signal 0 is sent and 65 refused', () => {
    checkCase({ name: 'ids', body: ids, want: [(v) => v > 0n, 1, 0, 0, -22] }, kernel);
  });

  test('get_ns_current_pid_tgid in the task\'s own pid namespace, and refusals that zero the buffer', () => {
    const sim = simBackend();
    const { dev, ino } = sim.machine.task.pidNs;
    checkCase({ name: 'sim pidns', body: [nsPid(dev, ino, 8, 0), nsPid(dev, ino + 1n, 8, 2), nsPid(dev, ino, 4, 4), nsPid(1n << 33n, ino, 8, 6)].join('\n'),
      want: [0, (1000n << 32n) | 1000n, -22, 0, -22, FILL & ~0xffffffffn, -22, 0] }, undefined);
    expect(sim.machine.task.signals).toEqual([]);
    sim.close();
    if (!kernel) return;
    const ns = statSync('/proc/self/ns/pid', { bigint: true });
    const o = runCase(kernel, { name: 'kernel pidns', body: [nsPid(ns.dev, ns.ino, 8, 0), nsPid(ns.dev, ns.ino + 1n, 8, 2)].join('\n'), want: [] });
    if ('refused' in o) throw o.refused;
    expect([o.run.s64(0), o.run.u64(1) >> 32n, o.run.s64(2), o.run.u64(3)]).toEqual([0n, BigInt(process.pid), -22n, 0n]);
  });

  test('signals are recorded on the simulated task', () => {
    const sim = simBackend();
    runCase(sim, { name: 'signal', body: [call('bpf_send_signal', ['r1 = 10'], 0), call('bpf_send_signal_thread', ['r1 = 12'], 1)].join('\n'), want: [] });
    expect(sim.machine.task.signals).toEqual([{ sig: 10, thread: false }, { sig: 12, thread: true }]);
    sim.close();
  });
});

describe('the simulated task', () => {
  test('bpf_get_current_task points at a task_struct whose pid, tgid and comm are the task\'s', () => {
    const sim = simBackend();
    sim.machine.task.set({ pid: 4242, tgid: 4240, comm: 'worker' });
    const o = runCase(sim, {
      name: 'task_struct', want: [],
      body: [
        call('bpf_get_current_task', []), 'r6 = r0',
        call('bpf_probe_read_kernel', [fp(1, -8), 'r2 = 4', 'r3 = r6', `r3 += ${TaskStruct.pid}`], 0), 'r1 = *(u32 *)(r10 -8)', '*(u64 *)(r7 +8) = r1',
        call('bpf_probe_read_kernel', [fp(1, -8), 'r2 = 4', 'r3 = r6', `r3 += ${TaskStruct.tgid}`], 2), 'r1 = *(u32 *)(r10 -8)', '*(u64 *)(r7 +24) = r1',
        call('bpf_probe_read_kernel_str', [fp(1, -32), 'r2 = 16', 'r3 = r6', `r3 += ${TaskStruct.comm}`], 4), copyOut(-32, 40, 16),
        call('bpf_get_current_pid_tgid', [], 7),
      ].join('\n'),
    });
    if ('refused' in o) throw o.refused;
    expect([o.run.u64(0), o.run.u64(1), o.run.u64(2), o.run.u64(3), o.run.u64(4)]).toEqual([0n, 4242n, 0n, 4240n, 7n]);
    expect(new TextDecoder().decode(o.run.data.subarray(40, 46))).toBe('worker');
    expect(o.run.u64(7)).toBe((4240n << 32n) | 4242n);
    sim.close();
  });

  test('probe_read_user reads the task\'s user memory; unmapped pages fault', () => {
    const sim = simBackend();
    const at = BigInt(USER_MEMORY_START) + 0x1ff8n;
    sim.machine.task.user.write(at, new TextEncoder().encode('hello, user\0'));
    const o = runCase(sim, {
      name: 'user memory', want: [],
      body: [
        read('probe_read_user', 8, at, 0), read('probe_read_user_str', 8, at + 4n, 2), read('probe_read_user', 8, at + 8n, 4),
        read('probe_read_user', 8, at + 0x100000n, 6),
      ].join('\n'),
    });
    if ('refused' in o) throw o.refused;
    expect([0, 1, 2, 3, 4, 5, 6, 7].map((i) => o.run.u64(i))).toEqual([
      0n, 0x2c6f6c6c6568n | (0x20n << 48n) | (0x75n << 56n), 8n, 0x0072657375202c6fn, 0n, 0x726573n, BigInt(EFAULT) & 0xffffffffffffffffn, 0n,
    ]);
    sim.close();
  });

  test('copy_from_user (for sleepable programs) copies user memory, zeroes the buffer on a fault', () => {
    const sim = simBackend();
    const at = BigInt(USER_MEMORY_START);
    sim.machine.task.user.write(at, Uint8Array.of(1, 2, 3, 4, 5, 6, 7, 8));
    const o = runCase(sim, { name: 'copy_from_user', want: [], body: [read('copy_from_user', 8, at, 0), read('copy_from_user', 8, at + 0x100000n, 2), read('copy_from_user', 0, 0xfffffffffffff000n, 4)].join('\n') });
    if ('refused' in o) throw o.refused;
    expect([0, 1, 2, 3, 4, 5].map((i) => o.run.s64(i))).toEqual([0n, 0x0807060504030201n, -14n, 0n, 0n, BigInt.asIntN(64, FILL)]);
    sim.close();
  });

  test('user memory lies between 4 GiB and TASK_SIZE_MAX', () => {
    const sim = simBackend();
    expect(() => sim.machine.task.user.write(0x1000, Uint8Array.of(1))).toThrow(/USER_MEMORY_START/);
    expect(() => sim.machine.task.user.write(0x7ffffffff000n, Uint8Array.of(1))).toThrow(RangeError);
    sim.close();
  });
});
