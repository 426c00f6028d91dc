/**
 * The verifier's state of one path, after the kernel's `bpf_func_state` and `bpf_verifier_state`:
 * one frame per active call (registers, stack slots), the references and locks the path holds,
 * and what pruning and precision tracking need: the checkpoint this path continues from
 * (`parent`), how many paths from a checkpoint are still being explored (`branches`), where the
 * segment since the last checkpoint started and ended, and its jump history (every jump taken and
 * every spill or fill, for backtracking). The stack is kept byte by byte (`slotType`, indexed by
 * `k` for the byte at `fp - 1 - k`), with the spilled register of each 8-byte slot, exactly the
 * kernel's model: a spill marks its bytes STACK_SPILL and keeps the register, other writes mark
 * bytes STACK_MISC or STACK_ZERO; an iterator's slots are STACK_ITER, a dynptr's STACK_DYNPTR. As in the kernel, a frame's
 * stack arrays are only as long as the stack the path has touched (`allocatedStack`): a checkpoint
 * or a pushed branch copies tens of bytes, not 512 (grow_stack_state reallocates them).
 */
import { type BtfTypeNamer, RegState, RegType, formatDynptrSlot, formatReg, markPtr } from './regState.js';

/** Stack byte kinds (the kernel's `enum bpf_stack_slot_type`). */
export const Slot = { INVALID: 0, SPILL: 1, MISC: 2, ZERO: 3, ITER: 4, DYNPTR: 5 } as const;

/** The log's character for each slot kind. */
const SLOT_CHARS = '?rm0id';

/** Registers r0..r10. */
export const NREGS = 11;

/** The stack of a frame that has touched none: shared, since nothing is written before grow replaces it. */
const NO_SLOTS = new Uint8Array(0);

/** One active function: its registers and stack. */
export class FuncState {
  /** r0..r10. */
  readonly regs: RegState[];
  /** Kind of each stack byte; index `k` is the byte at `fp - 1 - k` (`allocatedStack` bytes, replaced when it grows). */
  slotType: Uint8Array;
  /** The register spilled into each 8-byte slot (index `k >> 3`), or null (`allocatedStack / 8` slots). */
  spilled: (RegState | null)[];
  /** Bytes of stack this path has touched (a multiple of 8), as `allocated_stack`. */
  allocatedStack = 0;
  /** Index of this frame (0: the main program). */
  readonly frameno: number;
  /** The instruction that called this function (-1 for the main program). */
  readonly callsite: number;
  /** Index of the subprogram this frame runs. */
  readonly subprog: number;
  /** Callback iterations simulated from this frame's current callback-calling helper (callback_depth). */
  callbackDepth = 0;
  /** This frame runs a callback (bpf_loop, for_each_map_elem): its exit returns to the calling helper. */
  inCallbackFn = false;
  /** This frame runs a timer callback, verified apart from the program that arms it. */
  inAsyncCallbackFn = false;
  /** The values a callback may return (`callback_ret_range`). */
  callbackRet: readonly [number, number] = [0, 1];

  constructor(frameno: number, callsite: number, subprog: number, fresh = true) {
    this.frameno = frameno;
    this.callsite = callsite;
    this.subprog = subprog;
    this.regs = fresh ? Array.from({ length: NREGS }, () => new RegState()) : [];
    this.slotType = NO_SLOTS;
    this.spilled = [];
    if (fresh) {
      const fp = markPtr(this.regs[10]!, RegType.STACK);
      fp.frameno = frameno;
    }
  }

  /** A deep copy. */
  clone(): FuncState {
    const f = new FuncState(this.frameno, this.callsite, this.subprog, false);
    for (const r of this.regs) f.regs.push(r.clone());
    if (this.allocatedStack) {
      f.slotType = this.slotType.slice();
      const n = this.spilled.length;
      const spilled = new Array<RegState | null>(n);
      for (let i = 0; i < n; i++) {
        const s = this.spilled[i]!;
        spilled[i] = s ? s.clone() : null;
      }
      f.spilled = spilled;
    }
    f.allocatedStack = this.allocatedStack;
    f.callbackDepth = this.callbackDepth;
    f.inCallbackFn = this.inCallbackFn;
    f.inAsyncCallbackFn = this.inAsyncCallbackFn;
    f.callbackRet = this.callbackRet;
    return f;
  }

  /** The spilled register of slot `spi`, created (NOT_INIT) if there is none. */
  spill(spi: number): RegState {
    let r = this.spilled[spi];
    if (!r) {
      r = new RegState();
      this.spilled[spi] = r;
    }
    return r;
  }

