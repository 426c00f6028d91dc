/*
 * The one's-complement arithmetic behind the checksum helpers, against a plain 16-bit sum: the
 * helpers' exact 32-bit results are compared with the kernel in skb.test.ts and xdp.test.ts; here
 * the identities hold for any bytes (values compared modulo 0xffff, where 0 and 0xffff agree).
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { csumAdd, csumBlockAdd, csumFold, csumPartial, csumReplace2, csumReplace4, csumSub, fold16 } from '../../../src/helpers/packet/index.js';

/** The little-endian 16-bit one's-complement sum of `bytes`. */
function naive(bytes: Uint8Array): number {
  let s = 0;
  bytes.forEach((b, i) => {
    s += i & 1 ? b << 8 : b;
  });
  while (s > 0xffff) s = (s & 0xffff) + Math.floor(s / 0x10000);
  return s;
}

const same = (a: number, b: number) => expect(a % 0xffff).toBe(b % 0xffff);
const bytes = fc.uint8Array({ maxLength: 80 });
const u32 = fc.integer({ min: 0, max: 0xffffffff });

describe('checksum arithmetic', () => {
  test('csum_partial is the 16-bit sum, with the seed added', () => {
    fc.assert(fc.property(bytes, u32, (b, seed) => {
      same(fold16(csumPartial(b, 0)), naive(b));
      same(fold16(csumPartial(b, seed)), fold16(csumAdd(csumPartial(b, 0), seed)));
    }));
  });

  test('csum_block_add joins the sums of two pieces at any offset', () => {
    fc.assert(fc.property(bytes, bytes, (a, b) => {
      const joined = new Uint8Array([...a, ...b]);
      same(fold16(csumBlockAdd(csumPartial(a, 0), csumPartial(b, 0), a.length)), fold16(csumPartial(joined, 0)));
    }));
  });

  test('csum_sub undoes csum_add', () => {
    fc.assert(fc.property(u32, u32, (a, b) => {
      same(fold16(csumSub(csumAdd(a, b), b)), fold16(a));
    }));
  });

  test('replacing a 16- or 32-bit word updates a folded checksum as recomputing it would', () => {
    fc.assert(fc.property(fc.uint8Array({ minLength: 8, maxLength: 40 }), fc.nat(), u32, (b, at, to) => {
      const off = (at % (b.length >> 2)) * 4;
      const check = csumFold(csumPartial(b, 0));
      const v = new DataView(b.buffer, b.byteOffset);
      const from16 = v.getUint16(off, true);
      const after16 = b.slice();
      new DataView(after16.buffer).setUint16(off, to & 0xffff, true);
      same(~csumReplace2(check, from16, to & 0xffff) & 0xffff, ~csumFold(csumPartial(after16, 0)) & 0xffff);
      const from32 = v.getUint32(off, true);
      const after32 = b.slice();
      new DataView(after32.buffer).setUint32(off, to, true);
      same(~csumReplace4(check, from32, to) & 0xffff, ~csumFold(csumPartial(after32, 0)) & 0xffff);
    }));
  });
});
