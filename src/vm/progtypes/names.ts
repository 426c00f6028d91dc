import {
  BPF_PROG_TYPE_CGROUP_SKB, BPF_PROG_TYPE_CGROUP_SOCK, BPF_PROG_TYPE_CGROUP_SOCK_ADDR, BPF_PROG_TYPE_FLOW_DISSECTOR,
  BPF_PROG_TYPE_KPROBE, BPF_PROG_TYPE_LSM, BPF_PROG_TYPE_LWT_IN, BPF_PROG_TYPE_LWT_OUT, BPF_PROG_TYPE_LWT_XMIT,
  BPF_PROG_TYPE_PERF_EVENT, BPF_PROG_TYPE_RAW_TRACEPOINT, BPF_PROG_TYPE_SCHED_ACT, BPF_PROG_TYPE_SCHED_CLS,
  BPF_PROG_TYPE_SK_LOOKUP, BPF_PROG_TYPE_SK_MSG, BPF_PROG_TYPE_SK_SKB, BPF_PROG_TYPE_SOCKET_FILTER,
  BPF_PROG_TYPE_SOCK_OPS, BPF_PROG_TYPE_SYSCALL, BPF_PROG_TYPE_TRACEPOINT, BPF_PROG_TYPE_TRACING, BPF_PROG_TYPE_XDP,
} from '../../uapi.js';

/** Program types by the kernel's name (`BPF_PROG_TYPE_XDP` → `xdp`), plus libbpf's usual short names. */
export const PROG_TYPES: Readonly<Record<string, number>> = {
  socket_filter: BPF_PROG_TYPE_SOCKET_FILTER, socket: BPF_PROG_TYPE_SOCKET_FILTER,
  kprobe: BPF_PROG_TYPE_KPROBE,
  sched_cls: BPF_PROG_TYPE_SCHED_CLS, tc: BPF_PROG_TYPE_SCHED_CLS, classifier: BPF_PROG_TYPE_SCHED_CLS,
  sched_act: BPF_PROG_TYPE_SCHED_ACT, action: BPF_PROG_TYPE_SCHED_ACT,
  tracepoint: BPF_PROG_TYPE_TRACEPOINT,
  xdp: BPF_PROG_TYPE_XDP,
  perf_event: BPF_PROG_TYPE_PERF_EVENT,
  cgroup_skb: BPF_PROG_TYPE_CGROUP_SKB,
  cgroup_sock: BPF_PROG_TYPE_CGROUP_SOCK,
  lwt_in: BPF_PROG_TYPE_LWT_IN, lwt_out: BPF_PROG_TYPE_LWT_OUT, lwt_xmit: BPF_PROG_TYPE_LWT_XMIT,
  sock_ops: BPF_PROG_TYPE_SOCK_OPS, sockops: BPF_PROG_TYPE_SOCK_OPS,
  sk_skb: BPF_PROG_TYPE_SK_SKB,
  sk_msg: BPF_PROG_TYPE_SK_MSG,
  raw_tracepoint: BPF_PROG_TYPE_RAW_TRACEPOINT,
  cgroup_sock_addr: BPF_PROG_TYPE_CGROUP_SOCK_ADDR,
  flow_dissector: BPF_PROG_TYPE_FLOW_DISSECTOR,
  tracing: BPF_PROG_TYPE_TRACING,
  lsm: BPF_PROG_TYPE_LSM,
  sk_lookup: BPF_PROG_TYPE_SK_LOOKUP,
  syscall: BPF_PROG_TYPE_SYSCALL,
};

/** The `BPF_PROG_TYPE_*` value of a name, or undefined. */
export function progTypeByName(name: string): number | undefined {
  return PROG_TYPES[name.toLowerCase().replace(/^bpf_prog_type_/, '')];
}

/** The kernel's name of a program type, e.g. `xdp`. */
export function progTypeName(type: number): string {
  const names = Object.entries(PROG_TYPES).filter(([, v]) => v === type).map(([k]) => k);
  return names[0] ?? `type ${type}`;
}
