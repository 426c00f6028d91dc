/*
 * What packet helpers see of the packets, sockets, devices and tables of a Machine. The VM
 * implements these interfaces (src/vm/progtypes, src/vm/net); helpers use only them, so the helper
 * layer does not depend on the VM. Field names follow the kernel's `struct sk_buff` and
 * `struct xdp_buff`; addresses are arena offsets.
 */
import type { Arena } from '../arena/index.js';
import type { BpfMap, MapSocket } from '../maps/index.js';

/** `TC_ACT_OK`: tc lets the packet through. */
export const TC_ACT_OK = 0;
/** `TC_ACT_SHOT`: tc drops the packet. */
export const TC_ACT_SHOT = 2;
/** `TC_ACT_REDIRECT`: tc sends the packet where `bpf_redirect*` said. */
export const TC_ACT_REDIRECT = 7;

/** `skb->ip_summed`: no checksum information. */
export const CHECKSUM_NONE = 0;
/** `skb->ip_summed`: the device verified the checksums (`csum_level` + 1 of them). */
export const CHECKSUM_UNNECESSARY = 1;
/** `skb->ip_summed`: `skb->csum` holds the sum of the packet from the network header on. */
export const CHECKSUM_COMPLETE = 2;
/** `skb->ip_summed`: a checksum is still to be filled in. */
export const CHECKSUM_PARTIAL = 3;

/** Tunnel metadata of an skb (the kernel's `ip_tunnel_info` of a metadata dst). */
export interface TunnelInfo {
  /** IPv6 addresses (`IP_TUNNEL_INFO_IPV6`). */
  readonly ipv6: boolean;
  /** Tunnel id, host order. */
  readonly id: bigint;
  /** TOS / traffic class. */
  readonly tos: number;
  /** TTL / hop limit. */
  readonly ttl: number;
  /** IPv6 flow label (host order, 20 bits). */
  readonly label: number;
  /** Remote (tunnel destination) address, network order: 4 or 16 bytes. */
  readonly remote: Uint8Array;
  /** Local (tunnel source) address, network order. */
  readonly local: Uint8Array;
  /** `TUNNEL_*` flags (key, csum, don't-fragment, seq, options present). */
  readonly flags: number;
  /** Tunnel options (geneve/vxlan/erspan), when set. */
  readonly options?: Uint8Array;
}

/** A socket as packet helpers and contexts see it. */
export interface PacketSocket extends MapSocket {
  /** `sk_type`: SOCK_STREAM 1, SOCK_DGRAM 2, … */
  readonly type: number;
  /** `sk_protocol`: IPPROTO_TCP 6, IPPROTO_UDP 17, … */
  readonly protocol: number;
  /** `sk_state`: TCP_ESTABLISHED 1, TCP_LISTEN 10, TCP_CLOSE 7, TCP_TIME_WAIT 6, TCP_NEW_SYN_RECV 12. */
  readonly state: number;
  /** Bound (receive) address, network order: 4 or 16 bytes. */
  readonly localIp: Uint8Array;
  /** Local port, host order. */
  readonly localPort: number;
  /** Peer address, network order (zeros when unconnected). */
  readonly remoteIp: Uint8Array;
  /** Peer port, host order (0 when unconnected). */
  readonly remotePort: number;
  /** Device the socket is bound to, or 0. */
  readonly boundIfindex: number;
  /** `SO_REUSEPORT` set. */
  readonly reuseport: boolean;
  /** `sk_mark`. */
  readonly mark: number;
  /** `sk_priority`. */
  readonly priority: number;
  /** `sk_uid`: the owner's uid (`bpf_get_socket_uid`). */
  readonly uid: number;
}

/** A network device as packet helpers see it. */
export interface NetDeviceInfo {
  /** Interface index. */
  readonly ifindex: number;
  /** MTU (L3 bytes). */
  readonly mtu: number;
  /** Link-layer header length (`hard_header_len`: 14 for Ethernet and loopback). */
  readonly hardHeaderLen: number;
  /** MAC address. */
  readonly mac: Uint8Array;
  /** Broadcast address. */
  readonly broadcast: Uint8Array;
  /** IPv4 forwarding enabled on the device (`IN_DEV_FORWARD`). */
  readonly forwarding4: boolean;
  /** IPv6 forwarding enabled on the device. */
  readonly forwarding6: boolean;
  /** The other end of a veth pair or netkit, for `bpf_redirect_peer`. */
  readonly peer?: number;
}

