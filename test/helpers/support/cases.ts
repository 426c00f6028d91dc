/*
 * Table-driven helper cases checked on both backends: each case is a harness body (see xdp.ts)
 * that writes u64 results into the packet, and the results Linux 6.18 gives. The simulator must
 * give them everywhere; where bpf() works the kernel must give them too, which is what keeps the
 * tables honest. Results the kernel makes up (times, ids, addresses) are checked by predicate.
 */
import { expect } from 'vitest';
import { ErrnoError } from '../../../src/errno.js';
import type { MapSpec } from '../../../src/maps/index.js';
import type { Backend, BackendMap } from '../../../src/vm/index.js';
import { dumpMap } from '../../elf/support/dump.js';
import { SIM_ENGINES, kernelBackend, runXdp, simBackend, xdpProgram } from './xdp.js';
import type { HarnessRun } from './xdp.js';

/** An expected u64 result: its value (negative numbers are errnos), or a test of it. */
export type Want = bigint | number | ((v: bigint, run: HarnessRun) => boolean);

/** One case. */
export interface HelperCase {
  /** Test name. */
  readonly name: string;
  /** The harness body. */
  readonly body: string;
  /** BPF functions after the main program (callbacks, subprograms). */
  readonly subprogs?: string;
  /** Maps the body references as `map[idx:i]`. */
  readonly maps?: readonly MapSpec[];
  /** Fills the maps before the run (same calls on both backends). */
  readonly setup?: (maps: readonly BackendMap[], backend: Backend) => void;
  /** The u64 results at data out offsets 0, 8, 16, …; or the errno name of a refused load. */
  readonly want: readonly Want[] | { readonly refused: string };
  /** Compare the maps' contents between the backends after the run (keyed maps). */
  readonly compareMaps?: boolean;
  /** Compare this many result slots between the backends exactly (results whose value is the kernel's choice, such as an order). */
  readonly sameSlots?: number;
  /** Packet bytes (default zeros). */
  readonly packet?: Uint8Array;
  /** License (default GPL). */
  readonly license?: string;
}

/** The outcome of a case on one backend. */
export type CaseOutcome = { readonly run: HarnessRun; readonly maps: (string[] | undefined)[] } | { readonly refused: ErrnoError };

/** Runs a case on a backend (creating and closing its maps). */
export function runCase(backend: Backend, c: HelperCase): CaseOutcome {
  const maps = (c.maps ?? []).map((s) => backend.createMap(s));
  try {
    c.setup?.(maps, backend);
    let run: HarnessRun;
    try {
      run = runXdp(backend, xdpProgram(c.body, { subprogs: c.subprogs ?? '' }), {
        maps, ...(c.packet ? { packet: c.packet } : {}), ...(c.license ? { license: c.license } : {}),
      });
    } catch (e) {
      if (e instanceof ErrnoError && e.op === 'BPF_PROG_LOAD') return { refused: e };
      throw e;
    }
    return { run, maps: maps.map((m) => dumpMap(m, backend.ncpus)) };
  } finally {
    for (const m of maps) (m as { close(): void }).close();
  }
}

/** Asserts that an outcome is what the case wants. */
export function expectWanted(c: HelperCase, o: CaseOutcome, where: string): void {
  const want = c.want;
  if ('refused' in want) {
    expect('refused' in o ? o.refused.errnoName : 'loaded', `${where}: the load`).toBe(want.refused);
    return;
  }
  if ('refused' in o) throw new Error(`${where} refused the program: ${o.refused.message}`);
  want.forEach((w, i) => {
    const v = o.run.u64(i);
    if (typeof w === 'function') expect(w(v, o.run), `${where}: result ${i} = 0x${v.toString(16)}`).toBe(true);
    else expect(BigInt.asIntN(64, v), `${where}: result ${i}`).toBe(BigInt.asIntN(64, BigInt(w)));
  });
}

/** Runs a case on the simulator (every engine) and, where available, on the kernel; all must give what it wants. */
export function checkCase(c: HelperCase, kernel: Backend | undefined, ncpus?: number): void {
  for (const engine of SIM_ENGINES.slice(1)) {
    const sim = simBackend(ncpus, engine);
    try {
      expectWanted(c, runCase(sim, c), `bpfsim on ${engine}`);
    } finally {
      sim.close();
    }
  }
  const sim = simBackend(ncpus);
  try {
    const s = runCase(sim, c);
    expectWanted(c, s, 'bpfsim');
    if (!kernel) return;
    const k = runCase(kernel, c);
    expectWanted(c, k, 'the kernel');
    if ('refused' in s || 'refused' in k) return;
    if (c.compareMaps) expect(s.maps, 'map contents').toEqual(k.maps);
    const slots = (o: typeof s & { run: HarnessRun }): bigint[] => Array.from({ length: c.sameSlots ?? 0 }, (_, i) => o.run.u64(i));
    if (c.sameSlots) expect(slots(s), 'results, slot by slot').toEqual(slots(k));
  } finally {
    sim.close();
  }
}

/** The kernel backend for a test file (undefined without bpf()), closed by the caller. */
export { kernelBackend };
