/**
 * The verifier: structure checks (cfg.ts), then a depth-first walk of every path as Linux's
 * do_check does it — the fall-through edge first, the other edge of an undecided jump pushed on a
 * branch stack and verified when the path ends — with state pruning at jump targets (prune.ts),
 * the 1,000,000 processed-instruction limit, the combined stack limit of a call chain, and the
 * kernel-format log. `verifyProgram` returns the verdict, the error with its instruction and
 * source line, statistics, and (on request) the states seen at each instruction.
 */
import {
  BPF_ALU, BPF_ALU64, BPF_CALL, BPF_EXIT, BPF_JA, BPF_JCOND, BPF_JMP, BPF_JMP32, BPF_LD, BPF_LDX, BPF_ST, BPF_STX,
  LD_IMM64, disasmInsn, insnClass, insnOp, type Insn,
} from '../isa/index.js';
import { ERRNO } from '../errno.js';
import type { ProgramLineInfo } from '../vm/backend.js';
import { checkAlu } from './aluCheck.js';
import { checkCall, checkExit } from './calls.js';
import { checkStructure } from './cfg.js';
import { ctxAccessTable } from './ctxAccess.js';
import { Env, type VerifyOptions } from './env.js';
import { defaultHelperProtos } from './helperProtos.js';
import { checkLdAbs, checkLdImm64, checkLdx, checkSt, checkStx } from './insnMem.js';
import { checkCondJmp } from './jumps.js';
import { formatLiveness, liveRegisters } from './liveness.js';
import { VerifierError, fail } from './log.js';
import { type ExploredState, stateIncluded, stateSame } from './prune.js';
import { formatReg } from './regState.js';
import { type VerifierState, formatState, formatStack, initialState } from './state.js';

export type { VerifyOptions } from './env.js';

/** The processed-instruction limit (BPF_COMPLEXITY_LIMIT_INSNS). */
export const COMPLEXITY_LIMIT_INSNS = 1_000_000;
const COMPLEXITY_LIMIT_JMP_SEQ = 8192;
const MAX_STATES_PER_INSN = 64;

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
}

/** Options of `verifyProgram`. */
export interface VerifyProgramOptions extends VerifyOptions {
  /** Keep the printed state before each instruction for `stateAt` (default false). */
  readonly recordStates?: boolean;
}

interface Pending {
  readonly st: VerifierState;
  readonly insn: number;
  readonly prev: number;
  readonly logPos: number;
  readonly parent: ExploredState | null;
}

/** The C line of instruction `i`: the last line_info record at or before it. */
function lineAt(lines: readonly ProgramLineInfo[] | undefined, i: number): ProgramLineInfo | undefined {
  if (!lines) return undefined;
  let found: ProgramLineInfo | undefined;
  for (const l of lines) {
    if (l.insn > i) break;
    found = l;
  }
  return found;
}

function sourceText(l: ProgramLineInfo): string {
  return `${l.fileName.slice(l.fileName.lastIndexOf('/') + 1)}:${l.line}: ${l.source.trim()}`;
}

class Walker {
  readonly env: Env;
  private readonly explored: (ExploredState[] | undefined)[] = [];
  private readonly stack: Pending[] = [];
  private readonly states: (string[] | undefined)[] = [];
  private readonly record: boolean;
  processed = 0;
  totalStates = 0;
  maxStates = 0;
  private parent: ExploredState | null = null;
  private lastLine: ProgramLineInfo | undefined;

  constructor(env: Env, record: boolean) {
    this.env = env;
    this.record = record;
  }

  stateAt(insn: number): readonly string[] {
    return this.states[insn] ?? [];
  }

  private liveOf(st: VerifierState, idx: number): (fi: number) => number {
    return (fi) => this.env.liveAt(fi === st.frames.length - 1 ? idx : st.frames[fi + 1]!.callsite);
  }

  /** is_state_visited: true when an explored state includes this one (the path is pruned). */
  private visited(idx: number): boolean {
    const st = this.env.st;
    const list = (this.explored[idx] ??= []);
    const live = this.liveOf(st, idx);
    for (const old of list) {
      if (old.branches > 0) {
        if (stateSame(old.state, st)) {
          fail(ERRNO.EINVAL, `infinite loop detected at insn ${idx}\ncur state: ${formatState(st)}\nold state: ${formatState(old.state)}`);
        }
        continue;
      }
      if (stateIncluded(old.state, st, live)) return true;
    }
    if (list.length < MAX_STATES_PER_INSN) {
      const node: ExploredState = { state: st.clone(), branches: 1, parent: this.parent };
      list.push(node);
      this.parent = node;
      this.totalStates++;
      if (list.length > this.maxStates) this.maxStates = list.length;
    }
    return false;
  }

