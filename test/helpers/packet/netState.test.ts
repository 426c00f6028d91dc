/*
 * Packet helpers against the network state a Machine holds (which the kernel comparisons cannot
 * reach: the test machine's own routes and sockets differ): fib_lookup against routes and
 * neighbours, socket lookups against the socket table, and what a program reads through the
 * socket pointer it gets.
 */
import { afterAll, describe, expect, test } from 'vitest';
import { assemble } from '../../../src/isa/index.js';
import * as U from '../../../src/uapi.js';
import { AF_INET, AF_INET6, BPF_FIB_LKUP_RET, BPF_FIB_LOOKUP, IPPROTO_TCP, IPPROTO_UDP, Machine, TcpState } from '../../../src/vm/index.js';
import type { TestRunResult } from '../../../src/vm/index.js';
import { frame, simBackend } from '../../vm/progtypes/support/pair.js';

const machine = new Machine();
const sim = simBackend(machine);
afterAll(() => sim.close());

const MAC2 = Uint8Array.of(2, 0, 0, 0, 0, 2);
const GW_MAC = Uint8Array.of(2, 0, 0, 0, 0, 0x99);
machine.devices.set(2, { ifindex: 2, name: 'eth0', rxQueues: 1, mtu: 1500, mac: MAC2, forwarding4: true, forwarding6: true });
machine.devices.set(3, { ifindex: 3, name: 'eth1', rxQueues: 1, mtu: 1400, mac: Uint8Array.of(2, 0, 0, 0, 0, 3), forwarding4: true });
const fib = machine.net.fib;
fib.addRoute({ dst: '10.0.0.0/8', ifindex: 2, via: { addr: '10.0.0.1' } });
fib.addRoute({ dst: '10.9.0.0/16', ifindex: 3 });
fib.addRoute({ dst: '10.66.0.0/16', ifindex: 2, type: 'blackhole' });
fib.addRoute({ dst: '10.67.0.0/16', ifindex: 2, type: 'unreachable' });
fib.addRoute({ dst: '10.68.0.0/16', ifindex: 2, type: 'prohibit' });
fib.addRoute({ dst: '10.69.0.0/16', ifindex: 2, prefsrc: '10.0.0.5', metric: 7 });
fib.addRoute({ dst: '10.70.0.0/16', ifindex: 2, encap: true });
fib.addRoute({ family: AF_INET6, dst: '2001:db8::/32', ifindex: 2, via: { family: AF_INET6, addr: 'fe80::1' } });
fib.addNeighbour(2, AF_INET, '10.0.0.1', GW_MAC);
fib.addNeighbour(2, AF_INET6, 'fe80::1', GW_MAC);

/** An XDP program that fills bpf_fib_lookup params, calls it, and copies the params into the packet. */
function fibProg(o: { family?: number; ifindex?: number; dst: readonly number[]; totLen?: number; flags?: number }): string {
  let s = 'r6 = r1\nr1 = 0\n';
  for (let i = 8; i <= 64; i += 8) s += `*(u64 *)(r10 -${i}) = r1\n`;
  s += `r1 = ${o.family ?? AF_INET}\n*(u8 *)(r10 -64) = r1\nr1 = ${o.ifindex ?? 2}\n*(u32 *)(r10 -56) = r1\nr1 = ${o.totLen ?? 0}\n*(u16 *)(r10 -58) = r1\n`;
  o.dst.forEach((b, i) => { s += `r1 = ${b}\n*(u8 *)(r10 -${32 - i}) = r1\n`; });
  s += `r1 = r6\nr2 = r10\nr2 += -64\nr3 = 64\nr4 = ${o.flags ?? 0}\ncall bpf_fib_lookup\nr7 = r0\n`;
  s += 'r2 = *(u32 *)(r6 +0)\nr3 = *(u32 *)(r6 +4)\nr4 = r2\nr4 += 64\nif r4 > r3 goto out\n';
  for (let i = 0; i < 64; i += 8) s += `r1 = *(u64 *)(r10 -${64 - i})\n*(u64 *)(r2 +${i}) = r1\n`;
  return `${s}out:\nr0 = r7\nexit`;
}

function xdp(src: string): TestRunResult {
  const p = sim.loadProgram({ type: U.BPF_PROG_TYPE_XDP, insns: assemble(src).insns, name: 't' }).program;
  try {
    return p.testRun({ data: frame(64) });
  } finally {
    p.close();
  }
}

