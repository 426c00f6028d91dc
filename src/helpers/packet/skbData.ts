import { ERRNO } from '../../errno.js';
import { CHECKSUM_COMPLETE, CHECKSUM_NONE, CHECKSUM_UNNECESSARY } from '../packet.js';
import type { SkBuff } from '../packet.js';
import { argU64n, ctxOf, memArg, netOf, skbOf } from './context.js';
import { FLOW, LWT, LWT_XMIT, SK_FILTER, SK_SKB, TC, packetHelper } from './def.js';
import type { PacketHelperDef } from './def.js';
import { clearHash, cowHead, ensureWritable, headLen, postpullRcsum, postpushRcsum } from './skbOps.js';
import type { HelperCall } from '../types.js';

const { EINVAL, EFAULT, ENOTSUPP } = ERRNO;
const INT_MAX = 0x7fffffff;

/** `BPF_SKB_MAX_LEN` (`SKB_MAX_ALLOC`): the longest packet change_tail, change_head and adjust_room make. */
export const BPF_SKB_MAX_LEN = 16064;
/** `BPF_F_RECOMPUTE_CSUM`. */
export const BPF_F_RECOMPUTE_CSUM = 1;
/** `BPF_F_INVALIDATE_HASH`. */
export const BPF_F_INVALIDATE_HASH = 2;
/** `BPF_HDR_START_MAC` and `BPF_HDR_START_NET` of bpf_skb_load_bytes_relative. */
export const BPF_HDR_START = { MAC: 0, NET: 1 } as const;

/** A view of the whole arena, re-taken on each call (helpers may grow it). */
export function bytesOf(c: HelperCall, helper: string): () => Uint8Array {
  const arena = netOf(c, helper).arena;
  return () => {
    arena.refresh();
    return arena.u8;
  };
}

/** The 32-bit `u32` argument `i`. */
function u32(c: HelperCall, i: number): number {
  return c.lo[i]! >>> 0;
}

/**
 * `bpf_skb_load_bytes(skb, offset, to, len)`: copies packet bytes from data; -EFAULT (and a zeroed
 * buffer) when they are not all in the packet. The flow dissector's version reads nothing in test
 * runs, which have no skb.
 */
export const skbLoadBytes: PacketHelperDef = packetHelper('skb_load_bytes',
  { ret: 'integer', args: ['ctx', 'anything', 'uninit_mem', 'const_size'] }, [...SK_FILTER, ...TC, ...SK_SKB, ...LWT, ...FLOW], (c) => {
    const ctx = ctxOf(c, 'bpf_skb_load_bytes');
    const off = u32(c, 2);
    const len = u32(c, 4);
    const to = memArg(c, 'bpf_skb_load_bytes', 3, len, true);
    const skb = ctx.kind === 'skb' ? ctx : ctx.kind === 'flow_dissector' ? ctx.skb : undefined;
    const limit = ctx.kind === 'flow_dissector' ? 0xffff : INT_MAX;
    if (!skb || off > limit || off + len > skb.len) {
      to.fill(0);
      return -EFAULT;
    }
    const u8 = bytesOf(c, 'bpf_skb_load_bytes')();
    const at = skb.head + skb.dataOff + off;
    to.set(u8.subarray(at, at + len));
    return 0;
  });

/** `bpf_skb_load_bytes_relative(skb, offset, to, len, start_header)`: from the mac or network header. */
export const skbLoadBytesRelative: PacketHelperDef = packetHelper('skb_load_bytes_relative',
  { ret: 'integer', args: ['ctx', 'anything', 'uninit_mem', 'const_size', 'anything'] }, [...SK_FILTER, ...TC], (c) => {
    const skb = skbOf(c, 'bpf_skb_load_bytes_relative');
    const off = u32(c, 2);
    const len = u32(c, 4);
    const to = memArg(c, 'bpf_skb_load_bytes_relative', 3, len, true);
    const which = argU64n(c, 5);
    const start = which === BPF_HDR_START.MAC ? skb.macHeader : which === BPF_HDR_START.NET ? skb.networkHeader : -1;
    if (off > 0xffff || start < 0 || start + off + len > skb.tailOff) {
      to.fill(0);
      return -EFAULT;
    }
    const u8 = bytesOf(c, 'bpf_skb_load_bytes_relative')();
    to.set(u8.subarray(skb.head + start + off, skb.head + start + off + len));
    return 0;
  });

/**
 * `bpf_skb_store_bytes(skb, offset, from, len, flags)`: -EINVAL for flags other than
 * BPF_F_RECOMPUTE_CSUM and BPF_F_INVALIDATE_HASH, -EFAULT past the packet's end.
 */
