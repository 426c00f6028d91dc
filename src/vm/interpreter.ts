import type { Arena } from '../arena/index.js';
import type { HelperCall, HelperImpl } from '../helpers/index.js';
import { MAX_CALL_FRAMES } from '../isa/index.js';
import { VmFault, accessFault } from './fault.js';
import type { FaultKind } from './fault.js';
import { faultText } from './faultText.js';
import { probeAddress } from './probeMem.js';
import { mul64, sdivmod64, udivmod64 } from './int64.js';
import { CALLBACK_RETURN, FRAME_WORDS, MAX_TAIL_CALL_CNT, MAY_GOTO_BUDGET, STOP_BREAK, STOP_BUDGET, STOP_EXIT } from './interpState.js';
import type { InterpState } from './interpState.js';
import { OP_BREAK } from './predecode.js';

/** What the interpreter needs from the Machine for one run. */
export interface ExecEnv {
  /** The Machine's memory. */
  readonly arena: Arena;
  /** Helper implementations indexed by id. */
  readonly helpers: readonly (HelperImpl | undefined)[];
  /** Kernel function implementations by BTF id. */
  readonly kfuncs: ReadonlyMap<number, HelperImpl>;
  /** The object passed to helpers; its `lo`/`hi` are the state's registers. */
  readonly call: HelperCall;
  /** r10 for each call depth. */
  readonly frameTops: Int32Array;
  /** Bounds-check every access against the arena's region table. */
  readonly checked: boolean;
  /** A helper id after which r0 == 0 ends the program (uBPF's unwind convention), or -1. */
  readonly unwindHelper: number;
  /** The packet LD_ABS/LD_IND read from. */
  readonly packet: { start: number; len: number };
  /** The text of the instruction at a slot, for fault messages. */
  describe(pc: number): string;
  /**
   * `bpf_tail_call(ctx, map, index)`: the code of the program in the PROG_ARRAY at `mapAddr` slot
   * `index`, made current, or undefined when the slot is empty, the index out of range or the
   * tail-call budget spent (the program then goes on with the next instruction).
   */
  tailCall?(mapAddr: number, index: number): Int32Array | undefined;
}

/** Helper id of `bpf_tail_call`, which the interpreter carries out itself. */
export const BPF_FUNC_tail_call = 12;

const TWO32 = 4294967296;

function bswap32(x: number): number {
  return ((x & 0xff) << 24) | ((x & 0xff00) << 8) | ((x >>> 8) & 0xff00) | (x >>> 24);
}

function fault(env: ExecEnv, pc: number, kind: FaultKind, detail: string, extra: { addr?: bigint; size?: number } = {}): never {
  const region = extra.addr !== undefined ? env.arena.nearest(Number(extra.addr & 0xffffffffn)) : undefined;
  throw new VmFault({ kind, pc, insnText: env.describe(pc), detail, ...extra, ...(region ? { region } : {}) });
}

/** Checks a memory access for checked mode and returns the arena address, or throws a VmFault. */
function checkAccess(env: ExecEnv, pc: number, lo: number, hi: number, off: number, size: number, write: boolean): number {
  let a = (lo >>> 0) + off;
  let h = hi;
  if (a < 0) { a += TWO32; h = (h - 1) | 0; } else if (a >= TWO32) { a -= TWO32; h = (h + 1) | 0; }
  if (h === 0) {
    const r = env.arena.find(a, size);
    if (r !== undefined && (!write || r.writable)) return a;
  }
  throw accessFault(env.arena, pc, env.describe(pc), a, h, size, write);
}

/**
 * Runs the pre-decoded program `P` from `st.pc` until the outermost `exit` (STOP_EXIT), the
 * instruction budget (STOP_BUDGET) or a breakpoint (STOP_BREAK). One `switch` over the opcode,
 * one short case per instruction, each checkable against RFC 9669 at a glance.
 */
