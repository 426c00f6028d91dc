/**
 * The verifier's state of one path, after the kernel's `bpf_func_state` and `bpf_verifier_state`:
 * one frame per active call (registers, stack slots), and the references the path holds. The
 * stack is kept byte by byte (`slotType`, indexed by `k` for the byte at `fp - 1 - k`), with the
 * spilled register of each 8-byte slot, exactly the kernel's model: a spill marks its bytes
 * STACK_SPILL and keeps the register, other writes mark bytes STACK_MISC or STACK_ZERO.
 */
import { MAX_BPF_STACK } from '../isa/index.js';
import { RegState, RegType, copyReg, formatReg, markNotInit, markPtr } from './regState.js';

/** Stack byte kinds (the kernel's `enum bpf_stack_slot_type`). */
export const Slot = { INVALID: 0, SPILL: 1, MISC: 2, ZERO: 3 } as const;

/** The log's character for each slot kind. */
const SLOT_CHARS = '?rm0';

/** Registers r0..r10. */
export const NREGS = 11;

/** One active function: its registers and stack. */
export class FuncState {
  /** r0..r10. */
  readonly regs: RegState[];
  /** Kind of each stack byte; index `k` is the byte at `fp - 1 - k`. */
  readonly slotType: Uint8Array;
  /** The register spilled into each 8-byte slot (index `k >> 3`), or null. */
  readonly spilled: (RegState | null)[];
  /** Bytes of stack this path has touched (a multiple of 8), as `allocated_stack`. */
  allocatedStack = 0;
  /** Index of this frame (0: the main program). */
  readonly frameno: number;
  /** The instruction that called this function (-1 for the main program). */
  readonly callsite: number;
  /** Index of the subprogram this frame runs. */
  readonly subprog: number;

  constructor(frameno: number, callsite: number, subprog: number, fresh = true) {
    this.frameno = frameno;
    this.callsite = callsite;
    this.subprog = subprog;
    this.regs = fresh ? Array.from({ length: NREGS }, () => new RegState()) : [];
    this.slotType = new Uint8Array(MAX_BPF_STACK);
    this.spilled = new Array<RegState | null>(MAX_BPF_STACK / 8).fill(null);
    if (fresh) {
      const fp = markPtr(this.regs[10]!, RegType.STACK);
      fp.frameno = frameno;
    }
  }

  /** A deep copy. */
  clone(): FuncState {
    const f = new FuncState(this.frameno, this.callsite, this.subprog, false);
    for (const r of this.regs) f.regs.push(r.clone());
    f.slotType.set(this.slotType);
    for (let i = 0; i < this.spilled.length; i++) {
      const s = this.spilled[i];
      if (s) f.spilled[i] = s.clone();
    }
    f.allocatedStack = this.allocatedStack;
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

  /** grow_stack_state: the path now uses `bytes` of stack (rounded up to 8). */
  grow(bytes: number): void {
    const n = Math.ceil(bytes / 8) * 8;
    if (n > this.allocatedStack) this.allocatedStack = n;
  }
}

/** A reference the path holds (a ring buffer record): its id and where it was acquired. */
export interface RefState {
  readonly id: number;
  readonly insn: number;
}

/** The whole state of one path: its frames (the last is the current one) and references. */
export class VerifierState {
  /** Active frames, caller first. */
  readonly frames: FuncState[];
  /** References acquired and not yet released. */
  refs: RefState[];

  constructor(frames: FuncState[], refs: RefState[] = []) {
    this.frames = frames;
    this.refs = refs;
  }

  /** The current frame. */
  get cur(): FuncState {
    return this.frames[this.frames.length - 1]!;
  }

  /** A deep copy. */
  clone(): VerifierState {
    return new VerifierState(this.frames.map((f) => f.clone()), [...this.refs]);
  }

  /** Every register of every frame, spilled ones included (bpf_for_each_reg_in_vstate). */
  *allRegs(): IterableIterator<RegState> {
    for (const f of this.frames) {
      for (const r of f.regs) yield r;
      for (const s of f.spilled) if (s) yield s;
    }
  }
}

/** The initial state: r1 the context, r10 the frame pointer, everything else uninitialised. */
export function initialState(): VerifierState {
  const f = new FuncState(0, -1, 0);
  markPtr(f.regs[1]!, RegType.CTX);
  return new VerifierState([f]);
}

/** Resets a register to NOT_INIT (a helper call's clobber). */
export function clobber(f: FuncState, regno: number): void {
  markNotInit(f.regs[regno]!);
}

/** Copies `src` into register `regno` of frame `f`. */
export function setReg(f: FuncState, regno: number, src: RegState): RegState {
  return copyReg(f.regs[regno]!, src);
}

/** The log's stack part of a frame: ` fp-8=mmmmmmmm fp-16=ctx()`, slots in use only. */
export function formatStack(f: FuncState): string {
  let out = '';
  for (let spi = 0; spi < f.allocatedStack / 8; spi++) {
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
      out += ` fp${off}=${types.slice(0, firstSpill)}${formatReg(f.spilled[spi] ?? new RegState(), f.frameno)}`;
    } else {
      out += ` fp${off}=${types}`;
    }
  }
  return out;
}

/** The log's registers of a frame: `R1=ctx() R10=fp0`, initialised registers only. */
export function formatRegs(f: FuncState, only?: ReadonlySet<number>): string {
  const parts: string[] = [];
  f.regs.forEach((r, i) => {
    if (r.type === RegType.NOT_INIT || (only && !only.has(i))) return;
    parts.push(`R${i}=${formatReg(r, f.frameno)}`);
  });
  return parts.join(' ');
}

/** print_verifier_state for one frame: its registers then its stack (`frameN:` first in callees). */
export function formatFrame(f: FuncState): string {
  const prefix = f.frameno > 0 ? `frame${f.frameno}: ` : '';
  return prefix + formatRegs(f) + formatStack(f);
}

/** print_verifier_state: the current frame. */
export function formatState(s: VerifierState): string {
  return formatFrame(s.cur);
}
