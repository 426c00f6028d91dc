import type { HitCache } from './checked.js';
import type { InlineArray } from './inline.js';
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
  /** Import `helperx(id, pc, depth) -> i32` for `call %rN`, or -1. */
  readonly helperx: number;
  /** Import `h<id>(pc, depth) -> i32` per helper id the program calls and the machine defines. */
  readonly helperFns: ReadonlyMap<number, number>;
  /** Import `k<id>(pc)` per kfunc BTF id the program calls and the machine defines. */
  readonly kfuncFns: ReadonlyMap<number, number>;
  /** Import `tail(depth) -> i32` for `call bpf_tail_call`, or -1. */
  readonly tailFn: number;
  /** Import `probe(lo, hi, size) -> i32` for BPF_PROBE_MEM loads: the arena address, or -1 where nothing is mapped; -1 when the program has none. */
  readonly probeFn: number;
  /** Whether the program has callbacks, which any helper may call. */
  readonly callbacks: boolean;
  /** Registers of r0, r6..r9 that callbacks read of the frame that called the helper. */
  readonly callbackParams: number;
  /** Per helper call slot: r1..r5 read after it (a callback may have changed them). */
  readonly helperLive: ReadonlyMap<number, number>;
  /** Per `call bpf_map_lookup_elem` slot whose map is a known array: how to look it up inline. */
  readonly inlineLookups: ReadonlyMap<number, InlineArray>;
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
  /** Whether the function may run at depth 0 (the main program, which may also be called or tail-called deeper). */
  readonly mayBeDepth0: boolean;
  /** The local holding the call depth (an i32 parameter). */
  readonly depth: number;
  /** Emits the end of the whole program with r0 = 0 (uBPF's unwind, a failed LD_ABS) from depth 0. */
  earlyExit(): void;
}
