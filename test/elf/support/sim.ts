/*
 * The simulated backend for the differential tests, when it is ready: constructed and probed
 * (a map created, an XDP program loaded and run), or the reason it cannot be used yet, so the
 * tests that need it are skipped with that reason instead of failing.
 */
import type { Backend } from '../../../src/vm/backend.js';
import { BPF_MAP_TYPE_ARRAY, BPF_PROG_TYPE_XDP } from '../../../src/uapi.js';
import { assemble } from '../../../src/isa/index.js';

/** A fresh simulated backend, or why there is none yet. */
export async function simBackend(): Promise<{ backend: Backend } | { reason: string }> {
  try {
    const { SimBackend } = await import('../../../src/vm/simBackend.js');
    const backend: Backend = new SimBackend();
    backend.createMap({ type: BPF_MAP_TYPE_ARRAY, keySize: 4, valueSize: 4, maxEntries: 1 });
    const { program } = backend.loadProgram({ type: BPF_PROG_TYPE_XDP, insns: assemble('r0 = 2\nexit').insns });
    program.testRun({ data: new Uint8Array(64) });
    return { backend };
  } catch (e) {
    return { reason: `the simulated backend is not ready: ${e instanceof Error ? e.message : String(e)}` };
  }
}
