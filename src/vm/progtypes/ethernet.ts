import type { NetDeviceInfo } from '../../helpers/packet.js';

/** `ETH_HLEN`. */
export const ETH_HLEN = 14;
/** `PACKET_*` values of `skb->pkt_type`. */
export const PacketType = { HOST: 0, BROADCAST: 1, MULTICAST: 2, OTHERHOST: 3, OUTGOING: 4, LOOPBACK: 5 } as const;
/** EtherTypes bpfsim acts on. */
export const EthP = { IP: 0x0800, IPV6: 0x86dd, ARP: 0x0806, P_8021Q: 0x8100, P_8021AD: 0x88a8, P_802_3: 0x0001, P_802_2: 0x0004, TEB: 0x6558 } as const;

function same(a: Uint8Array, at: number, b: Uint8Array): boolean {
  for (let i = 0; i < 6; i++) if (a[at + i] !== b[i]) return false;
  return true;
}

/**
 * `eth_type_trans(skb, dev)` on a frame: the packet type from the destination MAC as the device
 * sees it, and `skb->protocol` (host order) from the EtherType, with 802.3 frames told apart by
 * their first payload bytes (0xffff: raw 802.3, otherwise 802.2 LLC).
 */
export function ethTypeTrans(frame: Uint8Array, dev: NetDeviceInfo): { pktType: number; protocol: number } {
  let pktType: number = PacketType.HOST;
  if (!same(frame, 0, dev.mac)) {
    if (frame[0]! & 1) pktType = same(frame, 0, dev.broadcast) ? PacketType.BROADCAST : PacketType.MULTICAST;
    else pktType = PacketType.OTHERHOST;
  }
  const proto = (frame[12]! << 8) | frame[13]!;
  if (proto >= 0x600) return { pktType, protocol: proto };
  const raw = frame.length >= ETH_HLEN + 2 && frame[14] === 0xff && frame[15] === 0xff;
  return { pktType, protocol: raw ? EthP.P_802_3 : EthP.P_802_2 };
}
