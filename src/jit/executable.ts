import type { Region } from '../arena/index.js';
import type { HelperCall, HelperEnv, HelperImpl } from '../helpers/index.js';
import { MAX_BPF_STACK, MAX_CALL_FRAMES } from '../isa/index.js';
import type { ExecOptions, ExecResult, Executable, Machine, ProgramImage } from '../vm/index.js';
import { compileProgram } from './compile.js';
import type { JitStats } from './compile.js';
import { findRegion, programFault, trapFault } from './faults.js';
import { ENTRY_BYTES, Fault, IO, STACK_ENTRIES, TABLE_ENTRIES } from './layout.js';

/** The parts of a Machine the JIT uses. */
export type JitHost = Pick<Machine, 'arena' | 'helpers' | 'frameTops'> & HelperEnv;

const TWO32 = 4294967296;
const W = {
  r0: IO.r0 >> 2, left: IO.left >> 2, packet: IO.packet >> 2, frames: IO.frames >> 2, tableLen: IO.tableLen >> 2, dirty: IO.dirty >> 2,
  lo: IO.lo >> 2, hi: IO.hi >> 2, table: IO.table >> 2, entry: ENTRY_BYTES >> 2,
};

/** Returns an executable's scratch area to the arena once the executable is garbage. */
const scratchReleaser = new FinalizationRegistry<{ host: JitHost; region: Region }>(({ host, region }) => host.arena.release(region));

/** The HelperCall a JIT-compiled program passes: `lo`/`hi` are views of its scratch area, re-taken when the memory grows. */
class JitHelperCall implements HelperCall {
  lo: Int32Array = new Int32Array(0);
  hi: Int32Array = new Int32Array(0);
  cpu = -1;
  readonly env: HelperEnv;

  constructor(env: HelperEnv) {
    this.env = env;
  }
}

/**
 * A program compiled to WebAssembly and instantiated on the Machine's memory. A run is one call
 * into the module: `exec` copies the arguments (and, when they change, the CPU's frame tops) into
 * the scratch area, calls `run`, and reads r0 back, allocating nothing.
 */
export class JitExecutable implements Executable {
  readonly engine = 'jit';
  readonly image: ProgramImage;
  readonly checked: boolean;
  /** How the program was compiled (functions structured or dispatched, blocks, loops, module size). */
  readonly stats: JitStats;
  /** Milliseconds spent preparing it: code generation, WebAssembly compilation and instantiation. */
  readonly compileMs: number;
  private readonly host: JitHost;
  private readonly scratch: Region;
  private readonly impls: readonly (HelperImpl | undefined)[];
  private readonly call: JitHelperCall;
  private readonly pcMap: Int32Array;
  private readonly run: () => number;
  private readonly result: ExecResult = { r0lo: 0, r0hi: 0, insns: 0 };
  /** Regions in the region cache after the stack frames, in entry order. */
  private readonly cached: Region[] = [];
  private io: Int32Array = new Int32Array(0);
  private cpu = -1;
  private unwind = -1;
  private budget = 0;

  constructor(host: JitHost, image: ProgramImage, checked: boolean) {
    const t0 = performance.now();
    this.host = host;
    this.image = image;
    this.checked = checked;
    this.scratch = host.arena.alloc(IO.size, 'mem', `jit scratch[${image.name}]`, { mapped: false });
    scratchReleaser.register(this, { host, region: this.scratch });
    this.impls = host.helpers.impls();
    this.call = new JitHelperCall(host);
    const compiled = compileProgram(image.insns, {
      checked, scratch: this.scratch.start, hasHelper: (id) => this.impls[id] !== undefined,
    });
    this.stats = compiled.stats;
    this.pcMap = compiled.pcMap;
    const env: Record<string, unknown> = {
      memory: host.arena.memory,
      fault: (reason: number, pc: number, arg: number): never => {
        throw programFault(image.insns, reason, pc, arg, this.budget);
      },
    };
    if (checked) env['slow'] = (lo: number, hi: number, size: number, write: number, pc: number): number => this.slow(lo, hi, size, write, pc);
    if (compiled.callx) {
      env['helperx'] = (id: number, pc: number): number => {
        const impl = this.impls[id];
        if (!impl) throw programFault(image.insns, Fault.unknownHelper, pc, id, this.budget);
        return this.helperReturn(id, impl(this.call));
      };
    }
    for (const id of compiled.helperIds) {
      const impl = this.impls[id]!;
      env[`h${id}`] = (): number => this.helperReturn(id, impl(this.call));
    }
    const instance = new WebAssembly.Instance(new WebAssembly.Module(compiled.bytes), { env } as WebAssembly.Imports);
    this.run = instance.exports['run'] as () => number;
    this.compileMs = performance.now() - t0;
  }

  exec(args: Int32Array, opts: ExecOptions): ExecResult {
    let io = this.io;
    if (io.length === 0) io = this.bind();
    if (opts.cpu !== this.cpu) this.selectCpu(opts.cpu);
    const n = args.length < 10 ? args.length : 10;
    let i = 0;
    for (; i < n; i++) io[i] = args[i]!;
    for (; i < 10; i++) io[i] = 0;
    io[W.packet] = opts.packet.start;
    io[W.packet + 1] = opts.packet.len;
    this.unwind = opts.unwindHelper;
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
    io = this.io;
    if (io.length === 0) io = this.bind();
    const r = this.result;
    r.r0lo = io[W.r0]!;
    r.r0hi = io[W.r0 + 1]!;
    r.insns = this.checked ? this.budget - (io[W.left + 1]! * TWO32 + (io[W.left]! >>> 0)) : 0;
    return r;
  }

  /** (Re-)takes the views of the scratch area after the memory was created or has grown. */
  private bind(): Int32Array {
    this.io = new Int32Array(this.host.arena.memory.buffer, this.scratch.start, IO.size >> 2);
    this.call.lo = this.io.subarray(W.lo, W.lo + 16);
    this.call.hi = this.io.subarray(W.hi, W.hi + 16);
    return this.io;
  }

  /** Points the module at a CPU's stack frames (and, in checked mode, seeds the region cache with them). */
  private selectCpu(cpu: number): void {
    const tops = this.host.frameTops(cpu);
    const io = this.io;
    for (let d = 0; d < MAX_CALL_FRAMES; d++) {
      io[W.frames + d] = tops[d]!;
      const e = W.table + d * W.entry;
      io[e] = tops[d]! - MAX_BPF_STACK;
      io[e + 1] = MAX_BPF_STACK;
      io[e + 2] = 1;
    }
    this.writeEntries(STACK_ENTRIES);
    this.cpu = cpu;
    this.call.cpu = cpu;
  }

  /** A helper's r0 into `lo[0]/hi[0]`; returns 1 when the run must end (uBPF's unwind convention). */
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
    if (this.io.length === 0) this.bind();
    this.call.lo[0] = lo;
    this.call.hi[0] = hi;
    if (this.cached.length > 0) this.revalidate();
    return id === this.unwind && lo === 0 && hi === 0 ? 1 : 0;
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
    const io = this.io.length === 0 ? this.bind() : this.io;
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
    const io = this.io.length === 0 ? this.bind() : this.io;
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
