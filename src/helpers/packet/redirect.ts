import { ERRNO } from '../../errno.js';
import { CpuMap, DevMap, XskMap } from '../../maps/index.js';
import { XDP_ABORTED, XDP_REDIRECT } from '../../uapi.js';
import { TC_ACT_REDIRECT, TC_ACT_SHOT } from '../packet.js';
import type { SkBuff } from '../packet.js';
import { argU64n, memArg, netOf, runningCtx, skbOf } from './context.js';
import { LWT_XMIT, TC, XDP, packetHelper } from './def.js';
import type { PacketHelperDef } from './def.js';

const { EINVAL } = ERRNO;

/** `BPF_F_INGRESS`: redirect to the device's receive path instead of its transmit path. */
export const BPF_F_INGRESS = 1;
/** `BPF_F_BROADCAST`: redirect to every device of a devmap. */
export const BPF_F_BROADCAST = 1 << 3;
/** `BPF_F_EXCLUDE_INGRESS`: leave the ingress device out of a broadcast. */
export const BPF_F_EXCLUDE_INGRESS = 1 << 4;
/** `sizeof(struct bpf_redir_neigh)`. */
const REDIR_NEIGH_SIZE = 20;

/** Whether skb redirect flags are valid: BPF_F_INGRESS at most (the internal NEIGH/PEER/NEXTHOP bits refused). */
function skbFlagsOk(c: Parameters<typeof argU64n>[0], i: number): boolean {
  return c.hi[i] === 0 && (c.lo[i]! & ~BPF_F_INGRESS) === 0;
}

/**
 * `bpf_redirect(ifindex, flags)`: XDP records the device and returns XDP_REDIRECT (XDP_ABORTED for
 * any flag); tc and LWT xmit record device and BPF_F_INGRESS and return TC_ACT_REDIRECT
 * (TC_ACT_SHOT for other flags).
 */
export const redirect: PacketHelperDef = packetHelper('redirect', { ret: 'integer', args: ['anything', 'anything'] },
  [...XDP, ...TC, ...LWT_XMIT], (c) => {
    const ctx = runningCtx(c, 'bpf_redirect');
    const ri = netOf(c, 'bpf_redirect').redirectInfo(c.cpu);
    const ifindex = c.lo[1]! >>> 0;
    if (ctx.kind === 'xdp') {
      if (argU64n(c, 2) !== 0) return XDP_ABORTED;
      ri.target = { kind: 'ifindex', ifindex, flags: 0 };
      return XDP_REDIRECT;
    }
    if (!skbFlagsOk(c, 2)) return TC_ACT_SHOT;
    ri.target = { kind: 'ifindex', ifindex, flags: c.lo[2]! >>> 0 };
    return TC_ACT_REDIRECT;
  });

/** `bpf_redirect_peer(ifindex, flags)`: to the peer of a veth or netkit device, from tc ingress. */
export const redirectPeer: PacketHelperDef = packetHelper('redirect_peer', { ret: 'integer', args: ['anything', 'anything'] }, TC, (c) => {
  if (argU64n(c, 2) !== 0) return TC_ACT_SHOT;
  netOf(c, 'bpf_redirect_peer').redirectInfo(c.cpu).target = { kind: 'peer', ifindex: c.lo[1]! >>> 0 };
  return TC_ACT_REDIRECT;
});

/** `bpf_redirect_neigh(ifindex, params, plen, flags)`: out of a device with the neighbour layer filling in the MACs. */
export const redirectNeigh: PacketHelperDef = packetHelper('redirect_neigh',
  { ret: 'integer', args: ['anything', 'mem_or_null', 'const_size_or_zero', 'anything'] }, TC, (c) => {
    const plen = c.lo[3]!;
    if ((plen !== 0 && plen < REDIR_NEIGH_SIZE) || argU64n(c, 4) !== 0) return TC_ACT_SHOT;
    const ifindex = c.lo[1]! >>> 0;
    let nexthop: { family: number; addr: Uint8Array } | undefined;
    if (plen) {
      const p = memArg(c, 'bpf_redirect_neigh', 2, REDIR_NEIGH_SIZE, false);
      const family = new DataView(p.buffer, p.byteOffset, 4).getUint32(0, true);
      nexthop = { family, addr: p.slice(4, family === 10 ? 20 : 8) };
    }
    netOf(c, 'bpf_redirect_neigh').redirectInfo(c.cpu).target = { kind: 'neigh', ifindex, ...(nexthop ? { nexthop } : {}) };
    return TC_ACT_REDIRECT;
  });

/**
 * `bpf_clone_redirect(skb, ifindex, flags)`: sends a copy now (recorded with the run's result) and
 * returns the transmit result, 0; -EINVAL for bad flags or a missing device.
 */
export const cloneRedirect: PacketHelperDef = packetHelper('clone_redirect',
  { ret: 'integer', args: ['ctx', 'anything', 'anything'], changesPktData: true }, [...TC, ...LWT_XMIT], (c) => {
    const skb = skbOf(c, 'bpf_clone_redirect');
    const net = netOf(c, 'bpf_clone_redirect');
    if (!skbFlagsOk(c, 3)) return -EINVAL;
    const ifindex = c.lo[2]! >>> 0;
    if (!net.device(ifindex)) return -EINVAL;
    net.redirectInfo(c.cpu).clones.push({ ifindex, flags: c.lo[3]! >>> 0, data: packetBytes(skb, net.arena.u8) });
    return 0;
  });

/** The bytes of an skb from data to tail. */
export function packetBytes(skb: SkBuff, u8: Uint8Array): Uint8Array {
  return u8.slice(skb.head + skb.dataOff, skb.head + skb.tailOff);
}

/**
 * `bpf_redirect_map(map, key, flags)` (XDP): a DEVMAP, DEVMAP_HASH, CPUMAP or XSKMAP entry as the
 * target. The low two bits of flags are the verdict when the entry is missing; BPF_F_BROADCAST
 * (and BPF_F_EXCLUDE_INGRESS) send to every devmap entry; other flags abort.
 */
export const redirectMap: PacketHelperDef = packetHelper('redirect_map',
  { ret: 'integer', args: ['const_map_ptr', 'anything', 'anything'] }, XDP, (c) => {
    const net = netOf(c, 'bpf_redirect_map');
    const map = net.mapAt(c.hi[1] === 0 ? c.lo[1]! >>> 0 : -1);
    const ri = net.redirectInfo(c.cpu);
    const flags = argU64n(c, 3);
    const devmap = map instanceof DevMap;
    const mask = 3 | (devmap ? BPF_F_BROADCAST | BPF_F_EXCLUDE_INGRESS : 0);
    if (!map || !(devmap || map instanceof CpuMap || map instanceof XskMap)) return XDP_ABORTED;
    if (c.hi[3] !== 0 || (flags & ~mask) !== 0) return XDP_ABORTED;
    const key = c.lo[2]! >>> 0;
    let ifindex: number | undefined;
    let found: boolean;
    if (map instanceof DevMap) {
      const entry = map.entry(key);
      found = entry !== undefined;
      ifindex = entry?.dev.ifindex;
    } else if (map instanceof CpuMap) found = map.entry(key) !== undefined;
    else found = map.socket(key) !== undefined;
    if (!found && !(flags & BPF_F_BROADCAST)) {
      ri.target = undefined;
      return flags & 3;
    }
    const broadcast = (flags & BPF_F_BROADCAST) !== 0;
    ri.target = { kind: 'map', mapType: map.type, mapId: map.id, key, flags: broadcast ? flags : 0, ...(ifindex !== undefined ? { ifindex } : {}) };
    return XDP_REDIRECT;
  });
