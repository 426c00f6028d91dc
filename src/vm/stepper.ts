import type { Region } from '../arena/index.js';
import { fromU64, toU64 } from './int64.js';
import { InterpExecutable } from './interpEngine.js';
import { interpret } from './interpreter.js';
import { STOP_BREAK, STOP_BUDGET, STOP_EXIT } from './interpState.js';
import { OP_BREAK, STRIDE } from './predecode.js';
import type { Program } from './program.js';
import { DEFAULT_BUDGET } from './rawRun.js';
import { VmFault } from './fault.js';

/** Where a stepped program stands. */
export type StepStatus = 'ready' | 'paused' | 'breakpoint' | 'exited' | 'faulted';

/** Options for a `Stepper`. */
export interface StepperOptions {
  /** r1..r5 at entry (default 0; with `mem`, r1 and r2 default to the input and its length). */
  readonly args?: readonly (bigint | number)[];
  /** Input memory, copied into the arena for the run, as `runRaw` does. */
  readonly mem?: Uint8Array;
  /** Simulated CPU (default 0). */
  readonly cpu?: number;
  /** Bounds-check every access (default true). */
  readonly checked?: boolean;
  /** Instruction budget for the whole run (default 100,000,000). */
  readonly budget?: number;
  /** Packet for LD_ABS/LD_IND (arena offset and length). */
  readonly packet?: { start: number; len: number };
}

/**
 * Runs a program an instruction at a time, for debuggers and the browser lab: step, run to a pc,
 * breakpoints, and reads of registers, stack and memory between steps. It drives the same
 * interpreter as ordinary runs; breakpoints are patched into a private copy of the code.
 */
export class Stepper {
  /** The program being stepped. */
  readonly program: Program;
  /** Current status. */
  status: StepStatus = 'ready';
  /** The fault that stopped the run, when `status` is `faulted`. */
  fault: VmFault | undefined;
  private readonly x: InterpExecutable;
  private readonly original: Int32Array;
  private readonly breakpoints = new Set<number>();
  private readonly limit: number;
  private readonly input: Region | undefined;

  constructor(program: Program, opts: StepperOptions = {}) {
    this.program = program;
    this.x = new InterpExecutable(program.machine, program, opts.checked ?? true);
    this.original = this.x.code.slice();
    this.limit = opts.budget ?? DEFAULT_BUDGET;
    const arena = program.machine.arena;
    let initial = opts.args ?? [];
    if (opts.mem) {
      const input = arena.alloc(opts.mem.length, 'input', 'input');
      arena.write(input.start, opts.mem);
      this.input = input;
      initial = opts.args ?? [input.start, opts.mem.length];
    }
    const args = new Int32Array(10);
    initial.slice(0, 5).forEach((v, i) => {
      const [lo, hi] = fromU64(BigInt(v));
      args[2 * i] = lo;
      args[2 * i + 1] = hi;
    });
    const packet = opts.packet ?? (this.input ? { start: this.input.start, len: this.input.size } : { start: 0, len: 0 });
    this.x.begin(args, { cpu: opts.cpu ?? 0, budget: this.limit, packet, unwindHelper: -1 });
  }

  /** Frees the input memory given with `mem`. */
  close(): void {
    if (this.input) this.program.machine.arena.release(this.input);
  }

  /** Index of the next instruction to execute. */
  get pc(): number {
    return this.x.state.pc;
  }

  /** Instructions executed so far. */
  get count(): number {
    return this.x.state.count;
  }

  /** Current call depth (0 = main program). */
  get depth(): number {
    return this.x.state.depth;
  }

  /** Register `r` (0..10) as an unsigned 64-bit value. */
  reg(r: number): bigint {
    return toU64(this.x.state.lo[r]!, this.x.state.hi[r]!);
  }

  /** All registers r0..r10. */
  regs(): bigint[] {
    return Array.from({ length: 11 }, (_, r) => this.reg(r));
  }

  /** Sets register `r` (0..9) between steps. */
  setReg(r: number, value: bigint | number): void {
    if (r < 0 || r > 9) throw new RangeError(`register r${r} cannot be set: only r0..r9 are writable`);
    const [lo, hi] = fromU64(BigInt(value));
    this.x.state.lo[r] = lo;
    this.x.state.hi[r] = hi;
  }

  /** `len` bytes of arena memory from `addr`. */
  readMemory(addr: number, len: number): Uint8Array {
    this.program.machine.arena.refresh();
    return this.program.machine.arena.read(addr, len);
  }

  /** The current frame's stack, from r10 - 512 up to r10. */
  readStack(): Uint8Array {
    const top = this.x.state.lo[10]! >>> 0;
    return this.readMemory(top - 512, 512);
  }

  /** Stops before executing instruction `pc` whenever the run reaches it. */
  setBreakpoint(pc: number): void {
    if (pc < 0 || pc * STRIDE >= this.x.code.length) throw new RangeError(`no instruction ${pc}`);
    this.breakpoints.add(pc);
    this.x.code[pc * STRIDE] = OP_BREAK;
  }

  /** Removes a breakpoint. */
  clearBreakpoint(pc: number): void {
    this.breakpoints.delete(pc);
    this.x.code[pc * STRIDE] = this.original[pc * STRIDE]!;
  }

  /** Executes up to `n` instructions (default 1); stops early at exit, fault or breakpoint. */
  step(n = 1): StepStatus {
    return this.advance(Math.min(this.x.state.count + n, this.limit));
  }

  /** Runs until a breakpoint, exit, fault or the budget. */
  continue(): StepStatus {
    return this.advance(this.limit);
  }

  /** Runs until the next instruction to execute is `pc` (or the run stops otherwise). */
  runTo(pc: number): StepStatus {
    const had = this.breakpoints.has(pc);
    if (!had) this.setBreakpoint(pc);
    try {
      return this.continue();
    } finally {
      if (!had) this.clearBreakpoint(pc);
    }
  }

  /** r0 after the program exited. */
  get r0(): bigint | undefined {
    return this.status === 'exited' ? this.reg(0) : undefined;
  }

  private advance(budget: number): StepStatus {
    if (this.status === 'exited' || this.status === 'faulted') return this.status;
    const st = this.x.state;
    try {
      if (this.status === 'breakpoint' && this.breakpoints.has(st.pc)) {
        // Execute the instruction under the breakpoint once with its original opcode.
        const at = st.pc * STRIDE;
        this.x.code[at] = this.original[at]!;
        st.budget = st.count + 1;
        const stop = interpret(this.x.code, st, this.x.env);
        this.x.code[at] = OP_BREAK;
        if (stop === STOP_EXIT) return (this.status = 'exited');
      }
      if (st.count >= budget) return (this.status = 'paused');
      st.budget = budget;
      const stop = interpret(this.x.code, st, this.x.env);
      this.status = stop === STOP_EXIT ? 'exited' : stop === STOP_BREAK ? 'breakpoint' : 'paused';
      if (stop === STOP_BUDGET && st.count >= this.limit) {
        this.fault = new VmFault({
          kind: 'budget', pc: st.pc, insnText: this.x.env.describe(st.pc),
          detail: `the instruction budget of ${this.limit} ran out`,
        });
        this.status = 'faulted';
      }
      return this.status;
    } catch (e) {
      if (!(e instanceof VmFault)) throw e;
      this.fault = e;
      return (this.status = 'faulted');
    }
  }
}
