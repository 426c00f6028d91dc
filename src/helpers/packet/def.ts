import { helperId } from '../../isa/index.js';
import {
  BPF_PROG_TYPE_CGROUP_SKB, BPF_PROG_TYPE_CGROUP_SOCK, BPF_PROG_TYPE_CGROUP_SOCK_ADDR, BPF_PROG_TYPE_FLOW_DISSECTOR,
  BPF_PROG_TYPE_LWT_IN, BPF_PROG_TYPE_LWT_OUT, BPF_PROG_TYPE_LWT_SEG6LOCAL, BPF_PROG_TYPE_LWT_XMIT, BPF_PROG_TYPE_SCHED_ACT,
  BPF_PROG_TYPE_SCHED_CLS, BPF_PROG_TYPE_SK_MSG, BPF_PROG_TYPE_SK_SKB, BPF_PROG_TYPE_SOCKET_FILTER, BPF_PROG_TYPE_SOCK_OPS,
  BPF_PROG_TYPE_XDP,
} from '../../uapi.js';
import type { HelperProto } from '../proto.js';
import type { HelperDef, HelperImpl } from '../types.js';

/** A packet or socket helper: kernel id and name, prototype, the program types that may call it, implementation. */
export interface PacketHelperDef extends HelperDef {
  /** The prototype (`bpf_func_proto`) the verifier checks calls against. */
  readonly proto: HelperProto;
  /** Program types whose `*_func_proto` hands the helper out (as a privileged loader sees it). */
  readonly progTypes: readonly number[];
}

/** Defines a packet helper by its kernel name (without `bpf_`). */
export function packetHelper(name: string, proto: HelperProto, progTypes: readonly number[], impl: HelperImpl): PacketHelperDef {
  const id = helperId(name);
  if (id === undefined) throw new RangeError(`'${name}' is not a helper the kernel knows`);
  return { id, name: `bpf_${name}`, proto, progTypes, impl };
}

/** SCHED_CLS and SCHED_ACT (`tc_cls_act_func_proto`). */
export const TC: readonly number[] = [BPF_PROG_TYPE_SCHED_CLS, BPF_PROG_TYPE_SCHED_ACT];
/** The LWT types (`lwt_out_func_proto` and the ones built on it). */
export const LWT: readonly number[] = [BPF_PROG_TYPE_LWT_IN, BPF_PROG_TYPE_LWT_OUT, BPF_PROG_TYPE_LWT_XMIT, BPF_PROG_TYPE_LWT_SEG6LOCAL];
/** LWT_XMIT alone (`lwt_xmit_func_proto`). */
export const LWT_XMIT: readonly number[] = [BPF_PROG_TYPE_LWT_XMIT];
/** XDP (`xdp_func_proto`). */
export const XDP: readonly number[] = [BPF_PROG_TYPE_XDP];
/** SOCKET_FILTER and CGROUP_SKB (`sk_filter_func_proto`, `cg_skb_func_proto`). */
export const SK_FILTER: readonly number[] = [BPF_PROG_TYPE_SOCKET_FILTER, BPF_PROG_TYPE_CGROUP_SKB];
/** CGROUP_SKB alone. */
export const CG_SKB: readonly number[] = [BPF_PROG_TYPE_CGROUP_SKB];
/** SK_SKB (`sk_skb_func_proto`). */
export const SK_SKB: readonly number[] = [BPF_PROG_TYPE_SK_SKB];
/** FLOW_DISSECTOR. */
export const FLOW: readonly number[] = [BPF_PROG_TYPE_FLOW_DISSECTOR];
/** CGROUP_SOCK_ADDR. */
export const SOCK_ADDR: readonly number[] = [BPF_PROG_TYPE_CGROUP_SOCK_ADDR];
/** CGROUP_SOCK. */
export const SOCK: readonly number[] = [BPF_PROG_TYPE_CGROUP_SOCK];
/** SOCK_OPS. */
export const SOCK_OPS: readonly number[] = [BPF_PROG_TYPE_SOCK_OPS];
/** SK_MSG. */
export const SK_MSG: readonly number[] = [BPF_PROG_TYPE_SK_MSG];
