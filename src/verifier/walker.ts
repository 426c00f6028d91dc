/**
 * The walk over every path (do_check): instructions in order, the fall-through edge of an undecided
 * jump first and the other edge pushed on a branch stack; at prune points the checkpoints decide
 * whether the path may stop (explored.ts); when a path ends (exit, pruned), the checkpoints behind
 * it count it done, the stack liveness catches up, and the most recently pushed branch resumes.
 * Every instruction reached counts towards the 1,000,000 limit, pruned ones included, as in Linux.
 */
import {
  BPF_ALU, BPF_ALU64, BPF_CALL, BPF_EXIT, BPF_JA, BPF_JCOND, BPF_JMP, BPF_JMP32, BPF_LD, BPF_LDX, BPF_ST, BPF_STX,
  LD_IMM64, disasmInsn, insnClass, insnOp, type Insn,
} from '../isa/index.js';
import { ERRNO } from '../errno.js';
import type { ProgramLineInfo } from '../vm/backend.js';
import { checkAlu } from './aluCheck.js';
import { checkCall, checkExit } from './calls.js';
import type { Env } from './env.js';
import { widenImpreciseScalars } from './equal.js';
import { pushHistory } from './history.js';
import { checkLdAbs, checkLdImm64, checkLdx, checkSt, checkStx } from './insnMem.js';
import { checkCondJmp } from './jumps.js';
import { fail } from './log.js';
import { formatReg } from './regState.js';
import { type VerifierState, formatRefs, formatStack, formatState } from './state.js';

const COMPLEXITY_LIMIT_JMP_SEQ = 8192;

interface Pending {
  readonly st: VerifierState;
  readonly insn: number;
  readonly prev: number;
  readonly logPos: number;
}

/** The C line of instruction `i`: the last line_info record at or before it. */
export function lineAt(lines: readonly ProgramLineInfo[] | undefined, i: number): ProgramLineInfo | undefined {
  if (!lines) return undefined;
  let found: ProgramLineInfo | undefined;
  for (const l of lines) {
    if (l.insn > i) break;
    found = l;
  }
  return found;
}

/** An error's source line: `file.c:LINE: text`. */
export function sourceText(l: ProgramLineInfo): string {
  return `${l.fileName.slice(l.fileName.lastIndexOf('/') + 1)}:${l.line}: ${l.source.trim()}`;
}

/** One walk from a starting state (the main program, or a global subprogram). */
export class Walker {
  private readonly stack: Pending[] = [];
  private readonly states: (string[] | undefined)[];
  private lastLine: ProgramLineInfo | undefined;

  constructor(readonly env: Env, private readonly record: boolean, states: (string[] | undefined)[]) {
    this.states = states;
  }

