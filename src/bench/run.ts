import { assemble } from '../isa/index.js';
import { KernelBackend, kernelAvailable } from '../kernel/index.js';
import { BPF_PROG_TYPE_XDP } from '../uapi.js';
import { createMachine } from '../machines.js';
import { SimBackend } from '../vm/index.js';
import type { Backend, BackendProgram } from '../vm/index.js';
import { XDP_PROLOGUE, benchPacket, benchPrograms } from './programs.js';

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
}

/** Options of `runBench`. */
export interface BenchOptions {
  /** Engines to time (default: every engine of a Machine, and `kernel` when bpf() is available). */
  readonly engines?: readonly string[];
  /** Minimum timed duration per program and engine, in ms (default 400). */
  readonly minTimeMs?: number;
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

/** The engines a bench can use here: the Machine's engines, and the kernel when bpf() is available. */
export function benchEngines(): string[] {
  const names = [...createMachine({ cpus: 1 }).engines.keys()];
  return kernelAvailable().ok ? [...names, 'kernel'] : names;
}

/**
 * Runs the benchmark set as XDP test runs on each engine — the simulated engines and, when bpf()
 * is available, the kernel's own JIT — and returns the table rows.
 */
export function runBench(opts: BenchOptions = {}): BenchRow[] {
  const engines = opts.engines ?? benchEngines();
  const minMs = opts.minTimeMs ?? 400;
  const backends = new Map<string, Backend>(engines.map((e) => [e, e === 'kernel'
    ? new KernelBackend()
    : new SimBackend({ machine: createMachine({ cpus: 1 }), engine: e })]));
  try {
    const rows: BenchRow[] = [];
    for (const p of benchPrograms) {
      if (opts.only && !opts.only.includes(p.name)) continue;
      const insns = assemble(XDP_PROLOGUE + p.body).insns;
      const data = benchPacket(p.packetLen);
      const figures: Record<string, BenchFigure> = {};
      let count = 0;
      let retval: number | undefined;
      for (const [engine, backend] of backends) {
        const { program } = backend.loadProgram({ type: BPF_PROG_TYPE_XDP, insns, name: p.name });
        try {
          const t = time(program, data, minMs);
          if (retval !== undefined && t.retval !== retval) {
            throw new Error(`bench ${p.name}: engine ${engine} returned ${t.retval}, another engine ${retval}`);
          }
          retval = t.retval;
          count = t.insns ?? count;
          figures[engine] = { nsPerRun: t.ns, mips: 0, runs: t.runs };
        } finally {
          program.close();
        }
      }
      for (const f of Object.values(figures)) (f as { mips: number }).mips = count / f.nsPerRun * 1e3;
      rows.push({ name: p.name, description: p.description, insns: count, retval: retval ?? 0, engines: figures });
    }
    return rows;
  } finally {
    for (const b of backends.values()) b.close();
  }
}

function fmt(n: number): string {
  return n >= 1000 ? Math.round(n).toLocaleString('en-US') : n.toFixed(1);
}

/** The rows as an aligned text table: ns per run and M insns/s per engine, and each engine's time relative to the kernel's (or the first engine's). */
export function formatBenchTable(rows: readonly BenchRow[]): string {
  const engines = [...new Set(rows.flatMap((r) => Object.keys(r.engines)))];
  const base = engines.includes('kernel') ? 'kernel' : engines[0]!;
  const others = engines.filter((e) => e !== base);
  const head = ['program', 'insns/run', ...engines.flatMap((e) => [`${e} ns/run`, `${e} M insn/s`]), ...others.map((e) => `${e}/${base}`)];
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
    return cells;
  });
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((row) => row[i]!.length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n');
}
