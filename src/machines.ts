import { BTF_KIND_FUNC, btfKernelTypes, simKernelBtf } from './elf/index.js';
import { defaultKfuncs } from './helpers/index.js';
import type { KfuncDef } from './helpers/index.js';
import { jit } from './jit/index.js';
import { Machine } from './vm/index.js';
import type { MachineOptions } from './vm/index.js';

/** bpfsim's kfuncs numbered by their BTF ids in the simulated kernel's BTF, which the loader resolves calls against. */
export function simKernelKfuncs(): Map<number, KfuncDef> {
  const btf = simKernelBtf();
  const out = new Map<number, KfuncDef>();
  for (const k of defaultKfuncs) {
    const id = btf.find(k.name, BTF_KIND_FUNC);
    if (id !== undefined) out.set(id, k);
  }
  return out;
}

/**
 * A Machine with everything bpfsim has: the interpreter and the WebAssembly JIT (plus any in
 * `opts.engines`), and the kfuncs and types of the simulated kernel's BTF.
 */
export function createMachine(opts: MachineOptions = {}): Machine {
  return new Machine({ kfuncs: simKernelKfuncs(), kernelTypes: btfKernelTypes(simKernelBtf()), ...opts, engines: [jit, ...(opts.engines ?? [])] });
}
