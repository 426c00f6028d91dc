/**
 * PTR_TO_BTF_ID: fields of the kernel's map object read through a map pointer, the kernel struct
 * behind bpf_cast_to_kern_ctx (XDP's xdp_buff, tc's sk_buff), and tracing programs' typed
 * context (fentry, fexit, fmod_ret, BTF raw tracepoints) with loads through the pointers it
 * gives. bpfsim's verdicts with its own kernel BTF are fixed here; with the running kernel's BTF
 * they must equal the kernel's: verdict, errno, first line of the reason and processed count.
 */
import { describe, expect, test } from 'vitest';
import { simKernelBtf, vmlinuxBtf } from '../../src/elf/index.js';
import { KernelMap, kernelAvailable } from '../../src/kernel/index.js';
import {
  BPF_MODIFY_RETURN, BPF_PROG_TYPE_SCHED_CLS, BPF_PROG_TYPE_TRACING, BPF_PROG_TYPE_XDP, BPF_TRACE_FENTRY, BPF_TRACE_FEXIT,
  BPF_TRACE_RAW_TP,
} from '../../src/uapi.js';
import { type BtfProgram, type BtfVerdict, kernelBtfVerdict, simBtfVerdict, tracingLoadsRefused } from './support/btfPrograms.js';
import { GEN_MAPS } from './support/genVerifier.js';

const X = BPF_PROG_TYPE_XDP;
const TC = BPF_PROG_TYPE_SCHED_CLS;
const T = BPF_PROG_TYPE_TRACING;
const ok = (processed: number): BtfVerdict => ({ ok: true, errno: 0, message: '', processed });
const no = (errno: number, message: string, processed: number): BtfVerdict => ({ ok: false, errno, message, processed });

