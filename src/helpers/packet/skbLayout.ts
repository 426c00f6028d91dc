import { ERRNO } from '../../errno.js';
import { BPF_PROG_TYPE_SK_SKB } from '../../uapi.js';
import type { SkBuff } from '../packet.js';
import { argS32, argU64n, skbOf } from './context.js';
import { SK_SKB, TC, packetHelper } from './def.js';
import type { PacketHelperDef } from './def.js';
import { BPF_SKB_MAX_LEN, bytesOf, resetChecksumUnnecessary } from './skbData.js';
import { clearHash, cowHead, ensureWritable, macHeaderLen, netHdrPop, netHdrPush, postpullRcsum, postpushRcsum } from './skbOps.js';
import type { Bytes } from './skbOps.js';

const { EINVAL, EFAULT, ENOTSUPP, EALREADY, ENOMEM } = ERRNO;
const ETH_P_IP = 0x0800;
const ETH_P_IPV6 = 0x86dd;
const ETH_P_8021Q = 0x8100;
const ETH_P_8021AD = 0x88a8;
const ETH_P_TEB = 0x6558;
const SKB_GSO_TCPV4 = 1 << 0;
const SKB_GSO_DODGY = 1 << 1;
const SKB_GSO_TCPV6 = 1 << 4;
const SKB_GSO_UDP_L4 = 1 << 17;
/** `GSO_BY_FRAGS`: a gso_size that means "segment by the fragment list"; never adjusted. */
const GSO_BY_FRAGS = 0xffff;

/** `BPF_F_ADJ_ROOM_*` flags and `BPF_ADJ_ROOM_*` modes of bpf_skb_adjust_room. */
export const ADJ_ROOM = {
  FIXED_GSO: 1, ENCAP_L3_IPV4: 2, ENCAP_L3_IPV6: 4, ENCAP_L4_GRE: 8, ENCAP_L4_UDP: 16, NO_CSUM_RESET: 32,
  ENCAP_L2_ETH: 64, DECAP_L3_IPV4: 128, DECAP_L3_IPV6: 256, MODE_NET: 0, MODE_MAC: 1,
} as const;
const ENCAP_L3 = ADJ_ROOM.ENCAP_L3_IPV4 | ADJ_ROOM.ENCAP_L3_IPV6;
const DECAP_L3 = ADJ_ROOM.DECAP_L3_IPV4 | ADJ_ROOM.DECAP_L3_IPV6;
const ALLOWED_LOW = ADJ_ROOM.FIXED_GSO | ENCAP_L3 | ADJ_ROOM.ENCAP_L4_GRE | ADJ_ROOM.ENCAP_L4_UDP | ADJ_ROOM.NO_CSUM_RESET | ADJ_ROOM.ENCAP_L2_ETH | DECAP_L3;

function swap16(x: number): number {
  return ((x & 0xff) << 8) | ((x >> 8) & 0xff);
}

/** `bpf_skb_net_base_len`: the size of the packet's base network header. */
function netBaseLen(skb: SkBuff): number {
  return skb.protocol === ETH_P_IP ? 20 : skb.protocol === ETH_P_IPV6 ? 40 : 0xffffffff;
}

/**
 * Whether a GSO packet may not change size: only TCP GSO may, and UDP_L4 GSO with a fixed gso_size
 * (gso_size delimits its datagrams). Test runs build GSO packets without a gso_type, so never.
 */
function gsoRefuses(skb: SkBuff, flagsLo: number): boolean {
  if (skb.gsoSize === 0 || skb.gsoType & (SKB_GSO_TCPV4 | SKB_GSO_TCPV6)) return false;
  return !(skb.gsoType & SKB_GSO_UDP_L4) || !(flagsLo & ADJ_ROOM.FIXED_GSO);
}

