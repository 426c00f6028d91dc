/* Fixture bytes by name and small helpers to corrupt or build objects in tests. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { FIXTURE_DIR } from './mutate.js';

/** A fixture's bytes (a copy the test may change). */
export function fixture(name: string): Uint8Array {
  return new Uint8Array(readFileSync(join(FIXTURE_DIR, name)));
}

/** A little-endian u16/u32/u64 written into a copy of `bytes`. */
export function patched(bytes: Uint8Array, at: number, value: number | bigint, size: 1 | 2 | 4 | 8): Uint8Array {
  const out = new Uint8Array(bytes);
  const v = new DataView(out.buffer);
  if (size === 1) v.setUint8(at, Number(value));
  else if (size === 2) v.setUint16(at, Number(value), true);
  else if (size === 4) v.setUint32(at, Number(value), true);
  else v.setBigUint64(at, BigInt(value), true);
  return out;
}

/** A u32 as 4 little-endian bytes. */
export function u32(n: number): Uint8Array {
  return new Uint8Array(new Uint32Array([n >>> 0]).buffer);
}

/** The little-endian u32s of a byte array. */
export function u32s(bytes: Uint8Array): number[] {
  return Array.from({ length: Math.floor(bytes.length / 4) }, (_, i) => new DataView(bytes.buffer, bytes.byteOffset).getUint32(i * 4, true));
}
