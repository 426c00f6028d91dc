import { ERRNO } from '../errno.js';
import { BPF_EXIST, BPF_NOEXIST, BPF_PROG_TYPE_XDP, BPF_XDP_CPUMAP } from '../uapi.js';
import { arrayNextKey, indexAt } from './array.js';
import { BpfMap, type SysResult } from './base.js';
import { ProgOwner } from './fdArray.js';
import type { MapSpec } from './spec.js';
import type { MapEnv, MapProgram } from './types.js';

const { E2BIG, EEXIST, EINVAL, ENODEV, ENOENT, ENOMEM, EOVERFLOW } = ERRNO;

/** Largest queue size a CPUMAP entry accepts (the kernel's sanity limit). */
export const CPUMAP_MAX_QSIZE = 16384;

/** A CPU map entry: the target CPU's queue size and the program to run there first. */
export interface CpumapEntry {
  /** Queue size (`bpf_cpumap_val.qsize`). */
  readonly qsize: number;
  /** An XDP program (BPF_XDP_CPUMAP) run on the target CPU. */
  readonly prog: MapProgram | undefined;
}

/**
 * CPUMAP: target CPUs for XDP redirection, by CPU number. Userspace writes a queue size or a
 * `struct bpf_cpumap_val` (qsize, program fd); a queue size of 0 removes the entry. Programs may
 * only redirect to it.
 */
export class CpuMap extends BpfMap {
  private readonly entries: (CpumapEntry | undefined)[];
  private readonly owner = new ProgOwner();

  constructor(env: MapEnv, spec: MapSpec) {
    super(env, spec);
    this.entries = new Array<CpumapEntry | undefined>(this.maxEntries);
  }

  /** The entry for CPU `cpu`, if any. */
  entry(cpu: number): CpumapEntry | undefined {
    return this.entries[cpu];
  }

  protected override sysLookup(keyAddr: number): SysResult {
    const entry = this.entries[indexAt(this.env, keyAddr)];
    if (!entry) return -ENOENT;
    const out = new Uint8Array(this.valueSize);
    const v = new DataView(out.buffer);
    v.setUint32(0, entry.qsize, true);
    if (this.valueSize === 8) v.setUint32(4, entry.prog?.id ?? 0, true);
    return out;
  }

  protected override sysUpdate(keyAddr: number, value: Uint8Array, flags: number): number {
    const cpu = indexAt(this.env, keyAddr);
    const v = new DataView(value.buffer, value.byteOffset, value.length);
    const qsize = v.getUint32(0, true);
    const progFd = this.valueSize === 8 ? v.getInt32(4, true) : 0;
    if (flags > BPF_EXIST) return -EINVAL;
    if (cpu >= this.maxEntries) return -E2BIG;
    if (flags === BPF_NOEXIST) return -EEXIST;
    if (qsize > CPUMAP_MAX_QSIZE) return -EOVERFLOW;
    if (cpu >= this.env.ncpus) return -ENODEV;
    if (qsize === 0) {
      this.entries[cpu] = undefined;
      return 0;
    }
    let prog: MapProgram | undefined;
    if (progFd > 0) {
      const obj = this.env.resolveFd(progFd);
      if (obj?.kind !== 'prog') return -ENOMEM;
      prog = obj.prog;
      if (prog.type !== BPF_PROG_TYPE_XDP || prog.expectedAttachType !== BPF_XDP_CPUMAP || !this.owner.compatible(prog)) return -ENOMEM;
    }
    this.entries[cpu] = { qsize, prog };
    return 0;
  }

  protected override sysDelete(keyAddr: number): number {
    const cpu = indexAt(this.env, keyAddr);
    if (cpu >= this.maxEntries) return -EINVAL;
    this.entries[cpu] = undefined;
    return 0;
  }

  protected override sysNextKey(keyAddr: number): SysResult {
    return arrayNextKey(this.env, keyAddr, this.maxEntries);
  }
}
