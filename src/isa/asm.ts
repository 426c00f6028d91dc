/**
 * The assembler: text in the kernel/llvm syntax or the uBPF dialect to instruction slots. It reads
 * back everything `disasm` prints, in every style, including its listing prefixes (`12: (b7) `,
 * llvm-objdump's index and bytes), and adds labels, comments and symbolic names.
 *
 * Kernel/llvm dialect (`dialect: 'llvm'`, the default), beyond the disassembler's output:
 * - labels `name:` (also before an instruction on the same line) as targets of `goto name`,
 *   `if r1 > r2 goto name`, `gotol name`, `may_goto name`, `call name` and `r1 = subprog[name]`;
 * - comments `//`, `;` and `#` (at the start of a word, since `call bpf_x#1` names a helper);
 * - calls: `call 12`, `call bpf_ktime_get_ns`, `call ktime_get_ns`, `call bpf_name#id` (the id
 *   must be that helper's), `call pc+5` or `call label` (bpf-to-bpf: a label of the program wins
 *   over a helper of the same name), and kfuncs as `call kfunc 123`, or `call name#123` with a
 *   name that is not a helper (the verifier log's form), or `call kernel-function#123`;
 * - 64-bit constants as `r1 = 5 ll` (llvm) or `r1 = 0x5` (the verifier log, which prints every
 *   LD_IMM64 in hex and every mov immediate in decimal);
 * - map references by name: `r1 = map[name]` (LD_IMM64 with src 1, BPF_PSEUDO_MAP_FD) and
 *   `r1 = map_value[name] + 8` (src 2, BPF_PSEUDO_MAP_VALUE, offset 8), recorded in `mapRefs` with
 *   the immediate left 0 for the loader; numeric forms `map[fd:3]`, `map[idx:0]`,
 *   `map_value[fd:3] + 8`, `map_value[idx:0]`, `btf_id[42]`, `subprog[+3]` and LLVM's
 *   `ld_pseudo r1, 1, 3` give the raw fields.
 *
 * uBPF dialect (`dialect: 'ubpf'`): the bpf_conformance assembler's syntax (`mov %r0, 1`,
 * `ldxw %r0, [%r1+4]`, `jeq %r1, 5, label`, `call local f`, `call runtime 7` for a kfunc,
 * `call %r2` for callx, `lock fetch add32 [%r10-8], %r1`, the special label `exit` for the first
 * `exit`), plus `ldabsw 12`, `ldindw %r1, 12`, `may_goto +2` and the pseudo operands above after
 * `lddw` (`lddw %r1, map[counts]`). In both dialects a kfunc call may end in ` off:N`, the
 * fd_array index of the module BTF that defines it (the kernel's log does not show it).
 *
 * Immediates are decimal or `0x` hex, optionally negative; a decimal must fit the field's signed
 * range, a hex literal may use all its bits (`0xffffffff` is -1 in a 32-bit field), anything
 * larger is an error rather than silently truncated.
 */
import type { Insn } from './insn.js';
import { insn } from './insn.js';
import { helperId } from './helperIds.js';
import { AsmError, Cursor, statements, type SemicolonMode } from './asmLexer.js';
import { parseLlvm } from './asmLlvm.js';
import { parseUbpf } from './asmUbpf.js';
import type { Fixup, Parsed } from './asmOperands.js';
import { BPF_CALL, BPF_EXIT, BPF_JMP } from './opcodes.js';

export { AsmError } from './asmLexer.js';
export type { SemicolonMode } from './asmLexer.js';

/** The assembler syntax: the kernel/llvm one, or the uBPF / bpf_conformance dialect. */
export type AsmDialect = 'llvm' | 'ubpf';

/** Options of `assemble`. */
export interface AsmOptions {
  /** Input syntax; default `llvm` (which reads both the kernel verifier log and llvm-objdump). */
  readonly dialect?: AsmDialect;
  /** Whether `;` starts a comment (default) or separates statements on one line. */
  readonly semicolon?: SemicolonMode;
}

