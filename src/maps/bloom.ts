import { ERRNO } from '../errno.js';
import { BPF_ANY, BPF_F_ZERO_SEED } from '../uapi.js';
import { BpfMap, type SysResult } from './base.js';
import { roundUpPow2 } from './hash.js';
import { jhash } from './jhash.js';
import type { MapSpec } from './spec.js';
import type { MapEnv } from './types.js';

const { EINVAL, ENOENT, EOPNOTSUPP } = ERRNO;

/** Hash functions a bloom filter uses when map_extra does not say. */
export const BLOOM_DEFAULT_HASHES = 5;

/** The bit-array geometry the kernel derives from max_entries and the number of hash functions. */
export function bloomGeometry(maxEntries: number, hashes: number): { bits: number; mask: number } {
  // n * k / ln 2 bits, with 7/5 for 1/ln 2, rounded up to a power of two; 2^32 bits when that overflows.
  const nk = maxEntries * hashes;
  const bits = Math.floor(nk / 5) * 7;
  if (nk > 0xffffffff || bits > 2 ** 31) return { bits: 2 ** 32, mask: 0xffffffff };
  const n = bits <= 64 ? 64 : roundUpPow2(bits);
  return { bits: n, mask: n - 1 };
}

/**
 * BLOOM_FILTER: values are pushed (update with a null key, or bpf_map_push_elem) and tested (lookup
 * with the value, or bpf_map_peek_elem); a test may give a false positive, never a false negative.
 * Bits are chosen by jhash with seeds seed..seed+k-1, as in the kernel, so with BPF_F_ZERO_SEED the
 * false positives are Linux's too.
 */
export class BloomFilterMap extends BpfMap {
  /** Number of hash functions (map_extra's low 4 bits, 5 if zero). */
  readonly hashes: number;
  private readonly bits: number;
  private readonly mask: number;
  private readonly seed: number;
  private readonly testScratch: number;

  constructor(env: MapEnv, spec: MapSpec) {
    super(env, spec);
    this.hashes = Number((spec.mapExtra ?? 0n) & 0xfn) || BLOOM_DEFAULT_HASHES;
    const { bits, mask } = bloomGeometry(this.maxEntries, this.hashes);
    this.mask = mask;
    this.bits = this.allocRegion(Math.ceil(bits / 64) * 8, 'map_value', `bloom[${this.label}]`, { mapped: false }).start;
    this.seed = (spec.flags ?? 0) & BPF_F_ZERO_SEED ? 0 : env.randomU32();
    this.testScratch = this.allocRegion(this.valueSize, 'map', `scratch[${this.label}/test]`, { mapped: false }).start;
  }

  override pushElem(_cpu: number, valueAddr: number, flags: number): number {
    if (flags !== BPF_ANY) return -EINVAL;
    for (let i = 0; i < this.hashes; i++) {
      const bit = this.bitOf(valueAddr, i);
      this.arena.u8[this.bits + Math.floor(bit / 8)]! |= 1 << (bit % 8);
    }
    return 0;
  }

  override peekElem(_cpu: number, valueAddr: number): number {
    for (let i = 0; i < this.hashes; i++) {
      const bit = this.bitOf(valueAddr, i);
      if (!(this.arena.u8[this.bits + Math.floor(bit / 8)]! & (1 << (bit % 8)))) return -ENOENT;
    }
    return 0;
  }

  override popElem(_cpu: number, _valueAddr: number): number {
    return -EOPNOTSUPP;
  }

  override updateElem(_cpu: number, _keyAddr: number, _valueAddr: number, _flags: number): number {
    return -EINVAL;
  }

  override deleteElem(_cpu: number, _keyAddr: number): number {
    return -EOPNOTSUPP;
  }

  protected override stageLookup(value: Uint8Array | null): number {
    if (!value || value.length < this.valueSize) {
      throw new RangeError(`map ${this.label}: a bloom filter lookup takes the ${this.valueSize}-byte value to test`);
    }
    this.arena.u8.set(value.subarray(0, this.valueSize), this.testScratch);
    return this.testScratch;
  }

  protected override sysLookup(valueAddr: number): SysResult {
    const err = this.peekElem(0, valueAddr);
    return err || this.read(valueAddr, this.valueSize);
  }

  protected override sysUpdate(_keyAddr: number, value: Uint8Array, flags: number): number {
    return this.pushElem(0, this.stageValue(value), flags);
  }

  protected override sysDelete(): number {
    return -EOPNOTSUPP;
  }

  protected override sysNextKey(): SysResult {
    return -EOPNOTSUPP;
  }

  private bitOf(valueAddr: number, i: number): number {
    return (jhash(this.arena.u8, valueAddr, this.valueSize, (this.seed + i) | 0) & this.mask) >>> 0;
  }
}
