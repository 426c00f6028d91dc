import { BPF_CALL, BPF_JMP, BPF_K, BPF_PSEUDO_KFUNC_CALL, BPF_X, insnClass, insnOp, insnSrc } from '../isa/index.js';
import type { Insn } from '../isa/index.js';
import type { ArrayLayout } from '../maps/index.js';
import { buildProgramCfg, isTailCall } from './cfg.js';
import type { ProgramCfg } from './cfg.js';
import { checkFunction } from './checked.js';
import { regsOf } from './emitCall.js';
import type { CalleeShape } from './emitCall.js';
import type { ModuleRefs } from './emitter.js';
import { emitFunction } from './emitFunction.js';
import { isProbeLoad } from './emitMem.js';
import { analyseGraph } from './dominators.js';
import { callbackFunction, runFunction, tailFunction } from './entries.js';
import { BPF_FUNC_map_lookup_elem, findArrayLookups } from './inline.js';
import type { InlineArray } from './inline.js';
import { callShapes } from './liveness.js';
import type { FuncBuilder } from './wasm/func.js';
import { ModuleBuilder } from './wasm/module.js';
import { I32, I64, Op } from './wasm/ops.js';

/** How a program was compiled; the test suite sums these over its corpus. */
export interface JitStats {
  /** BPF functions compiled (the main program, every bpf-to-bpf call target and every callback). */
  readonly functions: number;
  /** Functions with reducible control flow, compiled to structured `block`/`loop`/`if`. */
  readonly structured: number;
  /** Functions with irreducible control flow, compiled to a `loop` + `br_table` dispatch. */
  readonly dispatch: number;
  /** Basic blocks over all functions. */
  readonly blocks: number;
  /** Loop headers over all functions. */
  readonly loops: number;
  /** Functions helpers may call back (`cb` exports them). */
  readonly callbacks: number;
  /** `call bpf_tail_call` sites. */
  readonly tailCalls: number;
  /** `bpf_map_lookup_elem` calls compiled inline (array maps). */
  readonly inlineLookups: number;
  /** Size of the WebAssembly module in bytes. */
  readonly wasmBytes: number;
}

/** A program compiled to a WebAssembly module, with what the Executable needs to instantiate it. */
export interface CompiledProgram {
  /** The module's bytes. */
  readonly bytes: Uint8Array<ArrayBuffer>;
  /** How it was compiled. */
  readonly stats: JitStats;
  /** Ids of the helpers it imports (as `env.h<id>`). */
  readonly helperIds: readonly number[];
  /** BTF ids of the kfuncs it imports (as `env.k<id>`). */
  readonly kfuncIds: readonly number[];
  /** Whether it imports `env.helperx` (for `call %rN`). */
  readonly callx: boolean;
  /** Whether it imports `env.tail` (for `call bpf_tail_call`). */
  readonly tail: boolean;
  /** Entry slots of its callbacks, in the order `cb` numbers them. */
  readonly callbacks: readonly number[];
  /** Whether callbacks read r6..r9 of the frame that called the helper (which the Executable then keeps across each callback). */
  readonly callbackFrame: boolean;
  /** The globals to set to the running CPU's copy of each per-CPU array looked up inline. */
  readonly perCpu: readonly PerCpuBase[];
  /** Sorted (module byte offset, BPF pc) pairs, to name the instruction of a trap. */
  readonly pcMap: Int32Array;
}

/** Options of `compileProgram`. */
export interface CompileOptions {
  /** Bounds-check memory accesses and count instructions. */
  readonly checked: boolean;
  /** Arena address of the executable's scratch area. */
  readonly scratch: number;
  /** Whether the machine defines a helper (calls to others compile to an `unknown-helper` fault). */
  readonly hasHelper: (id: number) => boolean;
  /** Whether the machine defines a kfunc by BTF id (calls to others compile to a `kfunc` fault; default: none is). */
  readonly hasKfunc?: (id: number) => boolean;
  /** The array map at a map address, if `bpf_map_lookup_elem` on it may be inlined (default: none is). */
  readonly arrayAt?: (addr: number) => ArrayLayout | undefined;
  /** Whether a tail call may enter the main program with an r10 other than its frame top (an unverified caller wrote it). */
  readonly r10Varies?: boolean;
}

function isCall(ins: Insn | undefined): ins is Insn {
  return ins !== undefined && insnClass(ins.code) === BPF_JMP && insnOp(ins.code) === BPF_CALL;
}

