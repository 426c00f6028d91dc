/*
 * The printf-like helpers against Linux 6.18: bpf_snprintf (whose format the kernel checks at
 * load), bpf_trace_printk and bpf_trace_vprintk (checked at run time), with their numbers,
 * strings, characters, widths and flags, pointer and IP formats, buffer limits, truncation and the
 * kernel's quirks; the trace text is compared with the kernel's trace buffer where tracefs is mounted.
 */
import { afterAll, describe, expect, test } from 'vitest';
import { KernelError } from '../../src/kernel/index.js';
import { bprintfPrepare } from '../../src/helpers/index.js';
import { call, copyOut, fp, imm, st, stBytes } from './support/asm.js';
import { checkCase, kernelBackend, runCase } from './support/cases.js';
import type { HelperCase } from './support/cases.js';
import { RODATA, rodata } from './support/rodata.js';
import { traceFile, tracedMessages } from './support/trace.js';
import { kernelSkip, simBackend } from './support/xdp.js';

const kernel = kernelBackend();
if (kernelSkip) console.log(`printf cases run on bpfsim only: ${kernelSkip}`);
afterAll(() => kernel?.close());

const EINVAL = -22;
const ENOSPC = -28;

/** Argument values: numbers, or pointers into the stack (`str` to "hello", `ip` to 1.2.3.4, `ip6` to 2001:db8::1). */
type Arg = bigint | 'str' | 'ip' | 'ip6' | 'long';

/** Sets up the strings the arguments point at (r10-160: "hello", -152: 1.2.3.4, -144..-128: an IPv6 address, -208..-160: 48 'x'). */
const STRINGS = [
  stBytes(-160, 'hello', 8), st(-152, 0x04030201n), stBytes(-144, Uint8Array.of(0x20, 1, 0x0d, 0xb8, ...new Array<number>(11).fill(0), 1), 16),
  stBytes(-208, 'x'.repeat(47), 48),
].join('\n');
const argValue = (a: Arg, reg: number): string =>
  a === 'str' ? fp(reg, -160) : a === 'ip' ? fp(reg, -152) : a === 'ip6' ? fp(reg, -144) : a === 'long' ? fp(reg, -208) : imm(reg, a);

/** snprintf(r10-256, size, fmt, args at r10-96, n * 8): r0 to slot 0, the 96-byte buffer to bytes 8..103. */
function snprintfCase(name: string, fmt: string, args: readonly Arg[], size = 96, want?: number): HelperCase {
  const ro = rodata([fmt]);
  return {
    name,
    maps: [RODATA],
    setup: ([m]) => ro.setup(m!),
    body: [
      STRINGS, ...Array.from({ length: 12 }, (_, i) => st(-256 + 8 * i, 0x7777777777777777n)),
      ...args.map((a, i) => `${argValue(a, 1)}\n*(u64 *)(r10 ${-96 + 8 * i}) = r1`),
      call('bpf_snprintf', [fp(1, -256), `r2 = ${size}`, 'r3 = map_value[idx:0] + 0', fp(4, -96), `r5 = ${8 * args.length}`], 0),
      copyOut(-256, 8, 96),
    ].join('\n'),
    want: [want ?? ((v) => v > 0n)],
    sameSlots: 13,
  };
}

