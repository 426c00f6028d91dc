import type { Engine, Machine } from '../vm/index.js';
import { JitExecutable } from './executable.js';

/** The WebAssembly JIT engine: register it with `new Machine({ engines: [jit] })` or use `createMachine`. */
export const jit: Engine<Machine> = {
  name: 'jit',
  prepare: (machine, image, opts) => new JitExecutable(machine, image, opts.checked),
};
