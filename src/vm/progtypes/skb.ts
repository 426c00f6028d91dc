import type { Arena, Region } from '../../arena/index.js';
import { CHECKSUM_NONE } from '../../helpers/packet.js';
import type { PacketSocket, SkBuff, TunnelInfo } from '../../helpers/packet.js';
import type { CtxLayout } from './ctx/access.js';
import { SKB_CB_SIZE, SkBuffMd } from './ctx/skBuffLayout.js';
import { CtxMemory } from './ctxMemory.js';
import { KernSkb } from './kernSkb.js';

/** `NO_QUEUE_MAPPING`: stores of this value or above into `queue_mapping` are ignored. */
const NO_QUEUE_MAPPING = 0xffff;

/** How to build an skb. */
export interface SkbInit {
  /** `BPF_PROG_TYPE_*` of the program. */
  readonly progType: number;
  /** The context layout the program type sees. */
  readonly layout: CtxLayout;
  /** Bytes to put in the buffer. */
  readonly frame: Uint8Array;
  /** Headroom before them (`NET_SKB_PAD`). */
  readonly headroom: number;
  /** Tailroom after them. */
  readonly tailroom: number;
  /** The device. */
  readonly ifindex: number;
  /** The socket attached to the skb. */
  readonly sk?: PacketSocket;
  /** Whether programs may write the packet directly (tc, LWT xmit). */
  readonly writablePacket: boolean;
  /** The device's MTU, for the kernel sk_buff's `dev->mtu` (0 when unknown). */
  readonly mtu?: number;
}

function swap16(x: number): number {
  return ((x & 0xff) << 8) | ((x >> 8) & 0xff);
}

/**
 * An `sk_buff` in the arena: one buffer (head, data, tail, capacity as offsets from head) with
 * the kernel's metadata, and the `__sk_buff` structure the program reads. Its last `dataLen` bytes
 * stand for paged data: in the buffer for helpers, past `data_end` for the program. Fields a program may
 * write through the context (mark, priority, tc_index, tc_classid, queue_mapping, cb, tstamp) live
 * in that structure and are normalised the way the kernel's rewritten stores would leave them
 * whenever the skb is synced; the rest is kept here and written to it by `sync`, which also
 * brings the kernel `struct sk_buff` behind the context (KernSkb) in step.
 */
export class SkbModel implements SkBuff {
  readonly kind = 'skb' as const;
  readonly progType: number;
  /** The `__sk_buff` structure. */
  readonly ctx: CtxMemory;
  /** The packet LD_ABS/LD_IND read (skb->data and the linear length), kept current. */
  readonly packet = { start: 0, len: 0 };
  /** The skb's kernel `struct sk_buff` (KernSkBuff), what bpf_cast_to_kern_ctx gives. */
  readonly kernCtx: number;
  head = 0;
  capacity = 0;
  dataOff: number;
  tailOff: number;
  dataLen = 0;
  macHeader = -1;
  networkHeader = -1;
  transportHeader = -1;
  protocol = 0;
  pktType = 0;
  hash = 0;
  l4Hash = false;
  swHash = false;
  vlanPresent = false;
  vlanTci = 0;
  vlanProto = 0;
  ipSummed = CHECKSUM_NONE;
  csum = 0;
  csumLevel = 0;
  encapsulation = false;
  innerProtocol = 0;
  innerMacHeader = -1;
  innerNetworkHeader = -1;
  innerTransportHeader = -1;
  gsoSize = 0;
  gsoSegs = 0;
  gsoType = 0;
  ifindex: number;
  /** `skb->skb_iif`: where the packet entered (`__sk_buff->ingress_ifindex`). */
  skbIif = 0;
  readonly tcAtIngress = false;
  tunnel: TunnelInfo | undefined;
  readonly sk: PacketSocket | undefined;
  /** `qdisc_skb_cb->pkt_len` (`__sk_buff->wire_len`). */
  wireLen = 0;
  /** `skb_shinfo->hwtstamps.hwtstamp`. */
  hwtstamp = 0n;
  /** `skb->mono_delivery_time`. */
  monoDelivery = false;
  private queueMapping = 0;
  private readonly arena: Arena;
  private buf: Region;
  private live: Region | undefined;
  private readonly writablePacket: boolean;
  private readonly kern: KernSkb;

