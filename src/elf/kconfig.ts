/*
 * Values of `.kconfig` externs: the simulated kernel's configuration (overridable per load), and
 * their encoding into the `.kconfig` map as libbpf encodes them: bool and tristate from `y`/`n`/`m`,
 * `char` as the letter, integers range-checked, char arrays as NUL-terminated strings.
 */
import { BpfError } from '../errors.js';
import type { KconfigExtern } from './spec.js';

/** A kconfig value: `y`/`n`/`m`, a boolean, a number, or a string (for `char[]` externs). */
export type KconfigValue = boolean | number | bigint | string;

/** KERNEL_VERSION(a, b, c) as the kernel computes it (the sublevel saturates at 255). */
export function kernelVersion(major: number, minor: number, patch: number): number {
  return (major << 16) + (minor << 8) + Math.min(patch, 255);
}

/** The simulated kernel's configuration: a 6.18 x86-64 kernel with BPF, networking and IPv6 built in. */
export const SIM_KCONFIG: Readonly<Record<string, KconfigValue>> = {
  LINUX_KERNEL_VERSION: kernelVersion(6, 18, 0),
  LINUX_HAS_BPF_COOKIE: true,
  LINUX_HAS_SYSCALL_WRAPPER: true,
  CONFIG_HZ: 250,
  CONFIG_HZ_250: 'y',
  CONFIG_NR_CPUS: 64,
  CONFIG_SMP: 'y',
  CONFIG_64BIT: 'y',
  CONFIG_X86_64: 'y',
  CONFIG_BPF: 'y',
  CONFIG_BPF_SYSCALL: 'y',
  CONFIG_BPF_JIT: 'y',
  CONFIG_BPF_JIT_ALWAYS_ON: 'y',
  CONFIG_BPF_EVENTS: 'y',
  CONFIG_DEBUG_INFO_BTF: 'y',
  CONFIG_NET: 'y',
  CONFIG_INET: 'y',
  CONFIG_IPV6: 'y',
  CONFIG_NET_CLS_BPF: 'm',
  CONFIG_NET_ACT_BPF: 'm',
  CONFIG_NET_SCH_INGRESS: 'm',
  CONFIG_XDP_SOCKETS: 'y',
  CONFIG_NF_CONNTRACK: 'm',
  CONFIG_PREEMPT_NONE: 'y',
  CONFIG_LOCALVERSION: '',
};

/** Parses kernel config text (`/proc/config.gz` uncompressed, or `/boot/config-*`) into values. */
export function parseKconfig(text: string): Record<string, KconfigValue> {
  const out: Record<string, KconfigValue> = {};
  for (const raw of text.split('\n')) {
    const line = raw.trim();
    const off = /^# (CONFIG_\w+) is not set$/.exec(line);
    if (off) {
      out[off[1]!] = 'n';
      continue;
    }
    const m = /^(CONFIG_\w+)=(.*)$/.exec(line);
    if (!m) continue;
    const v = m[2]!;
    if (v.startsWith('"') && v.endsWith('"') && v.length >= 2) out[m[1]!] = v.slice(1, -1).replace(/\\(.)/g, '$1');
    else if (/^-?(0x[0-9a-f]+|\d+)$/i.test(v)) out[m[1]!] = v.startsWith('-') ? -Number(v.slice(1)) : Number(v);
    else out[m[1]!] = v;
  }
  return out;
}

/** A kconfig value that cannot be encoded for its extern. */
export class KconfigError extends BpfError {
  constructor(name: string, message: string) {
    super('EKCONFIG', `extern (kcfg) '${name}': ${message}`);
  }
}

function tristate(v: KconfigValue): 'y' | 'n' | 'm' | undefined {
  if (v === true || v === 'y') return 'y';
  if (v === false || v === 'n') return 'n';
  if (v === 'm') return 'm';
  return undefined;
}

function integer(ext: KconfigExtern, v: KconfigValue): bigint {
  let n: bigint;
  if (typeof v === 'bigint') n = v;
  else if (typeof v === 'number' && Number.isInteger(v)) n = BigInt(v);
  else if (typeof v === 'string' && /^-?(0x[0-9a-f]+|\d+)$/i.test(v)) n = v.startsWith('-') ? -BigInt(v.slice(1)) : BigInt(v);
  else throw new KconfigError(ext.name, `value '${String(v)}' is not an integer`);
  const bits = BigInt(ext.size * 8);
  const [lo, hi] = ext.signed ? [-(1n << (bits - 1n)), (1n << (bits - 1n)) - 1n] : [0n, (1n << bits) - 1n];
  if (n < lo || n > hi) throw new KconfigError(ext.name, `value ${n} does not fit in ${ext.size} ${ext.signed ? 'signed' : 'unsigned'} bytes`);
  return BigInt.asUintN(Number(bits), n);
}

/** Writes an extern's value into the `.kconfig` map value. */
function encode(ext: KconfigExtern, v: KconfigValue, out: Uint8Array): void {
  const at = out.subarray(ext.offset, ext.offset + ext.size);
  switch (ext.type) {
    case 'bool': {
      const t = tristate(v);
      if (t !== 'y' && t !== 'n') throw new KconfigError(ext.name, `value '${String(v)}' is not a bool (y or n)`);
      at[0] = t === 'y' ? 1 : 0;
      return;
    }
    case 'tristate': {
      const t = tristate(v);
      if (!t) throw new KconfigError(ext.name, `value '${String(v)}' is not a tristate (y, n or m)`);
      new DataView(at.buffer, at.byteOffset, at.byteLength).setUint32(0, t === 'y' ? 1 : t === 'm' ? 2 : 0, true);
      return;
    }
    case 'char': {
      const t = tristate(v);
      at[0] = t ? t.charCodeAt(0) : Number(integer(ext, v));
      return;
    }
    case 'int': {
      let n = integer(ext, typeof v === 'boolean' ? (v ? 1 : 0) : v);
      for (let i = 0; i < ext.size; i++, n >>= 8n) at[i] = Number(n & 0xffn);
      return;
    }
    case 'string': {
      if (typeof v !== 'string') throw new KconfigError(ext.name, `value '${String(v)}' is not a string`);
      const bytes = new TextEncoder().encode(v).subarray(0, ext.size - 1);
      at.fill(0);
      at.set(bytes);
    }
  }
}

/** The `.kconfig` map value for the externs, from `values` over the simulated configuration. */
export function kconfigValue(
  externs: readonly KconfigExtern[], size: number, values: Readonly<Record<string, KconfigValue>> = {},
): Uint8Array {
  const out = new Uint8Array(size);
  for (const ext of externs) {
    const v = values[ext.name] ?? SIM_KCONFIG[ext.name];
    if (v === undefined) {
      if (ext.weak) continue;
      throw new KconfigError(ext.name, 'value not found (give it in the kconfig option, or declare the extern __weak)');
    }
    encode(ext, v, out);
  }
  return out;
}
