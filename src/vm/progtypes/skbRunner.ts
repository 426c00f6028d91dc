import { ERRNO, ErrnoError } from '../../errno.js';
import { CHECKSUM_COMPLETE, TC_ACT_REDIRECT } from '../../helpers/packet.js';
import { csumFold, csumPartial } from '../../helpers/packet/csum.js';
import {
  BPF_F_TEST_SKB_CHECKSUM_COMPLETE, BPF_PROG_TYPE_CGROUP_SKB, BPF_PROG_TYPE_LWT_IN, BPF_PROG_TYPE_LWT_OUT,
  BPF_PROG_TYPE_LWT_XMIT, BPF_PROG_TYPE_SCHED_ACT, BPF_PROG_TYPE_SCHED_CLS, BPF_PROG_TYPE_SOCKET_FILTER,
} from '../../uapi.js';
import type { TestRunOptions } from '../backend.js';
import { AF_INET, AF_INET6 } from '../net/sockets.js';
import type { SimSocket } from '../net/sockets.js';
import { SK_BUFF_LAYOUTS, SK_BUFF_MD_SIZE, SKB_CB_SIZE, SkBuffMd } from './ctx/skBuffLayout.js';
import { ETH_HLEN, EthP, ethTypeTrans } from './ethernet.js';
import { progTypeName } from './names.js';
import { SkbModel } from './skb.js';
import type { ProgTypeRunner, RunOutput, RunSetup, RunnerHost } from './types.js';

/** `NET_SKB_PAD + NET_IP_ALIGN` on x86-64: headroom of a test-run skb. */
export const SKB_HEADROOM = 64;
/** Largest `data_in` of an skb test run: a page less headroom and `skb_shared_info` (3712, measured). */
export const SKB_MAX_DATA = 4096 - SKB_HEADROOM - 320;
/** `GSO_LEGACY_MAX_SIZE`: the largest `wire_len` a test may set. */
const GSO_LEGACY_MAX_SIZE = 65536;
/** `GSO_MAX_SEGS`. */
const GSO_MAX_SEGS = 65535;

/** `__sk_buff` byte ranges `convert___skb_to_skb` lets ctx_in set; every other byte must be zero. */
const SETTABLE: readonly [number, number][] = [
  [SkBuffMd.mark, 4], [SkBuffMd.priority, 12], [SkBuffMd.cb, SKB_CB_SIZE], [SkBuffMd.tstamp, 16],
  [SkBuffMd.gso_size, 4], [SkBuffMd.hwtstamp, 8],
];

function einval(detail: string): ErrnoError {
  return new ErrnoError('BPF_PROG_TEST_RUN', ERRNO.EINVAL, detail);
}

function settable(off: number): boolean {
  return SETTABLE.some(([s, n]) => off >= s && off < s + n);
}

/** The 192-byte `__sk_buff` test runs read ctx_in into and write ctx_out from, or undefined when there is none. */
export function ctxBuffer(opts: TestRunOptions, size: number): Uint8Array | undefined {
  const ctxIn = opts.ctx;
  if (!ctxIn && !opts.ctxSizeOut) return undefined;
  const buf = new Uint8Array(size);
  if (ctxIn) {
    if (ctxIn.length > size && ctxIn.subarray(size).some((b) => b !== 0)) {
      throw new ErrnoError('BPF_PROG_TEST_RUN', ERRNO.E2BIG, `bytes past the ${size}-byte context in ctx_in must be zero`);
    }
    buf.set(ctxIn.subarray(0, size));
  }
  return buf;
}

/** Data out and ctx out as `bpf_test_finish` and `bpf_ctx_finish` copy them (ENOSPC when they do not fit). */
export function copyOut(opts: TestRunOptions, data: Uint8Array, ctx: Uint8Array | undefined): { data: Uint8Array; ctx: Uint8Array } {
  const dataRoom = opts.dataSizeOut ?? (opts.data ? opts.data.length + 4096 : 0);
  const ctxRoom = opts.ctxSizeOut ?? opts.ctx?.length ?? 0;
  if (dataRoom > 0 && data.length > dataRoom) {
    throw new ErrnoError('BPF_PROG_TEST_RUN', ERRNO.ENOSPC,
      `the program produced ${data.length} bytes of data; pass a larger data_size_out`);
  }
  if (ctx && ctxRoom > 0 && ctx.length > ctxRoom) {
    throw new ErrnoError('BPF_PROG_TEST_RUN', ERRNO.ENOSPC,
      `the context out is ${ctx.length} bytes; pass a larger ctx_size_out`);
  }
  return { data: dataRoom > 0 ? data : new Uint8Array(0), ctx: ctx && ctxRoom > 0 ? ctx : new Uint8Array(0) };
}

/** Whether the program type's skb starts at the Ethernet header (tc) rather than the network header. */
function isL2(type: number): boolean {
  return type === BPF_PROG_TYPE_SCHED_CLS || type === BPF_PROG_TYPE_SCHED_ACT;
}

