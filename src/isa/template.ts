/**
 * The `bpf` tagged template: inline kernel/llvm-syntax assembly with `;` or newlines between
 * statements and `${}` for numbers, bigints and names (labels, helpers, maps).
 *
 *     const insns = bpf`r0 = ${XDP_PASS}; r1 = ${0x1122334455667788n} ll; exit`;
 */
import type { Insn } from './insn.js';
import { AsmError, assemble } from './asm.js';

/** A value `bpf` can interpolate. */
export type TemplateValue = number | bigint | string;

const NAME = /^[A-Za-z_.][A-Za-z0-9_.]*$/;

function text(value: TemplateValue, source: string): string {
  if (typeof value === 'bigint') return String(value);
  if (typeof value === 'number') {
    if (Number.isSafeInteger(value)) return String(value);
  } else if (NAME.test(value)) {
    return value;
  }
  const lines = source.split('\n');
  throw new AsmError(lines.length, lines[lines.length - 1]!.length + 1, `cannot interpolate ${JSON.stringify(value)}: expected an integer, a bigint or a name`);
}

/** Assembles kernel/llvm-syntax assembly written inline; throws `AsmError` on bad input. */
export function bpf(strings: TemplateStringsArray, ...values: TemplateValue[]): Insn[] {
  let source = strings[0]!;
  values.forEach((v, i) => {
    source += text(v, source) + strings[i + 1]!;
  });
  return assemble(source, { semicolon: 'separator' }).insns;
}
