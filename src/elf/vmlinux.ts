/*
 * The running kernel's BTF (/sys/kernel/btf/vmlinux), the target of CO-RE, kfunc and ksym
 * resolution on the kernel backend. Read through `process.getBuiltinModule`, so this module loads
 * in browsers too (where it reports that there is no kernel BTF).
 */
import { LoadError } from './errors.js';
import type { Btf } from './btf/btf.js';
import { parseBtf } from './btf/parse.js';

/** Where Linux exposes its BTF. */
export const VMLINUX_BTF_PATH = '/sys/kernel/btf/vmlinux';

let cached: Btf | undefined;

interface NodeFs {
  readFileSync(path: string): Uint8Array;
}

/** Parses a BTF file from disk (Node only). */
export function readBtfFile(path: string): Btf {
  const proc = (globalThis as { process?: { getBuiltinModule?: (id: string) => unknown } }).process;
  const fs = proc?.getBuiltinModule?.('node:fs') as NodeFs | undefined;
  if (!fs) throw new LoadError(path, 'reading a BTF file needs Node ≥ 20.16 (process.getBuiltinModule); pass the target BTF explicitly');
  let bytes: Uint8Array;
  try {
    bytes = fs.readFileSync(path);
  } catch (e) {
    const code = (e as { code?: string }).code ?? String(e);
    throw new LoadError(path, `cannot read the BTF file (${code}); the kernel needs CONFIG_DEBUG_INFO_BTF, or pass a target BTF`, { cause: e });
  }
  return parseBtf(bytes, path);
}

/** The running kernel's BTF, parsed once per process. */
export function vmlinuxBtf(): Btf {
  cached ??= readBtfFile(VMLINUX_BTF_PATH);
  return cached;
}