/** Programs whose verdict is the same with bpfsim's kernel BTF and the kernel's (the fields exist at the same offsets in both). */
const SHARED: readonly (readonly [string, BtfProgram, BtfVerdict])[] = [
  ['array max_entries', { type: X, source: 'r1 = map[idx:0];r0 = *(u32 *)(r1 +76);exit' }, ok(3)],
  ['hash map_type', { type: X, source: 'r1 = map[idx:1];r0 = *(u32 *)(r1 +64);exit' }, ok(3)],
  ['ring buffer name byte', { type: X, source: 'r1 = map[idx:2];r0 = *(u8 *)(r1 +136);exit' }, ok(3)],
  ['prog array elem_size', { type: X, source: 'r1 = map[idx:3];r0 = *(u32 *)(r1 +296);exit' }, ok(3)],
  ['half of max_entries', { type: X, source: 'r1 = map[idx:0];r0 = *(u16 *)(r1 +78);exit' }, ok(3)],
  ['after += 0', { type: X, source: 'r1 = map[idx:0];r1 += 0;r0 = *(u32 *)(r1 +76);exit' }, ok(4)],
  ['a pointer field', { type: X, source: 'r1 = map[idx:0];r2 = *(u64 *)(r1 +48);r0 = 0;exit' }, ok(4)],
  ['across two members', { type: X, source: 'r1 = map[idx:0];r0 = *(u64 *)(r1 +72);exit' },
    no(13, 'access beyond the end of member value_size (mend:76) in struct bpf_map with off 72 size 8', 2)],
  ['negative offset', { type: X, source: 'r1 = map[idx:0];r0 = *(u32 *)(r1 -4);exit' }, no(13, 'R1 is bpf_array invalid negative access: off=-4', 2)],
  ['store', { type: X, source: 'r1 = map[idx:0];*(u32 *)(r1 +76) = 1;r0 = 0;exit' }, no(13, 'only read from bpf_array is supported', 2)],
  ['half a pointer', { type: X, source: 'r1 = map[idx:0];r0 = *(u32 *)(r1 +44);exit' },
    no(13, 'cannot access ptr member ops with moff 40 in struct bpf_map with off 44 size 4', 2)],
  ['beyond the struct', { type: X, source: 'r1 = map[idx:0];r0 = *(u32 *)(r1 +4000);exit' }, no(13, 'access beyond struct bpf_array at off 4000 size 4', 2)],
  ['moved map pointer', { type: X, source: 'r1 = map[idx:0];r1 += 4;r0 = *(u32 *)(r1 +76);exit' }, no(13, 'R1 pointer arithmetic on map_ptr prohibited', 2)],
  ['xdp_buff data', { type: X, source: 'CAST;r1 = *(u64 *)(r0 +0);r0 = 2;exit' }, ok(4)],
  ['xdp_buff rxq->queue_index', { type: X, source: 'CAST;r1 = *(u64 *)(r0 +32);r2 = *(u32 *)(r1 +8);r0 = 2;exit' }, ok(5)],
  ['xdp_buff half a pointer', { type: X, source: 'CAST;r1 = *(u32 *)(r0 +4);r0 = 2;exit' },
    no(13, 'cannot access ptr member data with moff 0 in struct xdp_buff with off 4 size 4', 2)],
  ['xdp_buff store', { type: X, source: 'CAST;*(u64 *)(r0 +0) = 1;r0 = 2;exit' }, no(13, 'only read is supported', 2)],
  ['beyond xdp_buff', { type: X, source: 'CAST;r1 = *(u32 *)(r0 +4000);r0 = 2;exit' }, no(13, 'access beyond struct xdp_buff at off 4000 size 4', 2)],
  ['moved xdp_buff pointer', { type: X, source: 'CAST;r0 += 8;r1 = *(u64 *)(r0 +0);r0 = 2;exit' }, ok(5)],
  ['xdp_buff below its start', { type: X, source: 'CAST;r1 = r0;r1 += -8;r0 = *(u64 *)(r1 +0);r0 = 2;exit' },
    no(13, 'R1 is ptr_xdp_buff invalid negative access: off=-8', 4)],
  ['xdp_buff at a variable offset', { type: X, source: 'CAST;r6 = r0;call bpf_get_prandom_u32;r0 &= 8;r6 += r0;r0 = *(u64 *)(r6 +0);r0 = 2;exit' },
    no(13, 'R6 is ptr_xdp_buff invalid variable offset: off=0, var_off=(0x0; 0x8)', 6)],
  ['a trusted pointer is not NULL', { type: X, source: 'CAST;r1 = r0;r0 = 2;if r1 == 0 goto l;r0 = 1;l:;exit' }, ok(6)],
  ['sched_switch prev->pid', { type: T, attachType: BPF_TRACE_RAW_TP, target: 'sched_switch', source: 'r2 = *(u64 *)(r1 +8);r0 = *(u32 *)(r2 +0);r0 = 0;exit' }, ok(4)],
  ['sched_switch preempt, narrow', { type: T, attachType: BPF_TRACE_RAW_TP, target: 'sched_switch', source: 'r2 = *(u8 *)(r1 +0);r0 = 0;exit' }, ok(3)],
  ['sched_switch has no 5th argument', { type: T, attachType: BPF_TRACE_RAW_TP, target: 'sched_switch', source: 'r2 = *(u64 *)(r1 +32);r0 = 0;exit' },
    no(13, "func 'sched_switch' doesn't have 5-th argument", 1)],
  ['sched_switch two slots past the end', { type: T, attachType: BPF_TRACE_RAW_TP, target: 'sched_switch', source: 'r2 = *(u64 *)(r1 +40);r0 = 0;exit' },
    no(13, "func 'sched_switch' doesn't have 7-th argument", 1)],
  ['sched_switch misaligned', { type: T, attachType: BPF_TRACE_RAW_TP, target: 'sched_switch', source: 'r2 = *(u32 *)(r1 +12);r0 = 0;exit' },
    no(13, "func 'sched_switch' offset 12 is not multiple of 8", 1)],
  ['sched_switch half a pointer', { type: T, attachType: BPF_TRACE_RAW_TP, target: 'sched_switch', source: 'r2 = *(u32 *)(r1 +8);r0 = 0;exit' },
    no(13, "func 'sched_switch' size 4 must be 8", 1)],
  ['sched_switch context store', { type: T, attachType: BPF_TRACE_RAW_TP, target: 'sched_switch', source: '*(u64 *)(r1 +8) = 0;r0 = 0;exit' },
    no(13, 'invalid bpf_context access off=8 size=8', 1)],
  ['sched_switch past the twelve slots', { type: T, attachType: BPF_TRACE_RAW_TP, target: 'sched_switch', source: 'r2 = *(u64 *)(r1 +96);r0 = 0;exit' },
    no(13, 'invalid bpf_context access off=96 size=8', 1)],
  ['store through a task', { type: T, attachType: BPF_TRACE_RAW_TP, target: 'sched_switch', source: 'r2 = *(u64 *)(r1 +8);*(u32 *)(r2 +0) = 1;r0 = 0;exit' },
    no(13, 'only read is supported', 2)],
  ['a trusted argument is not NULL', { type: T, attachType: BPF_TRACE_RAW_TP, target: 'sched_switch', source: 'r2 = *(u64 *)(r1 +8);if r2 == 0 goto l;r0 = 1;l:;r0 = 0;exit' }, ok(5)],
];

