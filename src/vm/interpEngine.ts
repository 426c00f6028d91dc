import type { Arena } from '../arena/index.js';
import type { HelperCall, HelperEnv, HelperImpl } from '../helpers/index.js';
import { disasmInsn } from '../isa/index.js';
import type { Engine, ExecOptions, ExecResult, Executable, ProgramImage } from './engine.js';
import { VmFault } from './fault.js';
import { interpret } from './interpreter.js';
import type { ExecEnv } from './interpreter.js';
import { InterpState, STOP_BUDGET } from './interpState.js';
import type { Machine } from './machine.js';
import { predecode } from './predecode.js';

/** The parts of a Machine the interpreter uses. */
export type InterpHost = Pick<Machine, 'arena' | 'helpers' | 'frameTops'> & HelperEnv;

/** Mutable run environment of one interpreted executable. */
export class InterpEnv implements ExecEnv {
  readonly arena: Arena;
  readonly helpers: (HelperImpl | undefined)[];
  readonly call: { lo: Int32Array; hi: Int32Array; cpu: number; env: HelperEnv } & HelperCall;
  frameTops: Int32Array;
  checked: boolean;
  unwindHelper = -1;
  packet = { start: 0, len: 0 };
  private readonly image: ProgramImage;

  constructor(host: InterpHost, image: ProgramImage, st: InterpState, checked: boolean) {
    this.arena = host.arena;
    this.helpers = host.helpers.impls();
    this.call = { lo: st.lo, hi: st.hi, cpu: 0, env: host };
    this.frameTops = host.frameTops(0);
    this.checked = checked;
    this.image = image;
  }

  /** The instruction's text, for fault messages. */
  describe(pc: number): string {
    return this.image.insns[pc] ? disasmInsn(this.image.insns, pc) : `<no instruction at ${pc}>`;
  }
}

/** A program pre-decoded for the interpreter, with its own reusable run state. */
export class InterpExecutable implements Executable {
  readonly engine = 'interp';
  readonly image: ProgramImage;
  readonly checked: boolean;
  /** The pre-decoded program (a private copy: debuggers patch breakpoints into it). */
  readonly code: Int32Array;
  /** The state of the current or last run. */
  readonly state = new InterpState();
  /** The run environment (helpers, stacks, packet). */
  readonly env: InterpEnv;
  private readonly host: InterpHost;
  private readonly result: ExecResult = { r0lo: 0, r0hi: 0, insns: 0 };

  constructor(host: InterpHost, image: ProgramImage, checked: boolean) {
    this.host = host;
    this.image = image;
    this.checked = checked;
    this.code = predecode(image.insns);
    this.env = new InterpEnv(host, image, this.state, checked);
  }

  /** Sets up a run: stack of `opts.cpu`, registers r1..r5, budget, packet. */
  begin(args: Int32Array, opts: ExecOptions): void {
    const env = this.env;
    if (env.call.cpu !== opts.cpu || env.frameTops.length === 0) {
      env.frameTops = this.host.frameTops(opts.cpu);
      env.call.cpu = opts.cpu;
    }
    env.packet = opts.packet;
    env.unwindHelper = opts.unwindHelper;
    const st = this.state;
    st.reset(env.frameTops[0]!, opts.budget);
    for (let i = 0; i < 10 && i < args.length; i += 2) {
      st.lo[1 + (i >> 1)] = args[i]!;
      st.hi[1 + (i >> 1)] = args[i + 1]!;
    }
  }

  exec(args: Int32Array, opts: ExecOptions): ExecResult {
    this.begin(args, opts);
    const st = this.state;
    if (interpret(this.code, st, this.env) === STOP_BUDGET) {
      throw new VmFault({
        kind: 'budget', pc: st.pc, insnText: this.env.describe(st.pc),
        detail: `the instruction budget of ${opts.budget} ran out (an endless loop? raise the budget to run longer)`,
      });
    }
    const r = this.result;
    r.r0lo = st.lo[0]!;
    r.r0hi = st.hi[0]!;
    r.insns = st.count;
    return r;
  }
}

/** The interpreter engine. */
export const interpreter: Engine<InterpHost> = {
  name: 'interp',
  prepare: (host, image, opts) => new InterpExecutable(host, image, opts.checked),
};
