/*
 * XDP on bpfsim and on Linux: the test-run rules for xdp_md in ctx_in, frames at the size limits,
 * and every XDP packet helper with edge arguments (adjust_head, adjust_meta, adjust_tail on linear
 * and multi-buffer frames, load/store_bytes across fragments, get_buff_len, redirect,
 * redirect_map on device, CPU and socket maps, csum_diff, fib_lookup, socket lookups).
 */
import { afterAll, describe, expect, test } from 'vitest';
import * as U from '../../../src/uapi.js';
import type { Backend } from '../../../src/vm/index.js';
import { Tally, frame, kernelBackend, kernelSkip, simBackend } from '../../vm/progtypes/support/pair.js';
import type { Case } from '../../vm/progtypes/support/pair.js';

const kernel = kernelSkip ? undefined : kernelBackend();
const sim = simBackend();
if (kernelSkip) console.log(`skipping the XDP comparison with the kernel: ${kernelSkip}`);
afterAll(() => {
  kernel?.close();
  sim.close();
});

const X = U.BPF_PROG_TYPE_XDP;
const FRAGS = U.BPF_F_XDP_HAS_FRAGS;

function check(t: Tally, c: Omit<Case, 'type'>): void {
  t.check(kernel!, sim, { type: X, ...c });
}

function md(data: number, end: number, ifindex = 0, rxq = 0, rest = 0): Uint8Array {
  const c = new Uint8Array(24);
  const v = new DataView(c.buffer);
  v.setUint32(0, data, true);
  v.setUint32(4, end, true);
  v.setUint32(12, ifindex, true);
  v.setUint32(16, rxq, true);
  v.setUint32(20, rest, true);
  return c;
}

/** r0 = (data_end - data) << 16 | (u16) helper result, after calling `helper(ctx, delta)`. */
const adjust = (helper: string, delta: number, a = 0, b = 4) => `r6 = r1
  r2 = ${delta}
  call bpf_${helper}
  r7 = r0
  r7 &= 0xffff
  r2 = *(u32 *)(r6 +${a})
  r3 = *(u32 *)(r6 +${b})
  r0 = r3
  r0 -= r2
  r0 <<= 16
  r0 |= r7
  exit`;