/** An XDP packet buffer (`struct xdp_buff`): a page with headroom, the frame and its fragments. */
export interface XdpBuff {
  /** Discriminant. */
  readonly kind: 'xdp';
  /** Start of the page (`data_hard_start`). */
  readonly hardStart: number;
  /** Size of the page (`frame_sz`). */
  readonly frameSize: number;
  /** Bytes at the page's end reserved for `skb_shared_info` (tailroom no frame may reach). */
  readonly tailReserve: number;
  /** Bytes at the page's start reserved for `struct xdp_frame`. */
  readonly frameHeader: number;
  /** Start of the metadata. */
  dataMeta: number;
  /** Start of the packet. */
  data: number;
  /** End of the linear part. */
  dataEnd: number;
  /** Fragments after the linear part (multi-buffer frames), in order. */
  frags: Uint8Array[];
  /** Tailroom of the last fragment's page (`frag_size` less its length). */
  readonly fragPage: number;
  /** Device the frame arrived on. */
  readonly ingressIfindex: number;
  /** RX queue it arrived on. */
  readonly rxQueueIndex: number;
  /** Arena address of the frame's kernel `struct xdp_buff` (bpfsim's kernel BTF layout), what bpf_cast_to_kern_ctx gives. */
  readonly kernCtx: number;
  /** Writes the pointers back to `xdp_md` (and the xdp_buff) and remaps the packet for checked mode. */
  sync(): void;
}

/** An `sk_buff`: a linear buffer in the arena with the kernel's metadata. Header offsets are from `head`. */
export interface SkBuff {
  /** Discriminant. */
  readonly kind: 'skb';
  /** `BPF_PROG_TYPE_*` of the program that runs on it. */
  readonly progType: number;
  /** Start of the buffer (moves when the buffer is reallocated). */
  readonly head: number;
  /** Bytes of the buffer. */
  readonly capacity: number;
  /** Offset of `skb->data` from head. */
  dataOff: number;
  /** Offset of the tail from head. */
  tailOff: number;
  /** Mac header offset, or -1 when unset. */
  macHeader: number;
  /** Network header offset. */
  networkHeader: number;
  /** Transport header offset, or -1 when unset. */
  transportHeader: number;
  /** `skb->protocol`, host order (0x0800 for IPv4). */
  protocol: number;
  /** `PACKET_HOST` 0, `PACKET_BROADCAST` 1, `PACKET_MULTICAST` 2, `PACKET_OTHERHOST` 3, … */
  pktType: number;
  /** `skb->hash`. */
  hash: number;
  /** The hash covers the 4-tuple. */
  l4Hash: boolean;
  /** The hash was set by software. */
  swHash: boolean;
  /** A VLAN tag is held outside the packet (`skb_vlan_tag_present`). */
  vlanPresent: boolean;
  /** That tag's TCI. */
  vlanTci: number;
  /** That tag's protocol, host order (0x8100, 0x88a8). */
  vlanProto: number;
  /** `CHECKSUM_*`. */
  ipSummed: number;
  /** `skb->csum` (u32). */
  csum: number;
  /** `skb->csum_level`. */
  csumLevel: number;
  /** An encapsulation header was pushed (`skb->encapsulation`). */
  encapsulation: boolean;
  /** Inner protocol, host order. */
  innerProtocol: number;
  /** Inner mac, network and transport header offsets. */
  innerMacHeader: number;
  /** Inner network header offset. */
  innerNetworkHeader: number;
  /** Inner transport header offset. */
  innerTransportHeader: number;
  /** `gso_size`, `gso_segs` and `gso_type` of the shared info. */
  gsoSize: number;
  /** GSO segment count. */
  gsoSegs: number;
  /** `SKB_GSO_*` bits. */
  gsoType: number;
  /** The device (`skb->dev->ifindex`). */
  ifindex: number;
  /** The skb sits at tc ingress (`skb->tc_at_ingress`). */
  readonly tcAtIngress: boolean;
  /** Tunnel metadata, when a tunnel key was set. */
  tunnel: TunnelInfo | undefined;
  /** The socket attached to the skb (`skb->sk`), if any. */
  readonly sk: PacketSocket | undefined;
  /** `skb->mark` (the program may also write it through the context). */
  mark: number;
  /** `skb->priority`. */
  priority: number;
  /**
   * `skb->data_len`: bytes at the end of the packet held in pages, not in the linear part that
   * direct packet access reaches (`data_end` is data + len - dataLen); pulls make them linear.
   */
  dataLen: number;
  /** Length (tail less data). */
  readonly len: number;
  /** Arena address of the skb's kernel `struct sk_buff` (bpfsim's kernel BTF layout), what bpf_cast_to_kern_ctx gives. */
  readonly kernCtx: number;
  /** Makes the buffer hold at least `headroom` bytes before data and `tailroom` after the tail, reallocating when needed. */
  reserve(headroom: number, tailroom: number): void;
  /** Writes metadata and pointers back to `__sk_buff` (and the sk_buff) and remaps the packet for checked mode. */
  sync(): void;
}

