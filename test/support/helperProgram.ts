/**
 * Random programs that call helpers, for differential testing against the kernel: map updates,
 * lookups (with writes through the value pointer), deletes, per-CPU lookups, queue/stack/bloom
 * operations, LPM trie updates and lookups, ring buffer reserve/submit/discard/output/query,
 * bpf_loop and bpf_for_each_map_elem with small callbacks, and a final tail call through a
 * PROG_ARRAY — with random keys, values and flags (valid and not). Every result a call gives is
 * stored in the packet, so data out shows it; afterwards the maps' contents are compared too.
 *
 * The programs are written so Linux's verifier accepts them (NULL checks, ring buffer records
 * released on every path, callbacks returning 0 or 1), and so that what they observe does not
 * depend on which CPU runs them (per-CPU lookups name "this CPU" and "the next one"; maps are fresh).
 */
import fc from 'fast-check';
import { BPF_MAP_TYPE_ARRAY, BPF_MAP_TYPE_BLOOM_FILTER, BPF_MAP_TYPE_HASH, BPF_MAP_TYPE_LPM_TRIE, BPF_MAP_TYPE_LRU_HASH,
  BPF_MAP_TYPE_PERCPU_ARRAY, BPF_MAP_TYPE_PERCPU_HASH, BPF_MAP_TYPE_PROG_ARRAY, BPF_MAP_TYPE_QUEUE, BPF_MAP_TYPE_RINGBUF,
  BPF_MAP_TYPE_STACK, BPF_F_NO_PREALLOC, BPF_F_ZERO_SEED } from '../../src/uapi.js';
import type { MapSpec } from '../../src/maps/index.js';

/** Bytes of the packet; results are u64 slots from its start. */
export const HELPER_PACKET_LEN = 2048;
/** The most result slots a program uses. */
export const MAX_SLOTS = HELPER_PACKET_LEN / 8;

/** The maps every program gets, by index (`map[idx:i]`). */
export const HELPER_MAPS: readonly MapSpec[] = [
  { type: BPF_MAP_TYPE_ARRAY, keySize: 4, valueSize: 16, maxEntries: 4, name: 'array' },
  { type: BPF_MAP_TYPE_HASH, keySize: 4, valueSize: 16, maxEntries: 4, flags: BPF_F_ZERO_SEED, name: 'hash' },
  { type: BPF_MAP_TYPE_LRU_HASH, keySize: 4, valueSize: 16, maxEntries: 4, flags: BPF_F_ZERO_SEED, name: 'lru' },
  { type: BPF_MAP_TYPE_PERCPU_ARRAY, keySize: 4, valueSize: 16, maxEntries: 2, name: 'pcpu_array' },
  { type: BPF_MAP_TYPE_PERCPU_HASH, keySize: 4, valueSize: 16, maxEntries: 4, flags: BPF_F_ZERO_SEED, name: 'pcpu_hash' },
  { type: BPF_MAP_TYPE_QUEUE, keySize: 0, valueSize: 8, maxEntries: 3, name: 'queue' },
  { type: BPF_MAP_TYPE_STACK, keySize: 0, valueSize: 8, maxEntries: 3, name: 'stack' },
  { type: BPF_MAP_TYPE_LPM_TRIE, keySize: 8, valueSize: 8, maxEntries: 4, flags: BPF_F_NO_PREALLOC, name: 'lpm' },
  { type: BPF_MAP_TYPE_RINGBUF, keySize: 0, valueSize: 0, maxEntries: 4096, name: 'ringbuf' },
  { type: BPF_MAP_TYPE_PROG_ARRAY, keySize: 4, valueSize: 4, maxEntries: 3, name: 'jumps' },
  { type: BPF_MAP_TYPE_BLOOM_FILTER, keySize: 0, valueSize: 8, maxEntries: 8, flags: BPF_F_ZERO_SEED, name: 'bloom', mapExtra: 3n },
];
/** Indexes of the keyed maps with u32 keys and 16-byte values, and which of them are per-CPU. */
const KEYED = [0, 1, 2, 3, 4] as const;
const PER_CPU = [3, 4] as const;
const LPM = 7;
const RINGBUF = 8;
const JUMPS = 9;
const BLOOM = 10;
/** What the programs in slots 0 and 1 of the prog array return (slot 2 stays empty). */
export const TAIL_TARGETS = [10, 11] as const;

