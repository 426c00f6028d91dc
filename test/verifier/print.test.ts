/**
 * The kernel's printing of scalar register states (log.c print_reg_state / print_scalar_ranges /
 * tnum_strn): table tests whose expected strings are taken from Linux 6.18 level-2 logs.
 */
import { describe, expect, test } from 'vitest';
import { BPF_AND, BPF_ADD, BPF_ARSH, BPF_LSH } from '../../src/isa/index.js';
import {
  Scalar, formatScalar, formatSnum, formatUnum, immScalar, scalarAlu, scalarMov, tnumOf, tnumToString,
} from '../../src/verifier/index.js';

function unknown(): Scalar {
  return Scalar.unknown();
}

function op(s: Scalar, code: number, imm: number, alu64 = true): Scalar {
  return scalarAlu(s, immScalar(new Scalar(), imm), code, alu64);
}

const cases: { name: string; have: () => string; want: string }[] = [
  { name: 'unknown', have: () => formatScalar(unknown()), want: 'scalar()' },
  { name: 'constant', have: () => formatScalar(Scalar.known(1)), want: '1' },
  { name: 'negative constant', have: () => formatScalar(Scalar.known(-5)), want: '-5' },
  { name: 'edge of decimal', have: () => formatScalar(Scalar.known(-32768)), want: '-32768' },
  { name: 'hex constant', have: () => formatScalar(Scalar.known(0xfffffff8)), want: '0xfffffff8' },
  { name: 'large negative constant', have: () => formatScalar(Scalar.known(-861321755)), want: '0xffffffffcca945e5' },
  { name: 'id only', have: () => formatScalar(unknown(), { id: 1 }), want: 'scalar(id=1)' },
  { name: 'id with a constant delta', have: () => formatScalar(unknown(), { id: 2, addConst: -16 }), want: 'scalar(id=2-16)' },
  { name: 'precise', have: () => formatScalar(Scalar.known(7), { precise: true }), want: 'P7' },
  {
    name: 'r1 &= 255',
    have: () => formatScalar(op(unknown(), BPF_AND, 255)),
    want: 'scalar(smin=smin32=0,smax=umax=smax32=umax32=255,var_off=(0x0; 0xff))',
  },
  {
    name: 'r1 &= 255; r1 += 4',
    have: () => formatScalar(op(op(unknown(), BPF_AND, 255), BPF_ADD, 4)),
    want: 'scalar(smin=umin=smin32=umin32=4,smax=umax=smax32=umax32=259,var_off=(0x0; 0x1ff))',
  },
  {
    name: 'r2 <<= 40',
    have: () => formatScalar(op(unknown(), BPF_LSH, 40)),
    want: 'scalar(smax=0x7fffff0000000000,umax=0xffffff0000000000,smin32=0,smax32=umax32=0,var_off=(0x0; 0xffffff0000000000))',
  },
  {
    name: 'w4 = w0',
    have: () => formatScalar(scalarMov(new Scalar(), unknown(), false)),
    want: 'scalar(smin=0,smax=umax=0xffffffff,var_off=(0x0; 0xffffffff))',
  },
  {
    name: 'w4 = w0; w4 s>>= 3 (hex s32 bounds are not sign-extended)',
    have: () => formatScalar(op(scalarMov(new Scalar(), unknown(), false), BPF_ARSH, 3, false)),
    want: 'scalar(smin=0,smax=umax=0xffffffff,smin32=0xf0000000,smax32=0xfffffff,var_off=(0x0; 0xffffffff))',
  },
  {
    name: 'r5 s>>= 63 (negatives are not merged with positives)',
    have: () => formatScalar(op(unknown(), BPF_ARSH, 63)),
    want: 'scalar(smin=smin32=-1,smax=smax32=0)',
  },
];

describe('formatScalar', () => {
  test.each(cases)('$name', ({ have, want }) => expect(have()).toBe(want));
});

describe('numbers and tnums', () => {
  test.each([
    { have: formatUnum(65535n), want: '65535' },
    { have: formatUnum(65536n), want: '0x10000' },
    { have: formatSnum(32767n), want: '32767' },
    { have: formatSnum(32768n), want: '0x8000' },
    { have: formatSnum(-32769n), want: '0xffffffffffff7fff' },
    { have: tnumToString(tnumOf(0n, 0xffn)), want: '(0x0; 0xff)' },
    { have: tnumToString(tnumOf(0x80n, 0xfn)), want: '(0x80; 0xf)' },
    { have: tnumToString(tnumOf(0x10000n, 0n)), want: '0x10000' },
    { have: tnumToString(tnumOf(12n, 0n)), want: '12' },
  ])('$want', ({ have, want }) => expect(have).toBe(want));
});
