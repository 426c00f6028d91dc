/*
 * skb test runs on bpfsim and on Linux: every __sk_buff field as each skb program type reads it,
 * the ctx_in rules (every byte that may not be set, ifindex, wire_len, gso_segs), data sizes at the
 * limits, ctx and data out sizes, flags, what ctx out holds after the program writes fields, LD_ABS
 * on socket filters and tc, and the CHECKSUM_COMPLETE test flag. Outcomes (retval, data out, ctx
 * out, or the errno of a refused run) must be equal.
 */
import { afterAll, describe, expect, test } from 'vitest';
import * as U from '../../../src/uapi.js';
import { SkBuffMd, ctxLayout } from '../../../src/vm/index.js';
import { Tally, frame, kernelBackend, kernelSkip, simBackend } from './support/pair.js';

const kernel = kernelSkip ? undefined : kernelBackend();
const sim = simBackend();
if (kernelSkip) console.log(`skipping the skb test-run comparison with the kernel: ${kernelSkip}`);
afterAll(() => {
  kernel?.close();
  sim.close();
});

const TYPES = [
  ['socket_filter', U.BPF_PROG_TYPE_SOCKET_FILTER], ['sched_cls', U.BPF_PROG_TYPE_SCHED_CLS], ['sched_act', U.BPF_PROG_TYPE_SCHED_ACT],
  ['cgroup_skb', U.BPF_PROG_TYPE_CGROUP_SKB], ['lwt_in', U.BPF_PROG_TYPE_LWT_IN], ['lwt_out', U.BPF_PROG_TYPE_LWT_OUT],
  ['lwt_xmit', U.BPF_PROG_TYPE_LWT_XMIT],
] as const;

/** Every __sk_buff field a program type may read, with the load size. */
const FIELDS = Object.entries(SkBuffMd).filter(([n]) => !['cb', 'flow_keys', 'data', 'data_end', 'data_meta', 'sk', 'tstamp_type'].includes(n));

const ctx = () => new Uint8Array(192);

function run(t: Tally, type: number, prog: string, opts: Parameters<Tally['check']>[2]['run']): void {
  t.check(kernel!, sim, { type, prog, run: opts });
}

function report(t: Tally): void {
  expect(t.mismatches, `${t.compared} cases compared`).toEqual([]);
}

