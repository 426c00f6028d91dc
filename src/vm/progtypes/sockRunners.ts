import type { Region } from '../../arena/index.js';
import type { SockContext } from '../../helpers/packet.js';
import {
  BPF_PROG_TYPE_CGROUP_SOCK, BPF_PROG_TYPE_CGROUP_SOCK_ADDR, BPF_PROG_TYPE_SK_MSG, BPF_PROG_TYPE_SOCK_OPS,
} from '../../uapi.js';
import type { TestRunOptions } from '../backend.js';
import type { SimSocket } from '../net/sockets.js';
import { ctxLayout } from './ctx/layouts.js';
import { BpfSockAddr, BpfSockOps, SkMsgMd } from './ctx/sockLayouts.js';
import { CtxMemory } from './ctxMemory.js';
import { progTypeName } from './names.js';
import type { ProgTypeRunner, RunProgram, RunSetup, RunnerHost } from './types.js';

/** Where a socket context keeps its pointers: the socket, and the packet start and end (u64 each). */
interface PointerSlots {
  readonly kind: SockContext['kind'];
  /** Offset of the socket pointer. */
  readonly sk?: number;
  /** Offsets of the data and data_end pointers. */
  readonly data?: readonly [number, number];
  /** Offset of a u32 that holds the data length. */
  readonly len?: number;
  /** Offsets of family, type and protocol to build the socket from. */
  readonly from: readonly [number, number | undefined, number | undefined];
}

const SLOTS: ReadonlyMap<number, PointerSlots> = new Map([
  [BPF_PROG_TYPE_CGROUP_SOCK_ADDR, { kind: 'sock_addr', sk: BpfSockAddr.sk, from: [BpfSockAddr.family, BpfSockAddr.type, BpfSockAddr.protocol] }],
  [BPF_PROG_TYPE_CGROUP_SOCK, { kind: 'sock', from: [4, 8, 12] }],
  [BPF_PROG_TYPE_SOCK_OPS, {
    kind: 'sock_ops', sk: BpfSockOps.sk, data: [BpfSockOps.skb_data, BpfSockOps.skb_data_end], len: BpfSockOps.skb_len,
    from: [BpfSockOps.family, undefined, undefined],
  }],
  [BPF_PROG_TYPE_SK_MSG, { kind: 'sk_msg', sk: SkMsgMd.sk, data: [SkMsgMd.data, SkMsgMd.data_end], len: SkMsgMd.size, from: [SkMsgMd.family, undefined, undefined] }],
] as [number, PointerSlots][]);

/**
 * Socket-level contexts (CGROUP_SOCK_ADDR, CGROUP_SOCK, SOCK_OPS, SK_MSG): Linux has no test run
 * for them (ENOTSUPP). bpfsim's `run` lays out ctx_in as the UAPI structure, points its socket
 * pointer at a socket built from its family, type and protocol and its packet pointers at `data`,
 * runs the program, and returns the structure (pointers zeroed) as ctx out, so a test sees what a
 * connect4 program rewrote in `user_ip4` or what a sockops program put in `reply`.
 */
export function sockCtxRunners(host: RunnerHost): ProgTypeRunner[] {
  return [...SLOTS.entries()].map(([type, slots]) => ({
    type,
    name: progTypeName(type),
    testRun: false,
    setup: (opts: TestRunOptions, prog: RunProgram): RunSetup => sockSetup(host, type, slots, opts, prog),
  }));
}

function sockSetup(host: RunnerHost, type: number, slots: PointerSlots, opts: TestRunOptions, prog: RunProgram): RunSetup {
  const layout = ctxLayout(type, prog.expectedAttachType)!;
  const ctx = new CtxMemory(host.arena, layout, layout.struct);
  const ctxIn = opts.ctx ?? new Uint8Array(0);
  ctx.write(ctxIn);
  const v = ctx.view;
  const word = (off: number | undefined) => (off === undefined ? undefined : v.getUint32(ctx.start + off, true));
  const [familyAt, typeAt, protoAt] = slots.from;
  let sk: SimSocket | undefined;
  if (slots.sk !== undefined || type === BPF_PROG_TYPE_CGROUP_SOCK) {
    const protocol = word(protoAt) ?? 0;
    sk = host.net.sockets.detached({ family: word(familyAt) ?? 0, ...(typeAt !== undefined ? { type: word(typeAt)! } : {}), protocol, localPort: 0 });
    if (slots.sk !== undefined) v.setBigUint64(ctx.start + slots.sk, BigInt(sk.address), true);
  }
  let packet: Region | undefined;
  const data = opts.data ?? new Uint8Array(0);
  if (slots.data) {
    packet = host.arena.alloc(data.length, 'packet', 'packet');
    host.arena.write(packet.start, data);
    host.arena.view.setBigUint64(ctx.start + slots.data[0], BigInt(packet.start), true);
    host.arena.view.setBigUint64(ctx.start + slots.data[1], BigInt(packet.start + data.length), true);
    if (slots.len !== undefined) host.arena.view.setUint32(ctx.start + slots.len, data.length, true);
  }
  const context: SockContext = { kind: slots.kind, sk };
  host.net.register(ctx.start, context);
  return {
    ctxAddr: ctx.start,
    packet: { start: packet?.start ?? 0, len: data.length },
    finish() {
      const out = ctx.read();
      const z = new DataView(out.buffer);
      for (const off of [slots.sk, ...(slots.data ?? [])]) if (off !== undefined) z.setBigUint64(off, 0n, true);
      return { data: packet ? host.arena.read(packet.start, data.length) : new Uint8Array(0), ctx: out };
    },
    release() {
      host.net.forget(ctx.start);
      ctx.release();
      if (packet) host.arena.release(packet);
      if (sk) host.net.sockets.remove(sk);
    },
  };
}
