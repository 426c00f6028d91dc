import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** One bpf_conformance test file, parsed. */
export interface ConformanceCase {
  readonly name: string;
  readonly asm?: string;
  readonly raw?: Uint8Array;
  readonly mem: Uint8Array;
  readonly result?: bigint;
  readonly error?: string;
}

const root = resolve(fileURLToPath(new URL('.', import.meta.url)), '../..');

/** The suite's folder, or undefined with the reason it is missing. */
export function conformanceDir(): { dir?: string; reason?: string } {
  const dir = process.env['BPFSIM_CONFORMANCE_DIR'] ?? join(root, '../shared/conformance/bpf_conformance');
  if (existsSync(join(dir, 'tests'))) return { dir };
  return { reason: `bpf_conformance suite not found at ${dir} (set BPFSIM_CONFORMANCE_DIR to run it)` };
}

/** Hex bytes (`07 00 01`), or 64-bit instruction words (`0x5566778800000018`, little-endian). */
function hexBytes(text: string): Uint8Array {
  const out: number[] = [];
  for (const t of text.split(/\s+/).filter((x) => x.length > 0)) {
    if (/^0x[0-9a-f]{16}$/i.test(t)) {
      const v = BigInt(t);
      for (let i = 0n; i < 8n; i++) out.push(Number((v >> (8n * i)) & 0xffn));
    } else {
      out.push(parseInt(t, 16));
    }
  }
  return Uint8Array.from(out);
}

/** Parses the `-- section` format of a .data file. */
export function parseConformance(name: string, text: string): ConformanceCase {
  const sections = new Map<string, string[]>();
  let current: string[] | undefined;
  for (const line of text.split('\n')) {
    const m = /^-- (.*)$/.exec(line);
    if (m) {
      current = [];
      sections.set(m[1]!.trim(), current);
    } else if (current) {
      current.push(line);
    }
  }
  const body = (k: string): string | undefined => sections.get(k)?.join('\n');
  const strip = (s: string): string => s.split('\n').map((l) => l.replace(/#.*$/, '')).join('\n');
  const out: { -readonly [K in keyof ConformanceCase]: ConformanceCase[K] } = { name, mem: new Uint8Array(0) };
  const asm = body('asm');
  if (asm !== undefined) out.asm = asm;
  const raw = body('raw');
  if (raw !== undefined) out.raw = hexBytes(strip(raw));
  const mem = body('mem');
  if (mem !== undefined) out.mem = hexBytes(strip(mem));
  const result = body('result');
  if (result !== undefined && strip(result).trim() !== '') out.result = BigInt.asUintN(64, BigInt(strip(result).trim()));
  const error = body('error');
  if (error !== undefined) out.error = error.trim();
  return out;
}

/** Every case in a folder of the suite (`tests` or `negative`), sorted by name. */
export function loadConformance(dir: string, sub: 'tests' | 'negative'): ConformanceCase[] {
  return readdirSync(join(dir, sub))
    .filter((f) => f.endsWith('.data'))
    .sort()
    .map((f) => parseConformance(f.replace(/\.data$/, ''), readFileSync(join(dir, sub, f), 'utf8')));
}
