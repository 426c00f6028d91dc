import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { KernelUnavailableError } from './errno.js';

/*
 * The compiled bpf() addon (native/) and its typed interface. Option objects use the field names
 * of the kernel's `union bpf_attr`; results use camelCase. No function throws for a kernel error:
 * each result carries `errno` (0 on success). Wrong argument types throw a TypeError, and buffers
 * smaller than the map's key or value size throw a RangeError.
 */

/** Where `npm run build:native` puts the addon, relative to the package root. */
export const ADDON_PATH = 'native/build/Release/bpfsim_native.node';

/** A result that is only an errno. */
export interface ErrnoResult {
  /** 0 on success, else the errno the kernel returned. */
  errno: number;
}

/** The result of a command that creates a file descriptor. */
export interface FdResult extends ErrnoResult {
  /** The new descriptor, or -1 on failure. */
  fd: number;
}

/** BPF_PROG_LOAD attributes. */
export interface ProgLoadAttr {
  prog_type: number;
  /** The instructions: 8-byte slots, as `encodeInsns` produces. */
  insns: Uint8Array;
  /** Defaults to 'GPL'. */
  license?: string;
  expected_attach_type?: number;
  prog_flags?: number;
  /** Map (and BTF) fds that BPF_PSEUDO_MAP_IDX instructions index. */
  fd_array?: Int32Array | readonly number[];
  /** 0 (default) for no log; see BPF_LOG_LEVEL1 and friends. */
  log_level?: number;
  /** Log buffer bytes when log_level > 0; defaults to 16 MiB. */
  log_size?: number;
  kern_version?: number;
  prog_btf_fd?: number;
  func_info?: Uint8Array;
  func_info_rec_size?: number;
  line_info?: Uint8Array;
  line_info_rec_size?: number;
  attach_btf_id?: number;
  attach_btf_obj_fd?: number;
  attach_prog_fd?: number;
  /** Truncated to 15 bytes. */
  prog_name?: string;
  prog_ifindex?: number;
}

/** The result of BPF_PROG_LOAD. */
export interface ProgLoadResult extends FdResult {
  /** The verifier log, on success and on failure (truncated on ENOSPC); '' when log_level is 0. */
  log: string;
  /** Bytes the whole log needs, including the NUL (kernels ≥ 6.4; else 0). */
  logTrueSize: number;
}

/** BPF_MAP_CREATE attributes. */
export interface MapCreateAttr {
  map_type: number;
  key_size: number;
  value_size: number;
  max_entries: number;
  map_flags?: number;
  inner_map_fd?: number;
  numa_node?: number;
  /** Truncated to 15 bytes. */
  map_name?: string;
  btf_fd?: number;
  btf_key_type_id?: number;
  btf_value_type_id?: number;
  btf_vmlinux_value_type_id?: number;
  map_extra?: bigint | number;
}

/** Attributes of the BPF_MAP_*_BATCH commands. */
export interface MapBatchAttr {
  /** Cursor from a previous call's out_batch; null to start. At least max(key_size, 4) bytes. */
  in_batch?: Uint8Array | null;
  /** Receives the cursor for the next call. At least max(key_size, 4) bytes. */
  out_batch?: Uint8Array | null;
  /** count × key_size bytes. */
  keys?: Uint8Array | null;
  /** count × value size bytes (per-CPU maps: round_up(value_size, 8) × ncpus per value). */
  values?: Uint8Array | null;
  /** Elements to process; the result reports how many were. */
  count: number;
  elem_flags?: bigint | number;
  flags?: bigint | number;
}

/** The result of a batch command. */
export interface BatchResult extends ErrnoResult {
  /** Elements processed, also when errno is set (ENOENT ends a lookup batch). */
  count: number;
}

/** BPF_PROG_TEST_RUN attributes. */
export interface TestRunAttr {
  prog_fd: number;
  data_in?: Uint8Array | null;
  /** Output buffer bytes; defaults to data_in's length + 4096. */
  data_size_out?: number;
  ctx_in?: Uint8Array | null;
  /** Output context bytes; defaults to ctx_in's length. */
  ctx_size_out?: number;
  repeat?: number;
  flags?: number;
  cpu?: number;
  /** Pin the calling thread to this CPU for the call (sched_setaffinity, restored after). */
  pin_cpu?: number;
  batch_size?: number;
}

/** The result of BPF_PROG_TEST_RUN. */
export interface TestRunResult extends ErrnoResult {
  /** The program's return value (r0, truncated to 32 bits). */
  retval: number;
  /** The packet after the run (truncated to data_size_out on ENOSPC). */
  dataOut: Uint8Array;
  /** The packet size the kernel reported, which exceeds dataOut's length on ENOSPC. */
  dataSizeOut: number;
  ctxOut: Uint8Array;
  ctxSizeOut: number;
  /** Mean run time per repetition, in ns. */
  duration: number;
}

/** The result of BPF_BTF_LOAD. */
export interface BtfLoadResult extends FdResult {
  log: string;
  logTrueSize: number;
}

/** struct bpf_prog_info, as far as bpfsim reads it. */
export interface ProgInfo {
  type: number;
  id: number;
  /** Hex of the 8-byte program tag. */
  tag: string;
  jitedProgLen: number;
  xlatedProgLen: number;
  /** ns since boot. */
  loadTime: bigint;
  createdByUid: number;
  nrMapIds: number;
  name: string;
  ifindex: number;
  gplCompatible: boolean;
  btfId: number;
  nrFuncInfo: number;
  nrLineInfo: number;
  runTimeNs: bigint;
  runCnt: bigint;
  recursionMisses: bigint;
  verifiedInsns: number;
  attachBtfObjId: number;
  attachBtfId: number;
}

