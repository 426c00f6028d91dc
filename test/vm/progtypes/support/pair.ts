/*
 * The kernel/simulator pair for program type and packet helper tests: one program, loaded on both
 * backends, test-run with the same options, and the outcomes (return value, data out, ctx out, or
 * the errno of a refused run) compared. The programs are written in the assembler's syntax; every
 * one has passed the kernel's verifier before the simulator runs it (its own verifier is off).
 */
import { KernelBackend, kernelAvailable } from '../../../../src/kernel/index.js';
import { assemble } from '../../../../src/isa/index.js';
import type { Insn } from '../../../../src/isa/index.js';
import { jit } from '../../../../src/jit/index.js';
import { Machine, SimBackend } from '../../../../src/vm/index.js';
import type { Backend, BackendMap, TestRunOptions, TestRunResult } from '../../../../src/vm/index.js';

const available = kernelAvailable();

/** Why the kernel comparisons are skipped, or undefined when they run. */
export const kernelSkip: string | undefined = available.ok ? undefined : available.reason;

/** The kernel backend, when bpf() works. */
export function kernelBackend(): KernelBackend | undefined {
  return available.ok ? new KernelBackend() : undefined;
}

/** The JIT twin of each simulated backend `simBackend` made: the same machine, run on the JIT. */
const jitTwins = new WeakMap<Backend, SimBackend>();

/**
 * A simulated backend in checked mode, its verifier off (the kernel's has passed every program), on
 * the interpreter; `Tally.check` runs every case on its JIT twin too (when the machine has the JIT).
 */
export function simBackend(machine = new Machine({ engines: [jit] })): SimBackend {
  const opts = { machine, checked: true, verify: false };
  const sim = new SimBackend(opts);
  if (machine.engines.has(jit.name)) jitTwins.set(sim, new SimBackend({ ...opts, engine: jit.name }));
  return sim;
}

/** What a test run came to: its results in hex, or the errno it was refused with. */
export type Outcome = { retval: number; data: string; ctx: string } | { errno: string };

const hex = (u: Uint8Array) => Array.from(u, (b) => b.toString(16).padStart(2, '0')).join('');

/** A program to load: its type, text (or instructions), expected attach type and flags. */
export interface Case {
  /** `BPF_PROG_TYPE_*`. */
  readonly type: number;
  /** Assembler text, or instructions. */
  readonly prog: string | readonly Insn[];
  /** `expected_attach_type`. */
  readonly eat?: number;
  /** `prog_flags`. */
  readonly flags?: number;
  /** Test-run options. */
  readonly run: TestRunOptions;
  /** Maps to create on the backend, referenced as `map[idx:N]`. */
  readonly maps?: (b: Backend) => readonly BackendMap[];
}

/** Loads a case on a backend and test-runs it; a load refusal throws. */
export function outcome(b: Backend, c: Case): Outcome {
  const insns = typeof c.prog === 'string' ? assemble(c.prog).insns : c.prog;
  const maps = c.maps?.(b) ?? [];
  const { program } = b.loadProgram({ type: c.type, insns, name: 'pt', expectedAttachType: c.eat ?? 0, flags: c.flags ?? 0, maps });
  try {
    const r: TestRunResult = program.testRun(c.run);
    return { retval: r.retval, data: hex(r.data), ctx: hex(r.ctx) };
  } catch (e) {
    const errno = (e as { errnoName?: string }).errnoName;
    if (!errno) throw e;
    return { errno };
  } finally {
    program.close();
    for (const m of maps) m.close();
  }
}

/** A case and the two outcomes, for a mismatch message. */
export interface Compared {
  readonly kernel: Outcome;
  readonly sim: Outcome;
  readonly text: string;
}

/** Runs a case on the kernel and on a simulated backend (and on its JIT twin, if it has one: the first that differs is `sim`). */
export function compare(kernel: Backend, sim: Backend, c: Case): Compared {
  const text = typeof c.prog === 'string' ? c.prog.replace(/\s*\n\s*/g, '; ') : `${c.prog.length} insns`;
  const k = outcome(kernel, c);
  const s = outcome(sim, c);
  const twin = jitTwins.get(sim);
  if (!twin || JSON.stringify(s) !== JSON.stringify(k)) return { kernel: k, sim: s, text };
  return { kernel: k, sim: outcome(twin, c), text: `${text} (on the JIT)` };
}

/** Counts cases and collects the mismatches of a batch, so that one failure message lists them all. */
export class Tally {
  compared = 0;
  readonly mismatches: string[] = [];

  /** Compares a case and records the result. */
  check(kernel: Backend, sim: Backend, c: Case): void {
    const r = compare(kernel, sim, c);
    this.compared++;
    if (JSON.stringify(r.kernel) !== JSON.stringify(r.sim)) this.mismatches.push(`${r.text}\n${difference(r.kernel, r.sim)}`);
  }
}

/** The fields in which two outcomes differ; hex strings from their first differing byte. */
function difference(kernel: Outcome, sim: Outcome): string {
  const k = kernel as Record<string, string | number>;
  const s = sim as Record<string, string | number>;
  const out: string[] = [];
  for (const key of new Set([...Object.keys(k), ...Object.keys(s)])) {
    const a = String(k[key]);
    const b = String(s[key]);
    if (a === b) continue;
    let at = 0;
    while (key !== 'errno' && at < a.length && a[at] === b[at]) at++;
    at -= at % 2;
    const from = at > 0 ? ` from byte ${at / 2}` : '';
    out.push(`  ${key}${from}: kernel ${a.slice(at, at + 120)} bpfsim ${b.slice(at, at + 120)}`);
  }
  return out.join('\n');
}

/** A frame of `len` bytes with a recognisable pattern, an EtherType, and for IPv4 a plausible header. */
export function frame(len: number, proto = 0x0800): Uint8Array {
  const d = new Uint8Array(len);
  for (let i = 0; i < len; i++) d[i] = (i * 7 + 3) & 0xff;
  if (len >= 14) {
    d[12] = proto >> 8;
    d[13] = proto & 0xff;
  }
  if (proto === 0x0800 && len >= 34) {
    d[14] = 0x45;
    d[15] = 0;
    d[16] = (len - 14) >> 8;
    d[17] = (len - 14) & 0xff;
    d[23] = 17;
  }
  return d;
}
