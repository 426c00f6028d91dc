/**
 * Random packet programs for differential testing against the kernel: XDP and SCHED_CLS programs
 * that read and write their context fields, read and write the packet directly (behind bounds
 * checks, reloading the packet pointers every time, since helpers move them), and call packet
 * helpers with edge arguments — offsets and lengths at and past the packet's ends, deltas past the
 * head and tail room, every flag family and some invalid flags. Every value a step produces (a
 * field, packet bytes, a helper's return value, bytes a helper copied out) is folded into an
 * accumulator, which the program returns (and for tc stores in cb[0..8]), so a difference in any
 * step shows in the return value, data out or ctx out.
 *
 * Left out because Linux's answer depends on the host, not the program: bpf_get_hash_recalc (a
 * boot-time random key), fib and socket lookups (the host's routes and sockets; the hand-written
 * tests compare them on loopback), and reads of `__sk_buff->hash` after a helper may have set it.
 * Programs that call bpf_skb_change_head never run with BPF_F_TEST_SKB_CHECKSUM_COMPLETE: a head
 * reallocation followed by a change_tail into the network header makes Linux 6.18 oops in
 * skb_checksum after the run (found by this generator).
 */
import fc from 'fast-check';
import * as U from '../../src/uapi.js';

/** One generated case: program type, program text, and the test-run input. */
export interface PacketCase {
  /** `xdp` or `tc` (SCHED_CLS). */
  readonly kind: 'xdp' | 'tc';
  /** The program in the assembler's syntax. */
  readonly prog: string;
  /** Its parts: the prologue, each step, the epilogue (to narrow a mismatch down to steps). */
  readonly parts: readonly string[];
  /** Data in. */
  readonly data: Uint8Array;
  /** ctx in (XDP: data/data_end offsets for metadata; tc: a zeroed or marked `__sk_buff`). */
  readonly ctx?: Uint8Array;
  /** Test-run flags (tc: sometimes BPF_F_TEST_SKB_CHECKSUM_COMPLETE). */
  readonly flags: number;
}

/** Stack bytes [BUF, BUF + BUF_LEN) are the helpers' buffer, initialised at entry. */
const BUF = -64;
const BUF_LEN = 56;

const MIX = (reg: string) => `r7 *= 31\nr7 += ${reg}`;

const OFFSETS = [0, 1, 2, 12, 13, 14, 15, 22, 23, 24, 26, 30, 33, 34, 36, 40, 50, 54, 59, 60, 63, 64, 65, 79, 80, 100, 200, 1000, 0x7fffffff, 0xffffffff];
const off = fc.oneof(fc.constantFrom(...OFFSETS), fc.integer({ min: 0, max: 120 }));
const len = fc.oneof(fc.constantFrom(1, 2, 4, 8, 14, 20, BUF_LEN), fc.integer({ min: 1, max: BUF_LEN }));
const u32 = fc.oneof(fc.constantFrom(0, 1, 0xffff, 0x10000, 0x7fffffff, 0xffffffff), fc.integer({ min: 0, max: 0xffffffff }));
const imm = (n: number | bigint) => (BigInt(n) >= 0x80000000n || BigInt(n) < -0x80000000n ? `${n} ll` : `${n}`);

/** A call: argument registers r2.. set from immediates (r1 is the context unless `noCtx`), then the result folded in. */
function call(name: string, args: readonly (number | bigint | string)[], noCtx = false): string {
  const set = args.map((a, i) => `r${i + (noCtx ? 1 : 2)} = ${typeof a === 'string' ? a : imm(a)}`);
  return `${noCtx ? '' : 'r1 = r6\n'}${set.join('\n')}${set.length ? '\n' : ''}call bpf_${name}\n${MIX('r0')}`;
}

/** A call that fills the buffer, then the first 8 bytes of the buffer folded in too. */
function callOut(name: string, args: readonly (number | bigint | string)[]): string {
  return `${call(name, args)}\nr2 = *(u64 *)(r10 ${BUF})\n${MIX('r2')}`;
}

/** The buffer's address, as an argument in register `reg`. */
const bufAt = (reg: string) => `r10\n${reg} += ${BUF}`;
const BUFPTR = bufAt('r3');