/** The helpers and kfuncs a program imports (tail calls aside, which have their own import), whether it uses `call %rN`, and its tail-call sites. */
function scanCalls(insns: readonly Insn[], prog: ProgramCfg, opts: CompileOptions): { helpers: number[]; kfuncs: number[]; callx: boolean; tails: number } {
  const helpers = new Set<number>();
  const kfuncs = new Set<number>();
  const tails = new Set<number>();
  let callx = false;
  for (const fn of prog.functions) {
    for (const b of fn.blocks) {
      for (const pc of b.pcs) {
        const ins = insns[pc];
        if (!isCall(ins)) continue;
        if (insnSrc(ins.code) === BPF_X) callx = true;
        else if (isTailCall(ins)) tails.add(pc);
        else if (ins.src === BPF_K && opts.hasHelper(ins.imm)) helpers.add(ins.imm);
        else if (ins.src === BPF_PSEUDO_KFUNC_CALL && opts.hasKfunc?.(ins.imm)) kfuncs.add(ins.imm);
      }
    }
  }
  const sorted = (s: Set<number>): number[] => [...s].sort((a, b) => a - b);
  return { helpers: sorted(helpers), kfuncs: sorted(kfuncs), callx, tails: tails.size };
}

/** A per-CPU array looked up inline: the exported global the Executable sets to the running CPU's element 0. */
export interface PerCpuBase {
  /** The global's export name. */
  readonly name: string;
  /** Element 0 of each CPU's copy. */
  readonly bases: readonly number[];
}

/** The array lookups to inline, with a global per PERCPU_ARRAY for the running CPU's copy. */
function inlineArrays(m: ModuleBuilder, sites: Map<number, ArrayLayout>): { lookups: Map<number, InlineArray>; perCpu: PerCpuBase[] } {
  const globals = new Map<ArrayLayout, number>();
  const perCpu: PerCpuBase[] = [];
  const lookups = new Map<number, InlineArray>();
  for (const [pc, a] of sites) {
    let global = -1;
    if (a.perCpu) {
      global = globals.get(a) ?? m.global(I32, [Op.i32Const, 0]);
      if (!globals.has(a)) {
        globals.set(a, global);
        const name = `pcpu${perCpu.length}`;
        m.exportGlobal(name, global);
        perCpu.push({ name, bases: a.bases });
      }
    }
    lookups.set(pc, { maxEntries: a.maxEntries, stride: a.stride, base: a.perCpu ? -1 : a.bases[0]!, global });
  }
  return { lookups, perCpu };
}

/**
 * Compiles a validated program, with all its BPF functions, into one WebAssembly module that
 * imports the machine's memory (`env.memory`), a fault reporter, the helpers it calls, `tail` for
 * its tail calls and, in checked mode, the slow path of the access check; it exports `run` (a
 * run), `tail` (the program as a tail call's target), `cb` when it has callbacks, and a global per
 * per-CPU array it looks up inline.
 */
