/*
 * Socket lookups on bpfsim and on Linux with the same sockets open: a TCP listener, both ends of a
 * connection to it and a bound UDP socket on 127.0.0.1, opened for real (so the kernel finds them)
 * and entered into the simulated Machine's socket table. XDP and tc programs look up tuples with
 * sk_lookup_tcp/udp and skc_lookup_tcp and return one `bpf_sock` field of what they find; every
 * field of every lookup must agree.
 */
import * as net from 'node:net';
import * as dgram from 'node:dgram';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { jit } from '../../../src/jit/index.js';
import * as U from '../../../src/uapi.js';
import { AF_INET, BpfSock, IPPROTO_TCP, IPPROTO_UDP, Machine, TcpState } from '../../../src/vm/index.js';
import { Tally, frame, kernelBackend, kernelSkip, simBackend } from '../../vm/progtypes/support/pair.js';

const kernel = kernelSkip ? undefined : kernelBackend();
const machine = new Machine({ engines: [jit] });
const sim = simBackend(machine);
if (kernelSkip) console.log(`skipping the socket lookup comparison with the kernel: ${kernelSkip}`);

const open: { close(): void }[] = [];
let port = 0;
let clientPort = 0;
let udpPort = 0;

beforeAll(async () => {
  if (!kernel) return;
  let accept: (s: net.Socket) => void = () => {};
  const accepted = new Promise<net.Socket>((resolve) => { accept = resolve; });
  const server = net.createServer((s) => accept(s));
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = server.address().port;
  const client = await new Promise<net.Socket>((resolve) => {
    const s = net.connect(port, '127.0.0.1', () => resolve(s));
  });
  const peer = await accepted;
  clientPort = client.localPort!;
  const udp = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => udp.bind(0, '127.0.0.1', resolve));
  udpPort = udp.address().port;
  open.push({ close: () => client.destroy() }, { close: () => peer.destroy() }, { close: () => server.close() }, { close: () => udp.close() });
  const lo = '127.0.0.1';
  const tcp = { family: AF_INET, protocol: IPPROTO_TCP, type: 1 };
  machine.net.sockets.add({ ...tcp, state: TcpState.LISTEN, localIp: lo, localPort: port });
  machine.net.sockets.add({ ...tcp, state: TcpState.ESTABLISHED, localIp: lo, localPort: port, remoteIp: lo, remotePort: clientPort });
  machine.net.sockets.add({ ...tcp, state: TcpState.ESTABLISHED, localIp: lo, localPort: clientPort, remoteIp: lo, remotePort: port });
  machine.net.sockets.add({ family: AF_INET, protocol: IPPROTO_UDP, type: 2, localIp: lo, localPort: udpPort });
});

afterAll(() => {
  for (const s of open) s.close();
  kernel?.close();
  sim.close();
});

const be16 = (p: number) => ((p & 0xff) << 8) | (p >> 8);

/** Looks up saddr:sport -> daddr:dport and returns the u32 at `field` of the socket, or 0xdead. */
function lookup(helper: string, saddr: number, sport: number, daddr: number, dport: number, field: number, size = 12): string {
  return `r6 = r1
    r1 = ${saddr}
    *(u32 *)(r10 -16) = r1
    r1 = ${daddr}
    *(u32 *)(r10 -12) = r1
    r1 = ${be16(dport) * 0x10000 + be16(sport)} ll
    *(u32 *)(r10 -8) = r1
    r1 = r6
    r2 = r10
    r2 += -16
    r3 = ${size}
    r4 = -1
    r5 = 0
    call bpf_${helper}
    if r0 == 0 goto none
    r7 = *(u32 *)(r0 +${field})
    r1 = r0
    call bpf_sk_release
    r0 = r7
    exit
  none:
    r0 = 0xdead
    exit`;
}

const LO = 0x0100007f;
const FIELDS = Object.entries(BpfSock).filter(([n]) => !['src_ip6', 'dst_ip6'].includes(n));

describe.skipIf(!kernel)('socket lookups match the kernel with the same sockets open', () => {
  test('every bpf_sock field of what sk_lookup_tcp/udp and skc_lookup_tcp find, from XDP and tc', () => {
    const t = new Tally();
    let refused = 0;
    const tuples: [string, number, number, number, number][] = [
      ['sk_lookup_tcp', LO, clientPort, LO, port], ['sk_lookup_tcp', LO, port, LO, clientPort],
      ['sk_lookup_tcp', 0x0200007f, 9999, LO, port], ['sk_lookup_tcp', LO, 9999, LO, udpPort],
      ['skc_lookup_tcp', LO, clientPort, LO, port], ['skc_lookup_tcp', 0x0200007f, 9999, LO, port],
      ['sk_lookup_udp', LO, 5555, LO, udpPort], ['sk_lookup_udp', LO, 5555, LO, port],
    ];
    for (const [helper, saddr, sport, daddr, dport] of tuples) {
      for (const [, off] of FIELDS) {
        for (const type of [U.BPF_PROG_TYPE_XDP, U.BPF_PROG_TYPE_SCHED_CLS]) {
          try {
            t.check(kernel!, sim, { type, prog: lookup(helper, saddr, sport, daddr, dport, off), run: { data: frame(64) } });
          } catch (e) {
            if (!(e as { errnoName?: string }).errnoName) throw e;
            refused++; // a field the verifier does not allow through this pointer type
          }
        }
      }
    }
    expect(t.mismatches, `${t.compared} cases compared, ${refused} loads refused`).toEqual([]);
    expect(t.compared).toBeGreaterThan(100);
  });
});
