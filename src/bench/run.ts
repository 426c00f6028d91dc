import { assemble } from '../isa/index.js';
import { Machine } from '../vm/index.js';
import { RAW_PROLOGUE, benchPacket, benchPrograms } from './programs.js';

/** One engine's figures for one program. */
export interface BenchFigure {
  /** Mean wall-clock nanoseconds per run. */
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
  /** BPF instructions executed per run. */
  readonly insns: number;
  /** r0 of the run (all engines must agree). */
  readonly r0: string;
  /** Figures per engine name. */
  readonly engines: Record<string, BenchFigure>;
}

/** Options of `runBench`. */
export interface BenchOptions {
  /** Engines to time (default: every engine of a new Machine). */
  readonly engines?: readonly string[];
  /** Minimum timed duration per program and engine, in ms (default 400). */
  readonly minTimeMs?: number;
  /** Only these programs (default all). */
  readonly only?: readonly string[];
}

/** Runs the benchmark set on each engine and returns the table rows. */
export function runBench(opts: BenchOptions = {}): BenchRow[] {
  const machine = new Machine({ cpus: 1 });
  const engines = opts.engines ?? [...machine.engines.keys()];
  const minMs = opts.minTimeMs ?? 400;
  const rows: BenchRow[] = [];
  for (const p of benchPrograms) {
    if (opts.only && !opts.only.includes(p.name)) continue;
    const prog = machine.loadProgram({ name: p.name, insns: assemble(RAW_PROLOGUE + p.body).insns });
    const mem = benchPacket(p.packetLen);
    const figures: Record<string, BenchFigure> = {};
    let insns = 0;
    let r0 = '';
    for (const engine of engines) {
      const first = prog.runRaw({ mem, engine, checked: false });
      insns = first.insns || insns;
      r0 = '0x' + first.r0.toString(16);
      // Warm up with growing batches until one takes an eighth of the time, then time one batch
      // sized to the full time, so that neither the JIT's warm-up nor timer resolution shows.
      let batch = 1;
      let ns = first.nsPerRun;
      while (ns * batch < (minMs * 1e6) / 8 && batch < 50_000_000) {
        batch *= 4;
        ns = prog.runRaw({ mem, engine, checked: false, repeat: batch }).nsPerRun;
      }
      const runs = Math.max(1, Math.min(100_000_000, Math.ceil((minMs * 1e6) / Math.max(ns, 1))));
      ns = prog.runRaw({ mem, engine, checked: false, repeat: runs }).nsPerRun;
      figures[engine] = { nsPerRun: ns, mips: insns / ns * 1e3, runs };
    }
    rows.push({ name: p.name, description: p.description, insns, r0, engines: figures });
  }
  return rows;
}

function fmt(n: number, digits: number): string {
  return n >= 1000 ? Math.round(n).toLocaleString('en-US') : n.toFixed(digits);
}

/** The rows as an aligned text table: ns per run and M insns/s per engine, ratios between engines. */
export function formatBenchTable(rows: readonly BenchRow[]): string {
  const engines = [...new Set(rows.flatMap((r) => Object.keys(r.engines)))];
  const head = ['program', 'insns/run', ...engines.flatMap((e) => [`${e} ns/run`, `${e} M insn/s`])];
  for (let i = 1; i < engines.length; i++) head.push(`${engines[i]}/${engines[0]}`);
  const body = rows.map((r) => {
    const cells = [r.name, String(r.insns)];
    for (const e of engines) {
      const f = r.engines[e];
      cells.push(f ? fmt(f.nsPerRun, 1) : '-', f ? fmt(f.mips, 1) : '-');
    }
    for (let i = 1; i < engines.length; i++) {
      const a = r.engines[engines[0]!];
      const b = r.engines[engines[i]!];
      cells.push(a && b ? (b.nsPerRun / a.nsPerRun).toFixed(2) + '×' : '-');
    }
    return cells;
  });
  const widths = head.map((h, i) => Math.max(h.length, ...body.map((row) => row[i]!.length)));
  const line = (cells: string[]): string => cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ');
  return [line(head), line(widths.map((w) => '-'.repeat(w))), ...body.map(line)].join('\n');
}
