/*
 * Program section names → program type, expected attach type and load flags, after libbpf's
 * SEC() table (libbpf ≥ 1.0). A definition ending in `+` matches the name alone or followed by
 * `/extras`; one ending in `/` needs extras; others match exactly. The first match wins.
 */
import * as U from '../uapi.js';

/** How a program section name is to be loaded. */
export interface SectionDef {
  /** The SEC() pattern (`xdp`, `kprobe+`, `tc/ingress`). */
  readonly pattern: string;
  /** BPF_PROG_TYPE_*. */
  readonly progType: number;
  /** Expected attach type (0 when libbpf passes none). */
  readonly attachType: number;
  /** BPF_F_SLEEPABLE, BPF_F_XDP_HAS_FRAGS. */
  readonly flags: number;
  /** The attach target is a kernel BTF type, looked up from the name after the `/`. */
  readonly attachBtf: boolean;
}

const S = U.BPF_F_SLEEPABLE;
const FRAGS = U.BPF_F_XDP_HAS_FRAGS;

const TABLE: readonly (readonly [string, number, number, number?, boolean?])[] = [
  ['socket', U.BPF_PROG_TYPE_SOCKET_FILTER, 0],
  ['sk_reuseport/migrate', U.BPF_PROG_TYPE_SK_REUSEPORT, U.BPF_SK_REUSEPORT_SELECT_OR_MIGRATE],
  ['sk_reuseport', U.BPF_PROG_TYPE_SK_REUSEPORT, U.BPF_SK_REUSEPORT_SELECT],
  ['kprobe+', U.BPF_PROG_TYPE_KPROBE, 0],
  ['uprobe+', U.BPF_PROG_TYPE_KPROBE, 0],
  ['uprobe.s+', U.BPF_PROG_TYPE_KPROBE, 0, S],
  ['kretprobe+', U.BPF_PROG_TYPE_KPROBE, 0],
  ['uretprobe+', U.BPF_PROG_TYPE_KPROBE, 0],
  ['uretprobe.s+', U.BPF_PROG_TYPE_KPROBE, 0, S],
  ['kprobe.multi+', U.BPF_PROG_TYPE_KPROBE, U.BPF_TRACE_KPROBE_MULTI],
  ['kretprobe.multi+', U.BPF_PROG_TYPE_KPROBE, U.BPF_TRACE_KPROBE_MULTI],
  ['kprobe.session+', U.BPF_PROG_TYPE_KPROBE, U.BPF_TRACE_KPROBE_SESSION],
  ['uprobe.multi+', U.BPF_PROG_TYPE_KPROBE, U.BPF_TRACE_UPROBE_MULTI],
  ['uretprobe.multi+', U.BPF_PROG_TYPE_KPROBE, U.BPF_TRACE_UPROBE_MULTI],
  ['uprobe.multi.s+', U.BPF_PROG_TYPE_KPROBE, U.BPF_TRACE_UPROBE_MULTI, S],
  ['uretprobe.multi.s+', U.BPF_PROG_TYPE_KPROBE, U.BPF_TRACE_UPROBE_MULTI, S],
  ['ksyscall+', U.BPF_PROG_TYPE_KPROBE, 0],
  ['kretsyscall+', U.BPF_PROG_TYPE_KPROBE, 0],
  ['usdt+', U.BPF_PROG_TYPE_KPROBE, 0],
  ['usdt.s+', U.BPF_PROG_TYPE_KPROBE, 0, S],
  ['tc/ingress', U.BPF_PROG_TYPE_SCHED_CLS, U.BPF_TCX_INGRESS],
  ['tc/egress', U.BPF_PROG_TYPE_SCHED_CLS, U.BPF_TCX_EGRESS],
  ['tcx/ingress', U.BPF_PROG_TYPE_SCHED_CLS, U.BPF_TCX_INGRESS],
  ['tcx/egress', U.BPF_PROG_TYPE_SCHED_CLS, U.BPF_TCX_EGRESS],
  ['tc', U.BPF_PROG_TYPE_SCHED_CLS, 0],
  ['classifier', U.BPF_PROG_TYPE_SCHED_CLS, 0],
  ['action', U.BPF_PROG_TYPE_SCHED_ACT, 0],
  ['netkit/primary', U.BPF_PROG_TYPE_SCHED_CLS, U.BPF_NETKIT_PRIMARY],
  ['netkit/peer', U.BPF_PROG_TYPE_SCHED_CLS, U.BPF_NETKIT_PEER],
  ['tracepoint+', U.BPF_PROG_TYPE_TRACEPOINT, 0],
  ['tp+', U.BPF_PROG_TYPE_TRACEPOINT, 0],
  ['raw_tracepoint+', U.BPF_PROG_TYPE_RAW_TRACEPOINT, 0],
  ['raw_tp+', U.BPF_PROG_TYPE_RAW_TRACEPOINT, 0],
  ['raw_tracepoint.w+', U.BPF_PROG_TYPE_RAW_TRACEPOINT_WRITABLE, 0],
  ['raw_tp.w+', U.BPF_PROG_TYPE_RAW_TRACEPOINT_WRITABLE, 0],
  ['tp_btf+', U.BPF_PROG_TYPE_TRACING, U.BPF_TRACE_RAW_TP, 0, true],
  ['fentry+', U.BPF_PROG_TYPE_TRACING, U.BPF_TRACE_FENTRY, 0, true],
  ['fmod_ret+', U.BPF_PROG_TYPE_TRACING, U.BPF_MODIFY_RETURN, 0, true],
  ['fexit+', U.BPF_PROG_TYPE_TRACING, U.BPF_TRACE_FEXIT, 0, true],
  ['fentry.s+', U.BPF_PROG_TYPE_TRACING, U.BPF_TRACE_FENTRY, S, true],
  ['fmod_ret.s+', U.BPF_PROG_TYPE_TRACING, U.BPF_MODIFY_RETURN, S, true],
  ['fexit.s+', U.BPF_PROG_TYPE_TRACING, U.BPF_TRACE_FEXIT, S, true],
  ['freplace+', U.BPF_PROG_TYPE_EXT, 0, 0, true],
  ['lsm+', U.BPF_PROG_TYPE_LSM, U.BPF_LSM_MAC, 0, true],
  ['lsm.s+', U.BPF_PROG_TYPE_LSM, U.BPF_LSM_MAC, S, true],
  ['lsm_cgroup+', U.BPF_PROG_TYPE_LSM, U.BPF_LSM_CGROUP, 0, true],
  ['iter+', U.BPF_PROG_TYPE_TRACING, U.BPF_TRACE_ITER, 0, true],
  ['iter.s+', U.BPF_PROG_TYPE_TRACING, U.BPF_TRACE_ITER, S, true],
  ['syscall', U.BPF_PROG_TYPE_SYSCALL, 0, S],
  ['xdp.frags/devmap', U.BPF_PROG_TYPE_XDP, U.BPF_XDP_DEVMAP, FRAGS],
  ['xdp/devmap', U.BPF_PROG_TYPE_XDP, U.BPF_XDP_DEVMAP],
  ['xdp.frags/cpumap', U.BPF_PROG_TYPE_XDP, U.BPF_XDP_CPUMAP, FRAGS],
  ['xdp/cpumap', U.BPF_PROG_TYPE_XDP, U.BPF_XDP_CPUMAP],
  ['xdp.frags', U.BPF_PROG_TYPE_XDP, U.BPF_XDP, FRAGS],
  ['xdp', U.BPF_PROG_TYPE_XDP, U.BPF_XDP],
  ['perf_event', U.BPF_PROG_TYPE_PERF_EVENT, 0],
  ['lwt_in', U.BPF_PROG_TYPE_LWT_IN, 0],
  ['lwt_out', U.BPF_PROG_TYPE_LWT_OUT, 0],
  ['lwt_xmit', U.BPF_PROG_TYPE_LWT_XMIT, 0],
  ['lwt_seg6local', U.BPF_PROG_TYPE_LWT_SEG6LOCAL, 0],
  ['sockops', U.BPF_PROG_TYPE_SOCK_OPS, U.BPF_CGROUP_SOCK_OPS],
  ['sk_skb/stream_parser', U.BPF_PROG_TYPE_SK_SKB, U.BPF_SK_SKB_STREAM_PARSER],
  ['sk_skb/stream_verdict', U.BPF_PROG_TYPE_SK_SKB, U.BPF_SK_SKB_STREAM_VERDICT],
  ['sk_skb/verdict', U.BPF_PROG_TYPE_SK_SKB, U.BPF_SK_SKB_VERDICT],
  ['sk_skb', U.BPF_PROG_TYPE_SK_SKB, 0],
  ['sk_msg', U.BPF_PROG_TYPE_SK_MSG, U.BPF_SK_MSG_VERDICT],
  ['lirc_mode2', U.BPF_PROG_TYPE_LIRC_MODE2, U.BPF_LIRC_MODE2],
  ['flow_dissector', U.BPF_PROG_TYPE_FLOW_DISSECTOR, U.BPF_FLOW_DISSECTOR],
  ['cgroup_skb/ingress', U.BPF_PROG_TYPE_CGROUP_SKB, U.BPF_CGROUP_INET_INGRESS],
  ['cgroup_skb/egress', U.BPF_PROG_TYPE_CGROUP_SKB, U.BPF_CGROUP_INET_EGRESS],
  ['cgroup/skb', U.BPF_PROG_TYPE_CGROUP_SKB, 0],
  ['cgroup/sock_create', U.BPF_PROG_TYPE_CGROUP_SOCK, U.BPF_CGROUP_INET_SOCK_CREATE],
  ['cgroup/sock_release', U.BPF_PROG_TYPE_CGROUP_SOCK, U.BPF_CGROUP_INET_SOCK_RELEASE],
  ['cgroup/sock', U.BPF_PROG_TYPE_CGROUP_SOCK, U.BPF_CGROUP_INET_SOCK_CREATE],
  ['cgroup/post_bind4', U.BPF_PROG_TYPE_CGROUP_SOCK, U.BPF_CGROUP_INET4_POST_BIND],
  ['cgroup/post_bind6', U.BPF_PROG_TYPE_CGROUP_SOCK, U.BPF_CGROUP_INET6_POST_BIND],
  ['cgroup/bind4', U.BPF_PROG_TYPE_CGROUP_SOCK_ADDR, U.BPF_CGROUP_INET4_BIND],
  ['cgroup/bind6', U.BPF_PROG_TYPE_CGROUP_SOCK_ADDR, U.BPF_CGROUP_INET6_BIND],
  ['cgroup/connect4', U.BPF_PROG_TYPE_CGROUP_SOCK_ADDR, U.BPF_CGROUP_INET4_CONNECT],
  ['cgroup/connect6', U.BPF_PROG_TYPE_CGROUP_SOCK_ADDR, U.BPF_CGROUP_INET6_CONNECT],
  ['cgroup/connect_unix', U.BPF_PROG_TYPE_CGROUP_SOCK_ADDR, U.BPF_CGROUP_UNIX_CONNECT],
  ['cgroup/sendmsg4', U.BPF_PROG_TYPE_CGROUP_SOCK_ADDR, U.BPF_CGROUP_UDP4_SENDMSG],
  ['cgroup/sendmsg6', U.BPF_PROG_TYPE_CGROUP_SOCK_ADDR, U.BPF_CGROUP_UDP6_SENDMSG],
  ['cgroup/sendmsg_unix', U.BPF_PROG_TYPE_CGROUP_SOCK_ADDR, U.BPF_CGROUP_UNIX_SENDMSG],
  ['cgroup/recvmsg4', U.BPF_PROG_TYPE_CGROUP_SOCK_ADDR, U.BPF_CGROUP_UDP4_RECVMSG],
  ['cgroup/recvmsg6', U.BPF_PROG_TYPE_CGROUP_SOCK_ADDR, U.BPF_CGROUP_UDP6_RECVMSG],
  ['cgroup/recvmsg_unix', U.BPF_PROG_TYPE_CGROUP_SOCK_ADDR, U.BPF_CGROUP_UNIX_RECVMSG],
  ['cgroup/getpeername4', U.BPF_PROG_TYPE_CGROUP_SOCK_ADDR, U.BPF_CGROUP_INET4_GETPEERNAME],
  ['cgroup/getpeername6', U.BPF_PROG_TYPE_CGROUP_SOCK_ADDR, U.BPF_CGROUP_INET6_GETPEERNAME],
  ['cgroup/getpeername_unix', U.BPF_PROG_TYPE_CGROUP_SOCK_ADDR, U.BPF_CGROUP_UNIX_GETPEERNAME],
  ['cgroup/getsockname4', U.BPF_PROG_TYPE_CGROUP_SOCK_ADDR, U.BPF_CGROUP_INET4_GETSOCKNAME],
  ['cgroup/getsockname6', U.BPF_PROG_TYPE_CGROUP_SOCK_ADDR, U.BPF_CGROUP_INET6_GETSOCKNAME],
  ['cgroup/getsockname_unix', U.BPF_PROG_TYPE_CGROUP_SOCK_ADDR, U.BPF_CGROUP_UNIX_GETSOCKNAME],
  ['cgroup/sysctl', U.BPF_PROG_TYPE_CGROUP_SYSCTL, U.BPF_CGROUP_SYSCTL],
  ['cgroup/getsockopt', U.BPF_PROG_TYPE_CGROUP_SOCKOPT, U.BPF_CGROUP_GETSOCKOPT],
  ['cgroup/setsockopt', U.BPF_PROG_TYPE_CGROUP_SOCKOPT, U.BPF_CGROUP_SETSOCKOPT],
  ['cgroup/dev', U.BPF_PROG_TYPE_CGROUP_DEVICE, U.BPF_CGROUP_DEVICE],
  ['struct_ops+', U.BPF_PROG_TYPE_STRUCT_OPS, 0],
  ['struct_ops.s+', U.BPF_PROG_TYPE_STRUCT_OPS, 0, S],
  ['sk_lookup', U.BPF_PROG_TYPE_SK_LOOKUP, U.BPF_SK_LOOKUP],
  ['netfilter', U.BPF_PROG_TYPE_NETFILTER, U.BPF_NETFILTER],
];

