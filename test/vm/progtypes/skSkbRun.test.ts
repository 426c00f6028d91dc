/*
 * SK_SKB on the simulator: Linux has no test run for it, so bpfsim's direct run gives the program
 * the stream skb of a socket (payload in pages, the socket's addresses in the context) and reports
 * parser lengths, verdicts and sockmap redirects. test/vm/progtypes/skSkbKernel.test.ts checks the
 * same programs against Linux with real sockets.
 */
import { afterAll, describe, expect, test } from 'vitest';
import { assemble } from '../../../src/isa/index.js';
import * as U from '../../../src/uapi.js';
import { AF_INET6, Machine, SK_SKB_MAX_DATA, SimBackend, SkBuffMd, TcpState } from '../../../src/vm/index.js';
import type { BpfMap } from '../../../src/maps/index.js';
import type { SimProgram, TestRunOptions, TestRunResult } from '../../../src/vm/index.js';

const machine = new Machine();
const sim = new SimBackend({ machine, checked: true });
afterAll(() => sim.close());

const VERDICT = U.BPF_SK_SKB_STREAM_VERDICT;
const PARSER = U.BPF_SK_SKB_STREAM_PARSER;
const payload = new TextEncoder().encode('hello world!');

function load(src: string, eat = VERDICT, maps: BpfMap[] = []): SimProgram {
  return sim.loadProgram({ type: U.BPF_PROG_TYPE_SK_SKB, insns: assemble(src).insns, name: 't', expectedAttachType: eat, maps }).program as SimProgram;
}

function run(src: string, opts: TestRunOptions = { data: payload }, eat = VERDICT, maps: BpfMap[] = []): TestRunResult {
  const p = load(src, eat, maps);
  try {
    return p.run(opts);
  } finally {
    p.close();
  }
}

/** An `__sk_buff` ctx_in naming an IPv4 socket 10.0.0.1:80 connected to 10.0.0.2:4321. */
function ctx4(): Uint8Array {
  const c = new Uint8Array(192);
  const v = new DataView(c.buffer);
  v.setUint32(SkBuffMd.family, 2, true);
  c.set([10, 0, 0, 2], SkBuffMd.remote_ip4);
  c.set([10, 0, 0, 1], SkBuffMd.local_ip4);
  v.setUint32(SkBuffMd.remote_port, (0x10e1 << 16) >>> 0, true);
  v.setUint32(SkBuffMd.local_port, 80, true);
  return c;
}

const u32 = (b: Uint8Array, off: number) => new DataView(b.buffer, b.byteOffset).getUint32(off, true);