export function compileProgram(insns: readonly Insn[], opts: CompileOptions): CompiledProgram {
  const prog = buildProgramCfg(insns);
  const shapes = callShapes(insns, prog);
  const calls = scanCalls(insns, prog, opts);
  const m = new ModuleBuilder();
  m.importMemory('env', 'memory', 0);
  const faultFn = m.importFunc('env', 'fault', [I32, I32, I32], []);
  const slow = opts.checked ? m.importFunc('env', 'slow', [I32, I32, I32, I32, I32], [I32]) : -1;
  const helperx = calls.callx ? m.importFunc('env', 'helperx', [I32, I32, I32], [I32]) : -1;
  const tailFn = calls.tails > 0 ? m.importFunc('env', 'tail', [I32], [I32]) : -1;
  const probeFn = insns.some(isProbeLoad) ? m.importFunc('env', 'probe', [I32, I32, I32], [I32]) : -1;
  const helperFns = new Map<number, number>();
  for (const id of calls.helpers) helperFns.set(id, m.importFunc('env', `h${id}`, [I32, I32], [I32]));
  const kfuncFns = new Map<number, number>();
  for (const id of calls.kfuncs) kfuncFns.set(id, m.importFunc('env', `k${id}`, [I32], []));
  const zero = [Op.i64Const, 0];
  const g = opts.checked
    ? { left: m.global(I64, zero), rs: m.global(I64, zero), rn: m.global(I64, zero), ws: m.global(I64, zero), wn: m.global(I64, zero) }
    : { left: -1, rs: -1, rn: -1, ws: -1, wn: -1 };
  const inline = inlineArrays(m, calls.helpers.includes(BPF_FUNC_map_lookup_elem) && opts.arrayAt
    ? findArrayLookups(insns, prog, opts.arrayAt) : new Map());
  const fnShapes: CalleeShape[] = prog.functions.map((_, i) => {
    const extraParams = regsOf(shapes.extraParams[i]!);
    const extraResults = regsOf(shapes.extraResults[i]!);
    const frame = i === 0 ? [I64, I32] : [];
    const fn = m.declare([I32, I64, I64, I64, I64, I64, ...extraParams.map(() => I64), ...frame], [I64, ...extraResults.map(() => I64)]);
    return { fn, extraParams, extraResults, takesFrame: i === 0 };
  });
  const chkR = opts.checked ? m.declare([I64, I32, I32], [I32]) : -1;
  const chkW = opts.checked ? m.declare([I64, I32, I32], [I32]) : -1;
  const run = m.declare([], []);
  const tail = m.declare([I32], []);
  const cb = prog.callbacks.length > 0 ? m.declare([I32, I32], []) : -1;
  m.exportFunc('run', run);
  m.exportFunc('tail', tail);
  if (cb >= 0) m.exportFunc('cb', cb);
  const refs: ModuleRefs = {
    scratch: opts.scratch, checked: opts.checked, faultFn, chkR, chkW, helperx, helperFns, kfuncFns, tailFn, probeFn,
    callbacks: prog.callbacks.length > 0, callbackParams: shapes.callbackParams, helperLive: shapes.helperLive,
    inlineLookups: inline.lookups,
    gLeft: g.left, readCache: { start: g.rs, span: g.rn }, writeCache: { start: g.ws, span: g.wn },
  };
  const shapeOf = (entry: number): CalleeShape => fnShapes[prog.index.get(entry)!]!;
  let structured = 0;
  let blocks = 0;
  let loops = 0;
  const bodies: FuncBuilder[] = [];
  prog.functions.forEach((cfg, i) => {
    const graph = analyseGraph(cfg.blocks.map((b) => b.succs), cfg.entryBlock);
    // A tail call may enter the main program with any r10 its caller had; `r10Varies` compiles for that.
    const writesR10 = shapes.writesR10[i]! || (i === 0 && opts.r10Varies === true);
    const { body, mode } = emitFunction(insns, { cfg, graph, shape: fnShapes[i]!, writesR10, mayBeDepth0: i === 0 }, refs, shapeOf);
    m.define(fnShapes[i]!.fn, body);
    bodies.push(body);
    if (mode === 'structured') structured++;
    blocks += cfg.blocks.length;
    loops += graph.loopHeader.reduce((a, b) => a + b, 0);
  });
  if (opts.checked) {
    m.define(chkR, checkFunction(opts.scratch, refs.readCache, false, slow));
    m.define(chkW, checkFunction(opts.scratch, refs.writeCache, true, slow));
  }
  m.define(run, runFunction(refs, fnShapes[0]!));
  m.define(tail, tailFunction(refs, fnShapes[0]!));
  if (cb >= 0) m.define(cb, callbackFunction(refs, prog.callbacks.map(shapeOf)));
  const built = m.finish();
  const pairs: number[] = [];
  bodies.forEach((b, i) => {
    for (let k = 0; k < b.marks.length; k += 2) pairs.push(built.codeStarts[i]! + b.marks[k]!, b.marks[k + 1]!);
  });
  const n = prog.functions.length;
  return {
    bytes: built.bytes,
    stats: {
      functions: n, structured, dispatch: n - structured, blocks, loops, callbacks: prog.callbacks.length, tailCalls: calls.tails,
      inlineLookups: inline.lookups.size, wasmBytes: built.bytes.length,
    },
    helperIds: calls.helpers,
    kfuncIds: calls.kfuncs,
    callx: calls.callx,
    tail: calls.tails > 0,
    callbacks: prog.callbacks,
    callbackFrame: (shapes.callbackParams & 0b1111000000) !== 0,
    perCpu: inline.perCpu,
    pcMap: Int32Array.from(pairs),
  };
}
