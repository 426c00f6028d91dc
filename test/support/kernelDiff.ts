/**
 * The differential harness: the same program, packet and program type on the kernel and on
 * bpfsim's engines, compared byte for byte (retval and data out, which holds every register and the
 * stack). A difference is a bpfsim mismatch unless a documented kernel deviation's control
 * experiment explains it. A program the kernel refuses is loaded on bpfsim too: the same errno and
 * reason count as an agreed refusal.
 */
import { ErrnoError } from '../../src/errno.js';
import { BPF_PSEUDO_FUNC, LD_IMM64, disasm } from '../../src/isa/index.js';
import type { Insn } from '../../src/isa/index.js';
import { BPF_PROG_TYPE_XDP } from '../../src/uapi.js';
import { VerifierRejectedError } from '../../src/verifier/index.js';
import type { Backend, TestRunResult } from '../../src/vm/index.js';
import { funcInfoBtf } from '../helpers/support/xdp.js';
import { DEVIATIONS } from './kernelDeviations.js';
import { STACK_LO, kernelPacket, kernelProgram } from './kernelProgram.js';
import type { KernelCase } from './kernelProgram.js';

/** The backends compared: the kernel, and one simulated backend per engine. */
export interface DiffBackends {
  readonly kernel: Backend;
  readonly sims: readonly { readonly engine: string; readonly backend: Backend }[];
}

/** How one case came out. */
export type Outcome =
  | { readonly kind: 'match' }
  | { readonly kind: 'refused'; readonly reason: string; readonly agreed: boolean }
  | { readonly kind: 'deviation'; readonly id: string }
  | { readonly kind: 'mismatch'; readonly engine: string; readonly detail: string; readonly listing: string };

/** Loads `insns` as XDP on a backend (with func_info BTF when it has callbacks, as the kernel needs) and test-runs it once on `packet`. */
export function runXdp(b: Backend, insns: readonly Insn[], packet: Uint8Array): TestRunResult {
  const callbacks = insns.some((ins) => ins.code === LD_IMM64 && ins.src === BPF_PSEUDO_FUNC);
  const { program } = b.loadProgram({ type: BPF_PROG_TYPE_XDP, insns, name: 'diff', ...(callbacks ? { btf: funcInfoBtf(insns) } : {}) });
  try {
    return program.testRun({ data: packet });
  } finally {
    program.close();
  }
}

function same(a: TestRunResult, b: TestRunResult): boolean {
  if (a.retval !== b.retval || a.data.length !== b.data.length) return false;
  for (let i = 0; i < a.data.length; i++) if (a.data[i] !== b.data[i]) return false;
  return true;
}

function hex8(d: Uint8Array, at: number): string {
  let v = 0n;
  for (let i = 7; i >= 0; i--) v = (v << 8n) | BigInt(d[at + i] ?? 0);
  return '0x' + v.toString(16);
}

/** Which registers and stack slots differ, as a short sentence. */
export function describeDifference(kernel: TestRunResult, sim: TestRunResult): string {
  const parts: string[] = [];
  if (kernel.retval !== sim.retval) parts.push(`retval kernel ${kernel.retval} bpfsim ${sim.retval}`);
  for (let at = 0; at < Math.max(kernel.data.length, sim.data.length); at += 8) {
    const a = hex8(kernel.data, at);
    const b = hex8(sim.data, at);
    if (a === b) continue;
    const what = at < 80 ? `r${at / 8}` : `stack[r10${STACK_LO + at - 80}]`;
    parts.push(`${what} kernel ${a} bpfsim ${b}`);
  }
  return parts.join('; ');
}

/** Whether a load failure is the kernel's verifier refusing the program. */
function refusal(e: unknown): string | undefined {
  if (!(e instanceof ErrnoError) || e.op !== 'BPF_PROG_LOAD') return undefined;
  return e.message.replace(/^BPF_PROG_LOAD failed: /, '');
}

/** Why bpfsim's verifier refuses `insns` as XDP, in the kernel's words (`EFAULT (14): reason`); undefined if it accepts. */
function simRefusal(b: Backend, insns: readonly Insn[]): string | undefined {
  const callbacks = insns.some((ins) => ins.code === LD_IMM64 && ins.src === BPF_PSEUDO_FUNC);
  try {
    b.loadProgram({ type: BPF_PROG_TYPE_XDP, insns, name: 'diff', ...(callbacks ? { btf: funcInfoBtf(insns) } : {}) }).program.close();
    return undefined;
  } catch (e) {
    if (!(e instanceof VerifierRejectedError)) throw e;
    return `${e.errnoName} (${e.errno}): ${e.result.errors[0]!.message.split('\n')[0]}`;
  }
}

/** Runs one case everywhere and classifies the outcome. */
export function diffCase(c: KernelCase, backends: DiffBackends): Outcome {
  const insns = kernelProgram(c);
  const packet = kernelPacket(c);
  let kernel: TestRunResult;
  try {
    kernel = runXdp(backends.kernel, insns, packet);
  } catch (e) {
    const reason = refusal(e);
    if (reason === undefined) throw e;
    const first = backends.sims[0];
    return { kind: 'refused', reason, agreed: first !== undefined && simRefusal(first.backend, insns) === reason };
  }
  for (const { engine, backend } of backends.sims) {
    const sim = runXdp(backend, insns, packet);
    if (same(kernel, sim)) continue;
    for (const d of DEVIATIONS) {
      const control = d.control(c);
      if (!control) continue;
      try {
        if (same(runXdp(backends.kernel, kernelProgram(control), packet), sim)) return { kind: 'deviation', id: d.id };
      } catch (e) {
        if (refusal(e) === undefined) throw e;
      }
    }
    return { kind: 'mismatch', engine, detail: describeDifference(kernel, sim), listing: disasm(insns) };
  }
  return { kind: 'match' };
}

/** Tallies of a campaign. */
export interface Tally {
  compared: number;
  refused: number;
  /** Kernel refusals bpfsim's verifier made with the same errno and reason. */
  refusedAgreed: number;
  deviations: Record<string, number>;
  mismatches: number;
  refusals: Record<string, number>;
}

/** An empty tally. */
export function newTally(): Tally {
  return { compared: 0, refused: 0, refusedAgreed: 0, deviations: {}, mismatches: 0, refusals: {} };
}

/** Adds an outcome to a tally (refusal reasons grouped with numbers masked). */
export function count(t: Tally, o: Outcome): void {
  switch (o.kind) {
    case 'match': t.compared++; break;
    case 'refused': {
      t.refused++;
      if (o.agreed) t.refusedAgreed++;
      const key = o.reason.replace(/\d+/g, 'N') + (o.agreed ? ' [bpfsim agrees]' : '');
      t.refusals[key] = (t.refusals[key] ?? 0) + 1;
      break;
    }
    case 'deviation': t.compared++; t.deviations[o.id] = (t.deviations[o.id] ?? 0) + 1; break;
    case 'mismatch': t.compared++; t.mismatches++; break;
  }
}
