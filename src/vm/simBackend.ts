import { ERRNO, ErrnoError } from '../errno.js';
import {
  BPF_PSEUDO_MAP_FD, BPF_PSEUDO_MAP_IDX, BPF_PSEUDO_MAP_IDX_VALUE, BPF_PSEUDO_MAP_VALUE, LD_IMM64, insn,
} from '../isa/index.js';
import type { Insn } from '../isa/index.js';
import { ArrayMap, BpfMap, ProgArrayMap } from '../maps/index.js';
import { checkHelperCalls } from '../helpers/index.js';
import type { MapSpec } from '../maps/index.js';
import type { Backend, BackendProgram, LoadResult, ProgramLoadSpec, TestRunOptions, TestRunResult } from './backend.js';
import { Machine } from './machine.js';
import type { Program } from './program.js';
import { DEFAULT_BUDGET } from './rawRun.js';
import { testRun } from './testRun.js';
import { verifyLoad } from '../verifier/index.js';
import { progTypeName } from './progtypes/names.js';
import { ctxLayout } from './progtypes/ctx/layouts.js';
import { rewriteCtxAccesses } from './progtypes/ctxReach.js';
import { markProbeLoads } from './probeMem.js';
import type { RunMode } from './progtypes/types.js';
import { BPF_F_TEST_RUN_ON_CPU } from '../uapi.js';

/** Options of a `SimBackend`. */
export interface SimBackendOptions {
  /** The simulated kernel (default: a new Machine). */
  readonly machine?: Machine;
  /** Engine test runs use (default `interp`). */
  readonly engine?: string;
  /** Bounds-check every access (default false: programs are meant to be verified). */
  readonly checked?: boolean;
  /** Instruction budget per run (default 100,000,000). */
  readonly budget?: number;
  /** Run bpfsim's verifier at load and refuse what Linux would refuse (default true). */
  readonly verify?: boolean;
}

/** A program loaded on the simulated kernel. */
export class SimProgram implements BackendProgram {
  readonly type: number;
  readonly name: string;
  /** The loaded program, runnable on the Machine's engines. */
  readonly program: Program;
  /** The descriptor the simulated process holds for it (PROG_ARRAY updates take it). */
  readonly fd: number;
  private readonly backend: SimBackend;
  private readonly maps: readonly BpfMap[];
  private closed = false;

  constructor(backend: SimBackend, program: Program, maps: readonly BpfMap[]) {
    this.backend = backend;
    this.program = program;
    this.type = program.type;
    this.name = program.name;
    this.maps = maps;
    for (const m of maps) m.hold();
    this.fd = backend.machine.fds.open({ kind: 'prog', prog: program });
  }

  testRun(opts: TestRunOptions = {}): TestRunResult {
    return this.execute(opts, 'test');
  }

  /**
   * Runs the program once (or `repeat` times) on a context the caller supplies, for every program
   * type bpfsim models: what `testRun` does where Linux has a test run, and for the types it lacks
   * one for (kprobe, tracepoint, perf_event, the socket-level types) the context given as its UAPI
   * bytes in `ctx`, with `data` as the packet where the context points at one.
   */
  run(opts: TestRunOptions = {}): TestRunResult {
    return this.execute(opts, 'run');
  }

  private execute(opts: TestRunOptions, mode: RunMode): TestRunResult {
    const b = this.backend;
    if (this.closed) throw new ErrnoError('BPF_PROG_TEST_RUN', ERRNO.EBADF, 'the program was closed');
    const runner = b.machine.progTypes.get(this.type);
    if (!runner || (mode === 'test' && !runner.testRun)) {
      const how = runner ? 'Linux has no test run for it; SimProgram.run runs it on a given context' : 'bpfsim does not model it';
      throw new ErrnoError('BPF_PROG_TEST_RUN', ERRNO.ENOTSUPP, `program type ${progTypeName(this.type)}: ${how}`);
    }
    const onCpu = ((opts.flags ?? 0) & BPF_F_TEST_RUN_ON_CPU) !== 0;
    const cpu = onCpu ? opts.cpu ?? 0 : opts.pinCpu ?? 0;
    if (cpu >= b.machine.cpus) throw new ErrnoError('BPF_PROG_TEST_RUN', ERRNO.ENXIO, `cpu ${cpu} does not exist`);
    return testRun(this.program.executable(b.engine, b.checked), runner, this.program, opts, { cpu, budget: b.budget }, b.machine.net, mode);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.backend.machine.fds.close(this.fd);
    for (const m of this.maps) m.unhold();
    this.backend.disown(this);
  }
}

/**
 * The simulated kernel as a `Backend` (DESIGN.md invariant 3): the same calls as `KernelBackend`,
 * answered by a Machine, so a test written against one runs on the other.
 */
