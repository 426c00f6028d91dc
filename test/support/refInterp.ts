/**
 * A reference model of RFC 9669 written independently of src/vm, with BigInt registers and a flat
 * byte array for memory: slow and obvious, so that the interpreter and the JIT can be compared with
 * it on random programs. Supports what random straight-line and forward-jump programs use:
 * ALU/ALU64, JMP/JMP32, LD_IMM64, LDX/ST/STX (incl. MEMSX), atomics. Memory is one flat buffer
 * addressed from `base`.
 */
import type { Insn } from '../../src/isa/index.js';

const M64 = (1n << 64n) - 1n;
const u64 = (x: bigint): bigint => x & M64;
const s64 = (x: bigint): bigint => BigInt.asIntN(64, x);
const u32 = (x: bigint): bigint => x & 0xffffffffn;
const s32 = (x: bigint): bigint => BigInt.asIntN(32, x);
const sx = (x: bigint, bits: number): bigint => u64(BigInt.asIntN(bits, x));

export interface RefResult {
  r0: bigint;
  regs: bigint[];
  mem: Uint8Array;
  steps: number;
}

function bswap(x: bigint, bytes: number): bigint {
  let r = 0n;
  for (let i = 0; i < bytes; i++) r = (r << 8n) | ((x >> BigInt(8 * i)) & 0xffn);
  return r;
}

/** Runs `insns` with the given initial registers over `mem` mapped at address `base`. */
export function refRun(insns: readonly Insn[], init: bigint[], mem: Uint8Array, base: bigint, maxSteps = 100000): RefResult {
  const r = Array.from({ length: 11 }, (_, i) => u64(init[i] ?? 0n));
  const m = mem.slice();
  const load = (a: bigint, n: number): bigint => {
    const off = Number(a - base);
    if (off < 0 || off + n > m.length) throw new Error(`ref: load out of bounds at ${a}`);
    let v = 0n;
    for (let i = n - 1; i >= 0; i--) v = (v << 8n) | BigInt(m[off + i]!);
    return v;
  };
  const store = (a: bigint, n: number, v: bigint): void => {
    const off = Number(a - base);
    if (off < 0 || off + n > m.length) throw new Error(`ref: store out of bounds at ${a}`);
    for (let i = 0; i < n; i++) m[off + i] = Number((v >> BigInt(8 * i)) & 0xffn);
  };
  let pc = 0;
  let steps = 0;
  for (;;) {
    if (++steps > maxSteps) throw new Error('ref: step limit');
    const ins = insns[pc]!;
    const cls = ins.code & 7;
    const op = ins.code & 0xf0;
    const isX = (ins.code & 8) !== 0;
    const imm = BigInt(ins.imm);
    if (cls === 4 || cls === 7) {
      const w64 = cls === 7;
      const dst = r[ins.dst]!;
      const src = isX ? r[ins.src]! : u64(imm);
      let v: bigint;
      const a = w64 ? dst : u32(dst);
      const b = w64 ? src : u32(src);
      const sgn = (x: bigint): bigint => (w64 ? s64(x) : s32(x));
      const wrap = (x: bigint): bigint => (w64 ? u64(x) : u32(x));
      const sh = b & (w64 ? 63n : 31n);
      switch (op) {
        case 0x00: v = wrap(a + b); break;
        case 0x10: v = wrap(a - b); break;
        case 0x20: v = wrap(a * b); break;
        case 0x30: v = b === 0n ? 0n : ins.off === 1 ? wrap(sgn(a) / sgn(b)) : a / b; break;
        case 0x40: v = a | b; break;
        case 0x50: v = a & b; break;
        case 0x60: v = wrap(a << sh); break;
        case 0x70: v = a >> sh; break;
        case 0x80: v = wrap(-a); break;
        case 0x90: v = b === 0n ? a : ins.off === 1 ? wrap(sgn(a) % sgn(b)) : a % b; break;
        case 0xa0: v = a ^ b; break;
        case 0xb0: v = ins.off === 0 || !isX ? b : wrap(BigInt.asIntN(ins.off, b)); break;
        case 0xc0: v = wrap(sgn(a) >> sh); break;
        case 0xd0: {
          const bits = ins.imm;
          if (w64 || isX) v = bswap(dst, bits / 8);
          else v = dst & ((1n << BigInt(bits)) - 1n);
          r[ins.dst] = v;
          pc++;
          continue;
        }
        default: throw new Error(`ref: alu op ${op}`);
      }
      r[ins.dst] = u64(v);
      pc++;
      continue;
    }
    if (cls === 5 || cls === 6) {
      if (op === 0x90) return { r0: r[0]!, regs: r, mem: m, steps };
      if (op === 0x00) { pc = pc + 1 + (cls === 6 ? ins.imm : ins.off); continue; }
      const w64 = cls === 5;
      const a = w64 ? r[ins.dst]! : u32(r[ins.dst]!);
      const b = isX ? (w64 ? r[ins.src]! : u32(r[ins.src]!)) : w64 ? u64(imm) : u32(imm);
      const sa = w64 ? s64(a) : s32(a);
      const sb = w64 ? s64(b) : s32(b);
      let t: boolean;
      switch (op) {
        case 0x10: t = a === b; break;
        case 0x20: t = a > b; break;
        case 0x30: t = a >= b; break;
        case 0x40: t = (a & b) !== 0n; break;
        case 0x50: t = a !== b; break;
        case 0x60: t = sa > sb; break;
        case 0x70: t = sa >= sb; break;
        case 0xa0: t = a < b; break;
        case 0xb0: t = a <= b; break;
        case 0xc0: t = sa < sb; break;
        case 0xd0: t = sa <= sb; break;
        default: throw new Error(`ref: jmp op ${op}`);
      }
      pc = t ? pc + 1 + ins.off : pc + 1;
      continue;
    }
    const size = [4, 2, 1, 8][(ins.code >> 3) & 3]!;
    const mode = ins.code & 0xe0;
    if (cls === 0) {
      r[ins.dst] = u64(BigInt(ins.imm >>> 0) | (BigInt(insns[pc + 1]!.imm >>> 0) << 32n));
      pc += 2;
      continue;
    }
    if (cls === 1) {
      const v = load(u64(r[ins.src]! + BigInt(ins.off)), size);
      r[ins.dst] = mode === 0x80 ? sx(v, size * 8) : v;
      pc++;
      continue;
    }
    const addr = u64(r[ins.dst]! + BigInt(ins.off));
    if (cls === 2) { store(addr, size, u64(imm)); pc++; continue; }
    if (mode === 0x60) { store(addr, size, r[ins.src]!); pc++; continue; }
    const mask = size === 8 ? M64 : 0xffffffffn;
    const old = load(addr, size);
    const src = r[ins.src]! & mask;
    const aop = ins.imm;
    if (aop === 0xe1) { store(addr, size, src); r[ins.src] = old; }
    else if (aop === 0xf1) {
      if ((r[0]! & mask) === old) store(addr, size, src);
      r[0] = old;
    } else {
      const base2 = aop & ~1;
      const nv = base2 === 0x00 ? (old + src) & mask : base2 === 0x40 ? old | src : base2 === 0x50 ? old & src : old ^ src;
      store(addr, size, nv);
      if (aop & 1) r[ins.src] = old;
    }
    pc++;
  }
}
