/**
 * Program structure, checked before any path is explored, in the kernel's order: subprogram
 * discovery (add_subprog_and_kfunc), jumps that leave their subprogram and a last instruction that
 * is neither exit nor jump (check_subprogs), reserved LDX fields, LD_IMM64 pairs and pseudo
 * sources, unknown opcodes and map references (resolve_pseudo_ldimm64), then a depth-first walk of
 * the control-flow graph (check_cfg): unreachable instructions and jumps into the second half of an
 * LD_IMM64. Kfunc calls are checked against the kfuncs the target kernel offers (add_kfunc_call).
 */
import {
  BPF_CALL, BPF_EXIT, BPF_JA, BPF_JMP, BPF_JMP32, BPF_LDX, BPF_MEM, BPF_MEMSX, BPF_PSEUDO_BTF_ID, BPF_PSEUDO_CALL,
  BPF_PSEUDO_FUNC, BPF_PSEUDO_KFUNC_CALL, BPF_PSEUDO_MAP_FD, BPF_PSEUDO_MAP_IDX, BPF_PSEUDO_MAP_IDX_VALUE,
  BPF_PSEUDO_MAP_VALUE, LD_IMM64, insnClass, insnMode, insnOp, type Insn,
} from '../isa/index.js';
import { ERRNO } from '../errno.js';
import { fail } from './log.js';
import type { MapInfo } from './regState.js';

const EINVAL = ERRNO.EINVAL;

/** Opcodes the kernel knows (bpf_opcode_in_insntable), measured on Linux 6.18. */
const VALID_OPCODES: ReadonlySet<number> = (() => {
  const s = new Set<number>([0x18, 0x20, 0x28, 0x30, 0x40, 0x48, 0x50, 0x61, 0x69, 0x71, 0x79, 0x81, 0x89, 0x91,
    0x62, 0x6a, 0x72, 0x7a, 0x63, 0x6b, 0x73, 0x7b, 0xc3, 0xcb, 0xd3, 0xdb]);
  for (let op = 0x00; op <= 0xc0; op += 0x10) {
    if (op === 0x80) continue;
    for (const cls of [0x04, 0x07]) { s.add(cls | op); s.add(cls | op | 0x08); }
  }
  s.add(0x84); s.add(0x87); s.add(0xd4); s.add(0xdc); s.add(0xd7);
  for (const op of [0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0xa0, 0xb0, 0xc0, 0xd0]) {
    for (const cls of [0x05, 0x06]) { s.add(cls | op); s.add(cls | op | 0x08); }
  }
  for (const c of [0x05, 0x06, 0x85, 0x95, 0xe5]) s.add(c);
  return s;
})();

/** What the structure pass learns about a program. */
export interface ProgramShape {
  /** First instruction of each subprogram, ascending (the main program's, 0, first). */
  readonly subprogs: readonly number[];
  /** For each instruction slot, the index of the subprogram it belongs to. */
  readonly subprogOf: Int32Array;
}

/** add_kfunc_call's view of the target kernel: throws the kernel's error for a kfunc it does not offer. */
export type KfuncCheck = (imm: number, off: number) => void;

function isJmp(ins: Insn): boolean {
  const cls = insnClass(ins.code);
  return cls === BPF_JMP || cls === BPF_JMP32;
}

function isPseudoCall(ins: Insn): boolean {
  return ins.code === (BPF_JMP | BPF_CALL) && ins.src === BPF_PSEUDO_CALL;
}

/** The target of a JA (`goto` uses off, `gotol` imm). */
function jaTarget(ins: Insn, i: number): number {
  return i + 1 + (insnClass(ins.code) === BPF_JMP32 ? ins.imm : ins.off);
}

/** add_subprog_and_kfunc: subprograms start at pseudo-call and pseudo-func targets; kfuncs must exist. */
function findSubprogs(insns: readonly Insn[], kfunc: KfuncCheck): number[] {
  const starts = new Set<number>([0]);
  const add = (at: number): void => {
    if (at < 0 || at >= insns.length) fail(EINVAL, 'call to invalid destination');
    starts.add(at);
  };
  for (let i = 0; i < insns.length; i++) {
    const ins = insns[i]!;
    if (ins.code === LD_IMM64 && ins.src === BPF_PSEUDO_FUNC) add(i + ins.imm + 1);
    else if (isPseudoCall(ins)) add(i + ins.imm + 1);
    else if (ins.code === (BPF_JMP | BPF_CALL) && ins.src === BPF_PSEUDO_KFUNC_CALL) kfunc(ins.imm, ins.off);
  }
  return [...starts].sort((a, b) => a - b);
}

/** check_subprogs: jumps stay inside their subprogram, which ends with exit or a jump. */
function checkSubprogs(insns: readonly Insn[], subprogs: readonly number[]): void {
  for (let s = 0; s < subprogs.length; s++) {
    const start = subprogs[s]!;
    const end = subprogs[s + 1] ?? insns.length;
    for (let i = start; i < end; i++) {
      const ins = insns[i]!;
      if (isJmp(ins)) {
        const op = insnOp(ins.code);
        if (op !== BPF_CALL && op !== BPF_EXIT) {
          const to = op === BPF_JA ? jaTarget(ins, i) : i + 1 + ins.off;
          if (to < start || to >= end) fail(EINVAL, `jump out of range from insn ${i} to ${to}`);
        }
      }
      if (i === end - 1) {
        const c = ins.code;
        if (c !== (BPF_JMP | BPF_EXIT) && c !== (BPF_JMP32 | BPF_JA) && c !== (BPF_JMP | BPF_JA)) {
          fail(EINVAL, 'last insn is not an exit or jmp');
        }
      }
    }
  }
}

