import { ERRNO } from '../errno.js';
import { BPF_EXIST, BPF_MAP_TYPE_STACK, BPF_NOEXIST } from '../uapi.js';
import { BpfMap, type SysResult } from './base.js';
import type { MapSpec } from './spec.js';
import type { MapEnv } from './types.js';

const { E2BIG, EINVAL, ENOENT } = ERRNO;

/**
 * QUEUE (FIFO) and STACK (LIFO): a ring of max_entries + 1 value slots in the arena, as the
 * kernel's. Elements have no keys; push with BPF_EXIST on a full map drops the oldest element.
 */
export class QueueStackMap extends BpfMap {
  private readonly base: number;
  private readonly slots: number;
  private head = 0;
  private tail = 0;

  constructor(env: MapEnv, spec: MapSpec) {
    super(env, spec);
    this.slots = this.maxEntries + 1;
    this.base = this.allocRegion(this.slots * this.valueSize, 'map_value', `map_value[${this.label}]`, { mapped: false }).start;
  }

  /** Number of elements. */
  get size(): number {
    return (this.head - this.tail + this.slots) % this.slots;
  }

  override pushElem(_cpu: number, valueAddr: number, flags: number): number {
    if (flags & BPF_NOEXIST || flags > BPF_EXIST) return -EINVAL;
    if ((this.head + 1) % this.slots === this.tail) {
      if (flags !== BPF_EXIST) return -E2BIG;
      this.tail = (this.tail + 1) % this.slots;
    }
    const dst = this.base + this.head * this.valueSize;
    this.arena.u8.copyWithin(dst, valueAddr, valueAddr + this.valueSize);
    this.head = (this.head + 1) % this.slots;
    return 0;
  }

  override popElem(_cpu: number, valueAddr: number): number {
    return this.take(valueAddr, true);
  }

  override peekElem(_cpu: number, valueAddr: number): number {
    return this.take(valueAddr, false);
  }

  override updateElem(_cpu: number, _keyAddr: number, _valueAddr: number, _flags: number): number {
    return -EINVAL;
  }

  override deleteElem(_cpu: number, _keyAddr: number): number {
    return -EINVAL;
  }

  protected override sysLookup(): SysResult {
    return this.takeOut(false);
  }

  protected override sysUpdate(_keyAddr: number, value: Uint8Array, flags: number): number {
    return this.pushElem(0, this.stageValue(value), flags);
  }

  protected override sysDelete(): number {
    return -EINVAL;
  }

  protected override sysNextKey(): SysResult {
    return -EINVAL;
  }

  protected override sysLookupAndDelete(): SysResult {
    return this.takeOut(true);
  }

  private takeOut(remove: boolean): SysResult {
    const err = this.take(this.valueScratch, remove);
    return err || this.read(this.valueScratch, this.valueSize);
  }

  /** Copies the next element (oldest for a queue, newest for a stack) to `valueAddr`; an empty map zeroes it, as the kernel does. */
  private take(valueAddr: number, remove: boolean): number {
    if (this.head === this.tail) {
      this.arena.u8.fill(0, valueAddr, valueAddr + this.valueSize);
      return -ENOENT;
    }
    const stack = this.type === BPF_MAP_TYPE_STACK;
    const index = stack ? (this.head - 1 + this.slots) % this.slots : this.tail;
    const src = this.base + index * this.valueSize;
    this.arena.u8.copyWithin(valueAddr, src, src + this.valueSize);
    if (remove) {
      if (stack) this.head = index;
      else this.tail = (this.tail + 1) % this.slots;
    }
    return 0;
  }
}