  private push(st: VerifierState, insn: number, prev: number): void {
    if (this.stack.length >= COMPLEXITY_LIMIT_JMP_SEQ) fail(ERRNO.E2BIG, `The sequence of ${this.stack.length} jumps is too complex.`);
    if (this.parent) this.parent.branches++;
    this.stack.push({ st, insn, prev, logPos: this.env.log.mark(), parent: this.parent });
  }

  /** update_branch_counts: the path ended; explored states with no path left are complete. */
  private endPath(): void {
    for (let n = this.parent; n; n = n.parent) {
      n.branches--;
      if (n.branches > 0) break;
    }
  }

  private printInsn(idx: number): void {
    const env = this.env;
    const log = env.log;
    const li = lineAt(env.opts.lineInfo, idx);
    if (li && li !== this.lastLine) {
      log.line(`; ${li.source.trim()} @ ${li.fileName.slice(li.fileName.lastIndexOf('/') + 1)}:${li.line}`);
      this.lastLine = li;
    }
    const ins = env.insns[idx]!;
    log.insn(`${idx}: (${ins.code.toString(16).padStart(2, '0')}) ${disasmInsn(env.insns, idx)}`);
  }

  private printTouched(idx: number): void {
    const env = this.env;
    const f = env.frame;
    const parts: string[] = [];
    for (let r = 0; r < 11; r++) {
      if (((env.scratchRegs >> r) & 1) && f.regs[r]!.type !== 0) parts.push(`R${r}=${formatReg(f.regs[r]!, f.frameno)}`);
    }
    let text = (f.frameno > 0 && parts.length ? `frame${f.frameno}: ` : '') + parts.join(' ');
    if (env.scratchSlots.size) {
      const full = formatStack(f);
      const keep = full.split(' ').filter((p) => {
        const m = /^fp-(\d+)=/.exec(p);
        return m && env.scratchSlots.has(Number(m[1]) / 8 - 1);
      });
      if (keep.length) text += (text ? ' ' : '') + keep.join(' ');
    }
    env.log.state(idx, text);
  }

  /** One instruction; returns the next one of this path, or -1 when the path ends. */
  private step(idx: number): number {
    const env = this.env;
    const ins: Insn = env.insns[idx]!;
    const cls = insnClass(ins.code);
    switch (cls) {
      case BPF_ALU:
      case BPF_ALU64: {
        const fork = checkAlu(env, ins);
        if (fork) this.push(fork.state, idx, idx);
        return idx + 1;
      }
      case BPF_LDX: checkLdx(env, ins); return idx + 1;
      case BPF_STX: checkStx(env, ins); return idx + 1;
      case BPF_ST: checkSt(env, ins); return idx + 1;
      case BPF_LD:
        if (ins.code === LD_IMM64) { checkLdImm64(env, ins); return idx + 2; }
        checkLdAbs(env, ins);
        return idx + 1;
      default:
        break;
    }
    const op = insnOp(ins.code);
    if (op === BPF_CALL) return checkCall(env, ins);
    if (op === BPF_EXIT) return checkExit(env, ins);
    if (op === BPF_JA) {
      if (ins.src !== 0 || ins.dst !== 0 || (cls === BPF_JMP ? ins.imm !== 0 : ins.off !== 0)) fail(ERRNO.EINVAL, 'BPF_JA uses reserved fields');
      return idx + 1 + (cls === BPF_JMP32 ? ins.imm : ins.off);
    }
    if (op === BPF_JCOND && cls === BPF_JMP) {
      if (ins.src !== 0 || ins.dst !== 0 || ins.imm !== 0) fail(ERRNO.EINVAL, 'invalid may_goto imm 0');
      this.push(env.st.clone(), idx + 1, idx);
      return idx + 1 + ins.off;
    }
    const out = checkCondJmp(env, ins);
    if (out.other) this.push(out.other, idx + ins.off + 1, idx);
    return out.next;
  }

