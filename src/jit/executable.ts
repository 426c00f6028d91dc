import type { Region } from '../arena/index.js';
import type { DeferredCall, HelperCall, HelperEnv, HelperImpl } from '../helpers/index.js';
import { MAX_BPF_STACK, MAX_CALL_FRAMES } from '../isa/index.js';
import { ProgArrayMap } from '../maps/index.js';
import type { ArrayLayout } from '../maps/index.js';
import { BPF_FUNC_tail_call, MAX_TAIL_CALL_CNT, VmFault, faultText, probeAddress } from '../vm/index.js';
import type { ExecOptions, ExecResult, Executable, Machine, ProgramImage } from '../vm/index.js';
import { compileProgram } from './compile.js';
import type { JitStats } from './compile.js';
import { findRegion, insnText, programFault, trapFault } from './faults.js';
import { ENTRY_BYTES, Fault, IO, STACK_ENTRIES, TABLE_ENTRIES, TAIL_TAKEN } from './layout.js';

/** The parts of a Machine the JIT uses. */
export type JitHost = Pick<Machine, 'arena' | 'helpers' | 'kfuncs' | 'frameTops' | 'maps' | 'deferCall'> & HelperEnv;

const TWO32 = 4294967296;
/** Offsets of the scratch area in 32-bit words. */
const W = {
  regs: IO.regs >> 2, left: IO.left >> 2, packet: IO.packet >> 2, frames: IO.frames >> 2, tableLen: IO.tableLen >> 2,
  dirty: IO.dirty >> 2, unwind: IO.unwind >> 2, mayGoto: IO.mayGoto >> 2, lo: IO.lo >> 2, hi: IO.hi >> 2,
  table: IO.table >> 2, entry: ENTRY_BYTES >> 2,
};

/** Returns an executable's scratch area to the arena once the executable is garbage. */
const scratchReleaser = new FinalizationRegistry<{ host: JitHost; region: Region }>(({ host, region }) => host.arena.release(region));

/** The HelperCall a JIT-compiled program passes: `lo`/`hi` are views of its scratch area, re-taken when the memory grows. */
class JitHelperCall implements HelperCall {
  lo: Int32Array = new Int32Array(0);
  hi: Int32Array = new Int32Array(0);
  cpu = -1;
  readonly env: HelperEnv;
  readonly invoke: (fn: number, a1: number, a2: number, a3: number, a4: number, a5: number) => number;
  readonly defer: (fn: number) => DeferredCall;

  constructor(env: HelperEnv, invoke: JitHelperCall['invoke'], defer: JitHelperCall['defer']) {
    this.env = env;
    this.invoke = invoke;
    this.defer = defer;
  }
}

/** What `prepare` passes to compile a program: the array maps whose lookups may be inlined. */
export interface JitOptions {
  /** The array map at a map address whose `bpf_map_lookup_elem` may be compiled inline. */
  readonly arrayAt?: (addr: number) => ArrayLayout | undefined;
}

/**
 * A program compiled to WebAssembly and instantiated on the Machine's memory. A run is one call
 * into the module: `exec` copies the arguments (and, when they change, the CPU's frame tops) into
 * the scratch area, calls `run`, and reads r0 back, allocating nothing. A tail call is a call from
 * the module into the `tail` import, which runs the target's own module on the same frame (see
 * `enter`); a callback is a call from a helper into the module's `cb` export (see `invoke`).
 */
