import { ERRNO } from '../errno.js';
import { BPF_F_STACK_BUILD_ID } from '../uapi.js';
import { indexAt, u32Bytes } from './array.js';
import { BpfMap, type SysResult } from './base.js';
import { roundUpPow2 } from './hash.js';
import { jhash } from './jhash.js';
import type { MapSpec } from './spec.js';
import type { MapEnv } from './types.js';

const { E2BIG, EEXIST, EFAULT, EINVAL, ENOENT, ENOMEM } = ERRNO;

/** `bpf_stack_build_id.status` of an entry that holds an IP instead of a build id. */
export const BPF_STACK_BUILD_ID_IP = 2;

/** bpf_get_stackid flags: frames to skip (low 8 bits), the user stack, comparing hashes only, replacing a different stack. */
export const BPF_F_SKIP_FIELD_MASK = 0xff;
/** Take the user stack instead of the kernel's. */
export const BPF_F_USER_STACK = 1 << 8;
/** Two stacks with the same hash are the same (no compare). */
export const BPF_F_FAST_STACK_CMP = 1 << 9;
/** A different stack in the bucket is replaced instead of -EEXIST. */
export const BPF_F_REUSE_STACKID = 1 << 10;

interface Bucket {
  readonly hash: number;
  readonly ips: readonly bigint[];
}

/**
 * STACK_TRACE: stacks stored by `bpf_get_stackid`, in round_up_pow2(max_entries) buckets indexed
 * by the jhash of the frames, at most max_entries of them (the kernel's preallocated elements).
 * Userspace reads a stack's frames (zero-padded to value_size), deletes it, walks the ids in use.
 */
export class StackTraceMap extends BpfMap {
  private readonly buckets: (Bucket | undefined)[];
  private used = 0;

  constructor(env: MapEnv, spec: MapSpec) {
    super(env, spec);
    this.buckets = new Array<Bucket | undefined>(roundUpPow2(this.maxEntries));
  }

  /**
   * `__bpf_get_stackid`: stores `frames` (innermost first; skip and depth already applied as the
   * kernel's callchain is built) and returns its id, or -EFAULT (no frames left), -EEXIST (a
   * different stack holds the bucket), -ENOMEM (every element in use).
   */
  stackId(frames: readonly bigint[], skip: number, flags: number): number {
    if (frames.length === 0) return -EFAULT;
    const bytes = new Uint8Array(frames.length * 8);
    const view = new DataView(bytes.buffer);
    frames.forEach((ip, i) => view.setBigUint64(8 * i, ip, true));
    const hash = jhash(bytes, 0, bytes.length, skip);
    const id = hash & (this.buckets.length - 1);
    const bucket = this.buckets[id];
    const sameHash = bucket?.hash === hash;
    if (sameHash && flags & BPF_F_FAST_STACK_CMP) return id;
    if (sameHash && bucket!.ips.length === frames.length && bucket!.ips.every((ip, i) => ip === frames[i])) return id;
    if (bucket && !(flags & BPF_F_REUSE_STACKID)) return -EEXIST;
    if (!bucket && this.used >= this.maxEntries) return -ENOMEM;
    if (!bucket) this.used++;
    this.buckets[id] = { hash, ips: [...frames] };
    return id;
  }

  /** Frames a stored stack may hold: value_size / 8 (/ 32 for build-id entries). */
  get depth(): number {
    return this.valueSize / (this.buildId ? 32 : 8);
  }

  protected override sysLookup(keyAddr: number): SysResult {
    const b = this.buckets[indexAt(this.env, keyAddr)];
    if (!b) return -ENOENT;
    const out = new Uint8Array(this.valueSize);
    const view = new DataView(out.buffer);
    // A build-id map holds `struct bpf_stack_build_id` entries; bpfsim knows no build ids, so each is an IP.
    const stride = this.buildId ? 32 : 8;
    b.ips.forEach((ip, i) => {
      if (this.buildId) view.setInt32(stride * i, BPF_STACK_BUILD_ID_IP, true);
      view.setBigUint64(stride * i + (this.buildId ? 24 : 0), ip, true);
    });
    return out;
  }

  private get buildId(): boolean {
    return (this.mapFlags & BPF_F_STACK_BUILD_ID) !== 0;
  }

  protected override sysUpdate(): number {
    return -EINVAL;
  }

  protected override sysDelete(keyAddr: number): number {
    const id = indexAt(this.env, keyAddr);
    if (id >= this.buckets.length) return -E2BIG;
    if (!this.buckets[id]) return -ENOENT;
    this.buckets[id] = undefined;
    this.used--;
    return 0;
  }

  protected override sysNextKey(keyAddr: number): SysResult {
    const from = keyAddr ? indexAt(this.env, keyAddr) : -1;
    let id = from >= this.buckets.length ? 0 : from + 1;
    while (id < this.buckets.length && !this.buckets[id]) id++;
    return id < this.buckets.length ? u32Bytes(id) : -ENOENT;
  }
}