/** Packet access through the current data/data_end, skipped when out of bounds. */
function packetAccess(dataOff: number, endOff: number, at: number, size: number, value: bigint | undefined, n: number): string {
  const w = `u${size * 8}`;
  const body = value === undefined ? `r3 = *(${w} *)(r2 +${at})\n${MIX('r3')}` : `r3 = ${imm(value)}\n*(${w} *)(r2 +${at}) = r3`;
  return `r2 = *(u32 *)(r6 +${dataOff})\nr3 = *(u32 *)(r6 +${endOff})\nr4 = r2\nr4 += ${at + size}\nif r4 > r3 goto skip${n}\n${body}\nskip${n}:`;
}

const sizeAt = fc.constantFrom(1, 2, 4, 8).chain((size) => fc.tuple(fc.constant(size), fc.integer({ min: 0, max: 90 }).map((a) => a - (a % size))));
const value64 = fc.bigInt({ min: 0n, max: (1n << 64n) - 1n });

/** A direct packet read or write (`n` numbers its label). */
function arbPacketStep(dataOff: number, endOff: number, n: number): fc.Arbitrary<string> {
  return fc.tuple(sizeAt, fc.option(value64, { freq: 3 })).map(([[size, at], v]) => {
    const value = v === null ? undefined : BigInt.asUintN(size * 8, v);
    return packetAccess(dataOff, endOff, at, size, value, n);
  });
}

const XDP_HELPERS: fc.Arbitrary<string>[] = [
  fc.constantFrom(-300, -257, -256, -100, -34, -14, -1, 0, 1, 13, 14, 40, 200, 4000).map((d) => call('xdp_adjust_head', [d])),
  fc.constantFrom(-300, -100, -51, -50, -1, 0, 1, 50, 300, 3000, 4000).map((d) => call('xdp_adjust_tail', [d])),
  fc.constantFrom(-260, -256, -33, -32, -8, -4, -3, 0, 4, 8).map((d) => call('xdp_adjust_meta', [d])),
  fc.tuple(off, len).map(([o, l]) => callOut('xdp_load_bytes', [o, BUFPTR, l])),
  fc.tuple(off, len).map(([o, l]) => call('xdp_store_bytes', [o, BUFPTR, l])),
  fc.constant(call('xdp_get_buff_len', [])),
];

const TC_HELPERS: fc.Arbitrary<string>[] = [
  fc.tuple(off, len).map(([o, l]) => callOut('skb_load_bytes', [o, BUFPTR, l])),
  fc.tuple(off, len, fc.constantFrom(0, 1, 2)).map(([o, l, h]) => callOut('skb_load_bytes_relative', [o, BUFPTR, l, h])),
  fc.tuple(off, len, fc.constantFrom(0, 1, 2, 3, 4)).map(([o, l, f]) => call('skb_store_bytes', [o, BUFPTR, l, f])),
  fc.tuple(off, u32, u32, fc.constantFrom(0, 2, 4, 3, 0x10)).map(([o, a, b, f]) => call('l3_csum_replace', [o, a, b, f])),
  fc.tuple(off, u32, u32, fc.constantFrom(0, 2, 4, 0x12, 0x14, 0x22, 0x32, 0x42, 0x92, 0x94, 0x100))
    .map(([o, a, b, f]) => call('l4_csum_replace', [o, a, b, f])),
  fc.constantFrom(0, 0x1234, 0xffffffff).map((v) => call('csum_update', [v])),
  fc.constantFrom(0, 1, 2, 3, 4).map((l) => call('csum_level', [l])),
  fc.tuple(fc.constantFrom(0, 1, 13, 14, 34, 40, 54, 60, 64, 80, 100, 1500, 16064, 16065), fc.constantFrom(0, 0, 1))
    .map(([l, f]) => call('skb_change_tail', [l, f])),
  fc.tuple(fc.constantFrom(0, 1, 4, 14, 100, 16000), fc.constantFrom(0, 0, 1)).map(([l, f]) => call('skb_change_head', [l, f])),
  fc.tuple(fc.constantFrom(0x0008, 0xdd86, 0x0608, 0x1234), fc.constantFrom(0, 0, 1)).map(([p, f]) => call('skb_change_proto', [p, f])),
  fc.constantFrom(0, 1, 2, 3, 4, 7).map((t) => call('skb_change_type', [t])),
  fc.tuple(
    fc.constantFrom(-60, -40, -27, -20, -8, -1, 0, 4, 8, 20, 40, 4095, 4096),
    fc.constantFrom(0, 1, 2),
    fc.constantFrom(0n, 1n, 2n, 4n, 6n, 0x12n, 0x1an, 0x20n, 0x40n, 0x80n, 0x100n, 0x180n, 0x200n, 0x0e00000000000042n),
  ).map(([d, m, f]) => call('skb_adjust_room', [d, m, f])),
  fc.constantFrom(0, 1, 14, 33, 34, 59, 60, 100).map((l) => call('skb_pull_data', [l])),
  fc.tuple(fc.constantFrom(0x0081, 0xa888, 0x1234), fc.integer({ min: 0, max: 0xffff })).map(([p, t]) => call('skb_vlan_push', [p, t])),
  fc.constant(call('skb_vlan_pop', [])),
  fc.tuple(u32).map(([h]) => call('set_hash', [h])),
  fc.constant(call('set_hash_invalid', [])),
  fc.constant(call('get_cgroup_classid', [])),
  fc.tuple(fc.constantFrom(1, 2, 0x7fff), fc.constantFrom(0, 1, 2)).map(([i, f]) => call('redirect', [i, f], true)),
  fc.tuple(fc.constantFrom(1, 0x7fff), fc.constantFrom(0, 1, 2)).map(([i, f]) => call('clone_redirect', [i, f])),
  fc.tuple(fc.constantFrom(0, 1, 2), fc.constantFrom(8, 24, 28, 44)).map(([f, s]) => call('skb_set_tunnel_key', [bufAt('r2'), s, f])),
  fc.tuple(fc.constantFrom(0, 1), fc.constantFrom(8, 24, 28, 44)).map(([f, s]) => callOut('skb_get_tunnel_key', [bufAt('r2'), s, f])),
];

