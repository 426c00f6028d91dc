/*
 * What a load says about helper calls, on bpfsim and on Linux 6.18: a helper the program type may
 * not call is EINVAL with the kernel's words, a GPL-only helper needs a GPL-compatible license,
 * and a helper bpfsim does not implement is ENOTSUPP, naming it.
 */
import { afterAll, describe, expect, test } from 'vitest';
import { ErrnoError } from '../../src/errno.js';
import { HelperTable, checkHelperCalls, coreHelpers, defaultHelpers, helperAllowed, licenseIsGplCompatible, progTypeHelpers } from '../../src/helpers/index.js';
import { assemble, helperId } from '../../src/isa/index.js';
import * as U from '../../src/uapi.js';
import type { Backend } from '../../src/vm/index.js';
import { kernelBackend, kernelSkip, simBackend } from './support/xdp.js';

const kernel = kernelBackend();
if (kernelSkip) console.log(`load checks compare bpfsim with recorded kernel messages only: ${kernelSkip}`);
afterAll(() => kernel?.close());

/** Loads `call <helper>` with zeroed arguments and returns the error, or undefined when it loads. */
function load(b: Backend, type: number, helper: string, license = 'GPL'): ErrnoError | undefined {
  const { insns } = assemble(`r1 = 0\nr2 = 0\nr3 = 0\nr4 = 0\nr5 = 0\ncall ${helper}\nr0 = 0\nexit`);
  try {
    b.loadProgram({ type, insns, license, name: 'check' }).program.close();
    return undefined;
  } catch (e) {
    if (e instanceof ErrnoError) return e;
    throw e;
  }
}

const CASES: [name: string, type: number, helper: string, license: string, errno: string, words: RegExp][] = [
  ['XDP may not call a tracing helper', U.BPF_PROG_TYPE_XDP, 'bpf_get_stackid', 'GPL', 'EINVAL', /program of this type cannot use helper bpf_get_stackid#27/],
  ['XDP may not call an skb helper', U.BPF_PROG_TYPE_XDP, 'bpf_skb_store_bytes', 'GPL', 'EINVAL', /program of this type cannot use helper bpf_skb_store_bytes#9/],
  ['tracepoints may not use the coarse clock', U.BPF_PROG_TYPE_TRACEPOINT, 'bpf_ktime_get_coarse_ns', 'GPL', 'EINVAL', /cannot use helper bpf_ktime_get_coarse_ns#160/],
  ['bpf_trace_printk needs a GPL-compatible license', U.BPF_PROG_TYPE_XDP, 'bpf_trace_printk', 'MIT', 'EINVAL', /cannot call GPL-restricted function from non-GPL compatible program/],
  ['bpf_probe_read_kernel needs one too', U.BPF_PROG_TYPE_SOCKET_FILTER, 'bpf_probe_read_kernel', 'Proprietary', 'EINVAL', /GPL-restricted/],
];

describe('helper calls at load', () => {
  test.each(CASES)('%s', (_, type, helper, license, errno, words) => {
    const sim = simBackend();
    try {
      const e = load(sim, type, helper, license);
      expect(e?.errnoName).toBe(errno);
      expect(e?.message).toMatch(words);
      if (!kernel) return;
      const k = load(kernel, type, helper, license);
      expect(k?.errnoName).toBe(errno);
      expect(k?.message).toMatch(words);
    } finally {
      sim.close();
    }
  });

  test('an allowed helper bpfsim lacks is ENOTSUPP, naming it', () => {
    const sim = simBackend();
    const e = load(sim, U.BPF_PROG_TYPE_XDP, 'bpf_kptr_xchg');
    expect(e?.errnoName).toBe('ENOTSUPP');
    expect(e?.message).toMatch(/bpf_kptr_xchg#194 is not implemented by bpfsim/);
    sim.close();
  });

  test('a helper id Linux does not know is left to the verifier', () => {
    const { insns } = assemble('call 300\nr0 = 0\nexit');
    expect(() => checkHelperCalls(defaultHelpers(), insns, U.BPF_PROG_TYPE_XDP)).not.toThrow();
  });

  test('the check names the instruction, and bpf_tail_call needs no implementation', () => {
    const { insns } = assemble('r0 = 0\ncall bpf_tail_call\ncall bpf_get_stack\nexit');
    expect(() => checkHelperCalls(new HelperTable(), insns, U.BPF_PROG_TYPE_KPROBE)).toThrow(/insn 2: helper bpf_get_stack#67 is not implemented/);
  });
});

describe('the helper table', () => {
  test('every implemented helper has a prototype of at most five arguments', () => {
    for (const d of coreHelpers) {
      expect(d.proto, d.name).toBeDefined();
      expect(d.proto!.args.length, d.name).toBeLessThanOrEqual(5);
      expect(helperId(d.name), d.name).toBe(d.id);
    }
  });

  test('program types: rules by type, unknown types unrestricted', () => {
    expect(helperAllowed(U.BPF_PROG_TYPE_XDP, helperId('xdp_adjust_head')!)).toBe(true);
    expect(helperAllowed(U.BPF_PROG_TYPE_SCHED_CLS, helperId('xdp_adjust_head')!)).toBe(false);
    expect(helperAllowed(U.BPF_PROG_TYPE_STRUCT_OPS, 1)).toBeUndefined();
    expect(progTypeHelpers(U.BPF_PROG_TYPE_XDP)?.probed).toBe(true);
    expect(progTypeHelpers(U.BPF_PROG_TYPE_LSM)?.probed).toBe(false);
    const t = defaultHelpers();
    expect(t.forProgType(U.BPF_PROG_TYPE_XDP).map((d) => d.name)).not.toContain('bpf_get_stackid');
    expect(t.allowed(helperId('get_stackid')!, U.BPF_PROG_TYPE_KPROBE)).toBe(true);
  });

  test('GPL-compatible licenses are the kernel\'s list', () => {
    expect(['GPL', 'GPL v2', 'Dual BSD/GPL', 'Dual MIT/GPL', 'Dual MPL/GPL', 'GPL and additional rights'].every(licenseIsGplCompatible)).toBe(true);
    expect(['MIT', 'BSD', 'gpl', 'Proprietary', ''].some(licenseIsGplCompatible)).toBe(false);
  });
});