export const skbStoreBytes: PacketHelperDef = packetHelper('skb_store_bytes',
  { ret: 'integer', args: ['ctx', 'anything', 'mem', 'const_size', 'anything'], changesPktData: true }, [...TC, ...SK_SKB, ...LWT_XMIT], (c) => {
    const skb = skbOf(c, 'bpf_skb_store_bytes');
    const off = u32(c, 2);
    const len = u32(c, 4);
    const flags = argU64n(c, 5);
    if (c.hi[5] !== 0 || (flags & ~(BPF_F_RECOMPUTE_CSUM | BPF_F_INVALIDATE_HASH)) !== 0) return -EINVAL;
    if (off > INT_MAX || ensureWritable(skb, off + len) < 0) return -EFAULT;
    const from = memArg(c, 'bpf_skb_store_bytes', 3, len, false).slice();
    const u8 = bytesOf(c, 'bpf_skb_store_bytes');
    const at = skb.dataOff + off;
    if (flags & BPF_F_RECOMPUTE_CSUM) postpullRcsum(skb, u8, at, len, off);
    u8().set(from, skb.head + at);
    if (flags & BPF_F_RECOMPUTE_CSUM) postpushRcsum(skb, u8, at, len, off);
    if (flags & BPF_F_INVALIDATE_HASH) clearHash(skb);
    skb.sync();
    return 0;
  });

/** `bpf_skb_pull_data(skb, len)`: makes `len` bytes (0: the linear part) direct-accessible; -ENOMEM past the end. */
export const skbPullData: PacketHelperDef = packetHelper('skb_pull_data',
  { ret: 'integer', args: ['ctx', 'anything'], changesPktData: true }, [...TC, ...SK_SKB, ...LWT], (c) => {
    const skb = skbOf(c, 'bpf_skb_pull_data');
    const ret = ensureWritable(skb, u32(c, 2) || headLen(skb));
    skb.sync();
    return ret;
  });

/** `__bpf_skb_min_len`: the shortest a packet may be trimmed to (its headers). */
function minLen(skb: SkBuff): number {
  return (skb.transportHeader >= 0 ? skb.transportHeader : skb.networkHeader) - skb.dataOff;
}

/**
 * `bpf_skb_change_tail(skb, len, flags)`: grows (zero-filled) or trims the packet; -EINVAL for flags,
 * a length past BPF_SKB_MAX_LEN or inside the headers, -ENOTSUPP on encapsulated packets. The
 * packet becomes linear first; a CHECKSUM_COMPLETE skb becomes CHECKSUM_NONE.
 */
export const skbChangeTail: PacketHelperDef = packetHelper('skb_change_tail',
  { ret: 'integer', args: ['ctx', 'anything', 'anything'], changesPktData: true }, [...TC, ...SK_SKB, ...LWT_XMIT], (c) => {
    const skb = skbOf(c, 'bpf_skb_change_tail');
    const newLen = u32(c, 2);
    if (argU64n(c, 3) !== 0 || newLen > BPF_SKB_MAX_LEN || newLen < minLen(skb)) return -EINVAL;
    if (skb.encapsulation) return -ENOTSUPP;
    ensureWritable(skb, skb.len);
    const u8 = bytesOf(c, 'bpf_skb_change_tail');
    const old = skb.len;
    if (newLen !== old && skb.ipSummed === CHECKSUM_COMPLETE) skb.ipSummed = CHECKSUM_NONE;
    if (newLen > old) {
      skb.reserve(0, newLen - old);
      u8().fill(0, skb.head + skb.tailOff, skb.head + skb.tailOff + newLen - old);
    }
    skb.tailOff = skb.dataOff + newLen;
    if (skb.gsoSize) {
      skb.gsoSize = 0;
      skb.gsoSegs = 0;
      skb.gsoType = 0;
    }
    skb.sync();
    return 0;
  });

/** `bpf_skb_change_head(skb, len, flags)`: pushes zeroed bytes in front and makes them the mac header. */
export const skbChangeHead: PacketHelperDef = packetHelper('skb_change_head',
  { ret: 'integer', args: ['ctx', 'anything', 'anything'], changesPktData: true }, [...TC, ...SK_SKB, ...LWT_XMIT], (c) => {
    const skb = skbOf(c, 'bpf_skb_change_head');
    const room = u32(c, 2);
    const newLen = skb.len + room;
    if (argU64n(c, 3) !== 0 || (skb.gsoSize === 0 && newLen > BPF_SKB_MAX_LEN) || newLen > 0xffffffff) return -EINVAL;
    cowHead(skb, room);
    skb.dataOff -= room;
    bytesOf(c, 'bpf_skb_change_head')().fill(0, skb.head + skb.dataOff, skb.head + skb.dataOff + room);
    skb.macHeader = skb.dataOff;
    skb.sync();
    return 0;
  });

/** `bpf_skb_change_type(skb, type)`: PACKET_HOST … PACKET_OTHERHOST only, from and to. */
export const skbChangeType: PacketHelperDef = packetHelper('skb_change_type',
  { ret: 'integer', args: ['ctx', 'anything'] }, TC, (c) => {
    const skb = skbOf(c, 'bpf_skb_change_type');
    const type = u32(c, 2);
    if (skb.pktType > 3 || type > 3) return -EINVAL;
    skb.pktType = type;
    skb.sync();
    return 0;
  });

/** `__skb_reset_checksum_unnecessary`. */
export function resetChecksumUnnecessary(skb: SkBuff): void {
  if (skb.ipSummed === CHECKSUM_UNNECESSARY) {
    skb.ipSummed = CHECKSUM_NONE;
    skb.csumLevel = 0;
  }
}
