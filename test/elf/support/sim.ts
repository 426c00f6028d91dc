/*
 * The simulated backend for the differential tests: a Machine with every engine and the simulated
 * kernel's kfuncs (createMachine), behind the same Backend interface as the kernel.
 */
import { createMachine } from '../../../src/machines.js';
import type { Backend } from '../../../src/vm/backend.js';
import { SimBackend } from '../../../src/vm/simBackend.js';

/** A fresh simulated backend. */
export function simBackend(): { backend: Backend } {
  return { backend: new SimBackend({ machine: createMachine() }) };
}
