/*
 * bpf_strncmp, bpf_strtol and bpf_strtoul against Linux 6.18: the kernel's strncmp (-1, 0, 1), and
 * the strtol rules (leading spaces, one '-', base 0/8/10/16 with 0x, at most 63 bytes, overflow).
 */
import { afterAll, describe, expect, test } from 'vitest';
import { parseInteger } from '../../src/helpers/index.js';
import { call, fp, st, stBytes } from './support/asm.js';
import { checkCase, kernelBackend } from './support/cases.js';
import type { HelperCase } from './support/cases.js';
import { RODATA, rodata } from './support/rodata.js';
import { kernelSkip } from './support/xdp.js';

const kernel = kernelBackend();
if (kernelSkip) console.log(`string helper cases run on bpfsim only: ${kernelSkip}`);
afterAll(() => kernel?.close());

const EINVAL = -22;
const ERANGE = -34;

/** strncmp(stack string s1, n, rodata string) cases. */
const CMP: [s1: string, n: number, s2: string, want: number][] = [
  ['abc', 3, 'abd', -1], ['abd', 3, 'abc', 1], ['abc', 3, 'abc', 0], ['abx', 2, 'aby', 0], ['ab\0x', 4, 'ab', 0],
  ['abcd', 4, 'abc', 1], ['ab', 3, 'abc', -1], ['\xff', 1, 'a', 1], ['', 1, '', 0], ['zzz', 8, 'zzz', 0],
];

const strncmpCase: HelperCase = (() => {
  const ro = rodata(CMP.map(([, , s2]) => s2));
  return {
    name: 'strncmp',
    maps: [RODATA],
    setup: ([m]) => ro.setup(m!),
    body: CMP.map(([s1, n, , ], i) => [
      stBytes(-16, Uint8Array.from(s1, (ch) => ch.charCodeAt(0)), 16),
      call('bpf_strncmp', [fp(1, -16), `r2 = ${n}`, `r3 = map_value[idx:0] + ${ro.offsets[i]}`], i),
    ].join('\n')).join('\n'),
    want: CMP.map(([, , , w]) => w),
  };
})();

/** strtol/strtoul(stack buffer of `len` bytes, flags, &res): r0 and res. */
const STRTO: [fn: 'strtol' | 'strtoul', text: string, len: number, flags: number, ret: number, res: bigint][] = [
  ['strtol', '  -123xyz', 9, 10, 6, -123n],
  ['strtol', '0x1f', 4, 0, 4, 31n],
  ['strtol', '0x1f', 4, 16, 4, 31n],
  ['strtol', '1f', 2, 16, 2, 31n],
  ['strtol', '0x', 2, 0, 1, 0n],
  ['strtol', '0xg', 3, 16, EINVAL, 0n],
  ['strtol', '077', 3, 0, 3, 63n],
  ['strtol', '089', 3, 0, 1, 0n],
  ['strtol', '+5', 2, 10, EINVAL, 0n],
  ['strtol', '   ', 3, 10, EINVAL, 0n],
  ['strtol', '-', 1, 10, EINVAL, 0n],
  ['strtol', '12', 2, 7, EINVAL, 0n],
  ['strtol', '12', 2, 0x2a, EINVAL, 0n],
  ['strtol', '12', 1, 10, 1, 1n],
  ['strtol', '\t\n\v\f\r 7', 7, 10, 7, 7n],
  ['strtol', '99999999999999999999', 20, 10, ERANGE, 0n],
  ['strtol', '-9223372036854775808', 20, 10, 20, -9223372036854775808n],
  ['strtol', '9223372036854775808', 19, 10, ERANGE, 0n],
  ['strtoul', '9223372036854775808', 19, 10, 19, 9223372036854775808n],
  ['strtoul', '18446744073709551615', 20, 10, 20, 18446744073709551615n],
  ['strtoul', '18446744073709551616', 20, 10, ERANGE, 0n],
  ['strtoul', '-1', 2, 10, EINVAL, 0n],
  ['strtoul', '-99999999999999999999', 21, 10, ERANGE, 0n],
  ['strtol', `${'0'.repeat(62)}12`, 64, 10, 63, 1n],
];

const strtoCases: HelperCase[] = STRTO.map(([fn, text, len, flags, ret, res]) => ({
  name: `${fn}(${JSON.stringify(text)}, ${len}, ${flags})`,
  body: [
    stBytes(-64, text, 64), st(-72, 0x5555n),
    call(`bpf_${fn}`, [fp(1, -64), `r2 = ${len}`, `r3 = ${flags}`, fp(4, -72)], 0),
    'r1 = *(u64 *)(r10 -72)', '*(u64 *)(r7 +8) = r1',
  ].join('\n'),
  want: [ret, res],
}));

describe('string helpers', () => {
  test('strncmp compares with the kernel\'s strncmp', () => checkCase(strncmpCase, kernel));
  test.each(strtoCases)('$name', (c) => checkCase(c, kernel));
  test('parseInteger takes the kernel\'s Latin-1 no-break space as a space', () => {
    expect(parseInteger(Uint8Array.of(0xa0, 0x35), 10n)).toEqual({ consumed: 2, value: 5n, negative: false });
  });
});
