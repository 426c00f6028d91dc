/**
 * What Linux 6.18 does to a verified program between `do_check` and the JIT, as far as it decides
 * whether `jit_subprogs` can find every subprogram a call or a callback reference (LD_IMM64 src 4)
 * names. For a privileged load the kernel inlines `bpf_loop` (optimize_bpf_loop), turns jumps into
 * code no path reached into no-ops (opt_hard_wire_dead_code_branches), removes every instruction no
 * path reached (opt_remove_dead_code) and the no-op jumps (opt_remove_nops), then rewrites
 * instructions (convert_ctx_accesses, do_misc_fixups). Removing code moves call and callback
 * targets as `bpf_adj_branches` does: a target inside the removed run keeps its index, which now
 * holds whatever followed the run. A callback that was never verified (its helper call never
 * reached, or `bpf_loop` with a count of 0) is removed with its subprogram, so its reference then
 * names an instruction that starts no subprogram — unless the next subprogram moved up to exactly
 * that index — and `jit_subprogs`, when more than one subprogram is left, refuses the program with
 * EFAULT, "verifier bug: No program to jit at insn N (subprog < 0)". Of the rewrites after dead-code
 * removal, bpfsim counts the ones that grow the code in the programs it generates: division and
 * modulo by a register, `may_goto` (timed, as on x86-64: 7 instructions, and two stores that start
 * the counter at the top of its subprogram), the helper calls `helperGrowth` lists, and the zero
 * extension opt_subreg_zext_lo32_rnd_hi32 inserts after a 32-bit cmpxchg whose result a path read as
 * 64 bits (even on x86-64); context loads are taken as one instruction each.
 */
import { BPF_ALU, BPF_ALU64, BPF_CALL, BPF_DIV, BPF_EXIT, BPF_JA, BPF_JCOND, BPF_JMP, BPF_JMP32, BPF_MOD, BPF_PSEUDO_CALL,
  BPF_PSEUDO_FUNC, BPF_X, LD_IMM64, type Insn } from '../isa/index.js';
import { ERRNO } from '../errno.js';
import { fail } from './log.js';
import type { MapInfo } from './regState.js';

/** What the walk learnt of helper calls, by instruction (the kernel's map_ptr_state and map_key_state). */
export interface HelperCallFacts {
  /** The map every visit passed, null when visits passed different ones. */
  readonly maps: ReadonlyMap<number, MapInfo | null>;
  /** A tail call's index when every visit passed the same known one, else null. */
  readonly tailCallKeys: ReadonlyMap<number, bigint | null>;
}

/** BPF_F_INNER_MAP: a map created to be an inner map is never inlined. */
const BPF_F_INNER_MAP = 0x1000;

/** One instruction as the rewrites see it: its opcode, offset and immediate (for calls and callback references, the target). */
interface Slot {
  readonly code: number;
  readonly src: number;
  off: number;
  imm: number;
  readonly seen: boolean;
}

/** The program being rewritten, with its subprograms' first instructions (the last entry is the fake exit subprogram). */
interface Prog {
  insns: Slot[];
  readonly starts: number[];
}

function isPseudoFunc(s: Slot): boolean {
  return s.code === LD_IMM64 && s.src === BPF_PSEUDO_FUNC;
}

function isPseudoCall(s: Slot): boolean {
  return s.code === (BPF_JMP | BPF_CALL) && s.src === BPF_PSEUDO_CALL;
}

function isJump(s: Slot): boolean {
  const cls = s.code & 7;
  return (cls === BPF_JMP || cls === BPF_JMP32) && (s.code & 0xf0) !== BPF_EXIT && (s.code & 0xf0) !== BPF_CALL;
}

function isCondJump(s: Slot): boolean {
  const op = s.code & 0xf0;
  return isJump(s) && op !== BPF_JA && op !== BPF_JCOND;
}

/** bpf_adj_delta_to_imm / _to_off: the new relative target of the instruction at `curr` after [pos, endOld) became [pos, endNew). */
function adjust(rel: number, pos: number, endOld: number, endNew: number, curr: number): number {
  const delta = endNew - endOld;
  if (curr < pos && curr + rel + 1 >= endOld) return rel + delta;
  if (curr >= endNew && curr + rel + 1 < endNew) return rel - delta;
  return rel;
}

/** bpf_adj_branches: every call, callback reference and jump outside the patched run. */
function adjustBranches(p: Prog, pos: number, endOld: number, endNew: number): void {
  p.insns.forEach((s, i) => {
    if (i >= pos && i < endNew) return;
    if (isPseudoFunc(s) || isPseudoCall(s)) s.imm = adjust(s.imm, pos, endOld, endNew, i);
    else if (isJump(s)) {
      if (s.code === (BPF_JMP32 | BPF_JA)) s.imm = adjust(s.imm, pos, endOld, endNew, i);
      else s.off = adjust(s.off, pos, endOld, endNew, i);
    }
  });
}

/** bpf_patch_insn_data: the instruction at `pos` becomes `len` instructions (seen as it was). */
function patch(p: Prog, pos: number, len: number): void {
  if (len === 1) return;
  const old = p.insns[pos]!;
  const filler: Slot[] = Array.from({ length: len - 1 }, () => ({ code: BPF_ALU64, src: 0, off: 0, imm: 0, seen: old.seen }));
  p.insns.splice(pos, 1, ...filler, old);
  adjustBranches(p, pos, pos + 1, pos + len);
  for (let i = 0; i < p.starts.length; i++) if (p.starts[i]! > pos) p.starts[i] = p.starts[i]! + len - 1;
}

