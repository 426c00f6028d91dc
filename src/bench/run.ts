import { BPF_PSEUDO_MAP_IDX, assemble } from '../isa/index.js';
import type { Insn } from '../isa/index.js';
import { KernelBackend, kernelAvailable } from '../kernel/index.js';
import { BPF_PROG_TYPE_XDP } from '../uapi.js';
import { createMachine } from '../machines.js';
import { SimBackend } from '../vm/index.js';
import type { Backend, BackendProgram } from '../vm/index.js';
import { XDP_PROLOGUE, benchPacket, benchPrograms } from './programs.js';
import type { BenchProgram } from './programs.js';

/** One engine's figures for one program. */
export interface BenchFigure {
  /** Mean nanoseconds per run, as the backend measured it. */
  readonly nsPerRun: number;
  /** Millions of BPF instructions executed per second. */
  readonly mips: number;
  /** Runs timed. */
  readonly runs: number;
}

/** One program's row of the benchmark table. */
export interface BenchRow {
  /** Program name. */
  readonly name: string;
  /** What it exercises. */
  readonly description: string;
  /** BPF instructions executed per run (counted by the interpreter). */
  readonly insns: number;
  /** The XDP return value (every engine must agree). */
  readonly retval: number;
  /** Figures per engine name (`interp`, `jit`, `kernel`). */
  readonly engines: Record<string, BenchFigure>;
  /** Figures of the simulated engines in checked mode (bounds checks and instruction budget). */
  readonly checked: Record<string, BenchFigure>;
  /** Time each simulated engine takes to prepare the program. */
  readonly compile: Record<string, CompileFigure>;
}

/** How long an engine takes to prepare a program (the JIT: generate, compile and instantiate the module). */
export interface CompileFigure {
  /** Microseconds per preparation. */
  readonly usPerProgram: number;
  /** Nanoseconds per instruction slot. */
  readonly nsPerInsn: number;
}

/** Options of `runBench`. */
export interface BenchOptions {
  /** Engines to time (default: every engine of a Machine, and `kernel` when bpf() is available). */
  readonly engines?: readonly string[];
  /** Minimum timed duration per program and engine, in ms (default 400). */
  readonly minTimeMs?: number;
  /** Also time the simulated engines in checked mode (default true). */
  readonly checked?: boolean;
  /** Only these programs (default all). */
  readonly only?: readonly string[];
}

/** Times `program` with growing `repeat` counts until a batch fills the time, so warm-up and timer resolution do not show. */
function time(program: BackendProgram, data: Uint8Array, minMs: number): { ns: number; runs: number; retval: number; insns?: number } {
  const first = program.testRun({ data });
  let runs = 1;
  let ns = Math.max(first.durationNs, 1);
  while (ns * runs < (minMs * 1e6) / 8 && runs < 50_000_000) {
    runs *= 4;
    ns = Math.max(program.testRun({ data, repeat: runs }).durationNs, 0.01);
  }
  runs = Math.max(1, Math.min(100_000_000, Math.ceil((minMs * 1e6) / ns)));
  const r = program.testRun({ data, repeat: runs });
  return { ns: r.durationNs, runs, retval: first.retval, ...(first.insns !== undefined ? { insns: first.insns } : {}) };
}

/**
 * The program as XDP bytecode: its maps referred to by their index in `p.maps` (LD_IMM64 src 5,
 * which every backend resolves against the maps a load passes).
 */
export function benchInsns(p: BenchProgram): Insn[] {
  const { insns, mapRefs } = assemble(XDP_PROLOGUE + p.body);
  for (const ref of mapRefs) {
    const idx = (p.maps ?? []).findIndex((m) => m.name === ref.name);
    if (idx < 0) throw new Error(`bench ${p.name}: no map named ${ref.name}`);
    insns[ref.index] = { ...insns[ref.index]!, src: BPF_PSEUDO_MAP_IDX, imm: idx };
  }
  return insns;
}

/** Loads a bench program as XDP on a backend, with fresh maps, and times it; closes both. */
function timeOn(backend: Backend, p: BenchProgram, insns: readonly Insn[], data: Uint8Array, minMs: number): ReturnType<typeof time> {
  const maps = (p.maps ?? []).map((spec) => backend.createMap(spec));
  try {
    const { program } = backend.loadProgram({ type: BPF_PROG_TYPE_XDP, insns, name: p.name, maps });
    try {
      return time(program, data, minMs);
    } finally {
      program.close();
    }
  } finally {
    for (const m of maps) m.close();
  }
}

/** The engines a bench can use here: the Machine's engines, and the kernel when bpf() is available. */
export function benchEngines(): string[] {
  const names = [...createMachine({ cpus: 1 }).engines.keys()];
  return kernelAvailable().ok ? [...names, 'kernel'] : names;
}

/**
 * Runs the benchmark set as XDP test runs on each engine — the simulated engines and, when bpf()
 * is available, the kernel's own JIT — and returns the table rows. Every backend verifies the
 * programs first, except the checked-mode ones, which measure how unverified code runs.
 */
