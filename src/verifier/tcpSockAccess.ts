/** Offsets of the two u64 fields of `struct bpf_tcp_sock` (bytes_received, bytes_acked). */
const U64_FIELDS = [80, 88];
/** `offsetofend(struct bpf_tcp_sock, icsk_retransmits)`. */
const BPF_TCP_SOCK_END = 112;

/**
 * bpf_tcp_sock_is_valid_access: whole, aligned loads of its u32 fields and of its two u64
 * counters. It also passes a u32 load of a counter's high half, which the kernel's access
 * conversion then cannot translate ('high'); bpfsim refuses it at the load with the kernel's
 * reason rather than after the walk.
 */
export function tcpSockFieldOk(off: number, size: number): boolean | 'high' {
  if (off < 0 || off >= BPF_TCP_SOCK_END || off % size !== 0) return false;
  if (size === 4 && U64_FIELDS.includes(off - 4)) return 'high';
  return size === (U64_FIELDS.includes(off) ? 8 : 4);
}
