import { ERRNO } from '../../errno.js';
import { CHECKSUM_COMPLETE, CHECKSUM_NONE, CHECKSUM_PARTIAL, CHECKSUM_UNNECESSARY } from '../packet.js';
import type { SkBuff } from '../packet.js';
import { argU64n, memArg, skbOf } from './context.js';
import { csumAdd, csumFold, csumPartial, fold16, csumReplace2, csumReplace4, csumReplaceByDiff, csumSub, csumUnfold } from './csum.js';
import { LWT, LWT_XMIT, TC, XDP, packetHelper } from './def.js';
import type { PacketHelperDef } from './def.js';
import { bytesOf } from './skbData.js';
import { ensureWritable } from './skbOps.js';

const { EINVAL, EFAULT, EACCES, ENOTSUPP } = ERRNO;

/** Flags of bpf_l3_csum_replace and bpf_l4_csum_replace. */
export const CSUM_FLAGS = { HDR_FIELD_MASK: 0xf, PSEUDO_HDR: 1 << 4, MARK_MANGLED_0: 1 << 5, MARK_ENFORCE: 1 << 6, IPV6: 1 << 7 } as const;
/** `BPF_CSUM_LEVEL_*` of bpf_csum_level. */
export const BPF_CSUM_LEVEL = { QUERY: 0, INC: 1, DEC: 2, RESET: 3 } as const;
/** `SKB_MAX_CSUM_LEVEL`. */
const MAX_CSUM_LEVEL = 3;
/** `CSUM_MANGLED_0`: how a UDP checksum of zero is sent. */
const CSUM_MANGLED_0 = 0xffff;

/** The checksum field at `offset` from data, or a negative errno (odd, too far, past the end). */
function field(skb: SkBuff, offset: number): number {
  if (offset > 0xffff || offset & 1) return -EFAULT;
  if (ensureWritable(skb, offset + 2) < 0) return -EFAULT;
  return skb.head + skb.dataOff + offset;
}

function rd16(u8: Uint8Array, at: number): number {
  return u8[at]! | (u8[at + 1]! << 8);
}

function wr16(u8: Uint8Array, at: number, v: number): void {
  u8[at] = v & 0xff;
  u8[at + 1] = (v >>> 8) & 0xff;
}

/** `bpf_l3_csum_replace(skb, offset, from, to, size)`: updates an IP header checksum for a changed field (or a diff). */
export const l3CsumReplace: PacketHelperDef = packetHelper('l3_csum_replace',
  { ret: 'integer', args: ['ctx', 'anything', 'anything', 'anything', 'anything'], changesPktData: true }, [...TC, ...LWT_XMIT], (c) => {
    const skb = skbOf(c, 'bpf_l3_csum_replace');
    const flags = argU64n(c, 5);
    if (c.hi[5] !== 0 || (flags & ~CSUM_FLAGS.HDR_FIELD_MASK) !== 0) return -EINVAL;
    const at = field(skb, c.lo[2]! >>> 0);
    if (at < 0) return at;
    const u8 = bytesOf(c, 'bpf_l3_csum_replace')();
    const sum = rd16(u8, at);
    const from = c.lo[3]! >>> 0;
    const to = c.lo[4]! >>> 0;
    let next: number;
    switch (flags & CSUM_FLAGS.HDR_FIELD_MASK) {
      case 0:
        if (argU64n(c, 3) !== 0) return -EINVAL;
        next = csumReplaceByDiff(sum, to);
        break;
      case 2: next = csumReplace2(sum, from & 0xffff, to & 0xffff); break;
      case 4: next = csumReplace4(sum, from, to); break;
      default: return -EINVAL;
    }
    wr16(u8, at, next);
    skb.sync();
    return 0;
  });

/**
 * `bpf_l4_csum_replace(skb, offset, from, to, flags)`: updates a TCP/UDP checksum; with
 * BPF_F_PSEUDO_HDR a CHECKSUM_COMPLETE skb's sum follows (for a diff, only without BPF_F_IPV6); BPF_F_MARK_MANGLED_0
 * leaves a zero (disabled) UDP checksum alone and never writes a zero.
 */
