import { ERRNO } from '../../errno.js';
import type { XdpBuff } from '../packet.js';
import { argS32, argU64n, memArg, netOf, xdpOf } from './context.js';
import { XDP, packetHelper } from './def.js';
import type { PacketHelperDef } from './def.js';

const { EINVAL, EACCES, EFAULT, EOPNOTSUPP } = ERRNO;
const ETH_HLEN = 14;

/** `xdp_get_buff_len`: the linear part and every fragment. */
export function xdpBuffLen(x: XdpBuff): number {
  return x.dataEnd - x.data + x.frags.reduce((n, f) => n + f.length, 0);
}

/** Copies between the frame (linear part, then fragments, as one byte string) and `buf` (`bpf_xdp_copy_buf`). */
export function xdpCopy(x: XdpBuff, u8: Uint8Array, off: number, buf: Uint8Array, toFrame: boolean): void {
  const parts: { base: Uint8Array; at: number; len: number }[] = [{ base: u8, at: x.data, len: x.dataEnd - x.data }];
  for (const f of x.frags) parts.push({ base: f, at: 0, len: f.length });
  let pos = 0;
  let done = 0;
  for (const p of parts) {
    if (done === buf.length) break;
    if (off < pos + p.len) {
      const from = Math.max(off - pos, 0);
      const n = Math.min(p.len - from, buf.length - done);
      if (toFrame) p.base.set(buf.subarray(done, done + n), p.at + from);
      else buf.set(p.base.subarray(p.at + from, p.at + from + n), done);
      done += n;
      off += n;
    }
    pos += p.len;
  }
}

/** `bpf_xdp_adjust_head(xdp, delta)`: moves data (and the metadata with it) within the headroom. */
export const xdpAdjustHead: PacketHelperDef = packetHelper('xdp_adjust_head',
  { ret: 'integer', args: ['ctx', 'anything'], changesPktData: true }, XDP, (c) => {
    const x = xdpOf(c, 'bpf_xdp_adjust_head');
    const offset = argS32(c, 2);
    const metalen = x.data - x.dataMeta;
    const data = x.data + offset;
    if (data < x.hardStart + x.frameHeader + metalen || data > x.dataEnd - ETH_HLEN) return -EINVAL;
    const u8 = netOf(c, 'bpf_xdp_adjust_head').arena.u8;
    if (metalen) u8.copyWithin(x.dataMeta + offset, x.dataMeta, x.dataMeta + metalen);
    x.dataMeta += offset;
    x.data = data;
    x.sync();
    return 0;
  });

/** `bpf_xdp_adjust_meta(xdp, delta)`: grows or shrinks the metadata in front of data. */
export const xdpAdjustMeta: PacketHelperDef = packetHelper('xdp_adjust_meta',
  { ret: 'integer', args: ['ctx', 'anything'], changesPktData: true }, XDP, (c) => {
    const x = xdpOf(c, 'bpf_xdp_adjust_meta');
    const meta = x.dataMeta + argS32(c, 2);
    const metalen = x.data - meta;
    if (meta < x.hardStart + x.frameHeader || meta > x.data) return -EINVAL;
    if (metalen % 4 !== 0 || metalen > 255) return -EACCES;
    x.dataMeta = meta;
    x.sync();
    return 0;
  });

/** `bpf_xdp_adjust_tail(xdp, delta)`: moves the end of the frame (the last fragment's, for multi-buffer frames). */
export const xdpAdjustTail: PacketHelperDef = packetHelper('xdp_adjust_tail',
  { ret: 'integer', args: ['ctx', 'anything'], changesPktData: true }, XDP, (c) => {
    const x = xdpOf(c, 'bpf_xdp_adjust_tail');
    const offset = argS32(c, 2);
    const u8 = netOf(c, 'bpf_xdp_adjust_tail').arena.u8;
    if (x.frags.length > 0) {
      if (offset < 0) {
        let shrink = -offset;
        if (shrink > xdpBuffLen(x) - ETH_HLEN) return -EINVAL;
        while (shrink > 0 && x.frags.length > 0) {
          const last = x.frags[x.frags.length - 1]!;
          const n = Math.min(shrink, last.length);
          shrink -= n;
          if (n === last.length) x.frags.pop();
          else x.frags[x.frags.length - 1] = last.slice(0, last.length - n);
        }
        if (x.frags.length === 0) x.dataEnd -= shrink;
      } else {
        if (!x.fragPage) return -EOPNOTSUPP;
        const last = x.frags[x.frags.length - 1]!;
        if (offset > x.fragPage - last.length) return -EINVAL;
        const grown = new Uint8Array(last.length + offset);
        grown.set(last);
        x.frags[x.frags.length - 1] = grown;
      }
      x.sync();
      return 0;
    }
    const end = x.dataEnd + offset;
    if (end > x.hardStart + x.frameSize - x.tailReserve || end < x.data + ETH_HLEN) return -EINVAL;
    if (offset > 0) u8.fill(0, x.dataEnd, end);
    x.dataEnd = end;
    x.sync();
    return 0;
  });

/** `bpf_xdp_get_buff_len(xdp)`. */
export const xdpGetBuffLen: PacketHelperDef = packetHelper('xdp_get_buff_len',
  { ret: 'integer', args: ['ctx'] }, XDP, (c) => xdpBuffLen(xdpOf(c, 'bpf_xdp_get_buff_len')));

function xdpBytes(name: string, toFrame: boolean): PacketHelperDef {
  return packetHelper(name, { ret: 'integer', args: ['ctx', 'anything', 'uninit_mem', 'const_size'] }, XDP, (c) => {
    const x = xdpOf(c, `bpf_${name}`);
    const off = argU64n(c, 2) % 4294967296;
    const len = argU64n(c, 4) % 4294967296;
    if (off > 0xffff || len > 0xffff) return -EFAULT;
    if (off + len > xdpBuffLen(x)) return -EINVAL;
    const buf = memArg(c, `bpf_${name}`, 3, len, !toFrame);
    xdpCopy(x, netOf(c, `bpf_${name}`).arena.u8, off, buf, toFrame);
    return 0;
  });
}

/** `bpf_xdp_load_bytes(xdp, offset, buf, len)`: reads across the linear part and the fragments. */
export const xdpLoadBytes: PacketHelperDef = xdpBytes('xdp_load_bytes', false);

/** `bpf_xdp_store_bytes(xdp, offset, buf, len)`: writes across the linear part and the fragments. */
export const xdpStoreBytes: PacketHelperDef = xdpBytes('xdp_store_bytes', true);