export class JitExecutable implements Executable {
  readonly engine = 'jit';
  readonly image: ProgramImage;
  readonly checked: boolean;
  /** How the program was compiled (functions structured or dispatched, blocks, loops, inline lookups, module size). */
  readonly stats: JitStats;
  /** Milliseconds spent preparing it: code generation, WebAssembly compilation and instantiation. */
  readonly compileMs: number;
  private readonly host: JitHost;
  private readonly opts: JitOptions;
  private readonly r10Varies: boolean;
  private readonly scratch: Region;
  private readonly impls: readonly (HelperImpl | undefined)[];
  private readonly call: JitHelperCall;
  private readonly pcMap: Int32Array;
  private readonly run: () => void;
  private readonly tailEntry: (depth: number) => void;
  private readonly cbEntry?: (k: number, depth: number) => void;
  /** Callback number (for `cb`) by entry slot. */
  private readonly callbacks: ReadonlyMap<number, number>;
  private readonly callbackFrame: boolean;
  /** r6..r9 of the frame that called a helper, kept per depth across each callback it runs. */
  private readonly frameSave = new Int32Array(MAX_CALL_FRAMES * 8);
  private readonly perCpu: readonly { readonly global: WebAssembly.Global; readonly bases: readonly number[] }[];
  private readonly result: ExecResult = { r0lo: 0, r0hi: 0, insns: 0 };
  /** Regions in the region cache after the stack frames, in entry order. */
  private readonly cached: Region[] = [];
  private io: Int32Array = new Int32Array(0);
  private cpu = -1;
  private unwind = -1;
  private budget = 0;
  /** Tail calls taken so far in the run (carried from executable to executable through `enter`). */
  private tailCalls = 0;
  /** Slot and depth of the helper call running now (a callback it makes runs one frame deeper). */
  private sitePc = -1;
  private siteDepth = 0;
  /** Slot of the helper call whose callback is running, or -1: a budget fault is reported there, as the interpreter does. */
  private callbackPc = -1;
  /** This program compiled for an entry whose r10 is not the frame top (see `enter`), made when first needed. */
  private variant?: JitExecutable;

  constructor(host: JitHost, image: ProgramImage, checked: boolean, opts: JitOptions = {}, r10Varies = false) {
    const t0 = performance.now();
    this.host = host;
    this.image = image;
    this.checked = checked;
    this.opts = opts;
    this.r10Varies = r10Varies;
    this.scratch = host.arena.alloc(IO.size, 'mem', `jit scratch[${image.name}]`, { mapped: false });
    scratchReleaser.register(this, { host, region: this.scratch });
    this.impls = host.helpers.impls();
    this.call = new JitHelperCall(
      host,
      (fn, a1, a2, a3, a4, a5) => this.invoke(fn, a1, a2, a3, a4, a5),
      (fn) => host.deferCall(image, fn, this.engine, checked, this.cpu),
    );
    const compiled = compileProgram(image.insns, {
      checked, scratch: this.scratch.start, hasHelper: (id) => this.impls[id] !== undefined, hasKfunc: (id) => host.kfuncs.has(id), r10Varies,
      ...(opts.arrayAt ? { arrayAt: opts.arrayAt } : {}),
    });
    this.stats = compiled.stats;
    this.pcMap = compiled.pcMap;
    this.callbacks = new Map(compiled.callbacks.map((pc, k) => [pc, k]));
    this.callbackFrame = compiled.callbackFrame;
    const env: Record<string, unknown> = {
      memory: host.arena.memory,
      fault: (reason: number, pc: number, arg: number): never => {
        const at = this.callbackPc;
        if (reason === Fault.budget && at >= 0) {
          throw new VmFault({ kind: 'budget', pc: at, insnText: insnText(image.insns, at), detail: faultText.callbackBudget(this.budget) });
        }
        throw programFault(image.insns, reason, pc, arg, this.budget);
      },
    };
    if (checked) env['slow'] = (lo: number, hi: number, size: number, write: number, pc: number): number => this.slow(lo, hi, size, write, pc);
    if (compiled.tail) env['tail'] = (depth: number): number => (this.tail(depth) ? 1 : 0);
    env['probe'] = (lo: number, hi: number, size: number): number => probeAddress(host.arena, lo, hi, 0, size);
    if (compiled.callx) {
      env['helperx'] = (id: number, pc: number, depth: number): number => {
        if (id === BPF_FUNC_tail_call) return this.tail(depth) ? TAIL_TAKEN : this.keepR0();
        const impl = this.impls[id];
        if (!impl) throw programFault(image.insns, Fault.unknownHelper, pc, id, this.budget);
        return this.helper(id, impl, pc, depth);
      };
    }
    for (const id of compiled.helperIds) {
      const impl = this.impls[id]!;
      env[`h${id}`] = (pc: number, depth: number): number => this.helper(id, impl, pc, depth);
    }
    for (const id of compiled.kfuncIds) {
      const impl = host.kfuncs.get(id)!.impl;
      env[`k${id}`] = (pc: number): void => { this.helperReturn(-1, this.runHelper(impl, pc)); };
    }
    const instance = new WebAssembly.Instance(new WebAssembly.Module(compiled.bytes), { env } as WebAssembly.Imports);
    const exports = instance.exports;
    this.run = exports['run'] as () => void;
    this.tailEntry = exports['tail'] as (depth: number) => void;
    if (exports['cb']) this.cbEntry = exports['cb'] as (k: number, depth: number) => void;
    this.perCpu = compiled.perCpu.map((p) => ({ global: exports[p.name] as WebAssembly.Global, bases: p.bases }));
    this.compileMs = performance.now() - t0;
  }

