import { mapLookupElem } from '../helpers/index.js';
import { ArrayMap } from '../maps/index.js';
import type { ArrayLayout } from '../maps/index.js';
import type { Engine, Machine } from '../vm/index.js';
import { BPF_FUNC_map_lookup_elem } from './inline.js';
import { JitExecutable } from './executable.js';

/**
 * The array map at a map address, for inline lookups: only when the machine's
 * `bpf_map_lookup_elem` is bpfsim's own (a replaced helper must see every call).
 */
function arrays(machine: Machine): ((addr: number) => ArrayLayout | undefined) | undefined {
  if (machine.helpers.get(BPF_FUNC_map_lookup_elem)?.impl !== mapLookupElem.impl) return undefined;
  return (addr) => {
    const map = machine.maps.byAddress(addr);
    return map instanceof ArrayMap ? map.inline : undefined;
  };
}

/** The WebAssembly JIT engine: register it with `new Machine({ engines: [jit] })` or use `createMachine`. */
export const jit: Engine<Machine> = {
  name: 'jit',
  prepare: (machine, image, opts) => {
    const arrayAt = arrays(machine);
    return new JitExecutable(machine, image, opts.checked, arrayAt ? { arrayAt } : {});
  },
};
