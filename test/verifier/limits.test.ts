/**
 * The verifier's limits: more than 8192 branches waiting to be explored fails the load, with the
 * errno Linux 6.18 gives when the waiting branch comes from a conditional jump (EFAULT).
 */
import { describe, expect, test } from 'vitest';
import { assemble, encodeInsns } from '../../src/isa/index.js';
import { kernelAvailable, nativeBpf } from '../../src/kernel/index.js';
import { ERRNO } from '../../src/errno.js';
import { BPF_PROG_TYPE_XDP } from '../../src/uapi.js';
import { verifyProgram } from '../../src/verifier/index.js';
import { kernelReason } from './support/verdicts.js';

/** 8193 undecided jumps in a row, each leaving its other edge for later. */
const JUMPS = assemble(['call bpf_get_prandom_u32', ...Array.from({ length: 8193 }, (_, i) => `if r0 == ${i} goto out`), 'out:', 'r0 = 0', 'exit'].join('\n')).insns;
const WANT = { errno: ERRNO.EFAULT, message: 'The sequence of 8193 jumps is too complex.' };
const available = kernelAvailable();

describe('the jump-sequence limit', () => {
  test('bpfsim', () => {
    const r = verifyProgram(JUMPS, { progType: BPF_PROG_TYPE_XDP });
    expect({ errno: r.errno, message: r.errors[0]?.message }).toEqual(WANT);
  });

  test.skipIf(!available.ok)('the kernel', () => {
    const r = nativeBpf().progLoad({ prog_type: BPF_PROG_TYPE_XDP, insns: encodeInsns(JUMPS), license: 'GPL', log_level: 1, log_size: 1 << 20 });
    if (r.fd >= 0) nativeBpf().close(r.fd);
    expect({ errno: r.errno, message: kernelReason(r.log).split('\n')[0] }).toEqual(WANT);
  });
});
