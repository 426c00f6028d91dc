import { ERRNO } from '../../errno.js';
import { jhash } from '../../maps/index.js';
import type { SkBuff, TunnelInfo } from '../packet.js';
import { argU64n, ctxOf, memArg, netOf, skbOf } from './context.js';
import { LWT, LWT_XMIT, SK_MSG, SOCK, SOCK_ADDR, TC, packetHelper } from './def.js';
import type { PacketHelperDef } from './def.js';
import { bytesOf } from './skbData.js';

const { EINVAL, EPROTO } = ERRNO;

/** `TUNNEL_*` flags of tunnel metadata (`ip_tunnel_info.key.tun_flags`). */
export const TUNNEL = { CSUM: 0x01, KEY: 0x04, SEQ: 0x08, DONT_FRAGMENT: 0x0100, NOCACHE: 0x2000 } as const;
/** Flags of bpf_skb_set_tunnel_key and bpf_skb_get_tunnel_key. */
export const TUNINFO = { IPV6: 1, ZERO_CSUM_TX: 2, DONT_FRAGMENT: 4, SEQ_NUMBER: 8, NO_TUNNEL_KEY: 16, FLAGS: 16 } as const;
/** `sizeof(struct bpf_tunnel_key)` and the shorter layouts older programs pass. */
const TUNNEL_KEY_SIZE = 44;
const COMPAT_SIZES = [28, 24, 22];
const V4_ONLY_SIZE = 8;

/** The flow hash `__skb_get_hash` would compute: addresses, ports and protocol mixed with the machine's seed, never 0. */
function flowHash(skb: SkBuff, u8: Uint8Array, seed: number): number {
  const net = skb.head + skb.networkHeader;
  const end = skb.head + skb.tailOff;
  let key = new Uint8Array(0);
  if (skb.protocol === 0x0800 && net + 20 <= end) {
    const ihl = (u8[net]! & 15) * 4;
    const proto = u8[net + 9]!;
    const ports = net + ihl + 4 <= end && (proto === 6 || proto === 17) ? u8.subarray(net + ihl, net + ihl + 4) : new Uint8Array(4);
    key = Uint8Array.from([...u8.subarray(net + 12, net + 20), ...ports, proto]);
  } else if (skb.protocol === 0x86dd && net + 40 <= end) {
    const proto = u8[net + 6]!;
    const ports = net + 44 <= end && (proto === 6 || proto === 17) ? u8.subarray(net + 40, net + 44) : new Uint8Array(4);
    key = Uint8Array.from([...u8.subarray(net + 8, net + 40), ...ports, proto]);
  }
  return jhash(key, 0, key.length, seed) || 1;
}

/** `bpf_get_hash_recalc(skb)`: the skb's hash, computed from the flow when none is set (`skb_get_hash`). */
export const getHashRecalc: PacketHelperDef = packetHelper('get_hash_recalc', { ret: 'integer', args: ['ctx'] }, [...TC, ...LWT], (c) => {
  const skb = skbOf(c, 'bpf_get_hash_recalc');
  if (!skb.l4Hash && !skb.swHash) {
    skb.hash = flowHash(skb, bytesOf(c, 'bpf_get_hash_recalc')(), netOf(c, 'bpf_get_hash_recalc').flowHashSeed) >>> 0;
    skb.swHash = true;
    skb.l4Hash = skb.protocol === 0x0800 || skb.protocol === 0x86dd;
    skb.sync();
  }
  return skb.hash;
});

/** `bpf_set_hash(skb, hash)`: sets a software L4 hash. */
export const setHash: PacketHelperDef = packetHelper('set_hash', { ret: 'integer', args: ['ctx', 'anything'] }, TC, (c) => {
  const skb = skbOf(c, 'bpf_set_hash');
  skb.hash = c.lo[2]! >>> 0;
  skb.swHash = true;
  skb.l4Hash = true;
  skb.sync();
  return 0;
});

/** `bpf_set_hash_invalid(skb)`: clears the hash so that the next reader computes it. */
export const setHashInvalid: PacketHelperDef = packetHelper('set_hash_invalid', { ret: 'integer', args: ['ctx'] }, [...TC, ...LWT_XMIT], (c) => {
  const skb = skbOf(c, 'bpf_set_hash_invalid');
  skb.hash = 0;
  skb.swHash = false;
  skb.l4Hash = false;
  skb.sync();
  return 0;
});

/** `bpf_get_cgroup_classid(skb)`: the net_cls classid of the current task (test runs run in process context). */
export const getCgroupClassid: PacketHelperDef = packetHelper('get_cgroup_classid', { ret: 'integer', args: ['ctx'] },
  [...TC, ...LWT, ...SOCK, ...SOCK_ADDR, ...SK_MSG], (c) => {
    ctxOf(c, 'bpf_get_cgroup_classid');
    return netOf(c, 'bpf_get_cgroup_classid').cgroupClassid;
  });

function be32(b: Uint8Array, at = 0): number {
  return ((b[at]! << 24) | (b[at + 1]! << 16) | (b[at + 2]! << 8) | b[at + 3]!) >>> 0;
}

