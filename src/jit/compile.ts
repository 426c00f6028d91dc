import { BPF_CALL, BPF_JMP, BPF_K, BPF_PSEUDO_CALL, BPF_X, insnClass, insnOp, insnSrc } from '../isa/index.js';
import type { Insn } from '../isa/index.js';
import { buildProgramCfg } from './cfg.js';
import type { ProgramCfg } from './cfg.js';
import { checkFunction } from './checked.js';
import { regsOf } from './emitCall.js';
import type { CalleeShape } from './emitCall.js';
import type { ModuleRefs } from './emitter.js';
import { emitFunction } from './emitFunction.js';
import { analyseGraph } from './dominators.js';
import { IO, STATUS_EXIT } from './layout.js';
import { callShapes } from './liveness.js';
import { FuncBuilder } from './wasm/func.js';
import { ModuleBuilder } from './wasm/module.js';
import { I32, I64, Op } from './wasm/ops.js';

/** How a program was compiled; the test suite sums these over its corpus. */
export interface JitStats {
  /** BPF functions compiled (the main program and every bpf-to-bpf call target). */
  readonly functions: number;
  /** Functions with reducible control flow, compiled to structured `block`/`loop`/`if`. */
  readonly structured: number;
  /** Functions with irreducible control flow, compiled to a `loop` + `br_table` dispatch. */
  readonly dispatch: number;
  /** Basic blocks over all functions. */
  readonly blocks: number;
  /** Loop headers over all functions. */
  readonly loops: number;
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
  /** Whether it imports `env.helperx` (for `call %rN`). */
  readonly callx: boolean;
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
}

function isCall(ins: Insn | undefined): ins is Insn {
  return ins !== undefined && insnClass(ins.code) === BPF_JMP && insnOp(ins.code) === BPF_CALL;
}

function scanCalls(insns: readonly Insn[], prog: ProgramCfg, hasHelper: (id: number) => boolean): { helpers: number[]; callx: boolean; mainCalled: boolean } {
  const helpers = new Set<number>();
  let callx = false;
  let mainCalled = false;
  for (const fn of prog.functions) {
    for (const b of fn.blocks) {
      for (const pc of b.pcs) {
        const ins = insns[pc];
        if (!isCall(ins)) continue;
        if (insnSrc(ins.code) === BPF_X) callx = true;
        else if (ins.src === BPF_K && hasHelper(ins.imm)) helpers.add(ins.imm);
        else if (ins.src === BPF_PSEUDO_CALL && pc + 1 + ins.imm === 0) mainCalled = true;
      }
    }
  }
  return { helpers: [...helpers].sort((a, b) => a - b), callx, mainCalled };
}

/**
 * The exported `run() -> status`: arguments from the scratch area into function 0, r0 (and the
 * budget left) back. The last regions hit stay cached from run to run unless the Executable found
 * the region table changed.
 */
function runFunction(refs: ModuleRefs, main: CalleeShape): FuncBuilder {
  const f = new FuncBuilder([]);
  const t = f.local(I64);
  const io = refs.scratch;
  if (refs.checked) {
    f.i32(0); f.mem(Op.i64Load, 3, io + IO.left); f.gset(refs.gLeft);
    f.i32(0); f.mem(Op.i32Load, 2, io + IO.dirty);
    f.if();
    f.i64(0, 0); f.gset(refs.readCache.span);
    f.i64(0, 0); f.gset(refs.writeCache.span);
    f.i32(0); f.i32(0); f.mem(Op.i32Store, 2, io + IO.dirty);
    f.end();
  }
  f.i32(0);
  for (let r = 1; r <= 5; r++) { f.i32(0); f.mem(Op.i64Load, 3, io + IO.args + 8 * (r - 1)); }
  for (let k = 0; k < main.extraParams.length; k++) f.i64(0, 0);
  f.call(main.fn);
  for (let k = 0; k < main.extraResults.length; k++) f.op(Op.drop);
  f.set(t);
  f.i32(0); f.get(t); f.mem(Op.i64Store, 3, io + IO.r0);
  if (refs.checked) { f.i32(0); f.gget(refs.gLeft); f.mem(Op.i64Store, 3, io + IO.left); }
  f.i32(STATUS_EXIT);
  return f;
}