/** Programs that need the kernel's own structs (vmlinux offsets and members). */
const VMLINUX_ONLY: readonly (readonly [string, BtfProgram])[] = [
  ['tp_btf on a function', { type: T, attachType: BPF_TRACE_RAW_TP, targetType: 'tcp_v4_connect', source: 'r0 = 0;exit' }],
  ['tp_btf on another typedef', { type: T, attachType: BPF_TRACE_RAW_TP, targetType: '__u32', source: 'r0 = 0;exit' }],
  ['through inner_map_meta', { type: X, source: 'r1 = map[idx:0];r2 = *(u64 *)(r1 +48);r0 = *(u32 *)(r2 +0);exit' }],
  ['sk_buff len', { type: TC, source: 'CAST;r1 = *(u32 *)(r0 +112);r0 = 0;exit' }],
  ['sk_buff dev (in a union: untrusted)', { type: TC, source: 'CAST;r1 = *(u64 *)(r0 +16);r2 = *(u32 *)(r1 +0);r0 = 0;exit' }],
  ['sk_buff sk is RCU and may be NULL', { type: TC, source: 'CAST;r1 = *(u64 *)(r0 +24);r2 = *(u32 *)(r1 +0);r0 = 0;exit' }],
  ['kfree_skb skb->sk unchecked', { type: T, attachType: BPF_TRACE_RAW_TP, target: 'kfree_skb', source: 'r2 = *(u64 *)(r1 +0);r3 = *(u64 *)(r2 +24);r4 = *(u32 *)(r3 +0);r0 = 0;exit' }],
  ['kfree_skb skb->dev->ifindex', { type: T, attachType: BPF_TRACE_RAW_TP, target: 'kfree_skb', source: 'r2 = *(u64 *)(r1 +0);r3 = *(u64 *)(r2 +16);r4 = *(u32 *)(r3 +0);r0 = 0;exit' }],
  ['task_struct beyond a member', { type: T, attachType: BPF_TRACE_RAW_TP, target: 'sched_switch', source: 'r2 = *(u64 *)(r1 +8);r3 = *(u64 *)(r2 +1000);r0 = 0;exit' }],
  ['sched_process_exec bprm->file', { type: T, attachType: BPF_TRACE_RAW_TP, target: 'sched_process_exec', source: 'r2 = *(u64 *)(r1 +16);r3 = *(u64 *)(r2 +0);r0 = 0;exit' }],
];

