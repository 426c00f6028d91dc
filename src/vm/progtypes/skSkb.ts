import { ERRNO, ErrnoError } from '../../errno.js';
import { SK_PASS } from '../../helpers/packet/index.js';
import { BPF_PROG_TYPE_SK_SKB, BPF_SK_SKB_STREAM_PARSER } from '../../uapi.js';
import type { TestRunOptions } from '../backend.js';
import { AF_INET, AF_INET6, IPPROTO_TCP, TcpState } from '../net/sockets.js';
import type { SimSocket } from '../net/sockets.js';
import { SK_BUFF_LAYOUTS, SK_BUFF_MD_SIZE, SKB_CB_SIZE, SkBuffMd } from './ctx/skBuffLayout.js';
import { EthP } from './ethernet.js';
import { SkbModel } from './skb.js';
import { SKB_HEADROOM, ctxBuffer } from './skbRunner.js';
import type { ProgTypeRunner, RunProgram, RunSetup, RunnerHost } from './types.js';

/** Bytes of a stream skb a run takes: `BPF_SKB_MAX_LEN`, what the skb helpers let a packet grow to. */
export const SK_SKB_MAX_DATA = 16064;

/** `__sk_buff` byte ranges an sk_skb run's ctx_in may set; the others are computed and must be zero. */
const SETTABLE: readonly [number, number][] = [
  [SkBuffMd.priority, 4], [SkBuffMd.ingress_ifindex, 4], [SkBuffMd.ifindex, 4], [SkBuffMd.tc_index, 4],
  [SkBuffMd.cb, SKB_CB_SIZE], [SkBuffMd.hash, 4], [SkBuffMd.family, SkBuffMd.data_meta - SkBuffMd.family],
  [SkBuffMd.gso_segs, 4], [SkBuffMd.sk, 8], [SkBuffMd.gso_size, 4],
];

function einval(detail: string): ErrnoError {
  return new ErrnoError('BPF_PROG_TEST_RUN', ERRNO.EINVAL, detail);
}

function swap16(x: number): number {
  return ((x & 0xff) << 8) | ((x >> 8) & 0xff);
}

/**
 * The socket the skb belongs to: the Machine's socket whose `bpf_sock` address ctx_in's `sk`
 * holds, or an established TCP socket built from ctx_in's family, addresses and ports (read back
 * in the layout a program reads them: `remote_port` in network order in the upper half).
 */
function streamSocket(host: RunnerHost, ctx: Uint8Array): { sk: SimSocket; owned: boolean } {
  const v = new DataView(ctx.buffer, ctx.byteOffset, ctx.length);
  const addr = Number(v.getBigUint64(SkBuffMd.sk, true));
  if (addr !== 0) {
    const sk = host.net.sockets.at(addr);
    if (!sk) throw einval(`__sk_buff sk 0x${addr.toString(16)} is not a socket of this machine`);
    return { sk, owned: false };
  }
  const family = v.getUint32(SkBuffMd.family, true) || AF_INET;
  if (family !== AF_INET && family !== AF_INET6) throw einval(`family ${family}: a stream socket is AF_INET or AF_INET6`);
  const v6 = family === AF_INET6;
  const ip = (off4: number, off6: number) => ctx.slice(v6 ? off6 : off4, v6 ? off6 + 16 : off4 + 4);
  const sk = host.net.sockets.detached({
    family, protocol: IPPROTO_TCP, state: TcpState.ESTABLISHED,
    localIp: ip(SkBuffMd.local_ip4, SkBuffMd.local_ip6), localPort: v.getUint32(SkBuffMd.local_port, true) & 0xffff,
    remoteIp: ip(SkBuffMd.remote_ip4, SkBuffMd.remote_ip6), remotePort: swap16(v.getUint32(SkBuffMd.remote_port, true) >>> 16),
  });
  return { sk, owned: true };
}

