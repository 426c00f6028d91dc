/**
 * Global functions from a clang-built object: the FUNC linkage and prototype the loader gives the
 * verifier (parameters, `arg:` tags, pointee sizes, scalar returns), and each program of
 * global_funcs.o refused or accepted by bpfsim with the kernel's reason and processed count.
 */
import { afterAll, describe, expect, test } from 'vitest';
import { BTF_KIND_FUNC, type Btf, funcLinkage, funcSignature, loadCollection, loadCollectionSpec } from '../../src/elf/index.js';
import { SimBackend, type Backend } from '../../src/vm/index.js';
import { kernelReason } from '../verifier/support/verdicts.js';
import { kernelBackend, kernelSkipReason } from './support/kernel.js';
import { fixture } from './support/objects.js';

const FILE = 'global_funcs.o';

function spec() {
  return loadCollectionSpec(fixture(FILE), { objectName: 'global_funcs' });
}

function funcId(btf: Btf, name: string): number {
  const id = btf.find(name, BTF_KIND_FUNC);
  if (id === undefined) throw new Error(`no FUNC ${name}`);
  return id;
}

describe('FUNC linkage and prototypes', () => {
  const btf = spec().btf!;

  test('global and static linkage', () => {
    expect(funcLinkage(btf, funcId(btf, 'gf_len'))).toBe('global');
    expect(funcLinkage(btf, funcId(btf, 'xdp_global_args'))).toBe('global');
  });

  test('a context pointer, memory with its size, tags, scalars', () => {
    expect(funcSignature(btf, funcId(btf, 'gf_len'))).toEqual({
      params: [{ kind: 'pointer', btfKind: 'PTR', pointee: { kind: 'STRUCT', name: 'xdp_md', size: 24 }, tags: [] }], returnsScalar: true,
    });
    expect(funcSignature(btf, funcId(btf, 'gf_queue'))!.params[0]).toEqual({ kind: 'pointer', btfKind: 'PTR', pointee: { kind: 'UNKNOWN', name: '' }, tags: ['ctx'] });
    expect(funcSignature(btf, funcId(btf, 'gf_first'))!.params[0]).toEqual({
      kind: 'pointer', btfKind: 'PTR', pointee: { kind: 'STRUCT', name: 'pair', size: 8 }, tags: ['nonnull'],
    });
    expect(funcSignature(btf, funcId(btf, 'gf_outer'))!.params.map((p) => p.kind)).toEqual(['scalar', 'pointer']);
  });

  test('a function returning a pointer does not return a scalar', () => {
    expect(funcSignature(btf, funcId(btf, 'gf_ret_ptr'))!.returnsScalar).toBe(false);
  });
});

/** Each program's outcome: the kernel's reason ('' when accepted) and processed count. */
const OUTCOMES: Readonly<Record<string, { readonly reason: string; readonly processed: number }>> = {
  xdp_global_args: { reason: '', processed: 75 },
  xdp_global_maybe_null: { reason: 'arg#0 is expected to be non-NULL\nCaller passes invalid args into func#1 (\'gf_first\')', processed: 8 },
  xdp_global_short_mem: {
    reason: 'invalid access to packet, off=0 size=8, R1(id=0,off=0,r=4)\nR1 offset is outside of the packet\nCaller passes invalid args into func#1 (\'gf_sum\')',
    processed: 7,
  },
  xdp_global_ptr_for_scalar: { reason: 'R1 is not a scalar\nCaller passes invalid args into func#1 (\'gf_inner\')', processed: 1 },
  xdp_global_ret_ptr: {
    reason: 'Global function gf_ret_ptr() doesn\'t return scalar. Only those are supported.\nCaller passes invalid args into func#1 (\'gf_ret_ptr\')',
    processed: 8,
  },
  xdp_global_bad_body: { reason: 'R1 invalid mem access \'mem_or_null\'', processed: 14 },
  xdp_global_deep_stack: {
    reason: 'Func#1 (\'gf_big_stack\') is safe for any args that match its prototype\ncombined stack size of 2 calls is 576. Too large',
    processed: 31,
  },
};

function outcome(backend: Backend, prog: string): { reason: string; processed: number } {
  try {
    const c = loadCollection(spec(), { backend, programs: [prog], logLevel: 1 });
    const processed = c.programs[prog]!.verifiedInsns ?? -1;
    c.close();
    return { reason: '', processed };
  } catch (e) {
    const log = (e as { log?: string }).log ?? String(e);
    return { reason: kernelReason(log), processed: Number(/processed (\d+) insns/.exec(log)?.[1] ?? -1) };
  }
}

const skip = kernelSkipReason();
if (skip) console.log(`skipping the kernel's side of the global_funcs.o tests: ${skip}`);
const sim = new SimBackend();
const kernel = skip ? undefined : kernelBackend();
afterAll(() => {
  sim.close();
  kernel?.close();
});

describe('global_funcs.o', () => {
  test.each(Object.keys(OUTCOMES))('bpfsim: %s', (prog) => {
    expect(outcome(sim, prog)).toEqual(OUTCOMES[prog]);
  });

  test.skipIf(!kernel).each(Object.keys(OUTCOMES))('kernel: %s', (prog) => {
    expect(outcome(kernel!, prog)).toEqual(OUTCOMES[prog]);
  });
});
