import { netOf } from './context.js';
import { CG_SKB, SOCK_OPS, TC, packetHelper } from './def.js';
import type { PacketHelperDef } from './def.js';
import { BPF_PROG_TYPE_CGROUP_SOCKOPT } from '../../uapi.js';

/** `bpf_tcp_sock(sk)`: the socket's `struct bpf_tcp_sock` view when it is a full TCP socket, else NULL. */
export const tcpSock: PacketHelperDef = packetHelper('tcp_sock', { ret: 'tcp_sock_or_null', args: ['sock_common'] },
  [...CG_SKB, ...TC, ...SOCK_OPS, BPF_PROG_TYPE_CGROUP_SOCKOPT], (c) => {
    const addr = c.hi[1] === 0 ? c.lo[1]! >>> 0 : 0;
    return netOf(c, 'bpf_tcp_sock').tcpSock(addr);
  });