export function interpret(code: Int32Array, st: InterpState, env: ExecEnv): number {
  let P = code;
  const L = st.lo;
  const H = st.hi;
  const T = st.tmp;
  const F = st.frames;
  const MG = st.mayGoto;
  const HF = env.helpers;
  const checked = env.checked;
  const arena = env.arena;
  let dv = arena.view;
  let pc = st.pc;
  let depth = st.depth;
  let count = st.count;
  const budget = st.budget;
  try {
    for (;;) {
      const b = pc << 2;
      const w = P[b]!;
      if (++count > budget) { count--; st.pc = pc; st.depth = depth; st.count = count; return STOP_BUDGET; }
      const d = (w >>> 16) & 15;
      switch (w & 0xfff) {
        // ---- ALU64, immediate source (sign-extended to 64 bits) ----
        case 0x07: { const k = P[b + 2]!; const s = (L[d]! >>> 0) + (k >>> 0); L[d] = s | 0; H[d] = (H[d]! + (k >> 31) + (s >= TWO32 ? 1 : 0)) | 0; break; }
        case 0x17: { const k = P[b + 2]!; const s = (L[d]! >>> 0) - (k >>> 0); L[d] = s | 0; H[d] = (H[d]! - (k >> 31) - (s < 0 ? 1 : 0)) | 0; break; }
        case 0x27: { const k = P[b + 2]!; mul64(L[d]!, H[d]!, k, k >> 31, T); L[d] = T[0]!; H[d] = T[1]!; break; }
        case 0x37: { const k = P[b + 2]!; if (k === 0) { L[d] = 0; H[d] = 0; } else { udivmod64(L[d]!, H[d]!, k, k >> 31, T); L[d] = T[0]!; H[d] = T[1]!; } break; }
        case 0x137: { const k = P[b + 2]!; if (k === 0) { L[d] = 0; H[d] = 0; } else { sdivmod64(L[d]!, H[d]!, k, k >> 31, T); L[d] = T[0]!; H[d] = T[1]!; } break; }
        case 0x47: { const k = P[b + 2]!; L[d] = L[d]! | k; H[d] = H[d]! | (k >> 31); break; }
        case 0x57: { const k = P[b + 2]!; L[d] = L[d]! & k; H[d] = H[d]! & (k >> 31); break; }
        case 0x67: { const n = P[b + 2]! & 63; if (n >= 32) { H[d] = L[d]! << (n - 32); L[d] = 0; } else if (n > 0) { H[d] = (H[d]! << n) | (L[d]! >>> (32 - n)); L[d] = L[d]! << n; } break; }
        case 0x77: { const n = P[b + 2]! & 63; if (n >= 32) { L[d] = H[d]! >>> (n - 32); H[d] = 0; } else if (n > 0) { L[d] = (L[d]! >>> n) | (H[d]! << (32 - n)); H[d] = H[d]! >>> n; } break; }
        case 0x87: { const l = L[d]!; L[d] = -l | 0; H[d] = (~H[d]! + (l === 0 ? 1 : 0)) | 0; break; }
        case 0x97: { const k = P[b + 2]!; if (k !== 0) { udivmod64(L[d]!, H[d]!, k, k >> 31, T); L[d] = T[2]!; H[d] = T[3]!; } break; }
        case 0x197: { const k = P[b + 2]!; if (k !== 0) { sdivmod64(L[d]!, H[d]!, k, k >> 31, T); L[d] = T[2]!; H[d] = T[3]!; } break; }
        case 0xa7: { const k = P[b + 2]!; L[d] = L[d]! ^ k; H[d] = H[d]! ^ (k >> 31); break; }
        case 0xb7: { const k = P[b + 2]!; L[d] = k; H[d] = k >> 31; break; }
        case 0xc7: { const n = P[b + 2]! & 63; if (n >= 32) { L[d] = H[d]! >> (n - 32); H[d] = H[d]! >> 31; } else if (n > 0) { L[d] = (L[d]! >>> n) | (H[d]! << (32 - n)); H[d] = H[d]! >> n; } break; }
        case 0x1d7: { L[d] = ((L[d]! & 0xff) << 8) | ((L[d]! >>> 8) & 0xff); H[d] = 0; break; }
        case 0x2d7: { L[d] = bswap32(L[d]!); H[d] = 0; break; }
        case 0x3d7: { const t = bswap32(L[d]!); L[d] = bswap32(H[d]!); H[d] = t; break; }
        // ---- ALU64, register source ----
        case 0x0f: { const s = (w >>> 20) & 15; const x = (L[d]! >>> 0) + (L[s]! >>> 0); L[d] = x | 0; H[d] = (H[d]! + H[s]! + (x >= TWO32 ? 1 : 0)) | 0; break; }
        case 0x1f: { const s = (w >>> 20) & 15; const x = (L[d]! >>> 0) - (L[s]! >>> 0); L[d] = x | 0; H[d] = (H[d]! - H[s]! - (x < 0 ? 1 : 0)) | 0; break; }
        case 0x2f: { const s = (w >>> 20) & 15; mul64(L[d]!, H[d]!, L[s]!, H[s]!, T); L[d] = T[0]!; H[d] = T[1]!; break; }
        case 0x3f: { const s = (w >>> 20) & 15; if ((L[s]! | H[s]!) === 0) { L[d] = 0; H[d] = 0; } else { udivmod64(L[d]!, H[d]!, L[s]!, H[s]!, T); L[d] = T[0]!; H[d] = T[1]!; } break; }
        case 0x13f: { const s = (w >>> 20) & 15; if ((L[s]! | H[s]!) === 0) { L[d] = 0; H[d] = 0; } else { sdivmod64(L[d]!, H[d]!, L[s]!, H[s]!, T); L[d] = T[0]!; H[d] = T[1]!; } break; }
        case 0x4f: { const s = (w >>> 20) & 15; L[d] = L[d]! | L[s]!; H[d] = H[d]! | H[s]!; break; }
        case 0x5f: { const s = (w >>> 20) & 15; L[d] = L[d]! & L[s]!; H[d] = H[d]! & H[s]!; break; }
        case 0x6f: { const n = L[(w >>> 20) & 15]! & 63; if (n >= 32) { H[d] = L[d]! << (n - 32); L[d] = 0; } else if (n > 0) { H[d] = (H[d]! << n) | (L[d]! >>> (32 - n)); L[d] = L[d]! << n; } break; }
        case 0x7f: { const n = L[(w >>> 20) & 15]! & 63; if (n >= 32) { L[d] = H[d]! >>> (n - 32); H[d] = 0; } else if (n > 0) { L[d] = (L[d]! >>> n) | (H[d]! << (32 - n)); H[d] = H[d]! >>> n; } break; }
        case 0x9f: { const s = (w >>> 20) & 15; if ((L[s]! | H[s]!) !== 0) { udivmod64(L[d]!, H[d]!, L[s]!, H[s]!, T); L[d] = T[2]!; H[d] = T[3]!; } break; }
        case 0x19f: { const s = (w >>> 20) & 15; if ((L[s]! | H[s]!) !== 0) { sdivmod64(L[d]!, H[d]!, L[s]!, H[s]!, T); L[d] = T[2]!; H[d] = T[3]!; } break; }
        case 0xaf: { const s = (w >>> 20) & 15; L[d] = L[d]! ^ L[s]!; H[d] = H[d]! ^ H[s]!; break; }
        case 0xbf: { const s = (w >>> 20) & 15; L[d] = L[s]!; H[d] = H[s]!; break; }
        case 0x1bf: { const v = (L[(w >>> 20) & 15]! << 24) >> 24; L[d] = v; H[d] = v >> 31; break; }
        case 0x2bf: { const v = (L[(w >>> 20) & 15]! << 16) >> 16; L[d] = v; H[d] = v >> 31; break; }
        case 0x3bf: { const v = L[(w >>> 20) & 15]!; L[d] = v; H[d] = v >> 31; break; }
        case 0xcf: { const n = L[(w >>> 20) & 15]! & 63; if (n >= 32) { L[d] = H[d]! >> (n - 32); H[d] = H[d]! >> 31; } else if (n > 0) { L[d] = (L[d]! >>> n) | (H[d]! << (32 - n)); H[d] = H[d]! >> n; } break; }
        // ---- ALU (32-bit): results are zero-extended ----
        case 0x04: { L[d] = (L[d]! + P[b + 2]!) | 0; H[d] = 0; break; }
        case 0x14: { L[d] = (L[d]! - P[b + 2]!) | 0; H[d] = 0; break; }
        case 0x24: { L[d] = Math.imul(L[d]!, P[b + 2]!); H[d] = 0; break; }
        case 0x34: { const k = P[b + 2]! >>> 0; L[d] = k === 0 ? 0 : Math.floor((L[d]! >>> 0) / k) | 0; H[d] = 0; break; }
        case 0x134: { const k = P[b + 2]!; L[d] = k === 0 ? 0 : Math.trunc(L[d]! / k) | 0; H[d] = 0; break; }
        case 0x44: { L[d] = L[d]! | P[b + 2]!; H[d] = 0; break; }
        case 0x54: { L[d] = L[d]! & P[b + 2]!; H[d] = 0; break; }
        case 0x64: { L[d] = L[d]! << (P[b + 2]! & 31); H[d] = 0; break; }
        case 0x74: { L[d] = L[d]! >>> (P[b + 2]! & 31); H[d] = 0; break; }
        case 0x84: { L[d] = -L[d]! | 0; H[d] = 0; break; }
        case 0x94: { const k = P[b + 2]! >>> 0; if (k !== 0) L[d] = ((L[d]! >>> 0) % k) | 0; H[d] = 0; break; }
        case 0x194: { const k = P[b + 2]!; if (k !== 0) L[d] = (L[d]! % k) | 0; H[d] = 0; break; }
        case 0xa4: { L[d] = L[d]! ^ P[b + 2]!; H[d] = 0; break; }
        case 0xb4: { L[d] = P[b + 2]!; H[d] = 0; break; }
        case 0xc4: { L[d] = L[d]! >> (P[b + 2]! & 31); H[d] = 0; break; }
        case 0x1d4: { L[d] = L[d]! & 0xffff; H[d] = 0; break; }
        case 0x2d4: { H[d] = 0; break; }
        case 0x3d4: break;
        case 0x1dc: { L[d] = ((L[d]! & 0xff) << 8) | ((L[d]! >>> 8) & 0xff); H[d] = 0; break; }
        case 0x2dc: { L[d] = bswap32(L[d]!); H[d] = 0; break; }
        case 0x3dc: { const t = bswap32(L[d]!); L[d] = bswap32(H[d]!); H[d] = t; break; }
        case 0x0c: { L[d] = (L[d]! + L[(w >>> 20) & 15]!) | 0; H[d] = 0; break; }
        case 0x1c: { L[d] = (L[d]! - L[(w >>> 20) & 15]!) | 0; H[d] = 0; break; }
        case 0x2c: { L[d] = Math.imul(L[d]!, L[(w >>> 20) & 15]!); H[d] = 0; break; }
        case 0x3c: { const k = L[(w >>> 20) & 15]! >>> 0; L[d] = k === 0 ? 0 : Math.floor((L[d]! >>> 0) / k) | 0; H[d] = 0; break; }
        case 0x13c: { const k = L[(w >>> 20) & 15]!; L[d] = k === 0 ? 0 : Math.trunc(L[d]! / k) | 0; H[d] = 0; break; }
        case 0x4c: { L[d] = L[d]! | L[(w >>> 20) & 15]!; H[d] = 0; break; }
        case 0x5c: { L[d] = L[d]! & L[(w >>> 20) & 15]!; H[d] = 0; break; }
        case 0x6c: { L[d] = L[d]! << (L[(w >>> 20) & 15]! & 31); H[d] = 0; break; }
        case 0x7c: { L[d] = L[d]! >>> (L[(w >>> 20) & 15]! & 31); H[d] = 0; break; }
        case 0x9c: { const k = L[(w >>> 20) & 15]! >>> 0; if (k !== 0) L[d] = ((L[d]! >>> 0) % k) | 0; H[d] = 0; break; }
        case 0x19c: { const k = L[(w >>> 20) & 15]!; if (k !== 0) L[d] = (L[d]! % k) | 0; H[d] = 0; break; }
        case 0xac: { L[d] = L[d]! ^ L[(w >>> 20) & 15]!; H[d] = 0; break; }
        case 0xbc: { L[d] = L[(w >>> 20) & 15]!; H[d] = 0; break; }
        case 0x1bc: { L[d] = (L[(w >>> 20) & 15]! << 24) >> 24; H[d] = 0; break; }
        case 0x2bc: { L[d] = (L[(w >>> 20) & 15]! << 16) >> 16; H[d] = 0; break; }
        case 0xcc: { L[d] = L[d]! >> (L[(w >>> 20) & 15]! & 31); H[d] = 0; break; }
        // ---- JMP: 64-bit comparisons, immediate sign-extended ----
        case 0x05: pc = P[b + 3]!; continue;
        case 0x06: pc = P[b + 3]!; continue;
        case 0x15: { const k = P[b + 2]!; if (L[d] === k && H[d] === k >> 31) { pc = P[b + 3]!; continue; } break; }
        case 0x55: { const k = P[b + 2]!; if (L[d] !== k || H[d] !== k >> 31) { pc = P[b + 3]!; continue; } break; }
        case 0x25: { const k = P[b + 2]!; const ah = H[d]! >>> 0; const bh = (k >> 31) >>> 0; if (ah > bh || (ah === bh && (L[d]! >>> 0) > (k >>> 0))) { pc = P[b + 3]!; continue; } break; }
        case 0x35: { const k = P[b + 2]!; const ah = H[d]! >>> 0; const bh = (k >> 31) >>> 0; if (ah > bh || (ah === bh && (L[d]! >>> 0) >= (k >>> 0))) { pc = P[b + 3]!; continue; } break; }
        case 0xa5: { const k = P[b + 2]!; const ah = H[d]! >>> 0; const bh = (k >> 31) >>> 0; if (ah < bh || (ah === bh && (L[d]! >>> 0) < (k >>> 0))) { pc = P[b + 3]!; continue; } break; }
        case 0xb5: { const k = P[b + 2]!; const ah = H[d]! >>> 0; const bh = (k >> 31) >>> 0; if (ah < bh || (ah === bh && (L[d]! >>> 0) <= (k >>> 0))) { pc = P[b + 3]!; continue; } break; }
        case 0x45: { const k = P[b + 2]!; if ((L[d]! & k) !== 0 || (H[d]! & (k >> 31)) !== 0) { pc = P[b + 3]!; continue; } break; }
        case 0x65: { const k = P[b + 2]!; const ah = H[d]!; const bh = k >> 31; if (ah > bh || (ah === bh && (L[d]! >>> 0) > (k >>> 0))) { pc = P[b + 3]!; continue; } break; }
        case 0x75: { const k = P[b + 2]!; const ah = H[d]!; const bh = k >> 31; if (ah > bh || (ah === bh && (L[d]! >>> 0) >= (k >>> 0))) { pc = P[b + 3]!; continue; } break; }
        case 0xc5: { const k = P[b + 2]!; const ah = H[d]!; const bh = k >> 31; if (ah < bh || (ah === bh && (L[d]! >>> 0) < (k >>> 0))) { pc = P[b + 3]!; continue; } break; }
        case 0xd5: { const k = P[b + 2]!; const ah = H[d]!; const bh = k >> 31; if (ah < bh || (ah === bh && (L[d]! >>> 0) <= (k >>> 0))) { pc = P[b + 3]!; continue; } break; }
        case 0x1d: { const s = (w >>> 20) & 15; if (L[d] === L[s] && H[d] === H[s]) { pc = P[b + 3]!; continue; } break; }
        case 0x5d: { const s = (w >>> 20) & 15; if (L[d] !== L[s] || H[d] !== H[s]) { pc = P[b + 3]!; continue; } break; }
        case 0x2d: { const s = (w >>> 20) & 15; const ah = H[d]! >>> 0; const bh = H[s]! >>> 0; if (ah > bh || (ah === bh && (L[d]! >>> 0) > (L[s]! >>> 0))) { pc = P[b + 3]!; continue; } break; }
        case 0x3d: { const s = (w >>> 20) & 15; const ah = H[d]! >>> 0; const bh = H[s]! >>> 0; if (ah > bh || (ah === bh && (L[d]! >>> 0) >= (L[s]! >>> 0))) { pc = P[b + 3]!; continue; } break; }
        case 0xad: { const s = (w >>> 20) & 15; const ah = H[d]! >>> 0; const bh = H[s]! >>> 0; if (ah < bh || (ah === bh && (L[d]! >>> 0) < (L[s]! >>> 0))) { pc = P[b + 3]!; continue; } break; }
        case 0xbd: { const s = (w >>> 20) & 15; const ah = H[d]! >>> 0; const bh = H[s]! >>> 0; if (ah < bh || (ah === bh && (L[d]! >>> 0) <= (L[s]! >>> 0))) { pc = P[b + 3]!; continue; } break; }
        case 0x4d: { const s = (w >>> 20) & 15; if ((L[d]! & L[s]!) !== 0 || (H[d]! & H[s]!) !== 0) { pc = P[b + 3]!; continue; } break; }
        case 0x6d: { const s = (w >>> 20) & 15; const ah = H[d]!; const bh = H[s]!; if (ah > bh || (ah === bh && (L[d]! >>> 0) > (L[s]! >>> 0))) { pc = P[b + 3]!; continue; } break; }
        case 0x7d: { const s = (w >>> 20) & 15; const ah = H[d]!; const bh = H[s]!; if (ah > bh || (ah === bh && (L[d]! >>> 0) >= (L[s]! >>> 0))) { pc = P[b + 3]!; continue; } break; }
        case 0xcd: { const s = (w >>> 20) & 15; const ah = H[d]!; const bh = H[s]!; if (ah < bh || (ah === bh && (L[d]! >>> 0) < (L[s]! >>> 0))) { pc = P[b + 3]!; continue; } break; }
        case 0xdd: { const s = (w >>> 20) & 15; const ah = H[d]!; const bh = H[s]!; if (ah < bh || (ah === bh && (L[d]! >>> 0) <= (L[s]! >>> 0))) { pc = P[b + 3]!; continue; } break; }
        // ---- JMP32: the low halves only ----
        case 0x16: if (L[d] === P[b + 2]) { pc = P[b + 3]!; continue; } break;
        case 0x56: if (L[d] !== P[b + 2]) { pc = P[b + 3]!; continue; } break;
        case 0x26: if ((L[d]! >>> 0) > (P[b + 2]! >>> 0)) { pc = P[b + 3]!; continue; } break;
        case 0x36: if ((L[d]! >>> 0) >= (P[b + 2]! >>> 0)) { pc = P[b + 3]!; continue; } break;
        case 0xa6: if ((L[d]! >>> 0) < (P[b + 2]! >>> 0)) { pc = P[b + 3]!; continue; } break;
        case 0xb6: if ((L[d]! >>> 0) <= (P[b + 2]! >>> 0)) { pc = P[b + 3]!; continue; } break;
        case 0x46: if ((L[d]! & P[b + 2]!) !== 0) { pc = P[b + 3]!; continue; } break;
        case 0x66: if (L[d]! > P[b + 2]!) { pc = P[b + 3]!; continue; } break;
        case 0x76: if (L[d]! >= P[b + 2]!) { pc = P[b + 3]!; continue; } break;
        case 0xc6: if (L[d]! < P[b + 2]!) { pc = P[b + 3]!; continue; } break;
        case 0xd6: if (L[d]! <= P[b + 2]!) { pc = P[b + 3]!; continue; } break;
        case 0x1e: if (L[d] === L[(w >>> 20) & 15]) { pc = P[b + 3]!; continue; } break;
        case 0x5e: if (L[d] !== L[(w >>> 20) & 15]) { pc = P[b + 3]!; continue; } break;
        case 0x2e: if ((L[d]! >>> 0) > (L[(w >>> 20) & 15]! >>> 0)) { pc = P[b + 3]!; continue; } break;
        case 0x3e: if ((L[d]! >>> 0) >= (L[(w >>> 20) & 15]! >>> 0)) { pc = P[b + 3]!; continue; } break;
        case 0xae: if ((L[d]! >>> 0) < (L[(w >>> 20) & 15]! >>> 0)) { pc = P[b + 3]!; continue; } break;
        case 0xbe: if ((L[d]! >>> 0) <= (L[(w >>> 20) & 15]! >>> 0)) { pc = P[b + 3]!; continue; } break;
        case 0x4e: if ((L[d]! & L[(w >>> 20) & 15]!) !== 0) { pc = P[b + 3]!; continue; } break;
        case 0x6e: if (L[d]! > L[(w >>> 20) & 15]!) { pc = P[b + 3]!; continue; } break;
        case 0x7e: if (L[d]! >= L[(w >>> 20) & 15]!) { pc = P[b + 3]!; continue; } break;
        case 0xce: if (L[d]! < L[(w >>> 20) & 15]!) { pc = P[b + 3]!; continue; } break;
        case 0xde: if (L[d]! <= L[(w >>> 20) & 15]!) { pc = P[b + 3]!; continue; } break;
        // ---- may_goto: jump once the frame's loop budget is used up ----
        case 0xe5: { if (MG[depth] === 0) { pc = P[b + 3]!; continue; } MG[depth]--; break; }
        // ---- calls and exit ----
        case 0x85:
        case 0x8d: {
          const id = (w & 0xfff) === 0x85 ? P[b + 2]! : L[d]!;
          if (id === BPF_FUNC_tail_call && env.tailCall) {
            const target = H[2] === 0 && st.tailCalls < MAX_TAIL_CALL_CNT ? env.tailCall(L[2]! >>> 0, L[3]! >>> 0) : undefined;
            if (target) { st.tailCalls++; P = target; pc = 0; continue; }
            break;
          }
          const fn = HF[id];
          if (!fn) fault(env, pc, 'unknown-helper', faultText.unknownHelper(id));
          st.pc = pc; st.depth = depth; st.count = count;
          const r = fn(env.call);
          count = st.count;
          if (typeof r === 'number') { L[0] = r | 0; H[0] = Math.floor(r / TWO32) | 0; }
          else { const u = BigInt.asUintN(64, r); L[0] = Number(u & 0xffffffffn) | 0; H[0] = Number(u >> 32n) | 0; }
          dv = arena.view;
          if (id === env.unwindHelper && L[0] === 0 && H[0] === 0 && depth === 0) { st.pc = pc; st.count = count; return STOP_EXIT; }
          break;
        }
        case 0x185: {
          if (depth + 1 >= MAX_CALL_FRAMES) fault(env, pc, 'call-depth', faultText.callDepth(depth));
          const f = depth * FRAME_WORDS;
          F[f] = pc + 1;
          st.codes[depth] = P;
          for (let r = 6; r <= 10; r++) { F[f + 2 * (r - 6) + 1] = L[r]!; F[f + 2 * (r - 6) + 2] = H[r]!; }
          depth++;
          L[10] = env.frameTops[depth]!; H[10] = 0;
          MG[depth] = MAY_GOTO_BUDGET;
          pc = P[b + 3]!;
          continue;
        }
        case 0x285: {
          const kf = env.kfuncs.get(P[b + 2]!);
          if (!kf) fault(env, pc, 'unsupported', faultText.kfunc(P[b + 2]!));
          st.pc = pc; st.depth = depth; st.count = count;
          const r = kf(env.call);
          count = st.count;
          if (typeof r === 'number') { L[0] = r | 0; H[0] = Math.floor(r / TWO32) | 0; }
          else { const u = BigInt.asUintN(64, r); L[0] = Number(u & 0xffffffffn) | 0; H[0] = Number(u >> 32n) | 0; }
          dv = arena.view;
          break;
        }
        case 0x95: {
          if (depth === 0) { st.pc = pc; st.depth = 0; st.count = count; return STOP_EXIT; }
          depth--;
          const f = depth * FRAME_WORDS;
          for (let r = 6; r <= 10; r++) { L[r] = F[f + 2 * (r - 6) + 1]!; H[r] = F[f + 2 * (r - 6) + 2]!; }
          pc = F[f]!;
          P = st.codes[depth]!;
          if (pc === CALLBACK_RETURN) { st.pc = pc; st.depth = depth; st.count = count; return STOP_EXIT; }
          continue;
        }
        // ---- 64-bit immediate load ----
        case 0x18: L[d] = P[b + 2]!; H[d] = P[b + 3]!; pc += 2; continue;
        // ---- loads ----
        case 0x61: { const s = (w >>> 20) & 15; const a = checked ? checkAccess(env, pc, L[s]!, H[s]!, P[b + 1]!, 4, false) : (L[s]! + P[b + 1]!) >>> 0; L[d] = dv.getInt32(a, true); H[d] = 0; break; }
        case 0x69: { const s = (w >>> 20) & 15; const a = checked ? checkAccess(env, pc, L[s]!, H[s]!, P[b + 1]!, 2, false) : (L[s]! + P[b + 1]!) >>> 0; L[d] = dv.getUint16(a, true); H[d] = 0; break; }
        case 0x71: { const s = (w >>> 20) & 15; const a = checked ? checkAccess(env, pc, L[s]!, H[s]!, P[b + 1]!, 1, false) : (L[s]! + P[b + 1]!) >>> 0; L[d] = dv.getUint8(a); H[d] = 0; break; }
        case 0x79: { const s = (w >>> 20) & 15; const a = checked ? checkAccess(env, pc, L[s]!, H[s]!, P[b + 1]!, 8, false) : (L[s]! + P[b + 1]!) >>> 0; L[d] = dv.getInt32(a, true); H[d] = dv.getInt32(a + 4, true); break; }
        case 0x81: { const s = (w >>> 20) & 15; const a = checked ? checkAccess(env, pc, L[s]!, H[s]!, P[b + 1]!, 4, false) : (L[s]! + P[b + 1]!) >>> 0; const v = dv.getInt32(a, true); L[d] = v; H[d] = v >> 31; break; }
        case 0x89: { const s = (w >>> 20) & 15; const a = checked ? checkAccess(env, pc, L[s]!, H[s]!, P[b + 1]!, 2, false) : (L[s]! + P[b + 1]!) >>> 0; const v = dv.getInt16(a, true); L[d] = v; H[d] = v >> 31; break; }
        case 0x91: { const s = (w >>> 20) & 15; const a = checked ? checkAccess(env, pc, L[s]!, H[s]!, P[b + 1]!, 1, false) : (L[s]! + P[b + 1]!) >>> 0; const v = dv.getInt8(a); L[d] = v; H[d] = v >> 31; break; }
        // ---- PROBE_MEM loads (through kernel pointers): 0 where the arena maps nothing ----
        case 0x21: { const a = probeAddress(arena, L[(w >>> 20) & 15]!, H[(w >>> 20) & 15]!, P[b + 1]!, 4); L[d] = a < 0 ? 0 : dv.getInt32(a, true); H[d] = 0; break; }
        case 0x29: { const a = probeAddress(arena, L[(w >>> 20) & 15]!, H[(w >>> 20) & 15]!, P[b + 1]!, 2); L[d] = a < 0 ? 0 : dv.getUint16(a, true); H[d] = 0; break; }
        case 0x31: { const a = probeAddress(arena, L[(w >>> 20) & 15]!, H[(w >>> 20) & 15]!, P[b + 1]!, 1); L[d] = a < 0 ? 0 : dv.getUint8(a); H[d] = 0; break; }
        case 0x39: { const a = probeAddress(arena, L[(w >>> 20) & 15]!, H[(w >>> 20) & 15]!, P[b + 1]!, 8); L[d] = a < 0 ? 0 : dv.getInt32(a, true); H[d] = a < 0 ? 0 : dv.getInt32(a + 4, true); break; }
        // ---- stores of an immediate ----
        case 0x62: { const a = checked ? checkAccess(env, pc, L[d]!, H[d]!, P[b + 1]!, 4, true) : (L[d]! + P[b + 1]!) >>> 0; dv.setInt32(a, P[b + 2]!, true); break; }
        case 0x6a: { const a = checked ? checkAccess(env, pc, L[d]!, H[d]!, P[b + 1]!, 2, true) : (L[d]! + P[b + 1]!) >>> 0; dv.setInt16(a, P[b + 2]!, true); break; }
        case 0x72: { const a = checked ? checkAccess(env, pc, L[d]!, H[d]!, P[b + 1]!, 1, true) : (L[d]! + P[b + 1]!) >>> 0; dv.setInt8(a, P[b + 2]!); break; }
        case 0x7a: { const a = checked ? checkAccess(env, pc, L[d]!, H[d]!, P[b + 1]!, 8, true) : (L[d]! + P[b + 1]!) >>> 0; const k = P[b + 2]!; dv.setInt32(a, k, true); dv.setInt32(a + 4, k >> 31, true); break; }
        // ---- stores of a register ----
        case 0x63: { const a = checked ? checkAccess(env, pc, L[d]!, H[d]!, P[b + 1]!, 4, true) : (L[d]! + P[b + 1]!) >>> 0; dv.setInt32(a, L[(w >>> 20) & 15]!, true); break; }
        case 0x6b: { const a = checked ? checkAccess(env, pc, L[d]!, H[d]!, P[b + 1]!, 2, true) : (L[d]! + P[b + 1]!) >>> 0; dv.setInt16(a, L[(w >>> 20) & 15]!, true); break; }
        case 0x73: { const a = checked ? checkAccess(env, pc, L[d]!, H[d]!, P[b + 1]!, 1, true) : (L[d]! + P[b + 1]!) >>> 0; dv.setInt8(a, L[(w >>> 20) & 15]!); break; }
        case 0x7b: { const s = (w >>> 20) & 15; const a = checked ? checkAccess(env, pc, L[d]!, H[d]!, P[b + 1]!, 8, true) : (L[d]! + P[b + 1]!) >>> 0; dv.setInt32(a, L[s]!, true); dv.setInt32(a + 4, H[s]!, true); break; }
        // ---- legacy packet loads: big-endian, r0 = 0 and exit when out of the packet ----
        case 0x20: case 0x28: case 0x30: case 0x40: case 0x48: case 0x50: {
          const size = (w & 0x18) === 0x00 ? 4 : (w & 0x18) === 0x08 ? 2 : 1;
          const off = (w & 0xe0) === 0x40 ? (L[(w >>> 20) & 15]! + P[b + 2]!) | 0 : P[b + 2]!;
          const pk = env.packet;
          if (off < 0 || off + size > pk.len) {
            L[0] = 0; H[0] = 0;
            if (depth === 0) { st.pc = pc; st.depth = 0; st.count = count; return STOP_EXIT; }
            fault(env, pc, 'unsupported', faultText.ldAbsInCall);
          }
          const a = pk.start + off;
          L[0] = size === 4 ? dv.getInt32(a, false) : size === 2 ? dv.getUint16(a, false) : dv.getUint8(a);
          H[0] = 0;
          break;
        }
        case OP_BREAK: { count--; st.pc = pc; st.depth = depth; st.count = count; return STOP_BREAK; }
        default: {
          const op = w & 0xfff;
          if ((op & 0xff) === 0xc3 || (op & 0xff) === 0xdb) {
            atomic(env, st, P, b, pc, dv);
            break;
          }
          fault(env, pc, 'unsupported', faultText.invalidOpcode(op & 0xff));
        }
      }
      pc++;
    }
  } catch (e) {
    st.pc = pc; st.depth = depth; st.count = count;
    if (e instanceof RangeError) {
      fault(env, pc, 'out-of-bounds', faultText.outsideMemory(e.message));
    }
    throw e;
  }
}