  /** Whether slot `spi` holds a spilled register (its lowest byte is STACK_SPILL: is_spilled_reg). */
  isSpilled(spi: number): boolean {
    return this.slotType[spi * 8 + 7] === Slot.SPILL;
  }

  /** is_spilled_scalar_reg: slot `spi` holds a spilled scalar. */
  isSpilledScalar(spi: number): boolean {
    return this.slotType[spi * 8 + 7] === Slot.SPILL && this.spilled[spi]?.type === RegType.SCALAR;
  }

  /** grow_stack_state: the path now uses `bytes` of stack (rounded up to 8). */
  grow(bytes: number): void {
    const n = Math.ceil(bytes / 8) * 8;
    if (n <= this.allocatedStack) return;
    const slotType = new Uint8Array(n);
    slotType.set(this.slotType);
    this.slotType = slotType;
    for (let spi = this.spilled.length; spi < n / 8; spi++) this.spilled.push(null);
    this.allocatedStack = n;
  }
}

/** What a reference is: an acquired object (socket, ring buffer record, iterator) or a held spin lock. */
export const RefType = { PTR: 0, LOCK: 1 } as const;

/** A reference the path holds: its id, where it was acquired, and for a lock which one. */
export interface RefState {
  readonly id: number;
  readonly insn: number;
  readonly type: number;
  /** A spin lock's identity: the map and the value's id (`active_lock_ptr`). */
  readonly lock?: object | null;
}

/** One entry of a path's jump history (`bpf_jmp_history_entry`), for backtracking. */
export interface HistEntry {
  /** The instruction. */
  readonly idx: number;
  /** The instruction executed before it. */
  readonly prev: number;
  /** A spill or fill of stack slot `spi` of frame `stackFrame` (-1: none). */
  readonly stackSpi: number;
  /** The frame of that stack slot. */
  readonly stackFrame: number;
  /** A comparison's source register was a stack pointer. */
  readonly srcStack: boolean;
  /** A comparison's destination register was a stack pointer. */
  readonly dstStack: boolean;
  /** Scalars linked by id at a comparison (their ranges were synced there). */
  readonly linked: readonly LinkedReg[] | null;
}

/** A register or spilled slot linked to others by a scalar id, as the history keeps it. */
export interface LinkedReg {
  readonly frame: number;
  readonly isReg: boolean;
  /** Register number, or stack slot index. */
  readonly n: number;
}

/** The whole state of one path: its frames (the last is the current one), references, locks and history. */
export class VerifierState {
  /** Active frames, caller first. */
  readonly frames: FuncState[];
  /** References acquired and not yet released (locks included). */
  refs: RefState[];
  /** bpf_spin_lock regions entered and not left. */
  activeLocks = 0;
  /** The id of the held lock's reference. */
  activeLockId = 0;
  /** The held lock's identity. */
  activeLockPtr: object | null = null;
  /** bpf_rcu_read_lock nesting. */
  activeRcuLock = 0;
  /** The checkpoint this path continues from. */
  parent: VerifierState | null = null;
  /** Paths from this state still being explored (a checkpoint: its children; the current path: 1). */
  branches = 1;
  /** The instruction this state is at. */
  insnIdx = 0;
  /** First instruction of the segment since `parent`. */
  firstInsnIdx = 0;
  /** The instruction before `insnIdx` on this path. */
  lastInsnIdx = -1;
  /** Jumps, spills and fills since `parent`. */
  history: HistEntry[] = [];
  /** may_goto iterations simulated. */
  mayGotoDepth = 0;
  /** Callback iterations simulated. */
  callbackUnrollDepth = 0;
  /** Checkpoints on the path from the start to this state. */
  dfsDepth = 0;
  /** A back-edge state: the checkpoint it was found equal to. */
  equalState: VerifierState | null = null;
  /** Dead registers and stack slots were cleared (clean_verifier_state). */
  cleaned = false;

  constructor(frames: FuncState[], refs: RefState[] = []) {
    this.frames = frames;
    this.refs = refs;
  }

  /** The current frame. */
  get cur(): FuncState {
    return this.frames[this.frames.length - 1]!;
  }

  /** The index of the current frame (curframe). */
  get curframe(): number {
    return this.frames.length - 1;
  }

  /** A deep copy (copy_verifier_state). */
  clone(): VerifierState {
    const s = new VerifierState(this.frames.map((f) => f.clone()), [...this.refs]);
    s.activeLocks = this.activeLocks; s.activeLockId = this.activeLockId; s.activeLockPtr = this.activeLockPtr;
    s.activeRcuLock = this.activeRcuLock; s.parent = this.parent; s.branches = this.branches; s.insnIdx = this.insnIdx;
    s.firstInsnIdx = this.firstInsnIdx; s.lastInsnIdx = this.lastInsnIdx; s.history = this.history.slice();
    s.mayGotoDepth = this.mayGotoDepth; s.callbackUnrollDepth = this.callbackUnrollDepth; s.dfsDepth = this.dfsDepth;
    s.equalState = this.equalState; s.cleaned = this.cleaned;
    return s;
  }

