/**
 * Precision through atomics: a value spilled to the stack and read back by a fetching atomic
 * (kernel deviation kbug1) must stay precise, so the path on which the final branch goes the
 * other way is explored rather than pruned. Linux 6.18 prunes it; bpfsim explores it, exactly as
 * it (and the kernel) does for the control, where a plain load replaces the atomic.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { decodeProgram, encodeInsns } from '../../src/isa/index.js';
import { kernelAvailable, nativeBpf } from '../../src/kernel/index.js';
import { BPF_PROG_TYPE_XDP } from '../../src/uapi.js';
import { verifyProgram } from '../../src/verifier/index.js';

const dir = new URL('../fixtures/kernel-deviations/', import.meta.url);
const program = (name: string) => decodeProgram(readFileSync(fileURLToPath(new URL(`${name}.bin`, dir))));
/** The instruction only the path with the other outcome reaches (`r0 = 1`). */
const OTHER_SIDE = 13;
const available = kernelAvailable();

describe('precision through a fetching atomic (kbug1)', () => {
  test.each(['kbug1-atomic-precision', 'kbug1-control-ldx'])('%s: both outcomes of the final branch are explored', (name) => {
    const r = verifyProgram(program(name), { progType: BPF_PROG_TYPE_XDP, recordStates: true });
    expect(r.ok).toBe(true);
    expect(r.stateAt(OTHER_SIDE).length).toBe(1);
    expect(r.stats.processed).toBe(35);
  });

  test.skipIf(!available.ok)('Linux 6.18 prunes the other outcome of the atomic version only', () => {
    const visits = (name: string): boolean => {
      const r = nativeBpf().progLoad({ prog_type: BPF_PROG_TYPE_XDP, insns: encodeInsns(program(name)), license: 'GPL', log_level: 2, log_size: 1 << 20 });
      if (r.fd >= 0) nativeBpf().close(r.fd);
      return new RegExp(`^${OTHER_SIDE}: \\(b7\\)`, 'm').test(r.log);
    };
    expect(visits('kbug1-control-ldx')).toBe(true);
    const fixed = visits('kbug1-atomic-precision');
    if (fixed) console.log('kbug1: this kernel explores both outcomes now; the deviation is fixed here');
  });
});
