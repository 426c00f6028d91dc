import { describe, expect, test } from 'vitest';
import { BpfError } from '../../src/errors.js';
import { InvalidInsnError, assemble, encodeInsns } from '../../src/isa/index.js';
import { UNWIND_HELPER, conformanceMachine } from '../../src/cli/commands/plugin.js';
import { Machine } from '../../src/vm/index.js';
import { conformanceDir, loadConformance } from '../support/conformance.js';
import type { ConformanceCase } from '../support/conformance.js';

const { dir, reason } = conformanceDir();
if (!dir) console.log(`skipping bpf_conformance: ${reason}`);

function bytecode(c: ConformanceCase): Uint8Array {
  if (c.raw) return c.raw;
  if (c.asm === undefined) return new Uint8Array(0);
  return encodeInsns(assemble(c.asm, { dialect: 'ubpf' }).insns);
}

function run(m: Machine, c: ConformanceCase, engine: string): bigint {
  const prog = m.loadProgram({ insns: bytecode(c), name: c.name });
  return prog.runRaw({ mem: c.mem, engine, unwindHelper: UNWIND_HELPER }).r0;
}

/** The suite runs on every engine: the interpreter and the JIT. */
const ENGINES = ['interp', 'jit'] as const;

describe.skipIf(!dir).each(ENGINES)('bpf_conformance on %s', (engine) => {
  const cases = dir ? loadConformance(dir, 'tests') : [];
  const m = conformanceMachine();

  test('the suite has 313 tests', () => expect(cases.length).toBe(313));

  test.each(cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    if (c.raw && c.asm !== undefined) {
      expect(encodeInsns(assemble(c.asm, { dialect: 'ubpf' }).insns)).toEqual(c.raw);
    }
    expect(run(m, c, engine)).toBe(c.result);
  });

  const negatives = dir ? loadConformance(dir, 'negative') : [];
  test('the suite has 60 negative test files (and invalid.sh)', () => expect(negatives.length).toBe(60));

  // A negative test passes when the suite's runner would report it as failed: the program is
  // refused with an error other than the expected text, or returns another 64-bit value than
  // expected (incorrect_return_value_high_bits differs in the high half only).
  test.each(negatives.map((c) => [c.name, c] as const))('negative %s is refused', (_name, c) => {
    let outcome: bigint | Error;
    try {
      outcome = run(m, c, engine);
    } catch (e) {
      outcome = e as Error;
    }
    if (outcome instanceof Error) {
      expect(outcome).toBeInstanceOf(BpfError);
      expect(outcome.message).not.toBe(c.error);
      if (c.raw) expect(outcome).toBeInstanceOf(InvalidInsnError);
    } else {
      expect(outcome).not.toBe(c.result ?? 0n);
    }
  });
});