/** One generated statement. */
export type HelperStmt =
  | { readonly k: 'update'; readonly map: number; readonly key: number; readonly v: readonly [bigint, bigint]; readonly flags: bigint }
  | { readonly k: 'lookup'; readonly map: number; readonly key: number; readonly write?: bigint }
  | { readonly k: 'delete'; readonly map: number; readonly key: number }
  | { readonly k: 'percpu'; readonly map: number; readonly key: number; readonly cpu: 'this' | 'next' | 'none' }
  | { readonly k: 'push'; readonly map: number; readonly v: bigint; readonly flags: number }
  | { readonly k: 'pop' | 'peek'; readonly map: number }
  | { readonly k: 'lpm_update'; readonly prefix: number; readonly addr: number; readonly v: bigint; readonly flags: number }
  | { readonly k: 'lpm_lookup' | 'lpm_delete'; readonly prefix: number; readonly addr: number }
  | { readonly k: 'reserve'; readonly size: number; readonly flags: number; readonly discard: boolean; readonly fill: bigint }
  | { readonly k: 'output'; readonly size: number; readonly flags: bigint }
  | { readonly k: 'query'; readonly flags: number }
  | { readonly k: 'loop'; readonly n: bigint; readonly stopAt: number; readonly flags: number }
  | { readonly k: 'each'; readonly map: number; readonly stopKey: number; readonly flags: number };

/** A generated case: statements, then perhaps a tail call. */
export interface HelperCase {
  readonly stmts: readonly HelperStmt[];
  /** Slot of the prog array to tail-call at the end (undefined: none). */
  readonly tail: number | undefined;
}

const u64 = fc.oneof(fc.constantFrom(0n, 1n, 0xffffffffffffffffn, 0x8000000000000000n), fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }));
const updateFlags = fc.oneof({ weight: 8, arbitrary: fc.constantFrom(0n, 1n, 2n) }, { weight: 1, arbitrary: fc.constantFrom(3n, 4n, 1n << 32n) });
const key = fc.integer({ min: 0, max: 5 });
const keyed = fc.constantFrom(...KEYED);
const queueLike = fc.constantFrom(5, 6);

const stmt: fc.Arbitrary<HelperStmt> = fc.oneof(
  { weight: 6, arbitrary: fc.record({ k: fc.constant('update' as const), map: keyed, key, v: fc.tuple(u64, u64), flags: updateFlags }) },
  { weight: 5, arbitrary: fc.record({ k: fc.constant('lookup' as const), map: keyed, key, write: fc.option(u64, { nil: undefined }) }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('delete' as const), map: keyed, key }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('percpu' as const), map: fc.constantFrom(...PER_CPU), key, cpu: fc.constantFrom('this' as const, 'next' as const, 'none' as const) }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('push' as const), map: fc.constantFrom(5, 6, BLOOM), v: u64, flags: fc.constantFrom(0, 0, 0, 1, 2, 3) }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constantFrom('pop' as const, 'peek' as const), map: queueLike }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('peek' as const), map: fc.constant(BLOOM) }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('lpm_update' as const), prefix: fc.integer({ min: 0, max: 33 }), addr: fc.constantFrom(0x0a000000, 0x0a010000, 0x0a010203, 0xc0a80001, 0), v: u64, flags: fc.constantFrom(0, 0, 1, 2, 3) }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constantFrom('lpm_lookup' as const, 'lpm_delete' as const), prefix: fc.integer({ min: 0, max: 32 }), addr: fc.constantFrom(0x0a000000, 0x0a010203, 0x0a0102ff, 0xc0a80001, 0x7f000001) }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('reserve' as const), size: fc.constantFrom(1, 7, 8, 16, 61, 200, 4089), flags: fc.constantFrom(0, 0, 0, 1), discard: fc.boolean(), fill: u64 }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('output' as const), size: fc.constantFrom(0, 1, 8, 13, 24), flags: fc.constantFrom(0n, 1n, 2n, 3n, 4n, 1n << 35n) }) },
  { weight: 1, arbitrary: fc.record({ k: fc.constant('query' as const), flags: fc.integer({ min: 0, max: 4 }) }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('loop' as const), n: fc.constantFrom(0n, 1n, 3n, 7n, 0x100000002n, BigInt((1 << 23) + 1)), stopAt: fc.integer({ min: -1, max: 5 }), flags: fc.constantFrom(0, 0, 0, 1) }) },
  { weight: 2, arbitrary: fc.record({ k: fc.constant('each' as const), map: keyed, stopKey: fc.integer({ min: -1, max: 5 }), flags: fc.constantFrom(0, 0, 0, 1) }) },
);