  /**
   * push_stack: a copy of the current state (or `copy`, already made), to continue at `insn` later.
   * Past the jump-sequence limit the load fails with the errno the kernel's caller turns the failed
   * push into: EFAULT for a conditional jump (as Linux 6.18 answers), ENOMEM for its other callers.
   */
  push(insn: number, prev: number, copy: VerifierState = this.env.st.clone(), errno: number = ERRNO.ENOMEM): VerifierState {
    const env = this.env;
    this.stack.push({ st: copy, insn, prev, logPos: env.log.mark() });
    if (this.stack.length > COMPLEXITY_LIMIT_JMP_SEQ) fail(errno, `The sequence of ${this.stack.length} jumps is too complex.`);
    if (copy.parent) copy.parent.branches++;
    return copy;
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

  /**
   * The touched registers after an instruction, then the references held (also alone, after a helper
   * call that left no register to print, but not after a call or return between frames); on a line of
   * its own (when something was logged in between) under the next instruction's index, as the kernel
   * prints them.
   */
  private printTouched(idx: number, sameFrame: boolean): void {
    const env = this.env;
    const f = env.frame;
    const parts: string[] = [];
    for (let r = 0; r < 11; r++) {
      if (((env.scratchRegs >> r) & 1) && f.regs[r]!.type !== 0) parts.push(`R${r}=${formatReg(f.regs[r]!, f.frameno, env.opts.kernelTypes)}`);
    }
    let text = (f.frameno > 0 && parts.length ? `frame${f.frameno}: ` : '') + parts.join(' ');
    if (env.scratchSlots.size) {
      const keep = formatStack(f, env.opts.kernelTypes).split(' ').filter((p) => {
        const m = /^fp-(\d+)=/.exec(p);
        return m && env.scratchSlots.has(Number(m[1]) / 8 - 1);
      });
      if (keep.length) text += (text ? ' ' : '') + keep.join(' ');
    }
    const refs = formatRefs(env.st);
    if (refs && (text || (env.scratchRegs !== 0 && sameFrame))) text += (text ? ' ' : '') + refs;
    env.log.state(idx, text);
  }

  /** may_goto: the jump is taken now; the fall-through is pushed one level deeper, widened against the previous iteration. */
  private mayGoto(idx: number, ins: Insn): number {
    const env = this.env;
    if (ins.src !== 0 || ins.dst !== 0 || ins.imm !== 0) fail(ERRNO.EINVAL, `invalid may_goto imm ${ins.imm}`);
    const prev = env.st.parent ? env.explored.findPrevEntry(env.st.parent, idx) : null;
    const queued = this.push(idx + 1, idx);
    queued.mayGotoDepth++;
    if (prev) widenImpreciseScalars(env, prev, queued);
    return idx + 1 + ins.off;
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
        if (fork) this.push(idx, idx, fork.state);
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
    env.jmpsProcessed++;
    const op = insnOp(ins.code);
    if (op === BPF_CALL) return checkCall(env, ins, this);
    if (op === BPF_EXIT) return checkExit(env, ins);
    if (op === BPF_JA) {
      if (ins.src !== 0 || ins.dst !== 0 || (cls === BPF_JMP ? ins.imm !== 0 : ins.off !== 0)) fail(ERRNO.EINVAL, 'BPF_JA uses reserved fields');
      return idx + 1 + (cls === BPF_JMP32 ? ins.imm : ins.off);
    }
    if (op === BPF_JCOND && cls === BPF_JMP) return this.mayGoto(idx, ins);
    const out = checkCondJmp(env, ins);
    if (out.other) this.push(idx + ins.off + 1, idx, out.other, ERRNO.EFAULT);
    return out.next;
  }

  /** Walks every path from `start` at instruction `first`. */
  run(start: VerifierState, first: number, limit: number): void {
    const env = this.env;
    const log = env.log;
    env.st = start;
    let idx = first;
    let prev = -1;
    let fromBranch = false;
    let printState = true;
    for (;;) {
      env.curHistIdx = -1;
      env.prevInsnIdx = prev;
      env.insnIdx = idx;
      if (++env.insnProcessed > limit) fail(ERRNO.E2BIG, `BPF program is too large. Processed ${env.insnProcessed} insn`);
      const st = env.st;
      st.lastInsnIdx = prev;
      st.insnIdx = idx;
      let ended = false;
      if (env.aux.prunePoint[idx] && env.explored.visit(idx)) {
        if (log.level >= 1) log.line(fromBranch ? `\nfrom ${prev} to ${idx}: safe` : `${idx}: safe`);
        ended = true;
      } else {
        if (env.aux.jmpPoint[idx]) pushHistory(env);
        if (fromBranch && log.level >= 2) log.line(`\nfrom ${prev} to ${idx}: ${formatState(st, env.opts.kernelTypes)}`);
        if (printState && log.level >= 1) log.state(idx, formatState(st, env.opts.kernelTypes));
        if (this.record) (this.states[idx] ??= []).push(formatState(st, env.opts.kernelTypes));
        fromBranch = false;
        printState = false;
        if (log.level >= 1) this.printInsn(idx);
        env.seen[idx] = 1;
        if (env.insns[idx]!.code === LD_IMM64) env.seen[idx + 1] = 1;
        env.scratchRegs = 0;
        if (env.scratchSlots.size) env.scratchSlots.clear();
        env.liveness.resetWrites(idx);
        const framesBefore = st.frames.length;
        const next = this.step(idx);
        env.liveness.commitWrites();
        // A path that ends at its exit prints nothing more: the kernel prints touched registers before the next instruction.
        if (log.level >= 1 && next >= 0) this.printTouched(next, env.st.frames.length === framesBefore);
        if (env.st.frames.length !== framesBefore) printState = true;
        if (next >= 0) {
          prev = idx;
          idx = next;
          continue;
        }
        ended = true;
      }
      if (ended) {
        env.explored.endPath(env.st);
        env.liveness.update();
        const p = this.stack.pop();
        if (!p) return;
        log.reset(p.logPos);
        env.st = p.st;
        env.liveness.resetCallchain();
        idx = p.insn;
        prev = p.prev;
        fromBranch = true;
        printState = true;
      }
    }
  }

  /** The states seen before instruction `insn`, when recorded. */
  stateAt(insn: number): readonly string[] {
    return this.states[insn] ?? [];
  }
}
