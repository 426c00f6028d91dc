import {
  nativeBpf,
  type BpfObjectKind,
  type BtfInfo,
  type LinkCreateAttr,
  type MapBatchAttr,
  type MapCreateAttr,
  type MapInfo,
  type ProgAttachAttr,
  type ProgInfo,
  type ProgLoadAttr,
  type TestRunAttr,
  type TestRunResult,
} from './addon.js';
import { ERRNO } from '../errno.js';
import { KernelError } from './errno.js';
import { Fd } from './fd.js';

/*
 * The throwing form of the addon: every errno becomes a KernelError, except the ENOENT that
 * answers "no such element" or "no more elements", which lookups and iteration return as false.
 * New descriptors come back as owned `Fd`s. For the errno itself (to compare with the simulator),
 * call `nativeBpf()` directly.
 */

/** A descriptor argument: an owned `Fd` or a plain number. */
export type FdLike = Fd | number;

function raw(fd: FdLike): number {
  return typeof fd === 'number' ? fd : fd.raw;
}

function check(op: string, errno: number, detail?: string): void {
  if (errno !== 0) throw new KernelError(op, errno, detail === undefined ? {} : { detail });
}

/** True on success, false on ENOENT; throws for any other errno. */
function found(op: string, errno: number): boolean {
  if (errno === ERRNO.ENOENT) return false;
  check(op, errno);
  return true;
}

function ownFd(op: string, result: { fd: number; errno: number }): Fd {
  check(op, result.errno);
  return new Fd(result.fd);
}

/** A loaded program and its verifier log. */
export interface LoadedProg {
  fd: Fd;
  /** The verifier log ('' unless log_level > 0). */
  log: string;
}

/**
 * BPF_PROG_LOAD. On failure throws a KernelError carrying the verifier log; a load without a log
 * is repeated with log_level 1 to get one, as libbpf does.
 */
export function progLoad(attr: ProgLoadAttr): LoadedProg {
  const bpf = nativeBpf();
  const result = bpf.progLoad(attr);
  if (result.errno === 0) return { fd: new Fd(result.fd), log: result.log };
  let { log } = result;
  if (!attr.log_level) {
    const retry = bpf.progLoad({ ...attr, log_level: 1 });
    if (retry.fd >= 0) bpf.close(retry.fd);
    log = retry.log;
  }
  const truncated = result.errno === ERRNO.ENOSPC && attr.log_level
    ? `the verifier log needs ${result.logTrueSize} bytes; pass a larger log_size`
    : undefined;
  throw new KernelError('BPF_PROG_LOAD', result.errno, truncated === undefined ? { log } : { log, detail: truncated });
}

/** BPF_MAP_CREATE. */
export function mapCreate(attr: MapCreateAttr): Fd {
  return ownFd('BPF_MAP_CREATE', nativeBpf().mapCreate(attr));
}

/** BPF_MAP_LOOKUP_ELEM into `valueOut`; false if the key is absent. */
export function mapLookup(map: FdLike, key: Uint8Array | null, valueOut: Uint8Array, flags: bigint | number = 0): boolean {
  return found('BPF_MAP_LOOKUP_ELEM', nativeBpf().mapLookup(raw(map), key, valueOut, flags));
}

/** BPF_MAP_UPDATE_ELEM with BPF_ANY, BPF_NOEXIST or BPF_EXIST (and BPF_F_LOCK). */
export function mapUpdate(map: FdLike, key: Uint8Array | null, value: Uint8Array, flags: bigint | number = 0): void {
  check('BPF_MAP_UPDATE_ELEM', nativeBpf().mapUpdate(raw(map), key, value, flags));
}

/** BPF_MAP_DELETE_ELEM; throws ENOENT if the key is absent. */
export function mapDelete(map: FdLike, key: Uint8Array | null): void {
  check('BPF_MAP_DELETE_ELEM', nativeBpf().mapDelete(raw(map), key));
}

/** BPF_MAP_GET_NEXT_KEY into `nextKeyOut` (key null: the first key); false after the last key. */
export function mapGetNextKey(map: FdLike, key: Uint8Array | null, nextKeyOut: Uint8Array): boolean {
  return found('BPF_MAP_GET_NEXT_KEY', nativeBpf().mapGetNextKey(raw(map), key, nextKeyOut));
}

