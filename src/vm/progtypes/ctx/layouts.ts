import {
  BPF_PROG_TYPE_CGROUP_SOCK, BPF_PROG_TYPE_CGROUP_SOCK_ADDR, BPF_PROG_TYPE_KPROBE, BPF_PROG_TYPE_PERF_EVENT,
  BPF_PROG_TYPE_RAW_TRACEPOINT, BPF_PROG_TYPE_SK_MSG, BPF_PROG_TYPE_SOCK_OPS, BPF_PROG_TYPE_TRACEPOINT,
  BPF_PROG_TYPE_XDP, BPF_XDP_DEVMAP,
} from '../../../uapi.js';
import { bytes, whole32, whole64 } from './access.js';
import type { CtxLayout } from './access.js';
import { SK_BUFF_LAYOUTS } from './skBuffLayout.js';
import { SK_MSG_LAYOUT, SOCK_OPS_LAYOUT, bpfSockLayout, rawLayout, sockAddrLayout } from './sockLayouts.js';

/** `sizeof(struct pt_regs)` on x86-64 (21 registers). */
export const PT_REGS_SIZE = 168;
/**
 * Bytes of a tracepoint record a program may reach (`PERF_MAX_TRACE_SIZE`, 8192 on Linux 6.18);
 * its first 8 bytes, the common fields, are hidden (measured).
 */
export const TRACEPOINT_CTX_SIZE = 8192;
/** Bytes of a raw tracepoint context: `MAX_BPF_FUNC_ARGS` u64 arguments. */
export const RAW_TP_CTX_MAX = 96;
/** `sizeof(struct bpf_perf_event_data)` on x86-64: `pt_regs`, `sample_period`, `addr`. */
export const PERF_EVENT_DATA_SIZE = 184;

/** Register offsets of x86-64 `struct pt_regs`, as `bpf_user_pt_regs_t` and kprobe contexts hold them. */
export const PtRegs = {
  r15: 0, r14: 8, r13: 16, r12: 24, bp: 32, bx: 40, r11: 48, r10: 56, r9: 64, r8: 72, ax: 80, cx: 88,
  dx: 96, si: 104, di: 112, orig_ax: 120, ip: 128, cs: 136, flags: 144, sp: 152, ss: 160,
} as const;

function xdpLayout(devmap: boolean): CtxLayout {
  return {
    struct: 'struct xdp_md',
    size: 24,
    fields: [
      whole32('data', 0, { ptr: 'pkt' }), whole32('data_end', 4, { ptr: 'pkt_end' }), whole32('data_meta', 8, { ptr: 'pkt_meta' }),
      whole32('ingress_ifindex', 12), whole32('rx_queue_index', 16), ...(devmap ? [whole32('egress_ifindex', 20)] : []),
    ],
  };
}

const XDP = xdpLayout(false);
const XDP_DEVMAP = xdpLayout(true);
const KPROBE = rawLayout('struct pt_regs', PT_REGS_SIZE);
const TRACEPOINT: CtxLayout = { struct: 'tracepoint record', size: TRACEPOINT_CTX_SIZE, fields: [bytes('record', 8, TRACEPOINT_CTX_SIZE - 8)] };
const RAW_TP = rawLayout('struct bpf_raw_tracepoint_args', RAW_TP_CTX_MAX);
const PERF_EVENT: CtxLayout = {
  struct: 'struct bpf_perf_event_data',
  size: PERF_EVENT_DATA_SIZE,
  fields: [
    ...Array.from({ length: PT_REGS_SIZE / 8 }, (_, i) => whole64(`regs[${i}]`, 8 * i)),
    bytes('sample_period', 168, 8), bytes('addr', 176, 8),
  ],
};

/**
 * The context layout and access rules of a program type (and, where the kernel distinguishes
 * them, its expected attach type), or undefined for types bpfsim does not model.
 */
export function ctxLayout(progType: number, attachType = 0): CtxLayout | undefined {
  const skb = SK_BUFF_LAYOUTS.get(progType);
  if (skb) return skb;
  switch (progType) {
    case BPF_PROG_TYPE_XDP: return attachType === BPF_XDP_DEVMAP ? XDP_DEVMAP : XDP;
    case BPF_PROG_TYPE_CGROUP_SOCK: return bpfSockLayout(attachType);
    case BPF_PROG_TYPE_CGROUP_SOCK_ADDR: return sockAddrLayout(attachType);
    case BPF_PROG_TYPE_SOCK_OPS: return SOCK_OPS_LAYOUT;
    case BPF_PROG_TYPE_SK_MSG: return SK_MSG_LAYOUT;
    case BPF_PROG_TYPE_KPROBE: return KPROBE;
    case BPF_PROG_TYPE_TRACEPOINT: return TRACEPOINT;
    case BPF_PROG_TYPE_RAW_TRACEPOINT: return RAW_TP;
    case BPF_PROG_TYPE_PERF_EVENT: return PERF_EVENT;
    default: return undefined;
  }
}
