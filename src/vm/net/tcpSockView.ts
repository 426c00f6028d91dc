/**
 * The `struct bpf_tcp_sock` view of the simulated kernel's TCP sockets, what `bpf_tcp_sock`
 * returns. bpfsim does not simulate TCP's congestion control or sequence space, so every socket
 * shows what `tcp_init_sock` leaves in a socket that has not exchanged data yet (a listener's
 * values on Linux): an initial window of 10, no slow-start threshold, the default MSS and an unset
 * minimum RTT; counters and sequence numbers are 0.
 */
import type { Arena, Region } from '../../arena/index.js';
import type { SimSocket } from './sockets.js';

/** Field offsets of `struct bpf_tcp_sock` (UAPI). */
export const BpfTcpSock = {
  snd_cwnd: 0, srtt_us: 4, rtt_min: 8, snd_ssthresh: 12, rcv_nxt: 16, snd_nxt: 20, snd_una: 24, mss_cache: 28,
  ecn_flags: 32, rate_delivered: 36, rate_interval_us: 40, packets_out: 44, retrans_out: 48, total_retrans: 52,
  segs_in: 56, data_segs_in: 60, segs_out: 64, data_segs_out: 68, lost_out: 72, sacked_out: 76, bytes_received: 80,
  bytes_acked: 88, dsack_dups: 96, delivered: 100, delivered_ce: 104, icsk_retransmits: 108,
} as const;

/** `sizeof(struct bpf_tcp_sock)`. */
export const BPF_TCP_SOCK_SIZE = 112;
/** TCP_INIT_CWND. */
const TCP_INIT_CWND = 10;
/** TCP_INFINITE_SSTHRESH. */
const TCP_INFINITE_SSTHRESH = 0x7fffffff;
/** TCP_MSS_DEFAULT. */
const TCP_MSS_DEFAULT = 536;

/** The `bpf_tcp_sock` views of a Machine's sockets, made when a program first asks for one. */
export class TcpSockViews {
  private readonly arena: Arena;
  private readonly views = new Map<SimSocket, Region>();
  private readonly owners = new Map<number, SimSocket>();

  constructor(arena: Arena) {
    this.arena = arena;
  }

  /** The address of `sk`'s view. */
  viewOf(sk: SimSocket): number {
    let r = this.views.get(sk);
    if (!r) {
      r = this.arena.alloc(BPF_TCP_SOCK_SIZE, 'mem', `bpf_tcp_sock[${sk.cookie}]`, { writable: false });
      const v = this.arena.view;
      v.setUint32(r.start + BpfTcpSock.snd_cwnd, TCP_INIT_CWND, true);
      v.setUint32(r.start + BpfTcpSock.rtt_min, 0xffffffff, true);
      v.setUint32(r.start + BpfTcpSock.snd_ssthresh, TCP_INFINITE_SSTHRESH, true);
      v.setUint32(r.start + BpfTcpSock.mss_cache, TCP_MSS_DEFAULT, true);
      this.views.set(sk, r);
      this.owners.set(r.start, sk);
    }
    return r.start;
  }

  /** The socket whose view is at `addr`. */
  owner(addr: number): SimSocket | undefined {
    return this.owners.get(addr);
  }
}