/** BPF_MAP_LOOKUP_AND_DELETE_ELEM (key null for queues and stacks); false if there was nothing. */
export function mapLookupAndDelete(
  map: FdLike, key: Uint8Array | null, valueOut: Uint8Array, flags: bigint | number = 0,
): boolean {
  return found('BPF_MAP_LOOKUP_AND_DELETE_ELEM', nativeBpf().mapLookupAndDelete(raw(map), key, valueOut, flags));
}

/** BPF_MAP_FREEZE: the map becomes read-only from the syscall side. */
export function mapFreeze(map: FdLike): void {
  check('BPF_MAP_FREEZE', nativeBpf().mapFreeze(raw(map)));
}

/** One step of a lookup batch: how many elements it returned and whether the map is exhausted. */
export interface BatchStep {
  count: number;
  /** The kernel reported ENOENT: there are no elements after these. */
  done: boolean;
}

function batchStep(op: string, result: { errno: number; count: number }): BatchStep {
  const done = !found(op, result.errno);
  return { count: result.count, done };
}

/** BPF_MAP_LOOKUP_BATCH: fills keys/values from in_batch on and sets out_batch for the next step. */
export function mapLookupBatch(map: FdLike, attr: MapBatchAttr): BatchStep {
  return batchStep('BPF_MAP_LOOKUP_BATCH', nativeBpf().mapLookupBatch(raw(map), attr));
}

/** BPF_MAP_LOOKUP_AND_DELETE_BATCH: like mapLookupBatch, deleting what it returns. */
export function mapLookupAndDeleteBatch(map: FdLike, attr: MapBatchAttr): BatchStep {
  return batchStep('BPF_MAP_LOOKUP_AND_DELETE_BATCH', nativeBpf().mapLookupAndDeleteBatch(raw(map), attr));
}

/** BPF_MAP_UPDATE_BATCH; returns how many elements were written. */
export function mapUpdateBatch(map: FdLike, attr: MapBatchAttr): number {
  const result = nativeBpf().mapUpdateBatch(raw(map), attr);
  check('BPF_MAP_UPDATE_BATCH', result.errno, `after ${result.count} of ${attr.count} elements`);
  return result.count;
}

/** BPF_MAP_DELETE_BATCH; returns how many elements were deleted. */
export function mapDeleteBatch(map: FdLike, attr: MapBatchAttr): number {
  const result = nativeBpf().mapDeleteBatch(raw(map), attr);
  check('BPF_MAP_DELETE_BATCH', result.errno, `after ${result.count} of ${attr.count} elements`);
  return result.count;
}

/** What BPF_PROG_TEST_RUN returns. */
export type TestRunOutput = Omit<TestRunResult, 'errno'>;

/** BPF_PROG_TEST_RUN of `prog`; throws ENOSPC (with the size needed) when an output buffer is too small. */
export function progTestRun(prog: FdLike, attr: Omit<TestRunAttr, 'prog_fd'> = {}): TestRunOutput {
  const { errno, ...output } = nativeBpf().progTestRun({ ...attr, prog_fd: raw(prog) });
  const detail = errno === ERRNO.ENOSPC
    ? `the program produced ${output.dataSizeOut} bytes of data and ${output.ctxSizeOut} of context; ` +
      'pass larger data_size_out/ctx_size_out'
    : undefined;
  check('BPF_PROG_TEST_RUN', errno, detail);
  return output;
}

/** A loaded BTF object and its log. */
export interface LoadedBtf {
  fd: Fd;
  log: string;
}

/** BPF_BTF_LOAD; on failure throws a KernelError carrying the BTF log (requested if none was). */
export function btfLoad(btf: Uint8Array, options: { log_level?: number; log_size?: number } = {}): LoadedBtf {
  const bpf = nativeBpf();
  const result = bpf.btfLoad(btf, options.log_level ?? 0, options.log_size ?? 0);
  if (result.errno === 0) return { fd: new Fd(result.fd), log: result.log };
  let { log } = result;
  if (!options.log_level) {
    const retry = bpf.btfLoad(btf, 1, options.log_size ?? 0);
    if (retry.fd >= 0) bpf.close(retry.fd);
    log = retry.log;
  }
  throw new KernelError('BPF_BTF_LOAD', result.errno, { log });
}