describe('sk_skb runs', () => {
  test('Linux has no test run for sk_skb; bpfsim refuses one too and runs it directly', () => {
    const p = load('r0 = 1\nexit');
    expect(() => p.testRun({ data: payload })).toThrow(expect.objectContaining({ errnoName: 'ENOTSUPP' }));
    expect(p.run({ data: payload }).retval).toBe(1);
    p.close();
  });

  test('a parser returns the message length', () => {
    expect(run('r0 = *(u32 *)(r1 +0)\nexit', { data: payload }, PARSER).retval).toBe(12);
  });

  test('the socket fields come from ctx_in, the protocol from its family', () => {
    const prog = (off: number) => `r0 = *(u32 *)(r1 +${off})\nexit`;
    const opts = { data: payload, ctx: ctx4() };
    expect(run(prog(SkBuffMd.family), opts).retval).toBe(2);
    expect(run(prog(SkBuffMd.remote_ip4), opts).retval).toBe(0x0200000a);
    expect(run(prog(SkBuffMd.local_port), opts).retval).toBe(80);
    expect(run(prog(SkBuffMd.remote_port), opts).retval).toBe((0x10e1 << 16) >>> 0);
    expect(run(prog(SkBuffMd.protocol), opts).retval).toBe(0x0008);
    expect(run(prog(SkBuffMd.gso_segs), opts).retval).toBe(1);
    const v6 = new Uint8Array(192);
    v6[SkBuffMd.family] = AF_INET6;
    v6[SkBuffMd.local_ip6 + 15] = 1;
    expect(run(prog(SkBuffMd.protocol), { data: payload, ctx: v6 }).retval).toBe(0xdd86);
    expect(run(prog(SkBuffMd.local_ip6 + 12), { data: payload, ctx: v6 }).retval).toBe(0x01000000);
  });

  test('the payload is paged: data_end equals data until bpf_skb_pull_data', () => {
    const span = 'r2 = *(u32 *)(r6 +76)\nr3 = *(u32 *)(r6 +80)\nr3 -= r2\nr0 = r3\nexit';
    expect(run(`r6 = r1\n${span}`).retval).toBe(0);
    expect(run(`r6 = r1\nr2 = 5\ncall bpf_skb_pull_data\n${span}`).retval).toBe(5);
    expect(run(`r6 = r1\nr2 = 0\ncall bpf_skb_pull_data\n${span}`).retval).toBe(0);
    expect(run('r2 = 13\ncall bpf_skb_pull_data\nexit').retval).toBe(-12 >>> 0);
  });

  test('helpers: load_bytes reads pages, store_bytes pulls, change_tail linearizes, change_head pushes', () => {
    const lin = 'r2 = *(u32 *)(r6 +76)\nr3 = *(u32 *)(r6 +80)\nr3 -= r2\nr0 = r3\nexit';
    const store = 'r6 = r1\nr2 = 0x41414141\n*(u32 *)(r10 -8) = r2\nr2 = 1\nr3 = r10\nr3 += -8\nr4 = 4\nr5 = 0\ncall bpf_skb_store_bytes\n';
    const s = run(`${store}${lin}`);
    expect([s.retval, new TextDecoder().decode(s.data)]).toEqual([5, 'hAAAA world!']);
    const t = run(`r6 = r1\nr2 = 16\nr3 = 0\ncall bpf_skb_change_tail\n${lin}`);
    expect([t.retval, t.data.length, t.data.subarray(12)]).toEqual([16, 16, new Uint8Array(4)]);
    expect(run('r6 = r1\nr2 = 0\nr3 = 0\ncall bpf_skb_change_tail\nexit').data.length).toBe(0);
    const h = run(`r6 = r1\nr2 = 4\nr3 = 0\ncall bpf_skb_change_head\n${lin}`);
    expect([h.retval, h.data.length]).toEqual([4, 16]);
    const a = run(`r6 = r1\nr2 = -2\nr3 = 0\nr4 = 0\ncall bpf_skb_adjust_room\n${lin}`);
    expect([a.retval, new TextDecoder().decode(a.data)]).toEqual([0, 'llo world!']);
    expect(run('r2 = -13\nr3 = 0\nr4 = 0\ncall bpf_skb_adjust_room\nexit').retval).toBe(-12 >>> 0);
    const load = run('r2 = 0\nr3 = r10\nr3 += -16\nr4 = 12\ncall bpf_skb_load_bytes\nr0 = *(u32 *)(r10 -8)\nexit');
    expect(load.retval).toBe(0x21646c72);
  });

  test('ctx_in: priority, tc_index and the devices are kept, computed fields must be zero, ctx out has no pointers', () => {
    const c = ctx4();
    new DataView(c.buffer).setUint32(SkBuffMd.priority, 7, true);
    new DataView(c.buffer).setUint32(SkBuffMd.ifindex, 3, true);
    new DataView(c.buffer).setUint32(SkBuffMd.ingress_ifindex, 2, true);
    expect(run('r0 = *(u32 *)(r1 +40)\nr2 = *(u32 *)(r1 +36)\nr0 <<= 4\nr0 |= r2\nexit', { data: payload, ctx: c }).retval).toBe(0x32);
    const r = run('r2 = 0x12345\n*(u32 *)(r1 +44) = r2\nr0 = *(u32 *)(r1 +32)\nexit', { data: payload, ctx: c });
    expect([r.retval, u32(r.ctx, SkBuffMd.tc_index), u32(r.ctx, SkBuffMd.len), u32(r.ctx, SkBuffMd.data)]).toEqual([7, 0x2345, 12, 0]);
    const bad = ctx4();
    bad[SkBuffMd.len] = 1;
    expect(() => run('r0 = 1\nexit', { data: payload, ctx: bad })).toThrow(expect.objectContaining({ errnoName: 'EINVAL' }));
  });

  test('bad input: too much data, an unknown socket pointer, a family without streams', () => {
    const einval = expect.objectContaining({ errnoName: 'EINVAL' });
    expect(() => run('r0 = 1\nexit', { data: new Uint8Array(SK_SKB_MAX_DATA + 1) })).toThrow(einval);
    const c = new Uint8Array(192);
    new DataView(c.buffer).setBigUint64(SkBuffMd.sk, 0x1234n, true);
    expect(() => run('r0 = 1\nexit', { data: payload, ctx: c })).toThrow(/not a socket of this machine/);
    const unix = new Uint8Array(192);
    unix[SkBuffMd.family] = 1;
    expect(() => run('r0 = 1\nexit', { data: payload, ctx: unix })).toThrow(einval);
    expect(run('r0 = *(u32 *)(r1 +0)\nexit', { data: new Uint8Array(SK_SKB_MAX_DATA) }).retval).toBe(SK_SKB_MAX_DATA);
  });

  test('the verifier refuses mark; unverified, checked mode faults on it and on bytes past data_end', () => {
    expect(() => run('r0 = *(u32 *)(r1 +8)\nexit')).toThrow(/invalid bpf_context access off=8/);
    const unverified = new SimBackend({ machine, checked: true, verify: false });
    const go = (src: string) => (unverified.loadProgram({ type: U.BPF_PROG_TYPE_SK_SKB, insns: assemble(src).insns, name: 'u', expectedAttachType: VERDICT }).program as SimProgram).run({ data: payload });
    expect(() => go('r0 = *(u32 *)(r1 +8)\nexit')).toThrow(/fault at insn 0/);
    expect(() => go('r2 = *(u32 *)(r1 +76)\nr0 = *(u8 *)(r2 +0)\nexit')).toThrow(/fault at insn 1/);
    unverified.close();
  });

  test('get_socket_uid and get_socket_cookie answer for the socket named by ctx_in sk', () => {
    const sock = machine.net.sockets.add({ state: TcpState.ESTABLISHED, localPort: 9000, remoteIp: '10.0.0.9', remotePort: 1234, uid: 1000 });
    const c = new Uint8Array(192);
    new DataView(c.buffer).setBigUint64(SkBuffMd.sk, BigInt(sock.address), true);
    expect(run('call bpf_get_socket_uid\nexit', { data: payload, ctx: c }).retval).toBe(1000);
    expect(run('call bpf_get_socket_cookie\nexit', { data: payload, ctx: c }).retval).toBe(Number(sock.cookie));
    expect(run('r0 = *(u32 *)(r1 +136)\nexit', { data: payload, ctx: c }).retval).toBe(9000);
    expect(run('call bpf_get_socket_uid\nexit').retval).toBe(0);
    machine.net.sockets.remove(sock);
  });
});

