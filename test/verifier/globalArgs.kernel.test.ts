/**
 * Every kind of register passed for every kind of global-function parameter (a context, an
 * integer, an 8-byte struct pointer, `void *`), through bpfsim and the kernel: the same reason
 * for a refusal (or acceptance) and the same number of processed instructions.
 */
import { afterAll, describe, expect, test } from 'vitest';
import { assemble } from '../../src/isa/index.js';
import { KernelBackend, kernelAvailable } from '../../src/kernel/index.js';
import { BPF_MAP_TYPE_ARRAY, BPF_PROG_TYPE_XDP } from '../../src/uapi.js';
import { type Backend, SimBackend } from '../../src/vm/index.js';
import { type ParamDecl, globalFuncBtf } from './support/globalBtf.js';
import { kernelReason } from './support/verdicts.js';

const LOOKUP = ['r2 = 0', '*(u32 *)(r10 -4) = r2', 'r2 = r10', 'r2 += -4', 'r1 = map[idx:0]', 'call bpf_map_lookup_elem'];

/** Instructions leaving a value of some kind in r1 (r6 holds the context). */
const VALUES: Readonly<Record<string, readonly string[]>> = {
  'the context': ['r1 = r6'],
  'the context moved by 4': ['r1 = r6', 'r1 += 4'],
  'NULL': ['r1 = 0'],
  'a constant': ['r1 = 5'],
  'an unknown scalar': ['call bpf_get_prandom_u32', 'r1 = r0'],
  '8 written stack bytes': ['r2 = 0', '*(u64 *)(r10 -8) = r2', 'r1 = r10', 'r1 += -8'],
  '4 stack bytes': ['r2 = 0', '*(u32 *)(r10 -4) = r2', 'r1 = r10', 'r1 += -4'],
  'uninitialised stack': ['r1 = r10', 'r1 += -16'],
  'a map value or NULL': [...LOOKUP, 'r1 = r0'],
  'a map value': [...LOOKUP, 'if r0 == 0 goto out', 'r1 = r0'],
  'the last 4 bytes of a map value': [...LOOKUP, 'if r0 == 0 goto out', 'r1 = r0', 'r1 += 4'],
  'a packet pointer with no range': ['r1 = *(u32 *)(r6 +0)'],
  'a packet pointer with 8 bytes': ['r2 = *(u32 *)(r6 +0)', 'r3 = *(u32 *)(r6 +4)', 'r4 = r2', 'r4 += 8', 'if r4 > r3 goto out', 'r1 = r2'],
  'the packet end': ['r1 = *(u32 *)(r6 +4)'],
  'a map pointer': ['r1 = map[idx:0]'],
};
const PARAMS: readonly ParamDecl[] = ['ctx', 'int', 'pair', 'void*'];
const CASES = PARAMS.flatMap((param) => Object.keys(VALUES).map((value) => ({ param, value })));

function outcome(backend: Backend, param: ParamDecl, value: string): { reason: string; processed: number } {
  const body = ['r6 = r1', ...VALUES[value]!, 'call f1', 'out:', 'r0 = 0', 'exit', 'f1:', 'r0 = 0', 'exit'];
  const insns = assemble(body.join('\n')).insns;
  const map = backend.createMap({ type: BPF_MAP_TYPE_ARRAY, keySize: 4, valueSize: 8, maxEntries: 1, name: 'values' });
  try {
    const r = backend.loadProgram({
      type: BPF_PROG_TYPE_XDP, insns, maps: [map], logLevel: 1, name: 'globals', btf: globalFuncBtf(insns, [{ global: true, params: [param] }]),
    });
    r.program.close();
    return { reason: '', processed: r.verifiedInsns ?? -1 };
  } catch (e) {
    const log = (e as { log?: string }).log ?? String(e);
    return { reason: kernelReason(log), processed: Number(/processed (\d+) insns/.exec(log)?.[1] ?? -1) };
  } finally {
    map.close();
  }
}

const available = kernelAvailable();
if (!available.ok) console.log(`skipping global function arguments through both verifiers: ${available.reason}`);
const sim = new SimBackend();
const kernel = available.ok ? new KernelBackend() : undefined;
afterAll(() => {
  sim.close();
  kernel?.close();
});

describe.skipIf(!kernel)('global function arguments through both verifiers', () => {
  test.each(CASES)('$value for a $param parameter', ({ param, value }) => {
    expect(outcome(sim, param, value)).toEqual(outcome(kernel!, param, value));
  });
});