/** `bpf_skb_net_grow`. */
function netGrow(skb: SkBuff, u8: Bytes, off: number, diff: number, flagsLo: number, innerMacLen: number): number {
  const encap = (flagsLo & ENCAP_L3) !== 0;
  if (gsoRefuses(skb, flagsLo)) return -ENOTSUPP;
  cowHead(skb, diff);
  let macLen = 0;
  let innerNet = 0;
  let innerTrans = 0;
  if (encap) {
    if (skb.protocol !== ETH_P_IP && skb.protocol !== ETH_P_IPV6) return -ENOTSUPP;
    if ((flagsLo & ENCAP_L3) === ENCAP_L3) return -EINVAL;
    if ((flagsLo & ADJ_ROOM.ENCAP_L4_GRE) && (flagsLo & ADJ_ROOM.ENCAP_L4_UDP)) return -EINVAL;
    if ((flagsLo & ADJ_ROOM.ENCAP_L2_ETH) && innerMacLen < 14) return -EINVAL;
    if (skb.encapsulation) return -EALREADY;
    macLen = skb.networkHeader - skb.macHeader;
    innerNet = skb.networkHeader;
    if (innerMacLen > diff) return -EINVAL;
    innerTrans = skb.transportHeader;
  }
  netHdrPush(skb, u8, off, diff);
  if (encap) {
    skb.innerMacHeader = innerNet - innerMacLen;
    skb.innerNetworkHeader = innerNet;
    skb.innerTransportHeader = innerTrans;
    skb.innerProtocol = flagsLo & ADJ_ROOM.ENCAP_L2_ETH ? ETH_P_TEB : skb.protocol;
    skb.encapsulation = true;
    skb.networkHeader = skb.macHeader + macLen;
    if (flagsLo & (ADJ_ROOM.ENCAP_L4_GRE | ADJ_ROOM.ENCAP_L4_UDP)) {
      skb.transportHeader = skb.macHeader + macLen + (flagsLo & ADJ_ROOM.ENCAP_L3_IPV6 ? 40 : 20);
    }
    if (skb.protocol === ETH_P_IP && flagsLo & ADJ_ROOM.ENCAP_L3_IPV6) skb.protocol = ETH_P_IPV6;
    else if (skb.protocol === ETH_P_IPV6 && flagsLo & ADJ_ROOM.ENCAP_L3_IPV4) skb.protocol = ETH_P_IP;
  }
  if (skb.gsoSize) {
    if (!(flagsLo & ADJ_ROOM.FIXED_GSO) && skb.gsoSize !== GSO_BY_FRAGS) skb.gsoSize = (skb.gsoSize - diff) & 0xffff;
    skb.gsoType |= SKB_GSO_DODGY;
    skb.gsoSegs = 0;
  }
  return 0;
}

/** `bpf_skb_net_shrink`. */
function netShrink(skb: SkBuff, u8: Bytes, off: number, diff: number, flagsLo: number, flagsHi: number): number {
  if (flagsHi !== 0 || (flagsLo & ~(ADJ_ROOM.FIXED_GSO | DECAP_L3 | ADJ_ROOM.NO_CSUM_RESET)) !== 0) return -EINVAL;
  if (gsoRefuses(skb, flagsLo)) return -ENOTSUPP;
  const ret = netHdrPop(skb, u8, off, diff);
  if (ret < 0) return ret;
  if (skb.protocol === ETH_P_IP && flagsLo & ADJ_ROOM.DECAP_L3_IPV6) skb.protocol = ETH_P_IPV6;
  else if (skb.protocol === ETH_P_IPV6 && flagsLo & ADJ_ROOM.DECAP_L3_IPV4) skb.protocol = ETH_P_IP;
  if (skb.gsoSize) {
    if (!(flagsLo & ADJ_ROOM.FIXED_GSO) && skb.gsoSize !== GSO_BY_FRAGS) skb.gsoSize = (skb.gsoSize + diff) & 0xffff;
    skb.gsoType |= SKB_GSO_DODGY;
    skb.gsoSegs = 0;
  }
  return 0;
}

/**
 * `bpf_skb_adjust_room(skb, len_diff, mode, flags)` (tc): grows or shrinks room after the mac
 * header (BPF_ADJ_ROOM_MAC) or the network header (BPF_ADJ_ROOM_NET) of an IPv4 or IPv6 packet,
 * with the encapsulation and decapsulation flags; SK_SKB's version pushes or pulls at the front.
 */