/**
 * Compiles a validated program, with all its BPF functions, into one WebAssembly module that
 * imports the machine's memory (`env.memory`), a fault reporter, the helpers it calls and, in
 * checked mode, the slow path of the access check; it exports `run`.
 */
export function compileProgram(insns: readonly Insn[], opts: CompileOptions): CompiledProgram {
  const prog = buildProgramCfg(insns);
  const shapes = callShapes(insns, prog);
  const calls = scanCalls(insns, prog, opts.hasHelper);
  const m = new ModuleBuilder();
  m.importMemory('env', 'memory', 0);
  const faultFn = m.importFunc('env', 'fault', [I32, I32, I32], []);
  const slow = opts.checked ? m.importFunc('env', 'slow', [I32, I32, I32, I32, I32], [I32]) : -1;
  const helperx = calls.callx ? m.importFunc('env', 'helperx', [I32, I32], [I32]) : -1;
  const helperFns = new Map<number, number>();
  for (const id of calls.helpers) helperFns.set(id, m.importFunc('env', `h${id}`, [], [I32]));
  const zero = [Op.i64Const, 0];
  const g = opts.checked
    ? { left: m.global(I64, zero), rs: m.global(I64, zero), rn: m.global(I64, zero), ws: m.global(I64, zero), wn: m.global(I64, zero) }
    : { left: -1, rs: -1, rn: -1, ws: -1, wn: -1 };
  const fnShapes: CalleeShape[] = prog.functions.map((_, i) => {
    const extraParams = regsOf(shapes.extraParams[i]!);
    const extraResults = regsOf(shapes.extraResults[i]!);
    const fn = m.declare([I32, I64, I64, I64, I64, I64, ...extraParams.map(() => I64)], [I64, ...extraResults.map(() => I64)]);
    return { fn, extraParams, extraResults };
  });
  const chkR = opts.checked ? m.declare([I64, I32, I32], [I32]) : -1;
  const chkW = opts.checked ? m.declare([I64, I32, I32], [I32]) : -1;
  const run = m.declare([], [I32]);
  m.exportFunc('run', run);
  const refs: ModuleRefs = {
    scratch: opts.scratch, checked: opts.checked, faultFn, chkR, chkW, helperx, helperFns,
    gLeft: g.left, readCache: { start: g.rs, span: g.rn }, writeCache: { start: g.ws, span: g.wn },
  };
  const shapeOf = (entry: number): CalleeShape => fnShapes[prog.index.get(entry)!]!;
  let structured = 0;
  let blocks = 0;
  let loops = 0;
  const bodies: FuncBuilder[] = [];
  prog.functions.forEach((cfg, i) => {
    const graph = analyseGraph(cfg.blocks.map((b) => b.succs), cfg.entryBlock);
    const atDepth0 = i !== 0 ? 'never' : calls.mainCalled ? 'maybe' : 'always';
    const { body, mode } = emitFunction(insns, { cfg, graph, shape: fnShapes[i]!, writesR10: shapes.writesR10[i]!, atDepth0 }, refs, shapeOf);
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
  const built = m.finish();
  const pairs: number[] = [];
  bodies.forEach((b, i) => {
    for (let k = 0; k < b.marks.length; k += 2) pairs.push(built.codeStarts[i]! + b.marks[k]!, b.marks[k + 1]!);
  });
  const n = prog.functions.length;
  return {
    bytes: built.bytes,
    stats: { functions: n, structured, dispatch: n - structured, blocks, loops, wasmBytes: built.bytes.length },
    helperIds: calls.helpers,
    callx: calls.callx,
    pcMap: Int32Array.from(pairs),
  };
}
