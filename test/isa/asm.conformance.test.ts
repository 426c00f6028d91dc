import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, test } from 'vitest';
import { AsmError, assemble, decodeInsns, decodeProgram, disasm, encodeInsns, validateProgram } from '../../src/isa/index.js';

/** The bpf_conformance suite's data files (see ../shared/conformance/README.md). */
const ROOT = '/work/shared/conformance/bpf_conformance';
const SECTIONS = new Set(['asm', 'raw', 'mem', 'result', 'error', 'c', 'no register offset']);

function sections(text: string): Map<string, string> {
  const out = new Map<string, string>();
  let name: string | null = null;
  for (const line of text.split('\n')) {
    const header = /^-- (.*?)\s*$/.exec(line);
    if (header && SECTIONS.has(header[1]!)) {
      name = header[1]!;
      out.set(name, '');
    } else if (name !== null) {
      out.set(name, out.get(name)! + line + '\n');
    }
  }
  return out;
}

/** `-- raw` holds one instruction per line: eight hex bytes, or one little-endian 64-bit word. */
function rawBytes(text: string): Uint8Array {
  const bytes: number[] = [];
  for (const line of text.split('\n').map((l) => l.replace(/#.*/, '').trim()).filter(Boolean)) {
    if (line.startsWith('0x')) {
      let word = BigInt(line);
      for (let i = 0; i < 8; i++, word >>= 8n) bytes.push(Number(word & 0xffn));
    } else {
      bytes.push(...line.split(/\s+/).map((h) => parseInt(h, 16)));
    }
  }
  return Uint8Array.from(bytes);
}

function dataFiles(dir: string): [string, Map<string, string>][] {
  const path = join(ROOT, dir);
  if (!existsSync(path)) return [];
  return readdirSync(path).filter((f) => f.endsWith('.data')).sort().map((f) => [f, sections(readFileSync(join(path, f), 'utf8'))]);
}

const positive = dataFiles('tests');
const negative = dataFiles('negative');
const available = positive.length > 0;
if (!available) process.stdout.write(`skipping the bpf_conformance tests: ${ROOT} is not present\n`);

/** Negative tests whose program is well formed: they fail when run, not when assembled. */
const FAILS_WHEN_RUN: Record<string, string> = {
  'error.data': 'reads r0 before writing it, which the verifier refuses',
  'incorrect_return_value_high_bits.data': 'expects a deliberately wrong result',
};

describe.runIf(available)('bpf_conformance', () => {
  test('has the 313 positive and 60 negative tests', () => {
    expect(positive.length).toBe(313);
    expect(negative.length).toBe(60);
  });

  test.each(positive)('%s assembles, matches its raw bytes and round-trips', (_name, data) => {
    const { insns } = assemble(data.get('asm')!, { dialect: 'ubpf' });
    validateProgram(insns);
    const raw = data.get('raw');
    if (raw !== undefined) expect(encodeInsns(insns)).toEqual(rawBytes(raw));
    for (const style of ['kernel', 'llvm', 'ubpf'] as const) {
      const again = assemble(disasm(insns, { style }), { dialect: style === 'ubpf' ? 'ubpf' : 'llvm' }).insns;
      expect(again, style).toEqual(insns);
    }
  });

  const negativeAsm = negative.filter(([, data]) => data.has('asm'));
  test.each(negativeAsm.filter(([name]) => !(name in FAILS_WHEN_RUN)))('negative %s is refused by the assembler', (_name, data) => {
    expect(() => assemble(data.get('asm')!, { dialect: 'ubpf' })).toThrow(AsmError);
  });

  test.each(Object.entries(FAILS_WHEN_RUN))('negative %s assembles: it %s', (name) => {
    const data = negativeAsm.find(([n]) => n === name)![1];
    validateProgram(assemble(data.get('asm')!, { dialect: 'ubpf' }).insns);
  });

  test.each(negative.filter(([, data]) => data.has('raw')))('negative %s is refused by decodeProgram', (_name, data) => {
    expect(() => decodeProgram(rawBytes(data.get('raw')!), { allowCallx: false })).toThrow();
    expect(decodeInsns(rawBytes(data.get('raw')!)).length).toBeGreaterThan(0);
  });

  test('the assembler errors name the token and its position', () => {
    const message = (name: string) => {
      try {
        assemble(negativeAsm.find(([n]) => n === name)![1].get('asm')!, { dialect: 'ubpf' });
      } catch (e) {
        return (e as Error).message;
      }
      return 'no error';
    };
    expect(message('invalid_imm32_dec_range.data')).toBe('2:12: immediate 2147483648 does not fit in 32 bits');
    expect(message('invalid_imm32_hex_range.data')).toBe('2:12: immediate 0x100000000 does not fit in 32 bits');
    expect(message('invalid_register.data')).toBe('1:9: unknown register %r50');
    expect(message('invalid_label.data')).toBe("1:4: undefined label 'NOT_A_LABEL'");
    expect(message('invalid_mnemonic.data')).toBe("2:1: unknown instruction 'ldxq'");
    expect(message('invalid_offset.data')).toBe("1:11: expected a memory operand such as [%r1+4], found '%r1'");
    expect(message('invalid_offset_range.data')).toBe('2:15: offset +0x10000 does not fit in 16 bits');
    expect(message('invalid_operand_count.data')).toBe('1:9: lddw takes %rD, imm64');
    expect(message('invalid_lock.data')).toBe('1:17: lock or takes [%rD+off], %rS');
    expect(message('invalid_lock2.data')).toBe('1:5: lock needs an operation: lock [fetch] add|or|and|xor|xchg|cmpxchg[32] [%rD+off], %rS');
    expect(message('invalid_unknown_directive.data')).toBe("1:1: expected an instruction, found '-'");
  });
});