export class SimBackend implements Backend {
  readonly name = 'sim';
  /** The Machine behind it. */
  readonly machine: Machine;
  /** Engine of test runs. */
  readonly engine: string;
  /** Whether test runs bounds-check every access. */
  readonly checked: boolean;
  /** Instruction budget per run. */
  readonly budget: number;
  /** Whether loads are verified. */
  readonly verify: boolean;
  private readonly owned: { close(): void }[] = [];

  constructor(opts: SimBackendOptions = {}) {
    this.machine = opts.machine ?? new Machine();
    this.engine = opts.engine ?? 'interp';
    this.checked = opts.checked ?? false;
    this.budget = opts.budget ?? DEFAULT_BUDGET;
    this.verify = opts.verify ?? true;
    this.machine.engine(this.engine);
  }

  get ncpus(): number {
    return this.machine.cpus;
  }

  createMap(spec: MapSpec): BpfMap {
    const map = this.machine.createMap(spec);
    this.owned.push(map);
    return map;
  }

  loadProgram(spec: ProgramLoadSpec): LoadResult {
    checkHelperCalls(this.machine.helpers, spec.insns, spec.type, spec.license);
    const verdict = this.verify ? verifyLoad(spec, this.machine.helpers, kfuncNames(this.machine), this.machine.kernelTypes) : undefined;
    const { insns: resolved, maps } = resolveMapRefs(spec);
    const probes = verdict?.probeLoads ?? [];
    const insns = markProbeLoads(resolved, probes);
    const layout = ctxLayout(spec.type, spec.expectedAttachType ?? 0);
    const program = this.machine.loadProgram({
      insns: layout ? rewriteCtxAccesses(insns, layout) : insns, name: spec.name ?? 'prog', allowCallx: false, type: spec.type,
      expectedAttachType: spec.expectedAttachType ?? 0, flags: spec.flags ?? 0, probeMem: probes.length > 0,
    });
    // As bpf_check_tail_call: a program may only use prog arrays its type and attach type match.
    for (const m of maps) {
      if (m instanceof ProgArrayMap && !m.compatible(program)) {
        throw new ErrnoError('BPF_PROG_LOAD', ERRNO.EINVAL, `prog array ${m.label} holds programs of another type or attach type`);
      }
    }
    const sim = new SimProgram(this, program, maps);
    this.owned.push(sim);
    return { program: sim, log: verdict?.log ?? '', ...(verdict ? { verifiedInsns: verdict.stats.processed } : {}) };
  }

  close(): void {
    for (const o of this.owned.splice(0)) o.close();
  }

  /** Forgets a program closed on its own, so that a long-lived backend keeps no closed programs (and their compiled code) alive. */
  disown(o: SimProgram): void {
    const i = this.owned.indexOf(o);
    if (i >= 0) this.owned.splice(i, 1);
  }
}

/**
 * Rewrites LD_IMM64 map references (src 5/6: indexes into `spec.maps`) into what programs hold:
 * the map's address, or the address of its first value plus the offset (arrays only, as on Linux).
 */
/** The machine's kfuncs by BTF id, as the verifier names them. */
function kfuncNames(m: Machine): ReadonlyMap<number, string> {
  return new Map([...m.kfuncs].map(([id, k]) => [id, k.name]));
}

function resolveMapRefs(spec: ProgramLoadSpec): { insns: Insn[]; maps: BpfMap[] } {
  const out = [...spec.insns];
  const fdArray = spec.maps ?? [];
  const used = new Set<BpfMap>();
  const einval = (i: number, detail: string): never => {
    throw new ErrnoError('BPF_PROG_LOAD', ERRNO.EINVAL, `insn ${i}: ${detail}`);
  };
  for (let i = 0; i + 1 < out.length; i++) {
    const ins = out[i]!;
    if (ins.code !== LD_IMM64) continue;
    if (ins.src === BPF_PSEUDO_MAP_FD || ins.src === BPF_PSEUDO_MAP_VALUE) {
      einval(i, 'maps are referenced by fd_array index (LD_IMM64 src 5 or 6) on the simulator, not by fd');
    }
    if (ins.src === BPF_PSEUDO_MAP_IDX || ins.src === BPF_PSEUDO_MAP_IDX_VALUE) {
      const map = fdArray[ins.imm];
      if (!(map instanceof BpfMap)) einval(i, `fd_array has no simulated map at index ${ins.imm}`);
      const m = map as BpfMap;
      used.add(m);
      let addr = m.address;
      if (ins.src === BPF_PSEUDO_MAP_IDX_VALUE) {
        const off = out[i + 1]!.imm;
        if (!(m instanceof ArrayMap) || m.perCpu) einval(i, `direct value access needs an array map, not ${m.name || 'this map'}`);
        if (off < 0 || off >= m.valueSize) einval(i, `value offset ${off} is outside the map's ${m.valueSize}-byte value`);
        addr = (m as ArrayMap).inline.bases[0]! + off;
      }
      out[i] = insn(LD_IMM64, ins.dst, 0, 0, addr);
      out[i + 1] = insn(0, 0, 0, 0, 0);
    }
    i++;
  }
  return { insns: out, maps: [...used] };
}
