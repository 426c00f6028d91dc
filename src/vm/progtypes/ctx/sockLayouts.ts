import {
  BPF_CGROUP_INET4_BIND, BPF_CGROUP_INET4_CONNECT, BPF_CGROUP_INET4_GETPEERNAME, BPF_CGROUP_INET4_GETSOCKNAME,
  BPF_CGROUP_INET4_POST_BIND, BPF_CGROUP_INET6_BIND, BPF_CGROUP_INET6_CONNECT, BPF_CGROUP_INET6_GETPEERNAME,
  BPF_CGROUP_INET6_GETSOCKNAME, BPF_CGROUP_INET6_POST_BIND, BPF_CGROUP_INET_SOCK_CREATE, BPF_CGROUP_INET_SOCK_RELEASE,
  BPF_CGROUP_UDP4_RECVMSG, BPF_CGROUP_UDP4_SENDMSG, BPF_CGROUP_UDP6_RECVMSG, BPF_CGROUP_UDP6_SENDMSG,
} from '../../../uapi.js';
import { bytes, narrow32, narrowAtStart, whole32, whole64, windowOf, words32 } from './access.js';
import type { AccessSize, CtxField, CtxLayout } from './access.js';

/** Field offsets of `struct bpf_sock` (the CGROUP_SOCK context, and what socket pointers point at). */
export const BpfSock = {
  bound_dev_if: 0, family: 4, type: 8, protocol: 12, mark: 16, priority: 20, src_ip4: 24, src_ip6: 28,
  src_port: 44, dst_port: 48, dst_ip4: 52, dst_ip6: 56, state: 72, rx_queue_mapping: 76,
} as const;
/** `sizeof(struct bpf_sock)`. */
export const BPF_SOCK_SIZE = 80;

/** Field offsets of `struct bpf_sock_addr` (CGROUP_SOCK_ADDR). */
export const BpfSockAddr = {
  user_family: 0, user_ip4: 4, user_ip6: 8, user_port: 24, family: 28, type: 32, protocol: 36,
  msg_src_ip4: 40, msg_src_ip6: 44, sk: 64,
} as const;
/** `sizeof(struct bpf_sock_addr)`. */
export const BPF_SOCK_ADDR_SIZE = 72;

/** Field offsets of `struct bpf_sock_ops` (SOCK_OPS). */
export const BpfSockOps = {
  op: 0, args: 4, reply: 4, family: 20, remote_ip4: 24, local_ip4: 28, remote_ip6: 32, local_ip6: 48,
  remote_port: 64, local_port: 68, is_fullsock: 72, snd_cwnd: 76, srtt_us: 80, bpf_sock_ops_cb_flags: 84,
  state: 88, rtt_min: 92, snd_ssthresh: 96, rcv_nxt: 100, snd_nxt: 104, snd_una: 108, mss_cache: 112,
  ecn_flags: 116, rate_delivered: 120, rate_interval_us: 124, packets_out: 128, retrans_out: 132,
  total_retrans: 136, segs_in: 140, data_segs_in: 144, segs_out: 148, data_segs_out: 152, lost_out: 156,
  sacked_out: 160, sk_txhash: 164, bytes_received: 168, bytes_acked: 176, sk: 184, skb_data: 192,
  skb_data_end: 200, skb_len: 208, skb_tcp_flags: 212, skb_hwtstamp: 216,
} as const;
/** `sizeof(struct bpf_sock_ops)`. */
export const BPF_SOCK_OPS_SIZE = 224;

/** Field offsets of `struct sk_msg_md` (SK_MSG). */
export const SkMsgMd = {
  data: 0, data_end: 8, family: 16, remote_ip4: 20, local_ip4: 24, remote_ip6: 28, local_ip6: 44,
  remote_port: 60, local_port: 64, size: 68, sk: 72,
} as const;
/** `sizeof(struct sk_msg_md)`. */
export const SK_MSG_MD_SIZE = 80;

const W4: readonly AccessSize[] = [4];

/** `bpf_sock_is_valid_access` plus `__sock_filter_check_attach_type` for one attach type. */
export function bpfSockLayout(attach: number | 'pointer'): CtxLayout {
  const full = attach === BPF_CGROUP_INET_SOCK_CREATE || attach === BPF_CGROUP_INET_SOCK_RELEASE || attach === 'pointer';
  const rw = full && attach !== 'pointer' ? { write: W4 } : {};
  const fields: CtxField[] = [
    ...(full ? [whole32('bound_dev_if', 0, rw)] : []),
    ...narrowAtStart('family', 4, { target: 2 }),
    ...narrowAtStart('type', 8, { target: 2 }),
    ...narrowAtStart('protocol', 12, { target: 1 }),
    ...(full ? [whole32('mark', 16, rw), whole32('priority', 20, rw)] : []),
    ...(attach === BPF_CGROUP_INET4_POST_BIND || attach === 'pointer' ? [narrow32('src_ip4', 24)] : []),
    ...(attach === BPF_CGROUP_INET6_POST_BIND || attach === 'pointer' ? [windowOf('src_ip6', 28, 16, [1, 2, 4])] : []),
    ...(attach === BPF_CGROUP_INET4_POST_BIND || attach === BPF_CGROUP_INET6_POST_BIND || attach === 'pointer'
      ? narrowAtStart('src_port', 44, { target: 2 }) : []),
    windowOf('dst_port', 48, 2, [1, 2]),
    windowOf('dst_port', 48, 4, [4], { target: 2 }),
    narrow32('dst_ip4', 52),
    windowOf('dst_ip6', 56, 16, [1, 2, 4]),
    ...narrowAtStart('state', 72, { target: 1 }),
    ...narrowAtStart('rx_queue_mapping', 76, { target: 2 }),
  ];
  return { struct: 'struct bpf_sock', size: BPF_SOCK_SIZE, fields };
}