describe.skipIf(!kernel)('skb test runs match the kernel', () => {
  test.each(TYPES)('%s: every readable field, IPv4, IPv6 and ARP frames', (_name, type) => {
    const t = new Tally();
    for (const [, off] of FIELDS) {
      const size = off === SkBuffMd.tstamp || off === SkBuffMd.hwtstamp ? 'u64' : 'u32';
      const prog = `r2 = *(${size} *)(r1 +${off})\n*(u64 *)(r1 +48) = r2\nr0 = 1\nexit`;
      for (const [len, proto] of [[34, 0x0800], [100, 0x0800], [54, 0x86dd], [60, 0x0806]]) {
        try {
          run(t, type, prog, { data: frame(len!, proto), ctx: ctx() });
        } catch {
          // a field this program type may not read: the kernel refused the load
        }
      }
    }
    report(t);
  });

  test.each(TYPES)('%s: narrow loads of every field at every allowed size and offset', (_name, type) => {
    const t = new Tally();
    const c = ctx();
    const v = new DataView(c.buffer);
    v.setUint32(SkBuffMd.mark, 0x11223344, true);
    v.setUint32(SkBuffMd.priority, 0x55667788, true);
    for (let i = 0; i < 20; i++) c[SkBuffMd.cb + i] = 0x90 + i;
    v.setBigUint64(SkBuffMd.tstamp, 0x0102030405060708n, true);
    v.setUint32(SkBuffMd.wire_len, 0x1234, true);
    v.setUint32(SkBuffMd.gso_segs, 0xabcd, true);
    v.setUint32(SkBuffMd.gso_size, 0x99887766, true);
    // tc programs first give the VLAN and writable u16 fields values, so that every byte of them is seen
    const tc = type === U.BPF_PROG_TYPE_SCHED_CLS || type === U.BPF_PROG_TYPE_SCHED_ACT;
    const prologue = tc
      ? 'r6 = r1\nr2 = 0xa888\nr3 = 0xf123\ncall bpf_skb_vlan_push\nr1 = r6\nr2 = 0x1234\n*(u32 *)(r1 +12) = r2\nr2 = 0x5678\n*(u32 *)(r1 +44) = r2\nr2 = 0x9abc\n*(u32 *)(r1 +72) = r2\n'
      : '';
    for (const f of ctxLayout(type)!.fields) {
      if (f.ptr) continue;
      for (const size of f.read) {
        for (let off = f.off; off + size <= f.off + f.size; off += size) {
          const prog = `${prologue}r2 = *(u${size * 8} *)(r1 +${off})\n*(u64 *)(r1 +48) = r2\nr0 = 1\nexit`;
          for (const [len, proto] of [[300, 0x0800], [0x1a0, 0x86dd]]) run(t, type, prog, { data: frame(len!, proto), ctx: c });
        }
      }
    }
    report(t);
  });

  test.each(TYPES.filter(([n]) => ['socket_filter', 'sched_cls', 'lwt_out'].includes(n)))('%s: ctx_in, data and output rules', (_name, type) => {
    const t = new Tally();
    const prog = 'r0 = 0\nexit';
    for (let off = 0; off < 192; off++) {
      const c = ctx();
      c[off] = 1;
      run(t, type, prog, { data: frame(64), ctx: c });
    }
    const word = (off: number, v: number) => {
      const c = ctx();
      new DataView(c.buffer).setUint32(off, v, true);
      return c;
    };
    for (const ifi of [0, 1, 0x7fff]) run(t, type, prog, { data: frame(64), ctx: word(SkBuffMd.ifindex, ifi) });
    for (const wl of [1, 49, 50, 63, 64, 65, 65536, 65537]) run(t, type, prog, { data: frame(64), ctx: word(SkBuffMd.wire_len, wl) });
    for (const gs of [65535, 65536]) run(t, type, prog, { data: frame(64), ctx: word(SkBuffMd.gso_segs, gs) });
    for (const len of [0, 13, 14, 15, 33, 34, 3712, 3713]) run(t, type, prog, { data: frame(len) });
    for (const len of [14, 53, 54]) run(t, type, prog, { data: frame(len, 0x86dd) });
    for (const len of [14, 16]) run(t, type, prog, { data: frame(len, 0x0010) });
    for (const cl of [0, 1, 191, 192, 193]) run(t, type, prog, { data: frame(64), ctx: new Uint8Array(cl) });
    const tail = new Uint8Array(200);
    tail[199] = 1;
    run(t, type, prog, { data: frame(64), ctx: tail });
    for (const cso of [0, 1, 191, 192, 300]) run(t, type, prog, { data: frame(64), ctx: ctx(), ctxSizeOut: cso });
    for (const cso of [1, 192]) run(t, type, prog, { data: frame(64), ctxSizeOut: cso });
    for (const dso of [0, 1, 63, 64, 65]) run(t, type, prog, { data: frame(64), dataSizeOut: dso });
    for (const flags of [1, 2, 4, 8]) run(t, type, prog, { data: frame(64), flags });
    run(t, type, prog, { data: frame(64), cpu: 1 });
    run(t, type, prog, { data: frame(64), repeat: 5 });
    run(t, type, prog, { ctx: ctx() });
    const full = ctx();
    const v = new DataView(full.buffer);
    v.setUint32(SkBuffMd.mark, 5, true);
    v.setUint32(SkBuffMd.priority, 6, true);
    v.setUint32(SkBuffMd.ingress_ifindex, 7, true);
    full.fill(0x11, SkBuffMd.cb, SkBuffMd.cb + 20);
    v.setBigUint64(SkBuffMd.tstamp, 0x1234n, true);
    v.setUint32(SkBuffMd.wire_len, 100, true);
    v.setUint32(SkBuffMd.gso_segs, 3, true);
    v.setUint32(SkBuffMd.gso_size, 9, true);
    v.setBigUint64(SkBuffMd.hwtstamp, 0x777n, true);
    run(t, type, prog, { data: frame(64), ctx: full });
    run(t, type, 'r2 = 77\n*(u32 *)(r1 +48) = r2\n*(u64 *)(r1 +56) = r2\n*(u8 *)(r1 +67) = r2\nr0 = 0\nexit', { data: frame(64), ctx: full, repeat: 3 });
    report(t);
  });

  test('tc field stores come out in ctx out, in later runs and in reads after them (queue_mapping, tc_index, tc_classid truncated)', () => {
    const t = new Tally();
    for (const [off, val] of [[8, 0x12345678], [12, 5], [12, 0xfffe], [12, 0xffff], [12, 0x1fffe], [32, 9], [44, 0x12345], [72, 0xabcdef]]) {
      const store = `r2 = ${val}\n*(u32 *)(r1 +${off}) = r2`;
      run(t, U.BPF_PROG_TYPE_SCHED_CLS, `${store}\nr0 = 0\nexit`, { data: frame(64), ctx: ctx() });
      run(t, U.BPF_PROG_TYPE_SCHED_CLS, `r3 = *(u32 *)(r1 +${off})\n*(u32 *)(r1 +48) = r3\n${store}\nr0 = 0\nexit`, { data: frame(64), ctx: ctx(), repeat: 2 });
    }
    for (const [off, val] of [[44, 0x12345], [72, 0xabcdef], [12, 0x1234], [8, 0x87654321]]) {
      run(t, U.BPF_PROG_TYPE_SCHED_CLS, `r2 = ${val} ll\n*(u32 *)(r1 +${off}) = r2\nr3 = *(u32 *)(r1 +${off})\n*(u32 *)(r1 +48) = r3\nr3 = *(u16 *)(r1 +${off + 2})\n*(u32 *)(r1 +52) = r3\nr0 = 0\nexit`, { data: frame(64), ctx: ctx() });
    }
    run(t, U.BPF_PROG_TYPE_SCHED_CLS, 'r2 = 0x1234\n*(u64 *)(r1 +152) = r2\nr3 = *(u64 *)(r1 +152)\n*(u64 *)(r1 +48) = r3\nr0 = 0\nexit', { data: frame(64), ctx: ctx() });
    report(t);
  });

  test('the socket behind skb->sk and the packet type on loopback', () => {
    const t = new Tally();
    for (const [off, full] of [[4, false], [8, true], [12, true], [16, true], [20, true], [0, true], [24, false], [44, false], [48, false], [52, false], [72, false], [76, false], [28, false]] as const) {
      const prog = `r6 = r1
        r2 = *(u64 *)(r1 +168)
        if r2 == 0 goto nul
        ${full ? 'r1 = r2\ncall bpf_sk_fullsock\nif r0 == 0 goto nul\nr2 = r0' : ''}
        r3 = *(u32 *)(r2 +${off})
        *(u32 *)(r6 +48) = r3
        r0 = 1
        exit
      nul:
        r0 = 0
        exit`;
      for (const type of [U.BPF_PROG_TYPE_SCHED_CLS, U.BPF_PROG_TYPE_CGROUP_SKB]) {
        for (const [len, proto] of [[64, 0x0800], [80, 0x86dd], [64, 0x0806]]) run(t, type, prog, { data: frame(len!, proto), ctx: ctx() });
      }
    }
    for (const mac of [[0, 0, 0, 0, 0, 0], [0xff, 0xff, 0xff, 0xff, 0xff, 0xff], [1, 0, 0, 0, 0, 0], [2, 0, 0, 0, 0, 0], [0x33, 0x33, 0, 0, 0, 1]]) {
      const d = frame(64);
      d.set(mac, 0);
      run(t, U.BPF_PROG_TYPE_SCHED_CLS, 'r2 = *(u32 *)(r1 +4)\n*(u32 *)(r1 +48) = r2\nr0 = 0\nexit', { data: d, ctx: ctx() });
    }
    report(t);
  });

  test('LD_ABS and LD_IND read from skb->data (the network header for socket filters)', () => {
    const t = new Tally();
    for (const type of [U.BPF_PROG_TYPE_SOCKET_FILTER, U.BPF_PROG_TYPE_SCHED_CLS]) {
      for (const [size, k] of [['u8', 0], ['u16', 12], ['u32', 26], ['u32', 60], ['u32', 61], ['u16', 49], ['u8', 50]] as const) {
        run(t, type, `r6 = r1\nr0 = *(${size} *)skb[${k}]\nexit`, { data: frame(64) });
        run(t, type, `r6 = r1\nr7 = 2\nr0 = *(${size} *)skb[r7 + ${k}]\nexit`, { data: frame(64) });
      }
    }
    report(t);
  });

  test('CHECKSUM_COMPLETE: untouched packets pass, direct writes without a checksum update fail with EBADMSG', () => {
    const t = new Tally();
    const write = 'r2 = *(u32 *)(r1 +76)\nr3 = *(u32 *)(r1 +80)\nr4 = r2\nr4 += 40\nif r4 > r3 goto out\nr5 = 0x42\n*(u8 *)(r2 +30) = r5\nout:\nr0 = 0\nexit';
    for (const flags of [0, U.BPF_F_TEST_SKB_CHECKSUM_COMPLETE]) {
      run(t, U.BPF_PROG_TYPE_SCHED_CLS, 'r0 = 0\nexit', { data: frame(64), flags });
      run(t, U.BPF_PROG_TYPE_SCHED_CLS, write, { data: frame(64), flags });
      run(t, U.BPF_PROG_TYPE_LWT_XMIT, write, { data: frame(64), flags });
    }
    report(t);
  });
});
