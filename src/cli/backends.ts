import { KernelBackend, kernelAvailable } from '../kernel/index.js';
import { createMachine } from '../machines.js';
import { SimBackend, progTypeByName, PROG_TYPES } from '../vm/index.js';
import type { Backend } from '../vm/index.js';
import { UsageError } from './usage.js';

/** The program type named by `--type`, or a UsageError listing the names. */
export function progTypeArg(name: string): number {
  const t = progTypeByName(name);
  if (t === undefined) throw new UsageError(`unknown program type '${name}' (known: ${Object.keys(PROG_TYPES).join(', ')})`);
  return t;
}

/**
 * A backend for an engine name: `kernel` is the running kernel, anything else a simulated engine
 * (which verifies programs at load unless `verify` is false, and then runs them checked).
 */
export function backendFor(engine: string, verify = true): Backend {
  if (engine === 'kernel') {
    const ok = kernelAvailable();
    if (!ok.ok) throw new UsageError(`the kernel backend is unavailable: ${ok.reason}`);
    return new KernelBackend();
  }
  const machine = createMachine();
  if (!machine.engines.has(engine)) {
    throw new UsageError(`unknown engine '${engine}' (available: ${[...machine.engines.keys(), 'kernel'].join(', ')})`);
  }
  return new SimBackend({ machine, engine, verify, checked: !verify });
}