const CSUM_DIFF = fc.tuple(fc.integer({ min: 0, max: 24 }), fc.integer({ min: 0, max: 24 }), u32).map(([fs, ts, seed]) =>
  `r1 = ${fs ? bufAt('r1') : '0'}\nr2 = ${fs}\nr3 = ${ts ? 'r10\nr3 += -40' : '0'}\nr4 = ${ts}\nr5 = ${imm(seed)}\ncall bpf_csum_diff\n${MIX('r0')}`);

/** The readable (and for tc writable) scalar fields of the type's context, with sizes. */
const XDP_READS: readonly [number, number][] = [[12, 4], [16, 4]];
const TC_READS: readonly [number, number][] = [
  ...[0, 4, 8, 12, 16, 20, 24, 28, 32, 36, 40, 44, 72, 84, 160, 164, 176].flatMap((o) => [[o, 4], [o, 2], [o + 2, 2], [o, 1], [o + 3, 1]] as [number, number][]),
  [48, 8], [56, 4], [62, 2], [67, 1], [152, 8], [184, 8], [180, 1],
];
const TC_WRITES: fc.Arbitrary<string> = fc.oneof(
  fc.tuple(fc.constantFrom(8, 32, 44, 72), u32).map(([o, v]) => `r2 = ${imm(v)}\n*(u32 *)(r6 +${o}) = r2`),
  fc.integer({ min: 0, max: 0xfffe }).map((v) => `r2 = ${v}\n*(u32 *)(r6 +12) = r2`),
  fc.tuple(fc.constantFrom<[number, number]>([8, 56], [8, 60], [4, 56], [4, 64], [2, 58], [2, 66], [1, 57], [1, 67]), u32)
    .map(([[s, o], v]) => `r2 = ${imm(BigInt.asUintN(s * 8, BigInt(v)))}\n*(u${s * 8} *)(r6 +${o}) = r2`),
  value64.map((v) => `r2 = ${imm(v)}\n*(u64 *)(r6 +152) = r2`),
);

function ctxRead(reads: readonly [number, number][]): fc.Arbitrary<string> {
  return fc.constantFrom(...reads).map(([o, s]) => `r2 = *(u${s * 8} *)(r6 +${o})\n${MIX('r2')}`);
}