/** An LD_IMM64 that refers to a map by name, for the loader to fill in. */
export interface MapRef {
  /** Slot index of the LD_IMM64. */
  readonly index: number;
  /** The map's name. */
  readonly name: string;
}

/** What `assemble` produces. */
export interface AsmResult {
  /** The instruction slots, LD_IMM64 taking two. */
  readonly insns: Insn[];
  /** Every label and the slot it marks. */
  readonly labels: Map<string, number>;
  /** Every map referenced by name, in program order. */
  readonly mapRefs: MapRef[];
}

interface Placed {
  readonly at: number;
  readonly line: number;
  readonly parsed: Parsed;
}

function resolve(p: Placed, labels: Map<string, number>, exitAt: number | undefined): Insn {
  const fixup: Fixup = p.parsed.fixup!;
  const ins = p.parsed.slots[0]!;
  const to = labels.get(fixup.label) ?? (fixup.label === 'exit' ? exitAt : undefined);
  if (to === undefined) {
    const helper = fixup.callByName ? helperId(fixup.label) : undefined;
    if (helper !== undefined) return insn(BPF_JMP | BPF_CALL, 0, 0, 0, helper);
    const what = fixup.callByName ? 'helper or label' : 'label';
    throw new AsmError(p.line, fixup.token.col, `undefined ${what} '${fixup.label}'`);
  }
  const rel = to - p.at - 1;
  if (fixup.field === 'off') {
    if (rel < -0x8000 || rel > 0x7fff) throw new AsmError(p.line, fixup.token.col, `jump to '${fixup.label}' is ${rel} slots away, beyond the 16-bit offset`);
    return insn(ins.code, ins.dst, ins.src, rel, ins.imm);
  }
  return insn(ins.code, ins.dst, ins.src, ins.off, rel);
}

/**
 * Assembles source text into instruction slots. Throws `AsmError` with the line and column of the
 * first problem: an unknown instruction or register, a missing operand, an immediate or offset
 * that does not fit its field, an undefined or duplicate label.
 */
export function assemble(source: string, opts: AsmOptions = {}): AsmResult {
  const ubpf = opts.dialect === 'ubpf';
  const labels = new Map<string, number>();
  const placed: Placed[] = [];
  let at = 0;
  let exitAt: number | undefined;
  for (const stmt of statements(source, opts.semicolon ?? 'comment', ubpf)) {
    const c = new Cursor(stmt.line, stmt.tokens);
    while (c.peek()?.kind === 'ident' && c.peek(1)?.text === ':') {
      const name = c.next('a label');
      if (labels.has(name.text)) throw c.error(`duplicate label '${name.text}'`, name);
      labels.set(name.text, at);
      c.next(':');
    }
    if (c.atEnd()) continue;
    const parsed = ubpf ? parseUbpf(c) : parseLlvm(c);
    const code = parsed.slots[0]!.code;
    if (stmt.listedCode && stmt.listedCode.code !== code) {
      const hex = (n: number) => n.toString(16).padStart(2, '0');
      throw new AsmError(stmt.line, stmt.listedCode.col, `the listing says opcode ${hex(stmt.listedCode.code)} but the instruction is ${hex(code)}`);
    }
    if (ubpf && exitAt === undefined && code === (BPF_JMP | BPF_EXIT)) exitAt = at;
    placed.push({ at, line: stmt.line, parsed });
    at += parsed.slots.length;
  }
  const insns: Insn[] = [];
  const mapRefs: MapRef[] = [];
  for (const p of placed) {
    const [first, ...rest] = p.parsed.slots;
    insns.push(p.parsed.fixup ? resolve(p, labels, ubpf ? exitAt : undefined) : first!, ...rest);
    if (p.parsed.mapRef !== undefined) mapRefs.push({ index: p.at, name: p.parsed.mapRef });
  }
  return { insns, labels, mapRefs };
}
