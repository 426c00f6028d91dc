import { ERRNO } from '../../errno.js';
import { argU32, argU64 } from '../args.js';
import { ptrArg } from '../maps.js';
import { defineHelper } from '../table.js';
import type { HelperCall, HelperDef } from '../types.js';
import { MAX_BPRINTF_BUF, MAX_BPRINTF_VARARGS, MAX_TRACE_PRINTK_VARARGS, bprintfPrepare } from './prepare.js';
import { bstrPrintf } from './render.js';

const { EINVAL } = ERRNO;

/** The bytes of a format of at most `size` bytes before its NUL, or undefined when it has none. */
function formatAt(c: HelperCall, addr: number, size: number): Uint8Array | undefined {
  const region = c.env.arena.find(addr, 1);
  const end = Math.min(addr + size, region ? region.start + region.size : addr);
  const bytes = c.env.arena.u8.subarray(addr, end);
  const nul = bytes.indexOf(0);
  return nul < 0 ? undefined : bytes.slice(0, nul);
}

/** `num` u64 arguments from the array at `addr`. */
function argsAt(c: HelperCall, addr: number, num: number): bigint[] {
  const v = c.env.arena.view;
  return Array.from({ length: num }, (_, i) => v.getBigUint64(addr + 8 * i, true));
}

/**
 * Formats into the 1 KiB trace buffer and appends the text (up to its first NUL) to the trace log,
 * less one trailing newline: trace_pipe shows each call as one line, with or without it.
 */
function printk(c: HelperCall, fmt: Uint8Array | undefined, numArgs: number, raw: bigint[]): number {
  if (!fmt) return -EINVAL;
  const prep = bprintfPrepare(fmt, numArgs, raw, c.env);
  if (typeof prep === 'number') return prep;
  const { bytes, length } = bstrPrintf(fmt, prep.bin, MAX_BPRINTF_BUF);
  const nul = bytes.indexOf(0);
  const text = new TextDecoder().decode(nul < 0 ? bytes : bytes.subarray(0, nul));
  c.env.trace(text.endsWith('\n') ? text.slice(0, -1) : text);
  return length;
}

/** The check bpf_snprintf and bpf_trace_vprintk make of their argument array. */
function badDataLen(c: HelperCall, argsReg: number, lenReg: number): boolean {
  const len = argU32(c, lenReg);
  return len % 8 !== 0 || len > MAX_BPRINTF_VARARGS * 8 || (len > 0 && argU64(c, argsReg) === 0n);
}

/**
 * `bpf_trace_printk(fmt, fmt_size, a1, a2, a3)`: formats up to three arguments into the Machine's
 * trace log (what trace_pipe shows) and returns the formatted length; -EINVAL for a format without
 * a NUL within fmt_size or one bpf_bprintf_prepare refuses (checked at run time, not at load).
 */
export const tracePrintk: HelperDef = defineHelper('trace_printk',
  { ret: 'integer', args: ['mem', 'const_size'], gplOnly: true },
  (c) => printk(c, formatAt(c, ptrArg(c, 6, 1), argU32(c, 2)), MAX_TRACE_PRINTK_VARARGS, [argU64(c, 3), argU64(c, 4), argU64(c, 5)]));

/** `bpf_trace_vprintk(fmt, fmt_size, args, data_len)`: as bpf_trace_printk with up to 12 u64 arguments in an array. */
export const traceVprintk: HelperDef = defineHelper('trace_vprintk',
  { ret: 'integer', args: ['mem', 'const_size', 'mem_or_null', 'const_size_or_zero'], gplOnly: true },
  (c) => {
    if (badDataLen(c, 3, 4)) return -EINVAL;
    const num = argU32(c, 4) / 8;
    const raw = num > 0 ? argsAt(c, ptrArg(c, 177, 3), num) : [];
    return printk(c, formatAt(c, ptrArg(c, 177, 1), argU32(c, 2)), num, raw);
  });

/**
 * `bpf_snprintf(str, str_size, fmt, args, data_len)`: formats into str (at most str_size bytes,
 * NUL included) and returns the length the whole output needs with its NUL. The format is a
 * constant string the kernel's verifier checks at load; a bad one here is -EINVAL at run time.
 */
export const snprintf: HelperDef = defineHelper('snprintf',
  { ret: 'integer', args: ['writable_mem_or_null', 'const_size_or_zero', 'const_str', 'mem_or_null', 'const_size_or_zero'], gplOnly: true },
  (c) => {
    if (badDataLen(c, 4, 5)) return -EINVAL;
    const size = argU32(c, 2);
    const num = argU32(c, 5) / 8;
    const raw = num > 0 ? argsAt(c, ptrArg(c, 165, 4), num) : [];
    const fmt = formatAt(c, ptrArg(c, 165, 3), Number.MAX_SAFE_INTEGER);
    if (!fmt) return -EINVAL;
    const prep = bprintfPrepare(fmt, num, raw, c.env);
    if (typeof prep === 'number') return prep;
    const { bytes, length } = bstrPrintf(fmt, prep.bin, size);
    if (size > 0) {
      const dst = ptrArg(c, 165, 1);
      c.env.arena.u8.set(bytes, dst);
      c.env.arena.u8[dst + bytes.length] = 0;
    }
    return length + 1;
  });

/** The printf-like helpers. */
export const printfHelpers: readonly HelperDef[] = [tracePrintk, traceVprintk, snprintf];