/** Random cases of up to `max` statements. */
export function arbHelperCase(max = 20): fc.Arbitrary<HelperCase> {
  return fc.record({
    stmts: fc.array(stmt, { minLength: 1, maxLength: max }),
    tail: fc.option(fc.integer({ min: 0, max: 2 }), { nil: undefined, freq: 3 }),
  });
}

/** Case `i` of the campaign `seed` (each case has its own seed, so one can be replayed alone). */
export function helperCaseAt(seed: number, i: number, max = 20): HelperCase {
  return fc.sample(arbHelperCase(max), { numRuns: 1, seed: (Math.imul(seed, 1000003) + i) | 0 })[0]!;
}

const hex = (v: bigint | number): string => `0x${BigInt.asUintN(64, BigInt(v)).toString(16)}`;
/** A result marker for a NULL pointer. */
export const NULL_MARK = 0xdeadn;
/** Initial bytes of the area bpf_ringbuf_output copies from. */
const OUTPUT_AREA = [0x0102030405060708n, 0x1112131415161718n, 0x2122232425262728n];
const bswap32 = (x: number): number => (((x & 0xff) << 24) | ((x & 0xff00) << 8) | ((x >>> 8) & 0xff00) | (x >>> 24)) >>> 0;

/** The layout of a case: the program text (for the assembler) and the number of result slots it fills. */
export interface HelperLayout {
  readonly text: string;
  readonly slots: number;
}