describe.skipIf(!kernel)('XDP matches the kernel', () => {
  test('test-run rules: xdp_md in ctx_in, frame sizes, flags', () => {
    const t = new Tally();
    const prog = 'r0 = 2\nexit';
    for (const [d, e, len] of [[0, 64, 64], [0, 60, 64], [0, 70, 64], [8, 64, 64], [6, 64, 64], [216, 300, 300], [220, 300, 300], [0, 4000, 4000], [64, 64, 64]]) {
      check(t, { prog, run: { data: frame(len!), ctx: md(d!, e!) } });
    }
    for (const [ifi, q] of [[1, 0], [1, 1], [0, 1], [0x7fff, 0]]) check(t, { prog, run: { data: frame(64), ctx: md(0, 64, ifi, q) } });
    check(t, { prog, run: { data: frame(64), ctx: md(0, 64, 0, 0, 1) } });
    for (const len of [0, 13, 14, 3520, 3521, 9000, 100000]) {
      check(t, { prog, run: { data: frame(len) } });
      check(t, { prog, flags: FRAGS, run: { data: frame(len) } });
    }
    for (const [flags, cpu] of [[1, 1], [0, 1], [4, 0], [8, 0]]) check(t, { prog, run: { data: frame(64), flags, cpu } });
    for (const dso of [0, 1, 63, 64]) check(t, { prog, run: { data: frame(64), dataSizeOut: dso } });
    for (const cso of [0, 1, 23, 24, 40]) check(t, { prog, run: { data: frame(64), ctx: md(0, 64), ctxSizeOut: cso } });
    check(t, { prog, eat: U.BPF_XDP_DEVMAP, run: { data: frame(64) } });
    check(t, { prog: 'r0 = *(u32 *)(r1 +12)\nr1 = *(u32 *)(r1 +16)\nr0 <<= 8\nr0 |= r1\nexit', run: { data: frame(64) } });
    expect(t.mismatches, `${t.compared} cases compared`).toEqual([]);
  });

  test('adjust_head, adjust_meta and adjust_tail at and past their limits', () => {
    const t = new Tally();
    for (const d of [-300, -257, -256, -216, -215, -40, -4, -1, 0, 1, 4, 40, 50, 51, 64]) {
      check(t, { prog: adjust('xdp_adjust_head', d), run: { data: frame(64) } });
      check(t, { prog: adjust('xdp_adjust_meta', d, 8, 0), run: { data: frame(64) } });
    }
    for (const d of [-8, 0, 8, 40]) check(t, { prog: adjust('xdp_adjust_head', d), run: { data: frame(64), ctx: md(16, 64) } });
    for (const d of [-51, -50, -49, -1, 0, 1, 100, 3456, 3457, 4000]) check(t, { prog: adjust('xdp_adjust_tail', d), run: { data: frame(64) } });
    for (const len of [64, 3520, 3521, 5000, 9000]) {
      for (const d of [-10000, -5000, -1500, -1, 0, 1, 500, 4000]) {
        const prog = `r6 = r1\nr2 = ${d}\ncall bpf_xdp_adjust_tail\nr7 = r0\nr1 = r6\ncall bpf_xdp_get_buff_len\nr0 <<= 16\nr7 &= 0xffff\nr0 |= r7\nexit`;
        check(t, { prog, flags: FRAGS, run: { data: frame(len) } });
      }
    }
    check(t, { prog: `r6 = r1\nr2 = -16\ncall bpf_xdp_adjust_meta\nr1 = r6\nr2 = 8\ncall bpf_xdp_adjust_head\nr0 = 2\nexit`, run: { data: frame(64), repeat: 3 } });
    expect(t.mismatches, `${t.compared} cases compared`).toEqual([]);
  });

  test('load_bytes and store_bytes across fragments', () => {
    const t = new Tally();
    for (const [off, len] of [[0, 4], [60, 4], [61, 4], [3516, 8], [3519, 8], [5000, 8], [8995, 5], [8996, 5], [65535, 1], [65536, 1]]) {
      for (const data of [frame(64), frame(9000)]) {
        check(t, { prog: `r6 = r1\nr1 = 0\n*(u64 *)(r10 -8) = r1\nr1 = r6\nr2 = ${off}\nr3 = r10\nr3 += -8\nr4 = ${len}\ncall bpf_xdp_load_bytes\nr7 = r0\nr0 = *(u64 *)(r10 -8)\nr0 ^= r7\nexit`, flags: FRAGS, run: { data } });
        check(t, { prog: `r6 = r1\nr1 = 0x55667788\n*(u64 *)(r10 -8) = r1\nr1 = r6\nr2 = ${off}\nr3 = r10\nr3 += -8\nr4 = ${len}\ncall bpf_xdp_store_bytes\nexit`, flags: FRAGS, run: { data } });
      }
    }
    expect(t.mismatches, `${t.compared} cases compared`).toEqual([]);
  });

  test('redirect and redirect_map on DEVMAP, DEVMAP_HASH, CPUMAP and XSKMAP', () => {
    const t = new Tally();
    for (const [ifi, flags] of [[1, 0], [0x7fff, 0], [1, 1], [1, 0x100000000]]) {
      check(t, { prog: `r1 = ${ifi}\nr2 = ${flags} ll\ncall bpf_redirect\nexit`, run: { data: frame(64) } });
    }
    const devmap = (b: Backend) => {
      const m = b.createMap({ type: U.BPF_MAP_TYPE_DEVMAP, keySize: 4, valueSize: 4, maxEntries: 4 });
      m.update(Uint8Array.of(1, 0, 0, 0), Uint8Array.of(1, 0, 0, 0));
      return [m];
    };
    const devhash = (b: Backend) => {
      const m = b.createMap({ type: U.BPF_MAP_TYPE_DEVMAP_HASH, keySize: 4, valueSize: 4, maxEntries: 4 });
      m.update(Uint8Array.of(7, 0, 0, 0), Uint8Array.of(1, 0, 0, 0));
      return [m];
    };
    const cpumap = (b: Backend) => {
      const m = b.createMap({ type: U.BPF_MAP_TYPE_CPUMAP, keySize: 4, valueSize: 4, maxEntries: 2 });
      m.update(Uint8Array.of(0, 0, 0, 0), Uint8Array.of(64, 0, 0, 0));
      return [m];
    };
    const xskmap = (b: Backend) => [b.createMap({ type: U.BPF_MAP_TYPE_XSKMAP, keySize: 4, valueSize: 4, maxEntries: 4 })];
    for (const maps of [devmap, devhash, cpumap, xskmap]) {
      for (const [key, flags] of [[0, 0], [1, 0], [7, 0], [3, 1], [3, 2], [3, 3], [1, 4], [1, 8], [1, 0x18], [2, 8], [0x100000001, 0]]) {
        check(t, { prog: `r1 = map[idx:0]\nr2 = ${key} ll\nr3 = ${flags}\ncall bpf_redirect_map\nexit`, maps, run: { data: frame(64) } });
      }
    }
    expect(t.mismatches, `${t.compared} cases compared`).toEqual([]);
  });

  test('csum_diff, fib_lookup and socket lookups from XDP', () => {
    const t = new Tally();
    for (const [fs, ts, seed] of [[0, 8, 0], [8, 0, 7], [8, 8, 0x12345678], [3, 5, 9], [1, 0, 0], [0, 0, 0xffff]]) {
      check(t, { prog: `r1 = 0x1122334455667788 ll\n*(u64 *)(r10 -8) = r1\nr1 = 0x99aabbccddeeff00 ll\n*(u64 *)(r10 -16) = r1\nr1 = r10\nr1 += -16\nr2 = ${fs}\nr3 = r10\nr3 += -8\nr4 = ${ts}\nr5 = ${seed}\n${fs ? '' : 'r1 = 0\n'}${ts ? '' : 'r3 = 0\n'}call bpf_csum_diff\nexit`, run: { data: frame(64) } });
    }
    const fib = (fam: number, ifi: number, dst: string, plen: number, flags: number) => {
      let s = 'r6 = r1\nr1 = 0\n';
      for (let i = 8; i <= 64; i += 8) s += `*(u64 *)(r10 -${i}) = r1\n`;
      s += `r1 = ${fam}\n*(u8 *)(r10 -64) = r1\nr1 = ${ifi}\n*(u32 *)(r10 -56) = r1\nr1 = ${dst}\n*(u32 *)(r10 -32) = r1\n`;
      return `${s}r1 = r6\nr2 = r10\nr2 += -64\nr3 = ${plen}\nr4 = ${flags}\ncall bpf_fib_lookup\nr1 = *(u32 *)(r10 -56)\nr0 <<= 8\nr0 |= r1\nexit`;
    };
    for (const [fam, ifi, dst, plen, flags] of [[2, 1, '0x0100007f', 64, 0], [2, 1, '0x0100000a', 64, 1], [2, 0x7fff, '1', 64, 0], [2, 1, '1', 63, 0], [2, 1, '1', 64, 0x40], [3, 1, '1', 64, 0], [10, 1, '0x80fe', 64, 0], [10, 0x7fff, '0x0120', 64, 0]] as const) {
      check(t, { prog: fib(fam, ifi, dst, plen, flags), run: { data: frame(64) } });
    }
    for (const [name, len, ns, fl] of [['sk_lookup_tcp', 12, -1, 0], ['sk_lookup_udp', 12, -1, 0], ['skc_lookup_tcp', 36, -1, 0], ['sk_lookup_tcp', 13, -1, 0], ['sk_lookup_tcp', 12, 0, 0], ['sk_lookup_tcp', 12, -1, 1]] as const) {
      check(t, { prog: `r6 = r1\nr1 = 0\n*(u64 *)(r10 -8) = r1\n*(u64 *)(r10 -16) = r1\n*(u64 *)(r10 -24) = r1\n*(u64 *)(r10 -32) = r1\n*(u64 *)(r10 -40) = r1\nr1 = r6\nr2 = r10\nr2 += -40\nr3 = ${len}\nr4 = ${ns}\nr5 = ${fl}\ncall bpf_${name}\nif r0 == 0 goto out\nr1 = r0\ncall bpf_sk_release\nr0 = 1\nexit\nout:\nr0 = 2\nexit`, run: { data: frame(64) } });
    }
    expect(t.mismatches, `${t.compared} cases compared`).toEqual([]);
  });
});
