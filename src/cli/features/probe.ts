/**
 * Feature probes, as `bpftool feature probe` makes them: which program types load, which map types
 * can be created, and which helpers each program type may call. The same probes run on any
 * backend; on the simulator a program type counts as available when bpfsim can run it, and its
 * helpers are those the helper table implements and the kernel's rules allow.
 */
import { ErrnoError } from '../../errno.js';
import { helperAllowed, progTypeHelpers } from '../../helpers/index.js';
import { HELPER_NAMES, insn } from '../../isa/index.js';
import type { Insn } from '../../isa/index.js';
import type { MapSpec } from '../../maps/index.js';
import * as U from '../../uapi.js';
import { SimBackend } from '../../vm/index.js';
import type { Backend } from '../../vm/index.js';

/** Every program type of the UAPI (1..32) and map type (1..33) the probes ask about. */
export const PROBED_PROG_TYPES: readonly number[] = Array.from({ length: 32 }, (_, i) => i + 1);
/** Map types probed. */
export const PROBED_MAP_TYPES: readonly number[] = Array.from({ length: 33 }, (_, i) => i + 1);

/** What a backend supports. */
export interface FeatureReport {
  /** `sim` or `kernel`. */
  readonly backend: string;
  /** Program types that load (kernel) or run (simulator). */
  readonly progTypes: ReadonlySet<number>;
  /** Map types that can be created. */
  readonly mapTypes: ReadonlySet<number>;
  /** Helper ids per program type, for the program types whose helpers could be probed. */
  readonly helpers: ReadonlyMap<number, ReadonlySet<number>>;
}

/** The expected attach type (and flags) a probe program of each type is loaded with, as bpftool picks them. */
const ATTACH: Readonly<Record<number, number>> = {
  [U.BPF_PROG_TYPE_CGROUP_SOCK_ADDR]: U.BPF_CGROUP_INET4_BIND,
  [U.BPF_PROG_TYPE_CGROUP_SOCKOPT]: U.BPF_CGROUP_SETSOCKOPT,
  [U.BPF_PROG_TYPE_SK_LOOKUP]: U.BPF_SK_LOOKUP,
  [U.BPF_PROG_TYPE_NETFILTER]: U.BPF_NETFILTER,
};
const FLAGS: Readonly<Record<number, number>> = { [U.BPF_PROG_TYPE_SYSCALL]: U.BPF_F_SLEEPABLE };

const MOV0 = insn(0xb7, 0, 0, 0, 0);
const EXIT = insn(0x95, 0, 0, 0, 0);

/** A program calling helper `id` with r1..r5 zeroed: the verifier names a refused helper before it looks at arguments. */
function helperProbe(id: number): Insn[] {
  return [1, 2, 3, 4, 5].map((r) => insn(0xb7, r, 0, 0, 0)).concat([insn(0x85, 0, 0, 0, id), MOV0, EXIT]);
}

type LoadOutcome = { ok: true } | { ok: false; errno: number; why: string };

function tryLoad(b: Backend, type: number, insns: Insn[]): LoadOutcome {
  try {
    b.loadProgram({ type, insns, name: 'probe', expectedAttachType: ATTACH[type] ?? 0, flags: FLAGS[type] ?? 0, logLevel: 1 }).program.close();
    return { ok: true };
  } catch (e) {
    if (!(e instanceof ErrnoError)) throw e;
    return { ok: false, errno: e.errno, why: e.message };
  }
}

