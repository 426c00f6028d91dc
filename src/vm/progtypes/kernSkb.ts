import type { Arena, Region } from '../../arena/index.js';
import { SKB_CB_SIZE, SkBuffMd } from './ctx/skBuffLayout.js';

/**
 * `struct sk_buff` as bpfsim's kernel BTF lays it out (src/elf/btf/simKernel.ts): the kernel
 * context of the skb program types, which bpf_cast_to_kern_ctx gives and the program reads through
 * PTR_TO_BTF_ID loads. `flags1` is the byte holding pkt_type (bits 0-2) and ip_summed (bits 5-6),
 * `flags2` the one holding tc_at_ingress (bit 0) and encapsulation (bit 1).
 */
export const KernSkBuff = {
  dev: 0, tstamp: 8, cb: 16, len: 64, data_len: 68, mac_len: 72, hdr_len: 74, queue_mapping: 76, flags1: 78,
  flags2: 79, tc_index: 80, csum: 84, priority: 88, skb_iif: 92, hash: 96, vlan_proto: 100, vlan_tci: 102, mark: 104,
  inner_protocol: 108, protocol: 110, transport_header: 112, network_header: 114, mac_header: 116, tail: 120, end: 124,
  head: 128, data: 136, size: 144,
} as const;

/** `struct net_device` in bpfsim's kernel BTF; an skb's device follows its sk_buff. */
export const KernNetDevice = { name: 0, ifindex: 16, flags: 20, mtu: 24, size: 28 } as const;

/** `struct qdisc_skb_cb` inside `sk_buff.cb`: `__sk_buff`'s wire_len, tc_classid and cb live there. */
export const QdiscSkbCb = { pkt_len: 0, tc_classid: 6, data: 8 } as const;

/** What the kernel sk_buff mirrors: the skb model's state, header offsets from head (-1 unset). */
export interface KernSkbState {
  readonly head: number;
  readonly dataOff: number;
  readonly tailOff: number;
  readonly capacity: number;
  readonly dataLen: number;
  readonly macHeader: number;
  readonly networkHeader: number;
  readonly transportHeader: number;
  readonly protocol: number;
  readonly innerProtocol: number;
  readonly pktType: number;
  readonly ipSummed: number;
  readonly csum: number;
  readonly tcAtIngress: boolean;
  readonly encapsulation: boolean;
  readonly hash: number;
  readonly skbIif: number;
  readonly vlanTci: number;
  readonly vlanProto: number;
  readonly ifindex: number;
  readonly wireLen: number;
}

function be16(x: number): number {
  return ((x & 0xff) << 8) | ((x >> 8) & 0xff);
}

/** A header offset as the kernel's u16 holds it (`~0` when unset). */
function header(off: number): number {
  return off < 0 ? 0xffff : off & 0xffff;
}

/**
 * An skb's kernel `struct sk_buff` and its `struct net_device`, read-only to programs. `sync`
 * copies the skb model and the fields programs write through `__sk_buff` (mark, priority,
 * queue_mapping, tc_index, tc_classid, cb, tstamp) into it, so that what a program reads through
 * bpf_cast_to_kern_ctx equals what it reads through its context.
 */
export class KernSkb {
  /** Address of the `struct sk_buff`. */
  readonly addr: number;
  private readonly arena: Arena;
  private readonly region: Region;
  private readonly mtu: number;

  constructor(arena: Arena, mtu: number) {
    this.arena = arena;
    this.mtu = mtu;
    this.region = arena.alloc(KernSkBuff.size + KernNetDevice.size, 'mem', 'sk_buff', { align: 8, writable: false });
    this.addr = this.region.start;
  }

  /** Writes the skb's state and its `__sk_buff` at `md` into the sk_buff. */
  sync(s: KernSkbState, md: number): void {
    const v = this.arena.view;
    const k = this.addr;
    const dev = k + KernSkBuff.size;
    const u16 = (off: number, x: number) => v.setUint16(k + off, x, true);
    const u32 = (off: number, x: number) => v.setUint32(k + off, x >>> 0, true);
    const fromMd = (off: number) => v.getUint32(md + off, true);
    v.setBigUint64(k + KernSkBuff.dev, BigInt(dev), true);
    v.setBigUint64(k + KernSkBuff.tstamp, v.getBigUint64(md + SkBuffMd.tstamp, true), true);
    u32(KernSkBuff.cb + QdiscSkbCb.pkt_len, s.wireLen);
    u16(KernSkBuff.cb + QdiscSkbCb.tc_classid, fromMd(SkBuffMd.tc_classid));
    this.arena.u8.copyWithin(k + KernSkBuff.cb + QdiscSkbCb.data, md + SkBuffMd.cb, md + SkBuffMd.cb + SKB_CB_SIZE);
    u32(KernSkBuff.len, s.tailOff - s.dataOff);
    u32(KernSkBuff.data_len, s.dataLen);
    u16(KernSkBuff.queue_mapping, fromMd(SkBuffMd.queue_mapping));
    v.setUint8(k + KernSkBuff.flags1, (s.pktType & 7) | ((s.ipSummed & 3) << 5));
    v.setUint8(k + KernSkBuff.flags2, (s.tcAtIngress ? 1 : 0) | (s.encapsulation ? 2 : 0));
    u16(KernSkBuff.tc_index, fromMd(SkBuffMd.tc_index));
    u32(KernSkBuff.csum, s.csum);
    u32(KernSkBuff.priority, fromMd(SkBuffMd.priority));
    u32(KernSkBuff.skb_iif, s.skbIif);
    u32(KernSkBuff.hash, s.hash);
    u16(KernSkBuff.vlan_proto, be16(s.vlanProto));
    u16(KernSkBuff.vlan_tci, s.vlanTci);
    u32(KernSkBuff.mark, fromMd(SkBuffMd.mark));
    u16(KernSkBuff.inner_protocol, be16(s.innerProtocol));
    u16(KernSkBuff.protocol, be16(s.protocol));
    u16(KernSkBuff.transport_header, header(s.transportHeader));
    u16(KernSkBuff.network_header, header(s.networkHeader));
    u16(KernSkBuff.mac_header, header(s.macHeader));
    u32(KernSkBuff.tail, s.tailOff);
    u32(KernSkBuff.end, s.capacity);
    v.setBigUint64(k + KernSkBuff.head, BigInt(s.head), true);
    v.setBigUint64(k + KernSkBuff.data, BigInt(s.head + s.dataOff), true);
    v.setInt32(dev + KernNetDevice.ifindex, s.ifindex, true);
    v.setUint32(dev + KernNetDevice.mtu, this.mtu, true);
  }

  /** Frees the sk_buff. */
  release(): void {
    this.arena.release(this.region);
  }
}