/** verifier_remove_insns: removes [off, off + cnt), and the subprograms wholly inside it (adjust_subprog_starts_after_remove). */
function remove(p: Prog, off: number, cnt: number): void {
  p.insns.splice(off, cnt);
  adjustBranches(p, off, off + cnt, off);
  const s = p.starts;
  const last = s.length - 1;
  let i = 0;
  while (i < last && s[i]! < off) i++;
  let j = i;
  while (j < last && s[j]! < off + cnt) j++;
  if (s[j] !== off + cnt) j--;
  if (j > i) s.splice(i, j - i);
  else if (s[i] === off) i++;
  for (; i < s.length; i++) s[i] = s[i]! - cnt;
}

/** map_gen_lookup's length by map type, for a privileged loader on x86-64 (array, hash, per-CPU array, per-CPU hash, LRU hash). */
const LOOKUP_LENGTH = new Map([[2, 7], [1, 3], [6, 9], [5, 5], [9, 6]]);

/**
 * How many instructions do_misc_fixups makes of a helper call: `bpf_map_lookup_elem` on one known
 * map is inlined, `bpf_get_smp_processor_id` is three instructions, and a tail call whose index is
 * not one known constant is preceded by a bounds check and a mask.
 */
function helperGrowth(id: number, map: MapInfo | null | undefined, tailCallKey: bigint | null | undefined): number {
  if (id === 1 && map && (map.flags & BPF_F_INNER_MAP) === 0) return LOOKUP_LENGTH.get(map.type) ?? 1;
  if (id === 8) return 3;
  if (id === 12) return map && tailCallKey !== null && tailCallKey !== undefined ? 1 : 3;
  return 1;
}

/** How many instructions do_misc_fixups makes of one (the rewrites that change the count). */
function fixupLength(s: Slot, ins: Insn, calls: HelperCallFacts, at: number): number {
  const cls = s.code & 7;
  if (s.code === (BPF_JMP | BPF_CALL) && s.src === 0) return helperGrowth(ins.imm, calls.maps.get(at), calls.tailCallKeys.get(at));
  if (s.code === (BPF_JMP | BPF_JCOND)) return 7;
  if ((cls !== BPF_ALU && cls !== BPF_ALU64) || (s.code & BPF_X) === 0) return 1;
  const op = s.code & 0xf0;
  const is64 = cls === BPF_ALU64;
  const signed = ins.off === 1;
  if (op === BPF_DIV) return signed ? 8 : 4;
  if (op === BPF_MOD) return signed ? (is64 ? 7 : 9) : (is64 ? 2 : 4);
  return 1;
}

/**
 * Refuses, as jit_subprogs does, a verified program one of whose calls or callback references no
 * longer names a subprogram once the code no path reached is removed. `seen[i]` says whether a path
 * reached instruction i; `inlinedLoops` are the `bpf_loop` calls the kernel inlines (19 instructions
 * each); `calls` says what the walk learnt of the helper calls do_misc_fixups rewrites; `zext[i]`
 * says whether instruction i is a 32-bit cmpxchg followed by a zero extension.
 */
export function checkJitSubprogs(insns: readonly Insn[], subprogs: readonly number[], seen: Uint8Array, inlinedLoops: ReadonlySet<number>,
  calls: HelperCallFacts, zext: Uint8Array): void {
  const p: Prog = {
    insns: insns.map((ins, i) => ({ code: ins.code, src: ins.src, off: ins.off, imm: ins.imm, seen: seen[i] === 1 })),
    starts: [...subprogs, insns.length],
  };
  const original = new Map(p.insns.map((s, i) => [s, i]));
  for (let i = p.insns.length - 1; i >= 0; i--) if (inlinedLoops.has(i)) patch(p, i, 19);
  for (let i = 0; i < p.insns.length; i++) {
    const s = p.insns[i]!;
    if (!isCondJump(s)) continue;
    if (!p.insns[i + 1]?.seen) p.insns[i] = { code: BPF_JMP | BPF_JA, src: 0, off: s.off, imm: 0, seen: s.seen };
    else if (!p.insns[i + 1 + s.off]?.seen) p.insns[i] = { code: BPF_JMP | BPF_JA, src: 0, off: 0, imm: 0, seen: s.seen };
  }
  for (let i = 0; i < p.insns.length; i++) {
    let j = 0;
    while (i + j < p.insns.length && !p.insns[i + j]!.seen) j++;
    if (j) remove(p, i, j);
  }
  for (let i = 0; i < p.insns.length; i++) {
    const s = p.insns[i]!;
    const mayGoto0 = s.code === (BPF_JMP | BPF_JCOND) && s.off === 0;
    if (!mayGoto0 && !(s.code === (BPF_JMP | BPF_JA) && s.off === 0)) continue;
    remove(p, i, 1);
    i -= mayGoto0 && i > 0 ? 2 : 1;
  }
  for (let i = p.insns.length - 1; i >= 0; i--) {
    const at = original.get(p.insns[i]!);
    if (at !== undefined) patch(p, i, fixupLength(p.insns[i]!, insns[at]!, calls, at) + zext[at]!);
  }
  for (let sp = 0; sp < p.starts.length - 1; sp++) {
    const body = p.insns.slice(p.starts[sp], p.starts[sp + 1]);
    if (body.some((s) => s.code === (BPF_JMP | BPF_JCOND))) patch(p, p.starts[sp]!, 3);
  }
  if (p.starts.length <= 2) return;
  const subprogStarts = new Set(p.starts.slice(0, -1));
  p.insns.forEach((s, i) => {
    if (!isPseudoFunc(s) && !isPseudoCall(s)) return;
    const target = i + s.imm + 1;
    if (!subprogStarts.has(target)) fail(ERRNO.EFAULT, `verifier bug: No program to jit at insn ${target} (subprog < 0)`);
  });
}
