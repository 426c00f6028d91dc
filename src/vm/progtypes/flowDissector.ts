import { ERRNO, ErrnoError } from '../../errno.js';
import type { FlowContext } from '../../helpers/packet.js';
import { BPF_PROG_TYPE_FLOW_DISSECTOR } from '../../uapi.js';
import { SK_BUFF_LAYOUTS, SkBuffMd } from './ctx/skBuffLayout.js';
import { CtxMemory } from './ctxMemory.js';
import { ETH_HLEN } from './ethernet.js';
import { ctxBuffer, copyOut } from './skbRunner.js';
import type { ProgTypeRunner, RunSetup, RunnerHost } from './types.js';

/** `sizeof(struct bpf_flow_keys)`. */
export const BPF_FLOW_KEYS_SIZE = 56;
/** Field offsets of `struct bpf_flow_keys`. */
export const BpfFlowKeys = {
  nhoff: 0, thoff: 2, addr_proto: 4, is_frag: 6, is_first_frag: 7, is_encap: 8, ip_proto: 9, n_proto: 10,
  sport: 12, dport: 14, ipv4_src: 16, ipv4_dst: 20, ipv6_src: 16, ipv6_dst: 32, flags: 48, flow_label: 52,
} as const;

function einval(detail: string): ErrnoError {
  return new ErrnoError('BPF_PROG_TEST_RUN', ERRNO.EINVAL, detail);
}

/**
 * FLOW_DISSECTOR test runs (`bpf_prog_test_run_flow_dissector`): the frame from its Ethernet header,
 * flow keys seeded with the EtherType and nhoff = thoff = 14 before every run and clamped to the
 * frame after it, the keys as data out, and ctx_in (a `bpf_flow_keys` with only `flags` set) as ctx out.
 */
export function flowDissectorRunner(host: RunnerHost): ProgTypeRunner {
  return {
    type: BPF_PROG_TYPE_FLOW_DISSECTOR,
    name: 'flow_dissector',
    testRun: true,
    setup(opts): RunSetup {
      if ((opts.flags ?? 0) !== 0 || (opts.cpu ?? 0) !== 0) throw einval('flow dissector test runs take no flags and no CPU');
      const data = opts.data ?? new Uint8Array(0);
      if (data.length < ETH_HLEN || data.length > 4096) throw einval(`flow dissector test runs take ${ETH_HLEN} to 4096 bytes of data, not ${data.length}`);
      const ctxIn = ctxBuffer(opts, BPF_FLOW_KEYS_SIZE);
      if (ctxIn?.some((b, i) => b !== 0 && (i < BpfFlowKeys.flags || i >= BpfFlowKeys.flags + 4))) throw einval('only bpf_flow_keys.flags may be set in ctx_in');
      const flags = ctxIn ? new DataView(ctxIn.buffer).getUint32(BpfFlowKeys.flags, true) : 0;
      const arena = host.arena;
      const ctx = new CtxMemory(arena, SK_BUFF_LAYOUTS.get(BPF_PROG_TYPE_FLOW_DISSECTOR)!, 'bpf_flow_dissector');
      const pkt = arena.alloc(data.length, 'packet', 'packet', { writable: false });
      arena.write(pkt.start, data);
      const keys = arena.alloc(BPF_FLOW_KEYS_SIZE, 'ctx', 'bpf_flow_keys');
      const v = () => arena.view;
      v().setUint32(ctx.start + SkBuffMd.data, pkt.start, true);
      v().setUint32(ctx.start + SkBuffMd.data_end, pkt.start + data.length, true);
      v().setBigUint64(ctx.start + SkBuffMd.flow_keys, BigInt(keys.start), true);
      const context: FlowContext = { kind: 'flow_dissector', skb: undefined };
      host.net.register(ctx.start, context);
      const k = keys.start;
      return {
        ctxAddr: ctx.start,
        packet: { start: pkt.start, len: data.length },
        beforeEach() {
          arena.u8.fill(0, k, k + BPF_FLOW_KEYS_SIZE);
          arena.u8.set(data.subarray(12, 14), k + BpfFlowKeys.n_proto);
          v().setUint16(k + BpfFlowKeys.nhoff, ETH_HLEN, true);
          v().setUint16(k + BpfFlowKeys.thoff, ETH_HLEN, true);
          v().setUint32(k + BpfFlowKeys.flags, flags, true);
        },
        finish(o) {
          const clamp = (x: number, lo: number, hi: number) => Math.min(Math.max(x, lo), hi);
          const nhoff = clamp(v().getUint16(k + BpfFlowKeys.nhoff, true), ETH_HLEN, data.length);
          v().setUint16(k + BpfFlowKeys.nhoff, nhoff, true);
          v().setUint16(k + BpfFlowKeys.thoff, clamp(v().getUint16(k + BpfFlowKeys.thoff, true), nhoff, data.length), true);
          return copyOut(o, arena.read(k, BPF_FLOW_KEYS_SIZE), ctxIn);
        },
        release() {
          host.net.forget(ctx.start);
          ctx.release();
          arena.release(pkt);
          arena.release(keys);
        },
      };
    },
  };
}
