/*
 * The kernel backend for the ELF tests. Until KernelBackend passes ProgramLoadSpec's BTF fields
 * (prog_btf_fd, func_info, line_info, attach_btf_id, kern_version) to BPF_PROG_LOAD, this subclass
 * does, so that objects with global subprograms and BTF-attached programs load.
 */
import { KernelBackend, KernelProgram } from '../../../src/kernel/backend.js';
import { kernelAvailable } from '../../../src/kernel/available.js';
import type { Fd } from '../../../src/kernel/fd.js';
import { btfLoad, progGetInfo, progLoad } from '../../../src/kernel/syscall.js';
import type { KernelMap } from '../../../src/kernel/kernelMap.js';
import { encodeInsns } from '../../../src/isa/index.js';
import type { LoadResult, ProgramBtf, ProgramLoadSpec } from '../../../src/vm/backend.js';

function funcInfo(btf: ProgramBtf): Uint8Array {
  const out = new Uint32Array(btf.funcInfo.length * 2);
  btf.funcInfo.forEach((f, i) => out.set([f.insn, f.typeId], i * 2));
  return new Uint8Array(out.buffer);
}

function lineInfo(btf: ProgramBtf): Uint8Array {
  const out = new Uint32Array(btf.lineInfo.length * 4);
  btf.lineInfo.forEach((l, i) => out.set([l.insn, l.fileNameOff, l.lineOff, (l.line << 10) | (l.col & 0x3ff)], i * 4));
  return new Uint8Array(out.buffer);
}

/** KernelBackend plus the BTF fields of BPF_PROG_LOAD. */
export class BtfKernelBackend extends KernelBackend {
  readonly #btf = new Map<Uint8Array, Fd>();
  readonly #programs: KernelProgram[] = [];

  override loadProgram(spec: ProgramLoadSpec): LoadResult {
    if (!spec.btf && spec.attachBtfId === undefined && spec.kernVersion === undefined) return super.loadProgram(spec);
    let btfFd: Fd | undefined;
    if (spec.btf) {
      btfFd = this.#btf.get(spec.btf.raw);
      if (!btfFd) {
        btfFd = btfLoad(spec.btf.raw).fd;
        this.#btf.set(spec.btf.raw, btfFd);
      }
    }
    const { fd, log } = progLoad({
      prog_type: spec.type,
      insns: encodeInsns(spec.insns),
      license: spec.license ?? 'GPL',
      expected_attach_type: spec.expectedAttachType ?? 0,
      prog_flags: spec.flags ?? 0,
      fd_array: (spec.maps ?? []).map((m) => (m as KernelMap).fd.raw),
      log_level: spec.logLevel ?? 0,
      prog_name: (spec.name ?? '').slice(0, 15),
      ...(spec.btf && btfFd ? {
        prog_btf_fd: btfFd.raw,
        func_info: funcInfo(spec.btf), func_info_rec_size: 8,
        line_info: lineInfo(spec.btf), line_info_rec_size: 16,
      } : {}),
      ...(spec.attachBtfId !== undefined ? { attach_btf_id: spec.attachBtfId } : {}),
      ...(spec.kernVersion !== undefined ? { kern_version: spec.kernVersion } : {}),
    });
    const program = new KernelProgram(fd, spec.type, spec.name ?? '');
    this.#programs.push(program);
    return { program, log, verifiedInsns: progGetInfo(fd).verifiedInsns };
  }

  override close(): void {
    for (const p of this.#programs.splice(0)) p.close();
    for (const fd of this.#btf.values()) fd.close();
    this.#btf.clear();
    super.close();
  }
}

/** The kernel backend, or undefined (with the reason printed once) where bpf() is unavailable. */
export function kernelBackend(): BtfKernelBackend | undefined {
  const ok = kernelAvailable();
  if (!ok.ok) return undefined;
  return new BtfKernelBackend();
}

/** Why the kernel tests are skipped, or undefined when they run. */
export function kernelSkipReason(): string | undefined {
  const ok = kernelAvailable();
  return ok.ok ? undefined : ok.reason;
}
