/*
 * bpf_tcp_sock against Linux 6.18: which loads of `struct bpf_tcp_sock` the verifier allows (every
 * offset and size, on bpfsim and on the kernel), and the fields a tc program reads from the
 * listener a real socket opened on 127.0.0.1 (entered into the simulated Machine too): a listener
 * shows what tcp_init_sock left, which is what bpfsim gives every TCP socket. A UDP socket has no
 * tcp_sock.
 */
import * as net from 'node:net';
import * as dgram from 'node:dgram';
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { jit } from '../../../src/jit/index.js';
import { assemble } from '../../../src/isa/index.js';
import * as U from '../../../src/uapi.js';
import { verifyProgram } from '../../../src/verifier/index.js';
import { AF_INET, IPPROTO_TCP, IPPROTO_UDP, Machine, TcpState } from '../../../src/vm/index.js';
import { BpfTcpSock } from '../../../src/vm/net/tcpSockView.js';
import { kernelReason } from '../../verifier/support/verdicts.js';
import { Tally, frame, kernelBackend, kernelSkip, simBackend } from '../../vm/progtypes/support/pair.js';

const kernel = kernelSkip ? undefined : kernelBackend();
const machine = new Machine({ engines: [jit] });
const sim = simBackend(machine);
if (kernelSkip) console.log(`bpf_tcp_sock is checked on bpfsim only: ${kernelSkip}`);

const LO = 0x0100007f;
const SIZES: Record<number, string> = { 1: 'u8', 2: 'u16', 4: 'u32', 8: 'u64' };
const be16 = (p: number): number => ((p & 0xff) << 8) | (p >> 8);
const open: { close(): void }[] = [];
let port = 0;
let udpPort = 0;

beforeAll(async () => {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as { port: number }).port;
  const udp = dgram.createSocket('udp4');
  await new Promise<void>((resolve) => udp.bind(0, '127.0.0.1', resolve));
  udpPort = udp.address().port;
  open.push({ close: () => server.close() }, { close: () => udp.close() });
  machine.net.sockets.add({ family: AF_INET, protocol: IPPROTO_TCP, type: 1, state: TcpState.LISTEN, localIp: '127.0.0.1', localPort: port });
  machine.net.sockets.add({ family: AF_INET, protocol: IPPROTO_UDP, type: 2, localIp: '127.0.0.1', localPort: udpPort });
});

afterAll(() => {
  for (const s of open) s.close();
  kernel?.close();
  sim.close();
});

/** Looks up a TCP (or UDP) socket on 127.0.0.1:dport, takes its tcp_sock and returns the field at `off` of `size` (0xdead without a socket, 0xbeef without a tcp_sock). */
function program(off: number, size: number, dport: number, helper = 'sk_lookup_tcp'): string {
  return `r6 = r1
    r1 = ${LO}
    *(u32 *)(r10 -16) = r1
    *(u32 *)(r10 -12) = r1
    r1 = ${be16(dport) * 0x10000 + be16(9999)} ll
    *(u32 *)(r10 -8) = r1
    r1 = r6
    r2 = r10
    r2 += -16
    r3 = 12
    r4 = -1
    r5 = 0
    call bpf_${helper}
    r8 = 0xdead
    if r0 == 0 goto out
    r7 = r0
    r1 = r0
    call bpf_tcp_sock
    r8 = 0xbeef
    if r0 == 0 goto rel
    r8 = *(${SIZES[size]} *)(r0 ${off < 0 ? off : `+${off}`})
  rel:
    r1 = r7
    call bpf_sk_release
  out:
    r0 = r8
    exit`;
}

/** bpfsim's verdict: '' or the first line of the reason. */
function simReason(text: string): string {
  const r = verifyProgram(assemble(text).insns, { progType: U.BPF_PROG_TYPE_SCHED_CLS });
  return r.ok ? '' : r.errors[0]!.message.split('\n')[0]!;
}

describe('struct bpf_tcp_sock loads', () => {
  const combos = Array.from({ length: 118 }, (_, i) => i - 2).flatMap((off) => [1, 2, 4, 8].map((size) => ({ off, size })));

  test('bpfsim allows whole, aligned u32 fields and the two u64 counters', () => {
    const allowed = combos.filter(({ off, size }) => simReason(program(off, size, 80)) === '').map(({ off, size }) => `${off}/${size}`);
    const want = Object.entries(BpfTcpSock).map(([name, off]) => `${off}/${name.startsWith('bytes_') ? 8 : 4}`);
    expect(allowed).toEqual(want);
    expect(simReason(program(2, 2, 80))).toBe('R0 invalid tcp_sock access off=2 size=2');
    expect(simReason(program(84, 4, 80))).toBe('verifier bug: error during ctx access conversion (0)');
  });

  test.skipIf(!kernel)('the kernel gives the same verdict and reason for every offset and size', () => {
    const differ: string[] = [];
    for (const { off, size } of combos) {
      const text = program(off, size, 80);
      let k = '';
      try {
        kernel!.loadProgram({ type: U.BPF_PROG_TYPE_SCHED_CLS, insns: assemble(text).insns, logLevel: 1 }).program.close();
      } catch (e) {
        k = kernelReason((e as { log?: string }).log ?? String(e)).split('\n')[0]!;
      }
      const s = simReason(text);
      if (k !== s) differ.push(`off=${off} size=${size}: kernel '${k}', bpfsim '${s}'`);
    }
    expect(differ, `${combos.length} loads compared`).toEqual([]);
  });
});

describe.skipIf(!kernel)('bpf_tcp_sock at run time, with the same sockets open', () => {
  test('every field of a listener\'s tcp_sock, and a UDP socket\'s (none)', () => {
    const t = new Tally();
    for (const [name, off] of Object.entries(BpfTcpSock)) {
      const size = name.startsWith('bytes_') ? 8 : 4;
      t.check(kernel!, sim, { type: U.BPF_PROG_TYPE_SCHED_CLS, prog: program(off, size, port), run: { data: frame(64) } });
    }
    t.check(kernel!, sim, { type: U.BPF_PROG_TYPE_SCHED_CLS, prog: program(0, 4, udpPort, 'sk_lookup_udp'), run: { data: frame(64) } });
    t.check(kernel!, sim, { type: U.BPF_PROG_TYPE_SCHED_CLS, prog: program(0, 4, 1), run: { data: frame(64) } });
    expect(t.mismatches, `${t.compared} runs compared`).toEqual([]);
    expect(t.compared).toBe(Object.keys(BpfTcpSock).length + 2);
  });
});
