/**
 * The kernel's pass over a printf-like helper's format (`bpf_bprintf_prepare`): which formats a
 * BPF program may use, and the binary argument buffer `bstr_printf` later renders, laid out byte
 * for byte as the kernel lays it out (strings and IP addresses copied in, numbers 4-byte aligned),
 * so that its limits (512 bytes, -ENOSPC) and quirks carry over.
 *
 * Accepted: `%%`; flags `0 + - space`; a width; `%d %i %u %x %X` with `l` or `ll`; `%c`; `%s`;
 * `%p` (hashed), `%pK %px %ps %pS %pB`, `%pks %pus` (kernel and user strings), `%pI4 %pi4 %pI6 %pi6`.
 * Anything else, a byte that is neither printable nor space, or more conversions than arguments, is -EINVAL.
 */
import { ERRNO } from '../../errno.js';
import { addressSpace, readKernel, readString } from '../memory.js';
import type { HelperEnv } from '../types.js';

/** Bytes of the binary argument buffer (`MAX_BPRINTF_BIN_ARGS`). */
export const MAX_BPRINTF_BIN_ARGS = 512;
/** Bytes of the output buffer of bpf_trace_printk and bpf_trace_vprintk (`MAX_BPRINTF_BUF`). */
export const MAX_BPRINTF_BUF = 1024;
/** The most arguments bpf_snprintf and bpf_trace_vprintk take (`MAX_BPRINTF_VARARGS`). */
export const MAX_BPRINTF_VARARGS = 12;
/** bpf_trace_printk's three arguments. */
export const MAX_TRACE_PRINTK_VARARGS = 3;

const { EINVAL, ENOSPC } = ERRNO;

/** The kernel's ctype for ASCII: printable, space and punctuation. */
export const isPrint = (b: number): boolean => b >= 0x20 && b <= 0x7e;
/** ASCII white space as the kernel's isspace sees it. */
export const isSpace = (b: number): boolean => b === 0x20 || (b >= 0x09 && b <= 0x0d);
/** ASCII punctuation. */
export const isPunct = (b: number): boolean => isPrint(b) && b !== 0x20 && !isAlnum(b);
/** ASCII letters and digits. */
export const isAlnum = (b: number): boolean => (b >= 0x30 && b <= 0x39) || ((b | 0x20) >= 0x61 && (b | 0x20) <= 0x7a);

const ch = (s: string): number => s.charCodeAt(0);

/** The kernel's `%pI4`/`%pi4`/`%pI6`/`%pi6` text of an address. */
export function ipString(kind: 'I' | 'i', version: '4' | '6', ip: Uint8Array): string {
  if (version === '4') return Array.from(ip, (b) => (kind === 'i' ? b.toString().padStart(3, '0') : b.toString())).join('.');
  const hex = Array.from(ip, (b) => b.toString(16).padStart(2, '0'));
  const groups = Array.from({ length: 8 }, (_, g) => hex[2 * g]! + hex[2 * g + 1]!);
  return kind === 'I' ? groups.join(':') : groups.join('');
}

/** What `%ps`, `%pS` and `%pB` print for an address the simulated kernel has no symbol for. */
export function symbolString(addr: bigint): string {
  return `0x${addr.toString(16)}`;
}

/** The outcome of a successful pass: the binary arguments to render (empty in check-only mode). */
export interface Prepared {
  /** The argument buffer, `MAX_BPRINTF_BIN_ARGS` bytes. */
  readonly bin: Uint8Array;
}

/**
 * Checks `fmt` (the bytes before its NUL) for `numArgs` arguments and, given the raw u64
 * arguments, builds the binary argument buffer. Returns a negative errno for a refused format.
 * Without `raw` (or with no arguments) only the format is checked, as the verifier does at load.
 */
