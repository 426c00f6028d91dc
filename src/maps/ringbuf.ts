import { BpfMap } from './base.js';
import type { MapSpec } from './spec.js';
import type { MapEnv } from './types.js';

/** Bytes of a ring buffer record header: u32 length (with the two flag bits), u32 page offset. */
export const BPF_RINGBUF_HDR_SZ = 8;
/** Header length bit: the record is reserved and not yet submitted or discarded. */
export const BPF_RINGBUF_BUSY_BIT = 1 << 31;
/** Header length bit: the record was discarded; consumers skip it. */
export const BPF_RINGBUF_DISCARD_BIT = 1 << 30;
/** Submit/discard/output flag: do not notify the consumer. */
export const BPF_RB_NO_WAKEUP = 1;
/** Submit/discard/output flag: notify the consumer even if it is not waiting for this record. */
export const BPF_RB_FORCE_WAKEUP = 2;
/** bpf_ringbuf_query: bytes produced and not yet consumed. */
export const BPF_RB_AVAIL_DATA = 0;
/** bpf_ringbuf_query: size of the data area. */
export const BPF_RB_RING_SIZE = 1;
/** bpf_ringbuf_query: the consumer position. */
export const BPF_RB_CONS_POS = 2;
/** bpf_ringbuf_query: the producer position. */
export const BPF_RB_PROD_POS = 3;

const EAGAIN = 11;
const EINVAL = 22;

/** Rounds a record's length plus header up to 8 bytes, as producer and consumer both step. */
function recordSpan(len: number): number {
  return Math.ceil((len + BPF_RINGBUF_HDR_SZ) / 8) * 8;
}

/**
 * RINGBUF: a power-of-two data area in the arena shared by all CPUs, with the kernel's record
 * format (8-byte header, 8-byte alignment, busy and discard bits) and positions that only grow.
 * The kernel maps the data pages twice so that a record crossing the end is contiguous; here the
 * area is followed by a mirror of itself, and the part of a record written past the end is copied
 * to the start when it is submitted. A consumer reads records as libbpf's ring_buffer does.
 */
export class RingbufMap extends BpfMap {
  /** Start of the data area in the arena. */
  readonly data: number;
  /** Size of the data area in bytes (max_entries). */
  readonly ringSize: number;
  /** Notifications a waiting consumer would have received (an epoll wakeup each). */
  wakeups = 0;
  private consumerPos = 0;
  private producerPos = 0;
  private pendingPos = 0;

  constructor(env: MapEnv, spec: MapSpec) {
    super(env, spec);
    this.ringSize = this.maxEntries;
    this.data = this.allocRegion(2 * this.ringSize, 'ringbuf', `ringbuf[${this.label}]`).start;
  }

  /** Whether `addr` lies in this ring's data area (where reserved records are). */
  contains(addr: number): boolean {
    return addr >= this.data && addr < this.data + 2 * this.ringSize;
  }

  /** `bpf_ringbuf_reserve`: the address of `size` bytes for a new record, or 0 when there is no room. */
  reserve(size: number, flags: number): number {
    if (flags !== 0) return 0;
    const span = recordSpan(size);
    if (size > 0x3fffffff || span > this.ringSize) return 0;
    const view = this.arena.view;
    let pend = this.pendingPos;
    while (pend < this.producerPos) {
      const len = view.getUint32(this.data + (pend & (this.ringSize - 1)), true);
      if (len & BPF_RINGBUF_BUSY_BIT) break;
      pend += recordSpan(len & ~BPF_RINGBUF_DISCARD_BIT);
    }
    this.pendingPos = pend;
    const next = this.producerPos + span;
    if (next - this.consumerPos > this.ringSize - 1 || next - pend > this.ringSize - 1) return 0;
    const hdr = this.data + (this.producerPos & (this.ringSize - 1));
    view.setUint32(hdr, (size | BPF_RINGBUF_BUSY_BIT) >>> 0, true);
    view.setUint32(hdr + 4, (hdr - this.data) >>> 12, true);
    this.producerPos = next;
    return hdr + BPF_RINGBUF_HDR_SZ;
  }

