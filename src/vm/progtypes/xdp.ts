import type { Arena, Region } from '../../arena/index.js';
import { ERRNO, ErrnoError } from '../../errno.js';
import type { XdpBuff } from '../../helpers/packet.js';
import { BPF_F_TEST_XDP_LIVE_FRAMES, BPF_PROG_TYPE_XDP, BPF_XDP_CPUMAP, BPF_XDP_DEVMAP, XDP_REDIRECT, XDP_TX } from '../../uapi.js';
import type { TestRunOptions } from '../backend.js';
import { ctxLayout } from './ctx/layouts.js';
import { CtxMemory } from './ctxMemory.js';
import { ctxBuffer, copyOut } from './skbRunner.js';
import type { ProgTypeRunner, RunOutput, RunSetup, RunnerHost } from './types.js';

/** `sizeof(struct xdp_md)`. */
export const XDP_MD_SIZE = 24;
/** Headroom in front of an XDP frame's data (`XDP_PACKET_HEADROOM`). */
export const XDP_PACKET_HEADROOM = 256;
/** Largest linear part of a test-run frame: a page less headroom and `skb_shared_info` (measured on Linux 6.18). */
export const XDP_MAX_LINEAR = 3520;
/** Largest metadata area: the headroom less `struct xdp_frame` (measured on Linux 6.18). */
export const XDP_MAX_METALEN = 216;
/** `sizeof(struct xdp_frame)`, kept free at the start of the page. */
export const XDP_FRAME_HEADER = XDP_PACKET_HEADROOM - XDP_MAX_METALEN;
/** Bytes at the end of the page reserved for `skb_shared_info`. */
export const XDP_TAIL_RESERVE = 320;
/** Fragments a frame may have (`MAX_SKB_FRAGS`). */
export const XDP_MAX_FRAGS = 17;
const FRAME_SIZE = 4096;

/** Field offsets of `struct xdp_md`. */
export const XdpMd = {
  data: 0, data_end: 4, data_meta: 8, ingress_ifindex: 12, rx_queue_index: 16, egress_ifindex: 20,
} as const;

/** A device a test run may name as its ingress interface. */
export interface XdpDevice {
  /** Number of RX queues (`real_num_rx_queues`). */
  readonly rxQueues: number;
}

/**
 * An XDP frame in the arena: a page-sized buffer with headroom, the live packet `[dataMeta,
 * dataEnd)` mapped as its own region, and the bytes past the linear part kept as page-sized
 * fragments. XDP helpers move `data`, `dataEnd` and `dataMeta` and call `sync`. As on Linux,
 * repeated runs share one frame: what a run changes, the next one sees.
 */
/**
 * `struct xdp_buff` and `struct xdp_rxq_info` as bpfsim's kernel BTF lays them out
 * (src/elf/btf/simKernel.ts): the kernel context of an XDP program, which bpf_cast_to_kern_ctx
 * gives and the program reads through PTR_TO_BTF_ID loads. The rxq info follows the xdp_buff.
 */
export const KernXdpBuff = { data: 0, data_end: 8, data_meta: 16, data_hard_start: 24, rxq: 32, frame_sz: 40, size: 48 } as const;
/** `struct xdp_rxq_info` in bpfsim's kernel BTF (the device pointer stays NULL: the simulator has no net_device structs). */
export const KernXdpRxqInfo = { dev: 0, queue_index: 8, size: 16 } as const;

export class XdpFrame implements XdpBuff {
  readonly kind = 'xdp' as const;
  readonly hardStart: number;
  readonly frameSize = FRAME_SIZE;
  readonly tailReserve = XDP_TAIL_RESERVE;
  readonly frameHeader = XDP_FRAME_HEADER;
  dataMeta: number;
  data: number;
  dataEnd: number;
  frags: Uint8Array[] = [];
  readonly fragPage = FRAME_SIZE;
  readonly ingressIfindex: number;
  readonly rxQueueIndex: number;
  /** The device a devmap program sends through (`xdp_md.egress_ifindex`; 0 elsewhere). */
  readonly egressIfindex: number;
  /** The `xdp_md` the program reads. */
  readonly ctx: CtxMemory;
  /** The packet as LD_ABS would see it (kept current by `sync`). */
  readonly packet = { start: 0, len: 0 };
  /** The frame's kernel `struct xdp_buff` (KernXdpBuff). */
  readonly kernCtx: number;
  private readonly arena: Arena;
  private readonly bufRegion: Region;
  private readonly kernRegion: Region;
  private live: Region | undefined;