export function bprintfPrepare(fmt: Uint8Array, numArgs: number, raw?: readonly bigint[], env?: HelperEnv): Prepared | number {
  const at = (k: number): number => (k < fmt.length ? fmt[k]! : 0);
  const bin = new Uint8Array(MAX_BPRINTF_BIN_ARGS);
  const view = new DataView(bin.buffer);
  const copying = raw !== undefined && env !== undefined && numArgs > 0;
  const end = MAX_BPRINTF_BIN_ARGS;
  let tmp = 0;
  let spec = 0;
  const arg = (): bigint => raw?.[spec] ?? 0n;
  /** Writes `text` as snprintf(tmp, end - tmp, …) would, moving past its full length and NUL. */
  const putText = (text: Uint8Array): void => {
    const room = end - tmp;
    if (room > 0) {
      const n = Math.min(text.length, room - 1);
      bin.set(text.subarray(0, n), tmp);
      bin[tmp + n] = 0;
    }
    tmp += text.length + 1;
  };
  const putNumber = (size: number, value: bigint): number => {
    tmp = (tmp + 3) & ~3;
    if (end - tmp < size) return -ENOSPC;
    if (size === 8) view.setBigUint64(tmp, BigInt.asUintN(64, value), true);
    else view.setUint32(tmp, Number(value & 0xffffffffn), true);
    tmp += size;
    return 0;
  };
  for (let i = 0; i < fmt.length; i++) {
    const c = at(i);
    if ((!isPrint(c) && !isSpace(c)) || c > 0x7f) return -EINVAL;
    if (c !== ch('%')) continue;
    if (at(i + 1) === ch('%')) {
      i++;
      continue;
    }
    if (spec >= numArgs) return -EINVAL;
    i++;
    while ([ch('0'), ch('+'), ch('-'), ch(' ')].includes(at(i))) i++;
    if (at(i) >= ch('1') && at(i) <= ch('9')) {
      i++;
      while (at(i) >= ch('0') && at(i) <= ch('9')) i++;
    }
    let strType: number | undefined;
    if (at(i) === ch('p')) {
      const next = at(i + 1);
      if ((next === ch('k') || next === ch('u')) && at(i + 2) === ch('s')) {
        strType = next;
        i += 2;
      } else if (next === 0 || isSpace(next) || isPunct(next) || [ch('K'), ch('x'), ch('s'), ch('S')].includes(next)) {
        i++;
        if (copying && putNumber(8, arg()) < 0) return -ENOSPC;
        spec++;
        continue;
      } else if (next === ch('B')) {
        if (copying) putText(new TextEncoder().encode(symbolString(arg())));
        i++;
        spec++;
        continue;
      } else {
        if ((next !== ch('i') && next !== ch('I')) || (at(i + 2) !== ch('4') && at(i + 2) !== ch('6'))) return -EINVAL;
        i += 2;
        if (copying) {
          const size = at(i) === ch('4') ? 4 : 16;
          if (end - tmp < size) return -ENOSPC;
          const got = readKernel(env, arg(), size);
          const ip = typeof got === 'number' ? new Uint8Array(size) : got;
          putText(new TextEncoder().encode(ipString(String.fromCharCode(at(i - 1)) as 'I' | 'i', size === 4 ? '4' : '6', ip)));
        }
        spec++;
        continue;
      }
    } else if (at(i) === ch('s')) {
      strType = ch('s');
    } else if (at(i) === ch('c')) {
      if (copying) {
        if (tmp >= end) return -ENOSPC;
        bin[tmp++] = Number(arg() & 0xffn);
      }
      spec++;
      continue;
    }
    if (strType !== undefined) {
      const next = at(i + 1);
      if (next !== 0 && !isSpace(next) && !isPunct(next)) return -EINVAL;
      if (copying) {
        if (tmp >= end) return -ENOSPC;
        const ptr = arg();
        const space = strType === ch('k') ? 'kernel' : strType === ch('u') ? 'user' : addressSpace(ptr) === 'user' ? 'user' : 'kernel';
        const got = readString(env, space, ptr, end - tmp);
        if (typeof got === 'number') {
          bin[tmp++] = 0;
        } else {
          bin.set(got.bytes, tmp);
          tmp += got.ret;
        }
      }
      spec++;
      continue;
    }
    let size = 4;
    if (at(i) === ch('l')) {
      size = 8;
      i++;
    }
    if (at(i) === ch('l')) i++;
    if (![ch('i'), ch('d'), ch('u'), ch('x'), ch('X')].includes(at(i))) return -EINVAL;
    if (copying && putNumber(size, arg()) < 0) return -ENOSPC;
    spec++;
  }
  return { bin };
}
