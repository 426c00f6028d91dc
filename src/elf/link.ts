/*
 * Linking a program: its entry function, then every subprogram it reaches (through calls and
 * function addresses), each appended once in depth-first order as libbpf's bpf_object__reloc_code
 * does, with call immediates rewritten to the new distances and the per-instruction records
 * (relocations, CO-RE, func_info, line_info) carried to the new positions.
 */
import {
  BPF_CALL, BPF_JMP, BPF_PSEUDO_CALL, BPF_PSEUDO_FUNC, BPF_PSEUDO_KFUNC_CALL, BPF_PSEUDO_MAP_IDX,
  BPF_PSEUDO_MAP_IDX_VALUE, INSN_SIZE, type Insn,
} from '../isa/index.js';
import type { ProgramLineInfo } from '../vm/backend.js';
import { BTF_KIND_FUNC } from './btf/types.js';
import type { CoreRelocation } from './core/relocate.js';
import { ElfError } from './errors.js';
import type { FunctionSymbol, BpfObject } from './object.js';
import type { CodeReloc } from './relocations.js';
import type { LinkedFunction, Reference } from './spec.js';

/** Per code section: its functions and the relocations of its instructions. */
export interface CodeSection {
  readonly index: number;
  readonly name: string;
  readonly insns: readonly Insn[];
  readonly functions: readonly FunctionSymbol[];
  readonly relocs: ReadonlyMap<number, CodeReloc>;
}

/** A linked program before its ProgramSpec fields are filled in. */
export interface Linked {
  insns: Insn[];
  references: Reference[];
  core: CoreRelocation[];
  functions: LinkedFunction[];
  lineInfo: ProgramLineInfo[];
}

function containing(sec: CodeSection, idx: number): FunctionSymbol | undefined {
  return sec.functions.find((f) => idx >= f.start && idx < f.start + f.length);
}

interface Target {
  readonly section: CodeSection;
  readonly func: FunctionSymbol;
  readonly idx: number;
  readonly kind: 'call' | 'funcAddr';
}

/** Links the program whose entry is `entry` in `section`. */
export function linkProgram(obj: BpfObject, sections: ReadonlyMap<number, CodeSection>, section: CodeSection, entry: FunctionSymbol): Linked {
  const out: Insn[] = [];
  const origin: { sec: CodeSection; idx: number }[] = [];
  const placed = new Map<FunctionSymbol, number>();
  const functions: LinkedFunction[] = [];
  const targets = new Map<number, Target>();

  const place = (sec: CodeSection, f: FunctionSymbol) => {
    placed.set(f, out.length);
    functions.push({ name: f.name, insn: out.length, length: f.length, btfId: funcBtfId(obj, sec, f), section: sec.name });
    for (let i = f.start; i < f.start + f.length; i++) {
      out.push(sec.insns[i]!);
      origin.push({ sec, idx: i });
    }
  };
  const targetOf = (sec: CodeSection, i: number): Target | undefined => {
    const ins = sec.insns[i]!;
    const rel = sec.relocs.get(i);
    let tsec: CodeSection | undefined;
    let idx: number;
    let kind: 'call' | 'funcAddr';
    if (rel?.kind === 'call' || rel?.kind === 'funcAddr') {
      tsec = sections.get(rel.section);
      idx = rel.target;
      kind = rel.kind;
    } else if (!rel && ins.code === (BPF_JMP | BPF_CALL) && ins.src === BPF_PSEUDO_CALL) {
      tsec = sec;
      idx = i + ins.imm + 1;
      kind = 'call';
    } else {
      return undefined;
    }
    const func = tsec && containing(tsec, idx);
    if (!tsec || !func) {
      throw new ElfError({ section: sec.name, offset: i * INSN_SIZE }, `${kind === 'call' ? 'call' : 'function address'} of instruction ${idx} of ${tsec?.name ?? 'an unknown section'}, which is in no function`);
    }
    return { section: tsec, func, idx, kind };
  };

  place(section, entry);
  const stack: { sec: CodeSection; f: FunctionSymbol; cursor: number }[] = [{ sec: section, f: entry, cursor: entry.start }];
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    if (top.cursor >= top.f.start + top.f.length) {
      stack.pop();
      continue;
    }
    const i = top.cursor++;
    const t = targetOf(top.sec, i);
    if (!t) continue;
    targets.set(placed.get(top.f)! + (i - top.f.start), t);
    if (!placed.has(t.func)) {
      place(t.section, t.func);
      stack.push({ sec: t.section, f: t.func, cursor: t.func.start });
    }
  }

  for (const [slot, t] of targets) {
    const dest = placed.get(t.func)! + (t.idx - t.func.start);
    const ins = out[slot]!;
    out[slot] = { ...ins, src: t.kind === 'call' ? BPF_PSEUDO_CALL : BPF_PSEUDO_FUNC, imm: dest - slot - 1 };
    if (t.kind === 'funcAddr' && out[slot + 1]) out[slot + 1] = { ...out[slot + 1]!, imm: 0 };
  }
  return { insns: out, ...records(obj, out, origin, functions) };
}