  constructor(arena: Arena, ctx: CtxMemory, ingressIfindex: number, rxQueueIndex: number, egressIfindex = 0) {
    this.arena = arena;
    this.ctx = ctx;
    this.bufRegion = arena.alloc(FRAME_SIZE, 'packet', 'xdp frame', { mapped: false });
    this.kernRegion = arena.alloc(KernXdpBuff.size + KernXdpRxqInfo.size, 'mem', 'xdp_buff', { align: 8, writable: false });
    this.kernCtx = this.kernRegion.start;
    this.hardStart = this.bufRegion.start;
    this.data = this.dataMeta = this.dataEnd = this.hardStart + XDP_PACKET_HEADROOM;
    this.ingressIfindex = ingressIfindex;
    this.rxQueueIndex = rxQueueIndex;
    this.egressIfindex = egressIfindex;
  }

  /** Bytes of the fragments. */
  get fragBytes(): number {
    return this.frags.reduce((n, f) => n + f.length, 0);
  }

  /** Writes the current pointers into the context and maps the live packet for checked mode. */
  sync(): void {
    const v = this.arena.view;
    const c = this.ctx.start;
    v.setUint32(c + XdpMd.data, this.data, true);
    v.setUint32(c + XdpMd.data_end, this.dataEnd, true);
    v.setUint32(c + XdpMd.data_meta, this.dataMeta, true);
    v.setUint32(c + XdpMd.ingress_ifindex, this.ingressIfindex, true);
    v.setUint32(c + XdpMd.rx_queue_index, this.rxQueueIndex, true);
    v.setUint32(c + XdpMd.egress_ifindex, this.egressIfindex, true);
    const k = this.kernCtx;
    v.setBigUint64(k + KernXdpBuff.data, BigInt(this.data), true);
    v.setBigUint64(k + KernXdpBuff.data_end, BigInt(this.dataEnd), true);
    v.setBigUint64(k + KernXdpBuff.data_meta, BigInt(this.dataMeta), true);
    v.setBigUint64(k + KernXdpBuff.data_hard_start, BigInt(this.hardStart), true);
    v.setBigUint64(k + KernXdpBuff.rxq, BigInt(k + KernXdpBuff.size), true);
    v.setUint32(k + KernXdpBuff.frame_sz, this.frameSize, true);
    v.setUint32(k + KernXdpBuff.size + KernXdpRxqInfo.queue_index, this.rxQueueIndex, true);
    this.packet.start = this.data;
    this.packet.len = this.dataEnd - this.data;
    if (this.live) this.arena.unmap(this.live);
    this.live = this.arena.map(this.dataMeta, this.dataEnd - this.dataMeta, 'packet', 'packet');
  }

  /** The frame from the metadata on, fragments included (what data out holds). */
  bytes(): Uint8Array {
    const linear = this.arena.read(this.dataMeta, this.dataEnd - this.dataMeta);
    const out = new Uint8Array(linear.length + this.fragBytes);
    out.set(linear);
    let at = linear.length;
    for (const f of this.frags) {
      out.set(f, at);
      at += f.length;
    }
    return out;
  }

  /** Frees the frame. */
  release(): void {
    if (this.live) this.arena.unmap(this.live);
    this.arena.release(this.bufRegion);
    this.arena.release(this.kernRegion);
  }
}

function u32(bytes: Uint8Array, off: number): number {
  return new DataView(bytes.buffer, bytes.byteOffset).getUint32(off, true);
}

function einval(detail: string): ErrnoError {
  return new ErrnoError('BPF_PROG_TEST_RUN', ERRNO.EINVAL, detail);
}

/**
 * XDP test runs, with `bpf_prog_test_run_xdp`'s rules as measured on Linux 6.18. bpfsim's direct
 * `run` also takes devmap and cpumap programs, which Linux cannot test-run, and a devmap program's
 * `egress_ifindex` in ctx_in.
 */