/** Every section definition, in matching order. */
export const SECTION_DEFS: readonly SectionDef[] = TABLE.map(([pattern, progType, attachType, flags = 0, attachBtf = false]) => ({
  pattern, progType, attachType, flags, attachBtf,
}));

function matches(pattern: string, name: string): boolean {
  if (pattern.endsWith('/')) return name.startsWith(pattern);
  if (pattern.endsWith('+')) {
    const stem = pattern.slice(0, -1);
    return name === stem || name.startsWith(`${stem}/`);
  }
  return name === pattern;
}

/** The definition a section name matches, or undefined. */
export function findSectionDef(name: string): SectionDef | undefined {
  return SECTION_DEFS.find((d) => matches(d.pattern, name));
}

/** The patterns, as a user-facing list (`kprobe/…` for `kprobe+`). */
export function supportedSectionNames(): string[] {
  return SECTION_DEFS.map((d) => (d.pattern.endsWith('+') ? `${d.pattern.slice(0, -1)}[/…]` : d.pattern));
}

/** The part of a section name after the first `/` (a kprobe's function, an fentry's target), or ''. */
export function sectionTarget(name: string): string {
  const slash = name.indexOf('/');
  return slash < 0 ? '' : name.slice(slash + 1);
}

/** Prefix and BTF kind of the kernel type a BTF-attached program names (libbpf's btf_get_kernel_prefix_kind). */
export function attachBtfLookup(attachType: number): { prefix: string; typedef: boolean } {
  switch (attachType) {
    case U.BPF_TRACE_RAW_TP: return { prefix: 'btf_trace_', typedef: true };
    case U.BPF_LSM_MAC: case U.BPF_LSM_CGROUP: return { prefix: 'bpf_lsm_', typedef: false };
    case U.BPF_TRACE_ITER: return { prefix: 'bpf_iter_', typedef: false };
    default: return { prefix: '', typedef: false };
  }
}