  /** `bpf_ringbuf_submit`: publishes the record reserved at `addr`. */
  submit(addr: number, flags: number): void {
    this.commit(addr, flags, false);
  }

  /** `bpf_ringbuf_discard`: drops the record reserved at `addr`; consumers skip it. */
  discard(addr: number, flags: number): void {
    this.commit(addr, flags, true);
  }

  /** `bpf_ringbuf_output`: copies `size` bytes from `dataAddr` into a new record; 0, -EAGAIN or -EINVAL. */
  output(dataAddr: number, size: number, flags: number): number {
    if (flags & ~(BPF_RB_NO_WAKEUP | BPF_RB_FORCE_WAKEUP)) return -EINVAL;
    const rec = this.reserve(size, 0);
    if (!rec) return -EAGAIN;
    this.arena.u8.copyWithin(rec, dataAddr, dataAddr + size);
    this.submit(rec, flags);
    return 0;
  }

  /** `bpf_ringbuf_query`: available data, ring size, consumer or producer position (0 for other flags). */
  query(flags: number): number {
    switch (flags) {
      case BPF_RB_AVAIL_DATA:
        return this.producerPos - this.consumerPos;
      case BPF_RB_RING_SIZE:
        return this.ringSize;
      case BPF_RB_CONS_POS:
        return this.consumerPos;
      case BPF_RB_PROD_POS:
        return this.producerPos;
      default:
        return 0;
    }
  }

  /**
   * Reads submitted records in order, as libbpf's `ring_buffer__consume`: stops at a record still
   * being written, skips discarded ones, and stops early when `cb` returns a negative number (which
   * it returns). Returns the number of records passed to `cb`.
   */
  consume(cb: (record: Uint8Array) => number | void, limit = Infinity): number {
    const view = this.arena.view;
    let n = 0;
    while (this.consumerPos < this.producerPos && n < limit) {
      const hdr = this.data + (this.consumerPos & (this.ringSize - 1));
      const len = view.getUint32(hdr, true);
      if (len & BPF_RINGBUF_BUSY_BIT) break;
      this.consumerPos += recordSpan(len & ~BPF_RINGBUF_DISCARD_BIT);
      if (len & BPF_RINGBUF_DISCARD_BIT) continue;
      const size = len & ~BPF_RINGBUF_DISCARD_BIT;
      const err = cb(this.read(hdr + BPF_RINGBUF_HDR_SZ, size));
      if (typeof err === 'number' && err < 0) return err;
      n++;
    }
    return n;
  }

  /** All submitted records not yet consumed, consuming them. */
  drain(): Uint8Array[] {
    const out: Uint8Array[] = [];
    this.consume((r) => {
      out.push(r);
    });
    return out;
  }

  private commit(addr: number, flags: number, discard: boolean): void {
    const hdr = addr - BPF_RINGBUF_HDR_SZ;
    const view = this.arena.view;
    const len = view.getUint32(hdr, true);
    if (!(len & BPF_RINGBUF_BUSY_BIT)) return;
    const size = len & ~BPF_RINGBUF_BUSY_BIT;
    const end = this.data + this.ringSize;
    if (addr + size > end) {
      const from = Math.max(addr, end);
      this.arena.u8.copyWithin(this.data + (from - end), from, addr + size);
    }
    view.setUint32(hdr, (size | (discard ? BPF_RINGBUF_DISCARD_BIT : 0)) >>> 0, true);
    const recPos = hdr - this.data;
    const consPos = this.consumerPos & (this.ringSize - 1);
    if (flags & BPF_RB_FORCE_WAKEUP || (consPos === recPos && !(flags & BPF_RB_NO_WAKEUP))) this.wakeups++;
  }
}