/** The bytes of a u32 in network order. */
function toBe32(x: number): Uint8Array {
  return Uint8Array.of(x >>> 24, (x >>> 16) & 0xff, (x >>> 8) & 0xff, x & 0xff);
}

/**
 * `bpf_skb_get_tunnel_key(skb, key, size, flags)`: the tunnel metadata as a `struct bpf_tunnel_key`
 * (remote = the tunnel source, as on receive); -EINVAL without metadata or for bad flags or sizes,
 * -EPROTO when the family differs; the buffer is zeroed on error.
 */
export const skbGetTunnelKey: PacketHelperDef = packetHelper('skb_get_tunnel_key',
  { ret: 'integer', args: ['ctx', 'uninit_mem', 'const_size', 'anything'] }, [...TC, ...LWT_XMIT], (c) => {
    const skb = skbOf(c, 'bpf_skb_get_tunnel_key');
    const size = c.lo[3]! >>> 0;
    const to = memArg(c, 'bpf_skb_get_tunnel_key', 2, size, true);
    const flags = argU64n(c, 4);
    const fail = (err: number) => {
      to.fill(0);
      return -err;
    };
    const info = skb.tunnel;
    if (!info || c.hi[4] !== 0 || (flags & ~(TUNINFO.IPV6 | TUNINFO.FLAGS)) !== 0) return fail(EINVAL);
    const v6 = (flags & TUNINFO.IPV6) !== 0;
    if (info.ipv6 !== v6) return fail(EPROTO);
    if (size !== TUNNEL_KEY_SIZE && !COMPAT_SIZES.includes(size) && !(size === V4_ONLY_SIZE && !info.ipv6)) return fail(EINVAL);
    const key = new Uint8Array(TUNNEL_KEY_SIZE);
    const v = new DataView(key.buffer);
    v.setUint32(0, Number(info.id & 0xffffffffn), true);
    key[20] = info.tos;
    key[21] = info.ttl;
    if (flags & TUNINFO.FLAGS) v.setUint16(22, ((info.flags >> 8) & 0xff) | ((info.flags & 0xff) << 8), true);
    if (v6) {
      key.set(info.local.subarray(0, 16), 4);
      key.set(info.remote.subarray(0, 16), 28);
      v.setUint32(24, info.label, true);
    } else {
      v.setUint32(4, be32(info.local), true);
      v.setUint32(28, be32(info.remote), true);
    }
    to.set(key.subarray(0, size));
    return 0;
  });

/**
 * `bpf_skb_set_tunnel_key(skb, key, size, flags)`: attaches transmit tunnel metadata (a metadata dst)
 * for a collect-metadata tunnel device to use; -EINVAL for bad flags, sizes, an IPv4 label or
 * `tunnel_ext`.
 */
export const skbSetTunnelKey: PacketHelperDef = packetHelper('skb_set_tunnel_key',
  { ret: 'integer', args: ['ctx', 'mem', 'const_size', 'anything'] }, [...TC, ...LWT_XMIT], (c) => {
    const skb = skbOf(c, 'bpf_skb_set_tunnel_key');
    const size = c.lo[3]! >>> 0;
    const flags = argU64n(c, 4);
    const allowed = TUNINFO.IPV6 | TUNINFO.ZERO_CSUM_TX | TUNINFO.DONT_FRAGMENT | TUNINFO.SEQ_NUMBER | TUNINFO.NO_TUNNEL_KEY;
    if (c.hi[4] !== 0 || (flags & ~allowed) !== 0) return -EINVAL;
    if (size !== TUNNEL_KEY_SIZE && !COMPAT_SIZES.includes(size) && size !== V4_ONLY_SIZE) return -EINVAL;
    const key = new Uint8Array(TUNNEL_KEY_SIZE);
    key.set(memArg(c, 'bpf_skb_set_tunnel_key', 2, size, false));
    const v = new DataView(key.buffer);
    const v6 = (flags & TUNINFO.IPV6) !== 0;
    const label = v.getUint32(24, true);
    if ((!v6 && label !== 0) || v.getUint16(22, true) !== 0) return -EINVAL;
    let tunFlags = TUNNEL.KEY | TUNNEL.CSUM | TUNNEL.NOCACHE;
    if (flags & TUNINFO.DONT_FRAGMENT) tunFlags |= TUNNEL.DONT_FRAGMENT;
    if (flags & TUNINFO.ZERO_CSUM_TX) tunFlags &= ~TUNNEL.CSUM;
    if (flags & TUNINFO.SEQ_NUMBER) tunFlags |= TUNNEL.SEQ;
    if (flags & TUNINFO.NO_TUNNEL_KEY) tunFlags &= ~TUNNEL.KEY;
    const info: TunnelInfo = v6
      ? { ipv6: true, id: BigInt(v.getUint32(0, true)), tos: key[20]!, ttl: key[21]!, label: label & 0xfffff, remote: key.slice(4, 20), local: key.slice(28, 44), flags: tunFlags }
      : { ipv6: false, id: BigInt(v.getUint32(0, true)), tos: key[20]!, ttl: key[21]!, label: 0, remote: toBe32(v.getUint32(4, true)), local: toBe32(v.getUint32(28, true)), flags: tunFlags };
    skb.tunnel = info;
    return 0;
  });