const SNPRINTF: [string, readonly Arg[], number?][] = [
  ['%d %u %x %X %i', [-5n, -5n, 255n, 255n, -1n]],
  ['%ld %lu %lx %llx %lld %lli', [-5n, -5n, -1n, 0x123456789n, -9n, 7n]],
  ['%5d|%-5d|%05d|%+d|% d|%+5d|%-+5d|', [42n, 42n, 42n, 42n, 42n, 42n, 42n]],
  ['%-05d|%+05d|% 5d|%00005d|%x', [-42n, 42n, -42n, 7n, 0x100000000n]],
  ['%s|%10s|%-10s|%pks|%pus|', ['str', 'str', 'str', 'str', 'str']],
  ['%s|%s|', [0n, 0xfffffffffffff000n]],
  ['%c%c%5c|%-3c|', [65n, 0x142n, 66n, 67n]],
  ['%pI4 %pi4 %10pI4|%pI4abc|', ['ip', 'ip', 'ip', 'ip']],
  ['%pI6|%pi6|%pI6c|', ['ip6', 'ip6', 'ip6']],
  ['%pI4|', [0n]],
  ['%px %p %pK %20px| %020px %-20px|', [0n, 0n, 0n, 0x1234n, 0x1234n, 0x1234n]],
  ['%ps %pS %pB %10ps|', [0n, 0x1234n, 0n, 0x10n]],
  ['%pxyz|%pSabc', [0x1234n, 0x10n]],
  ['%p', [0xfffffffffffffff2n]],
  ['%%|%%%d', [1n]],
  ['abc', []],
  ['\t\n%d', [1n]],
  ['%d%d%d%d%d%d%d%d%d%d%d%d', [1n, 2n, 3n, 4n, 5n, 6n, 7n, 8n, 9n, 10n, 11n, 12n]],
  ['%s %s %s %s %s %s %s %s %s %s %s %s', ['long', 'long', 'long', 'long', 'long', 'long', 'long', 'long', 'long', 'long', 'long', 'long']],
  ['%s %d', ['str', 12345n], 4],
  ['%pI4 %d', ['ip', 12345n], 4],
  ['%pI4 %d', ['ip', 12345n], 0],
  ['%d', [1n], 1],
];

/** What the 512-byte argument buffer does to long strings: they are cut to fit, and a number after them is -ENOSPC. */
const SPACE: [string, readonly Arg[], number][] = [
  ['%s'.repeat(11) + '%d', [...Array<Arg>(11).fill('long'), 1n], ENOSPC],
];

/** Formats the kernel refuses at load ("Invalid format string"): bpfsim's check refuses them too. */
const REFUSED: [string, number][] = [
  ['%d', 0], ['%hd', 1], ['%#x', 1], ['%.2d', 1], ['%o', 1], ['%sa', 1], ['%lc', 1], ['%pe', 1], ['%', 1], ['%5', 1],
  ['%l', 1], ['%5%', 1], ['%lls', 1], ['%pI5', 1], ['%pks1', 1], ['\x01', 0], ['%d %d', 1],
];

describe('bpf_snprintf', () => {
  test.each(SNPRINTF.map(([fmt, args, size]) => snprintfCase(JSON.stringify(fmt) + (size !== undefined ? ` into ${size} bytes` : ''), fmt, args, size)))('$name', (c) => {
    checkCase(c, kernel);
  });

  test.each(SPACE.map(([fmt, args, want]) => snprintfCase(`${fmt.length} bytes of format`, fmt, args, 96, want)))('$name', (c) => {
    checkCase(c, kernel);
  });

  test.each(REFUSED)('%j with %i arguments is refused', (fmt, n) => {
    const bytes = new TextEncoder().encode(fmt);
    expect(bprintfPrepare(bytes, n)).toBe(EINVAL);
    const c = snprintfCase(fmt, fmt, Array.from({ length: n }, () => 1n), 96, EINVAL);
    const sim = simBackend();
    try {
      const o = runCase(sim, c);
      if ('refused' in o) throw o.refused;
      expect(o.run.s64(0), 'bpfsim at run time').toBe(BigInt(EINVAL));
    } finally {
      sim.close();
    }
    if (!kernel) return;
    const k = runCase(kernel, c);
    expect('refused' in k && k.refused instanceof KernelError && /Invalid format string/.test(k.refused.log ?? '')).toBe(true);
  });

  const dataLen = (len: number): HelperCase => {
    const ro = rodata(['x']);
    return {
      name: `data_len ${len}`, maps: [RODATA], setup: ([m]) => ro.setup(m!),
      body: [...Array.from({ length: 13 }, (_, i) => st(-104 + 8 * i, 0n)),
        call('bpf_snprintf', [fp(1, -256), 'r2 = 8', 'r3 = map_value[idx:0] + 0', fp(4, -104), `r5 = ${len}`], 0)].join('\n'),
      want: [EINVAL],
    };
  };

  test('more than 12 arguments is -EINVAL at run time', () => checkCase(dataLen(104), kernel));

  test('an argument array that is not a multiple of 8 bytes: the kernel refuses a constant one at load; bpfsim returns -EINVAL', () => {
    checkCase(dataLen(4), undefined);
    if (kernel) expect('refused' in runCase(kernel, dataLen(4))).toBe(true);
  });
});

