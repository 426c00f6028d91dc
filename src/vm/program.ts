import { decodeProgram, validateProgram } from '../isa/index.js';
import type { Insn, ValidateOptions } from '../isa/index.js';
import type { Executable, ProgramImage } from './engine.js';
import type { Machine } from './machine.js';
import { runRaw } from './rawRun.js';
import type { RawRunOptions, RawRunResult } from './rawRun.js';

/** What to load: instruction slots (or raw bytecode) and a name. */
export interface ProgramSpec extends ValidateOptions {
  /** The program, as decoded slots or little-endian bytecode. */
  readonly insns: readonly Insn[] | Uint8Array;
  /** A name for messages (default `prog`). */
  readonly name?: string;
}

/** A program loaded into a Machine, runnable on any of its engines. */
export class Program implements ProgramImage {
  /** The Machine it belongs to. */
  readonly machine: Machine;
  /** Its name. */
  readonly name: string;
  /** Its validated instruction slots. */
  readonly insns: readonly Insn[];
  private readonly executables = new Map<string, Executable>();

  constructor(machine: Machine, spec: ProgramSpec) {
    this.machine = machine;
    this.name = spec.name ?? 'prog';
    if (spec.insns instanceof Uint8Array) {
      this.insns = decodeProgram(spec.insns, spec);
    } else {
      validateProgram(spec.insns, spec);
      this.insns = [...spec.insns];
    }
  }

  /** The program prepared by an engine (cached per engine and mode). */
  executable(engine = 'interp', checked = false): Executable {
    const key = `${engine}/${checked ? 'checked' : 'fast'}`;
    let x = this.executables.get(key);
    if (!x) {
      x = this.machine.engine(engine).prepare(this.machine, this, { checked });
      this.executables.set(key, x);
    }
    return x;
  }

  /** Runs like uBPF: r1 = the input memory, r2 = its length; returns r0 and the memory after. */
  runRaw(opts: RawRunOptions = {}): RawRunResult {
    return runRaw(this, opts);
  }
}