  exec(args: Int32Array, opts: ExecOptions): ExecResult {
    let io = this.bound();
    if (opts.cpu !== this.cpu) this.selectCpu(opts.cpu);
    const n = args.length < 10 ? args.length : 10;
    let i = 0;
    for (; i < n; i++) io[W.regs + 2 + i] = args[i]!;
    for (; i < 10; i++) io[W.regs + 2 + i] = 0;
    io[W.packet] = opts.packet.start;
    io[W.packet + 1] = opts.packet.len;
    io[W.unwind] = opts.unwindHelper;
    this.unwind = opts.unwindHelper;
    this.tailCalls = 0;
    this.callbackPc = -1;
    if (this.checked) {
      const b = Math.max(0, Math.min(Math.floor(opts.budget), Number.MAX_SAFE_INTEGER));
      this.budget = b;
      io[W.left] = b | 0;
      io[W.left + 1] = Math.floor(b / TWO32) | 0;
      if (this.cached.length > 0) this.revalidate();
    }
    try {
      this.run();
    } catch (e) {
      throw e instanceof WebAssembly.RuntimeError ? trapFault(e, this.image.insns, this.pcMap) : e;
    }
    io = this.bound();
    const r = this.result;
    r.r0lo = io[W.regs]!;
    r.r0hi = io[W.regs + 1]!;
    r.insns = this.checked ? this.budget - (io[W.left + 1]! * TWO32 + (io[W.left]! >>> 0)) : 0;
    return r;
  }

  /** The scratch area's view, (re-)taken after the memory was created or has grown. */
  private bound(): Int32Array {
    if (this.io.length > 0) return this.io;
    this.io = new Int32Array(this.host.arena.memory.buffer, this.scratch.start, IO.size >> 2);
    this.call.lo = this.io.subarray(W.lo, W.lo + 16);
    this.call.hi = this.io.subarray(W.hi, W.hi + 16);
    return this.io;
  }

  /** Points the module at a CPU's stack frames and per-CPU arrays (and, in checked mode, seeds the region cache with the frames). */
  private selectCpu(cpu: number): void {
    const tops = this.host.frameTops(cpu);
    const io = this.bound();
    for (let d = 0; d < MAX_CALL_FRAMES; d++) {
      io[W.frames + d] = tops[d]!;
      const e = W.table + d * W.entry;
      io[e] = tops[d]! - MAX_BPF_STACK;
      io[e + 1] = MAX_BPF_STACK;
      io[e + 2] = 1;
    }
    for (const p of this.perCpu) p.global.value = p.bases[cpu]! | 0;
    this.writeEntries(STACK_ENTRIES);
    this.cpu = cpu;
    this.call.cpu = cpu;
  }

  /**
   * A helper import: notes where it is called from (for the callbacks it may make), runs it, and
   * reports a RangeError from it (an access outside the memory) as the interpreter does.
   */
  private helper(id: number, impl: HelperImpl, pc: number, depth: number): number {
    this.sitePc = pc;
    this.siteDepth = depth;
    return this.helperReturn(id, this.runHelper(impl, pc));
  }

  /** Runs a helper or kfunc called at `pc`, reporting a RangeError from it (an access outside the memory) as the interpreter does. */
  private runHelper(impl: HelperImpl, pc: number): number | bigint {
    try {
      return impl(this.call);
    } catch (e) {
      if (!(e instanceof RangeError)) throw e;
      throw new VmFault({ kind: 'out-of-bounds', pc, insnText: insnText(this.image.insns, pc), detail: faultText.outsideMemory(e.message) });
    }
  }