describe('bpf_trace_printk and bpf_trace_vprintk', () => {
  const marker = `bpfsim${process.pid}x${Date.now() % 100000}:`;
  const trace = kernel ? traceFile() : undefined;
  if (kernel && !trace) console.log('trace_printk texts are compared with bpfsim only: tracefs is not mounted or not tracing');

  /** trace_printk(fmt on the stack at r10-64, size, a1, a2, a3): r0 to `slot`. */
  const printk = (fmt: string, args: readonly Arg[], slot: number, size?: number): string => {
    const bytes = new TextEncoder().encode(marker + fmt);
    if (bytes.length > 63) throw new RangeError('format too long for the test layout');
    return [stBytes(-64, bytes, 64), ...args.map((a, i) => argValue(a, i + 3)),
      call('bpf_trace_printk', [fp(1, -64), `r2 = ${size ?? bytes.length + 1}`], slot)].join('\n');
  };

  /** Format, arguments, the result without the marker's length (or an errno), and the trace text after the marker. */
  const PRINTK: [string, readonly Arg[], number, string | undefined][] = [
    ['%d %u %x\n', [-5n, -5n, 255n], 17, '-5 4294967291 ff'],
    ['%s|%5s|%-6s|', ['str', 'str', 'str'], 19, 'hello|hello|hello |'],
    ['%pI4 %c%c', ['ip', 65n, 66n], 10, '1.2.3.4 AB'],
    ['%1000d', [1n], 1000, undefined],
    ['ab%cd', [0n], 4, 'ab'],
    ['%q', [1n], EINVAL, undefined],
    ['%d%d%d%d', [1n, 2n, 3n], EINVAL, undefined],
    ['\x01', [], EINVAL, undefined],
  ];

  test('format rules, return values and trace texts', () => {
    const body = [STRINGS, ...PRINTK.map(([fmt, args], i) => printk(fmt, args, i))].join('\n');
    const want = PRINTK.map(([, , w]) => (w < 0 ? w : marker.length + w));
    const texts = PRINTK.filter(([, , w]) => w >= 0).map(([, , , text]) => marker + (text ?? `${' '.repeat(999)}1`).slice(0, 1023 - marker.length));
    const sim = simBackend();
    try {
      const o = runCase(sim, { name: 'printk', body, want: [] });
      if ('refused' in o) throw o.refused;
      expect(PRINTK.map((_, i) => Number(o.run.s64(i))), 'bpfsim').toEqual(want);
      expect(sim.machine.traceLog.filter((l) => l.startsWith(marker))).toEqual(texts);
      if (!kernel) return;
      const k = runCase(kernel, { name: 'printk', body, want: [] });
      if ('refused' in k) throw k.refused;
      expect(PRINTK.map((_, i) => Number(k.run.s64(i))), 'the kernel').toEqual(want);
      if (trace) expect(tracedMessages(trace, marker)).toEqual(texts);
    } finally {
      sim.close();
    }
  });

  test('a format without a NUL inside fmt_size is -EINVAL', () => {
    checkCase({ name: 'no NUL', body: [stBytes(-64, 'abcdefgh', 64), call('bpf_trace_printk', [fp(1, -64), 'r2 = 8'], 0)].join('\n'), want: [EINVAL] }, kernel);
  });

  test('trace_vprintk: up to 12 arguments in an array; data_len rules', () => {
    const fmt = new TextEncoder().encode(`${marker}%d %d %d %d %d %d %d %d %d %d %d %d`);
    const vprintk = (len: number, slot: number): string =>
      call('bpf_trace_vprintk', [fp(1, -200), `r2 = ${fmt.length + 1}`, fp(3, -96), `r4 = ${len}`], slot);
    checkCase({
      name: 'vprintk',
      body: [stBytes(-200, fmt, 96), ...Array.from({ length: 12 }, (_, i) => st(-96 + 8 * i, i + 1)),
        vprintk(96, 0), vprintk(88, 1), vprintk(12, 2)].join('\n'),
      want: [marker.length + '1 2 3 4 5 6 7 8 9 10 11 12'.length, EINVAL, EINVAL],
    }, kernel);
  });
});