  /** The instruction frame `fi` is at: the current one, or the call it waits on (frame_insn_idx). */
  frameInsn(fi: number): number {
    return fi === this.frames.length - 1 ? this.insnIdx : this.frames[fi + 1]!.callsite;
  }

  /** Whether two states are in the same call chain (same_callsites). */
  sameCallsites(o: VerifierState): boolean {
    if (o.frames.length !== this.frames.length) return false;
    for (let i = 0; i < this.frames.length; i++) if (o.frames[i]!.callsite !== this.frames[i]!.callsite) return false;
    return true;
  }

  /** Every register of every frame, spilled ones included (bpf_for_each_reg_in_vstate); an array, which is cheaper to build and walk than a generator. */
  allRegs(): RegState[] {
    const out: RegState[] = [];
    for (const f of this.frames) {
      for (const r of f.regs) out.push(r);
      for (const s of f.spilled) if (s) out.push(s);
    }
    return out;
  }
}

/** The initial state: r1 the context, r10 the frame pointer, everything else uninitialised. */
export function initialState(): VerifierState {
  const f = new FuncState(0, -1, 0);
  markPtr(f.regs[1]!, RegType.CTX);
  return new VerifierState([f]);
}

/** The log's stack part of a frame: ` fp-8=mmmmmmmm fp-16=ctx()`, slots in use only. */
export function formatStack(f: FuncState, btf?: BtfTypeNamer): string {
  let out = '';
  for (let spi = 0; spi < f.allocatedStack / 8; spi++) {
    if (f.slotType[spi * 8 + 7] === Slot.ITER) {
      const it = f.spilled[spi]!;
      out += ` fp${-(spi + 1) * 8}=iter_num(ref_id=${it.refObjId},state=${it.iterState === 1 ? 'active' : 'drained'},depth=${it.iterDepth})`;
      continue;
    }
    if (f.slotType[spi * 8 + 7] === Slot.DYNPTR && f.spilled[spi + 1]?.dynptrFirst) {
      spi++;
      out += ` fp${-(spi + 1) * 8}=${formatDynptrSlot(f.spilled[spi]!)}`;
      continue;
    }
    let types = '';
    let valid = false;
    for (let j = 0; j < 8; j++) {
      const t = f.slotType[spi * 8 + j]!;
      if (t !== Slot.INVALID) valid = true;
      types += SLOT_CHARS[t];
    }
    if (!valid) continue;
    const off = -(spi + 1) * 8;
    if (f.isSpilled(spi)) {
      const firstSpill = types.indexOf('r');
      out += ` fp${off}=${types.slice(0, firstSpill)}${formatReg(f.spilled[spi] ?? new RegState(), f.frameno, btf)}`;
    } else {
      out += ` fp${off}=${types}`;
    }
  }
  return out;
}

/** The log's registers of a frame: `R1=ctx() R10=fp0`, initialised registers only. */
export function formatRegs(f: FuncState, only?: ReadonlySet<number>, btf?: BtfTypeNamer): string {
  const parts: string[] = [];
  f.regs.forEach((r, i) => {
    if (r.type === RegType.NOT_INIT || (only && !only.has(i))) return;
    parts.push(`R${i}=${formatReg(r, f.frameno, btf)}`);
  });
  return parts.join(' ');
}

/** print_verifier_state for one frame: its registers then its stack (`frameN:` first in callees). */
export function formatFrame(f: FuncState, btf?: BtfTypeNamer): string {
  const prefix = f.frameno > 0 ? `frame${f.frameno}: ` : '';
  return prefix + formatRegs(f, undefined, btf) + formatStack(f, btf);
}

/** The references the path holds as print_verifier_state ends a state with them: `refs=2,4`, '' for none. */
export function formatRefs(s: VerifierState): string {
  return s.refs.length ? `refs=${s.refs.map((r) => r.id).join(',')}` : '';
}

/** print_verifier_state for frame `f` of state `s`: the frame, then the references the path holds. */
export function formatStateFrame(s: VerifierState, f: FuncState, btf?: BtfTypeNamer): string {
  const refs = formatRefs(s);
  return formatFrame(f, btf) + (refs ? ` ${refs}` : '');
}

/** print_verifier_state: the current frame. */
export function formatState(s: VerifierState, btf?: BtfTypeNamer): string {
  return formatStateFrame(s, s.cur, btf);
}