function info<T extends { errno: number }>(result: T): Omit<T, 'errno'> {
  const { errno, ...rest } = result;
  check('BPF_OBJ_GET_INFO_BY_FD', errno);
  return rest;
}

/** BPF_OBJ_GET_INFO_BY_FD of a program. */
export function progGetInfo(prog: FdLike): ProgInfo {
  return info(nativeBpf().progGetInfo(raw(prog)));
}

/** The program's instructions as the verifier rewrote them (empty without the rights to dump them). */
export function progGetXlated(prog: FdLike): Uint8Array {
  return info(nativeBpf().progGetXlated(raw(prog))).insns;
}

/** BPF_OBJ_GET_INFO_BY_FD of a map. */
export function mapGetInfo(map: FdLike): MapInfo {
  return info(nativeBpf().mapGetInfo(raw(map)));
}

/** BPF_OBJ_GET_INFO_BY_FD of a BTF object. */
export function btfGetInfo(btf: FdLike): BtfInfo {
  return info(nativeBpf().btfGetInfo(raw(btf)));
}

/** BPF_LINK_CREATE of `prog`; the link detaches when its fd is closed. */
export function linkCreate(prog: FdLike, attr: Omit<LinkCreateAttr, 'prog_fd'>): Fd {
  return ownFd('BPF_LINK_CREATE', nativeBpf().linkCreate({ ...attr, prog_fd: raw(prog) }));
}

/** BPF_LINK_DETACH: detaches the link now; its fd stays open. */
export function linkDetach(link: FdLike): void {
  check('BPF_LINK_DETACH', nativeBpf().linkDetach(raw(link)));
}

/** BPF_PROG_ATTACH (legacy, fd-less attachment to cgroups, sockmaps, flow dissector …). */
export function progAttach(attr: ProgAttachAttr): void {
  check('BPF_PROG_ATTACH', nativeBpf().progAttach(attr));
}

/** BPF_PROG_DETACH. */
export function progDetach(attr: ProgAttachAttr): void {
  check('BPF_PROG_DETACH', nativeBpf().progDetach(attr));
}

/** BPF_ENABLE_STATS: statistics stay on while the returned fd is open. */
export function enableStats(type: number): Fd {
  return ownFd('BPF_ENABLE_STATS', nativeBpf().enableStats(type));
}

const NEXT_ID_OPS = {
  prog: 'BPF_PROG_GET_NEXT_ID', map: 'BPF_MAP_GET_NEXT_ID', btf: 'BPF_BTF_GET_NEXT_ID', link: 'BPF_LINK_GET_NEXT_ID',
} as const;

const FD_BY_ID_OPS = {
  prog: 'BPF_PROG_GET_FD_BY_ID', map: 'BPF_MAP_GET_FD_BY_ID', btf: 'BPF_BTF_GET_FD_BY_ID', link: 'BPF_LINK_GET_FD_BY_ID',
} as const;

/** The id of the next object of `kind` after `startId`, or undefined after the last. */
export function objGetNextId(kind: BpfObjectKind, startId: number): number | undefined {
  const result = nativeBpf().objGetNextId(kind, startId);
  return found(NEXT_ID_OPS[kind], result.errno) ? result.nextId : undefined;
}

/** Opens an fd for the object of `kind` with id `id`. */
export function getFdById(kind: BpfObjectKind, id: number): Fd {
  return ownFd(FD_BY_ID_OPS[kind], nativeBpf().getFdById(kind, id));
}

/** Possible CPUs: the number of slots in a per-CPU map value. */
export function ncpus(): number {
  return nativeBpf().ncpus();
}

/** Bytes of one per-CPU map value as the syscall side sees it: round_up(value_size, 8) × ncpus. */
export function perCpuValueSize(valueSize: number): number {
  return Math.ceil(valueSize / 8) * 8 * ncpus();
}

/** The index of network interface `name`, or 0 if there is none. */
export function ifNameToIndex(name: string): number {
  return nativeBpf().ifNameToIndex(name);
}
