import { encodeInsns } from '../isa/index.js';
import type { MapSpec } from '../maps/spec.js';
import type {
  Backend, BackendMap, BackendProgram, LoadResult, ProgramBtf, ProgramLoadSpec, TestRunOptions, TestRunResult,
} from '../vm/backend.js';
import { kernelAvailable } from './available.js';
import { KernelUnavailableError } from './errno.js';
import type { Fd } from './fd.js';
import { KernelMap } from './kernelMap.js';
import { btfLoad, ncpus, progGetInfo, progLoad, progTestRun } from './syscall.js';

/** A program loaded into the running kernel. */
export class KernelProgram implements BackendProgram {
  /** The program's descriptor. */
  readonly fd: Fd;
  readonly type: number;
  readonly name: string;

  constructor(fd: Fd, type: number, name: string) {
    this.fd = fd;
    this.type = type;
    this.name = name;
  }

  testRun(opts: TestRunOptions = {}): TestRunResult {
    const out = progTestRun(this.fd, {
      data_in: opts.data ?? null,
      ctx_in: opts.ctx ?? null,
      repeat: opts.repeat ?? 1,
      flags: opts.flags ?? 0,
      cpu: opts.cpu ?? 0,
      ...(opts.pinCpu !== undefined ? { pin_cpu: opts.pinCpu } : {}),
      ...(opts.dataSizeOut !== undefined ? { data_size_out: opts.dataSizeOut } : {}),
      ...(opts.ctxSizeOut !== undefined ? { ctx_size_out: opts.ctxSizeOut } : {}),
    });
    return { retval: out.retval >>> 0, data: out.dataOut, ctx: out.ctxOut, durationNs: out.duration };
  }

  close(): void {
    this.fd.close();
  }
}

/**
 * The real kernel as a `Backend` (DESIGN.md invariant 3): maps and programs created through
 * `bpf()`, test runs through `BPF_PROG_TEST_RUN`. Everything it creates is closed by `close()`
 * (and, as a safety net, when the descriptors are garbage-collected).
 */
export class KernelBackend implements Backend {
  readonly name = 'kernel';
  readonly ncpus: number;
  private readonly owned: { close(): void }[] = [];
  /** BTF objects loaded for programs, by blob: every program of a collection shares one. */
  private readonly btfs = new Map<Uint8Array, Fd>();

  constructor() {
    const ok = kernelAvailable();
    if (!ok.ok) throw new KernelUnavailableError(ok.reason);
    this.ncpus = ncpus();
  }

  createMap(spec: MapSpec): KernelMap {
    const map = KernelMap.create(spec);
    this.owned.push(map);
    return map;
  }

  loadProgram(spec: ProgramLoadSpec): LoadResult {
    const fdArray = (spec.maps ?? []).map((m) => kernelFd(m));
    const btf = spec.btf ? this.btfFd(spec.btf.raw) : undefined;
    const { fd, log } = progLoad({
      prog_type: spec.type,
      insns: encodeInsns(spec.insns),
      license: spec.license ?? 'GPL',
      expected_attach_type: spec.expectedAttachType ?? 0,
      prog_flags: spec.flags ?? 0,
      fd_array: fdArray,
      log_level: spec.logLevel ?? 0,
      prog_name: kernelName(spec.name ?? ''),
      ...(spec.btf && btf ? {
        prog_btf_fd: btf.raw,
        func_info: funcInfo(spec.btf), func_info_rec_size: 8,
        line_info: lineInfo(spec.btf), line_info_rec_size: 16,
      } : {}),
      ...(spec.attachBtfId !== undefined ? { attach_btf_id: spec.attachBtfId } : {}),
      ...(spec.kernVersion !== undefined ? { kern_version: spec.kernVersion } : {}),
    });
    const program = new KernelProgram(fd, spec.type, spec.name ?? '');
    this.owned.push(program);
    return { program, log, verifiedInsns: progGetInfo(fd).verifiedInsns };
  }

  private btfFd(raw: Uint8Array): Fd {
    let fd = this.btfs.get(raw);
    if (!fd) {
      fd = btfLoad(raw).fd;
      this.btfs.set(raw, fd);
      this.owned.push(fd);
    }
    return fd;
  }

  close(): void {
    for (const o of this.owned.splice(0)) o.close();
    this.btfs.clear();
  }
}

/** A name the kernel accepts: letters, digits, `_` and `.`, at most 15 characters. */
function kernelName(name: string): string {
  return name.replace(/[^A-Za-z0-9_.]/g, '_').slice(0, 15);
}

function kernelFd(map: BackendMap): number {
  if (!(map instanceof KernelMap)) throw new TypeError('a kernel program can only reference maps created by the kernel backend');
  return map.fd.raw;
}

/** `func_info` records: (instruction, FUNC type id), 8 bytes each. */
function funcInfo(btf: ProgramBtf): Uint8Array {
  const out = new Uint32Array(btf.funcInfo.length * 2);
  btf.funcInfo.forEach((f, i) => out.set([f.insn, f.typeId], i * 2));
  return new Uint8Array(out.buffer);
}

/** `line_info` records: (instruction, file name offset, line offset, line << 10 | column), 16 bytes each. */
function lineInfo(btf: ProgramBtf): Uint8Array {
  const out = new Uint32Array(btf.lineInfo.length * 4);
  btf.lineInfo.forEach((l, i) => out.set([l.insn, l.fileNameOff, l.lineOff, (l.line << 10) | (l.col & 0x3ff)], i * 4));
  return new Uint8Array(out.buffer);
}
