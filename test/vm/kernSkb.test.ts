/*
 * bpf_cast_to_kern_ctx in a tc program gives the skb's kernel struct sk_buff, laid out as
 * bpfsim's kernel BTF says and kept in step with __sk_buff: kern_skb.o (CO-RE relocated sk_buff
 * members) reads each field through the sk_buff and through __sk_buff, after stores into
 * __sk_buff and after helpers that change the packet. On the interpreter and the JIT both reads
 * give the values listed here; on the kernel (BPF_PROG_TEST_RUN, vmlinux offsets) the same ones.
 * Socket filter, tc action and LWT programs read len, protocol and dev->ifindex through both.
 */
import { afterAll, describe, expect, test } from 'vitest';
import { BTF_KIND_FUNC, BTF_KIND_STRUCT, loadCollection, loadCollectionSpec, simKernelBtf, type CollectionProgram } from '../../src/elf/index.js';
import { assemble } from '../../src/isa/index.js';
import { createMachine } from '../../src/machines.js';
import {
  BPF_PROG_TYPE_LWT_IN, BPF_PROG_TYPE_LWT_OUT, BPF_PROG_TYPE_LWT_XMIT, BPF_PROG_TYPE_SCHED_ACT,
  BPF_PROG_TYPE_SOCKET_FILTER,
} from '../../src/uapi.js';
import type { Backend } from '../../src/vm/backend.js';
import { KernNetDevice, KernSkBuff, QdiscSkbCb, SimBackend } from '../../src/vm/index.js';
import { kernelBackend, kernelSkipReason } from '../elf/support/kernel.js';
import { fixture } from '../elf/support/objects.js';
import { PACKETS } from '../elf/support/packets.js';

const FIELDS = [
  'len', 'protocol', 'mark', 'priority', 'pkt_type', 'ifindex', 'queue_mapping', 'tc_index', 'hash', 'vlan_tci',
  'vlan_proto', 'cb0', 'tstamp', 'wire_len', 'linear', 'headroom', 'mtu',
] as const;
type Field = (typeof FIELDS)[number];
/** Fields __sk_buff has no counterpart for (the program returns -1 there). */
const KERN_ONLY: readonly Field[] = ['headroom', 'mtu'];
const ACTIONS = ['none', 'stores', 'change_tail', 'vlan_push', 'set_hash', 'adjust_room'] as const;
type Action = (typeof ACTIONS)[number];

/** tcpSyn80 (54 bytes, to a MAC that is not loopback's) with mark 0xabc, priority 6, cb[0] 0x11 and tstamp 0x123456789 in ctx_in. */
const BASE: Readonly<Record<Field, number>> = {
  len: 54, protocol: 0x0008, mark: 0xabc, priority: 6, pkt_type: 3, ifindex: 1, queue_mapping: 0, tc_index: 0, hash: 0,
  vlan_tci: 0, vlan_proto: 0, cb0: 0x11, tstamp: 0x23456789, wire_len: 54, linear: 54, headroom: 64, mtu: 65536,
};
const CHANGES: Readonly<Record<Action, Partial<Record<Field, number>>>> = {
  none: {},
  stores: { mark: 77, priority: 9, queue_mapping: 3, tc_index: 5, cb0: 0xc0ffee },
  change_tail: { len: 100, linear: 100 },
  vlan_push: { vlan_tci: 42, vlan_proto: 0xa888 },
  set_hash: { hash: 0x1234 },
  adjust_room: { len: 62, linear: 62, headroom: 56 },
};

function load(backend: Backend): CollectionProgram {
  const spec = loadCollectionSpec(fixture('kern_skb.o'), { objectName: 'kern_skb' });
  return loadCollection(spec, { backend, programs: ['tc_kern_skb'] }).programs['tc_kern_skb']!;
}

function read(prog: CollectionProgram, action: Action, field: Field, kern: boolean): number {
  const ctx = new Uint8Array(192);
  const v = new DataView(ctx.buffer);
  v.setUint32(8, 0xabc, true);
  v.setUint32(32, 6, true);
  v.setUint32(48, 0x11, true);
  v.setUint32(56, ACTIONS.indexOf(action), true);
  v.setUint32(60, kern ? 1 : 0, true);
  v.setUint32(64, FIELDS.indexOf(field), true);
  v.setBigUint64(152, 0x123456789n, true);
  return prog.testRun({ data: PACKETS.tcpSyn80, ctx, ctxSizeOut: 192 }).retval >>> 0;
}

