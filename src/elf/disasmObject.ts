/*
 * Disassembly of a BPF object's programs: each linked program (entry and subprograms) with its
 * function labels, C source lines from BTF line_info, and map and kfunc names. Behind
 * `bpfsim disasm FILE.o`.
 */
import { disasm, type DisasmStyle } from '../isa/index.js';
import { LoadError } from './errors.js';
import { usedMaps } from './link.js';
import { disasmWithSource } from './lineInfo.js';
import { loadCollectionSpec } from './loadSpec.js';
import { progTypeName } from './names.js';
import type { CollectionSpec, ProgramSpec } from './spec.js';

/** Options of `disasmObject`. */
export interface DisasmObjectOptions {
  /** Only this program (default: all). */
  readonly prog?: string;
  /** Instruction syntax (default `kernel`). */
  readonly style?: DisasmStyle;
  /** Interleave C source lines (default true). */
  readonly source?: boolean;
}

function disasmProgram(spec: CollectionSpec, p: ProgramSpec, opts: DisasmObjectOptions): string {
  const maps = usedMaps(p.references);
  const style = opts.style ?? 'kernel';
  const resolvers = {
    style,
    mapName: (_src: number, imm: number) => maps[imm],
    kfuncName: (id: number) => spec.btf?.types[id]?.name || undefined,
  };
  const body = opts.source === false
    ? disasm(p.insns, resolvers)
    : disasmWithSource(p.insns, p.lineInfo, { ...resolvers, labels: p.functions });
  return `${p.name} (SEC("${p.section}"), ${p.type ? progTypeName(p.type) : 'unknown type'}, ${p.insns.length} insns):\n${body}\n`;
}

/** The disassembly of an object's programs (or of one, with `prog`). */
export function disasmObject(bytes: Uint8Array, opts: DisasmObjectOptions = {}): string {
  const spec = loadCollectionSpec(bytes);
  const programs = Object.values(spec.programs);
  if (opts.prog !== undefined) {
    const p = spec.programs[opts.prog];
    if (!p) throw new LoadError(opts.prog, `no such program (the object has: ${programs.map((q) => q.name).join(', ') || 'none'})`);
    return disasmProgram(spec, p, opts);
  }
  return programs.map((p) => disasmProgram(spec, p, opts)).join('\n');
}
