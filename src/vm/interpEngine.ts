import type { Arena } from '../arena/index.js';
import type { HelperCall, HelperEnv, HelperImpl } from '../helpers/index.js';
import { disasmInsn } from '../isa/index.js';
import type { Engine, ExecOptions, ExecResult, Executable, ProgramImage } from './engine.js';
import { VmFault } from './fault.js';
import { faultText } from './faultText.js';
import { interpret } from './interpreter.js';
import type { ExecEnv } from './interpreter.js';
import { CALLBACK_RETURN, FRAME_WORDS, InterpState, MAY_GOTO_BUDGET, STOP_BUDGET, STOP_EXIT } from './interpState.js';
import type { Machine } from './machine.js';
import { predecode } from './predecode.js';
import { MAX_CALL_FRAMES } from '../isa/index.js';
import { ProgArrayMap } from '../maps/index.js';

/** The parts of a Machine the interpreter uses. */
export type InterpHost = Pick<Machine, 'arena' | 'helpers' | 'kfuncs' | 'frameTops' | 'maps' | 'deferCall'> & HelperEnv;

/** Mutable run environment of one interpreted executable. */
export class InterpEnv implements ExecEnv {
  readonly arena: Arena;
  readonly helpers: (HelperImpl | undefined)[];
  readonly kfuncs: ReadonlyMap<number, HelperImpl>;
  readonly call: { lo: Int32Array; hi: Int32Array; cpu: number; env: HelperEnv } & HelperCall;
  frameTops: Int32Array;
  checked: boolean;
  unwindHelper = -1;
  packet = { start: 0, len: 0 };
  /** The program running now (a tail call changes it) and its code. */
  private image: ProgramImage;
  private current: Int32Array;
  private readonly origin: { image: ProgramImage; code: Int32Array };
  private readonly host: InterpHost;
  private readonly st: InterpState;

  constructor(host: InterpHost, image: ProgramImage, code: Int32Array, st: InterpState, checked: boolean) {
    this.host = host;
    this.st = st;
    this.arena = host.arena;
    this.helpers = host.helpers.impls();
    this.kfuncs = new Map([...host.kfuncs].map(([id, k]) => [id, k.impl]));
    this.call = {
      lo: st.lo, hi: st.hi, cpu: 0, env: host,
      invoke: (fn, a1, a2, a3, a4, a5) => this.invoke(fn, a1, a2, a3, a4, a5),
      defer: (fn) => host.deferCall(this.image, fn, 'interp', this.checked, this.call.cpu),
    };
    this.frameTops = host.frameTops(0);
    this.checked = checked;
    this.image = image;
    this.current = code;
    this.origin = { image, code };
  }

  /** Makes the executable's own program current again (at the start of a run). */
  restart(): void {
    this.image = this.origin.image;
    this.current = this.origin.code;
  }

  /** The instruction's text, for fault messages. */
  describe(pc: number): string {
    return this.image.insns[pc] ? disasmInsn(this.image.insns, pc) : faultText.noInsn(pc);
  }

  /** `bpf_tail_call`: the target's code, made current, or undefined to fall through. */
  tailCall(mapAddr: number, index: number): Int32Array | undefined {
    const map = this.host.maps.byAddress(mapAddr);
    if (!(map instanceof ProgArrayMap)) return undefined;
    const target = map.program(index) as { executable?: (engine: string, checked: boolean) => Executable } | undefined;
    if (!target?.executable) return undefined;
    const x = target.executable('interp', this.checked) as InterpExecutable;
    this.image = x.image;
    this.current = x.code;
    return x.code;
  }

  /** Runs the BPF function at pc `fn` of the current program as a callback and returns its r0. */
  invoke(fn: number, a1: number, a2: number, a3: number, a4: number, a5: number): number {
    const st = this.st;
    const L = st.lo;
    const H = st.hi;
    const depth = st.depth;
    const fail = (detail: string, kind: 'call-depth' | 'unsupported'): never => {
      throw new VmFault({ kind, pc: st.pc, insnText: this.describe(st.pc), detail });
    };
    if (!Number.isInteger(fn) || fn <= 0 || fn * 4 >= this.current.length) fail(faultText.notAFunction(fn), 'unsupported');
    if (depth + 1 >= MAX_CALL_FRAMES) fail(faultText.callbackDepth(depth), 'call-depth');
    const f = depth * FRAME_WORDS;
    st.frames[f] = CALLBACK_RETURN;
    st.codes[depth] = this.current;
    for (let r = 6; r <= 10; r++) { st.frames[f + 2 * (r - 6) + 1] = L[r]!; st.frames[f + 2 * (r - 6) + 2] = H[r]!; }
    const args = [a1, a2, a3, a4, a5];
    for (let i = 0; i < 5; i++) { L[i + 1] = args[i]! | 0; H[i + 1] = Math.floor(args[i]! / 4294967296) | 0; }
    L[10] = this.frameTops[depth + 1]!;
    H[10] = 0;
    st.depth = depth + 1;
    st.mayGoto[depth + 1] = MAY_GOTO_BUDGET;
    const caller = st.pc;
    st.pc = fn;
    const stop = interpret(this.current, st, this);
    st.pc = caller;
    if (stop === STOP_BUDGET) {
      throw new VmFault({ kind: 'budget', pc: caller, insnText: this.describe(caller), detail: faultText.callbackBudget(st.budget) });
    }
    if (stop !== STOP_EXIT) fail('a callback stopped at a breakpoint', 'unsupported');
    return H[0]! * 4294967296 + (L[0]! >>> 0);
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
    this.env = new InterpEnv(host, image, this.code.slice(), this.state, checked);
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
    env.restart();
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
        detail: faultText.budget(opts.budget),
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
