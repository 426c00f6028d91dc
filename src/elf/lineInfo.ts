/*
 * Source lines from BTF line_info: which C line an instruction comes from, printed as
 * `xdp_parser.c:42: if (eth + 1 > data_end)`, and disassembly with those lines interleaved.
 */
import { LD_IMM64, disasm, type DisasmOptions, type Insn } from '../isa/index.js';
import type { ProgramLineInfo } from '../vm/backend.js';

/** `file.c:42: the source text` (the file's base name, the line trimmed). */
export function formatSourceLine(li: ProgramLineInfo): string {
  const file = li.fileName.slice(li.fileName.lastIndexOf('/') + 1);
  return `${file}:${li.line}: ${li.source.trim()}`;
}

/** The line_info record covering slot `insn`: the last one at or before it, or undefined. */
export function sourceLineAt(lines: readonly ProgramLineInfo[], insn: number): ProgramLineInfo | undefined {
  let lo = 0;
  let hi = lines.length - 1;
  let found: ProgramLineInfo | undefined;
  while (lo <= hi) {
    const mid = (lo + hi) >> 1;
    if (lines[mid]!.insn <= insn) {
      found = lines[mid];
      lo = mid + 1;
    } else {
      hi = mid - 1;
    }
  }
  return found;
}

/** A function label to print before a slot. */
export interface DisasmLabel {
  readonly insn: number;
  readonly name: string;
}

/**
 * Disassembly with `; file.c:42: source` before the first instruction of each source line and
 * `name:` before each function, as `llvm-objdump -S` interleaves them.
 */
export function disasmWithSource(
  insns: readonly Insn[], lines: readonly ProgramLineInfo[], opts: DisasmOptions & { readonly labels?: readonly DisasmLabel[] } = {},
): string {
  const text = disasm(insns, opts).split('\n');
  const byInsn = new Map<number, ProgramLineInfo>();
  for (const l of lines) if (!byInsn.has(l.insn)) byInsn.set(l.insn, l);
  const labels = new Map((opts.labels ?? []).map((l) => [l.insn, l.name]));
  const out: string[] = [];
  let last = '';
  for (let i = 0, line = 0; i < insns.length && line < text.length; line++) {
    const label = labels.get(i);
    if (label !== undefined) out.push(`${label}:`);
    const li = byInsn.get(i);
    if (li) {
      const s = formatSourceLine(li);
      if (s !== last) out.push(`; ${s}`);
      last = s;
    }
    out.push(text[line]!);
    i += insns[i]!.code === LD_IMM64 && i + 1 < insns.length ? 2 : 1;
  }
  return out.join('\n');
}