/** The map a probe creates for each type: the smallest the kernel accepts. */
export function probeMapSpec(type: number): MapSpec {
  const base = { type, keySize: 4, valueSize: 8, maxEntries: 1 };
  switch (type) {
    case U.BPF_MAP_TYPE_PROG_ARRAY: case U.BPF_MAP_TYPE_PERF_EVENT_ARRAY: case U.BPF_MAP_TYPE_CGROUP_ARRAY:
    case U.BPF_MAP_TYPE_DEVMAP: case U.BPF_MAP_TYPE_DEVMAP_HASH: case U.BPF_MAP_TYPE_SOCKMAP: case U.BPF_MAP_TYPE_SOCKHASH:
    case U.BPF_MAP_TYPE_CPUMAP: case U.BPF_MAP_TYPE_XSKMAP:
      return { ...base, valueSize: 4 };
    case U.BPF_MAP_TYPE_ARRAY_OF_MAPS: case U.BPF_MAP_TYPE_HASH_OF_MAPS:
      return { ...base, valueSize: 4, innerMap: { type: U.BPF_MAP_TYPE_ARRAY, keySize: 4, valueSize: 4, maxEntries: 1 } };
    case U.BPF_MAP_TYPE_LPM_TRIE:
      return { ...base, keySize: 8, flags: U.BPF_F_NO_PREALLOC };
    case U.BPF_MAP_TYPE_QUEUE: case U.BPF_MAP_TYPE_STACK: case U.BPF_MAP_TYPE_BLOOM_FILTER:
      return { ...base, keySize: 0 };
    case U.BPF_MAP_TYPE_RINGBUF: case U.BPF_MAP_TYPE_USER_RINGBUF:
      return { type, keySize: 0, valueSize: 0, maxEntries: 4096 };
    case U.BPF_MAP_TYPE_CGROUP_STORAGE: case U.BPF_MAP_TYPE_PERCPU_CGROUP_STORAGE:
      return { type, keySize: 16, valueSize: 8, maxEntries: 0 };
    case U.BPF_MAP_TYPE_SK_STORAGE: case U.BPF_MAP_TYPE_INODE_STORAGE: case U.BPF_MAP_TYPE_TASK_STORAGE: case U.BPF_MAP_TYPE_CGRP_STORAGE:
      return { ...base, maxEntries: 0, flags: U.BPF_F_NO_PREALLOC };
    case U.BPF_MAP_TYPE_ARENA:
      return { type, keySize: 0, valueSize: 0, maxEntries: 1, flags: U.BPF_F_MMAPABLE };
    default:
      return base;
  }
}

function mapTypes(b: Backend): Set<number> {
  const out = new Set<number>();
  for (const type of PROBED_MAP_TYPES) {
    try {
      const m = b.createMap(probeMapSpec(type));
      (m as unknown as { close(): void }).close();
      out.add(type);
    } catch (e) {
      if (!(e instanceof ErrnoError)) throw e;
    }
  }
  return out;
}

/**
 * Whether a kernel knows a program type: the trivial program loads, or it is refused for a reason
 * that needs the type (an attach target, sleepable flag, privileges for trampolines). An unknown
 * type is EINVAL without a word from the verifier.
 */
function kernelHasProgType(b: Backend, type: number): boolean {
  const r = tryLoad(b, type, [MOV0, EXIT]);
  return r.ok || r.errno !== 22 || !/^BPF_PROG_LOAD failed: EINVAL \(22\)$/.test(r.why);
}

/** Probes the running kernel through a backend (any real-kernel Backend). */
export function probeKernel(b: Backend): FeatureReport {
  const progTypes = new Set(PROBED_PROG_TYPES.filter((t) => kernelHasProgType(b, t)));
  const helpers = new Map<number, Set<number>>();
  for (const type of progTypes) {
    if (!tryLoad(b, type, [MOV0, EXIT]).ok) continue;
    const ids = new Set<number>();
    for (let id = 1; id < HELPER_NAMES.length; id++) {
      const r = tryLoad(b, type, helperProbe(id));
      if (r.ok || !/cannot use helper|invalid func|unknown func/.test(r.why)) ids.add(id);
    }
    helpers.set(type, ids);
  }
  return { backend: b.name, progTypes, mapTypes: mapTypes(b), helpers };
}

/** What the simulator supports: program types it can run, map types it creates, helpers it implements and allows. */
export function probeSim(b: SimBackend): FeatureReport {
  const progTypes = new Set(PROBED_PROG_TYPES.filter((t) => b.machine.progTypes.has(t)));
  const helpers = new Map<number, Set<number>>();
  for (const type of PROBED_PROG_TYPES) {
    if (!progTypeHelpers(type)) continue;
    helpers.set(type, new Set(b.machine.helpers.list().filter((d) => helperAllowed(type, d.id)).map((d) => d.id)));
  }
  return { backend: b.name, progTypes, mapTypes: mapTypes(b), helpers };
}

let kernelReport: FeatureReport | undefined;

/** Probes a backend: the simulator from its tables, the kernel by loading programs (cached for the process). */
export function probeFeatures(b: Backend): FeatureReport {
  if (b instanceof SimBackend) return probeSim(b);
  kernelReport ??= probeKernel(b);
  return kernelReport;
}

/** The helpers the kernel's rules allow a program type that the simulator does not implement, by type. */
export function missingHelpers(sim: FeatureReport): Map<number, number[]> {
  const out = new Map<number, number[]>();
  for (const type of PROBED_PROG_TYPES) {
    const rules = progTypeHelpers(type);
    if (!rules) continue;
    const have = sim.helpers.get(type) ?? new Set<number>();
    const lack = [...rules.helpers].filter((id) => !have.has(id)).sort((a, b) => a - b);
    if (lack.length) out.set(type, lack);
  }
  return out;
}