export const skbAdjustRoom: PacketHelperDef = packetHelper('skb_adjust_room',
  { ret: 'integer', args: ['ctx', 'anything', 'anything', 'anything'], changesPktData: true }, [...TC, ...SK_SKB], (c) => {
    const skb = skbOf(c, 'bpf_skb_adjust_room');
    const u8 = bytesOf(c, 'bpf_skb_adjust_room');
    const diff = argS32(c, 2);
    const abs = Math.abs(diff);
    const shrink = diff < 0;
    const mode = c.lo[3]! >>> 0;
    const flagsLo = c.lo[4]! >>> 0;
    const flagsHi = c.hi[4]! >>> 0;
    if (skb.progType === BPF_PROG_TYPE_SK_SKB) {
      if (argU64n(c, 4) !== 0 || mode !== 0) return -EINVAL;
      if (abs > 0xfff) return -EFAULT;
      if (!shrink) {
        cowHead(skb, abs);
        skb.dataOff -= abs;
        u8().fill(0, skb.head + skb.dataOff, skb.head + skb.dataOff + abs);
      } else {
        if (ensureWritable(skb, abs) < 0) return -ENOMEM;
        skb.dataOff += abs;
      }
      skb.sync();
      return 0;
    }
    const innerMacLen = flagsHi >>> 24;
    if ((flagsLo & ~ALLOWED_LOW) !== 0 || (flagsHi & 0x00ffffff) !== 0) return -EINVAL;
    if (abs > 0xfff) return -EFAULT;
    if (skb.protocol !== ETH_P_IP && skb.protocol !== ETH_P_IPV6) return -ENOTSUPP;
    let off = macHeaderLen(skb);
    if (mode === ADJ_ROOM.MODE_NET) off += netBaseLen(skb);
    else if (mode !== ADJ_ROOM.MODE_MAC) return -ENOTSUPP;
    let lenMin = netBaseLen(skb);
    if (flagsLo & DECAP_L3) {
      if (!shrink) return -EINVAL;
      if ((flagsLo & DECAP_L3) === ADJ_ROOM.DECAP_L3_IPV4) lenMin = 20;
      else if ((flagsLo & DECAP_L3) === ADJ_ROOM.DECAP_L3_IPV6) lenMin = 40;
      else return -EINVAL;
    }
    const lenCur = skb.len - (skb.networkHeader - skb.dataOff);
    if ((shrink && (abs >= lenCur || lenCur - abs < lenMin)) || (!shrink && skb.len + abs > BPF_SKB_MAX_LEN && !skb.gsoSize)) return -ENOTSUPP;
    const ret = shrink ? netShrink(skb, u8, off, abs, flagsLo, flagsHi) : netGrow(skb, u8, off, abs, flagsLo, innerMacLen);
    if (ret === 0 && !(flagsLo & ADJ_ROOM.NO_CSUM_RESET)) resetChecksumUnnecessary(skb);
    skb.sync();
    return ret;
  });

/**
 * `bpf_skb_change_proto(skb, proto, flags)` (tc): IPv4 to IPv6 inserts 20 zeroed bytes after the
 * mac header, IPv6 to IPv4 removes 20; the program rewrites the header itself. -ENOTSUPP for other
 * pairs, -EINVAL for flags.
 */
export const skbChangeProto: PacketHelperDef = packetHelper('skb_change_proto',
  { ret: 'integer', args: ['ctx', 'anything', 'anything'], changesPktData: true }, TC, (c) => {
    const skb = skbOf(c, 'bpf_skb_change_proto');
    if (argU64n(c, 3) !== 0) return -EINVAL;
    const to = swap16(c.lo[2]! & 0xffff);
    const u8 = bytesOf(c, 'bpf_skb_change_proto');
    const off = macHeaderLen(skb);
    let ret = -ENOTSUPP;
    if (skb.protocol === ETH_P_IP && to === ETH_P_IPV6) {
      cowHead(skb, 20);
      netHdrPush(skb, u8, off, 20);
      skb.protocol = ETH_P_IPV6;
      clearHash(skb);
      ret = 0;
    } else if (skb.protocol === ETH_P_IPV6 && to === ETH_P_IP) {
      ret = netHdrPop(skb, u8, off, 20);
      if (ret === 0) {
        skb.protocol = ETH_P_IP;
        clearHash(skb);
      }
    }
    skb.sync();
    return ret;
  });

