/*
 * The context access tables against the kernel's verifier: for every program type (and attach
 * type where the kernel distinguishes them), every byte offset of the context and a word past it,
 * every size, load and store, the table says allowed exactly when Linux accepts a program making
 * that access. Without bpf(), the properties the tables must have and a few measured facts.
 */
import { afterAll, describe, expect, test } from 'vitest';
import { insn } from '../../../src/isa/index.js';
import * as U from '../../../src/uapi.js';
import { ctxAccess, ctxLayout, ctxSpans, maxCtxOffset } from '../../../src/vm/index.js';
import { assemble } from '../../../src/isa/index.js';
import { kernelBackend, kernelSkip } from './support/pair.js';

const SIZE_BITS: Record<number, number> = { 1: 0x10, 2: 0x08, 4: 0x00, 8: 0x18 };

/** Program type, expected attach type and the bytes to probe, by name. */
const CONFIGS: [string, number, number, number][] = [
  ['socket_filter', U.BPF_PROG_TYPE_SOCKET_FILTER, 0, 192],
  ['sched_cls', U.BPF_PROG_TYPE_SCHED_CLS, 0, 192],
  ['sched_act', U.BPF_PROG_TYPE_SCHED_ACT, 0, 192],
  ['cgroup_skb ingress', U.BPF_PROG_TYPE_CGROUP_SKB, U.BPF_CGROUP_INET_INGRESS, 192],
  ['cgroup_skb egress', U.BPF_PROG_TYPE_CGROUP_SKB, U.BPF_CGROUP_INET_EGRESS, 192],
  ['lwt_in', U.BPF_PROG_TYPE_LWT_IN, 0, 192],
  ['lwt_out', U.BPF_PROG_TYPE_LWT_OUT, 0, 192],
  ['lwt_xmit', U.BPF_PROG_TYPE_LWT_XMIT, 0, 192],
  ['lwt_seg6local', U.BPF_PROG_TYPE_LWT_SEG6LOCAL, 0, 192],
  ['sk_skb parser', U.BPF_PROG_TYPE_SK_SKB, U.BPF_SK_SKB_STREAM_PARSER, 192],
  ['sk_skb verdict', U.BPF_PROG_TYPE_SK_SKB, U.BPF_SK_SKB_STREAM_VERDICT, 192],
  ['sk_skb skb verdict', U.BPF_PROG_TYPE_SK_SKB, U.BPF_SK_SKB_VERDICT, 192],
  ['flow_dissector', U.BPF_PROG_TYPE_FLOW_DISSECTOR, U.BPF_FLOW_DISSECTOR, 192],
  ['xdp', U.BPF_PROG_TYPE_XDP, 0, 24],
  ['xdp devmap', U.BPF_PROG_TYPE_XDP, U.BPF_XDP_DEVMAP, 24],
  ['xdp cpumap', U.BPF_PROG_TYPE_XDP, U.BPF_XDP_CPUMAP, 24],
  ['cgroup_sock create', U.BPF_PROG_TYPE_CGROUP_SOCK, U.BPF_CGROUP_INET_SOCK_CREATE, 80],
  ['cgroup_sock release', U.BPF_PROG_TYPE_CGROUP_SOCK, U.BPF_CGROUP_INET_SOCK_RELEASE, 80],
  ['cgroup_sock post_bind4', U.BPF_PROG_TYPE_CGROUP_SOCK, U.BPF_CGROUP_INET4_POST_BIND, 80],
  ['cgroup_sock post_bind6', U.BPF_PROG_TYPE_CGROUP_SOCK, U.BPF_CGROUP_INET6_POST_BIND, 80],
  ...([
    'INET4_BIND', 'INET6_BIND', 'INET4_CONNECT', 'INET6_CONNECT', 'UDP4_SENDMSG', 'UDP6_SENDMSG', 'UDP4_RECVMSG',
    'UDP6_RECVMSG', 'INET4_GETPEERNAME', 'INET6_GETPEERNAME', 'INET4_GETSOCKNAME', 'INET6_GETSOCKNAME', 'UNIX_CONNECT',
    'UNIX_SENDMSG', 'UNIX_RECVMSG', 'UNIX_GETPEERNAME', 'UNIX_GETSOCKNAME',
  ] as const).map((n): [string, number, number, number] => [`cgroup_sock_addr ${n.toLowerCase()}`, U.BPF_PROG_TYPE_CGROUP_SOCK_ADDR, U[`BPF_CGROUP_${n}`], 72]),
  ['sock_ops', U.BPF_PROG_TYPE_SOCK_OPS, 0, 224],
  ['sk_msg', U.BPF_PROG_TYPE_SK_MSG, U.BPF_SK_MSG_VERDICT, 80],
  ['kprobe', U.BPF_PROG_TYPE_KPROBE, 0, 168],
  ['raw_tracepoint', U.BPF_PROG_TYPE_RAW_TRACEPOINT, 0, 96],
  ['perf_event', U.BPF_PROG_TYPE_PERF_EVENT, 0, 184],
  ['tracepoint', U.BPF_PROG_TYPE_TRACEPOINT, 0, 8192],
];

/** The offsets to probe: every byte of the structure and a word past it (the ends of a tracepoint record). */
function offsets(size: number): number[] {
  const all = Array.from({ length: size + 8 }, (_, i) => i);
  return size > 1024 ? all.filter((o) => o < 64 || o >= size - 64) : all;
}