/** The dummy socket `bpf_prog_test_run_skb` attaches: its family and addresses from the IP header. */
function dummySocket(host: RunnerHost, frame: Uint8Array, protocol: number): SimSocket {
  if (protocol === EthP.IP) {
    return host.net.sockets.detached({ family: AF_INET, protocol: 0, localIp: frame.slice(26, 30), remoteIp: frame.slice(30, 34), localPort: 0 });
  }
  if (protocol === EthP.IPV6) {
    return host.net.sockets.detached({ family: AF_INET6, protocol: 0, localIp: frame.slice(22, 38), remoteIp: frame.slice(38, 54), localPort: 0 });
  }
  return host.net.sockets.detached({ family: 0, protocol: 0, localPort: 0 });
}

/** Applies ctx_in as `convert___skb_to_skb` does: zero checks, then mark, priority, cb, wire_len, gso and timestamps. */
function applyCtx(skb: SkbModel, ctx: Uint8Array): void {
  for (let i = 0; i < ctx.length; i++) {
    if (ctx[i] !== 0 && !settable(i)) throw einval(`__sk_buff byte ${i} must be zero in ctx_in (only mark, priority, ingress_ifindex, ifindex, cb, tstamp, wire_len, gso_segs, gso_size and hwtstamp may be set)`);
  }
  const v = new DataView(ctx.buffer, ctx.byteOffset, ctx.length);
  skb.mark = v.getUint32(SkBuffMd.mark, true);
  skb.priority = v.getUint32(SkBuffMd.priority, true);
  skb.skbIif = v.getUint32(SkBuffMd.ingress_ifindex, true);
  skb.tstamp = v.getBigUint64(SkBuffMd.tstamp, true);
  skb.cb = ctx.subarray(SkBuffMd.cb, SkBuffMd.cb + SKB_CB_SIZE);
  const wire = v.getUint32(SkBuffMd.wire_len, true);
  if (wire === 0) skb.wireLen = skb.len;
  else {
    if (wire < skb.len || wire > GSO_LEGACY_MAX_SIZE) throw einval(`wire_len ${wire} must lie between the packet length ${skb.len} and ${GSO_LEGACY_MAX_SIZE}`);
    skb.wireLen = wire;
  }
  const segs = v.getUint32(SkBuffMd.gso_segs, true);
  if (segs > GSO_MAX_SEGS) throw einval(`gso_segs ${segs} is above GSO_MAX_SEGS (${GSO_MAX_SEGS})`);
  skb.gsoSegs = segs;
  skb.gsoSize = v.getUint16(SkBuffMd.gso_size, true);
  skb.hwtstamp = v.getBigUint64(SkBuffMd.hwtstamp, true);
}

/** ctx out as `convert_skb_to___skb` fills it: ctx_in with the skb's fields written over it. */
function ctxOut(skb: SkbModel, buf: Uint8Array): Uint8Array {
  const out = buf.slice();
  const v = new DataView(out.buffer);
  v.setUint32(SkBuffMd.mark, skb.mark, true);
  v.setUint32(SkBuffMd.priority, skb.priority, true);
  v.setUint32(SkBuffMd.ingress_ifindex, skb.skbIif, true);
  v.setUint32(SkBuffMd.ifindex, skb.ifindex, true);
  v.setBigUint64(SkBuffMd.tstamp, skb.tstamp, true);
  out.set(skb.cb, SkBuffMd.cb);
  v.setUint32(SkBuffMd.wire_len, skb.wireLen, true);
  v.setUint32(SkBuffMd.gso_segs, skb.gsoSegs, true);
  v.setBigUint64(SkBuffMd.hwtstamp, skb.hwtstamp, true);
  return out;
}

/** The network-header checksum the CHECKSUM_COMPLETE test flag seeds and checks. */
function netChecksum(skb: SkbModel, host: RunnerHost): number {
  const start = skb.networkHeader;
  return csumPartial(host.arena.read(skb.head + start, skb.tailOff - start), 0);
}

/**
 * skb test runs (`bpf_prog_test_run_skb`) for socket filters, tc, cgroup skb and LWT programs, with
 * Linux 6.18's measured rules: 14 to 3712 bytes of data (34 at least for IPv4, 54 for IPv6), the
 * frame passed through `eth_type_trans` on loopback (or the ctx_in device), socket filters, cgroup
 * and LWT programs seeing the packet from the network header and data out coming back with a zeroed
 * Ethernet header, a dummy socket carrying the IP addresses, and `__sk_buff` in and out.
 */