/**
 * SK_SKB (stream parser, stream verdict and skb verdict programs on a SOCKMAP or SOCKHASH): Linux
 * has no test run for it (ENOTSUPP). bpfsim's `run` gives the program the skb TCP hands the
 * socket's psock, as measured on Linux 6.18 over loopback: `data` as the payload, all of it in
 * pages (`data_end` equals `data` until `bpf_skb_pull_data`), `protocol` from the socket's family,
 * `gso_segs` 1, and the socket in `sk` and the address fields. ctx_in (an `__sk_buff`) names the
 * socket — by the `sk` pointer of one of the Machine's sockets, or by family, addresses and ports —
 * and may set priority, ingress_ifindex, ifindex, tc_index, cb, hash, gso_segs and gso_size.
 * A parser returns the message length; a verdict of SK_PASS after `bpf_sk_redirect_map`/`_hash`
 * reports the target socket as the run's redirect.
 */
export function skSkbRunner(host: RunnerHost): ProgTypeRunner {
  const layout = SK_BUFF_LAYOUTS.get(BPF_PROG_TYPE_SK_SKB)!;
  return {
    type: BPF_PROG_TYPE_SK_SKB,
    name: 'sk_skb',
    testRun: false,
    setup(opts: TestRunOptions, prog: RunProgram): RunSetup {
      const data = opts.data ?? new Uint8Array(0);
      if (data.length > SK_SKB_MAX_DATA) throw einval(`an sk_skb run takes at most ${SK_SKB_MAX_DATA} bytes of data, not ${data.length}`);
      const ctxIn = ctxBuffer({ ...opts, ctxSizeOut: SK_BUFF_MD_SIZE }, SK_BUFF_MD_SIZE)!;
      for (let i = 0; i < ctxIn.length; i++) {
        if (ctxIn[i] !== 0 && !SETTABLE.some(([s, n]) => i >= s && i < s + n)) {
          throw einval(`__sk_buff byte ${i} must be zero in an sk_skb ctx_in (it is computed from the packet and socket)`);
        }
      }
      const { sk, owned } = streamSocket(host, ctxIn);
      const v = new DataView(ctxIn.buffer);
      const skb = new SkbModel(host.arena, {
        progType: BPF_PROG_TYPE_SK_SKB, layout, frame: data, headroom: SKB_HEADROOM, tailroom: 0, ifindex: v.getUint32(SkBuffMd.ifindex, true), sk,
        writablePacket: true,
      });
      skb.dataLen = data.length;
      skb.networkHeader = skb.dataOff;
      skb.transportHeader = skb.dataOff;
      skb.protocol = sk.family === AF_INET6 ? EthP.IPV6 : EthP.IP;
      skb.skbIif = v.getUint32(SkBuffMd.ingress_ifindex, true);
      skb.hash = v.getUint32(SkBuffMd.hash, true);
      skb.gsoSegs = v.getUint32(SkBuffMd.gso_segs, true) || 1;
      skb.gsoSize = v.getUint16(SkBuffMd.gso_size, true);
      skb.priority = v.getUint32(SkBuffMd.priority, true);
      skb.cb = ctxIn.subarray(SkBuffMd.cb, SkBuffMd.cb + SKB_CB_SIZE);
      skb.ctx.view.setUint32(skb.ctx.start + SkBuffMd.tc_index, v.getUint32(SkBuffMd.tc_index, true), true);
      skb.sync();
      host.net.register(skb.ctx.start, skb);
      return {
        ctxAddr: skb.ctx.start,
        packet: skb.packet,
        finish(_o, retval, ri) {
          skb.sync();
          const out = skb.ctx.read();
          const z = new DataView(out.buffer);
          for (const off of [SkBuffMd.data, SkBuffMd.data_end, SkBuffMd.data_meta]) z.setUint32(off, 0, true);
          z.setBigUint64(SkBuffMd.sk, 0n, true);
          const verdict = prog.expectedAttachType !== BPF_SK_SKB_STREAM_PARSER;
          const redirect = verdict && retval === SK_PASS && ri.target?.kind === 'sock' ? ri.target : undefined;
          return { data: skb.bytes(), ctx: out, ...(redirect ? { redirect } : {}) };
        },
        release() {
          host.net.forget(skb.ctx.start);
          skb.release();
          if (owned) host.net.sockets.remove(sk);
        },
      };
    },
  };
}