/** A socket-level context (CGROUP_SOCK_ADDR, CGROUP_SOCK, SOCK_OPS, SK_MSG) and its socket. */
export interface SockContext {
  /** Which context. */
  readonly kind: 'sock_addr' | 'sock' | 'sock_ops' | 'sk_msg';
  /** The socket. */
  readonly sk: PacketSocket | undefined;
}

/** A flow dissector run's context (`struct bpf_flow_dissector`): test runs have no skb behind it. */
export interface FlowContext {
  /** Discriminant. */
  readonly kind: 'flow_dissector';
  /** The skb being dissected, or undefined in test runs. */
  readonly skb: SkBuff | undefined;
}

/** Any context a packet or socket helper may be given. */
export type PacketContext = XdpBuff | SkBuff | SockContext | FlowContext;

/** Where a redirect sends the packet: what `bpf_redirect_info` holds after a `bpf_redirect*` call. */
export type RedirectTarget =
  | { readonly kind: 'ifindex'; readonly ifindex: number; readonly flags: number }
  | { readonly kind: 'peer'; readonly ifindex: number }
  | { readonly kind: 'neigh'; readonly ifindex: number; readonly nexthop?: { readonly family: number; readonly addr: Uint8Array } }
  | { readonly kind: 'map'; readonly mapType: number; readonly mapId: number; readonly key: number; readonly flags: number; readonly ifindex?: number }
  | SockRedirect;

/**
 * Where `bpf_sk_redirect_map`/`_hash` sends an sk_skb verdict's data: the socket of a SOCKMAP index
 * or SOCKHASH key, to its receive queue (`ingress`) or out of it (`skb_bpf_set_redir`).
 */
export interface SockRedirect {
  /** Discriminant. */
  readonly kind: 'sock';
  /** BPF_MAP_TYPE_SOCKMAP or BPF_MAP_TYPE_SOCKHASH. */
  readonly mapType: number;
  /** The map's id. */
  readonly mapId: number;
  /** The SOCKMAP index, or the SOCKHASH key's bytes. */
  readonly key: number | Uint8Array;
  /** The target socket's cookie. */
  readonly cookie: bigint;
  /** BPF_F_INGRESS: onto the target's receive queue instead of out of it. */
  readonly ingress: boolean;
}

/** A copy of the packet `bpf_clone_redirect` sent out. */
export interface ClonedPacket {
  /** Target device. */
  readonly ifindex: number;
  /** `BPF_F_INGRESS` or 0. */
  readonly flags: number;
  /** The packet as it was sent. */
  readonly data: Uint8Array;
}

/** The per-CPU redirect state (`struct bpf_redirect_info`), plus what clone redirects sent. */
export interface RedirectInfo {
  /** The last redirect target set on this CPU. */
  target: RedirectTarget | undefined;
  /** Packets sent by `bpf_clone_redirect`, oldest first. */
  readonly clones: ClonedPacket[];
}

