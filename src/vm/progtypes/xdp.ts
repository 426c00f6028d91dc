import type { Arena, Region } from '../../arena/index.js';
import { ERRNO, ErrnoError } from '../../errno.js';
import { BPF_PROG_TYPE_XDP } from '../../uapi.js';
import type { TestRunOptions } from '../backend.js';
import type { ProgTypeRunner, RunSetup } from './types.js';

/** `sizeof(struct xdp_md)`. */
export const XDP_MD_SIZE = 24;
/** Headroom in front of an XDP frame's data (`XDP_PACKET_HEADROOM`). */
export const XDP_PACKET_HEADROOM = 256;
/** Largest linear part of a test-run frame: a page less headroom and `skb_shared_info` (measured on Linux 6.18). */
export const XDP_MAX_LINEAR = 3520;
/** Largest metadata area: the headroom less `struct xdp_frame` (measured on Linux 6.18). */
export const XDP_MAX_METALEN = 216;
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
 * dataEnd)` mapped as its own region, and the bytes past the linear part kept as fragments. XDP
 * helpers move `data`, `dataEnd` and `dataMeta` and call `sync`. As on Linux, repeated runs
 * share one frame: what a run changes, the next one sees.
 */
export class XdpFrame {
  /** Start of the page-sized buffer. */
  readonly buf: number;
  /** Start of the metadata. */
  dataMeta: number;
  /** Start of the packet. */
  data: number;
  /** End of the linear packet. */
  dataEnd: number;
  /** Bytes beyond the linear part (multi-buffer fragments). */
  frags: Uint8Array;
  private readonly arena: Arena;
  private readonly bufRegion: Region;
  private readonly ctx: Region;
  private live: Region | undefined;

  constructor(arena: Arena, ctx: Region) {
    this.arena = arena;
    this.ctx = ctx;
    this.bufRegion = arena.alloc(FRAME_SIZE, 'packet', 'xdp frame', { mapped: false });
    this.buf = this.bufRegion.start;
    this.data = this.dataMeta = this.dataEnd = this.buf + XDP_PACKET_HEADROOM;
    this.frags = new Uint8Array(0);
  }

  /** Writes the current pointers into the context and maps the live packet for checked mode. */
  sync(): void {
    const v = this.arena.view;
    v.setUint32(this.ctx.start + XdpMd.data, this.data, true);
    v.setUint32(this.ctx.start + XdpMd.data_end, this.dataEnd, true);
    v.setUint32(this.ctx.start + XdpMd.data_meta, this.dataMeta, true);
    if (this.live) this.arena.unmap(this.live);
    this.live = this.arena.map(this.dataMeta, this.dataEnd - this.dataMeta, 'packet', 'packet');
  }

  /** Frees the frame. */
  release(): void {
    if (this.live) this.arena.unmap(this.live);
    this.arena.release(this.bufRegion);
  }
}

function u32(bytes: Uint8Array, off: number): number {
  return off + 4 <= bytes.length ? new DataView(bytes.buffer, bytes.byteOffset).getUint32(off, true) : 0;
}

function einval(detail: string): ErrnoError {
  return new ErrnoError('BPF_PROG_TEST_RUN', ERRNO.EINVAL, detail);
}

/** XDP test runs, with `bpf_prog_test_run_xdp`'s rules as measured on Linux 6.18. */
export function xdpRunner(arena: Arena, device: (ifindex: number) => XdpDevice | undefined): ProgTypeRunner {
  return {
    type: BPF_PROG_TYPE_XDP,
    name: 'xdp',
    setup(opts: TestRunOptions): RunSetup {
      const data = opts.data ?? new Uint8Array(0);
      const ctxIn = opts.ctx;
      if (data.length < 14) throw einval(`XDP test runs need at least an Ethernet header (14 bytes), got ${data.length}`);
      if (ctxIn && ctxIn.length > XDP_MD_SIZE && ctxIn.subarray(XDP_MD_SIZE).some((b) => b !== 0)) {
        throw new ErrnoError('BPF_PROG_TEST_RUN', ERRNO.E2BIG, 'bytes past struct xdp_md in ctx_in must be zero');
      }
      const metalen = ctxIn ? u32(ctxIn, XdpMd.data) : 0;
      const end = ctxIn ? u32(ctxIn, XdpMd.data_end) : data.length;
      const ifindex = ctxIn ? u32(ctxIn, XdpMd.ingress_ifindex) : 0;
      const rxq = ctxIn ? u32(ctxIn, XdpMd.rx_queue_index) : 0;
      if (ctxIn) {
        if (u32(ctxIn, XdpMd.data_meta) !== 0) throw einval('xdp_md.data_meta must be 0 in ctx_in');
        if (end > data.length || metalen > end) throw einval('xdp_md.data and data_end must lie within data_in');
        if (metalen % 4 !== 0 || metalen > XDP_MAX_METALEN) throw einval(`metadata length ${metalen} must be a multiple of 4, at most ${XDP_MAX_METALEN}`);
        if (u32(ctxIn, XdpMd.egress_ifindex) !== 0) throw einval('xdp_md.egress_ifindex must be 0 in ctx_in');
        if (ifindex === 0 && rxq !== 0) throw einval('rx_queue_index needs an ingress_ifindex');
        if (ifindex !== 0) {
          const dev = device(ifindex);
          if (!dev) throw new ErrnoError('BPF_PROG_TEST_RUN', ERRNO.ENODEV, `no device with ifindex ${ifindex}`);
          if (rxq >= dev.rxQueues) throw einval(`rx_queue_index ${rxq} is beyond the device's ${dev.rxQueues} queues`);
        }
      }
      const ctx = arena.alloc(XDP_MD_SIZE, 'ctx', 'xdp_md', { writable: false });
      const frame = new XdpFrame(arena, ctx);
      const linear = Math.min(end - metalen, XDP_MAX_LINEAR);
      {
        frame.dataMeta = frame.buf + XDP_PACKET_HEADROOM - metalen;
        frame.data = frame.buf + XDP_PACKET_HEADROOM;
        frame.dataEnd = frame.data + linear;
        arena.write(frame.dataMeta, data.subarray(0, metalen + linear));
        frame.frags = data.slice(metalen + linear);
        const v = arena.view;
        v.setUint32(ctx.start + XdpMd.ingress_ifindex, ifindex, true);
        v.setUint32(ctx.start + XdpMd.rx_queue_index, rxq, true);
        v.setUint32(ctx.start + XdpMd.egress_ifindex, 0, true);
        frame.sync();
      }
      return {
        ctxAddr: ctx.start,
        get packet() { return { start: frame.data, len: frame.dataEnd - frame.data }; },
        finish(o) {
          arena.refresh();
          const linearOut = arena.read(frame.dataMeta, frame.dataEnd - frame.dataMeta);
          const out = new Uint8Array(linearOut.length + frame.frags.length);
          out.set(linearOut);
          out.set(frame.frags, linearOut.length);
          const ctxRoom = o.ctxSizeOut ?? (ctxIn ? ctxIn.length : 0);
          let ctxOut = new Uint8Array(0);
          if (ctxRoom > 0) {
            const md = new Uint8Array(XDP_MD_SIZE);
            const dv = new DataView(md.buffer);
            dv.setUint32(XdpMd.data, frame.data - frame.dataMeta, true);
            dv.setUint32(XdpMd.data_end, frame.dataEnd - frame.dataMeta, true);
            dv.setUint32(XdpMd.ingress_ifindex, ifindex, true);
            dv.setUint32(XdpMd.rx_queue_index, rxq, true);
            ctxOut = md.slice(0, Math.min(ctxRoom, XDP_MD_SIZE));
          }
          const dataRoom = o.dataSizeOut ?? data.length + 4096;
          if (out.length > dataRoom || (ctxRoom > 0 && ctxRoom < XDP_MD_SIZE)) {
            throw new ErrnoError('BPF_PROG_TEST_RUN', ERRNO.ENOSPC,
              `the program produced ${out.length} bytes of data and ${XDP_MD_SIZE} of context; pass larger data_size_out/ctx_size_out`);
          }
          return { data: out, ctx: ctxOut };
        },
        release() {
          frame.release();
          arena.release(ctx);
        },
      };
    },
  };
}
