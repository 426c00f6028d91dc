import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, test } from 'vitest';
import { decodeInsns, disasm, disasmInsn, imm64, type Insn } from '../../src/isa/index.js';

/**
 * Compares the kernel-style disassembly with verifier logs captured from a real kernel by
 * scripts/capture-verifier-log.py (the fixture records the kernel release it came from).
 */
interface CapturedProgram {
  name: string;
  insns: string[];
  kfuncs: Record<string, string>;
  lines: Record<string, string>;
}

const fixture = JSON.parse(readFileSync(fileURLToPath(new URL('./fixtures/verifier-log.json', import.meta.url)), 'utf8')) as {
  kernel: string;
  programs: CapturedProgram[];
};

function decodeHex(slots: string[]): Insn[] {
  return decodeInsns(Uint8Array.from(slots.join('').match(/../g)!, (h) => parseInt(h, 16)));
}

/** Our text for LD_IMM64 pseudo sources differs from the kernel's on purpose: it says what the slot refers to. */
function expectedPseudo(insns: Insn[], i: number, kernel: string): string | null {
  const ins = insns[i]!;
  if (ins.code !== 0x18 || ins.src === 0) return null;
  if (ins.src === 4) {
    expect(kernel).toBe(`(18) r${ins.dst} = 0x${imm64(insns, i).toString(16)}`);
    return `(18) r${ins.dst} = subprog[${ins.imm < 0 ? ins.imm : '+' + ins.imm}]`;
  }
  expect(kernel).toBe(`(18) r${ins.dst} = <kernel address>`);
  const kind = ins.src === 1 || ins.src === 5 ? 'map' : 'map_value';
  const ref = ins.src <= 2 ? `fd:${ins.imm}` : `idx:${ins.imm}`;
  const hi = insns[i + 1]!.imm;
  return `(18) r${ins.dst} = ${kind}[${ref}]${hi ? ` + ${hi}` : ''}`;
}

describe(`kernel-style disassembly matches the verifier log of Linux ${fixture.kernel}`, () => {
  test.each(fixture.programs)('$name', (prog) => {
    const insns = decodeHex(prog.insns);
    const kfuncName = (id: number) => prog.kfuncs[String(id)];
    const entries = Object.entries(prog.lines);
    expect(entries.length).toBeGreaterThan(0);
    for (const [index, kernel] of entries) {
      const i = Number(index);
      const ours = `(${insns[i]!.code.toString(16).padStart(2, '0')}) ${disasmInsn(insns, i, { kfuncName })}`;
      expect(ours, `insn ${i}`).toBe(expectedPseudo(insns, i, kernel) ?? kernel);
    }
  });

  test('disasm prints the log lines with their slot index', () => {
    const prog = fixture.programs.find((p) => p.name === 'alu64')!;
    const lines = disasm(decodeHex(prog.insns)).split('\n');
    expect(lines).toEqual(Object.entries(prog.lines).map(([i, text]) => `${i}: ${text}`));
  });

  test('the fixture covers every instruction kind the kernel accepts', () => {
    const codes = new Set(fixture.programs.flatMap((p) => decodeHex(p.insns).map((ins) => ins.code)));
    const required = [
      0x07, 0x0f, 0x17, 0x1f, 0x27, 0x2f, 0x37, 0x3f, 0x47, 0x4f, 0x57, 0x5f, 0x67, 0x6f, 0x77, 0x7f, 0x87,
      0x97, 0x9f, 0xa7, 0xaf, 0xb7, 0xbf, 0xc7, 0xcf, 0xd7, 0x04, 0x0c, 0x14, 0x1c, 0x24, 0x2c, 0x34, 0x3c,
      0x44, 0x4c, 0x54, 0x5c, 0x64, 0x6c, 0x74, 0x7c, 0x84, 0x94, 0x9c, 0xa4, 0xac, 0xb4, 0xbc, 0xc4, 0xcc,
      0xd4, 0xdc, 0x05, 0x06, 0x85, 0x95, 0xe5, 0x18, 0x20, 0x28, 0x30, 0x40, 0x48, 0x50, 0x61, 0x69, 0x71,
      0x79, 0x81, 0x89, 0x91, 0x62, 0x6a, 0x72, 0x7a, 0x63, 0x6b, 0x73, 0x7b, 0xc3, 0xdb,
    ];
    for (const cls of [0x05, 0x06]) {
      for (const op of [0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0xa0, 0xb0, 0xc0, 0xd0]) required.push(cls | op, cls | op | 8);
    }
    expect(required.filter((c) => !codes.has(c))).toEqual([]);
  });
});
