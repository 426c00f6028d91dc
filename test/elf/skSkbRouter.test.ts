/*
 * bpf/sk_skb_router.c loaded from its ELF object on both backends: on Linux its verdict is attached
 * to the object's SOCKMAP holding the accepted ends of two loopback TCP connections (index 0 and
 * 1), and each message from the first connection's client is read by the end the router picks;
 * bpfsim's run of the same program on the same entries must name that end.
 */
import { afterAll, describe, expect, test } from 'vitest';
import { loadCollection, loadCollectionSpec } from '../../src/elf/index.js';
import type { Collection } from '../../src/elf/index.js';
import { KernelBackend, kernelAvailable, progAttach } from '../../src/kernel/index.js';
import type { KernelMap, KernelProgram } from '../../src/kernel/index.js';
import { createMachine } from '../../src/machines.js';
import * as U from '../../src/uapi.js';
import { SimBackend, SkBuffMd, TcpState } from '../../src/vm/index.js';
import type { SimProgram } from '../../src/vm/index.js';
import { fdOf, settle, tcpPair } from '../support/tcp.js';
import type { TcpPair } from '../support/tcp.js';
import { fixture } from './support/objects.js';

const available = kernelAvailable();
if (!available.ok) console.log(`skipping the sk_skb router on the kernel: ${available.reason}`);
const kernel = available.ok ? new KernelBackend() : undefined;
const sim = new SimBackend({ machine: createMachine() });
afterAll(() => {
  kernel?.close();
  sim.close();
});

const spec = loadCollectionSpec(fixture('sk_skb_router.o'), { objectName: 'sk_skb_router' });
const put = (c: Collection, key: number, fd: number) => c.maps['socks']!.update(Uint8Array.of(key, 0, 0, 0), Uint8Array.of(fd & 0xff, fd >> 8, 0, 0));

/** Which end reads a message from the first connection's client. */
type End = 'a.accepted' | 'b.accepted' | 'none';

async function onKernel(prog: string, eat: number, message: string): Promise<End> {
  const c = loadCollection(spec, { backend: kernel!, programs: [prog] });
  const pairs: TcpPair[] = [];
  try {
    progAttach({ target_fd: (c.maps['socks'] as KernelMap).fd.raw, attach_bpf_fd: (c.programs[prog]!.program as KernelProgram).fd.raw, attach_type: eat });
    for (let i = 0; i < 2; i++) {
      const p = await tcpPair();
      pairs.push(p);
      put(c, i, fdOf(p.accepted));
    }
    const [a, b] = pairs as [TcpPair, TcpPair];
    a.client.write(new TextEncoder().encode(message));
    await settle(() => a.acceptedGot() !== '' || b.acceptedGot() !== '');
    if (a.clientGot() || b.clientGot()) return 'none';
    return a.acceptedGot() ? (b.acceptedGot() ? 'none' : 'a.accepted') : b.acceptedGot() ? 'b.accepted' : 'none';
  } finally {
    for (const p of pairs) p.close();
    c.close();
  }
}

function onSim(prog: string, message: string): End {
  const c = loadCollection(spec, { backend: sim, programs: [prog] });
  const m = sim.machine;
  const socks = [1000, 2000].map((port) => m.net.sockets.add({ state: TcpState.ESTABLISHED, localIp: '127.0.0.1', localPort: port, remoteIp: '127.0.0.1', remotePort: port + 1 }));
  const fds = socks.map((s) => m.fds.open({ kind: 'socket', socket: s }));
  try {
    fds.forEach((fd, i) => put(c, i, fd));
    const ctx = new Uint8Array(192);
    new DataView(ctx.buffer).setBigUint64(SkBuffMd.sk, BigInt(socks[0]!.address), true);
    const r = (c.programs[prog]!.program as SimProgram).run({ data: new TextEncoder().encode(message), ctx });
    if (r.retval !== 1) return 'none';
    if (r.redirect?.kind !== 'sock') return 'a.accepted';
    return r.redirect.cookie === socks[1]!.cookie && r.redirect.ingress ? 'b.accepted' : r.redirect.cookie === socks[0]!.cookie && r.redirect.ingress ? 'a.accepted' : 'none';
  } finally {
    fds.forEach((fd) => m.fds.close(fd));
    socks.forEach((s) => m.net.sockets.remove(s));
    c.close();
  }
}

const MESSAGES: [string, End][] = [['b: to the second socket', 'b.accepted'], ['a: back to itself', 'a.accepted'], ['x: dropped', 'none'], ['z: passed', 'a.accepted'], ['d: to an empty slot', 'none']];

describe('the sk_skb router on bpfsim', () => {
  test.each(MESSAGES)('%s', (message, want) => {
    expect(onSim('sk_router', message)).toBe(want);
    expect(onSim('sk_skb_router', message)).toBe(want);
  });

  test('its parser takes each read as one message', () => {
    const c = loadCollection(spec, { backend: sim, programs: ['sk_parser'] });
    expect((c.programs['sk_parser']!.program as SimProgram).run({ data: new Uint8Array(37) }).retval).toBe(37);
    c.close();
  });
});

describe.skipIf(!kernel)('the sk_skb router routes as on Linux', () => {
  test.each(MESSAGES)('%s', async (message, want) => {
    expect(await onKernel('sk_router', U.BPF_SK_SKB_STREAM_VERDICT, message)).toBe(want);
    expect(await onKernel('sk_skb_router', U.BPF_SK_SKB_VERDICT, message)).toBe(want);
  });
});