  constructor(arena: Arena, init: SkbInit) {
    this.arena = arena;
    this.progType = init.progType;
    this.ifindex = init.ifindex;
    this.sk = init.sk;
    this.writablePacket = init.writablePacket;
    // The sk_buff goes first: right after the context, checked mode must find no readable region.
    this.kern = new KernSkb(arena, init.mtu ?? 0);
    this.kernCtx = this.kern.addr;
    this.ctx = new CtxMemory(arena, init.layout, '__sk_buff');
    this.buf = this.allocBuffer(init.headroom + init.frame.length + init.tailroom);
    this.dataOff = init.headroom;
    this.tailOff = init.headroom + init.frame.length;
    arena.write(this.head + this.dataOff, init.frame);
  }

  private allocBuffer(size: number): Region {
    const r = this.arena.alloc(size, 'packet', 'skb head', { mapped: false, align: 64 });
    this.head = r.start;
    this.capacity = size;
    return r;
  }

  get len(): number {
    return this.tailOff - this.dataOff;
  }

  /** Address of `skb->data`. */
  get data(): number {
    return this.head + this.dataOff;
  }

  /** The packet bytes from data to tail (a copy). */
  bytes(): Uint8Array {
    return this.arena.read(this.data, this.len);
  }

  get mark(): number {
    return this.ctx.view.getUint32(this.ctx.start + SkBuffMd.mark, true);
  }

  set mark(v: number) {
    this.ctx.view.setUint32(this.ctx.start + SkBuffMd.mark, v >>> 0, true);
  }

  get priority(): number {
    return this.ctx.view.getUint32(this.ctx.start + SkBuffMd.priority, true);
  }

  set priority(v: number) {
    this.ctx.view.setUint32(this.ctx.start + SkBuffMd.priority, v >>> 0, true);
  }

  /** `skb->tstamp`. */
  get tstamp(): bigint {
    return this.ctx.view.getBigUint64(this.ctx.start + SkBuffMd.tstamp, true);
  }

  set tstamp(v: bigint) {
    this.ctx.view.setBigUint64(this.ctx.start + SkBuffMd.tstamp, BigInt.asUintN(64, v), true);
  }

  /** The 20 bytes of `cb` (a copy). */
  get cb(): Uint8Array {
    return this.arena.read(this.ctx.start + SkBuffMd.cb, SKB_CB_SIZE);
  }

  set cb(v: Uint8Array) {
    this.arena.write(this.ctx.start + SkBuffMd.cb, v.subarray(0, SKB_CB_SIZE));
  }

  reserve(headroom: number, tailroom: number): void {
    const grow = Math.max(0, headroom - this.dataOff);
    const tail = Math.max(tailroom, this.capacity - this.tailOff);
    if (grow === 0 && tail === this.capacity - this.tailOff) return;
    const old = this.buf;
    const oldHead = this.head;
    const used = this.tailOff;
    const nhead = (grow + 63) & ~63;
    this.buf = this.allocBuffer(nhead + used + tail);
    this.arena.u8.copyWithin(this.head + nhead, oldHead, oldHead + used);
    this.arena.release(old);
    this.dataOff += nhead;
    this.tailOff += nhead;
    for (const k of ['macHeader', 'networkHeader', 'innerMacHeader', 'innerNetworkHeader', 'innerTransportHeader'] as const) {
      if (this[k] >= 0) this[k] += nhead;
    }
    // skb_headers_offset_update moves the transport header even when unset: ~0 (u16) wraps to nhead - 1
    if (nhead > 0) this.transportHeader = this.transportHeader >= 0 ? this.transportHeader + nhead : nhead - 1;
  }