const PROLOGUE = `r6 = r1\nr7 = 0\nr1 = 0x0807060504030201 ll\n${Array.from({ length: BUF_LEN / 8 }, (_, i) => `*(u64 *)(r10 ${BUF + 8 * i}) = r1\nr1 += 0x11`).join('\n')}`;

function arbSteps(kind: 'xdp' | 'tc', max: number): fc.Arbitrary<string[]> {
  const [dataOff, endOff] = kind === 'xdp' ? [0, 4] : [76, 80];
  const helpers = kind === 'xdp' ? XDP_HELPERS : TC_HELPERS;
  const step = (n: number) => fc.oneof(
    { arbitrary: fc.oneof(...helpers, CSUM_DIFF), weight: 5 },
    { arbitrary: ctxRead(kind === 'xdp' ? XDP_READS : TC_READS), weight: 2 },
    { arbitrary: kind === 'tc' ? TC_WRITES : ctxRead(XDP_READS), weight: 1 },
    { arbitrary: arbPacketStep(dataOff, endOff, n), weight: 2 },
  );
  return fc.integer({ min: 1, max }).chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => step(i))));
}

const EPILOGUE = { xdp: 'r0 = r7\nexit', tc: '*(u64 *)(r6 +48) = r7\nr0 = r7\nexit' };

/** A tc frame: IPv4, IPv6, ARP or VLAN-tagged, at least as long as Linux requires for its protocol. */
const tcFrame = fc.tuple(fc.constantFrom(0x0800, 0x86dd, 0x0806, 0x8100), fc.integer({ min: 0, max: 140 }), fc.uint8Array({ minLength: 16, maxLength: 16 }))
  .map(([proto, extra, noise]) => {
    const min = proto === 0x0800 ? 34 : proto === 0x86dd ? 54 : 14;
    const d = new Uint8Array(min + extra);
    for (let i = 0; i < d.length; i++) d[i] = (i * 7 + 3) & 0xff;
    d[12] = proto >> 8;
    d[13] = proto & 0xff;
    if (proto === 0x0800) d.set([0x45, 0, (d.length - 14) >> 8, (d.length - 14) & 0xff], 14);
    if (proto === 0x86dd) d[14] = 0x60;
    d.set(noise.subarray(0, Math.max(0, Math.min(16, d.length - min))), min);
    return d;
  });

/** An XDP frame of 14 to 600 bytes, sometimes with metadata before it (given through ctx_in). */
const xdpInput = fc.tuple(fc.uint8Array({ minLength: 14, maxLength: 600 }), fc.constantFrom(0, 0, 0, 4, 8, 32))
  .map(([d, meta]) => {
    if (meta === 0) return { data: d };
    const data = new Uint8Array(meta + d.length);
    data.set(d, meta);
    const ctx = new Uint8Array(24);
    new DataView(ctx.buffer).setUint32(0, meta, true);
    new DataView(ctx.buffer).setUint32(4, data.length, true);
    return { data, ctx };
  });

/** A random case of the given kind with up to `maxSteps` steps. */
export function arbPacketCase(kind: 'xdp' | 'tc', maxSteps = 12): fc.Arbitrary<PacketCase> {
  const parts = arbSteps(kind, maxSteps).map((s) => [PROLOGUE, ...s, EPILOGUE[kind]]);
  if (kind === 'xdp') return fc.tuple(parts, xdpInput).map(([p, input]) => ({ kind, prog: p.join('\n'), parts: p, ...input, flags: 0 }));
  return fc.tuple(parts, tcFrame, fc.boolean()).map(([p, data, csum]) => ({
    kind, prog: p.join('\n'), parts: p, data, ctx: new Uint8Array(192),
    flags: csum && !p.some((s) => s.includes('bpf_skb_change_head')) ? U.BPF_F_TEST_SKB_CHECKSUM_COMPLETE : 0,
  }));
}

/** Case number `i` of a campaign: each case has its own derived seed, so it can be replayed alone. */
export function packetCaseAt(kind: 'xdp' | 'tc', seed: number, i: number, maxSteps = 12): PacketCase {
  return fc.sample(arbPacketCase(kind, maxSteps), { numRuns: 1, seed: (Math.imul(seed, 1000003) + i) | 0 })[0]!;
}
