import { describe, expect, test } from 'vitest';
import {
  BPF_RB_AVAIL_DATA, BPF_RB_CONS_POS, BPF_RB_FORCE_WAKEUP, BPF_RB_NO_WAKEUP, BPF_RB_PROD_POS, BPF_RB_RING_SIZE,
  BPF_RINGBUF_BUSY_BIT, BPF_RINGBUF_DISCARD_BIT, BPF_RINGBUF_HDR_SZ, type RingbufMap,
} from '../../src/maps/index.js';
import { BPF_MAP_TYPE_RINGBUF } from '../../src/uapi.js';
import { TestEnv, errnoOf } from './support/env.js';

function ring(size = 4096): { env: TestEnv; rb: RingbufMap } {
  const env = new TestEnv(2);
  return { env, rb: env.createMap({ type: BPF_MAP_TYPE_RINGBUF, keySize: 0, valueSize: 0, maxEntries: size }).map as RingbufMap };
}

function fill(env: TestEnv, addr: number, bytes: number[]): void {
  env.arena.write(addr, Uint8Array.from(bytes));
}

describe('RINGBUF', () => {
  test('records carry the kernel\'s header: busy until submitted, 8-byte aligned', () => {
    const { env, rb } = ring();
    const a = rb.reserve(5, 0);
    expect(a).toBe(rb.data + BPF_RINGBUF_HDR_SZ);
    expect(env.arena.view.getUint32(a - 8, true)).toBe((5 | BPF_RINGBUF_BUSY_BIT) >>> 0);
    const b = rb.reserve(3, 0);
    expect(b - a).toBe(16);
    fill(env, a, [1, 2, 3, 4, 5]);
    fill(env, b, [7, 8, 9]);
    rb.submit(b, 0);
    expect(rb.drain()).toEqual([]);
    rb.submit(a, 0);
    expect(rb.drain()).toEqual([Uint8Array.of(1, 2, 3, 4, 5), Uint8Array.of(7, 8, 9)]);
    expect(rb.query(BPF_RB_AVAIL_DATA)).toBe(0);
    expect([rb.query(BPF_RB_CONS_POS), rb.query(BPF_RB_PROD_POS), rb.query(BPF_RB_RING_SIZE), rb.query(99)]).toEqual([32, 32, 4096, 0]);
  });

  test('discarded records are skipped; a negative callback result stops the consumer', () => {
    const { env, rb } = ring();
    const a = rb.reserve(4, 0);
    const b = rb.reserve(4, 0);
    const c = rb.reserve(4, 0);
    rb.discard(a, 0);
    rb.submit(b, 0);
    rb.submit(c, 0);
    expect(env.arena.view.getUint32(a - 8, true)).toBe((4 | BPF_RINGBUF_DISCARD_BIT) >>> 0);
    let calls = 0;
    expect(rb.consume(() => (calls++, -7))).toBe(-7);
    expect(calls).toBe(1);
    expect(rb.drain()).toHaveLength(1);
  });

  test('the ring fills up to size - 8 bytes outstanding, and wraps records around its end', () => {
    const { env, rb } = ring(4096);
    expect(rb.reserve(4096, 0)).toBe(0);
    expect(rb.reserve(1, 1)).toBe(0);
    const big = rb.reserve(4000, 0);
    expect(big).not.toBe(0);
    expect(rb.reserve(100, 0)).toBe(0);
    rb.submit(big, 0);
    rb.drain();
    // Positions are at 4008: a 200-byte record now crosses the end of the data area.
    const rec = rb.reserve(200, 0);
    expect(rec).toBe(rb.data + 4008 + 8);
    const payload = Array.from({ length: 200 }, (_, i) => i);
    fill(env, rec, payload);
    rb.submit(rec, 0);
    expect(rb.drain()).toEqual([Uint8Array.from(payload)]);
    // The part past the end was copied to the start, where the kernel's second mapping puts it.
    expect(env.arena.read(rb.data, 200 - 80)).toEqual(Uint8Array.from(payload.slice(80)));
    const next = rb.reserve(8, 0);
    expect(next).toBe(rb.data + ((4008 + 208) % 4096) + 8);
  });

  test('output copies a record; wakeups follow the flags', () => {
    const { env, rb } = ring();
    const src = env.arena.alloc(6, 'stack', 'src').start;
    fill(env, src, [1, 2, 3, 4, 5, 6]);
    expect(rb.output(src, 6, 0)).toBe(0);
    expect(rb.wakeups).toBe(1);
    expect(rb.output(src, 6, BPF_RB_NO_WAKEUP)).toBe(0);
    expect(rb.wakeups).toBe(1);
    expect(rb.output(src, 6, BPF_RB_FORCE_WAKEUP)).toBe(0);
    expect(rb.wakeups).toBe(2);
    expect(rb.output(src, 6, 4)).toBe(-22);
    expect(rb.output(src, 5000, 0)).toBe(-11);
    expect(rb.drain()).toHaveLength(3);
  });

  test('userspace element commands are not supported; freeze is', () => {
    const { rb } = ring();
    expect(errnoOf(() => rb.lookup(null))).toBe('ENOTSUPP');
    expect(errnoOf(() => rb.update(null, new Uint8Array()))).toBe('ENOTSUPP');
    expect(errnoOf(() => rb.freeze())).toBe('OK');
    expect(rb.contains(rb.data + 5)).toBe(true);
  });
});