/** struct bpf_map_info. */
export interface MapInfo {
  type: number;
  id: number;
  keySize: number;
  valueSize: number;
  maxEntries: number;
  mapFlags: number;
  name: string;
  ifindex: number;
  btfId: number;
  btfKeyTypeId: number;
  btfValueTypeId: number;
  btfVmlinuxValueTypeId: number;
  mapExtra: bigint;
}

/** struct bpf_btf_info. */
export interface BtfInfo {
  id: number;
  btfSize: number;
  name: string;
  kernelBtf: boolean;
}

/** BPF_LINK_CREATE attributes (XDP, tcx, netkit, cgroup and other fd/ifindex targets). */
export interface LinkCreateAttr {
  prog_fd: number;
  attach_type: number;
  /** Interface index for XDP, tcx and netkit; give it or target_fd. */
  target_ifindex?: number;
  target_fd?: number;
  flags?: number;
  /** tcx/netkit/cgroup ordering with BPF_F_BEFORE/BPF_F_AFTER; give one of relative_fd, relative_id. */
  relative_fd?: number;
  relative_id?: number;
  expected_revision?: bigint | number;
}

/** BPF_PROG_ATTACH / BPF_PROG_DETACH attributes. */
export interface ProgAttachAttr {
  target_fd: number;
  attach_bpf_fd: number;
  attach_type: number;
  attach_flags?: number;
  replace_bpf_fd?: number;
}

/** Kinds of kernel object with ids. */
export type BpfObjectKind = 'prog' | 'map' | 'btf' | 'link';

/** The functions of the compiled addon. */
export interface NativeBpf {
  progLoad(attr: ProgLoadAttr): ProgLoadResult;
  progTestRun(attr: TestRunAttr): TestRunResult;
  progGetInfo(fd: number): ProgInfo & ErrnoResult;
  /** The kernel's rewritten instructions (empty without the rights to dump them). */
  progGetXlated(fd: number): ErrnoResult & { insns: Uint8Array };
  progAttach(attr: ProgAttachAttr): number;
  progDetach(attr: ProgAttachAttr): number;
  mapCreate(attr: MapCreateAttr): FdResult;
  /** A null (or empty) key is passed as NULL, for queue/stack/bloom-filter maps. */
  mapLookup(fd: number, key: Uint8Array | null, valueOut: Uint8Array, flags?: bigint | number): number;
  mapUpdate(fd: number, key: Uint8Array | null, value: Uint8Array, flags?: bigint | number): number;
  mapDelete(fd: number, key: Uint8Array | null): number;
  /** A null key asks for the first key. */
  mapGetNextKey(fd: number, key: Uint8Array | null, nextKeyOut: Uint8Array): number;
  mapLookupAndDelete(fd: number, key: Uint8Array | null, valueOut: Uint8Array, flags?: bigint | number): number;
  mapFreeze(fd: number): number;
  mapLookupBatch(fd: number, attr: MapBatchAttr): BatchResult;
  mapLookupAndDeleteBatch(fd: number, attr: MapBatchAttr): BatchResult;
  mapUpdateBatch(fd: number, attr: MapBatchAttr): BatchResult;
  mapDeleteBatch(fd: number, attr: MapBatchAttr): BatchResult;
  mapGetInfo(fd: number): MapInfo & ErrnoResult;
  btfLoad(btf: Uint8Array, logLevel?: number, logSize?: number): BtfLoadResult;
  btfGetInfo(fd: number): BtfInfo & ErrnoResult;
  linkCreate(attr: LinkCreateAttr): FdResult;
  linkDetach(fd: number): number;
  enableStats(type: number): FdResult;
  objGetNextId(kind: BpfObjectKind, startId: number): ErrnoResult & { nextId: number };
  getFdById(kind: BpfObjectKind, id: number): FdResult;
  close(fd: number): number;
  /** Possible CPUs: the number of slots in a per-CPU map value. */
  ncpus(): number;
  /** 0 when there is no such interface. */
  ifNameToIndex(name: string): number;
}

/** The outcome of loading the addon: its functions, or a sentence saying why it cannot be used. */
export type AddonLoad = { ok: true; addon: NativeBpf } | { ok: false; reason: string };

let loaded: AddonLoad | undefined;

/** The directory of bpfsim's package.json, found upward from this module (src/ or dist/). */
export function packageRoot(): string {
  const here = dirname(fileURLToPath(import.meta.url));
  for (let dir = here; ; dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest) && (JSON.parse(readFileSync(manifest, 'utf8')) as { name?: string }).name === 'bpfsim') {
      return dir;
    }
    if (dirname(dir) === dir) return join(here, '..', '..');
  }
}

/** Loads the addon once per process; never throws. */
export function loadAddon(): AddonLoad {
  loaded ??= tryLoad();
  return loaded;
}

/** The addon's functions; throws a KernelUnavailableError saying why when it cannot be loaded. */
export function nativeBpf(): NativeBpf {
  const result = loadAddon();
  if (!result.ok) throw new KernelUnavailableError(result.reason);
  return result.addon;
}

function tryLoad(): AddonLoad {
  if (process.platform !== 'linux') {
    return { ok: false, reason: `the bpf() syscall exists only on Linux (this is ${process.platform})` };
  }
  const path = join(packageRoot(), ADDON_PATH);
  if (!existsSync(path)) {
    return { ok: false, reason: `the bpf() addon is not built (no ${ADDON_PATH}); run \`npm run build:native\`` };
  }
  try {
    return { ok: true, addon: createRequire(import.meta.url)(path) as NativeBpf };
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    return { ok: false, reason: `the bpf() addon failed to load (${message}); rebuild it with \`npm run build:native\`` };
  }
}
