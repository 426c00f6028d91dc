/**
 * fast-check generators of *linked* programs: several programs, each with up to four BPF
 * functions, that tail-call each other through one PROG_ARRAY, hand callbacks to a `bpf_loop`
 * helper and look up maps (array maps, which the JIT looks up inline, and others). Like `arbCalling`, they are unverified on purpose — functions read what their caller or
 * the program they replace left in any register, callers read r1..r5 after calls — so that every
 * engine must pass registers exactly as the interpreter does. They always end: bpf-to-bpf calls go
 * to later functions, tail calls stop after 33, callbacks loop at most 3 times and recurse at most
 * to the frame limit (a fault both engines must agree on).
 */
import fc from 'fast-check';
import { BPF_PSEUDO_FUNC, insn, ldImm64 } from '../../src/isa/index.js';
import type { Insn } from '../../src/isa/index.js';
import { dumpEpilogue, edgeImm, edgeU64, emitJump, linkFunctions } from '../support/arbRunnable.js';

/** Helper ids the programs call: a mixing helper, a logging helper, and bpf_loop. */
export const LINKED_HELPERS = { mix: 100, log: 101, loop: 181 } as const;

/** Where tail calls may appear: in every function, or only in the main program (at depth 0). */
export type TailSites = 'anywhere' | 'main';

/** What a linked case is built against. */
export interface LinkedOptions {
  /** Address of the PROG_ARRAY (4 slots) whose slot i holds program i. */
  readonly progArray: number;
  /** Address of 80 bytes where each main program stores r0..r9 before it exits. */
  readonly dump: number;
  /** Where tail calls may be made. */
  readonly tails: TailSites;
  /** Whether the programs hand callbacks to bpf_loop. */
  readonly callbacks: boolean;
  /** Addresses of maps the programs look up with a constant map pointer (array maps are inlined by the JIT). */
  readonly lookups: readonly number[];
}

/** Slots in the PROG_ARRAY; the generated programs fill the first 1..3 of them. */
export const PROG_ARRAY_SLOTS = 4;

type Jump = { readonly jump: true; readonly code: number; readonly dst: number; readonly src: number; readonly imm: number; readonly frac: number };
type Item = Insn[] | Jump | { readonly call: number } | { readonly loop: number; readonly fn: number; readonly ctx: number };

const reg = fc.integer({ min: 0, max: 9 });
const ALU = [0x00, 0x10, 0x20, 0x40, 0x50, 0x60, 0x70, 0xa0, 0xb0, 0xc0];

const alu: fc.Arbitrary<Item> = fc.oneof(
  fc.record({ op: fc.constantFrom(...ALU), wide: fc.boolean(), x: fc.boolean(), dst: reg, src: reg, imm: edgeImm })
    .map(({ op, wide, x, dst, src, imm }) => [x ? insn((wide ? 0x07 : 0x04) | op | 0x08, dst, src) : insn((wide ? 0x07 : 0x04) | op, dst, 0, 0, imm)]),
  fc.record({ dst: reg, v: edgeU64 }).map(({ dst, v }) => ldImm64(dst, v)),
);

const SIZE = [0x18, 0x00, 0x08, 0x10];
const mem: fc.Arbitrary<Item> = fc.record({ size: fc.integer({ min: 0, max: 3 }), slot: fc.integer({ min: 1, max: 64 }), r: reg, load: fc.boolean() })
  .map(({ size, slot, r, load }) => [load ? insn(0x61 | SIZE[size]!, r, 10, -8 * slot) : insn(0x63 | SIZE[size]!, 10, r, -8 * slot)]);

const jump: fc.Arbitrary<Item> = fc.record({
  op: fc.constantFrom(0x10, 0x20, 0x50, 0xa0, 0x60, 0xc0, 0x40, 0x00), x: fc.boolean(), dst: reg, src: reg, imm: edgeImm,
  frac: fc.double({ min: 0, max: 1, noNaN: true }),
}).map(({ op, x, dst, src, imm, frac }): Jump => (op === 0x00
  ? { jump: true, code: 0x05, dst: 0, src: 0, imm: 0, frac }
  : { jump: true, code: 0x05 | op | (x ? 0x08 : 0), dst, src: x ? src : 0, imm: x ? 0 : imm, frac }));

const helper: fc.Arbitrary<Item> = fc.constantFrom(LINKED_HELPERS.mix, LINKED_HELPERS.log).map((id) => [insn(0x85, 0, 0, 0, id)]);

/** `r2 = prog_array; r3 = slot; call bpf_tail_call` (slots past the programs are empty, 4 is out of range). */
const tail = (progArray: number): fc.Arbitrary<Item> => fc.integer({ min: 0, max: PROG_ARRAY_SLOTS })
  .map((slot) => [...ldImm64(2, progArray), insn(0xb7, 3, 0, 0, slot), insn(0x85, 0, 0, 0, 12)]);