describe('bpf_fib_lookup against the Machine FIB', () => {
  test('a gatewayed route with a neighbour: device, next hop and both MACs', () => {
    const r = xdp(fibProg({ dst: [10, 1, 2, 3], totLen: 100 }));
    expect(r.retval).toBe(BPF_FIB_LKUP_RET.SUCCESS);
    const v = new DataView(r.data.buffer);
    expect(v.getUint32(8, true)).toBe(2);
    expect([...r.data.subarray(32, 36)]).toEqual([10, 0, 0, 1]);
    expect([...r.data.subarray(52, 58)]).toEqual([...MAC2]);
    expect([...r.data.subarray(58, 64)]).toEqual([...GW_MAC]);
    expect(v.getUint16(6, true)).toBe(1500);
  });

  test('route types, missing neighbours, MTU, source addresses, encapsulation, disabled forwarding', () => {
    expect(xdp(fibProg({ dst: [10, 9, 0, 1] })).retval).toBe(BPF_FIB_LKUP_RET.NO_NEIGH);
    expect(xdp(fibProg({ dst: [10, 9, 0, 1], flags: BPF_FIB_LOOKUP.SKIP_NEIGH })).retval).toBe(BPF_FIB_LKUP_RET.SUCCESS);
    expect(xdp(fibProg({ dst: [10, 66, 0, 1] })).retval).toBe(BPF_FIB_LKUP_RET.BLACKHOLE);
    expect(xdp(fibProg({ dst: [10, 67, 0, 1] })).retval).toBe(BPF_FIB_LKUP_RET.UNREACHABLE);
    expect(xdp(fibProg({ dst: [10, 68, 0, 1] })).retval).toBe(BPF_FIB_LKUP_RET.PROHIBIT);
    expect(xdp(fibProg({ dst: [10, 70, 0, 1] })).retval).toBe(BPF_FIB_LKUP_RET.UNSUPP_LWT);
    expect(xdp(fibProg({ dst: [192, 168, 0, 1] })).retval).toBe(BPF_FIB_LKUP_RET.NOT_FWDED);
    expect(xdp(fibProg({ dst: [10, 1, 2, 3], ifindex: 1 })).retval).toBe(BPF_FIB_LKUP_RET.FWD_DISABLED);
    expect(xdp(fibProg({ dst: [10, 1, 2, 3], ifindex: 9 })).retval).toBe(-19 >>> 0);
    const big = xdp(fibProg({ dst: [10, 9, 0, 1], totLen: 1401 }));
    expect([big.retval, new DataView(big.data.buffer).getUint16(6, true)]).toEqual([BPF_FIB_LKUP_RET.FRAG_NEEDED, 1400]);
    const src = xdp(fibProg({ dst: [10, 69, 0, 1], flags: BPF_FIB_LOOKUP.SRC | BPF_FIB_LOOKUP.SKIP_NEIGH }));
    expect([src.retval, [...src.data.subarray(16, 20)], new DataView(src.data.buffer).getUint32(12, true)]).toEqual([0, [10, 0, 0, 5], 7]);
    expect(xdp(fibProg({ dst: [10, 1, 2, 3], flags: BPF_FIB_LOOKUP.SRC })).retval).toBe(BPF_FIB_LKUP_RET.NO_SRC_ADDR);
  });

  test('IPv6 through a link-local gateway', () => {
    const r = xdp(fibProg({ family: AF_INET6, dst: [0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1] }));
    expect(r.retval).toBe(BPF_FIB_LKUP_RET.SUCCESS);
    expect([...r.data.subarray(32, 34)]).toEqual([0xfe, 0x80]);
    expect([...r.data.subarray(58, 64)]).toEqual([...GW_MAC]);
  });
});

describe('socket lookups against the Machine socket table', () => {
  machine.net.sockets.add({ family: AF_INET, protocol: IPPROTO_TCP, state: TcpState.LISTEN, localIp: '10.0.0.2', localPort: 80 });
  machine.net.sockets.add({ family: AF_INET, protocol: IPPROTO_TCP, state: TcpState.ESTABLISHED, localIp: '10.0.0.2', localPort: 80, remoteIp: '10.0.0.1', remotePort: 4321 });
  machine.net.sockets.add({ family: AF_INET, protocol: IPPROTO_UDP, localPort: 53 });

  /** Looks up 10.0.0.1:sport -> 10.0.0.2:dport and returns (state << 16) | local port, or 0xffff when none. */
  const lookup = (helper: string, sport: number, dport: number) => `r6 = r1
    r1 = 0x0200000a0100000a ll
    *(u64 *)(r10 -16) = r1
    r1 = ${((dport >> 8) | ((dport & 0xff) << 8)) * 0x10000 + ((sport >> 8) | ((sport & 0xff) << 8))}
    *(u32 *)(r10 -8) = r1
    r1 = r6
    r2 = r10
    r2 += -16
    r3 = 12
    r4 = -1
    r5 = 0
    call bpf_${helper}
    if r0 == 0 goto none
    r7 = *(u32 *)(r0 +72)
    r7 <<= 16
    r1 = *(u32 *)(r0 +44)
    r7 |= r1
    r1 = r0
    call bpf_sk_release
    r0 = r7
    exit
  none:
    r0 = 0xffff
    exit`;

  test('TCP finds the established socket before the listener, UDP the wildcard socket', () => {
    expect(xdp(lookup('sk_lookup_tcp', 4321, 80)).retval).toBe((TcpState.ESTABLISHED << 16) | 80);
    expect(xdp(lookup('sk_lookup_tcp', 5555, 80)).retval).toBe((TcpState.LISTEN << 16) | 80);
    expect(xdp(lookup('skc_lookup_tcp', 5555, 80)).retval).toBe((TcpState.LISTEN << 16) | 80);
    expect(xdp(lookup('sk_lookup_tcp', 5555, 81)).retval).toBe(0xffff);
    expect(xdp(lookup('sk_lookup_udp', 5555, 53)).retval).toBe((TcpState.CLOSE << 16) | 53);
    expect(xdp(lookup('sk_lookup_udp', 5555, 80)).retval).toBe(0xffff);
  });
});