const CASES = ACTIONS.flatMap((a) => FIELDS.map((f) => [a, f, CHANGES[a][f] ?? BASE[f]] as const));

test("KernSkBuff and KernNetDevice are bpfsim's kernel BTF's sk_buff and net_device", () => {
  const btf = simKernelBtf();
  const offsets = (name: string): Record<string, number> => {
    const t = btf.type(btf.find(name, BTF_KIND_STRUCT)!);
    if (t.kind !== BTF_KIND_STRUCT) throw new Error(`${name} is not a struct`);
    return { ...Object.fromEntries(t.members.map((m) => [m.name, Math.floor(m.bitOffset / 8)])), size: t.size };
  };
  const skb = offsets('sk_buff');
  const { flags1, flags2, ...named } = KernSkBuff;
  for (const [name, off] of Object.entries(named)) expect([name, skb[name]]).toEqual([name, off]);
  expect([skb['pkt_type'], skb['ip_summed'], skb['tc_at_ingress'], skb['encapsulation']]).toEqual([flags1, flags1, flags2, flags2]);
  expect(offsets('net_device')).toEqual({ ...KernNetDevice });
  expect(QdiscSkbCb.data + 20).toBeLessThanOrEqual(48);
});

describe.each(['interp', 'jit'] as const)('kern_skb.o on %s', (engine) => {
  const sim = new SimBackend({ machine: createMachine(), engine, checked: true });
  const prog = load(sim);
  afterAll(() => sim.close());

  test.each(CASES)('%s: %s is %i through sk_buff and __sk_buff', (action, field, want) => {
    expect(read(prog, action, field, true)).toBe(want);
    if (!KERN_ONLY.includes(field)) expect(read(prog, action, field, false)).toBe(want);
  });
});

describe.each(['interp', 'jit'] as const)('the other skb program types on %s', (engine) => {
  const sim = new SimBackend({ machine: createMachine(), engine, checked: true });
  afterAll(() => sim.close());
  const cast = simKernelBtf().find('bpf_cast_to_kern_ctx', BTF_KIND_FUNC)!;
  const K = KernSkBuff;

  test.each([
    ['socket_filter', BPF_PROG_TYPE_SOCKET_FILTER], ['sched_act', BPF_PROG_TYPE_SCHED_ACT],
    ['lwt_in', BPF_PROG_TYPE_LWT_IN], ['lwt_out', BPF_PROG_TYPE_LWT_OUT], ['lwt_xmit', BPF_PROG_TYPE_LWT_XMIT],
  ])('%s: sk_buff len, protocol and dev->ifindex equal __sk_buff len, protocol and ifindex', (_name, type) => {
    const run = (body: string): number => {
      const insns = assemble(`r6 = r1\ncall kfunc ${cast}\nr7 = r0\n${body}\nexit`).insns;
      const { program } = sim.loadProgram({ type, insns });
      try {
        return program.testRun({ data: PACKETS.udp53 }).retval >>> 0;
      } finally {
        program.close();
      }
    };
    const kernLen = run(`r0 = *(u32 *)(r7 +${K.len})`);
    expect(kernLen).toBe(run('r0 = *(u32 *)(r6 +0)'));
    expect(kernLen).toBe(type === BPF_PROG_TYPE_SCHED_ACT ? PACKETS.udp53.length : PACKETS.udp53.length - 14);
    expect(run(`r0 = *(u16 *)(r7 +${K.protocol})`)).toBe(run('r0 = *(u32 *)(r6 +16)'));
    expect(run(`r1 = *(u64 *)(r7 +${K.dev})\nr0 = *(u32 *)(r1 +${KernNetDevice.ifindex})`)).toBe(run('r0 = *(u32 *)(r6 +40)'));
  });
});

const skip = kernelSkipReason();
if (skip) console.log(`skipping kern_skb.o on the kernel: ${skip}`);

describe.skipIf(skip !== undefined)('kern_skb.o on the kernel', () => {
  const kernel = skip === undefined ? kernelBackend() : undefined;
  const prog = kernel ? load(kernel) : undefined;
  afterAll(() => kernel?.close());

  test.each(CASES)('%s: %s is %i through sk_buff and __sk_buff', (action, field, want) => {
    expect(read(prog!, action, field, true)).toBe(want);
    if (!KERN_ONLY.includes(field)) expect(read(prog!, action, field, false)).toBe(want);
  });
});
