/**
 * The verifier: structure checks (cfg.ts), per-instruction facts (aux.ts), then a depth-first walk
 * of every path as Linux's do_check does it (walker.ts) with pruning at checkpoints (explored.ts),
 * the 1,000,000 processed-instruction limit, the combined stack limit of a call chain, and the
 * kernel-format log. `verifyProgram` returns the verdict, the error with its instruction and
 * source line, statistics, and (on request) the states seen at each instruction.
 */
import { BPF_JMP, BPF_CALL, type Insn } from '../isa/index.js';
import { ERRNO } from '../errno.js';
import { computeAux } from './aux.js';
import { checkStructure } from './cfg.js';
import { ctxAccessTable } from './ctxAccess.js';
import { Env, type VerifyOptions } from './env.js';
import { logMainPrototype } from './globalArgs.js';
import { checkJitSubprogs } from './jitSubprogs.js';
import { verifyGlobalSubprogs } from './globalFuncs.js';
import { defaultHelperProtos } from './helperProtos.js';
import { kfuncCheck, kfuncIsIterNext } from './kfuncs.js';
import { formatLiveness, liveRegisters } from './liveness.js';
import { VerifierError, fail } from './log.js';
import { initialState } from './state.js';
import { resolveAttachTarget } from './tracingCtx.js';
import { Walker, lineAt, sourceText } from './walker.js';

export type { VerifyOptions } from './env.js';

/** The processed-instruction limit (BPF_COMPLEXITY_LIMIT_INSNS). */
export const COMPLEXITY_LIMIT_INSNS = 1_000_000;
const MAX_CALL_FRAMES = 8;

/** Why a program was refused: the instruction, its C source line (with BTF line info), the message. */
export interface VerifyError {
  /** The instruction being verified, or -1 for a check of the whole program. */
  readonly insn: number;
  /** `file.c:42: the source text`, when the program has line info. */
  readonly sourceLine?: string;
  /** The kernel's message (one or two lines). */
  readonly message: string;
}

/** Counts of the walk, as the log's closing line reports them. */
export interface VerifyStats {
  /** Instructions processed, over every path (`processed N insns`). */
  readonly processed: number;
  /** Most states kept at one instruction. */
  readonly maxStatesPerInsn: number;
  /** States kept in all. */
  readonly totalStates: number;
  /** Most states kept at once. */
  readonly peakStates: number;
  /** Stack bytes each subprogram uses. */
  readonly stackDepth: readonly number[];
}

/** The verdict on a program. */
export interface VerifyResult {
  /** Whether Linux would accept it. */
  readonly ok: boolean;
  /** 0, or the errno the kernel's BPF_PROG_LOAD fails with (EACCES, EINVAL, E2BIG, …). */
  readonly errno: number;
  /** The reason for refusal (at most one: the verifier stops at the first). */
  readonly errors: readonly VerifyError[];
  /** The log at the requested level, ending with the `processed N insns` line. */
  readonly log: string;
  /** Walk statistics. */
  readonly stats: VerifyStats;
  /** The register and stack states seen before instruction `insn` on each path (with `recordStates`). */
  stateAt(insn: number): readonly string[];
  /** The loads through kernel pointers (PTR_TO_BTF_ID), in order: a loader runs them as BPF_PROBE_MEM loads. */
  readonly probeLoads: readonly number[];
}

/** Options of `verifyProgram`. */
export interface VerifyProgramOptions extends VerifyOptions {
  /** Keep the printed state before each instruction for `stateAt` (default false). */
  readonly recordStates?: boolean;
}

/**
 * check_max_stack_depth: every call chain from the main program (through global functions too,
 * whose stacks were measured when they were verified) has at most 8 frames, and their stacks, each
 * rounded up to 16 bytes, add up to at most 512.
 */
