/*
 * tc (and LWT xmit) packet helpers on bpfsim and on Linux, with edge arguments, on IPv4, IPv6 and
 * ARP frames, with and without BPF_F_TEST_SKB_CHECKSUM_COMPLETE (which makes Linux check that the
 * helpers kept skb->csum right): store/load bytes, pull_data, change_tail/head/type/proto,
 * adjust_room with every mode and flag family, VLAN push/pop, the checksum helpers, hashes,
 * redirects, tunnel keys, fib_lookup and socket lookups. After each helper the program copies its
 * return value and len, protocol, hash into cb, so ctx out shows them.
 */
import { afterAll, describe, expect, test } from 'vitest';
import * as U from '../../../src/uapi.js';
import { Tally, frame, kernelBackend, kernelSkip, simBackend } from '../../vm/progtypes/support/pair.js';
import type { Case } from '../../vm/progtypes/support/pair.js';

const kernel = kernelSkip ? undefined : kernelBackend();
const sim = simBackend();
if (kernelSkip) console.log(`skipping the tc helper comparison with the kernel: ${kernelSkip}`);
afterAll(() => {
  kernel?.close();
  sim.close();
});

const C = U.BPF_PROG_TYPE_SCHED_CLS;
const FRAMES = [frame(80, 0x0800), frame(100, 0x86dd), frame(60, 0x0806)];
const CSUM = U.BPF_F_TEST_SKB_CHECKSUM_COMPLETE;

/** After a helper (r0): its result, len, protocol, vlan fields and hash into cb. */
const OUT = `*(u32 *)(r6 +48) = r0
  r0 >>= 32
  *(u32 *)(r6 +52) = r0
  r2 = *(u32 *)(r6 +0)
  *(u32 *)(r6 +56) = r2
  r2 = *(u32 *)(r6 +16)
  r3 = *(u32 *)(r6 +20)
  r2 <<= 8
  r2 |= r3
  r3 = *(u32 *)(r6 +24)
  r2 <<= 16
  r2 |= r3
  *(u32 *)(r6 +60) = r2
  r2 = *(u32 *)(r6 +68)
  *(u32 *)(r6 +64) = r2
  r0 = 0
  exit`;

const call = (name: string, args: string) => `r6 = r1\n${args}\ncall bpf_${name}\n${OUT}`;

function each(t: Tally, prog: string, c: Partial<Case> = {}): void {
  for (const data of FRAMES) {
    for (const flags of [0, CSUM]) t.check(kernel!, sim, { type: C, prog, run: { data, ctx: new Uint8Array(192), flags }, ...c });
  }
}

function report(t: Tally): void {
  expect(t.mismatches, `${t.compared} cases compared`).toEqual([]);
}

