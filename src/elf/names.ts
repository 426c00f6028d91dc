/* Names of UAPI enum values, for printing (`xdp`, `array`, `tcx_ingress`), from src/uapi.ts. */
import * as U from '../uapi.js';

function table(prefix: string): Map<number, string> {
  const out = new Map<number, string>();
  for (const [k, v] of Object.entries(U)) {
    if (!k.startsWith(prefix) || typeof v !== 'number' || k.endsWith('_DEPRECATED')) continue;
    if (!out.has(v)) out.set(v, k.slice(prefix.length).toLowerCase());
  }
  return out;
}

const PROG_TYPES = table('BPF_PROG_TYPE_');
const MAP_TYPES = table('BPF_MAP_TYPE_');
// enum bpf_attach_type, by the constants' names (BPF_ alone would also match flags).
const ATTACH_NAMES = [
  'CGROUP_INET_INGRESS', 'CGROUP_INET_EGRESS', 'CGROUP_INET_SOCK_CREATE', 'CGROUP_SOCK_OPS',
  'SK_SKB_STREAM_PARSER', 'SK_SKB_STREAM_VERDICT', 'CGROUP_DEVICE', 'SK_MSG_VERDICT', 'CGROUP_INET4_BIND',
  'CGROUP_INET6_BIND', 'CGROUP_INET4_CONNECT', 'CGROUP_INET6_CONNECT', 'CGROUP_INET4_POST_BIND',
  'CGROUP_INET6_POST_BIND', 'CGROUP_UDP4_SENDMSG', 'CGROUP_UDP6_SENDMSG', 'LIRC_MODE2', 'FLOW_DISSECTOR',
  'CGROUP_SYSCTL', 'CGROUP_UDP4_RECVMSG', 'CGROUP_UDP6_RECVMSG', 'CGROUP_GETSOCKOPT', 'CGROUP_SETSOCKOPT',
  'TRACE_RAW_TP', 'TRACE_FENTRY', 'TRACE_FEXIT', 'MODIFY_RETURN', 'LSM_MAC', 'TRACE_ITER',
  'CGROUP_INET4_GETPEERNAME', 'CGROUP_INET6_GETPEERNAME', 'CGROUP_INET4_GETSOCKNAME',
  'CGROUP_INET6_GETSOCKNAME', 'XDP_DEVMAP', 'CGROUP_INET_SOCK_RELEASE', 'XDP_CPUMAP', 'SK_LOOKUP', 'XDP',
  'SK_SKB_VERDICT', 'SK_REUSEPORT_SELECT', 'SK_REUSEPORT_SELECT_OR_MIGRATE', 'PERF_EVENT',
  'TRACE_KPROBE_MULTI', 'LSM_CGROUP', 'STRUCT_OPS', 'NETFILTER', 'TCX_INGRESS', 'TCX_EGRESS',
  'TRACE_UPROBE_MULTI', 'CGROUP_UNIX_CONNECT', 'CGROUP_UNIX_SENDMSG', 'CGROUP_UNIX_RECVMSG',
  'CGROUP_UNIX_GETPEERNAME', 'CGROUP_UNIX_GETSOCKNAME', 'NETKIT_PRIMARY', 'NETKIT_PEER',
  'TRACE_KPROBE_SESSION', 'TRACE_UPROBE_SESSION',
];
const ATTACH_TYPES = new Map(ATTACH_NAMES.map((n) => [(U as unknown as Record<string, number>)[`BPF_${n}`]!, n.toLowerCase()]));

/** `xdp` for BPF_PROG_TYPE_XDP; `type N` for an unknown value. */
export function progTypeName(type: number): string {
  return PROG_TYPES.get(type) ?? `type ${type}`;
}

/** `lpm_trie` for BPF_MAP_TYPE_LPM_TRIE; `type N` for an unknown value. */
export function mapTypeName(type: number): string {
  return MAP_TYPES.get(type) ?? `type ${type}`;
}

/** The BPF_* attach type's name (`xdp`, `tcx_ingress`, `cgroup_inet4_connect`). */
export function attachTypeName(type: number): string {
  return ATTACH_TYPES.get(type) ?? `attach ${type}`;
}
