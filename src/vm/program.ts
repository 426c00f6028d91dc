import { decodeProgram, validateProgram } from '../isa/index.js';
import type { Insn, ValidateOptions } from '../isa/index.js';
import type { MapProgram } from '../maps/index.js';
import { BPF_F_XDP_HAS_FRAGS } from '../uapi.js';
import type { Executable, ProgramImage } from './engine.js';
import type { Machine } from './machine.js';
import { runRaw } from './rawRun.js';
import type { RawRunOptions, RawRunResult } from './rawRun.js';

/** What to load: instruction slots (or raw bytecode), a name and, for typed programs, the type. */
export interface ProgramSpec extends ValidateOptions {
  /** The program, as decoded slots or little-endian bytecode. */
  readonly insns: readonly Insn[] | Uint8Array;
  /** A name for messages (default `prog`). */
  readonly name?: string;
  /** `BPF_PROG_TYPE_*` (default 0: a raw program with no type). */
  readonly type?: number;
  /** `expected_attach_type`. */
  readonly expectedAttachType?: number;
  /** `prog_flags`. */
  readonly flags?: number;
}

/** A program loaded into a Machine, runnable on any of its engines. */
export class Program implements ProgramImage, MapProgram {
  /** The Machine it belongs to. */
  readonly machine: Machine;
  /** Program id, as the kernel numbers loaded programs. */
  readonly id: number;
  /** Its name. */
  readonly name: string;
  /** `BPF_PROG_TYPE_*` (0 for raw programs). */
  readonly type: number;
  /** `expected_attach_type`. */
  readonly expectedAttachType: number;
  /** Whether it was loaded with `BPF_F_XDP_HAS_FRAGS`. */
  readonly xdpHasFrags: boolean;
  /** Its validated instruction slots. */
  readonly insns: readonly Insn[];
  private readonly executables = new Map<string, Executable>();

  constructor(machine: Machine, spec: ProgramSpec, id: number) {
    this.machine = machine;
    this.id = id;
    this.name = spec.name ?? 'prog';
    this.type = spec.type ?? 0;
    this.expectedAttachType = spec.expectedAttachType ?? 0;
    this.xdpHasFrags = ((spec.flags ?? 0) & BPF_F_XDP_HAS_FRAGS) !== 0;
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
