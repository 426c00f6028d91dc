import type { HitCache } from './checked.js';
import type { FuncBuilder } from './wasm/func.js';

/** Indices in the module that instruction code refers to. */
export interface ModuleRefs {
  /** Arena address of the scratch area (see layout.ts). */
  readonly scratch: number;
  /** Whether memory accesses are checked and instructions counted. */
  readonly checked: boolean;
  /** Import `fault(reason, pc, arg)`: throws the VmFault. */
  readonly faultFn: number;
  /** Checked mode: `chk_r(addr: i64, size, pc) -> i32` and `chk_w`, the access checks. */
  readonly chkR: number;
  /** See `chkR`. */
  readonly chkW: number;
  /** Import `helperx(id, pc) -> i32` for `call %rN`, or -1. */
  readonly helperx: number;
  /** Import per helper id the program calls and the machine defines. */
  readonly helperFns: ReadonlyMap<number, number>;
  /** Checked mode: the instruction budget left, across calls (i64 global). */
  readonly gLeft: number;
  /** Checked mode: globals of the region the last read hit. */
  readonly readCache: HitCache;
  /** Checked mode: globals of the writable region the last write hit. */
  readonly writeCache: HitCache;
}

/** What the per-instruction emitters need of the function being compiled. */
export interface InsnEmitter {
  /** The function body. */
  readonly f: FuncBuilder;
  /** Module indices. */
  readonly refs: ModuleRefs;
  /** The local holding BPF register `r`. */
  reg(r: number): number;
  /** An i64 scratch local. */
  readonly t64: number;
  /** An i32 scratch local. */
  readonly t32: number;
  /** Emits the i32 address of an access, with its check in checked mode. */
  address(base: number, off: number, size: number, write: boolean, pc: number): void;
  /** Whether an access is known to be naturally aligned (r10-relative in a function that keeps r10). */
  aligned(base: number, off: number, size: number): boolean;
  /** Emits a `fault` import call and `unreachable`. */
  fault(reason: number, pc: number, arg: number): void;
  /** Whether the function runs at depth 0: always (main, never called), maybe (main, also called) or never. */
  readonly atDepth0: 'always' | 'maybe' | 'never';
  /** The local holding the call depth (an i32 parameter). */
  readonly depth: number;
  /** Emits the end of the whole program with r0 = 0 (uBPF's unwind, a failed LD_ABS) from depth 0. */
  earlyExit(): void;
}