export function skbRunner(host: RunnerHost, type: number): ProgTypeRunner {
  const layout = SK_BUFF_LAYOUTS.get(type);
  if (!layout) throw new RangeError(`program type ${type} has no __sk_buff`);
  return {
    type,
    name: progTypeName(type),
    testRun: true,
    setup(opts): RunSetup {
      const flags = opts.flags ?? 0;
      if ((flags & ~BPF_F_TEST_SKB_CHECKSUM_COMPLETE) !== 0) throw einval(`flags 0x${flags.toString(16)}: skb test runs take only BPF_F_TEST_SKB_CHECKSUM_COMPLETE`);
      if ((opts.cpu ?? 0) !== 0) throw einval('skb test runs cannot pick a CPU');
      const data = opts.data ?? new Uint8Array(0);
      if (data.length < ETH_HLEN || data.length > SKB_MAX_DATA) throw einval(`skb test runs take ${ETH_HLEN} to ${SKB_MAX_DATA} bytes of data, not ${data.length}`);
      const ctxBuf = ctxBuffer(opts, SK_BUFF_MD_SIZE);
      const ifindex = ctxBuf ? new DataView(ctxBuf.buffer).getUint32(SkBuffMd.ifindex, true) : 0;
      const dev = host.net.device(ifindex > 1 ? ifindex : 1);
      if (!dev) throw new ErrnoError('BPF_PROG_TEST_RUN', ERRNO.ENODEV, `no device with ifindex ${ifindex}`);
      const { pktType, protocol } = ethTypeTrans(data, dev);
      const minLen = protocol === EthP.IP ? ETH_HLEN + 20 : protocol === EthP.IPV6 ? ETH_HLEN + 40 : ETH_HLEN;
      if (data.length < minLen) throw einval(`a ${protocol === EthP.IP ? 'IPv4' : 'IPv6'} frame needs at least ${minLen} bytes, got ${data.length}`);
      const sk = dummySocket(host, data, protocol);
      const skb = new SkbModel(host.arena, {
        progType: type, layout, frame: data, headroom: SKB_HEADROOM, tailroom: 320, ifindex: dev.ifindex, sk, mtu: dev.mtu,
        writablePacket: isL2(type) || type === BPF_PROG_TYPE_LWT_XMIT,
      });
      const release = () => {
        host.net.forget(skb.ctx.start);
        skb.release();
        host.net.sockets.remove(sk);
      };
      try {
        skb.macHeader = skb.dataOff;
        skb.dataOff += ETH_HLEN;
        skb.networkHeader = skb.dataOff;
        skb.protocol = protocol;
        skb.pktType = pktType;
        if (isL2(type)) skb.dataOff -= ETH_HLEN;
        if (ctxBuf) applyCtx(skb, ctxBuf);
        if (flags & BPF_F_TEST_SKB_CHECKSUM_COMPLETE) {
          skb.csum = netChecksum(skb, host);
          skb.ipSummed = CHECKSUM_COMPLETE;
        }
        skb.sync();
      } catch (e) {
        release();
        throw e;
      }
      host.net.register(skb.ctx.start, skb);
      return {
        ctxAddr: skb.ctx.start,
        packet: skb.packet,
        beforeEach: () => skb.sync(),
        finish(o, retval, ri): RunOutput {
          skb.sync();
          if (!isL2(type)) {
            skb.reserve(ETH_HLEN, 0);
            skb.dataOff -= ETH_HLEN;
            host.arena.u8.fill(0, skb.data, skb.data + ETH_HLEN);
          }
          if (flags & BPF_F_TEST_SKB_CHECKSUM_COMPLETE && skb.networkHeader > skb.tailOff) {
            // Linux 6.18 checksums a negative length here and stops at BUG() in skb_checksum (measured: an oops that kills the caller)
            throw new ErrnoError('BPF_PROG_TEST_RUN', ERRNO.EFAULT, 'the network header lies past the end of the packet: Linux 6.18 crashes in skb_checksum on this run');
          }
          if (flags & BPF_F_TEST_SKB_CHECKSUM_COMPLETE && csumFold(skb.csum) !== csumFold(netChecksum(skb, host))) {
            throw new ErrnoError('BPF_PROG_TEST_RUN', ERRNO.EBADMSG, 'skb->csum does not match the packet after the run: the program changed bytes without updating the checksum');
          }
          const out = copyOut(o, skb.bytes(), ctxBuf ? ctxOut(skb, ctxBuf) : undefined);
          const redirect = retval === TC_ACT_REDIRECT ? ri.target : undefined;
          return { ...out, ...(redirect ? { redirect } : {}), ...(ri.clones.length ? { clones: [...ri.clones] } : {}) };
        },
        release,
      };
    },
  };
}

/** The skb program types that have a kernel test run. */
export const SKB_TEST_RUN_TYPES: readonly number[] = [
  BPF_PROG_TYPE_SOCKET_FILTER, BPF_PROG_TYPE_SCHED_CLS, BPF_PROG_TYPE_SCHED_ACT, BPF_PROG_TYPE_CGROUP_SKB,
  BPF_PROG_TYPE_LWT_IN, BPF_PROG_TYPE_LWT_OUT, BPF_PROG_TYPE_LWT_XMIT,
];
