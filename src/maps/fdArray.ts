import { ERRNO } from '../errno.js';
import { BPF_ANY } from '../uapi.js';
import { arrayNextKey, indexAt, u32Bytes } from './array.js';
import { BpfMap, type SysResult } from './base.js';
import type { MapSpec } from './spec.js';
import type { FdObject, MapEnv, MapProgram } from './types.js';

const { E2BIG, EBADF, EINVAL, ENOENT } = ERRNO;

/**
 * The first program a map accepts fixes the type, expected attach type and frags support every
 * later program must have, as the kernel's map owner does (EINVAL otherwise).
 */
export class ProgOwner {
  private owner: MapProgram | undefined;

  /** Whether `prog` matches the owner; the first program checked becomes the owner. */
  compatible(prog: MapProgram): boolean {
    const owner = (this.owner ??= prog);
    return owner.type === prog.type && owner.expectedAttachType === prog.expectedAttachType &&
      !!owner.xdpHasFrags === !!prog.xdpHasFrags;
  }
}

/**
 * The kernel's fd arrays (PROG_ARRAY, ARRAY_OF_MAPS): slots that userspace fills with fds
 * (BPF_ANY only) and that hold the objects those fds name; lookups from userspace return the
 * object's id.
 */
export abstract class FdArrayMap<T> extends BpfMap {
  private readonly objects: (T | undefined)[];

  constructor(env: MapEnv, spec: MapSpec) {
    super(env, spec);
    this.objects = new Array<T | undefined>(this.maxEntries);
  }

  /** The object in slot `index`, or undefined. */
  at(index: number): T | undefined {
    return this.objects[index];
  }

  /** The object an fd names, or a negative errno (EBADF for a closed fd, EINVAL for the wrong kind). */
  protected abstract resolve(obj: FdObject | undefined): T | number;

  /** The id userspace reads back for an object. */
  protected abstract idOf(obj: T): number;

  /** Called when an object leaves its slot. */
  protected dropped(_obj: T): void {}

  protected override sysLookup(keyAddr: number): SysResult {
    const obj = this.objects[indexAt(this.env, keyAddr)];
    return obj === undefined ? -ENOENT : u32Bytes(this.idOf(obj));
  }

  protected override sysUpdate(keyAddr: number, value: Uint8Array, flags: number): number {
    if (flags !== BPF_ANY) return -EINVAL;
    const index = indexAt(this.env, keyAddr);
    if (index >= this.maxEntries) return -E2BIG;
    const fd = new DataView(value.buffer, value.byteOffset, 4).getUint32(0, true);
    const obj = this.resolve(this.env.resolveFd(fd));
    if (typeof obj === 'number') return obj;
    this.put(index, obj);
    return 0;
  }

  protected override sysDelete(keyAddr: number): number {
    const index = indexAt(this.env, keyAddr);
    if (index >= this.maxEntries) return -E2BIG;
    if (this.objects[index] === undefined) return -ENOENT;
    this.put(index, undefined);
    return 0;
  }

  protected override sysNextKey(keyAddr: number): SysResult {
    return arrayNextKey(this.env, keyAddr, this.maxEntries);
  }

  protected override release(): void {
    for (let i = 0; i < this.objects.length; i++) if (this.objects[i] !== undefined) this.put(i, undefined);
  }

  private put(index: number, obj: T | undefined): void {
    const old = this.objects[index];
    this.objects[index] = obj;
    if (old !== undefined) this.dropped(old);
  }
}

/**
 * PROG_ARRAY: programs for `bpf_tail_call`, by index. Userspace stores program fds and reads back
 * program ids; all programs must match the first one's type (see ProgOwner).
 */
export class ProgArrayMap extends FdArrayMap<MapProgram> {
  private readonly owner = new ProgOwner();

  /** The program a tail call to `index` jumps to, or undefined. */
  program(index: number): MapProgram | undefined {
    return this.at(index);
  }

  /** Whether `prog` may be stored in or tail-call through this map (the first program checked sets the rule). */
  compatible(prog: MapProgram): boolean {
    return this.owner.compatible(prog);
  }

  protected resolve(obj: FdObject | undefined): MapProgram | number {
    if (!obj) return -EBADF;
    if (obj.kind !== 'prog' || !this.compatible(obj.prog)) return -EINVAL;
    return obj.prog;
  }

  protected idOf(prog: MapProgram): number {
    return prog.id;
  }
}