/** The atomic read-modify-write instructions (STX | ATOMIC), 32- and 64-bit. */
function atomic(env: ExecEnv, st: InterpState, P: Int32Array, b: number, pc: number, dv: DataView): void {
  const L = st.lo;
  const H = st.hi;
  const w = P[b]!;
  const d = (w >>> 16) & 15;
  const s = (w >>> 20) & 15;
  const v = (w >>> 8) & 15;
  const wide = (w & 0xff) === 0xdb;
  const a = env.checked
    ? checkAccess(env, pc, L[d]!, H[d]!, P[b + 1]!, wide ? 8 : 4, true)
    : (L[d]! + P[b + 1]!) >>> 0;
  const ol = dv.getInt32(a, true);
  const oh = wide ? dv.getInt32(a + 4, true) : 0;
  let nl = ol;
  let nh = oh;
  const sl = L[s]!;
  const sh = wide ? H[s]! : 0;
  switch (v) {
    case 1: case 5: { const x = (ol >>> 0) + (sl >>> 0); nl = x | 0; nh = (oh + sh + (x >= TWO32 ? 1 : 0)) | 0; break; }
    case 2: case 6: nl = ol | sl; nh = oh | sh; break;
    case 3: case 7: nl = ol & sl; nh = oh & sh; break;
    case 4: case 8: nl = ol ^ sl; nh = oh ^ sh; break;
    case 9: nl = sl; nh = sh; break;
    case 10: {
      const eq = wide ? L[0] === ol && H[0] === oh : L[0] === ol;
      if (eq) { nl = sl; nh = sh; }
      L[0] = ol; H[0] = oh;
      break;
    }
    default: fault(env, pc, 'unsupported', `atomic operation 0x${(P[b + 2]! >>> 0).toString(16)} is not valid`);
  }
  if (v !== 10 || nl !== ol || nh !== oh) {
    dv.setInt32(a, nl, true);
    if (wide) dv.setInt32(a + 4, nh, true);
  }
  if (v >= 5 && v <= 9) { L[s] = ol; H[s] = oh; }
}
