import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { assemble, decodeInsns, disasm, encodeInsns, validateProgram, type DisasmOptions } from '../../src/isa/index.js';
import { arbProgram } from '../support/arbProgram.js';

const RUNS = { numRuns: 10_000 };

describe('round trips over random valid programs', () => {
  test('generated programs pass validateProgram', () => {
    fc.assert(fc.property(arbProgram(), (insns) => validateProgram(insns)), RUNS);
  });

  test('decodeInsns(encodeInsns(p)) is p', () => {
    fc.assert(fc.property(arbProgram(), (insns) => {
      expect(decodeInsns(encodeInsns(insns))).toEqual(insns);
    }), RUNS);
  });

  const styles: [string, DisasmOptions, 'llvm' | 'ubpf'][] = [
    ['kernel', { style: 'kernel' }, 'llvm'],
    ['llvm', { style: 'llvm' }, 'llvm'],
    ['llvm --mattr=+alu32', { style: 'llvm', alu32: true }, 'llvm'],
    ['ubpf', { style: 'ubpf' }, 'ubpf'],
  ];
  test.each(styles)('assemble(disasm(p)) is p in %s style', (_name, opts, dialect) => {
    fc.assert(fc.property(arbProgram(), (insns) => {
      expect(assemble(disasm(insns, opts), { dialect }).insns).toEqual(insns);
    }), RUNS);
  });

  test('a listing without its prefixes assembles too', () => {
    fc.assert(fc.property(arbProgram({ maxLength: 10 }), (insns) => {
      const bare = disasm(insns).split('\n').map((l) => l.replace(/^\d+: \([0-9a-f]{2}\) /, '')).join('\n');
      expect(assemble(bare).insns).toEqual(insns);
    }), { numRuns: 1000 });
  });
});