  run(limit: number): void {
    const env = this.env;
    const log = env.log;
    env.st = initialState();
    let idx = 0;
    let prev = -1;
    let fromBranch = false;
    let printState = true;
    for (;;) {
      if (env.shape.prunePoint[idx] && this.visited(idx)) {
        if (log.level >= 1) log.line(fromBranch ? `\nfrom ${prev} to ${idx}: safe` : `${idx}: safe`);
        this.endPath();
        const next = this.pop();
        if (!next) return;
        [idx, prev] = next;
        fromBranch = true;
        printState = true;
        continue;
      }
      if (++this.processed > limit) fail(ERRNO.E2BIG, `BPF program is too large. Processed ${this.processed} insn`);
      if (fromBranch && log.level >= 2) log.line(`\nfrom ${prev} to ${idx}: ${formatState(env.st)}`);
      if (printState && log.level >= 1) log.state(idx, formatState(env.st));
      if (this.record) (this.states[idx] ??= []).push(formatState(env.st));
      fromBranch = false;
      printState = false;
      if (log.level >= 1) this.printInsn(idx);
      env.insnIdx = idx;
      env.scratchRegs = 0;
      env.scratchSlots.clear();
      const framesBefore = env.st.frames.length;
      const next = this.step(idx);
      if (log.level >= 1) this.printTouched(idx);
      if (env.st.frames.length !== framesBefore) printState = true;
      if (next >= 0) {
        prev = idx;
        idx = next;
        continue;
      }
      this.endPath();
      const popped = this.pop();
      if (!popped) return;
      [idx, prev] = popped;
      fromBranch = true;
      printState = true;
    }
  }

  private pop(): [number, number] | null {
    const p = this.stack.pop();
    if (!p) return null;
    this.env.log.reset(p.logPos);
    this.env.st = p.st;
    this.parent = p.parent;
    return [p.insn, p.prev];
  }
}

/** check_max_stack_depth: the stack of every call chain, each frame rounded up to 16 bytes, is at most 512. */
function checkStackDepth(env: Env): void {
  const { subprogs, subprogOf } = env.shape;
  const calls: number[][] = subprogs.map(() => []);
  env.insns.forEach((ins, i) => {
    if (ins.code === (BPF_JMP | BPF_CALL) && ins.src === 1) calls[subprogOf[i]!]!.push(subprogOf[i + ins.imm + 1]!);
  });
  const walk = (s: number, depth: number, frame: number, seen: Set<number>): void => {
    const d = depth + Math.ceil(env.stackDepth[s]! / 16) * 16;
    if (d > 512) fail(ERRNO.EACCES, `combined stack size of ${frame + 1} calls is ${d}. Too large`);
    for (const c of calls[s]!) if (!seen.has(c)) walk(c, d, frame + 1, new Set([...seen, c]));
  };
  walk(0, 0, 0, new Set([0]));
}

/** Verifies a program as Linux's verifier would for a privileged load; never throws for a bad program. */
export function verifyProgram(insns: readonly Insn[], opts: VerifyProgramOptions): VerifyResult {
  const helpers = opts.helpers ?? defaultHelperProtos();
  const ctx = opts.ctxAccess === null ? undefined : opts.ctxAccess ?? ctxAccessTable(opts.progType);
  let shape;
  let walker: Walker | undefined;
  let env: Env | undefined;
  let error: VerifyError | undefined;
  let errno = 0;
  const placeholder = { subprogs: [0], prunePoint: new Uint8Array(0), subprogOf: new Int32Array(0) };
  try {
    shape = checkStructure(insns, opts.maps ?? []);
    env = new Env(insns, opts, shape, helpers, ctx);
    env.live = liveRegisters(insns, helpers);
    if (env.log.level >= 2) env.log.write(formatLiveness(insns, env.live, shape.subprogs));
    walker = new Walker(env, opts.recordStates ?? false);
    walker.run(opts.insnLimit ?? COMPLEXITY_LIMIT_INSNS);
    checkStackDepth(env);
  } catch (e) {
    if (!(e instanceof VerifierError)) throw e;
    env ??= new Env(insns, opts, placeholder, helpers, ctx);
    const insn = walker ? env.insnIdx : -1;
    const li = insn >= 0 ? lineAt(opts.lineInfo, insn) : undefined;
    error = { insn, message: e.message, ...(li ? { sourceLine: sourceText(li) } : {}) };
    errno = e.errno;
    env.log.line(e.message);
  }
  const stats: VerifyStats = {
    processed: walker?.processed ?? 0,
    maxStatesPerInsn: walker?.maxStates ?? 0,
    totalStates: walker?.totalStates ?? 0,
    peakStates: walker?.totalStates ?? 0,
    stackDepth: env?.stackDepth ?? [],
  };
  env!.log.line(`processed ${stats.processed} insns (limit ${COMPLEXITY_LIMIT_INSNS}) max_states_per_insn ${stats.maxStatesPerInsn} ` +
    `total_states ${stats.totalStates} peak_states ${stats.peakStates} mark_read 0`);
  const w = walker;
  return {
    ok: !error, errno, errors: error ? [error] : [], log: env!.log.toString(), stats,
    stateAt: (i) => w?.stateAt(i) ?? [],
  };
}
