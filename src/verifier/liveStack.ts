/**
 * Which stack slots may still be read (Linux 6.18's live stack analysis, kernel/bpf/liveness.c's
 * design). Registers are simple — liveness.ts finds them before verification — but a stack slot can
 * be read through any pointer, by a callee or a helper, so this analysis learns as verification
 * goes: for each call chain (the call sites leading to a function) and each instruction of the
 * function, it accumulates the slots the instruction may read (a union over every visit) and the
 * whole 8-byte slots it certainly writes (an intersection), for its own frame and the callers'.
 * When a path ends, a backwards fixed point turns these into "live before" sets, and a function's
 * entry passes its reads and certain writes to its call site in the caller's chain. Pruning uses it
 * when a checkpoint's paths are all done: slots nobody reads any more are forgotten, so states that
 * differ only there compare equal.
 */
import type { Env } from './env.js';
import type { VerifierState } from './state.js';

const MAX_FRAMES = 8;

/** Per instruction of one frame: may-read, must-write, writes-on-every-path-from-here and live-before masks (64 slots: lo/hi). */
class FrameMasks {
  readonly readLo: Int32Array; readonly readHi: Int32Array;
  readonly writeLo: Int32Array; readonly writeHi: Int32Array;
  readonly accLo: Int32Array; readonly accHi: Int32Array;
  readonly liveLo: Int32Array; readonly liveHi: Int32Array;

  constructor(n: number) {
    this.readLo = new Int32Array(n); this.readHi = new Int32Array(n);
    this.writeLo = new Int32Array(n); this.writeHi = new Int32Array(n);
    this.accLo = new Int32Array(n); this.accHi = new Int32Array(n);
    this.liveLo = new Int32Array(n); this.liveHi = new Int32Array(n);
  }
}

/** A function as reached through one call chain (func_instance). */
class Instance {
  readonly frames: (FrameMasks | null)[] = new Array<FrameMasks | null>(MAX_FRAMES).fill(null);
  readonly mustWriteSet: Uint8Array;
  updated = false;
  mustWriteDropped = false;

  constructor(
    /** Call sites of the outer frames, then this function's first instruction. */
    readonly callsites: readonly number[],
    /** First instruction of each frame's function. */
    readonly starts: readonly number[],
    readonly len: number,
  ) {
    this.mustWriteSet = new Uint8Array(len);
  }

  get curframe(): number {
    return this.callsites.length - 1;
  }

  get start(): number {
    return this.starts[this.starts.length - 1]!;
  }

  masks(frame: number): FrameMasks {
    return (this.frames[frame] ??= new FrameMasks(this.len));
  }
}

/** The analysis for one program (bpf_liveness). */
export class StackLiveness {
  private readonly instances = new Map<string, Instance>();
  private cur: Instance | null = null;
  private writeInsn = 0;
  private readonly accLo = new Int32Array(MAX_FRAMES);
  private readonly accHi = new Int32Array(MAX_FRAMES);
  /** Some write mark was set since the last reset (most instructions write no whole slot). */
  private accSet = false;
  private query: Instance[] = [];
  private queryInsn = 0;

  constructor(private readonly env: Env) {}

  private lookup(callsites: number[], starts: number[]): Instance {
    const key = callsites.join(',');
    let inst = this.instances.get(key);
    if (!inst) {
      const start = starts[starts.length - 1]!;
      const sp = this.env.shape.subprogOf[start]!;
      const end = this.env.shape.subprogs[sp + 1] ?? this.env.insns.length;
      inst = new Instance(callsites, starts, end - start);
      this.instances.set(key, inst);
    }
    return inst;
  }

  /** The instance for frame `frameno` of `st` (lookup_instance). */
  private instanceOf(st: VerifierState, frameno: number): Instance {
    const callsites: number[] = [];
    const starts: number[] = [];
    for (let i = 0; i <= frameno; i++) {
      const start = this.env.shape.subprogs[st.frames[i]!.subprog]!;
      starts.push(start);
      callsites.push(i < frameno ? st.frames[i + 1]!.callsite : start);
    }
    return this.lookup(callsites, starts);
  }

