/*
 * SK_SKB against Linux with real sockets: Linux cannot test-run sk_skb, so each program is
 * attached as the stream verdict (or the stream parser, beside a verdict that passes everything)
 * of a SOCKMAP holding the server end of a loopback TCP connection, the client sends a message, and what the program recorded in an array map (helper results, the
 * context's fields, the linear length, the first bytes) and what the server received are compared
 * with bpfsim's direct run of the same program on the same payload and socket addresses.
 */
import { afterAll, describe, expect, test } from 'vitest';
import { KernelBackend, kernelAvailable, progAttach } from '../../../src/kernel/index.js';
import type { KernelMap, KernelProgram } from '../../../src/kernel/index.js';
import { assemble } from '../../../src/isa/index.js';
import * as U from '../../../src/uapi.js';
import { Machine, SimBackend, SkBuffMd, TcpState } from '../../../src/vm/index.js';
import type { BackendMap, SimProgram } from '../../../src/vm/index.js';
import { fdOf, settle, tcpPair } from '../../support/tcp.js';
import type { TcpPair } from '../../support/tcp.js';

const available = kernelAvailable();
if (!available.ok) console.log(`skipping the sk_skb comparison with the kernel: ${available.reason}`);
const kernel = available.ok ? new KernelBackend() : undefined;
const machine = new Machine();
const sim = new SimBackend({ machine, checked: true });
afterAll(() => {
  kernel?.close();
  sim.close();
});

const payload = Buffer.from('hello world!');
const VERDICT = U.BPF_SK_SKB_STREAM_VERDICT;
const PARSER = U.BPF_SK_SKB_STREAM_PARSER;
/** Context fields the program records after its helper call, by their map key (from 4). */
const FIELDS = ['protocol', 'family', 'remote_ip4', 'local_ip4', 'remote_port', 'local_port', 'gso_segs', 'ifindex',
  'ingress_ifindex', 'pkt_type', 'priority', 'tc_index', 'vlan_present', 'queue_mapping', 'napi_id', 'gso_size'] as const;

/** Stores r`reg` under `key` of the array map (clobbers r1-r5). */
function record(key: number, reg: string): string {
  return `*(u64 *)(r10 -16) = ${reg}\nr1 = ${key}\n*(u32 *)(r10 -4) = r1\nr1 = map[idx:0]\nr2 = r10\nr2 += -4\nr3 = r10\nr3 += -16\nr4 = 0\ncall bpf_map_update_elem\n`;
}

/**
 * The verdict program: `call` (r6 = ctx, leaves r0), then records r0, len, data_end - data, the
 * first 8 bytes (bpf_skb_load_bytes) and FIELDS, and returns `verdict` (r9: the helper's r0).
 */
function program(call: string, verdict: string): string {
  let src = `r6 = r1\n${call}\nr9 = r0\n${record(0, 'r0')}r1 = *(u32 *)(r6 +0)\n${record(1, 'r1')}`;
  src += `r2 = *(u32 *)(r6 +76)\nr3 = *(u32 *)(r6 +80)\nr3 -= r2\n${record(2, 'r3')}`;
  src += `r1 = 0\n*(u64 *)(r10 -24) = r1\nr1 = r6\nr2 = 0\nr3 = r10\nr3 += -24\nr4 = 8\ncall bpf_skb_load_bytes\nr1 = *(u64 *)(r10 -24)\n${record(3, 'r1')}`;
  FIELDS.forEach((f, i) => { src += `r1 = *(u32 *)(r6 +${SkBuffMd[f]})\n${record(4 + i, 'r1')}`; });
  return `${src}r0 = ${verdict}\nexit`;
}

const sockmapSpec = { type: U.BPF_MAP_TYPE_SOCKMAP, keySize: 4, valueSize: 4, maxEntries: 2 };
const recSpec = { type: U.BPF_MAP_TYPE_ARRAY, keySize: 4, valueSize: 8, maxEntries: 4 + FIELDS.length };

