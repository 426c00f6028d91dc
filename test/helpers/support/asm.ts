/*
 * Small builders of harness assembly (see xdp.ts), so helper cases read as what they do: stack
 * stores, pointers to the stack, helper calls and storing r0 into result slots.
 */

let labels = 0;

/** A fresh label name. */
export function fresh(prefix = 'L'): string {
  return `${prefix}${labels++}`;
}

/** An offset as the assembler wants it: `+8`, `-16`. */
export function off(n: number): string {
  return n >= 0 ? `+${n}` : `${n}`;
}

/** `r1 = v` then `*(size *)(r10 off) = r1`. */
export function st(offset: number, v: bigint | number, size: 'u8' | 'u16' | 'u32' | 'u64' = 'u64'): string {
  return `r1 = 0x${BigInt.asUintN(64, BigInt(v)).toString(16)} ll\n*(${size} *)(r10 ${off(offset)}) = r1`;
}

/** Stores the bytes of `s` (and zeros up to `len`) at r10 + offset, 8 bytes at a time (offset and len multiples of 8). */
export function stBytes(offset: number, s: Uint8Array | string, len: number): string {
  const bytes = typeof s === 'string' ? new TextEncoder().encode(s) : s;
  const out: string[] = [];
  for (let i = 0; i < len; i += 8) {
    let v = 0n;
    for (let j = 7; j >= 0; j--) v = (v << 8n) | BigInt(bytes[i + j] ?? 0);
    out.push(st(offset + i, v));
  }
  return out.join('\n');
}

/** `rN = r10 + offset`. */
export function fp(reg: number, offset: number): string {
  return `r${reg} = r10\nr${reg} += ${offset}`;
}

/** `*(u64 *)(r7 + 8 * slot) = r0`. */
export function out(slot: number, reg = 0): string {
  return `*(u64 *)(r7 +${8 * slot}) = r${reg}`;
}

/** `rN = imm` as a 64-bit constant. */
export function imm(reg: number, v: bigint | number): string {
  return `r${reg} = 0x${BigInt.asUintN(64, BigInt(v)).toString(16)} ll`;
}

/** A helper call with arguments given as assembly that sets r1..r5, then `out(slot)` when a slot is given. */
export function call(helper: string, args: readonly string[], slot?: number): string {
  return [...args, `call ${helper}`, ...(slot === undefined ? [] : [out(slot)])].join('\n');
}

/** Stores the u64 at r0 (r0 a value pointer) in `slot`, or `ifNull` when r0 is NULL. */
export function derefOut(slot: number, ifNull: bigint | number = -1, size: 'u8' | 'u16' | 'u32' | 'u64' = 'u64'): string {
  const l = fresh('null');
  return [imm(1, ifNull), `if r0 == 0 goto ${l}`, `r1 = *(${size} *)(r0 +0)`, `${l}:`, out(slot, 1)].join('\n');
}

/** Copies `len` bytes (multiple of 8) from r10 + offset to the packet at byte `at`. */
export function copyOut(offset: number, at: number, len: number): string {
  const outl: string[] = [];
  for (let i = 0; i < len; i += 8) outl.push(`r1 = *(u64 *)(r10 ${off(offset + i)})`, `*(u64 *)(r7 +${at + i}) = r1`);
  return outl.join('\n');
}