/** A program that makes one context access (BPF_LDX or BPF_STX) and returns 1 (valid for every type). */
function probe(off: number, size: number, write: boolean) {
  return write
    ? [insn(0xb7, 2, 0, 0, 0), insn(0x63 | SIZE_BITS[size]!, 1, 2, off, 0), insn(0xb7, 0, 0, 0, 1), insn(0x95)]
    : [insn(0x61 | SIZE_BITS[size]!, 0, 1, off, 0), insn(0xb7, 0, 0, 0, 1), insn(0x95)];
}

const kernel = kernelSkip ? undefined : kernelBackend();
if (kernelSkip) console.log(`skipping the context access comparison with the kernel: ${kernelSkip}`);
afterAll(() => kernel?.close());

describe.skipIf(!kernel)('context access tables agree with the kernel verifier', () => {
  test.each(CONFIGS)('%s', (_name, type, eat, size) => {
    const layout = ctxLayout(type, eat)!;
    const wrong: string[] = [];
    let probes = 0;
    for (const off of offsets(size)) {
      for (const s of [1, 2, 4, 8]) {
        for (const w of [false, true]) {
          probes++;
          let accepted = true;
          try {
            kernel!.loadProgram({ type, insns: probe(off, s, w), name: 'ctx', expectedAttachType: eat }).program.close();
          } catch {
            accepted = false;
          }
          if (accepted !== (ctxAccess(layout, off, s, w) !== undefined)) wrong.push(`${w ? 'store' : 'load'} of ${s} at ${off}: kernel ${accepted ? 'accepts' : 'refuses'}`);
        }
      }
    }
    expect(wrong, `${probes} accesses probed`).toEqual([]);
  });
});

describe('context access tables', () => {
  test('every modelled type has a layout whose windows lie inside the structure', () => {
    for (const [name, type, eat] of CONFIGS) {
      const layout = ctxLayout(type, eat);
      expect(layout, name).toBeDefined();
      for (const f of layout!.fields) {
        expect(f.off + f.size, `${name} ${f.name}`).toBeLessThanOrEqual(layout!.size);
        for (const s of [...f.read, ...f.write]) expect(f.size % s === 0 || s > f.size, `${name} ${f.name} size ${s}`).toBe(f.size % s === 0);
      }
    }
  });

  test.each([
    ['socket filters may only write cb', U.BPF_PROG_TYPE_SOCKET_FILTER, 0, 8, 4, true, false],
    ['socket filters write cb bytes', U.BPF_PROG_TYPE_SOCKET_FILTER, 0, 49, 1, true, true],
    ['tc writes tc_classid', U.BPF_PROG_TYPE_SCHED_CLS, 0, 72, 4, true, true],
    ['tc reads data only whole', U.BPF_PROG_TYPE_SCHED_CLS, 0, 76, 2, false, false],
    ['narrow loads of len at any aligned offset', U.BPF_PROG_TYPE_SCHED_CLS, 0, 2, 2, false, true],
    ['no load crosses two fields', U.BPF_PROG_TYPE_SCHED_CLS, 0, 0, 8, false, false],
    ['tracepoint records hide their first 8 bytes', U.BPF_PROG_TYPE_TRACEPOINT, 0, 0, 8, false, false],
    ['tracepoint records are readable up to 8192', U.BPF_PROG_TYPE_TRACEPOINT, 0, 8184, 8, false, true],
    ['bpf_sock family narrows only at its start', U.BPF_PROG_TYPE_CGROUP_SOCK, U.BPF_CGROUP_INET_SOCK_CREATE, 5, 1, false, false],
    ['connect4 rewrites user_ip4', U.BPF_PROG_TYPE_CGROUP_SOCK_ADDR, U.BPF_CGROUP_INET4_CONNECT, 4, 4, true, true],
    ['connect4 has no user_ip6', U.BPF_PROG_TYPE_CGROUP_SOCK_ADDR, U.BPF_CGROUP_INET4_CONNECT, 8, 4, false, false],
    ['sendmsg6 writes msg_src_ip6 wide', U.BPF_PROG_TYPE_CGROUP_SOCK_ADDR, U.BPF_CGROUP_UDP6_SENDMSG, 48, 8, true, true],
    ['perf_event regs only as longs', U.BPF_PROG_TYPE_PERF_EVENT, 0, 4, 4, false, false],
  ] as const)('%s', (_name, type, eat, off, size, write, ok) => {
    expect(ctxAccess(ctxLayout(type, eat)!, off, size, write) !== undefined).toBe(ok);
  });

  test('regions for checked mode merge overlapping windows and keep read-only ones read-only', () => {
    const spans = ctxSpans(ctxLayout(U.BPF_PROG_TYPE_CGROUP_SOCK, U.BPF_CGROUP_INET4_POST_BIND)!);
    expect(spans.find((s) => s.start === 48)).toEqual({ start: 48, end: 52, writable: false });
    expect(spans.every((s, i) => i === 0 || s.start >= spans[i - 1]!.end)).toBe(true);
  });

  test('the context a raw tracepoint program reads, through copies and spills of r1', () => {
    const { insns } = assemble(`
        r6 = r1
        *(u64 *)(r10 -8) = r6
        r2 = *(u64 *)(r10 -8)
        r0 = *(u64 *)(r2 +40)
        r1 = 0
        r0 = *(u32 *)(r6 +16)
        exit`);
    expect(maxCtxOffset(insns)).toBe(48);
  });
});
