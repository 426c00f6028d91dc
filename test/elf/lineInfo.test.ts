import { expect, test } from 'vitest';
import { formatSourceLine, loadCollectionSpec, sourceLineAt } from '../../src/elf/index.js';
import { fixture } from './support/objects.js';

const p = loadCollectionSpec(fixture('xdp_parser.o')).programs['xdp_parser']!;

test('every slot of a -g program maps to a C line', () => {
  for (let i = 0; i < p.insns.length; i++) expect(sourceLineAt(p.lineInfo, i), `slot ${i}`).toBeDefined();
  expect(sourceLineAt([], 0)).toBeUndefined();
});

test('a fault at a slot reads as file:line: source', () => {
  const bounds = p.lineInfo.find((l) => l.source.includes('(eth + 1) > data_end'))!;
  expect(formatSourceLine(sourceLineAt(p.lineInfo, bounds.insn)!)).toBe('xdp_parser.c:77: if ((void *)(eth + 1) > data_end)');
});

test('subprogram lines follow the subprogram to its linked position', () => {
  const count = p.functions.find((f) => f.name === 'count')!;
  expect(formatSourceLine(sourceLineAt(p.lineInfo, count.insn)!)).toMatch(/^xdp_parser\.c:3\d: static __noinline void count\(__u32 idx, __u64 bytes\)$/);
});