export const l4CsumReplace: PacketHelperDef = packetHelper('l4_csum_replace',
  { ret: 'integer', args: ['ctx', 'anything', 'anything', 'anything', 'anything'], changesPktData: true }, [...TC, ...LWT_XMIT], (c) => {
    const skb = skbOf(c, 'bpf_l4_csum_replace');
    const flags = argU64n(c, 5);
    const allowed = CSUM_FLAGS.HDR_FIELD_MASK | CSUM_FLAGS.PSEUDO_HDR | CSUM_FLAGS.MARK_MANGLED_0 | CSUM_FLAGS.MARK_ENFORCE | CSUM_FLAGS.IPV6;
    if (c.hi[5] !== 0 || (flags & ~allowed) !== 0) return -EINVAL;
    const at = field(skb, c.lo[2]! >>> 0);
    if (at < 0) return at;
    const pseudo = (flags & CSUM_FLAGS.PSEUDO_HDR) !== 0;
    const mmzero = (flags & CSUM_FLAGS.MARK_MANGLED_0) !== 0;
    const u8 = bytesOf(c, 'bpf_l4_csum_replace')();
    const sum = rd16(u8, at);
    if (mmzero && !(flags & CSUM_FLAGS.MARK_ENFORCE) && sum === 0) return 0;
    const from = c.lo[3]! >>> 0;
    const to = c.lo[4]! >>> 0;
    const updatesSkb = skb.ipSummed === CHECKSUM_COMPLETE && pseudo;
    let next = sum;
    switch (flags & CSUM_FLAGS.HDR_FIELD_MASK) {
      case 0:
        if (argU64n(c, 3) !== 0) return -EINVAL;
        if (skb.ipSummed !== CHECKSUM_PARTIAL) {
          next = csumReplaceByDiff(sum, to);
          if (updatesSkb && !(flags & CSUM_FLAGS.IPV6)) skb.csum = ~csumSub(to, skb.csum) >>> 0;
        } else if (pseudo) next = ~csumFold(csumAdd(to, csumUnfold(sum))) & 0xffff;
        break;
      case 2:
      case 4: {
        const mask = (flags & CSUM_FLAGS.HDR_FIELD_MASK) === 2 ? 0xffff : 0xffffffff;
        const f = (from & mask) >>> 0;
        const t = (to & mask) >>> 0;
        if (skb.ipSummed !== CHECKSUM_PARTIAL) {
          next = csumReplace4(sum, f, t);
          if (updatesSkb) skb.csum = ~csumAdd(csumSub(~skb.csum >>> 0, f), t) >>> 0;
        } else if (pseudo) next = ~csumFold(csumAdd(csumSub(csumUnfold(sum), f), t)) & 0xffff;
        break;
      }
      default: return -EINVAL;
    }
    if (mmzero && next === 0) next = CSUM_MANGLED_0;
    wr16(u8, at, next);
    skb.sync();
    return 0;
  });

/**
 * `bpf_csum_diff(from, from_size, to, to_size, seed)`: the checksum of `to` less that of `from`,
 * plus `seed`, folded to 16 bits as Linux 6.18 returns it on every architecture (any sizes).
 */
export const csumDiff: PacketHelperDef = packetHelper('csum_diff',
  { ret: 'integer', args: ['mem_or_null', 'const_size_or_zero', 'mem_or_null', 'const_size_or_zero', 'anything'] },
  [...TC, ...XDP, ...LWT], (c) => {
    const fromSize = c.lo[2]! >>> 0;
    const toSize = c.lo[4]! >>> 0;
    const seed = c.lo[5]! >>> 0;
    const from = memArg(c, 'bpf_csum_diff', 1, fromSize, false);
    const to = memArg(c, 'bpf_csum_diff', 3, toSize, false);
    let sum: number;
    if (fromSize === 0) sum = csumPartial(to, seed);
    else if (toSize === 0) sum = ~csumPartial(from, ~seed >>> 0) >>> 0;
    else sum = csumSub(csumPartial(to, seed), csumPartial(from, 0));
    return fold16(sum);
  });

/** `bpf_csum_update(skb, csum)`: adds to a CHECKSUM_COMPLETE skb's sum and returns it; -ENOTSUPP otherwise. */
export const csumUpdate: PacketHelperDef = packetHelper('csum_update',
  { ret: 'integer', args: ['ctx', 'anything'] }, [...TC, ...LWT_XMIT], (c) => {
    const skb = skbOf(c, 'bpf_csum_update');
    if (skb.ipSummed !== CHECKSUM_COMPLETE) return -ENOTSUPP;
    skb.csum = csumAdd(skb.csum, c.lo[2]! >>> 0);
    return skb.csum;
  });

/** `bpf_csum_level(skb, level)`: queries or moves the CHECKSUM_UNNECESSARY level. */
export const csumLevel: PacketHelperDef = packetHelper('csum_level',
  { ret: 'integer', args: ['ctx', 'anything'] }, [...TC, ...LWT_XMIT], (c) => {
    const skb = skbOf(c, 'bpf_csum_level');
    const level = argU64n(c, 2);
    switch (level) {
      case BPF_CSUM_LEVEL.INC:
        if (skb.ipSummed === CHECKSUM_UNNECESSARY) {
          if (skb.csumLevel < MAX_CSUM_LEVEL) skb.csumLevel++;
        } else if (skb.ipSummed === CHECKSUM_NONE) {
          skb.ipSummed = CHECKSUM_UNNECESSARY;
          skb.csumLevel = 0;
        }
        return 0;
      case BPF_CSUM_LEVEL.DEC:
        if (skb.ipSummed === CHECKSUM_UNNECESSARY) {
          if (skb.csumLevel === 0) skb.ipSummed = CHECKSUM_NONE;
          else skb.csumLevel--;
        }
        return 0;
      case BPF_CSUM_LEVEL.RESET:
        if (skb.ipSummed === CHECKSUM_UNNECESSARY) {
          skb.ipSummed = CHECKSUM_NONE;
          skb.csumLevel = 0;
        }
        return 0;
      case BPF_CSUM_LEVEL.QUERY:
        return skb.ipSummed === CHECKSUM_UNNECESSARY ? skb.csumLevel : -EACCES;
      default:
        return -EINVAL;
    }
  });
