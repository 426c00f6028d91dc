/*
 * What bpfsim offers beyond the kernel's test run, checked on the simulator alone: the direct `run`
 * of program types Linux cannot test-run (kprobe, tracepoint, perf_event, the socket-level types)
 * on a context the caller supplies, checked-mode faults on context fields a type may not touch,
 * where redirect verdicts send the packet, the narrow-load rewrite, and tracing test runs (whose
 * programs this machine's kernel refuses to load, so they cannot be compared); on every engine.
 */
import { afterAll, describe, expect, test } from 'vitest';
import { assemble } from '../../../src/isa/index.js';
import { jit } from '../../../src/jit/index.js';
import * as U from '../../../src/uapi.js';
import { BpfSockAddr, BpfSockOps, Machine, PtRegs, SimBackend, SkMsgMd, ctxAccesses, ctxLayout, maxCtxOffset, rewriteCtxAccesses } from '../../../src/vm/index.js';
import type { SimProgram, TestRunOptions, TestRunResult } from '../../../src/vm/index.js';
import { frame } from './support/pair.js';

describe.each(['interp', 'jit'])('on %s', (engine) => {
  const sim = new SimBackend({ machine: new Machine({ engines: [jit] }), checked: true, verify: false, engine });
  afterAll(() => sim.close());

  function load(type: number, src: string, eat = 0): SimProgram {
    return sim.loadProgram({ type, insns: assemble(src).insns, name: 't', expectedAttachType: eat }).program as SimProgram;
  }

  function run(type: number, src: string, opts: TestRunOptions, eat = 0): TestRunResult {
    const p = load(type, src, eat);
    try {
      return p.run(opts);
    } finally {
      p.close();
    }
  }

  function testRun(type: number, src: string, opts: TestRunOptions, eat = 0): TestRunResult {
    const p = load(type, src, eat);
    try {
      return p.testRun(opts);
    } finally {
      p.close();
    }
  }

  const u32 = (b: Uint8Array, off: number) => new DataView(b.buffer, b.byteOffset).getUint32(off, true);

  describe('direct runs of types without a kernel test run', () => {
    test('kprobe reads pt_regs, tracepoint its record past the common fields, perf_event its sample period', () => {
      const regs = new Uint8Array(168);
      new DataView(regs.buffer).setBigUint64(PtRegs.di, 0x1234n, true);
      new DataView(regs.buffer).setBigUint64(PtRegs.si, 0x10n, true);
      expect(run(U.BPF_PROG_TYPE_KPROBE, 'r2 = *(u64 *)(r1 +112)\nr3 = *(u64 *)(r1 +104)\nr0 = r2\nr0 += r3\nexit', { ctx: regs }).retval).toBe(0x1244);
      const rec = new Uint8Array(64);
      rec[8] = 7;
      rec[0] = 99;
      expect(run(U.BPF_PROG_TYPE_TRACEPOINT, 'r0 = *(u8 *)(r1 +8)\nexit', { ctx: rec }).retval).toBe(7);
      expect(() => run(U.BPF_PROG_TYPE_TRACEPOINT, 'r0 = *(u8 *)(r1 +0)\nexit', { ctx: rec })).toThrow(/fault at insn 0/);
      const pe = new Uint8Array(184);
      new DataView(pe.buffer).setBigUint64(168, 4000n, true);
      expect(run(U.BPF_PROG_TYPE_PERF_EVENT, 'r0 = *(u64 *)(r1 +168)\nexit', { ctx: pe }).retval).toBe(4000);
      expect(() => run(U.BPF_PROG_TYPE_KPROBE, 'r2 = 1\n*(u64 *)(r1 +112) = r2\nr0 = 0\nexit', { ctx: regs })).toThrow(/fault at insn 1/);
    });

    test('Linux refuses a test run of these types; bpfsim does too', () => {
      for (const type of [U.BPF_PROG_TYPE_KPROBE, U.BPF_PROG_TYPE_TRACEPOINT, U.BPF_PROG_TYPE_PERF_EVENT, U.BPF_PROG_TYPE_SOCK_OPS, U.BPF_PROG_TYPE_SK_MSG]) {
        expect(() => testRun(type, 'r0 = 0\nexit', { ctx: new Uint8Array(8) }), `type ${type}`).toThrow(expect.objectContaining({ errnoName: 'ENOTSUPP' }));
      }
    });

    test('connect4 rewrites the destination; its socket pointer shows family, type and protocol', () => {
      const ctx = new Uint8Array(72);
      const v = new DataView(ctx.buffer);
      v.setUint32(BpfSockAddr.user_family, 2, true);
      v.setUint32(BpfSockAddr.user_ip4, 0x0100007f, true);
      v.setUint32(BpfSockAddr.user_port, 0x5000, true);
      v.setUint32(BpfSockAddr.family, 2, true);
      v.setUint32(BpfSockAddr.type, 1, true);
      v.setUint32(BpfSockAddr.protocol, 6, true);
      const prog = `r2 = 0x0201a8c0
        *(u32 *)(r1 +4) = r2
        r2 = 0x901f
        *(u32 *)(r1 +24) = r2
        r6 = *(u64 *)(r1 +64)
        r0 = *(u32 *)(r6 +4)
        r2 = *(u32 *)(r6 +8)
        r0 <<= 8
        r0 |= r2
        r2 = *(u32 *)(r6 +12)
        r0 <<= 8
        r0 |= r2
        exit`;
      const r = run(U.BPF_PROG_TYPE_CGROUP_SOCK_ADDR, prog, { ctx }, U.BPF_CGROUP_INET4_CONNECT);
      expect(r.retval).toBe((2 << 16) | (1 << 8) | 6);
      expect(u32(r.ctx, BpfSockAddr.user_ip4)).toBe(0x0201a8c0);
      expect(u32(r.ctx, BpfSockAddr.user_port)).toBe(0x901f);
      expect(u32(r.ctx, BpfSockAddr.sk)).toBe(0);
      expect(() => run(U.BPF_PROG_TYPE_CGROUP_SOCK_ADDR, 'r2 = 1\n*(u32 *)(r1 +4) = r2\nr0 = 1\nexit', { ctx }, U.BPF_CGROUP_INET6_CONNECT)).toThrow(/fault at insn 1/);
    });

    test('cgroup_sock sets mark and priority at socket creation; sock_ops replies; sk_msg reads its data', () => {
      const sock = new Uint8Array(80);
      sock[4] = 10;
      sock[8] = 2;
      sock[12] = 17;
      const r = run(U.BPF_PROG_TYPE_CGROUP_SOCK, 'r2 = 42\n*(u32 *)(r1 +16) = r2\nr0 = *(u32 *)(r1 +4)\nexit', { ctx: sock }, U.BPF_CGROUP_INET_SOCK_CREATE);
      expect([r.retval, u32(r.ctx, 16)]).toEqual([10, 42]);
      expect(() => run(U.BPF_PROG_TYPE_CGROUP_SOCK, 'r2 = 42\n*(u32 *)(r1 +16) = r2\nr0 = 1\nexit', { ctx: sock }, U.BPF_CGROUP_INET4_POST_BIND)).toThrow(/fault at insn 1/);

      const ops = new Uint8Array(224);
      new DataView(ops.buffer).setUint32(BpfSockOps.op, 4, true);
      const o = run(U.BPF_PROG_TYPE_SOCK_OPS, 'r2 = *(u32 *)(r1 +0)\nr2 += 100\n*(u32 *)(r1 +4) = r2\nr0 = 1\nexit', { ctx: ops });
      expect(u32(o.ctx, BpfSockOps.reply)).toBe(104);

      const data = Uint8Array.of(5, 6, 7, 8);
      const msg = new Uint8Array(80);
      const m = run(U.BPF_PROG_TYPE_SK_MSG, `r2 = *(u64 *)(r1 +0)
        r3 = *(u64 *)(r1 +8)
        r4 = r2
        r4 += 4
        r0 = 0
        if r4 > r3 goto out
        r0 = *(u32 *)(r1 +68)
        r5 = *(u8 *)(r2 +3)
        r0 <<= 8
        r0 |= r5
      out:
        exit`, { ctx: msg, data });
      expect(m.retval).toBe((4 << 8) | 8);
      expect(u32(m.ctx, SkMsgMd.data)).toBe(0);
    });

    test('tracing test runs report what the kernel functions return; run executes the program', () => {
      const prog = 'r0 = *(u64 *)(r1 +8)\nexit';
      const args = new Uint8Array(16);
      args[8] = 9;
      expect(testRun(U.BPF_PROG_TYPE_TRACING, prog, {}, U.BPF_TRACE_FENTRY).retval).toBe(0);
      expect(testRun(U.BPF_PROG_TYPE_TRACING, prog, {}, U.BPF_MODIFY_RETURN).retval).toBe((2 << 16) | 33);
      expect(run(U.BPF_PROG_TYPE_TRACING, prog, { ctx: args }, U.BPF_TRACE_FENTRY).retval).toBe(9);
      expect(testRun(U.BPF_PROG_TYPE_RAW_TRACEPOINT, prog, { ctx: args, repeat: 0, ctxSizeOut: 0 }).retval).toBe(9);
      expect(() => testRun(U.BPF_PROG_TYPE_RAW_TRACEPOINT, prog, { ctx: new Uint8Array(8), repeat: 0, ctxSizeOut: 0 })).toThrow(expect.objectContaining({ errnoName: 'EINVAL' }));
    });
  });

  describe('checked mode refuses context accesses the type does not allow', () => {
    test.each([
      ['sched_cls store to len', U.BPF_PROG_TYPE_SCHED_CLS, 'r2 = 1\n*(u32 *)(r1 +0) = r2'],
      ['socket_filter store to mark', U.BPF_PROG_TYPE_SOCKET_FILTER, 'r2 = 1\n*(u32 *)(r1 +8) = r2'],
      ['socket_filter read of tc_classid', U.BPF_PROG_TYPE_SOCKET_FILTER, 'r2 = 0\nr2 = *(u32 *)(r1 +72)'],
      ['lwt_in read of tstamp', U.BPF_PROG_TYPE_LWT_IN, 'r2 = 0\nr2 = *(u64 *)(r1 +152)'],
      ['sched_cls read past __sk_buff', U.BPF_PROG_TYPE_SCHED_CLS, 'r2 = 0\nr2 = *(u32 *)(r1 +192)'],
    ])('%s', (_name, type, access) => {
      expect(() => testRun(type, `${access}\nr0 = 0\nexit`, { data: frame(64) })).toThrow(/fault at insn 1/);
    });

    test('xdp: egress_ifindex only for devmap programs, which only bpfsim\'s run can run', () => {
      expect(() => testRun(U.BPF_PROG_TYPE_XDP, 'r0 = *(u32 *)(r1 +20)\nexit', { data: frame(64) })).toThrow(/fault at insn 0/);
      expect(() => testRun(U.BPF_PROG_TYPE_XDP, 'r0 = *(u32 *)(r1 +20)\nexit', { data: frame(64) }, U.BPF_XDP_DEVMAP)).toThrow(expect.objectContaining({ errnoName: 'EINVAL' }));
      const ctx = new Uint8Array(24);
      ctx[20] = 3;
      expect(run(U.BPF_PROG_TYPE_XDP, 'r0 = *(u32 *)(r1 +20)\nexit', { data: frame(64), ctx }, U.BPF_XDP_DEVMAP).retval).toBe(3);
      expect(testRun(U.BPF_PROG_TYPE_XDP, 'r0 = *(u32 *)(r1 +12)\nexit', { data: frame(64) }).retval).toBe(1);
    });
  });

  describe('runs Linux cannot finish', () => {
    test('CHECKSUM_COMPLETE with the network header cut off: Linux oopses in skb_checksum, bpfsim refuses with EFAULT', () => {
      const prog = 'r6 = r1\nr2 = 100\nr3 = 0\ncall bpf_skb_change_head\nr1 = r6\nr2 = 40\nr3 = 0\ncall bpf_skb_change_tail\nr0 = 0\nexit';
      expect(testRun(U.BPF_PROG_TYPE_SCHED_CLS, prog, { data: frame(80) }).data.length).toBe(40);
      expect(() => testRun(U.BPF_PROG_TYPE_SCHED_CLS, prog, { data: frame(80), flags: U.BPF_F_TEST_SKB_CHECKSUM_COMPLETE }))
        .toThrow(expect.objectContaining({ errnoName: 'EFAULT' }));
    });
  });

  describe('redirect outcomes', () => {
    const XDP_TX = 3;
    const XDP_REDIRECT = 4;
    const TC_ACT_REDIRECT = 7;

    test('XDP_TX goes back out of the receiving device', () => {
      const ctx = new Uint8Array(24);
      ctx[12] = 1;
      expect(testRun(U.BPF_PROG_TYPE_XDP, `r0 = ${XDP_TX}\nexit`, { data: frame(64), ctx }).redirect).toEqual({ kind: 'tx', ifindex: 1 });
    });

    test('bpf_redirect then XDP_REDIRECT or TC_ACT_REDIRECT names the device; another verdict drops the target', () => {
      const r = testRun(U.BPF_PROG_TYPE_XDP, `r1 = 1\nr2 = 0\ncall bpf_redirect\nexit`, { data: frame(64) });
      expect([r.retval, r.redirect]).toEqual([XDP_REDIRECT, { kind: 'ifindex', ifindex: 1, flags: 0 }]);
      const t = testRun(U.BPF_PROG_TYPE_SCHED_CLS, `r1 = 1\nr2 = 1\ncall bpf_redirect\nexit`, { data: frame(64) });
      expect([t.retval, t.redirect]).toEqual([TC_ACT_REDIRECT, { kind: 'ifindex', ifindex: 1, flags: 1 }]);
      const ok = testRun(U.BPF_PROG_TYPE_SCHED_CLS, `r1 = 1\nr2 = 0\ncall bpf_redirect\nr0 = 0\nexit`, { data: frame(64) });
      expect(ok.redirect).toBeUndefined();
      const peer = testRun(U.BPF_PROG_TYPE_SCHED_CLS, `r1 = 1\nr2 = 0\ncall bpf_redirect_peer\nexit`, { data: frame(64) });
      expect(peer.redirect).toEqual({ kind: 'peer', ifindex: 1 });
    });

    test('redirect_map on a DEVMAP names the map, the key and the device', () => {
      const m = sim.createMap({ type: U.BPF_MAP_TYPE_DEVMAP, keySize: 4, valueSize: 4, maxEntries: 4 });
      m.update(Uint8Array.of(2, 0, 0, 0), Uint8Array.of(1, 0, 0, 0));
      const p = sim.loadProgram({ type: U.BPF_PROG_TYPE_XDP, insns: assemble('r1 = map[idx:0]\nr2 = 2\nr3 = 0\ncall bpf_redirect_map\nexit').insns, name: 't', maps: [m] }).program;
      const r = p.testRun({ data: frame(64) });
      expect(r.retval).toBe(XDP_REDIRECT);
      expect(r.redirect).toMatchObject({ kind: 'map', mapType: U.BPF_MAP_TYPE_DEVMAP, key: 2, ifindex: 1 });
      p.close();
      m.close();
    });

    test('clone_redirect records each copy as it was when sent', () => {
      const prog = `r6 = r1
        r1 = r6
        r2 = 1
        r3 = 0
        call bpf_clone_redirect
        r1 = r6
        r2 = 0
        r3 = r10
        r3 += -8
        r4 = 1
        r5 = 0
        r7 = 0x77
        *(u8 *)(r10 -8) = r7
        call bpf_skb_store_bytes
        r1 = r6
        r2 = 1
        r3 = 1
        call bpf_clone_redirect
        r0 = 0
        exit`;
      const r = testRun(U.BPF_PROG_TYPE_SCHED_CLS, prog, { data: frame(64) });
      expect(r.clones?.map((c) => [c.ifindex, c.flags, c.data[0]])).toEqual([[1, 0, frame(64)[0]], [1, 1, 0x77]]);
    });
  });

  describe('the context access rewrite', () => {
    test('finds accesses through copies and spills of the context; moves whole-field narrow loads, narrows truncating stores', () => {
      const prog = assemble(`r6 = r1
        *(u64 *)(r10 -8) = r6
        r7 = *(u64 *)(r10 -8)
        r2 = *(u8 *)(r7 +5)
        r3 = *(u16 *)(r1 +18)
        r4 = *(u8 *)(r1 +17)
        r5 = *(u32 *)(r1 +0)
        *(u32 *)(r7 +44) = r5
        *(u32 *)(r6 +12) = r5
        *(u32 *)(r6 +8) = r5
        r0 = 0
        exit`).insns;
      const acc = ctxAccesses(prog);
      expect([[...acc.loads].sort(), [...acc.stores].sort()]).toEqual([[3, 4, 5, 6], [7, 8, 9]]);
      expect(maxCtxOffset(prog)).toBe(20);
      const layout = ctxLayout(U.BPF_PROG_TYPE_SCHED_CLS)!;
      const out = rewriteCtxAccesses(prog, layout);
      expect(out.map((i) => i.off).slice(3, 7)).toEqual([4, 16, 17, 0]);
      expect(out.slice(7, 10).map((i) => i.code)).toEqual([0x6b, 0x63, 0x63]);
      expect(rewriteCtxAccesses(out, layout)).toBe(out);
    });
  });
});