/** Keys around the edges of a 4-entry array. */
const KEYS = [0, 1, 2, 3, 4, 5, -1, 0x7fffffff, -0x80000000];

/** `*(u32 *)(r10 - 8 slot) = key; r0 = bpf_map_lookup_elem(map, r10 - 8 slot); if (r0) *(u64 *)r0 += 1`. */
const lookup = (maps: readonly number[]): fc.Arbitrary<Item> => fc.record({
  map: fc.constantFrom(...maps), key: fc.constantFrom(...KEYS), slot: fc.integer({ min: 1, max: 64 }),
}).map(({ map, key, slot }) => [
  insn(0x62, 10, 0, -8 * slot, key), insn(0xbf, 2, 10), insn(0x07, 2, 0, 0, -8 * slot), ...ldImm64(1, map), insn(0x85, 0, 0, 0, 1),
  insn(0x15, 0, 0, 3, 0), insn(0x79, 3, 0, 0), insn(0x07, 3, 0, 0, 1), insn(0x7b, 0, 3, 0),
]);

function body(o: LinkedOptions, tails: boolean): fc.Arbitrary<Item[]> {
  const unit = fc.double({ min: 0, max: 1, noNaN: true });
  const items: fc.WeightedArbitrary<Item>[] = [
    { weight: 6, arbitrary: alu }, { weight: 3, arbitrary: mem }, { weight: 2, arbitrary: jump },
    { weight: 1, arbitrary: unit.map((call) => ({ call })) }, { weight: 1, arbitrary: helper },
  ];
  if (tails) items.push({ weight: 2, arbitrary: tail(o.progArray) });
  if (o.lookups.length > 0) items.push({ weight: 2, arbitrary: lookup(o.lookups) });
  if (o.callbacks) {
    items.push({ weight: 2, arbitrary: fc.record({ loop: fc.integer({ min: 0, max: 3 }), fn: unit, ctx: fc.integer({ min: 1, max: 64 }) }) });
  }
  return fc.array(fc.oneof(...items), { maxLength: 18 });
}

const size = (it: Exclude<Item, Insn[]>): number => ('loop' in it ? 7 : 1);

/** One program: its functions laid out, calls and callback references resolved. Main stores r0..r9 at `dump` before its exit. */
function program(o: LinkedOptions, fns: Item[][], init: readonly bigint[] | null): Insn[] {
  const prologue: Insn[] = init ? init.flatMap((v, r) => ldImm64(r, v)) : [];
  return linkFunctions(fns, prologue, dumpEpilogue(o.dump), size, (it, at) => {
    const { out, starts, fn: i } = at;
    if ('call' in it) {
      if (i === fns.length - 1) { out.push(insn(0x85, 0, 0, 0, LINKED_HELPERS.mix)); return; }
      const j = i + 1 + Math.min(fns.length - 2 - i, Math.floor(it.call * (fns.length - 1 - i)));
      out.push(insn(0x85, 0, 1, 0, starts[j]! - (out.length + 1)));
      return;
    }
    if ('loop' in it) {
      // Any function but main may be the callback, itself and its callers included.
      const target = fns.length === 1 ? 0 : starts[1 + Math.min(fns.length - 2, Math.floor(it.fn * (fns.length - 1)))]!;
      out.push(insn(0xb7, 1, 0, 0, it.loop));
      const [a, b] = ldImm64(2, 0, BPF_PSEUDO_FUNC);
      out.push({ ...a, imm: target - (out.length + 1) }, b);
      out.push(insn(0xbf, 3, 10), insn(0x07, 3, 0, 0, -8 * it.ctx), insn(0xb7, 4), insn(0x85, 0, 0, 0, LINKED_HELPERS.loop));
      return;
    }
    emitJump(it, at);
  });
}

/**
 * 1..3 linked programs; program i goes into PROG_ARRAY slot i and program 0 is the one run. Only
 * program 0 initialises r0..r9: the others start with whatever the program they replace left.
 */
export function arbLinked(o: LinkedOptions): fc.Arbitrary<Insn[][]> {
  const fnsOf = fc.integer({ min: o.callbacks ? 2 : 1, max: 4 }).chain((n) => fc.tuple(...Array.from({ length: n }, (_, i) => body(o, o.tails === 'anywhere' || i === 0))));
  return fc.record({
    init: fc.array(edgeU64, { minLength: 10, maxLength: 10 }),
    progs: fc.array(fnsOf, { minLength: 1, maxLength: PROG_ARRAY_SLOTS - 1 }),
  }).map(({ init, progs }) => progs.map((fns, i) => program(o, fns, i === 0 ? init : null)));
}