/** Function tracing on the kernel's own functions, with what Linux 6.18 answers (from its btf_ctx_access). */
const FUNCTIONS: readonly (readonly [string, BtfProgram, BtfVerdict])[] = [
  ['fentry tcp_v4_connect sk->skc_family', { type: T, attachType: BPF_TRACE_FENTRY, target: 'tcp_v4_connect', source: 'r2 = *(u64 *)(r1 +0);r0 = *(u16 *)(r2 +16);r0 = 0;exit' }, ok(4)],
  ['fentry tcp_v4_connect addr_len', { type: T, attachType: BPF_TRACE_FENTRY, target: 'tcp_v4_connect', source: 'r2 = *(u32 *)(r1 +16);r0 = 0;exit' }, ok(3)],
  ['fentry tcp_v4_connect has no return slot', { type: T, attachType: BPF_TRACE_FENTRY, target: 'tcp_v4_connect', source: 'r2 = *(u64 *)(r1 +24);r0 = 0;exit' },
    no(13, "func 'tcp_v4_connect' doesn't have 4-th argument", 1)],
  ['fexit tcp_v4_connect return value', { type: T, attachType: BPF_TRACE_FEXIT, target: 'tcp_v4_connect', source: 'r2 = *(u64 *)(r1 +24);r0 = 0;exit' }, ok(3)],
  ['fexit tcp_v4_connect past the return value', { type: T, attachType: BPF_TRACE_FEXIT, target: 'tcp_v4_connect', source: 'r2 = *(u64 *)(r1 +32);r0 = 0;exit' },
    no(13, "func 'tcp_v4_connect' doesn't have 5-th argument", 1)],
  ['fentry tcp_v4_connect half a pointer', { type: T, attachType: BPF_TRACE_FENTRY, target: 'tcp_v4_connect', source: 'r2 = *(u32 *)(r1 +8);r0 = 0;exit' },
    no(13, "func 'tcp_v4_connect' size 4 must be 8", 1)],
  ['fentry sk->sk_net is a plain pointer', { type: T, attachType: BPF_TRACE_FENTRY, target: 'tcp_v4_connect', source: 'r2 = *(u64 *)(r1 +0);r3 = *(u64 *)(r2 +48);r0 = 0;exit' }, ok(4)],
  ['fmod_ret bpf_modify_return_test return value', { type: T, attachType: BPF_MODIFY_RETURN, target: 'bpf_modify_return_test', source: 'r2 = *(u64 *)(r1 +16);r0 = 0;exit' }, ok(3)],
  ['fentry without a target', { type: T, attachType: BPF_TRACE_FENTRY, source: 'r0 = 0;exit' }, no(22, 'Tracing programs must provide btf_id', 0)],
];

describe("with bpfsim's kernel BTF", () => {
  test.each(SHARED)('%s', (_name, p, want) => {
    expect(simBtfVerdict(p, simKernelBtf())).toEqual(want);
  });

  test.each([
    ['fentry on a typedef', BPF_TRACE_FENTRY, 'btf_trace_sched_switch', 'is not a function'],
    ['tp_btf on a function', BPF_TRACE_RAW_TP, 'do_unlinkat', 'is not a typedef'],
    ['tp_btf on another typedef', BPF_TRACE_RAW_TP, '__u32', 'points to wrong type name __u32'],
  ])('%s', (_name, attachType, targetType, why) => {
    const btf = simKernelBtf();
    const p: BtfProgram = { type: T, attachType, targetType, source: 'r0 = 0;exit' };
    expect(simBtfVerdict(p, btf)).toEqual(no(22, `attach_btf_id ${btf.find(targetType)} ${why}`, 0));
  });
});

const available = kernelAvailable();
const vmlinux = available.ok ? vmlinuxBtf() : undefined;
if (!available.ok) console.log(`skipping PTR_TO_BTF_ID programs on the kernel: ${available.reason}`);
const refused = vmlinux ? tracingLoadsRefused(vmlinux) : undefined;
if (refused) console.log(`comparing fentry/fexit/fmod_ret with bpfsim's expectations only: ${refused}`);

describe.skipIf(!vmlinux)("with the kernel's BTF, against the kernel", () => {
  const maps = vmlinux ? GEN_MAPS.map((m) => KernelMap.create(m)) : [];
  const fds = maps.map((m) => m.fd.raw);
  test.each([...SHARED.map(([n, p]) => [n, p] as const), ...VMLINUX_ONLY])('%s', (_name, p) => {
    expect(simBtfVerdict(p, vmlinux!)).toEqual(kernelBtfVerdict(p, vmlinux!, fds));
  });

  test.each(FUNCTIONS)('%s', (_name, p, want) => {
    const sim = simBtfVerdict(p, vmlinux!);
    expect(sim).toEqual(want);
    if (!refused) expect(sim).toEqual(kernelBtfVerdict(p, vmlinux!, fds));
  });
});
