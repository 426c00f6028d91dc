/*
 * The sk_buff operations packet helpers are built from, as in net/core/skbuff.c and
 * include/linux/skbuff.h: push, pull, header moves, the receive-checksum bookkeeping of
 * CHECKSUM_COMPLETE skbs, and hash clearing. Offsets are from skb->head.
 */
import { ERRNO } from '../../errno.js';
import { CHECKSUM_COMPLETE } from '../packet.js';
import type { SkBuff } from '../packet.js';
import { csumBlockAdd, csumPartial } from './csum.js';

/** The arena bytes of the skb's buffer, as a view (re-taken after any reallocation). */
export type Bytes = () => Uint8Array;

/** `skb_headroom` is enough for `n` more bytes, reallocating the head if not (`skb_cow_head`). */
export function cowHead(skb: SkBuff, n: number): void {
  skb.reserve(n, 0);
}

/**
 * `__skb_postpull_rcsum`: takes bytes about to leave the packet out of a CHECKSUM_COMPLETE sum
 * (`csum_block_sub` of their sum at `blockOff`; the skb_postpull_rcsum wrapper passes 0).
 */
export function postpullRcsum(skb: SkBuff, u8: Bytes, off: number, len: number, blockOff = 0): void {
  if (skb.ipSummed !== CHECKSUM_COMPLETE) return;
  const start = skb.head + off;
  skb.csum = csumBlockAdd(skb.csum, ~csumPartial(u8().subarray(start, start + len), 0) >>> 0, blockOff);
}

/** `__skb_postpush_rcsum`: adds bytes that entered the packet to a CHECKSUM_COMPLETE sum. */
export function postpushRcsum(skb: SkBuff, u8: Bytes, off: number, len: number, blockOff = 0): void {
  if (skb.ipSummed !== CHECKSUM_COMPLETE) return;
  const start = skb.head + off;
  skb.csum = csumBlockAdd(skb.csum, csumPartial(u8().subarray(start, start + len), 0), blockOff);
}

/** `skb_clear_hash`. */
export function clearHash(skb: SkBuff): void {
  skb.hash = 0;
  skb.swHash = false;
  skb.l4Hash = false;
}

/** `bpf_skb_generic_push`: `len` zeroed bytes inserted `off` bytes after data (headroom already made). */
function genericPush(skb: SkBuff, u8: Bytes, off: number, len: number): void {
  skb.dataOff -= len;
  const d = skb.head + skb.dataOff;
  u8().copyWithin(d, d + len, d + len + off);
  u8().fill(0, d + off, d + off + len);
}

/** `bpf_skb_generic_pop`: removes `len` bytes `off` bytes after data; -ENOMEM when the packet is shorter. */
function genericPop(skb: SkBuff, u8: Bytes, off: number, len: number): number {
  if (off + len > skb.tailOff - skb.dataOff) return -ERRNO.ENOMEM;
  postpullRcsum(skb, u8, skb.dataOff + off, len);
  const d = skb.head + skb.dataOff;
  u8().copyWithin(d + len, d, d + off);
  skb.dataOff += len;
  return 0;
}

/** `bpf_skb_net_hdr_push`: room for a header after the mac header, moving mac and network headers back. */
export function netHdrPush(skb: SkBuff, u8: Bytes, off: number, len: number): void {
  const transSame = skb.transportHeader === skb.networkHeader;
  genericPush(skb, u8, off, len);
  skb.macHeader -= len;
  skb.networkHeader -= len;
  if (transSame) skb.transportHeader = skb.networkHeader;
}

/** `bpf_skb_net_hdr_pop`: removes a header after the mac header. */
export function netHdrPop(skb: SkBuff, u8: Bytes, off: number, len: number): number {
  const transSame = skb.transportHeader === skb.networkHeader;
  const ret = genericPop(skb, u8, off, len);
  if (ret === 0) {
    skb.macHeader += len;
    skb.networkHeader += len;
    if (transSame) skb.transportHeader = skb.networkHeader;
  }
  return ret;
}

/** `skb_mac_header_len`: network header less mac header. */
export function macHeaderLen(skb: SkBuff): number {
  return skb.networkHeader - skb.macHeader;
}

/** `skb_ensure_writable(skb, len)`: -ENOMEM when the packet is shorter than `len`, else its first `len` bytes made linear. */
export function ensureWritable(skb: SkBuff, len: number): number {
  if (len > skb.tailOff - skb.dataOff) return -ERRNO.ENOMEM;
  // pskb_may_pull: paged bytes up to `len` move into the linear part
  skb.dataLen = Math.min(skb.dataLen, skb.len - len);
  return 0;
}

/** `skb_headlen`: the linear bytes, which direct packet access reaches. */
export function headLen(skb: SkBuff): number {
  return skb.len - skb.dataLen;
}
