import type { DeferredCall } from '../helpers/index.js';
import { BPF_CALL, BPF_EXIT, BPF_JMP, BPF_PSEUDO_CALL, insn } from '../isa/index.js';
import type { Executable, ProgramImage } from './engine.js';
import type { Machine } from './machine.js';
import { DEFAULT_BUDGET } from './rawRun.js';

const trampolines = new WeakMap<ProgramImage, Map<string, Executable>>();

/**
 * A BPF function of a program, callable after the run that named it (a timer callback): the
 * program's code behind a two-instruction trampoline, `call fn; exit`, prepared by the same
 * engine. Function references inside it (LD_IMM64 src 4) are relative, so they stay right.
 */
export function deferredCall(machine: Machine, image: ProgramImage, fn: number, engine: string, checked: boolean, cpu: number): DeferredCall {
  let byFn = trampolines.get(image);
  if (!byFn) trampolines.set(image, (byFn = new Map()));
  const key = `${fn}/${engine}/${checked}`;
  let exe = byFn.get(key);
  if (!exe) {
    const insns = [insn(BPF_JMP | BPF_CALL, 0, BPF_PSEUDO_CALL, 0, fn + 1), insn(BPF_JMP | BPF_EXIT), ...image.insns];
    exe = machine.loadProgram({ insns, name: `${image.name}/callback` }).executable(engine, checked);
    byFn.set(key, exe);
  }
  const run = exe;
  return (a1, a2, a3, a4, a5) => {
    const args = new Int32Array(10);
    [a1, a2, a3, a4, a5].forEach((a, i) => {
      args[2 * i] = a | 0;
      args[2 * i + 1] = Math.floor(a / 4294967296) | 0;
    });
    const r = run.exec(args, { cpu, budget: DEFAULT_BUDGET, packet: { start: 0, len: 0 }, unwindHelper: -1 });
    return r.r0hi * 4294967296 + (r.r0lo >>> 0);
  };
}