/** Input of a FIB lookup (`struct bpf_fib_lookup` and flags). */
export interface FibQuery {
  /** AF_INET 2 or AF_INET6 10. */
  readonly family: number;
  /** Input interface (or output with BPF_FIB_LOOKUP_OUTPUT). */
  readonly ifindex: number;
  /** Destination, network order. */
  readonly dst: Uint8Array;
  /** Source, network order. */
  readonly src: Uint8Array;
  /** `BPF_FIB_LOOKUP_*` flags. */
  readonly flags: number;
  /** Table id with BPF_FIB_LOOKUP_TBID. */
  readonly tbid: number;
  /** Packet length to check against the route's MTU. */
  readonly totLen: number;
  /** Whether to check it (XDP always; tc when `tot_len` is set). */
  readonly checkMtu: boolean;
}

/** Output of a FIB lookup. */
export interface FibAnswer {
  /** `BPF_FIB_LKUP_RET_*`, or a negative errno. */
  readonly ret: number;
  /** Output interface. */
  readonly ifindex?: number;
  /** Route metric. */
  readonly metric?: number;
  /** Next hop family (AF_INET6 for an IPv6 gateway of an IPv4 route). */
  readonly family?: number;
  /** Next hop (gateway or destination), network order. */
  readonly nexthop?: Uint8Array;
  /** Source address chosen (BPF_FIB_LOOKUP_SRC). */
  readonly src?: Uint8Array;
  /** MTU of the route. */
  readonly mtu?: number;
  /** Destination MAC (the neighbour's). */
  readonly dmac?: Uint8Array;
  /** Source MAC (the output device's). */
  readonly smac?: Uint8Array;
}

/** A socket lookup key (`struct bpf_sock_tuple`), as seen from the packet: source is the peer. */
export interface SocketQuery {
  /** AF_INET or AF_INET6. */
  readonly family: number;
  /** IPPROTO_TCP or IPPROTO_UDP. */
  readonly protocol: number;
  /** Packet source address (the peer), network order. */
  readonly saddr: Uint8Array;
  /** Packet source port, host order. */
  readonly sport: number;
  /** Packet destination address (local), network order. */
  readonly daddr: Uint8Array;
  /** Packet destination port, host order. */
  readonly dport: number;
  /** Device the packet arrived on (0: any). */
  readonly ifindex: number;
}

/** The network state of a Machine that packet helpers consult. */
export interface NetEnv {
  /** The packet or socket context laid out at `addr` (the r1 of a run), if one is. */
  context(addr: number): PacketContext | undefined;
  /** The context of the run in progress on a CPU (for helpers that take no context, like bpf_redirect). */
  running(cpu: number): PacketContext | undefined;
  /** `bpf_redirect_info` of a CPU. */
  redirectInfo(cpu: number): RedirectInfo;
  /** A device by ifindex. */
  device(ifindex: number): NetDeviceInfo | undefined;
  /** The map whose pointer is `addr` (LD_IMM64 map references). */
  mapAt(addr: number): BpfMap | undefined;
  /** Route and neighbour lookup (`bpf_fib_lookup`). */
  fibLookup(q: FibQuery): FibAnswer;
  /** Socket lookup (`__inet_lookup`, `__udp4_lib_lookup`): a full socket or a request/timewait one. */
  socketLookup(q: SocketQuery): PacketSocket | undefined;
  /** The socket whose `bpf_sock` view is at `addr`. */
  socketAt(addr: number): PacketSocket | undefined;
  /** `bpf_tcp_sock`: the `bpf_tcp_sock` view of the full TCP socket at `addr` (its `bpf_sock` or `bpf_tcp_sock` view), 0 for another socket. */
  tcpSock(addr: number): number;
  /** The socket cookie of `sk`, generated on first use (`__sock_gen_cookie`). */
  socketCookie(sk: PacketSocket): bigint;
  /** Takes or drops a reference on a socket a lookup returned (`sk_release`). */
  socketRef(sk: PacketSocket, delta: 1 | -1): void;
  /** The cgroup net_cls classid of the current task (0 without net_cls). */
  readonly cgroupClassid: number;
  /** Seed of the flow hash (`hashrnd`). */
  readonly flowHashSeed: number;
  /** The Machine's memory. */
  readonly arena: Arena;
}
