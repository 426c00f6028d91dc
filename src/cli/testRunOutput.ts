/*
 * What `bpfsim run` prints for a test run, in text and as JSON
 * (`{"retval":N,"data_out":"hex","ctx_out":"hex","ns_per_run":X}`, plus `insns` when the engine
 * counts them and `maps_after` for objects run with --maps-after).
 */
import type { TestRunResult } from '../vm/index.js';
import { hexBytes } from './input.js';
import type { CliIo } from './usage.js';

/** A test run as `bpfsim run` reports it. */
export interface TestRunOutput {
  readonly retval: number;
  readonly data_out: string;
  readonly ctx_out: string;
  readonly ns_per_run: number;
  readonly insns?: number;
  readonly maps_after?: Record<string, [string, string][]>;
}

/** The fields of a test run's result that `bpfsim run` prints. */
export function testRunOutput(r: TestRunResult): TestRunOutput {
  return {
    retval: r.retval, data_out: hexBytes(r.data), ctx_out: hexBytes(r.ctx), ns_per_run: Math.round(r.durationNs * 10) / 10,
    ...(r.insns !== undefined ? { insns: r.insns } : {}),
  };
}

/** Prints a test run: one JSON object, or a line per field and the maps' non-zero entries. */
export function printTestRun(io: CliIo, r: TestRunOutput, json: boolean): void {
  if (json) {
    io.out(JSON.stringify(r) + '\n');
    return;
  }
  io.out(`retval = ${r.retval}\ndata out = ${r.data_out}\nctx out = ${r.ctx_out}\n` +
    (r.insns !== undefined ? `insns = ${r.insns}\n` : '') + `ns/run = ${r.ns_per_run.toFixed(1)}\n`);
  if (!r.maps_after) return;
  io.out('maps after the run (non-zero entries):\n');
  for (const [name, entries] of Object.entries(r.maps_after)) {
    io.out(`  ${name}:${entries.length ? '' : ' (none)'}\n`);
    for (const [k, v] of entries) io.out(`    ${k} => ${v}\n`);
  }
}