function vlanType(proto: number): boolean {
  return proto === ETH_P_8021Q || proto === ETH_P_8021AD;
}

/** `__vlan_insert_tag`: writes the held tag into the packet after the MAC addresses. */
function insertTag(skb: SkBuff, u8: Bytes, proto: number, tci: number): void {
  cowHead(skb, 4);
  skb.dataOff -= 4;
  const d = skb.head + skb.dataOff;
  u8().copyWithin(d, d + 4, d + 16);
  if (skb.macHeader >= 0) skb.macHeader -= 4;
  u8()[d + 12] = proto >> 8;
  u8()[d + 13] = proto & 0xff;
  u8()[d + 14] = tci >> 8;
  u8()[d + 15] = tci & 0xff;
}

/** `__skb_vlan_pop`: removes the tag after the MAC addresses; returns its TCI or a negative errno. */
function popTag(skb: SkBuff, u8: Bytes): number {
  if (skb.dataOff !== skb.macHeader) return -EINVAL;
  if (ensureWritable(skb, 18) < 0) return -ENOMEM;
  postpullRcsum(skb, u8, skb.dataOff + 12, 4);
  const d = skb.head + skb.dataOff;
  const tci = (u8()[d + 14]! << 8) | u8()[d + 15]!;
  const encap = (u8()[d + 16]! << 8) | u8()[d + 17]!;
  const raw = skb.len >= 20 && u8()[d + 18] === 0xff && u8()[d + 19] === 0xff;
  u8().copyWithin(d + 4, d, d + 12);
  skb.dataOff += 4;
  skb.protocol = encap >= 0x600 ? encap : raw ? 0x0001 : 0x0004;
  skb.macHeader += 4;
  if (skb.networkHeader - skb.dataOff < 14) skb.networkHeader = skb.dataOff + 14;
  return tci;
}

/**
 * `bpf_skb_vlan_push(skb, proto, tci)` (tc): holds the tag outside the packet as hardware would; a
 * tag already held goes into the packet first. Protocols other than 802.1Q and 802.1ad become 802.1Q.
 */
export const skbVlanPush: PacketHelperDef = packetHelper('skb_vlan_push',
  { ret: 'integer', args: ['ctx', 'anything', 'anything'], changesPktData: true }, TC, (c) => {
    const skb = skbOf(c, 'bpf_skb_vlan_push');
    const u8 = bytesOf(c, 'bpf_skb_vlan_push');
    let proto = swap16(c.lo[2]! & 0xffff);
    if (!vlanType(proto)) proto = ETH_P_8021Q;
    const tci = c.lo[3]! & 0xffff;
    if (skb.vlanPresent) {
      if (skb.dataOff !== skb.macHeader) return -EINVAL;
      insertTag(skb, u8, skb.vlanProto, skb.vlanTci);
      skb.protocol = skb.vlanProto;
      skb.networkHeader -= 4;
      postpushRcsum(skb, u8, skb.dataOff + 12, 4);
    }
    skb.vlanPresent = true;
    skb.vlanProto = proto;
    skb.vlanTci = tci;
    skb.sync();
    return 0;
  });

/** `bpf_skb_vlan_pop(skb)` (tc): drops the held tag, or the packet's outer one, and holds the next tag if there is one. */
export const skbVlanPop: PacketHelperDef = packetHelper('skb_vlan_pop',
  { ret: 'integer', args: ['ctx'], changesPktData: true }, TC, (c) => {
    const skb = skbOf(c, 'bpf_skb_vlan_pop');
    const u8 = bytesOf(c, 'bpf_skb_vlan_pop');
    const done = (ret: number) => {
      skb.sync();
      return ret;
    };
    if (skb.vlanPresent) {
      skb.vlanPresent = false;
      skb.vlanTci = 0;
      skb.vlanProto = 0;
    } else {
      if (!vlanType(skb.protocol)) return done(0);
      const r = popTag(skb, u8);
      if (r < 0) return done(r);
    }
    if (!vlanType(skb.protocol)) return done(0);
    const proto = skb.protocol;
    const tci = popTag(skb, u8);
    if (tci < 0) return done(tci);
    skb.vlanPresent = true;
    skb.vlanProto = proto;
    skb.vlanTci = tci;
    return done(0);
  });
