/*
 * Test runs of raw tracepoints and flow dissectors on bpfsim and on Linux (their ctx, data, repeat
 * and CPU rules, the flow keys out), and the program types Linux has no test run for (ENOTSUPP).
 */
import { afterAll, describe, expect, test } from 'vitest';
import * as U from '../../../src/uapi.js';
import type { TestRunOptions } from '../../../src/vm/index.js';
import { Tally, frame, kernelBackend, kernelSkip, simBackend } from './support/pair.js';

const kernel = kernelSkip ? undefined : kernelBackend();
const sim = simBackend();
if (kernelSkip) console.log(`skipping the raw tracepoint and flow dissector comparison with the kernel: ${kernelSkip}`);
afterAll(() => {
  kernel?.close();
  sim.close();
});

const args = (n: number) => Uint8Array.from({ length: n }, (_, i) => i + 1);

describe.skipIf(!kernel)('raw tracepoint, flow dissector and unsupported test runs match the kernel', () => {
  test('raw tracepoints: ctx sizes against what the program reads, and the refused options', () => {
    const t = new Tally();
    const R = U.BPF_PROG_TYPE_RAW_TRACEPOINT;
    const prog = 'r0 = *(u64 *)(r1 +8)\nr0 += 1\nexit';
    const extras: [number, TestRunOptions][] = [
      [16, {}], [8, {}], [96, {}], [97, {}], [104, {}], [0, {}], [16, { repeat: 1 }], [16, { ctxSizeOut: 16 }], [16, { data: frame(20) }],
      [16, { cpu: 1 }], [16, { cpu: 1, flags: 1 }], [16, { cpu: 7, flags: 1 }], [16, { flags: 2 }],
    ];
    for (const [size, extra] of extras) {
      t.check(kernel!, sim, { type: R, prog, run: { repeat: 0, ctxSizeOut: 0, ...(size ? { ctx: args(size) } : {}), ...extra } });
    }
    t.check(kernel!, sim, { type: R, prog: 'r0 = 7\nexit', run: { repeat: 0, ctxSizeOut: 0 } });
    expect(t.mismatches, `${t.compared} cases compared`).toEqual([]);
  });

  test('flow dissector: data sizes, ctx_in flags, repeats, flow keys out, skb_load_bytes', () => {
    const t = new Tally();
    const F = U.BPF_PROG_TYPE_FLOW_DISSECTOR;
    const eat = U.BPF_FLOW_DISSECTOR;
    const prog = 'r2 = *(u32 *)(r1 +76)\nr3 = *(u32 *)(r1 +80)\nr4 = *(u64 *)(r1 +144)\nr5 = 77\n*(u16 *)(r4 +2) = r5\nr5 = 5\n*(u16 *)(r4 +0) = r5\nr5 = 6\n*(u8 *)(r4 +9) = r5\nr0 = r3\nr0 -= r2\nexit';
    const runs: [number, number, TestRunOptions][] = [[64, -1, {}], [14, -1, {}], [13, -1, {}], [4096, -1, {}], [4097, -1, {}], [64, 1, {}], [64, 0, { flags: 1 }], [100, 4, { repeat: 3 }]];
    for (const [len, ctxFlags, extra] of runs) {
      const ctx = ctxFlags >= 0 ? new Uint8Array(56) : undefined;
      if (ctx) new DataView(ctx.buffer).setUint32(48, ctxFlags, true);
      t.check(kernel!, sim, { type: F, prog, eat, run: { data: frame(len), ...(ctx ? { ctx } : {}), ...extra } });
    }
    const nonzero = new Uint8Array(56);
    nonzero[0] = 1;
    t.check(kernel!, sim, { type: F, prog, eat, run: { data: frame(64), ctx: nonzero } });
    const load = 'r6 = r1\nr1 = 0\n*(u64 *)(r10 -8) = r1\nr1 = r6\nr2 = 0\nr3 = r10\nr3 += -8\nr4 = 8\ncall bpf_skb_load_bytes\nr7 = r0\nr0 = *(u64 *)(r10 -8)\nr0 += r7\nexit';
    t.check(kernel!, sim, { type: F, prog: load, eat, run: { data: frame(64) } });
    expect(t.mismatches, `${t.compared} cases compared`).toEqual([]);
  });

  test('types without a test run refuse with ENOTSUPP', () => {
    const t = new Tally();
    const types: [number, number][] = [
      [U.BPF_PROG_TYPE_KPROBE, 0], [U.BPF_PROG_TYPE_TRACEPOINT, 0], [U.BPF_PROG_TYPE_PERF_EVENT, 0],
      [U.BPF_PROG_TYPE_SK_SKB, U.BPF_SK_SKB_STREAM_VERDICT], [U.BPF_PROG_TYPE_SK_MSG, U.BPF_SK_MSG_VERDICT],
      [U.BPF_PROG_TYPE_SOCK_OPS, 0], [U.BPF_PROG_TYPE_CGROUP_SOCK, 0], [U.BPF_PROG_TYPE_LWT_SEG6LOCAL, 0],
      [U.BPF_PROG_TYPE_CGROUP_SOCK_ADDR, U.BPF_CGROUP_INET4_CONNECT],
    ];
    for (const [type, eat] of types) t.check(kernel!, sim, { type, prog: 'r0 = 1\nexit', eat, run: { data: frame(64) } });
    expect(t.mismatches, `${t.compared} cases compared`).toEqual([]);
  });
});