function funcBtfId(obj: BpfObject, sec: CodeSection, f: FunctionSymbol): number {
  const rec = obj.ext?.funcInfo.get(sec.name)?.find((r) => r.insnOff === f.start * INSN_SIZE);
  if (rec) return rec.typeId;
  return obj.btf?.find(f.name, BTF_KIND_FUNC) ?? 0;
}

function records(obj: BpfObject, out: Insn[], origin: { sec: CodeSection; idx: number }[], functions: LinkedFunction[]) {
  const slotOf = new Map<CodeSection, Map<number, number>>();
  origin.forEach((o, slot) => {
    let m = slotOf.get(o.sec);
    if (!m) slotOf.set(o.sec, (m = new Map()));
    m.set(o.idx, slot);
  });
  const references: Reference[] = [];
  const core: CoreRelocation[] = [];
  const lineInfo: ProgramLineInfo[] = [];
  for (const [sec, slots] of slotOf) {
    for (const [idx, rel] of sec.relocs) {
      const slot = slots.get(idx);
      if (slot === undefined) continue;
      const ref = reference(rel, slot, out);
      if (ref) references.push(ref);
    }
    for (const r of obj.ext?.coreRelos.get(sec.name) ?? []) {
      const slot = r.insnOff % INSN_SIZE === 0 ? slots.get(r.insnOff / INSN_SIZE) : undefined;
      if (slot !== undefined) core.push({ insn: slot, typeId: r.typeId, accessStr: r.accessStr, kind: r.kind });
    }
    for (const l of obj.ext?.lineInfo.get(sec.name) ?? []) {
      const slot = l.insnOff % INSN_SIZE === 0 ? slots.get(l.insnOff / INSN_SIZE) : undefined;
      if (slot === undefined) continue;
      lineInfo.push({ insn: slot, fileName: l.fileName, line: l.line, col: l.col, source: l.source, fileNameOff: l.fileNameOff, lineOff: l.lineOff });
    }
  }
  const bySlot = <T extends { insn: number }>(a: T, b: T) => a.insn - b.insn;
  references.sort(bySlot);
  // Number the maps by first use, as the fd_array of the load will (see usedMaps).
  const used = usedMaps(references);
  for (const r of references) {
    if (r.kind === 'map' || r.kind === 'mapValue') out[r.insn] = { ...out[r.insn]!, imm: used.indexOf(r.map) };
  }
  core.sort(bySlot);
  lineInfo.sort(bySlot);
  return { references, core, functions, lineInfo };
}

/** The maps a program references, in order of first use: the order of its fd_array. */
export function usedMaps(references: readonly Reference[]): string[] {
  const names: string[] = [];
  for (const r of references) {
    if ((r.kind === 'map' || r.kind === 'mapValue') && !names.includes(r.map)) names.push(r.map);
  }
  return names;
}

/** Records a data/map/extern relocation at `slot`, marking the instruction's pseudo source as the kernel expects it. */
function reference(rel: CodeReloc, slot: number, out: Insn[]): Reference | undefined {
  const ins = out[slot]!;
  switch (rel.kind) {
    case 'map':
      out[slot] = { ...ins, src: BPF_PSEUDO_MAP_IDX, imm: 0 };
      return { kind: 'map', insn: slot, map: rel.map };
    case 'mapValue':
      out[slot] = { ...ins, src: BPF_PSEUDO_MAP_IDX_VALUE, imm: 0 };
      if (out[slot + 1]) out[slot + 1] = { ...out[slot + 1]!, imm: rel.offset };
      return { kind: 'mapValue', insn: slot, map: rel.map, offset: rel.offset };
    case 'extern': {
      const e = rel.ext;
      if (e.kconfig) {
        out[slot] = { ...ins, src: BPF_PSEUDO_MAP_IDX_VALUE, imm: 0 };
        if (out[slot + 1]) out[slot + 1] = { ...out[slot + 1]!, imm: e.kconfig.offset };
        return { kind: 'mapValue', insn: slot, map: '.kconfig', offset: e.kconfig.offset };
      }
      if (ins.code === (BPF_JMP | BPF_CALL)) {
        // Until the load resolves it in the target, imm names the kfunc by its id in the object's BTF.
        out[slot] = { ...ins, src: BPF_PSEUDO_KFUNC_CALL, off: 0, imm: e.btfId };
        return { kind: 'kfunc', insn: slot, name: e.name, weak: e.weak, externIndex: e.index, typeId: e.typeId };
      }
      return { kind: 'ksym', insn: slot, name: e.name, weak: e.weak, typed: e.func || e.typeId !== 0, func: e.func, typeId: e.typeId };
    }
    default:
      return undefined;
  }
}
