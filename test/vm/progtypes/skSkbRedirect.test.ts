/*
 * Where an sk_skb verdict's redirect sends data, against Linux: two loopback TCP connections (a and
 * b) whose accepted ends sit in a SOCKMAP or SOCKHASH beside b's listener, a verdict that calls
 * bpf_sk_redirect_map/_hash, and a message from a's client. Linux's answer is which end reads the
 * message; bpfsim's run of the same program on the same entries names the socket and direction,
 * which say the same end (BPF_F_INGRESS: that socket reads it; without: its peer does).
 */
import { afterAll, describe, expect, test } from 'vitest';
import { KernelBackend, kernelAvailable, progAttach } from '../../../src/kernel/index.js';
import type { KernelMap, KernelProgram } from '../../../src/kernel/index.js';
import { assemble } from '../../../src/isa/index.js';
import * as U from '../../../src/uapi.js';
import { Machine, SimBackend, SkBuffMd, TcpState } from '../../../src/vm/index.js';
import type { Backend, BackendMap, SimProgram, SimSocket } from '../../../src/vm/index.js';
import { fdOf, settle, tcpPair } from '../../support/tcp.js';
import type { TcpPair } from '../../support/tcp.js';

const available = kernelAvailable();
if (!available.ok) console.log(`skipping the sk_skb redirect comparison with the kernel: ${available.reason}`);
const kernel = available.ok ? new KernelBackend() : undefined;
const machine = new Machine();
const sim = new SimBackend({ machine, checked: true });
afterAll(() => {
  kernel?.close();
  sim.close();
});

const payload = Buffer.from('redirect me');
const VERDICT = U.BPF_SK_SKB_STREAM_VERDICT;

/** Which end of the two connections reads the message. */
type End = 'a.accepted' | 'a.client' | 'b.accepted' | 'b.client' | 'none';

/** The verdict: redirect to `key` of map 0 with `flags`, returning what the helper returned. */
function program(hash: boolean, key: number, flags: number): string {
  return hash
    ? `r2 = ${key}\n*(u32 *)(r10 -4) = r2\nr2 = map[idx:0]\nr3 = r10\nr3 += -4\nr4 = ${flags}\ncall bpf_sk_redirect_hash\nexit`
    : `r2 = map[idx:0]\nr3 = ${key}\nr4 = ${flags}\ncall bpf_sk_redirect_map\nexit`;
}

function mapSpec(hash: boolean) {
  return { type: hash ? U.BPF_MAP_TYPE_SOCKHASH : U.BPF_MAP_TYPE_SOCKMAP, keySize: 4, valueSize: 4, maxEntries: 4 };
}

function put(m: BackendMap, key: number, fd: number): void {
  m.update(Uint8Array.of(key, 0, 0, 0), Uint8Array.of(fd & 0xff, fd >> 8, 0, 0));
}

function load(b: Backend, src: string, m: BackendMap) {
  return b.loadProgram({ type: U.BPF_PROG_TYPE_SK_SKB, insns: assemble(src).insns, name: 'redir', expectedAttachType: VERDICT, maps: [m] }).program;
}

/** Linux: entries 0 = a's accepted end, 1 = b's, 2 = b's listener; the end that reads a's message. */
async function onKernel(hash: boolean, src: string): Promise<End> {
  const map = kernel!.createMap(mapSpec(hash)) as KernelMap;
  const prog = load(kernel!, src, map) as KernelProgram;
  const pairs: TcpPair[] = [];
  try {
    progAttach({ target_fd: map.fd.raw, attach_bpf_fd: prog.fd.raw, attach_type: VERDICT });
    const a = await tcpPair();
    pairs.push(a);
    const b = await tcpPair();
    pairs.push(b);
    put(map, 0, fdOf(a.accepted));
    put(map, 1, fdOf(b.accepted));
    put(map, 2, fdOf(b.server));
    a.client.write(payload);
    const ends: [End, () => string][] = [['a.accepted', a.acceptedGot], ['a.client', a.clientGot], ['b.accepted', b.acceptedGot], ['b.client', b.clientGot]];
    await settle(() => ends.some(([, got]) => got() !== ''));
    const readers = ends.filter(([, got]) => got() !== '');
    expect(readers.every(([, got]) => got() === payload.toString('hex'))).toBe(true);
    return readers.length === 1 ? readers[0]![0] : 'none';
  } finally {
    for (const p of pairs) p.close();
    prog.close();
    map.close();
  }
}

/** bpfsim: the same entries as Machine sockets, the verdict run on a's accepted end. */
function onSim(hash: boolean, src: string): End {
  const map = sim.createMap(mapSpec(hash));
  const sock = (localPort: number, state: number): SimSocket =>
    machine.net.sockets.add({ state, localIp: '127.0.0.1', localPort, ...(state === TcpState.ESTABLISHED ? { remoteIp: '127.0.0.1', remotePort: localPort + 1 } : {}) });
  const socks = [sock(1000, TcpState.ESTABLISHED), sock(2000, TcpState.ESTABLISHED), sock(2000, TcpState.LISTEN)];
  const fds = socks.map((s) => machine.fds.open({ kind: 'socket', socket: s }));
  fds.forEach((fd, i) => put(map, i, fd));
  const p = load(sim, src, map) as SimProgram;
  try {
    const ctx = new Uint8Array(192);
    new DataView(ctx.buffer).setBigUint64(SkBuffMd.sk, BigInt(socks[0]!.address), true);
    const r = p.run({ data: payload, ctx });
    if (r.retval !== 1) return 'none';
    if (r.redirect?.kind !== 'sock') return 'a.accepted';
    const who = r.redirect.cookie === socks[0]!.cookie ? 'a' : r.redirect.cookie === socks[1]!.cookie ? 'b' : undefined;
    if (!who) return 'none';
    return `${who}.${r.redirect.ingress ? 'accepted' : 'client'}`;
  } finally {
    p.close();
    fds.forEach((fd) => machine.fds.close(fd));
    socks.forEach((s) => machine.net.sockets.remove(s));
    map.close();
  }
}

const CASES: [string, boolean, number, number][] = [
  ['sockmap: out of b to its client', false, 1, 0],
  ['sockmap: onto b\'s receive queue', false, 1, 1],
  ['sockmap: back out of a to its own client', false, 0, 0],
  ['sockmap: a listener refuses', false, 2, 0],
  ['sockmap: an empty slot drops', false, 3, 0],
  ['sockmap: an unknown flag drops', false, 1, 4],
  ['sockhash: out of b to its client', true, 1, 0],
  ['sockhash: onto b\'s receive queue', true, 1, 1],
  ['sockhash: a missing key drops', true, 9, 1],
];

describe.skipIf(!kernel)('sk_skb redirects reach the socket Linux sends them to', () => {
  test.each(CASES)('%s', async (_name, hash, key, flags) => {
    const src = program(hash, key, flags);
    expect(onSim(hash, src)).toBe(await onKernel(hash, src));
  });
});