const INET4 = [BPF_CGROUP_INET4_BIND, BPF_CGROUP_INET4_CONNECT, BPF_CGROUP_INET4_GETPEERNAME, BPF_CGROUP_INET4_GETSOCKNAME, BPF_CGROUP_UDP4_SENDMSG, BPF_CGROUP_UDP4_RECVMSG];
const INET6 = [BPF_CGROUP_INET6_BIND, BPF_CGROUP_INET6_CONNECT, BPF_CGROUP_INET6_GETPEERNAME, BPF_CGROUP_INET6_GETSOCKNAME, BPF_CGROUP_UDP6_SENDMSG, BPF_CGROUP_UDP6_RECVMSG];

/** `sock_addr_is_valid_access` for one attach type (IPv4 fields for IPv4 hooks, IPv6 fields for IPv6 hooks). */
export function sockAddrLayout(attach: number): CtxLayout {
  const fields: CtxField[] = [
    whole32('user_family', 0),
    ...(INET4.includes(attach) ? [narrow32('user_ip4', 4, { write: W4 })] : []),
    ...(INET6.includes(attach) ? [windowOf('user_ip6', 8, 16, [1, 2, 4, 8], { write: [4, 8] })] : []),
    narrow32('user_port', 24, { write: W4, target: 2 }),
    whole32('family', 28), whole32('type', 32), whole32('protocol', 36),
    ...(attach === BPF_CGROUP_UDP4_SENDMSG ? [narrow32('msg_src_ip4', 40, { write: W4 })] : []),
    ...(attach === BPF_CGROUP_UDP6_SENDMSG ? [windowOf('msg_src_ip6', 44, 16, [1, 2, 4, 8], { write: [4, 8] })] : []),
    whole64('sk', 64, { ptr: 'socket' }),
  ];
  return { struct: 'struct bpf_sock_addr', size: BPF_SOCK_ADDR_SIZE, fields };
}

/** `sock_ops_is_valid_access`: u32 reads, `reply` and `sk_txhash` writable, u64 and pointer fields whole. */
export const SOCK_OPS_LAYOUT: CtxLayout = {
  struct: 'struct bpf_sock_ops',
  size: BPF_SOCK_OPS_SIZE,
  fields: [
    whole32('op', 0),
    whole32('args[0]', 4, { write: W4 }),
    ...words32('args', 8, 3).map((f, i) => ({ ...f, name: `args[${i + 1}]` })),
    ...Object.entries(BpfSockOps)
      .filter(([, off]) => off >= 20 && off < 168)
      .flatMap(([name, off]) => (name === 'remote_ip6' || name === 'local_ip6' ? words32(name, off, 4) : [whole32(name, off, name === 'sk_txhash' ? { write: W4 } : {})])),
    whole64('bytes_received', 168), whole64('bytes_acked', 176),
    whole64('sk', 184, { ptr: 'socket_or_null' }),
    whole64('skb_data', 192, { ptr: 'pkt' }), whole64('skb_data_end', 200, { ptr: 'pkt_end' }),
    whole32('skb_len', 208),
    ...narrowAtStart('skb_tcp_flags', 212),
    whole64('skb_hwtstamp', 216),
  ],
};

/** `sk_msg_is_valid_access`: pointers as u64, the rest as whole u32. */
export const SK_MSG_LAYOUT: CtxLayout = {
  struct: 'struct sk_msg_md',
  size: SK_MSG_MD_SIZE,
  fields: [
    whole64('data', 0, { ptr: 'pkt' }), whole64('data_end', 8, { ptr: 'pkt_end' }),
    whole32('family', 16), whole32('remote_ip4', 20), whole32('local_ip4', 24),
    ...words32('remote_ip6', 28, 4), ...words32('local_ip6', 44, 4),
    whole32('remote_port', 60), whole32('local_port', 64), whole32('size', 68),
    whole64('sk', 72, { ptr: 'socket' }),
  ],
};

/** The bytes of a `bpf_sock` as programs see it through a socket pointer (readable, never writable). */
export const BPF_SOCK_POINTER_LAYOUT: CtxLayout = bpfSockLayout('pointer');

/** A raw byte range of any aligned size, read-only (tracing contexts). */
export function rawLayout(struct: string, size: number): CtxLayout {
  return { struct, size, fields: [bytes(struct, 0, size)] };
}