/** Lays out a case as an XDP program for a machine with `ncpus` CPUs. */
export function helperProgramText(c: HelperCase, ncpus: number): HelperLayout {
  let slot = 0;
  let labels = 0;
  const L = (): string => `L${labels++}`;
  const out = (reg = 0): string => `*(u64 *)(r7 +${8 * slot++}) = r${reg}`;
  const deref = (): string => {
    const l = L();
    return `r1 = ${hex(NULL_MARK)} ll\nif r0 == 0 goto ${l}\nr1 = *(u64 *)(r0 +0)\n${l}:\n${out(1)}`;
  };
  const setKey = (k: number): string => `r1 = ${k}\n*(u32 *)(r10 -8) = r1`;
  const loopStops = new Set<number>();
  const eachStops = new Set<number>();
  const body: string[] = [];
  for (const s of c.stmts) {
    switch (s.k) {
      case 'update':
        body.push(setKey(s.key), `r1 = ${hex(s.v[0])} ll\n*(u64 *)(r10 -32) = r1\nr1 = ${hex(s.v[1])} ll\n*(u64 *)(r10 -24) = r1`,
          `r1 = map[idx:${s.map}]\nr2 = r10\nr2 += -8\nr3 = r10\nr3 += -32\nr4 = ${hex(s.flags)} ll\ncall bpf_map_update_elem`, out());
        break;
      case 'lookup': {
        const l = L();
        body.push(setKey(s.key), `r1 = map[idx:${s.map}]\nr2 = r10\nr2 += -8\ncall bpf_map_lookup_elem`,
          `r1 = ${hex(NULL_MARK)} ll\nif r0 == 0 goto ${l}\nr1 = *(u64 *)(r0 +0)`,
          s.write === undefined ? '' : `r2 = ${hex(s.write)} ll\n*(u64 *)(r0 +8) = r2`, `${l}:`, out(1));
        break;
      }
      case 'delete':
        body.push(setKey(s.key), `r1 = map[idx:${s.map}]\nr2 = r10\nr2 += -8\ncall bpf_map_delete_elem`, out());
        break;
      case 'percpu': {
        const cpu = s.cpu === 'none' ? `r3 = ${ncpus}` : s.cpu === 'this' ? 'r3 = r8' : `r3 = r8\nr3 += 1\nif r3 < ${ncpus} goto +1\nr3 = 0`;
        body.push(setKey(s.key), 'call bpf_get_smp_processor_id\nr8 = r0', `r1 = map[idx:${s.map}]\nr2 = r10\nr2 += -8\n${cpu}\ncall bpf_map_lookup_percpu_elem`, deref());
        break;
      }
      case 'push':
        body.push(`r1 = ${hex(s.v)} ll\n*(u64 *)(r10 -40) = r1`, `r1 = map[idx:${s.map}]\nr2 = r10\nr2 += -40\nr3 = ${s.flags}\ncall bpf_map_push_elem`, out());
        break;
      case 'pop':
      case 'peek':
        if (s.map !== BLOOM) body.push('r1 = 0x1111\n*(u64 *)(r10 -40) = r1');
        body.push(`r1 = map[idx:${s.map}]\nr2 = r10\nr2 += -40\ncall bpf_map_${s.k}_elem`, out(), 'r1 = *(u64 *)(r10 -40)', out(1));
        break;
      case 'lpm_update':
      case 'lpm_lookup':
      case 'lpm_delete': {
        body.push(`r1 = ${s.prefix}\n*(u32 *)(r10 -16) = r1\nr1 = ${hex(bswap32(s.addr))} ll\n*(u32 *)(r10 -12) = r1`);
        if (s.k === 'lpm_update') {
          body.push(`r1 = ${hex(s.v)} ll\n*(u64 *)(r10 -32) = r1`,
            `r1 = map[idx:${LPM}]\nr2 = r10\nr2 += -16\nr3 = r10\nr3 += -32\nr4 = ${s.flags}\ncall bpf_map_update_elem`, out());
        } else if (s.k === 'lpm_lookup') {
          body.push(`r1 = map[idx:${LPM}]\nr2 = r10\nr2 += -16\ncall bpf_map_lookup_elem`, deref());
        } else {
          body.push(`r1 = map[idx:${LPM}]\nr2 = r10\nr2 += -16\ncall bpf_map_delete_elem`, out());
        }
        break;
      }
      case 'reserve': {
        const l = L();
        const fill = s.size >= 8 ? `r1 = ${hex(s.fill)} ll\n*(u64 *)(r0 +0) = r1` : `r1 = ${Number(s.fill & 0xffn)}\n*(u8 *)(r0 +0) = r1`;
        body.push(`r1 = map[idx:${RINGBUF}]\nr2 = ${s.size}\nr3 = ${s.flags}\ncall bpf_ringbuf_reserve`,
          `r8 = 0\nif r0 == 0 goto ${l}\nr8 = 1\n${fill}\nr1 = r0\nr2 = 0\ncall bpf_ringbuf_${s.discard ? 'discard' : 'submit'}`, `${l}:`, out(8));
        break;
      }
      case 'output':
        body.push(`r1 = map[idx:${RINGBUF}]\nr2 = r10\nr2 += -96\nr3 = ${s.size}\nr4 = ${hex(s.flags)} ll\ncall bpf_ringbuf_output`, out());
        break;
      case 'query':
        body.push(`r1 = map[idx:${RINGBUF}]\nr2 = ${s.flags}\ncall bpf_ringbuf_query`, out());
        break;
      case 'loop':
        loopStops.add(s.stopAt);
        body.push('r1 = 0\n*(u64 *)(r10 -48) = r1', `r1 = ${hex(s.n)} ll\nr2 = subprog[loop_cb${s.stopAt + 1}]\nr3 = r10\nr3 += -48\nr4 = ${s.flags}\ncall bpf_loop`,
          out(), 'r1 = *(u64 *)(r10 -48)', out(1));
        break;
      case 'each':
        eachStops.add(s.stopKey);
        body.push('r1 = 0\n*(u64 *)(r10 -64) = r1\n*(u64 *)(r10 -56) = r1',
          `r1 = map[idx:${s.map}]\nr2 = subprog[each_cb${s.stopKey + 1}]\nr3 = r10\nr3 += -64\nr4 = ${s.flags}\ncall bpf_for_each_map_elem`,
          out(), 'r1 = *(u64 *)(r10 -64)', out(1), 'r1 = *(u64 *)(r10 -56)', out(1));
        break;
    }
  }
  const tail = c.tail === undefined ? '' : `r1 = r6\nr2 = map[idx:${JUMPS}]\nr3 = ${c.tail}\ncall bpf_tail_call`;
  const prologue = [
    'r6 = r1', 'r7 = *(u32 *)(r6 +0)', 'r8 = *(u32 *)(r6 +4)', 'r2 = r7', `r2 += ${HELPER_PACKET_LEN}`, 'if r2 > r8 goto bail',
    'r1 = 0', ...[-8, -16, -24, -32, -40, -48, -56, -64].map((o) => `*(u64 *)(r10 ${o}) = r1`),
    ...OUTPUT_AREA.map((v, i) => `r1 = ${hex(v)} ll\n*(u64 *)(r10 ${-96 + 8 * i}) = r1`),
  ];
  const loopCbs = [...loopStops].map((stop) => [
    `loop_cb${stop + 1}:`, 'r3 = *(u64 *)(r2 +0)', 'r3 += r1', 'r3 += 1', '*(u64 *)(r2 +0) = r3', 'r0 = 0',
    stop >= 0 ? `if r1 != ${stop} goto +1\nr0 = 1` : '', 'exit',
  ].join('\n'));
  const eachCbs = [...eachStops].map((stop) => [
    `each_cb${stop + 1}:`, 'r5 = *(u32 *)(r2 +0)', 'r0 = r5', 'r0 *= 1000', 'r1 = *(u64 *)(r3 +0)', 'r0 += r1',
    'r1 = *(u64 *)(r4 +0)', 'r1 += r0', '*(u64 *)(r4 +0) = r1', 'r1 = *(u64 *)(r4 +8)', 'r1 += 1', '*(u64 *)(r4 +8) = r1', 'r0 = 0',
    stop >= 0 ? `if r5 != ${stop} goto +1\nr0 = 1` : '', 'exit',
  ].join('\n'));
  const text = [...prologue, ...body, tail, 'r0 = 2', 'exit', 'bail:', 'r0 = 0', 'exit', ...loopCbs, ...eachCbs].filter((l) => l !== '').join('\n');
  return { text, slots: slot };
}

/** The values a case pushes into the bloom filter (the differential asks the filter about them afterwards). */
export function bloomProbes(c: HelperCase): bigint[] {
  return [...c.stmts.flatMap((s) => (s.k === 'push' && s.map === BLOOM ? [s.v] : [])), 0n, 1n, 0x1111n, 0xffffffffffffffffn];
}