export function runBench(opts: BenchOptions = {}): BenchRow[] {
  const engines = opts.engines ?? benchEngines();
  const minMs = opts.minTimeMs ?? 400;
  const backends = new Map<string, Backend>(engines.map((e) => [e, e === 'kernel'
    ? new KernelBackend()
    : new SimBackend({ machine: createMachine({ cpus: 1 }), engine: e })]));
  const simulated = engines.filter((e) => e !== 'kernel');
  const checkedBackends = new Map<string, Backend>((opts.checked ?? true ? simulated : []).map((e) => [e,
    new SimBackend({ machine: createMachine({ cpus: 1 }), engine: e, checked: true, verify: false })]));
  try {
    const rows: BenchRow[] = [];
    for (const p of benchPrograms) {
      if (opts.only && !opts.only.includes(p.name)) continue;
      const insns = benchInsns(p);
      const data = benchPacket(p.packetLen);
      const figures: Record<string, BenchFigure> = {};
      let count = 0;
      let retval: number | undefined;
      for (const [engine, backend] of backends) {
        const t = timeOn(backend, p, insns, data, minMs);
        if (retval !== undefined && t.retval !== retval) {
          throw new Error(`bench ${p.name}: engine ${engine} returned ${t.retval}, another engine ${retval}`);
        }
        retval = t.retval;
        count = t.insns ?? count;
        figures[engine] = { nsPerRun: t.ns, mips: 0, runs: t.runs };
      }
      const checked: Record<string, BenchFigure> = {};
      for (const [engine, backend] of checkedBackends) {
        const t = timeOn(backend, p, insns, data, minMs);
        checked[engine] = { nsPerRun: t.ns, mips: 0, runs: t.runs };
      }
      for (const f of [...Object.values(figures), ...Object.values(checked)]) (f as { mips: number }).mips = count / f.nsPerRun * 1e3;
      const compile: Record<string, CompileFigure> = {};
      for (const e of simulated) compile[e] = compileTime(e, insns, minMs);
      rows.push({ name: p.name, description: p.description, insns: count, retval: retval ?? 0, engines: figures, checked, compile });
    }
    return rows;
  } finally {
    for (const b of [...backends.values(), ...checkedBackends.values()]) b.close();
  }
}

/** Prepares the program on `engine` again and again for a quarter of the time budget (at least 3 times). */
function compileTime(engine: string, insns: readonly Insn[], minMs: number): CompileFigure {
  const machine = createMachine({ cpus: 1 });
  const program = machine.loadProgram({ insns });
  const e = machine.engine(engine);
  e.prepare(machine, program, { checked: false });
  let n = 0;
  const t0 = performance.now();
  while (n < 3 || performance.now() - t0 < minMs / 4) {
    e.prepare(machine, program, { checked: false });
    n++;
  }
  const us = ((performance.now() - t0) * 1e3) / n;
  return { usPerProgram: us, nsPerInsn: (us * 1e3) / insns.length };
}

function fmt(n: number): string {
  return n >= 1000 ? Math.round(n).toLocaleString('en-US') : n.toFixed(1);
}

/**
 * The rows as an aligned text table: ns per run and M insns/s per engine, each engine's time
 * relative to the kernel's (or the first engine's), the cost of checked mode per simulated engine
 * (checked time / unchecked time) and the time to prepare the program (µs, and ns per instruction).
 */
export function formatBenchTable(rows: readonly BenchRow[]): string {
  const engines = [...new Set(rows.flatMap((r) => Object.keys(r.engines)))];
  const base = engines.includes('kernel') ? 'kernel' : engines[0]!;
  const others = engines.filter((e) => e !== base);
  const checked = [...new Set(rows.flatMap((r) => Object.keys(r.checked)))];
  const compiled = [...new Set(rows.flatMap((r) => Object.keys(r.compile)))];
  const head = [
    'program', 'insns/run', ...engines.flatMap((e) => [`${e} ns/run`, `${e} M insn/s`]), ...others.map((e) => `${e}/${base}`),
    ...checked.map((e) => `${e} checked`), ...compiled.map((e) => `${e} prepare µs (ns/insn)`),
  ];
  const body = rows.map((r) => {
    const cells = [r.name, String(r.insns)];
    for (const e of engines) {
      const f = r.engines[e];
      cells.push(f ? fmt(f.nsPerRun) : '-', f ? fmt(f.mips) : '-');
    }
    for (const e of others) {
      const a = r.engines[base];
      const b = r.engines[e];
      cells.push(a && b ? (b.nsPerRun / a.nsPerRun).toFixed(2) + '×' : '-');
    }
    for (const e of checked) {
      const a = r.engines[e];
      const b = r.checked[e];
      cells.push(a && b ? (b.nsPerRun / a.nsPerRun).toFixed(2) + '×' : '-');
    }
    for (const e of compiled) {
      const c = r.compile[e];
      cells.push(c ? `${fmt(c.usPerProgram)} (${fmt(c.nsPerInsn)})` : '-');
    }
    return cells;
  });
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((row) => row[i]!.length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n');
}
