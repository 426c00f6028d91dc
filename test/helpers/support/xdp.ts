/*
 * One harness for helper tests on both backends: a program body runs as XDP with r6 = ctx, r7 =
 * the packet (at least PACKET bytes, checked), r9 = r7 + 256; the body writes what it measures
 * into the packet, which comes back as data out. The same text loads on the simulator and on the
 * kernel, so unit tests and differential tests share it.
 */
import { KernelBackend, kernelAvailable } from '../../../src/kernel/index.js';
import { BPF_PSEUDO_CALL, BPF_PSEUDO_FUNC, LD_IMM64, assemble } from '../../../src/isa/index.js';
import type { Insn } from '../../../src/isa/index.js';
import { BtfBuilder, encodeBtf } from '../../../src/elf/index.js';
import { BPF_PROG_TYPE_XDP } from '../../../src/uapi.js';
import { jit } from '../../../src/jit/index.js';
import { Machine, SimBackend } from '../../../src/vm/index.js';
import type { Backend, BackendMap, ProgramBtf, TestRunResult } from '../../../src/vm/index.js';

/** Bytes of the packet every harness program runs on. */
export const PACKET = 512;

/** The program around `body`: loads ctx, data and data_end, checks PACKET bytes, returns XDP_PASS (or r0 with `keepR0`). */
export function xdpProgram(body: string, opts: { keepR0?: boolean; subprogs?: string } = {}): Insn[] {
  return assemble(`
      r6 = r1
      r7 = *(u32 *)(r6 +0)
      r8 = *(u32 *)(r6 +4)
      r2 = r7
      r2 += ${PACKET}
      if r2 > r8 goto out
      r9 = r7
      r9 += 256
${body}
      ${opts.keepR0 ? '' : 'r0 = 2'}
      exit
    out:
      r0 = 0
      exit
${opts.subprogs ?? ''}`).insns;
}

/** What a harness run returns: the return value, data out and its u64 slots. */
export interface HarnessRun extends TestRunResult {
  /** The little-endian u64 at byte `8 * i` of data out. */
  u64(i: number): bigint;
  /** The little-endian signed s64 at byte `8 * i` of data out. */
  s64(i: number): bigint;
}

/**
 * BTF with a FUNC per BPF function of `insns` (the entry, call targets and callbacks) and the
 * func_info that names them: the kernel wants it for programs that pass callbacks (LD_IMM64 src 4).
 */
export function funcInfoBtf(insns: readonly Insn[]): ProgramBtf {
  const entries = new Set<number>([0]);
  insns.forEach((ins, i) => {
    if ((ins.code === 0x85 && ins.src === BPF_PSEUDO_CALL) || (ins.code === LD_IMM64 && ins.src === BPF_PSEUDO_FUNC)) entries.add(i + 1 + ins.imm);
  });
  const b = new BtfBuilder();
  const long = b.int('long', 8, 1);
  const proto = b.funcProto(long, []);
  const funcInfo = [...entries].sort((x, y) => x - y).map((insn, n) => ({ insn, name: `f${n}`, typeId: b.func(`f${n}`, proto, 0) }));
  return { raw: encodeBtf(b.build()).bytes, funcInfo, lineInfo: [] };
}

/** Loads `insns` as XDP on `backend`, runs it once on `packet` and closes it. */
export function runXdp(backend: Backend, insns: readonly Insn[], opts: { maps?: readonly BackendMap[]; packet?: Uint8Array; license?: string; cpu?: number } = {}): HarnessRun {
  const callbacks = insns.some((ins) => ins.code === LD_IMM64 && ins.src === BPF_PSEUDO_FUNC);
  const { program } = backend.loadProgram({
    type: BPF_PROG_TYPE_XDP, insns, name: 'helpers', maps: opts.maps ?? [], license: opts.license ?? 'GPL',
    ...(callbacks ? { btf: funcInfoBtf(insns) } : {}),
  });
  try {
    const r = program.testRun({ data: opts.packet ?? new Uint8Array(PACKET), ...(opts.cpu !== undefined ? { cpu: opts.cpu, flags: 1 } : {}) });
    const view = new DataView(r.data.buffer, r.data.byteOffset, r.data.byteLength);
    return { ...r, u64: (i) => view.getBigUint64(8 * i, true), s64: (i) => view.getBigInt64(8 * i, true) };
  } finally {
    program.close();
  }
}

/**
 * A fresh simulated backend with the kernel's CPU count when a kernel is around (per-CPU maps then
 * line up). bpfsim's verifier is off: these tests are about what helpers do at run time, and the
 * kernel's verifier has passed every program they load.
 */
export function simBackend(ncpus?: number, engine: SimEngine = 'interp'): SimBackend {
  const opts = { machine: new Machine({ cpus: ncpus ?? 2, engines: [jit] }), checked: true, verify: false, engine };
  return new SimBackend(opts);
}

/** The simulator's engines, on each of which helper tests run. */
export const SIM_ENGINES = ['interp', 'jit'] as const;

/** One of SIM_ENGINES. */
export type SimEngine = (typeof SIM_ENGINES)[number];

/** A fresh simulated backend per engine (see `simBackend`). */
export function simBackends(ncpus?: number): SimBackend[] {
  return SIM_ENGINES.map((e) => simBackend(ncpus, e));
}

const available = kernelAvailable();

/** Why kernel tests are skipped here, or undefined when they run. */
export const kernelSkip: string | undefined = available.ok ? undefined : available.reason;

/** The kernel backend, when bpf() works. */
export function kernelBackend(): KernelBackend | undefined {
  return available.ok ? new KernelBackend() : undefined;
}