/** resolve_pseudo_ldimm64's checks: reserved LDX fields, LD_IMM64 pairs and sources, opcodes, maps. */
function checkInsnTable(insns: readonly Insn[], maps: readonly (MapInfo | undefined)[]): void {
  for (let i = 0; i < insns.length; i++) {
    const ins = insns[i]!;
    if (insnClass(ins.code) === BPF_LDX && ((insnMode(ins.code) !== BPF_MEM && insnMode(ins.code) !== BPF_MEMSX) || ins.imm !== 0)) {
      fail(EINVAL, 'BPF_LDX uses reserved fields');
    }
    if (ins.code === LD_IMM64) {
      const next = insns[i + 1];
      if (!next || next.code !== 0 || next.dst !== 0 || next.src !== 0 || next.off !== 0) fail(EINVAL, 'invalid bpf_ld_imm64 insn');
      const src = ins.src;
      if (src === BPF_PSEUDO_MAP_FD || src === BPF_PSEUDO_MAP_VALUE) {
        fail(ERRNO.EBADF, `fd ${ins.imm} is not pointing to valid bpf_map (bpfsim refers to maps by fd_array index, LD_IMM64 src 5 or 6)`);
      }
      if (src === BPF_PSEUDO_MAP_IDX && next.imm !== 0) fail(EINVAL, 'unrecognized bpf_ld_imm64 insn');
      if (src !== 0 && src !== BPF_PSEUDO_FUNC && src !== BPF_PSEUDO_MAP_IDX && src !== BPF_PSEUDO_MAP_IDX_VALUE && src !== BPF_PSEUDO_BTF_ID) {
        fail(EINVAL, 'unrecognized bpf_ld_imm64 insn');
      }
      if (src === BPF_PSEUDO_MAP_IDX || src === BPF_PSEUDO_MAP_IDX_VALUE) {
        const map = maps[ins.imm];
        if (!map) fail(ERRNO.EBADF, `fd ${ins.imm} is not pointing to valid bpf_map`);
        if (src === BPF_PSEUDO_MAP_IDX_VALUE) {
          const off = next.imm >>> 0;
          if (off >= 1 << 29) fail(EINVAL, `direct value offset of ${off} is not allowed`);
          if (map.type !== 2) fail(EINVAL, 'no direct value access support for this map type');
          if (off >= map.valueSize) fail(EINVAL, `invalid access to map value pointer, value_size=${map.valueSize} off=${off}`);
        }
      }
      i++;
      continue;
    }
    if (!VALID_OPCODES.has(ins.code)) fail(EINVAL, `unknown opcode ${ins.code.toString(16).padStart(2, '0')}`);
  }
}

/** check_cfg: every instruction reachable, no jump into an LD_IMM64's second half. */
function checkCfg(insns: readonly Insn[]): void {
  const n = insns.length;
  const seen = new Uint8Array(n);
  const todo: number[] = [0];
  seen[0] = 1;
  const edge = (from: number, to: number): void => {
    if (to < 0 || to >= n) fail(EINVAL, `jump out of range from insn ${from} to ${to}`);
    if (!seen[to]) { seen[to] = 1; todo.push(to); }
  };
  while (todo.length) {
    const t = todo.pop()!;
    const ins = insns[t]!;
    if (ins.code === LD_IMM64) {
      if (ins.src === BPF_PSEUDO_FUNC) edge(t, t + ins.imm + 1);
      edge(t, t + 2);
      continue;
    }
    if (!isJmp(ins)) { edge(t, t + 1); continue; }
    const op = insnOp(ins.code);
    if (op === BPF_EXIT) continue;
    if (op === BPF_CALL) {
      if (isPseudoCall(ins)) edge(t, t + ins.imm + 1);
      edge(t, t + 1);
      continue;
    }
    if (op === BPF_JA) { edge(t, jaTarget(ins, t)); continue; }
    edge(t, t + 1);
    edge(t, t + 1 + ins.off);
  }
  for (let i = 0; i < n; i++) {
    if (!seen[i]) fail(EINVAL, `unreachable insn ${i}`);
    if (insns[i]!.code === LD_IMM64) {
      if (seen[i + 1]) fail(EINVAL, `jump into the middle of ldimm64 insn ${i}`);
      i++;
    }
  }
}

/** Runs every structural check in the kernel's order; throws a VerifierError for the first problem. */
export function checkStructure(insns: readonly Insn[], maps: readonly (MapInfo | undefined)[], kfunc: KfuncCheck): ProgramShape {
  const subprogs = findSubprogs(insns, kfunc);
  checkSubprogs(insns, subprogs);
  checkInsnTable(insns, maps);
  checkCfg(insns);
  const subprogOf = new Int32Array(insns.length);
  for (let s = 0; s < subprogs.length; s++) subprogOf.fill(s, subprogs[s]!, subprogs[s + 1] ?? insns.length);
  return { subprogs, subprogOf };
}