function readRecord(m: BackendMap): Record<string, string> {
  const out: Record<string, string> = {};
  const names = ['r0', 'len', 'linear', 'bytes', ...FIELDS];
  names.forEach((n, i) => {
    const v = m.lookup(Uint8Array.of(i, 0, 0, 0))!;
    out[n] = new DataView(v.buffer, v.byteOffset).getBigUint64(0, true).toString(16);
  });
  return out;
}

/** What the kernel's program recorded and what the server read, for one message. */
async function onKernel(src: string, eat: number): Promise<{ rec: Record<string, string>; got: string; ports: [number, number] }> {
  const k = kernel!;
  const rec = k.createMap(recSpec) as KernelMap;
  const sockmap = k.createMap(sockmapSpec) as KernelMap;
  const load = (text: string, attach: number) => k.loadProgram({
    type: U.BPF_PROG_TYPE_SK_SKB, insns: assemble(text).insns, name: 'v', expectedAttachType: attach, maps: [rec, sockmap],
  }).program as KernelProgram;
  const prog = load(src, eat);
  const pass = eat === PARSER ? load('r0 = 1\nexit', VERDICT) : undefined;
  let pair: TcpPair | undefined;
  try {
    progAttach({ target_fd: sockmap.fd.raw, attach_bpf_fd: prog.fd.raw, attach_type: eat });
    if (pass) progAttach({ target_fd: sockmap.fd.raw, attach_bpf_fd: pass.fd.raw, attach_type: VERDICT });
    const c = await tcpPair();
    pair = c;
    const v = new Uint8Array(4);
    new DataView(v.buffer).setUint32(0, fdOf(c.accepted), true);
    sockmap.update(Uint8Array.of(0, 0, 0, 0), v);
    c.client.write(payload);
    await settle(() => c.acceptedGot() !== '');
    return { rec: readRecord(rec), got: c.acceptedGot(), ports: [c.client.localPort!, c.accepted.localPort!] };
  } finally {
    pair?.close();
    prog.close();
    pass?.close();
    sockmap.close();
    rec.close();
  }
}

/**
 * The same program on bpfsim, with the connection's addresses; `got` is data out when a verdict
 * passes it to the server, or the message when a parser says it is complete (its whole length).
 */
function onSim(src: string, eat: number, [clientPort, serverPort]: [number, number]): { rec: Record<string, string>; got: string } {
  const rec = sim.createMap(recSpec);
  const sockmap = sim.createMap(sockmapSpec);
  const self = machine.net.sockets.add({ state: TcpState.ESTABLISHED, localIp: '127.0.0.1', localPort: serverPort, remoteIp: '127.0.0.1', remotePort: clientPort });
  const fd = machine.fds.open({ kind: 'socket', socket: self });
  sockmap.update(Uint8Array.of(0, 0, 0, 0), Uint8Array.of(fd, 0, 0, 0));
  const ctx = new Uint8Array(192);
  const v = new DataView(ctx.buffer);
  v.setBigUint64(SkBuffMd.sk, BigInt(self.address), true);
  v.setUint32(SkBuffMd.ingress_ifindex, 1, true);
  const p = sim.loadProgram({ type: U.BPF_PROG_TYPE_SK_SKB, insns: assemble(src).insns, name: 'v', expectedAttachType: eat, maps: [rec, sockmap] }).program as SimProgram;
  try {
    const r = p.run({ data: payload, ctx });
    const toSelf = r.redirect?.kind === 'sock' && r.redirect.cookie === self.cookie && r.redirect.ingress;
    const passed = eat === PARSER ? r.retval === payload.length : r.retval === 1 && (!r.redirect || toSelf);
    return { rec: readRecord(rec), got: passed ? Buffer.from(r.data).toString('hex') : '' };
  } finally {
    p.close();
    machine.fds.close(fd);
    machine.net.sockets.remove(self);
    sockmap.close();
    rec.close();
  }
}