  /** A helper's r0 into `lo[0]/hi[0]`; returns 1 when the run must end (uBPF's unwind convention; a kfunc passes id -1, which never does). */
  private helperReturn(id: number, r: number | bigint): number {
    let lo: number;
    let hi: number;
    if (typeof r === 'number') {
      lo = r | 0;
      hi = Math.floor(r / TWO32) | 0;
    } else {
      const u = BigInt.asUintN(64, r);
      lo = Number(u & 0xffffffffn) | 0;
      hi = Number(u >> 32n) | 0;
    }
    this.bound();
    this.call.lo[0] = lo;
    this.call.hi[0] = hi;
    if (this.cached.length > 0) this.revalidate();
    return id >= 0 && id === this.unwind && lo === 0 && hi === 0 ? 1 : 0;
  }

  /** `call %rN` with rN = 12 that found no target: r0 stays, through `lo[0]/hi[0]`. */
  private keepR0(): number {
    const io = this.bound();
    io[W.lo] = io[W.regs]!;
    io[W.hi] = io[W.regs + 1]!;
    return 0;
  }

  /**
   * `bpf_tail_call(ctx, r2 = prog_array, r3 = index)` from depth `depth`, with this frame's
   * registers in `regs`: finds the target as the interpreter does (the 34th tail call of a run, a
   * map that is no PROG_ARRAY, an empty slot: none) and runs it. Returns whether it ran.
   */
  private tail(depth: number): boolean {
    const io = this.bound();
    if (io[W.regs + 5] !== 0 || this.tailCalls >= MAX_TAIL_CALL_CNT) return false;
    const map = this.host.maps.byAddress(io[W.regs + 4]! >>> 0);
    if (!(map instanceof ProgArrayMap)) return false;
    const target = map.program(io[W.regs + 6]! >>> 0) as { executable?: (engine: string, checked: boolean) => Executable } | undefined;
    if (!target?.executable) return false;
    (target.executable(this.engine, this.checked) as JitExecutable).enter(this, depth);
    if (this.cached.length > 0) this.revalidate();
    return true;
  }

  /**
   * Runs this program as the target of a tail call made by `src` at `depth`: its main function
   * starts on src's frame — every register (r1 = ctx), the stack, the may_goto counter — with the
   * run's CPU, packet, budget and tail-call count, and src gets r0..r5 and the budget back. A call
   * from the module into JavaScript and back, nested at most MAX_TAIL_CALL_CNT deep: unlike a
   * status returned to a dispatch loop in `exec`, it also works from inside a BPF function or a
   * callback, whose wasm frames must stay. The main function assumes r10 is its frame top; an
   * unverified caller that changed r10 gets a variant compiled without that assumption.
   */
  private enter(src: JitExecutable, depth: number): void {
    const sio = src.bound();
    const top = this.host.frameTops(src.cpu)[depth]!;
    if (!this.r10Varies && (sio[W.regs + 20] !== top || sio[W.regs + 21] !== 0)) {
      this.variant ??= new JitExecutable(this.host, this.image, this.checked, this.opts, true);
      this.variant.enter(src, depth);
      return;
    }
    const io = this.bound();
    if (src.cpu !== this.cpu) this.selectCpu(src.cpu);
    io.set(sio.subarray(W.regs, W.regs + 22), W.regs);
    for (const w of [W.left, W.left + 1, W.packet, W.packet + 1, W.unwind, W.mayGoto]) io[w] = sio[w]!;
    this.unwind = src.unwind;
    this.budget = src.budget;
    this.tailCalls = src.tailCalls + 1;
    const outer = this.callbackPc;
    this.callbackPc = src.callbackPc;
    if (this.cached.length > 0) this.revalidate();
    try {
      this.tailEntry(depth);
    } catch (e) {
      throw e instanceof WebAssembly.RuntimeError ? trapFault(e, this.image.insns, this.pcMap) : e;
    } finally {
      this.callbackPc = outer;
    }
    const back = this.bound();
    const to = src.bound();
    to.set(back.subarray(W.regs, W.regs + 12), W.regs);
    to[W.left] = back[W.left]!;
    to[W.left + 1] = back[W.left + 1]!;
    src.tailCalls = this.tailCalls;
  }

