import { jit } from './jit/index.js';
import { Machine } from './vm/index.js';
import type { MachineOptions } from './vm/index.js';

/** A Machine with every engine bpfsim has: the interpreter and the WebAssembly JIT (plus any in `opts.engines`). */
export function createMachine(opts: MachineOptions = {}): Machine {
  return new Machine({ ...opts, engines: [jit, ...(opts.engines ?? [])] });
}