describe.skipIf(!kernel)('tc packet helpers match the kernel', () => {
  test('skb_store_bytes, skb_load_bytes, skb_load_bytes_relative, skb_pull_data', () => {
    const t = new Tally();
    for (const [off, len, f] of [[0, 8, 0], [72, 8, 0], [73, 8, 0], [0, 8, 1], [15, 8, 1], [20, 4, 2], [0, 8, 4], [0x7fffffff, 1, 0], [0x80000000, 1, 0]]) {
      each(t, call('skb_store_bytes', `r1 = 0x11223344\n*(u64 *)(r10 -8) = r1\nr1 = r6\nr2 = ${off} ll\nr3 = r10\nr3 += -8\nr4 = ${len}\nr5 = ${f}`));
    }
    for (const [off, len, hdr] of [[0, 8, 0], [0, 8, 1], [60, 8, 1], [66, 8, 0], [72, 8, 0], [73, 8, 0], [0x10000, 1, 0], [0, 8, 2]]) {
      const load = (helper: string, extra: string) => `r6 = r1\nr1 = 0\n*(u64 *)(r10 -8) = r1\nr1 = r6\nr2 = ${off}\nr3 = r10\nr3 += -8\nr4 = ${len}\n${extra}call bpf_${helper}\nr7 = r0\nr0 = *(u64 *)(r10 -8)\n*(u64 *)(r6 +48) = r0\nr0 = r7\n*(u32 *)(r6 +60) = r0\nr0 = 0\nexit`;
      each(t, load('skb_load_bytes_relative', `r5 = ${hdr}\n`));
      each(t, load('skb_load_bytes', ''));
    }
    for (const len of [0, 1, 59, 60, 79, 80, 81, 100]) each(t, call('skb_pull_data', `r2 = ${len}`));
    // the 32-bit skb->csum after a recomputing store at odd offsets (Linux 6.18's csum_partial has no odd-address rotation)
    for (const [off, len] of [[15, 3], [17, 4], [21, 8], [33, 5], [16, 3]]) {
      each(t, `r6 = r1\nr1 = 0x0807060504030201 ll\n*(u64 *)(r10 -8) = r1\nr1 = r6\nr2 = ${off}\nr3 = r10\nr3 += -8\nr4 = ${len}\nr5 = 1\ncall bpf_skb_store_bytes\nr1 = r6\nr2 = 0\ncall bpf_csum_update\n${OUT}`);
    }
    report(t);
  });

  test('skb_change_tail, skb_change_head, skb_change_type, skb_change_proto', () => {
    const t = new Tally();
    for (const len of [0, 1, 13, 14, 33, 34, 40, 79, 80, 81, 3000, 16064, 16065]) each(t, call('skb_change_tail', `r2 = ${len}\nr3 = 0`));
    each(t, call('skb_change_tail', 'r2 = 40\nr3 = 1'));
    for (const len of [0, 1, 14, 100, 16000]) each(t, call('skb_change_head', `r2 = ${len}\nr3 = 0`));
    each(t, call('skb_change_head', 'r2 = 4\nr3 = 1'));
    // a change_head past the headroom reallocates, which (as on Linux) turns the unset transport header into a set one,
    // so change_tail may cut into the network header (not with CHECKSUM_COMPLETE: Linux 6.18 then crashes in skb_checksum)
    for (const head of [20, 50, 100]) {
      for (const len of [13, 34, 35, 63, 64, 113, 114]) {
        const prog = `r6 = r1\nr2 = ${head}\nr3 = 0\ncall bpf_skb_change_head\nr1 = r6\nr2 = ${len}\nr3 = 0\ncall bpf_skb_change_tail\n${OUT}`;
        for (const data of FRAMES) t.check(kernel!, sim, { type: C, prog, run: { data, ctx: new Uint8Array(192) } });
      }
    }
    for (const type of [0, 1, 2, 3, 4, 7]) each(t, call('skb_change_type', `r2 = ${type}`));
    for (const proto of ['0x0008', '0xdd86', '0x0608', '0x1234']) for (const f of [0, 1]) each(t, call('skb_change_proto', `r2 = ${proto}\nr3 = ${f}`));
    report(t);
  });

  test('skb_adjust_room: modes, encapsulation and decapsulation flags, limits', () => {
    const t = new Tally();
    for (const diff of [-100, -60, -41, -40, -27, -26, -20, -1, 0, 8, 20, 40, 4095, 4096, 16000]) {
      for (const mode of [0, 1, 2]) {
        for (const flags of ['0', '1', '2', '4', '6', '0x20', '0x80', '0x100', '0x180', '0x12', '0x1a', '0x0e00000000000042', '0x40', '0x200']) {
          if (mode === 2 && flags !== '0') continue;
          each(t, call('skb_adjust_room', `r2 = ${diff}\nr3 = ${mode}\nr4 = ${flags} ll`));
        }
      }
    }
    each(t, `r6 = r1\nr2 = 20\nr3 = 1\nr4 = 2\ncall bpf_skb_adjust_room\nr1 = r6\nr2 = 20\nr3 = 1\nr4 = 2\ncall bpf_skb_adjust_room\n${OUT}`);
    for (const gso of [5, 1000, 0xffff, 0x12345]) {
      const ctx = new Uint8Array(192);
      new DataView(ctx.buffer).setUint32(176, gso, true);
      new DataView(ctx.buffer).setUint32(164, 7, true);
      for (const [diff, mode, flags] of [[8, 0, 0], [-8, 0, 0], [8, 1, 1], [-8, 1, 0], [40, 1, 0x12], [3000, 1, 0]]) {
        const prog = `r6 = r1\nr2 = ${diff}\nr3 = ${mode}\nr4 = ${flags}\ncall bpf_skb_adjust_room\n*(u32 *)(r6 +48) = r0\nr2 = *(u32 *)(r6 +176)\n*(u32 *)(r6 +52) = r2\nr2 = *(u32 *)(r6 +164)\n*(u32 *)(r6 +56) = r2\nr2 = *(u32 *)(r6 +0)\n*(u32 *)(r6 +60) = r2\nr0 = 0\nexit`;
        for (const data of FRAMES) t.check(kernel!, sim, { type: C, prog, run: { data, ctx } });
      }
      for (const proto of ['0xdd86', '0x0008']) {
        const prog = `r6 = r1\nr2 = ${proto}\nr3 = 0\ncall bpf_skb_change_proto\n*(u32 *)(r6 +48) = r0\nr2 = *(u32 *)(r6 +176)\n*(u32 *)(r6 +52) = r2\nr2 = *(u32 *)(r6 +164)\n*(u32 *)(r6 +56) = r2\nr0 = 0\nexit`;
        for (const data of FRAMES) t.check(kernel!, sim, { type: C, prog, run: { data, ctx } });
      }
      for (const len of [40, 3000, 17000]) {
        const prog = `r6 = r1\nr2 = ${len}\nr3 = 0\ncall bpf_skb_change_tail\n*(u32 *)(r6 +48) = r0\nr2 = *(u32 *)(r6 +176)\n*(u32 *)(r6 +52) = r2\nr0 = 0\nexit`;
        t.check(kernel!, sim, { type: C, prog, run: { data: FRAMES[0], ctx } });
      }
    }
    report(t);
  });

  test('skb_vlan_push and skb_vlan_pop, held and in-packet tags', () => {
    const t = new Tally();
    for (const [proto, tci] of [['0x0081', 5], ['0xa888', 0x1234], ['0x1234', 7]] as const) {
      each(t, call('skb_vlan_push', `r2 = ${proto}\nr3 = ${tci}`));
      const push2 = `r6 = r1\nr2 = ${proto}\nr3 = ${tci}\ncall bpf_skb_vlan_push\nr1 = r6\nr2 = 0x0081\nr3 = 9\ncall bpf_skb_vlan_push`;
      each(t, `${push2}\n${OUT}`);
      each(t, `${push2}\nr1 = r6\ncall bpf_skb_vlan_pop\nr1 = r6\ncall bpf_skb_vlan_pop\n${OUT}`);
      each(t, `${push2}\nr1 = r6\nr2 = 0x0081\nr3 = 3\ncall bpf_skb_vlan_push\nr1 = r6\ncall bpf_skb_vlan_pop\n${OUT}`);
    }
    each(t, call('skb_vlan_pop', ''));
    const tagged = frame(80, 0x8100);
    tagged.set([0x00, 0x05, 0x08, 0x00], 14);
    for (const flags of [0, CSUM]) t.check(kernel!, sim, { type: C, prog: call('skb_vlan_pop', ''), run: { data: tagged, ctx: new Uint8Array(192), flags } });
    report(t);
  });

  test('l3/l4_csum_replace, csum_diff, csum_update, csum_level', () => {
    const t = new Tally();
    for (const off of [0, 1, 24, 78, 79, 80, 0xffff, 0x10000]) {
      for (const [from, to, f] of [[0, 0x1234, 0], [1, 0x1234, 0], [0x1111, 0x2222, 2], [0x11111111, 0x22222222, 4], [1, 2, 3], [1, 2, 0x10]]) {
        each(t, call('l3_csum_replace', `r1 = r6\nr2 = ${off}\nr3 = ${from}\nr4 = ${to}\nr5 = ${f}`));
      }
    }
    for (const off of [24, 40, 41, 78]) {
      for (const [from, to, f] of [[0, 0x1234, 0x10], [0x1111, 0x2222, 0x12], [0x11111111, 0x22222222, 0x14], [0x11, 0x22, 0x32], [0x11, 0x22, 0x72], [1, 2, 0x100], [1, 2, 0x94], [0, 5, 0x90], [0, 0xffff, 0x22]]) {
        each(t, call('l4_csum_replace', `r1 = r6\nr2 = ${off}\nr3 = ${from}\nr4 = ${to}\nr5 = ${f}`));
      }
    }
    for (const [fs, ts, seed] of [[0, 8, 0], [8, 0, 7], [8, 8, 0x12345678], [6, 0, 0], [3, 5, 9], [16, 16, 0]]) {
      each(t, `r6 = r1\nr1 = 0x1122334455667788 ll\n*(u64 *)(r10 -8) = r1\n*(u64 *)(r10 -24) = r1\nr1 = 0x99aabbccddeeff00 ll\n*(u64 *)(r10 -16) = r1\n*(u64 *)(r10 -32) = r1\nr1 = r10\nr1 += -32\nr2 = ${fs}\nr3 = r10\nr3 += -16\nr4 = ${ts}\nr5 = ${seed}\n${fs ? '' : 'r1 = 0\n'}${ts ? '' : 'r3 = 0\n'}call bpf_csum_diff\n${OUT}`);
    }
    for (const v of [0, 0x1234, 0xffffffff]) each(t, call('csum_update', `r2 = ${v} ll`));
    for (const level of [0, 1, 2, 3, 4]) each(t, call('csum_level', `r2 = ${level}`));
    for (const seq of [[1, 1, 1, 1, 0], [1, 2, 0], [1, 3, 0], [2, 0]]) {
      each(t, `r6 = r1\n${seq.map((l) => `r1 = r6\nr2 = ${l}\ncall bpf_csum_level`).join('\n')}\n${OUT}`);
    }
    report(t);
  });

  test('hashes, cgroup classid, redirects, clone_redirect', () => {
    const t = new Tally();
    each(t, call('set_hash', 'r2 = 0x12345678'));
    each(t, call('set_hash_invalid', ''));
    each(t, `r6 = r1\nr2 = 77\ncall bpf_set_hash\nr1 = r6\ncall bpf_get_hash_recalc\n${OUT}`);
    each(t, `r6 = r1\ncall bpf_get_hash_recalc\nr7 = r0\nr1 = r6\ncall bpf_get_hash_recalc\nr0 ^= r7\nif r0 != 0 goto bad\nif r7 == 0 goto bad\nr1 = *(u32 *)(r6 +68)\nif r1 != r7 goto bad\nr0 = 1\nexit\nbad:\nr0 = 0\nexit`);
    each(t, call('get_cgroup_classid', ''));
    for (const [ifi, flags] of [[1, 0], [1, 1], [0x7fff, 0], [1, 2], [1, 4], [0, 0]]) {
      each(t, call('redirect', `r1 = ${ifi}\nr2 = ${flags}`));
      each(t, call('redirect_peer', `r1 = ${ifi}\nr2 = ${flags}`));
      each(t, call('clone_redirect', `r1 = r6\nr2 = ${ifi}\nr3 = ${flags}`));
    }
    for (const [plen, flags] of [[0, 0], [20, 0], [19, 0], [24, 0], [0, 1]]) {
      each(t, `r6 = r1\nr1 = 0\n*(u64 *)(r10 -8) = r1\n*(u64 *)(r10 -16) = r1\n*(u64 *)(r10 -24) = r1\nr1 = 1\nr2 = r10\nr2 += -24\nr3 = ${plen}\n${plen ? '' : 'r2 = 0\n'}r4 = ${flags}\ncall bpf_redirect_neigh\n${OUT}`);
    }
    report(t);
  });

  test('tunnel keys: set then get, every size, family and flag', () => {
    const t = new Tally();
    const tk = (sf: number, ss: number, gf: number, gs: number, label: number) => {
      let s = 'r6 = r1\nr1 = 0\n';
      for (let i = 8; i <= 96; i += 8) s += `*(u64 *)(r10 -${i}) = r1\n`;
      s += `r1 = 0x11223344\n*(u32 *)(r10 -48) = r1\nr1 = 0x0a000001\n*(u32 *)(r10 -44) = r1\nr1 = 0x0a000002\n*(u32 *)(r10 -20) = r1\nr1 = 0x4005\n*(u16 *)(r10 -28) = r1\nr1 = ${label}\n*(u32 *)(r10 -24) = r1\n`;
      s += `r1 = r6\nr2 = r10\nr2 += -48\nr3 = ${ss}\nr4 = ${sf}\ncall bpf_skb_set_tunnel_key\n*(u32 *)(r6 +48) = r0\n`;
      s += `r1 = r6\nr2 = r10\nr2 += -96\nr3 = ${gs}\nr4 = ${gf}\ncall bpf_skb_get_tunnel_key\n*(u32 *)(r6 +52) = r0\n`;
      for (let i = 0; i < 44; i += 4) s += `r1 = *(u32 *)(r10 -${96 - i})\nr2 = ${i + 1}\nr1 *= r2\nr3 = *(u32 *)(r6 +56)\nr3 += r1\n*(u32 *)(r6 +56) = r3\n`;
      return `${s}r0 = 0\nexit`;
    };
    for (const [sf, ss, gf, gs, label] of [[0, 44, 0, 44, 0], [1, 44, 1, 44, 0x12345], [1, 44, 0, 44, 0], [0, 44, 1, 44, 0], [0, 28, 0, 28, 0], [0, 24, 0, 24, 0], [0, 8, 0, 8, 0], [1, 8, 1, 8, 0], [0, 44, 0, 22, 0], [0, 44, 0, 9, 0], [2, 44, 0, 44, 0], [4, 44, 0, 44, 0], [0x10, 44, 0, 44, 0], [0x20, 44, 0, 44, 0], [0, 44, 0, 44, 5], [0, 40, 0, 44, 0]] as const) {
      t.check(kernel!, sim, { type: C, prog: tk(sf, ss, gf, gs, label), run: { data: FRAMES[0], ctx: new Uint8Array(192) } });
    }
    t.check(kernel!, sim, { type: C, prog: 'r6 = r1\nr1 = 0\n*(u64 *)(r10 -8) = r1\n*(u64 *)(r10 -16) = r1\n*(u64 *)(r10 -24) = r1\n*(u64 *)(r10 -32) = r1\n*(u64 *)(r10 -40) = r1\n*(u64 *)(r10 -48) = r1\nr1 = r6\nr2 = r10\nr2 += -48\nr3 = 44\nr4 = 0\ncall bpf_skb_get_tunnel_key\n*(u32 *)(r6 +48) = r0\nr1 = *(u64 *)(r10 -48)\n*(u32 *)(r6 +52) = r1\nr0 = 0\nexit', run: { data: FRAMES[0], ctx: new Uint8Array(192) } });
    report(t);
  });

  test('fib_lookup, socket lookups, socket cookies and uids', () => {
    const t = new Tally();
    const fib = (fam: number, ifi: number, dst: string, plen: number, flags: number, tot: number) => {
      let s = 'r6 = r1\nr1 = 0\n';
      for (let i = 8; i <= 64; i += 8) s += `*(u64 *)(r10 -${i}) = r1\n`;
      s += `r1 = ${fam}\n*(u8 *)(r10 -64) = r1\nr1 = ${ifi}\n*(u32 *)(r10 -56) = r1\nr1 = ${tot}\n*(u16 *)(r10 -58) = r1\nr1 = ${dst}\n*(u32 *)(r10 -32) = r1\n`;
      s += `r1 = r6\nr2 = r10\nr2 += -64\nr3 = ${plen}\nr4 = ${flags}\ncall bpf_fib_lookup\n*(u32 *)(r6 +48) = r0\n`;
      return `${s}r1 = *(u32 *)(r10 -56)\n*(u32 *)(r6 +52) = r1\nr1 = *(u32 *)(r10 -60)\n*(u32 *)(r6 +56) = r1\nr1 = *(u32 *)(r10 -32)\n*(u32 *)(r6 +60) = r1\nr0 = 0\nexit`;
    };
    for (const [fam, ifi, dst, plen, flags, tot] of [[2, 1, '0x0100007f', 64, 0, 0], [2, 1, '0x0100000a', 64, 1, 100], [2, 0x7fff, '1', 64, 0, 0], [2, 1, '1', 63, 0, 0], [2, 1, '1', 64, 0x40, 0], [3, 1, '1', 64, 0, 0], [10, 1, '0x80fe', 64, 0, 0], [10, 1, '0x0120', 64, 0, 0], [10, 0x7fff, '0x0120', 64, 0, 0]] as const) {
      each(t, fib(fam, ifi, dst, plen, flags, tot));
    }
    for (const [name, len, ns, fl] of [['sk_lookup_tcp', 12, -1, 0], ['sk_lookup_udp', 12, -1, 0], ['skc_lookup_tcp', 36, -1, 0], ['sk_lookup_tcp', 13, -1, 0], ['sk_lookup_tcp', 12, 0, 0], ['sk_lookup_tcp', 12, -1, 1], ['sk_lookup_udp', 36, 5, 0]] as const) {
      const prog = `r6 = r1\nr1 = 0\n*(u64 *)(r10 -8) = r1\n*(u64 *)(r10 -16) = r1\n*(u64 *)(r10 -24) = r1\n*(u64 *)(r10 -32) = r1\n*(u64 *)(r10 -40) = r1\nr1 = r6\nr2 = r10\nr2 += -40\nr3 = ${len}\nr4 = ${ns}\nr5 = ${fl}\ncall bpf_${name}\nif r0 == 0 goto out\nr1 = r0\ncall bpf_sk_release\nr0 = 1\nexit\nout:\nr0 = 0\nexit`;
      for (const type of [C, U.BPF_PROG_TYPE_CGROUP_SKB]) t.check(kernel!, sim, { type, prog, run: { data: FRAMES[0], ctx: new Uint8Array(192) } });
    }
    const cookie = 'r6 = r1\ncall bpf_get_socket_cookie\nr7 = r0\nr1 = r6\ncall bpf_get_socket_cookie\nr0 ^= r7\nif r0 != 0 goto bad\nif r7 == 0 goto bad\nr0 = 1\nexit\nbad:\nr0 = 0\nexit';
    for (const type of [C, U.BPF_PROG_TYPE_SOCKET_FILTER, U.BPF_PROG_TYPE_CGROUP_SKB]) t.check(kernel!, sim, { type, prog: cookie, run: { data: FRAMES[0] } });
    for (const type of [C, U.BPF_PROG_TYPE_SOCKET_FILTER]) t.check(kernel!, sim, { type, prog: 'call bpf_get_socket_uid\nexit', run: { data: FRAMES[0] } });
    t.check(kernel!, sim, { type: U.BPF_PROG_TYPE_CGROUP_SKB, prog: 'call bpf_get_socket_uid\nif r0 == 0 goto root\nr0 = 0\nexit\nroot:\nr0 = 1\nexit', run: { data: FRAMES[0] } });
    report(t);
  });
});