function checkStackDepth(env: Env): void {
  const { subprogs, subprogOf } = env.shape;
  const calls: number[][] = subprogs.map(() => []);
  env.insns.forEach((ins, i) => {
    if (ins.code === (BPF_JMP | BPF_CALL) && ins.src === 1) calls[subprogOf[i]!]!.push(subprogOf[i + ins.imm + 1]!);
  });
  const walk = (s: number, depth: number, frame: number): void => {
    const d = depth + Math.ceil(env.stackDepth[s]! / 16) * 16;
    if (d > 512) fail(ERRNO.EACCES, `combined stack size of ${frame + 1} calls is ${d}. Too large`);
    for (const c of calls[s]!) {
      if (frame + 1 >= MAX_CALL_FRAMES) fail(ERRNO.E2BIG, `the call stack of ${frame + 1} frames is too deep !`);
      walk(c, d, frame + 1);
    }
  };
  walk(0, 0, 0);
}

/** Verifies a program as Linux's verifier would for a privileged load; never throws for a bad program. */
export function verifyProgram(insns: readonly Insn[], opts: VerifyProgramOptions): VerifyResult {
  const helpers = opts.helpers ?? defaultHelperProtos();
  const ctx = opts.ctxAccess === null ? undefined : opts.ctxAccess ?? ctxAccessTable(opts.progType);
  let walker: Walker | undefined;
  let env: Env | undefined;
  let error: VerifyError | undefined;
  let errno = 0;
  const states: (string[] | undefined)[] = [];
  try {
    const shape = checkStructure(insns, opts.maps ?? [], kfuncCheck(opts));
    env = new Env(insns, opts, shape, helpers, ctx, computeAux(insns, shape.subprogs, (imm) => kfuncIsIterNext(opts, imm)));
    resolveAttachTarget(env);
    env.live = liveRegisters(insns, helpers);
    if (env.log.level >= 2) env.log.write(formatLiveness(insns, env.live, shape.subprogs));
    logMainPrototype(env);
    const limit = opts.insnLimit ?? COMPLEXITY_LIMIT_INSNS;
    walker = new Walker(env, opts.recordStates ?? false, states);
    walker.run(initialState(), 0, limit);
    if (env.log.level === 1) env.log.reset(0);
    const e = env;
    verifyGlobalSubprogs(env, (start, first) => {
      e.explored.reset();
      e.scc.reset();
      e.liveness.resetCallchain();
      walker = new Walker(e, opts.recordStates ?? false, states);
      walker.run(start, first, limit);
    });
    checkStackDepth(env);
    const inlined = new Set([...env.loopInline].filter(([, l]) => l.fit).map(([at]) => at));
    checkJitSubprogs(insns, env.shape.subprogs, env.seen, inlined, { maps: env.callMaps, tailCallKeys: env.tailCallKeys }, env.zextCmpxchg);
  } catch (e) {
    if (!(e instanceof VerifierError)) throw e;
    env ??= new Env(insns, opts, { subprogs: [0], subprogOf: new Int32Array(0) }, helpers, ctx, computeAux([], [], () => false));
    const insn = walker ? env.insnIdx : -1;
    const li = insn >= 0 ? lineAt(opts.lineInfo, insn) : undefined;
    error = { insn, message: e.message, ...(li ? { sourceLine: sourceText(li) } : {}) };
    errno = e.errno;
    env.log.line(e.message);
  }
  const stats: VerifyStats = {
    processed: env.insnProcessed,
    maxStatesPerInsn: env.explored.maxStatesPerInsn,
    totalStates: env.explored.totalStates,
    peakStates: env.explored.peakStates,
    stackDepth: env.stackDepth,
  };
  env.log.line(`processed ${stats.processed} insns (limit ${COMPLEXITY_LIMIT_INSNS}) max_states_per_insn ${stats.maxStatesPerInsn} ` +
    `total_states ${stats.totalStates} peak_states ${stats.peakStates} mark_read 0`);
  return {
    ok: !error, errno, errors: error ? [error] : [], log: env.log.toString(), stats,
    stateAt: (i) => states[i] ?? [],
    probeLoads: error ? [] : [...env.probeLoads].sort((a, b) => a - b),
  };
}
