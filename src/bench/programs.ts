/**
 * The benchmark programs: the project's own, written so that the kernel's verifier accepts them
 * as XDP programs too (packet accesses are bounds-checked; loops end through `may_goto` as well as
 * their counter, and the counter passes through a division, which the verifier does not track, so
 * that the loop's states converge instead of being explored iteration by iteration), so every
 * engine and the kernel run the same bytecode. Each body expects
 * r6 = packet start and r7 = packet end; a prologue sets them up for the way it is run. A program
 * may use maps by name (`r1 = map[counters]`), which the runner creates on each backend.
 */
import { BPF_MAP_TYPE_ARRAY } from '../uapi.js';
import type { MapSpec } from '../maps/index.js';

/** One benchmark program. */
export interface BenchProgram {
  /** Short name for tables and JSON. */
  readonly name: string;
  /** What it exercises. */
  readonly description: string;
  /** The body, in kernel/llvm assembly syntax, using r6/r7 as packet start/end. */
  readonly body: string;
  /** Input packet length in bytes (its contents come from `benchPacket`). */
  readonly packetLen: number;
  /** The maps the body refers to by name (`map[name]`), created fresh for each backend. */
  readonly maps?: readonly MapSpec[];
}

/** Prologue for raw runs: r1 = input, r2 = its length. */
export const RAW_PROLOGUE = 'r6 = r1\nr7 = r1\nr7 += r2\n';
/** Prologue for XDP runs: r1 = struct xdp_md *. */
export const XDP_PROLOGUE = 'r6 = *(u32 *)(r1 +0)\nr7 = *(u32 *)(r1 +4)\n';

/** The benchmark set, in table order. */
export const benchPrograms: readonly BenchProgram[] = [
  {
    name: 'empty',
    description: 'return at once',
    packetLen: 64,
    body: 'r0 = 2\nexit\n',
  },
  {
    name: 'alu_loop',
    description: '~1 M ALU instructions: add, xor, shift in a counted loop',
    packetLen: 64,
    body: `
      r0 = 0
      r1 = 125000
      r2 = 1
      r1 /= r2
    loop:
      may_goto done
      r0 += r1
      r0 ^= 0x5555
      r2 = r0
      r2 >>= 3
      r0 += r2
      r1 += -1
      if r1 != 0 goto loop
    done:
      exit
    `,
  },
  {
    name: 'checksum',
    description: 'Internet checksum over a 1500-byte packet, 16 bits at a time',
    packetLen: 1500,
    body: `
      r0 = 0
      r3 = 0
      r2 = 1
      r3 /= r2
      r3 &= 0x7ff
    loop:
      may_goto fold
      r4 = r6
      r4 += r3
      r5 = r4
      r5 += 2
      if r5 > r7 goto fold
      r5 = *(u16 *)(r4 +0)
      r0 += r5
      r3 += 2
      r3 &= 0x7ff
      goto loop
    fold:
      r1 = r0
      r1 >>= 16
      r0 &= 0xffff
      r0 += r1
      r1 = r0
      r1 >>= 16
      r0 += r1
      r0 ^= 0xffff
      r0 &= 0xffff
      exit
    `,
  },
  {
    name: 'parse_udp',
    description: 'Ethernet/IPv4/UDP parse of a 64-byte packet, returning the UDP destination port',
    packetLen: 64,
    body: `
      r0 = 1
      r2 = r6
      r2 += 14
      if r2 > r7 goto out
      r3 = *(u16 *)(r6 +12)
      if r3 != 0x8 goto out
      r2 = r6
      r2 += 34
      if r2 > r7 goto out
      r3 = *(u8 *)(r6 +14)
      r4 = r3
      r4 >>= 4
      if r4 != 4 goto out
      r3 &= 0xf
      if r3 < 5 goto out
      r4 = *(u8 *)(r6 +23)
      if r4 != 17 goto out
      r3 <<= 2
      r2 = r6
      r2 += 14
      r2 += r3
      r4 = r2
      r4 += 8
      if r4 > r7 goto out
      r0 = *(u16 *)(r2 +2)
      r0 = be16 r0
    out:
      exit
    `,
  },
  {
    name: 'muldiv',
    description: '64-bit multiply, divide and modulo with 64-bit operands',
    packetLen: 64,
    body: `
      r0 = 0x123456789abcdef ll
      r2 = 0x9e3779b97f4a7c15 ll
      r5 = 0x100000007 ll
      r8 = 1000003
      r1 = 100000
      r9 = 1
      r1 /= r9
    loop:
      may_goto done
      r0 *= r2
      r3 = r0
      r3 /= r5
      r4 = r0
      r4 %= r8
      r0 += r3
      r0 ^= r4
      r1 += -1
      if r1 != 0 goto loop
    done:
      exit
    `,
  },
  {
    name: 'stack',
    description: 'stores and loads of every width on the stack',
    packetLen: 64,
    body: `
      r0 = 0
      r1 = 100000
      r2 = 1
      r1 /= r2
    loop:
      may_goto done
      *(u64 *)(r10 -8) = r1
      *(u32 *)(r10 -16) = r1
      *(u16 *)(r10 -24) = r1
      *(u8 *)(r10 -32) = r1
      r2 = *(u64 *)(r10 -8)
      r3 = *(u32 *)(r10 -16)
      r4 = *(u16 *)(r10 -24)
      r5 = *(u8 *)(r10 -32)
      r0 += r2
      r0 += r3
      r0 += r4
      r0 += r5
      r1 += -1
      if r1 != 0 goto loop
    done:
      exit
    `,
  },
  {
    name: 'map_lookup',
    description: '100 K array-map lookups, each bumping a counter (the JIT inlines the lookup, as the kernel does)',
    packetLen: 64,
    maps: [{ name: 'counters', type: BPF_MAP_TYPE_ARRAY, keySize: 4, valueSize: 8, maxEntries: 256 }],
    body: `
      r8 = 0
      r9 = 100000
      r1 = 1
      r9 /= r1
    loop:
      may_goto done
      r1 = r9
      r1 &= 0xff
      *(u32 *)(r10 -4) = r1
      r2 = r10
      r2 += -4
      r1 = map[counters]
      call bpf_map_lookup_elem
      if r0 == 0 goto next
      r1 = *(u64 *)(r0 +0)
      r1 += 1
      *(u64 *)(r0 +0) = r1
      r8 += 1
    next:
      r9 += -1
      if r9 != 0 goto loop
    done:
      r0 = r8
      exit
    `,
  },
];

/**
 * The benchmark input: an Ethernet/IPv4/UDP frame (to 10.0.0.2:53) padded with a byte pattern
 * to `len` bytes.
 */
export function benchPacket(len: number): Uint8Array {
  const p = new Uint8Array(len);
  const head = [
    0x02, 0, 0, 0, 0, 0x02, 0x02, 0, 0, 0, 0, 0x01, 0x08, 0x00,
    0x45, 0, 0, 50, 0, 1, 0, 0, 64, 17, 0, 0, 10, 0, 0, 1, 10, 0, 0, 2,
    0x30, 0x39, 0x00, 0x35, 0, 30, 0, 0,
  ];
  p.set(head.slice(0, len));
  for (let i = head.length; i < len; i++) p[i] = (i * 7 + 3) & 0xff;
  return p;
}
