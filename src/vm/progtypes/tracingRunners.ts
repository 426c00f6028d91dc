import { ERRNO, ErrnoError } from '../../errno.js';
import {
  BPF_F_TEST_RUN_ON_CPU, BPF_MODIFY_RETURN, BPF_PROG_TYPE_KPROBE, BPF_PROG_TYPE_PERF_EVENT, BPF_PROG_TYPE_RAW_TRACEPOINT,
  BPF_PROG_TYPE_TRACEPOINT, BPF_PROG_TYPE_TRACING, BPF_TRACE_FENTRY, BPF_TRACE_FEXIT, BPF_TRACE_RAW_TP,
} from '../../uapi.js';
import type { TestRunOptions } from '../backend.js';
import type { CtxLayout } from './ctx/access.js';
import { RAW_TP_CTX_MAX, ctxLayout } from './ctx/layouts.js';
import { rawLayout } from './ctx/sockLayouts.js';
import { CtxMemory } from './ctxMemory.js';
import { maxCtxOffset } from './ctxReach.js';
import { progTypeName } from './names.js';
import type { ProgTypeRunner, RunProgram, RunSetup, RunnerHost } from './types.js';

function einval(detail: string): ErrnoError {
  return new ErrnoError('BPF_PROG_TEST_RUN', ERRNO.EINVAL, detail);
}

/** A run whose context is the bytes given as ctx_in (zero-padded to the structure), read back after. */
export function bytesSetup(host: RunnerHost, layout: CtxLayout, ctxIn: Uint8Array | undefined, ctxOut: boolean): RunSetup {
  const ctx = new CtxMemory(host.arena, layout, layout.struct);
  if (ctxIn) ctx.write(ctxIn);
  return {
    ctxAddr: ctx.start,
    packet: { start: 0, len: 0 },
    finish: () => ({ data: new Uint8Array(0), ctx: ctxOut ? ctx.read().subarray(0, Math.max(ctxIn?.length ?? 0, 0)) : new Uint8Array(0) }),
    release: () => ctx.release(),
  };
}

/**
 * `bpf_prog_test_run_raw_tp`: no data, no ctx out, no repeat; ctx_in holds the u64 arguments, at
 * least as many bytes as the program reads and at most 12 arguments; the CPU only with
 * BPF_F_TEST_RUN_ON_CPU.
 */
export function rawTpCheck(opts: TestRunOptions, prog: RunProgram, ncpus: number): void {
  const ctxOut = opts.ctxSizeOut ?? opts.ctx?.length ?? 0;
  if (opts.data || ctxOut || (opts.repeat ?? 1) !== 0) throw einval('raw tracepoint test runs take no data, no ctx_out and no repeat (pass repeat: 0, ctxSizeOut: 0)');
  const size = opts.ctx?.length ?? 0;
  const need = maxCtxOffset(prog.insns);
  if (size < need || size > RAW_TP_CTX_MAX) throw einval(`ctx_in of ${size} bytes: the program reads ${need}, at most ${RAW_TP_CTX_MAX} may be given`);
  const flags = opts.flags ?? 0;
  const cpu = opts.cpu ?? 0;
  if ((flags & BPF_F_TEST_RUN_ON_CPU) === 0 && cpu !== 0) throw einval('a CPU needs BPF_F_TEST_RUN_ON_CPU');
  if (cpu >= ncpus) throw new ErrnoError('BPF_PROG_TEST_RUN', ERRNO.ENXIO, `cpu ${cpu} does not exist`);
}

/** RAW_TRACEPOINT: test runs with the arguments as ctx_in. */
export function rawTpRunner(host: RunnerHost, ncpus: number): ProgTypeRunner {
  return {
    type: BPF_PROG_TYPE_RAW_TRACEPOINT,
    name: 'raw_tracepoint',
    testRun: true,
    setup(opts, prog, mode) {
      if (mode === 'test') rawTpCheck(opts, prog, ncpus);
      return bytesSetup(host, rawLayout('struct bpf_raw_tracepoint_args', RAW_TP_CTX_MAX), opts.ctx, false);
    },
  };
}

/** `bpf_modify_return_test` and `bpf_modify_return_test2` with nothing attached: `(2 << 16) | 33`. */
const FMOD_RET_UNATTACHED = (2 << 16) | 33;

/**
 * TRACING: `bpf_prog_test_run_tracing` calls the kernel's `bpf_fentry_test*` functions, which run
 * the program only when a link attaches it, so a test run reports 0 for fentry/fexit and the
 * functions' own result for fmod_ret; BTF raw tracepoints run like raw tracepoints. (From the
 * kernel source: this project's VM refuses trampolines, so it is not measured.) `run` executes the
 * program on the arguments given as ctx_in.
 */
export function tracingRunner(host: RunnerHost, ncpus: number): ProgTypeRunner {
  return {
    type: BPF_PROG_TYPE_TRACING,
    name: 'tracing',
    testRun: true,
    setup(opts, prog, mode) {
      const args = rawLayout('u64 args', RAW_TP_CTX_MAX);
      if (mode === 'run') return bytesSetup(host, args, opts.ctx, false);
      if (prog.expectedAttachType === BPF_TRACE_RAW_TP) {
        rawTpCheck(opts, prog, ncpus);
        return bytesSetup(host, args, opts.ctx, false);
      }
      if ((opts.flags ?? 0) !== 0 || (opts.cpu ?? 0) !== 0) throw einval('tracing test runs take no flags and no CPU');
      const eat = prog.expectedAttachType;
      if (eat !== BPF_TRACE_FENTRY && eat !== BPF_TRACE_FEXIT && eat !== BPF_MODIFY_RETURN) {
        throw new ErrnoError('BPF_PROG_TEST_RUN', ERRNO.EFAULT, 'this attach type has no test run');
      }
      return { ...bytesSetup(host, args, undefined, false), fixedRetval: eat === BPF_MODIFY_RETURN ? FMOD_RET_UNATTACHED : 0 };
    },
  };
}

/**
 * KPROBE (`pt_regs`), TRACEPOINT (the raw record, its first 8 bytes hidden) and PERF_EVENT
 * (`bpf_perf_event_data`): Linux has no test run for them (ENOTSUPP); bpfsim's `run` executes the
 * program on the context bytes given as ctx_in and returns them as ctx out.
 */
export function tracingCtxRunners(host: RunnerHost): ProgTypeRunner[] {
  return [BPF_PROG_TYPE_KPROBE, BPF_PROG_TYPE_TRACEPOINT, BPF_PROG_TYPE_PERF_EVENT].map((type) => ({
    type,
    name: progTypeName(type),
    testRun: false,
    setup: (opts: TestRunOptions) => bytesSetup(host, ctxLayout(type)!, opts.ctx, true),
  }));
}