  /**
   * `HelperCall.invoke`: runs the callback at slot `fn` one frame below the helper call that asks
   * for it, with r1..r5 = a1..a5, through the module's `cb` export: the interpreter's checks, frame
   * and budget; r0..r5 of the calling frame are the callback's afterwards, r6..r9 stay.
   */
  private invoke(fn: number, a1: number, a2: number, a3: number, a4: number, a5: number): number {
    const pc = this.sitePc;
    const depth = this.siteDepth;
    const k = this.callbacks.get(fn);
    const fail = (kind: 'unsupported' | 'call-depth', detail: string): never => {
      throw new VmFault({ kind, pc, insnText: insnText(this.image.insns, pc), detail });
    };
    if (k === undefined) fail('unsupported', faultText.notAFunction(fn));
    if (depth + 1 >= MAX_CALL_FRAMES) fail('call-depth', faultText.callbackDepth(depth));
    let io = this.bound();
    setArg(io, 1, a1);
    setArg(io, 2, a2);
    setArg(io, 3, a3);
    setArg(io, 4, a4);
    setArg(io, 5, a5);
    const save = depth * 8;
    if (this.callbackFrame) for (let r = 0; r < 4; r++) { this.frameSave[save + r] = io[W.lo + 6 + r]!; this.frameSave[save + 4 + r] = io[W.hi + 6 + r]!; }
    const outer = this.callbackPc;
    this.callbackPc = pc;
    try {
      this.cbEntry!(k!, depth + 1);
    } finally {
      this.callbackPc = outer;
      this.sitePc = pc;
      this.siteDepth = depth;
    }
    io = this.bound();
    if (this.callbackFrame) for (let r = 0; r < 4; r++) { io[W.lo + 6 + r] = this.frameSave[save + r]!; io[W.hi + 6 + r] = this.frameSave[save + 4 + r]!; }
    return io[W.hi]! * TWO32 + (io[W.lo]! >>> 0);
  }

  /** The access check's slow path: the arena's region table; caches the region, returns its entry (or -1). */
  private slow(lo: number, hi: number, size: number, write: number, pc: number): number {
    const r = findRegion(this.host.arena, this.image.insns, pc, lo, hi, size, write === 1);
    const k = STACK_ENTRIES + this.cached.length;
    if (k >= TABLE_ENTRIES) return -1;
    this.cached.push(r);
    this.writeEntries(k);
    return k;
  }

  /** Drops cached regions the arena no longer maps, and notices changed writability; marks the cache dirty if either happened. */
  private revalidate(): void {
    const arena = this.host.arena;
    const c = this.cached;
    const io = this.bound();
    let n = 0;
    let changed = false;
    for (let i = 0; i < c.length; i++) {
      const r = c[i]!;
      if (arena.find(r.start, r.size) !== r) { changed = true; continue; }
      if (io[W.table + (STACK_ENTRIES + i) * W.entry + 2] !== (r.writable ? 1 : 0)) changed = true;
      c[n++] = r;
    }
    if (!changed) return;
    c.length = n;
    this.writeEntries(STACK_ENTRIES);
    io[W.dirty] = 1;
  }

  /** Writes the cached regions from entry `from` on, and the entry count, to the scratch area. */
  private writeEntries(from: number): void {
    const io = this.bound();
    for (let k = from; k < STACK_ENTRIES + this.cached.length; k++) {
      const r = this.cached[k - STACK_ENTRIES]!;
      const e = W.table + k * W.entry;
      io[e] = r.start;
      io[e + 1] = r.size;
      io[e + 2] = r.writable ? 1 : 0;
    }
    io[W.tableLen] = STACK_ENTRIES + this.cached.length;
  }
}

/** A callback argument into `lo/hi[r]`, as the interpreter splits a helper's number into halves. */
function setArg(io: Int32Array, r: number, v: number): void {
  io[W.lo + r] = v | 0;
  io[W.hi + r] = Math.floor(v / TWO32) | 0;
}