const CASES: [string, string, string][] = [
  ['pass', 'r0 = 0', '1'],
  ['drop', 'r0 = 0', '0'],
  ['an unknown verdict drops', 'r0 = 0', '2'],
  ['pull 5 bytes', 'r1 = r6\nr2 = 5\ncall bpf_skb_pull_data', '1'],
  ['pull the linear part', 'r1 = r6\nr2 = 0\ncall bpf_skb_pull_data', '1'],
  ['pull past the end', 'r1 = r6\nr2 = 13\ncall bpf_skb_pull_data', '1'],
  ['grow the tail', 'r1 = r6\nr2 = 16\nr3 = 0\ncall bpf_skb_change_tail', '1'],
  ['trim the tail', 'r1 = r6\nr2 = 8\nr3 = 0\ncall bpf_skb_change_tail', '1'],
  ['change_tail flags', 'r1 = r6\nr2 = 16\nr3 = 1\ncall bpf_skb_change_tail', '1'],
  ['push a head', 'r1 = r6\nr2 = 4\nr3 = 0\ncall bpf_skb_change_head', '1'],
  ['change_head flags', 'r1 = r6\nr2 = 4\nr3 = 1\ncall bpf_skb_change_head', '1'],
  ['adjust_room grows', 'r1 = r6\nr2 = 4\nr3 = 0\nr4 = 0\ncall bpf_skb_adjust_room', '1'],
  ['adjust_room shrinks', 'r1 = r6\nr2 = -2\nr3 = 0\nr4 = 0\ncall bpf_skb_adjust_room', '1'],
  ['adjust_room past the end', 'r1 = r6\nr2 = -13\nr3 = 0\nr4 = 0\ncall bpf_skb_adjust_room', '1'],
  ['adjust_room mode', 'r1 = r6\nr2 = 4\nr3 = 1\nr4 = 0\ncall bpf_skb_adjust_room', '1'],
  ['store bytes', 'r1 = 0x41414141\n*(u32 *)(r10 -32) = r1\nr1 = r6\nr2 = 1\nr3 = r10\nr3 += -32\nr4 = 4\nr5 = 0\ncall bpf_skb_store_bytes', '1'],
  ['store past the end', 'r1 = 0x41414141\n*(u32 *)(r10 -32) = r1\nr1 = r6\nr2 = 10\nr3 = r10\nr3 += -32\nr4 = 4\nr5 = 0\ncall bpf_skb_store_bytes', '1'],
  ['socket uid', 'r1 = r6\ncall bpf_get_socket_uid', '1'],
  ['priority and tc_index', 'r1 = 5\n*(u32 *)(r6 +32) = r1\nr1 = 0x10003\n*(u32 *)(r6 +44) = r1\nr0 = 0', '1'],
  ['redirect to an empty slot', 'r1 = r6\nr2 = map[idx:1]\nr3 = 1\nr4 = 0\ncall bpf_sk_redirect_map', 'r9'],
  ['redirect with bad flags', 'r1 = r6\nr2 = map[idx:1]\nr3 = 0\nr4 = 2\ncall bpf_sk_redirect_map', 'r9'],
  ['redirect onto its own receive queue', 'r1 = r6\nr2 = map[idx:1]\nr3 = 0\nr4 = 1\ncall bpf_sk_redirect_map', 'r9'],
];

/** Stream parsers: the helper, then the length the parser returns. */
const WHOLE = '*(u32 *)(r6 +0)';
const PARSER_CASES: [string, string, string][] = [
  ['the whole message', 'r0 = 0', WHOLE],
  ['need more data', 'r0 = 0', '0'],
  ['pull 5 bytes', 'r1 = r6\nr2 = 5\ncall bpf_skb_pull_data', WHOLE],
  ['socket uid', 'r1 = r6\ncall bpf_get_socket_uid', WHOLE],
];

async function compareOn(eat: number, call: string, verdict: string): Promise<void> {
  const text = program(call, verdict);
  const k = await onKernel(text, eat);
  const s = onSim(text, eat, k.ports);
  expect(s).toEqual({ rec: k.rec, got: k.got });
}

describe.skipIf(!kernel)('sk_skb stream verdicts match Linux on a loopback TCP connection', () => {
  test.each(CASES)('%s', async (_name, call, verdict) => compareOn(VERDICT, call, verdict));
});

describe.skipIf(!kernel)('sk_skb stream parsers match Linux on a loopback TCP connection', () => {
  test.each(PARSER_CASES)('%s', async (_name, call, verdict) => compareOn(PARSER, call, verdict));
});
