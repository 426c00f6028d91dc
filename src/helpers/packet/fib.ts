import { ERRNO } from '../../errno.js';
import { ctxOf, memArg, netOf } from './context.js';
import { TC, XDP, packetHelper } from './def.js';
import type { PacketHelperDef } from './def.js';

const { EINVAL, EAFNOSUPPORT } = ERRNO;
const AF_INET = 2;
const AF_INET6 = 10;

/** `sizeof(struct bpf_fib_lookup)`. */
export const BPF_FIB_LOOKUP_SIZE = 64;
/** Field offsets of `struct bpf_fib_lookup`. */
export const BpfFibLookup = {
  family: 0, l4_protocol: 1, sport: 2, dport: 4, tot_len: 6, mtu_result: 6, ifindex: 8, tos: 12, rt_metric: 12,
  ipv4_src: 16, ipv6_src: 16, ipv4_dst: 32, ipv6_dst: 32, h_vlan_proto: 48, h_vlan_TCI: 50, tbid: 48, mark: 52,
  smac: 52, dmac: 58,
} as const;
/** Every `BPF_FIB_LOOKUP_*` flag Linux 6.18 knows. */
const FLAGS = 0x3f;
const SUCCESS = 0;
const NO_NEIGH = 7;
const FRAG_NEEDED = 8;

/**
 * `bpf_fib_lookup(ctx, params, plen, flags)` (XDP and tc): a route and neighbour lookup in the
 * Machine's FIB, writing the output device, metric, next hop and MACs into `params` and returning
 * `BPF_FIB_LKUP_RET_*` (or -EINVAL, -EAFNOSUPPORT, -ENODEV). XDP always checks the route MTU
 * against `tot_len`; tc does when `tot_len` is set, and otherwise checks the packet against the
 * output device and reports its MTU.
 */
export const fibLookup: PacketHelperDef = packetHelper('fib_lookup',
  { ret: 'integer', args: ['ctx', 'mem', 'const_size', 'anything'], gplOnly: true }, [...XDP, ...TC], (c) => {
    const ctx = ctxOf(c, 'bpf_fib_lookup');
    const net = netOf(c, 'bpf_fib_lookup');
    const plen = c.lo[3]!;
    if (plen < BPF_FIB_LOOKUP_SIZE) return -EINVAL;
    const flags = c.lo[4]! >>> 0;
    if ((flags & ~FLAGS) !== 0) return -EINVAL;
    const p = memArg(c, 'bpf_fib_lookup', 2, BPF_FIB_LOOKUP_SIZE, true);
    const v = new DataView(p.buffer, p.byteOffset, BPF_FIB_LOOKUP_SIZE);
    const family = p[BpfFibLookup.family]!;
    if (family !== AF_INET && family !== AF_INET6) return -EAFNOSUPPORT;
    const n = family === AF_INET6 ? 16 : 4;
    const totLen = v.getUint16(BpfFibLookup.tot_len, true);
    const checkMtu = ctx.kind === 'xdp' || totLen !== 0;
    const a = net.fibLookup({
      family, ifindex: v.getUint32(BpfFibLookup.ifindex, true), dst: p.slice(32, 32 + n), src: p.slice(16, 16 + n), flags,
      tbid: v.getUint32(BpfFibLookup.tbid, true), totLen, checkMtu,
    });
    let ret = a.ret;
    if (ret === FRAG_NEEDED && a.mtu !== undefined) v.setUint16(BpfFibLookup.mtu_result, a.mtu, true);
    if ((ret === SUCCESS || ret === NO_NEIGH) && a.ifindex !== undefined) {
      v.setUint32(BpfFibLookup.ifindex, a.ifindex, true);
      v.setUint32(BpfFibLookup.rt_metric, a.metric ?? 0, true);
      if (a.src) p.set(a.src, BpfFibLookup.ipv4_src);
      if (a.nexthop) {
        if (a.family === AF_INET6) p[BpfFibLookup.family] = AF_INET6;
        p.set(a.nexthop, BpfFibLookup.ipv4_dst);
      }
    }
    if (ret === SUCCESS) {
      if (a.dmac) p.set(a.dmac, BpfFibLookup.dmac);
      if (a.smac) p.set(a.smac, BpfFibLookup.smac);
      v.setUint16(BpfFibLookup.h_vlan_TCI, 0, true);
      v.setUint16(BpfFibLookup.h_vlan_proto, 0, true);
      if (a.mtu) v.setUint16(BpfFibLookup.mtu_result, a.mtu, true);
      if (ctx.kind === 'skb' && !checkMtu) {
        const dev = net.device(a.ifindex ?? 0);
        const mtu = dev?.mtu ?? 0;
        if (!dev || (ctx.len > mtu + dev.hardHeaderLen + 4 && ctx.gsoSize === 0)) ret = FRAG_NEEDED;
        v.setUint16(BpfFibLookup.mtu_result, mtu, true);
      }
    }
    return ret;
  });