describe('sk_skb verdicts redirect to sockmap and sockhash entries', () => {
  const established = machine.net.sockets.add({ state: TcpState.ESTABLISHED, localPort: 7000, remoteIp: '10.0.0.3', remotePort: 5555 });
  const listener = machine.net.sockets.add({ state: TcpState.LISTEN, localPort: 7001 });
  const sockmap = sim.createMap({ type: U.BPF_MAP_TYPE_SOCKMAP, keySize: 4, valueSize: 4, maxEntries: 4 });
  const sockhash = sim.createMap({ type: U.BPF_MAP_TYPE_SOCKHASH, keySize: 4, valueSize: 4, maxEntries: 4 });
  const fd = (s: typeof established) => Uint8Array.of(machine.fds.open({ kind: 'socket', socket: s }), 0, 0, 0);
  sockmap.update(Uint8Array.of(1, 0, 0, 0), fd(established));
  sockmap.update(Uint8Array.of(2, 0, 0, 0), fd(listener));
  sockhash.update(Uint8Array.of(7, 0, 0, 0), fd(established));

  const viaMap = (key: number, flags: number, verdict = '') => `r1 = r1\nr2 = map[idx:0]\nr3 = ${key}\nr4 = ${flags}\ncall bpf_sk_redirect_map\n${verdict}exit`;

  test.each([
    ['an established socket', 1, 0, 1, { ingress: false }],
    ['with BPF_F_INGRESS', 1, 1, 1, { ingress: true }],
    ['an empty slot drops', 0, 0, 0, undefined],
    ['an index past max_entries drops', 9, 0, 0, undefined],
    ['a listening socket drops', 2, 0, 0, undefined],
    ['flags beyond BPF_F_INGRESS drop', 1, 2, 0, undefined],
  ] as const)('bpf_sk_redirect_map: %s', (_name, key, flags, retval, want) => {
    const r = run(viaMap(key, flags), { data: payload }, VERDICT, [sockmap]);
    expect(r.retval).toBe(retval);
    if (want) expect(r.redirect).toEqual({ kind: 'sock', mapType: U.BPF_MAP_TYPE_SOCKMAP, mapId: sockmap.id, key, cookie: established.cookie, ingress: want.ingress });
    else expect(r.redirect).toBeUndefined();
  });

  test('a verdict other than SK_PASS, or a parser, does not redirect', () => {
    expect(run(viaMap(1, 0, 'r0 = 0\n'), { data: payload }, VERDICT, [sockmap]).redirect).toBeUndefined();
    expect(run(viaMap(1, 0), { data: payload }, PARSER, [sockmap]).redirect).toBeUndefined();
    expect(run(viaMap(1, 0), { data: payload }, U.BPF_SK_SKB_VERDICT, [sockmap]).redirect).toMatchObject({ kind: 'sock' });
  });

  test('bpf_sk_redirect_hash: by key; a missing key drops', () => {
    const prog = (k: number) => `r2 = ${k}\n*(u32 *)(r10 -4) = r2\nr2 = map[idx:0]\nr3 = r10\nr3 += -4\nr4 = 0\ncall bpf_sk_redirect_hash\nexit`;
    const r = run(prog(7), { data: payload }, VERDICT, [sockhash]);
    expect([r.retval, r.redirect]).toEqual([1, { kind: 'sock', mapType: U.BPF_MAP_TYPE_SOCKHASH, mapId: sockhash.id, key: Uint8Array.of(7, 0, 0, 0), cookie: established.cookie, ingress: false }]);
    expect(run(prog(8), { data: payload }, VERDICT, [sockhash]).retval).toBe(0);
  });
});
