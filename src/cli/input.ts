import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { isElf } from '../elf/index.js';
import { assemble, decodeProgram } from '../isa/index.js';
import type { Insn } from '../isa/index.js';
import { UsageError } from './usage.js';

/** Reads a file, turning a missing or unreadable one into a UsageError. */
export function readFile(path: string): Uint8Array {
  try {
    return readFileSync(path);
  } catch (e) {
    const why = (e as { code?: string }).code ?? (e instanceof Error ? e.message : String(e));
    throw new UsageError(`cannot read ${path}: ${why}`);
  }
}

/** Parses hex bytes (`aa bb`, `aabb`, `0xaa,0xbb`); whitespace, commas and 0x prefixes are ignored. */
export function parseHex(text: string, what: string): Uint8Array {
  const clean = text.replace(/0x/gi, '').replace(/[\s,]+/g, '');
  if (clean.length % 2 !== 0 || /[^0-9a-f]/i.test(clean)) {
    throw new UsageError(`${what}: '${text.slice(0, 40)}' is not a sequence of hex bytes`);
  }
  const out = new Uint8Array(clean.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = parseInt(clean.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** Bytes as lower-case hex, two digits each, no separators (what parseHex reads back). */
export function hexBytes(bytes: Uint8Array): string {
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

/** Bytes given as `HEX` or `@FILE` (a binary file). */
export function bytesArg(value: string, what: string): Uint8Array {
  return value.startsWith('@') ? readFile(value.slice(1)) : parseHex(value, what);
}

/** Whether bytes look like assembly text rather than bytecode (text has no control bytes). */
function looksLikeText(bytes: Uint8Array): boolean {
  for (const b of bytes.subarray(0, 4096)) if (b < 9 || (b > 13 && b < 32)) return false;
  return true;
}

/** A program file: assembly (`.s`, `.asm`, or text) or raw little-endian bytecode (`.bin` or binary). */
export function readProgram(path: string, dialect: 'llvm' | 'ubpf' = 'llvm'): Insn[] {
  const bytes = readFile(path);
  if (isElf(bytes)) throw new UsageError(`${path} is a BPF ELF object, not bytecode or assembly (see bpfsim inspect, bpfsim disasm)`);
  const ext = extname(path).toLowerCase();
  const text = ext === '.s' || ext === '.asm' || (ext !== '.bin' && looksLikeText(bytes));
  if (text) return assemble(new TextDecoder().decode(bytes), { dialect }).insns;
  return decodeProgram(bytes);
}