  private ensureCur(): Instance {
    this.cur ??= this.instanceOf(this.env.st, this.env.st.curframe);
    return this.cur;
  }

  /** bpf_reset_live_stack_callchain: the current path changed frames. */
  resetCallchain(): void {
    this.cur = null;
  }

  private markReadIn(inst: Instance, frame: number, insn: number, lo: number, hi: number): void {
    const m = inst.masks(frame);
    const i = insn - inst.start;
    const nlo = m.readLo[i]! | lo;
    const nhi = m.readHi[i]! | hi;
    if ((nlo !== m.readLo[i] || nhi !== m.readHi[i]) && ((nlo | m.liveLo[i]!) !== m.liveLo[i] || (nhi | m.liveHi[i]!) !== m.liveHi[i])) {
      inst.updated = true;
    }
    m.readLo[i] = nlo;
    m.readHi[i] = nhi;
  }

  /** bpf_mark_stack_read: the current instruction may read slot `spi` of frame `frame`. */
  markRead(frame: number, spi: number): void {
    this.markReadIn(this.ensureCur(), frame, this.env.insnIdx, spi < 32 ? 1 << spi : 0, spi < 32 ? 0 : 1 << (spi - 32));
  }

  /** bpf_reset_stack_write_marks: a new instruction starts. */
  resetWrites(insn: number): void {
    this.writeInsn = insn;
    if (!this.accSet) return;
    this.accSet = false;
    this.accLo.fill(0);
    this.accHi.fill(0);
  }

  /** bpf_mark_stack_write: the current instruction writes all of slot `spi` of frame `frame`. */
  markWrite(frame: number, spi: number): void {
    this.accSet = true;
    if (spi < 32) this.accLo[frame]! |= 1 << spi;
    else this.accHi[frame]! |= 1 << (spi - 32);
  }

  private commitIn(inst: Instance | null, insn: number, accLo: Int32Array, accHi: Int32Array): void {
    if (!inst) return;
    const idx = insn - inst.start;
    for (let frame = 0; frame <= inst.curframe; frame++) {
      let lo = accLo[frame]!;
      let hi = accHi[frame]!;
      if (lo === 0 && hi === 0 && !inst.mustWriteSet[idx]) continue;
      const m = inst.masks(frame);
      const olo = m.writeLo[idx]!;
      const ohi = m.writeHi[idx]!;
      if (inst.mustWriteSet[idx]) { lo &= olo; hi &= ohi; }
      if (olo !== lo || ohi !== hi) {
        m.writeLo[idx] = lo;
        m.writeHi[idx] = hi;
        inst.updated = true;
      }
      if ((olo & ~lo) || (ohi & ~hi)) inst.mustWriteDropped = true;
    }
    inst.mustWriteSet[idx] = 1;
  }

  /** bpf_commit_stack_write_marks: the instruction finished; its certain writes join what earlier visits wrote. */
  commitWrites(): void {
    this.commitIn(this.cur, this.writeInsn, this.accLo, this.accHi);
  }

  private updateInsn(inst: Instance, m: FrameMasks, insn: number): boolean {
    const aux = this.env.aux;
    const s1 = aux.succ1[insn]!;
    if (s1 < 0) return false;
    const s2 = aux.succ2[insn]!;
    const i = insn - inst.start;
    const a = s1 - inst.start;
    let afterLo = m.liveLo[a]!;
    let afterHi = m.liveHi[a]!;
    let accLo = m.accLo[a]!;
    let accHi = m.accHi[a]!;
    if (s2 >= 0) {
      const b = s2 - inst.start;
      afterLo |= m.liveLo[b]!; afterHi |= m.liveHi[b]!;
      accLo &= m.accLo[b]!; accHi &= m.accHi[b]!;
    }
    accLo |= m.writeLo[i]!;
    accHi |= m.writeHi[i]!;
    const beforeLo = (afterLo & ~m.writeLo[i]!) | m.readLo[i]!;
    const beforeHi = (afterHi & ~m.writeHi[i]!) | m.readHi[i]!;
    const changed = beforeLo !== m.liveLo[i] || beforeHi !== m.liveHi[i] || accLo !== m.accLo[i] || accHi !== m.accHi[i];
    m.liveLo[i] = beforeLo; m.liveHi[i] = beforeHi; m.accLo[i] = accLo; m.accHi[i] = accHi;
    return changed;
  }