  /** Applies what the program stored into `__sk_buff` as the kernel's rewritten stores would. */
  private normalizeWrites(): void {
    const v = this.ctx.view;
    const c = this.ctx.start;
    const q = v.getUint32(c + SkBuffMd.queue_mapping, true);
    if (q < NO_QUEUE_MAPPING) this.queueMapping = q;
    v.setUint32(c + SkBuffMd.queue_mapping, this.queueMapping, true);
    v.setUint32(c + SkBuffMd.tc_index, v.getUint32(c + SkBuffMd.tc_index, true) & 0xffff, true);
    v.setUint32(c + SkBuffMd.tc_classid, v.getUint32(c + SkBuffMd.tc_classid, true) & 0xffff, true);
  }

  sync(): void {
    this.normalizeWrites();
    const v = this.ctx.view;
    const c = this.ctx.start;
    const set = (off: number, x: number) => v.setUint32(c + off, x >>> 0, true);
    set(SkBuffMd.len, this.len);
    set(SkBuffMd.pkt_type, this.pktType);
    set(SkBuffMd.protocol, swap16(this.protocol));
    set(SkBuffMd.vlan_present, this.vlanPresent ? 1 : 0);
    set(SkBuffMd.vlan_tci, this.vlanTci);
    set(SkBuffMd.vlan_proto, swap16(this.vlanProto));
    set(SkBuffMd.ingress_ifindex, this.skbIif);
    set(SkBuffMd.ifindex, this.ifindex);
    set(SkBuffMd.hash, this.hash);
    set(SkBuffMd.data, this.data);
    set(SkBuffMd.data_end, this.head + this.tailOff - this.dataLen);
    set(SkBuffMd.data_meta, this.data);
    set(SkBuffMd.wire_len, this.wireLen);
    set(SkBuffMd.gso_segs, this.gsoSegs);
    set(SkBuffMd.gso_size, this.gsoSize);
    v.setBigUint64(c + SkBuffMd.sk, BigInt(this.sk?.address ?? 0), true);
    v.setUint8(c + SkBuffMd.tstamp_type, this.monoDelivery ? 1 : 0);
    v.setBigUint64(c + SkBuffMd.hwtstamp, this.hwtstamp, true);
    this.syncSocketFields();
    this.kern.sync(this, c);
    this.packet.start = this.data;
    this.packet.len = this.len;
    if (this.live) this.arena.unmap(this.live);
    this.live = this.arena.map(this.data, this.len - this.dataLen, 'packet', 'packet', this.writablePacket);
  }

  /** `family` … `local_port`: the attached socket's addresses, as `bpf_convert_ctx_access` reads them. */
  private syncSocketFields(): void {
    const sk = this.sk;
    const v = this.ctx.view;
    const c = this.ctx.start;
    this.arena.u8.fill(0, c + SkBuffMd.family, c + SkBuffMd.data_meta);
    if (!sk) return;
    v.setUint32(c + SkBuffMd.family, sk.family, true);
    if (sk.localIp.length === 4) {
      this.arena.write(c + SkBuffMd.remote_ip4, sk.remoteIp);
      this.arena.write(c + SkBuffMd.local_ip4, sk.localIp);
    } else {
      this.arena.write(c + SkBuffMd.remote_ip6, sk.remoteIp);
      this.arena.write(c + SkBuffMd.local_ip6, sk.localIp);
    }
    v.setUint32(c + SkBuffMd.remote_port, swap16(sk.remotePort) << 16, true);
    v.setUint32(c + SkBuffMd.local_port, sk.localPort, true);
  }

  /** Unmaps and frees the skb and its context. */
  release(): void {
    if (this.live) this.arena.unmap(this.live);
    this.arena.release(this.buf);
    this.kern.release();
    this.ctx.release();
  }
}
