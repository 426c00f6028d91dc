import { BpfMap } from './base.js';
import { BPF_RINGBUF_BUSY_BIT, BPF_RINGBUF_DISCARD_BIT, BPF_RINGBUF_HDR_SZ } from './ringbuf.js';
import type { MapSpec } from './spec.js';
import type { MapEnv } from './types.js';

const E2BIG = 7;
const EAGAIN = 11;
const EINVAL = 22;
const ENODATA = 61;
/** The largest sample a dynptr can describe. */
const DYNPTR_MAX_SIZE = 0xffffff;

/** One sample a BPF program may consume: where its data is and how long it is. */
export interface UserRingbufSample {
  /** Address of the sample's data in the arena. */
  readonly addr: number;
  /** Its length in bytes. */
  readonly size: number;
}

/**
 * USER_RINGBUF: a ring buffer user space produces into and BPF programs drain with
 * bpf_user_ringbuf_drain. Samples have the kernel's format (8-byte header with busy and discard
 * bits, 8-byte alignment); the data area is followed by a mirror of itself so a sample crossing
 * the end is contiguous, as the kernel's double mapping makes it. `produce` is libbpf's
 * user_ring_buffer__reserve and __submit (or __discard) in one.
 */
export class UserRingbufMap extends BpfMap {
  /** Start of the data area in the arena. */
  readonly data: number;
  /** Size of the data area in bytes (max_entries). */
  readonly ringSize: number;
  /** A drain is in progress (a nested one gets -EBUSY). */
  busy = false;
  private consumerPos = 0;
  private producerPos = 0;

  constructor(env: MapEnv, spec: MapSpec) {
    super(env, spec);
    this.ringSize = this.maxEntries;
    this.data = this.allocRegion(2 * this.ringSize, 'ringbuf', `user_ringbuf[${this.label}]`).start;
  }

  /** Writes a sample of `bytes` (discarded if asked); false when the ring has no room for it. */
  produce(bytes: Uint8Array, discard = false): boolean {
    const span = Math.ceil((bytes.length + BPF_RINGBUF_HDR_SZ) / 8) * 8;
    if (bytes.length > DYNPTR_MAX_SIZE || this.producerPos + span - this.consumerPos > this.ringSize) return false;
    const mask = this.ringSize - 1;
    const hdr = this.data + (this.producerPos & mask);
    this.arena.view.setUint32(hdr, (bytes.length | (discard ? BPF_RINGBUF_DISCARD_BIT : 0)) >>> 0, true);
    this.arena.view.setUint32(hdr + 4, 0, true);
    for (let i = 0; i < bytes.length; i++) {
      this.arena.u8[this.data + ((this.producerPos + BPF_RINGBUF_HDR_SZ + i) & mask)] = bytes[i]!;
      this.arena.u8[this.data + this.ringSize + ((this.producerPos + BPF_RINGBUF_HDR_SZ + i) & mask)] = bytes[i]!;
    }
    this.producerPos += span;
    return true;
  }

  /** __bpf_user_ringbuf_peek: the next sample, or -ENODATA, -EAGAIN (a discarded one, skipped), -EINVAL, -E2BIG. */
  peek(): UserRingbufSample | number {
    if (this.consumerPos >= this.producerPos) return -ENODATA;
    const at = this.data + (this.consumerPos & (this.ringSize - 1));
    const len = this.arena.view.getUint32(at, true);
    const flags = len & (BPF_RINGBUF_BUSY_BIT | BPF_RINGBUF_DISCARD_BIT);
    const size = (len & ~flags) >>> 0;
    const span = Math.ceil((size + BPF_RINGBUF_HDR_SZ) / 8) * 8;
    if (span > this.producerPos - this.consumerPos) return -EINVAL;
    if (span > this.ringSize || size > DYNPTR_MAX_SIZE) return -E2BIG;
    if (flags & BPF_RINGBUF_DISCARD_BIT) {
      this.consumerPos += span;
      return -EAGAIN;
    }
    if (flags & BPF_RINGBUF_BUSY_BIT) return -ENODATA;
    return { addr: at + BPF_RINGBUF_HDR_SZ, size };
  }

  /** __bpf_user_ringbuf_sample_release: the sample of `size` bytes peeked last is consumed. */
  consumeSample(size: number): void {
    this.consumerPos += Math.ceil((size + BPF_RINGBUF_HDR_SZ) / 8) * 8;
  }

  /** Bytes produced and not yet consumed. */
  get pending(): number {
    return this.producerPos - this.consumerPos;
  }
}