  private updateInstance(inst: Instance): void {
    if (inst.mustWriteDropped) {
      for (const m of inst.frames) if (m) { m.accLo.fill(0); m.accHi.fill(0); }
    }
    const order = this.env.aux.postorder[this.env.shape.subprogOf[inst.start]!]!;
    for (let changed = true; changed;) {
      changed = false;
      for (let frame = 0; frame <= inst.curframe; frame++) {
        const m = inst.frames[frame];
        if (!m) continue;
        for (const insn of order) if (this.updateInsn(inst, m, insn)) changed = true;
      }
    }
    if (inst.curframe > 0) this.propagateToOuter(inst);
  }

  /** propagate_to_outer_instance: a function's entry reads and certain writes become its call site's. */
  private propagateToOuter(inst: Instance): void {
    const cf = inst.curframe;
    const callsites = inst.callsites.slice(0, cf);
    const starts = inst.starts.slice(0, cf);
    callsites[cf - 1] = starts[cf - 1]!;
    const outer = this.lookup(callsites, starts);
    const callsite = inst.callsites[cf - 1]!;
    const accLo = new Int32Array(MAX_FRAMES);
    const accHi = new Int32Array(MAX_FRAMES);
    for (let frame = 0; frame < cf; frame++) {
      const m = inst.frames[frame];
      if (!m) continue;
      accLo[frame] = m.accLo[0]!;
      accHi[frame] = m.accHi[0]!;
      this.markReadIn(outer, frame, callsite, m.liveLo[0]!, m.liveHi[0]!);
    }
    this.commitIn(outer, callsite, accLo, accHi);
  }

  /** bpf_update_live_stack: after a path ends or a function returns, brings the current chain's sets up to date. */
  update(): void {
    this.cur = null;
    const st = this.env.st;
    for (let frame = st.curframe; frame >= 0; frame--) {
      const inst = this.instanceOf(st, frame);
      if (!inst.updated) continue;
      this.updateInstance(inst);
      inst.updated = false;
      inst.mustWriteDropped = false;
    }
  }

  /** bpf_live_stack_query_init: prepares slotAlive for `st`. */
  queryInit(st: VerifierState): void {
    this.query = st.frames.map((_, i) => this.instanceOf(st, i));
    this.queryInsn = st.insnIdx;
  }

  private liveBefore(inst: Instance, insn: number, frame: number, spi: number): boolean {
    const m = inst.frames[frame];
    if (!m) return false;
    const i = insn - inst.start;
    return spi < 32 ? ((m.liveLo[i]! >>> spi) & 1) !== 0 : ((m.liveHi[i]! >>> (spi - 32)) & 1) !== 0;
  }

  /** bpf_stack_slot_alive: slot `spi` of frame `frameno` may still be read from the queried state on. */
  slotAlive(frameno: number, spi: number): boolean {
    const cf = this.query.length - 1;
    const top = this.query[cf]!;
    if (this.liveBefore(top, this.queryInsn, frameno, spi)) return true;
    for (let i = frameno; i < cf; i++) {
      const callsite = top.callsites[i]!;
      const after = this.env.aux.callsCallback[callsite] ? callsite : callsite + 1;
      if (this.liveBefore(this.query[i]!, after, frameno, spi)) return true;
    }
    return false;
  }
}