export function xdpRunner(host: RunnerHost, device: (ifindex: number) => XdpDevice | undefined): ProgTypeRunner {
  const arena = host.arena;
  return {
    type: BPF_PROG_TYPE_XDP,
    name: 'xdp',
    testRun: true,
    setup(opts: TestRunOptions, prog, mode): RunSetup {
      const devmap = mode === 'run' && prog.expectedAttachType === BPF_XDP_DEVMAP;
      if (mode === 'test' && (prog.expectedAttachType === BPF_XDP_DEVMAP || prog.expectedAttachType === BPF_XDP_CPUMAP)) {
        throw einval('devmap and cpumap XDP programs have no test run');
      }
      const flags = opts.flags ?? 0;
      if ((flags & ~BPF_F_TEST_XDP_LIVE_FRAMES) !== 0) throw einval(`flags 0x${flags.toString(16)}: XDP test runs take only BPF_F_TEST_XDP_LIVE_FRAMES`);
      const live = (flags & BPF_F_TEST_XDP_LIVE_FRAMES) !== 0;
      const data = opts.data ?? new Uint8Array(0);
      const ctxIn = ctxBuffer(opts, XDP_MD_SIZE);
      const metalen = ctxIn ? u32(ctxIn, XdpMd.data) : 0;
      const end = ctxIn ? u32(ctxIn, XdpMd.data_end) : data.length;
      const ifindex = ctxIn ? u32(ctxIn, XdpMd.ingress_ifindex) : 0;
      const rxq = ctxIn ? u32(ctxIn, XdpMd.rx_queue_index) : 0;
      if (ctxIn) {
        if (u32(ctxIn, XdpMd.data_meta) !== 0) throw einval('xdp_md.data_meta must be 0 in ctx_in');
        if (end > data.length || metalen > end) throw einval('xdp_md.data and data_end must lie within data_in');
        if (metalen % 4 !== 0 || metalen > XDP_MAX_METALEN) throw einval(`metadata length ${metalen} must be a multiple of 4, at most ${XDP_MAX_METALEN}`);
        if (live) throw einval('live frames take no data_out or ctx_out');
      }
      if (live && data.length - metalen > XDP_MAX_LINEAR) throw einval('live frames must fit the linear part');
      if (data.length - metalen < 14) throw einval(`XDP test runs need an Ethernet header (14 bytes) after the metadata, got ${data.length - metalen}`);
      if (ctxIn) {
        if (!devmap && u32(ctxIn, XdpMd.egress_ifindex) !== 0) throw einval('xdp_md.egress_ifindex must be 0 in ctx_in');
        if (ifindex === 0 && rxq !== 0) throw einval('rx_queue_index needs an ingress_ifindex');
        if (ifindex !== 0) {
          const dev = device(ifindex);
          if (!dev) throw new ErrnoError('BPF_PROG_TEST_RUN', ERRNO.ENODEV, `no device with ifindex ${ifindex}`);
          if (rxq >= dev.rxQueues) throw einval(`rx_queue_index ${rxq} is beyond the device's ${dev.rxQueues} queues`);
        }
      }
      const linear = Math.min(end - metalen, XDP_MAX_LINEAR);
      const rest = data.subarray(metalen + linear);
      if (Math.ceil(rest.length / FRAME_SIZE) > XDP_MAX_FRAGS) {
        throw new ErrnoError('BPF_PROG_TEST_RUN', ERRNO.ENOMEM, `${data.length} bytes need more than ${XDP_MAX_FRAGS} fragments`);
      }
      const ctx = new CtxMemory(arena, ctxLayout(BPF_PROG_TYPE_XDP, prog.expectedAttachType)!, 'xdp_md');
      const frame = new XdpFrame(arena, ctx, ifindex === 0 ? 1 : ifindex, rxq, devmap && ctxIn ? u32(ctxIn, XdpMd.egress_ifindex) : 0);
      frame.dataMeta = frame.hardStart + XDP_PACKET_HEADROOM - metalen;
      frame.dataEnd = frame.data + linear;
      arena.write(frame.dataMeta, data.subarray(0, metalen + linear));
      for (let at = 0; at < rest.length; at += FRAME_SIZE) frame.frags.push(rest.slice(at, at + FRAME_SIZE));
      frame.sync();
      host.net.register(ctx.start, frame);
      return {
        ctxAddr: ctx.start,
        packet: frame.packet,
        finish(o, retval, ri): RunOutput {
          arena.refresh();
          if (live) return { data: copyOut(o, data, undefined).data, ctx: new Uint8Array(0) };
          let ctxOut: Uint8Array | undefined;
          if (ctxIn) {
            ctxOut = ctxIn.slice();
            const dv = new DataView(ctxOut.buffer);
            dv.setUint32(XdpMd.data, frame.data - frame.dataMeta, true);
            dv.setUint32(XdpMd.data_end, frame.dataEnd - frame.dataMeta, true);
          }
          const out = copyOut(o, frame.bytes(), ctxOut);
          const redirect = retval === XDP_TX ? { kind: 'tx' as const, ifindex: frame.ingressIfindex }
            : retval === XDP_REDIRECT ? ri.target : undefined;
          return { ...out, ...(redirect ? { redirect } : {}) };
        },
        release() {
          host.net.forget(ctx.start);
          frame.release();
          ctx.release();
        },
      };
    },
  };
}
