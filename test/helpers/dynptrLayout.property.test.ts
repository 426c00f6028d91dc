/*
 * The dynptr struct codec: any dynptr bpfsim can describe survives encode then decode, and the
 * bytes are the kernel's layout (data pointer, size word with type and read-only bits, offset).
 */
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { BPF_DYNPTR_SIZE, DYNPTR_MAX_SIZE, DynptrType, NULL_DYNPTR, decodeDynptr, encodeDynptr, type Dynptr } from '../../src/helpers/index.js';

const dynptr: fc.Arbitrary<Dynptr> = fc.record({
  data: fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }),
  offset: fc.integer({ min: 0, max: 0xffffffff }),
  size: fc.integer({ min: 0, max: DYNPTR_MAX_SIZE }),
  type: fc.integer({ min: 0, max: 7 }),
  rdonly: fc.boolean(),
});

describe('struct bpf_dynptr_kern', () => {
  test('decode(encode(d)) is d, at any 8-aligned address', () => {
    fc.assert(fc.property(dynptr, fc.integer({ min: 0, max: 6 }), (d, slot) => {
      const view = new DataView(new ArrayBuffer(8 * 8));
      encodeDynptr(view, slot * 8, d);
      expect(decodeDynptr(view, slot * 8)).toEqual(d);
    }));
  });

  test('the kernel\'s layout: pointer, size | type << 28 | rdonly << 31, offset', () => {
    const view = new DataView(new ArrayBuffer(BPF_DYNPTR_SIZE));
    encodeDynptr(view, 0, { data: 0x123456789a, offset: 4, size: 0xabcdef, type: DynptrType.RINGBUF, rdonly: true });
    expect([view.getBigUint64(0, true), view.getUint32(8, true), view.getUint32(12, true)]).toEqual([0x123456789an, 0xa0abcdef, 4]);
    encodeDynptr(view, 0, NULL_DYNPTR);
    expect([...new Uint8Array(view.buffer)]).toEqual(new Array(BPF_DYNPTR_SIZE).fill(0));
  });
});
