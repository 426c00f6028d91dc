/**
 * fast-check generators of *runnable* programs: every register initialised, every jump forward,
 * every memory access on the stack within the frame, and the stack zeroed first. Such programs
 * terminate and never fault, so engines (and the reference model) can be compared on their final
 * registers and stack. Used by engine-vs-engine tests now and by the kernel differential later.
 * `arbCalling` adds helper calls and bpf-to-bpf calls; `arbLooping` adds backward jumps (loops,
 * irreducible ones included, that may never end: run those with a budget).
 */
import fc from 'fast-check';
import { insn, ldImm64 } from '../../src/isa/index.js';
import type { Insn } from '../../src/isa/index.js';

/** Interesting 32-bit immediates: edges of every width and shift amounts around the boundaries. */
export const edgeImm = fc.oneof(
  fc.constantFrom(0, 1, -1, 2, 7, 8, 15, 16, 31, 32, 33, 63, 64, 0x7fffffff, -0x80000000, 0x80, 0xff, 0x7fff, 0x8000, 0xffff, -2),
  fc.integer({ min: -0x80000000, max: 0x7fffffff }),
  fc.integer({ min: -300, max: 300 }),
);

/** Interesting 64-bit register values. */
export const edgeU64 = fc.oneof(
  fc.constantFrom(0n, 1n, 0xffffffffffffffffn, 0x8000000000000000n, 0x7fffffffffffffffn, 0xffffffffn, 0x80000000n,
    0x100000000n, 0xffffffff80000000n, 0x7fffffffn, 2n, 0x1fn, 0x3fn, 0x40n),
  fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
  fc.bigInt({ min: 0n, max: 0xffffn }),
);

const reg = fc.integer({ min: 0, max: 9 });
const anyReg = fc.integer({ min: 0, max: 10 });

/** ALU op codes valid with both sources (excluding NEG and END, generated separately). */
const aluOps = [0x00, 0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0x90, 0xa0, 0xb0, 0xc0];
const jmpOps = [0x10, 0x20, 0x30, 0x40, 0x50, 0x60, 0x70, 0xa0, 0xb0, 0xc0, 0xd0];

const aluInsn: fc.Arbitrary<Insn[]> = fc.oneof(
  fc.record({ op: fc.constantFrom(...aluOps), wide: fc.boolean(), x: fc.boolean(), dst: reg, src: anyReg, imm: edgeImm, signed: fc.boolean() })
    .map(({ op, wide, x, dst, src, imm, signed }) => {
      const cls = wide ? 0x07 : 0x04;
      const off = (op === 0x30 || op === 0x90) && signed ? 1 : 0;
      return [x ? insn(cls | op | 0x08, dst, src, off, 0) : insn(cls | op, dst, 0, off, imm)];
    }),
  fc.record({ wide: fc.boolean(), dst: reg, src: anyReg, w: fc.constantFrom(8, 16, 32) })
    .map(({ wide, dst, src, w }) => [insn((wide ? 0x07 : 0x04) | 0xb0 | 0x08, dst, src, wide ? w : Math.min(w, 16), 0)]),
  fc.record({ wide: fc.boolean(), dst: reg }).map(({ wide, dst }) => [insn((wide ? 0x07 : 0x04) | 0x80, dst)]),
  fc.record({ kind: fc.constantFrom(0xd4, 0xdc, 0xd7), dst: reg, w: fc.constantFrom(16, 32, 64) })
    .map(({ kind, dst, w }) => [insn(kind, dst, 0, 0, w)]),
  fc.record({ dst: reg, v: edgeU64 }).map(({ dst, v }) => ldImm64(dst, v)),
);

const size = fc.constantFrom(1, 2, 4, 8);
const sizeCode = (n: number): number => (n === 1 ? 0x10 : n === 2 ? 0x08 : n === 4 ? 0x00 : 0x18);
const stackOff = (n: number): fc.Arbitrary<number> => fc.integer({ min: -512, max: -n });

const memInsn: fc.Arbitrary<Insn[]> = fc.oneof(
  size.chain((n) => fc.record({ off: stackOff(n), dst: reg, sx: fc.boolean() }).map(({ off, dst, sx }) =>
    [insn((sx && n < 8 ? 0x80 : 0x60) | sizeCode(n) | 0x01, dst, 10, off, 0)])),
  size.chain((n) => fc.record({ off: stackOff(n), src: anyReg }).map(({ off, src }) => [insn(0x60 | sizeCode(n) | 0x03, 10, src, off, 0)])),
  size.chain((n) => fc.record({ off: stackOff(n), imm: edgeImm }).map(({ off, imm }) => [insn(0x60 | sizeCode(n) | 0x02, 10, 0, off, imm)])),
  fc.record({
    wide: fc.boolean(), slot: fc.integer({ min: 1, max: 64 }), src: reg,
    op: fc.constantFrom(0x00, 0x01, 0x40, 0x41, 0x50, 0x51, 0xa0, 0xa1, 0xe1, 0xf1),
  }).map(({ wide, slot, src, op }) => [insn(wide ? 0xdb : 0xc3, 10, src, -8 * slot + (wide ? 0 : 4 * (slot & 1)), op)]),
);

/** A jump placeholder: `frac` picks a forward target when the program is laid out. */
export interface JumpGen { readonly jump: true; readonly code: number; readonly dst: number; readonly src: number; readonly imm: number; readonly frac: number }

const jmpInsn: fc.Arbitrary<JumpGen> = fc.record({
  op: fc.constantFrom(...jmpOps, 0x00), wide: fc.boolean(), x: fc.boolean(), dst: anyReg, src: anyReg, imm: edgeImm, frac: fc.double({ min: 0, max: 1, noNaN: true }),
}).map(({ op, wide, x, dst, src, imm, frac }) => {
  const cls = wide ? 0x05 : 0x06;
  if (op === 0x00) return { jump: true as const, code: 0x05, dst: 0, src: 0, imm: 0, frac };
  return { jump: true as const, code: cls | op | (x ? 0x08 : 0), dst, src: x ? src : 0, imm: x ? 0 : imm, frac };
});

/** A runnable program: initialises r0..r9, zeroes the stack, runs a random body, exits. */
export const arbRunnable = (maxBody = 40): fc.Arbitrary<Insn[]> => fc.record({
  init: fc.array(edgeU64, { minLength: 10, maxLength: 10 }),
  body: fc.array(fc.oneof({ weight: 6, arbitrary: aluInsn }, { weight: 3, arbitrary: memInsn }, { weight: 2, arbitrary: jmpInsn }), { maxLength: maxBody }),
}).map(({ init, body }) => {
  const out: Insn[] = [];
  init.forEach((v, r) => out.push(...ldImm64(r, v)));
  for (let off = -8; off >= -512; off -= 8) out.push(insn(0x7a, 10, 0, off, 0));
  const items = body;
  // Lay out the body, then resolve each jump to a forward target among the remaining items.
  const starts: number[] = [];
  let pos = out.length;
  for (const it of items) {
    starts.push(pos);
    pos += Array.isArray(it) ? it.length : 1;
  }
  const end = pos;
  items.forEach((it, k) => {
    if (Array.isArray(it)) { out.push(...it); return; }
    const j = it as JumpGen;
    const targets = [...starts.slice(k + 1), end];
    const t = targets[Math.min(targets.length - 1, Math.floor(j.frac * targets.length))]!;
    const rel = t - (starts[k]! + 1);
    out.push(insn(j.code, j.dst, j.src, rel, j.imm));
  });
  out.push(insn(0x95));
  return out;
});

/** Main's last instructions before its exit: r10 = `dump`, then r0..r9 stored there. */
export function dumpEpilogue(dump: number | bigint): Insn[] {
  return [...ldImm64(10, dump), ...Array.from({ length: 10 }, (_, r) => insn(0x7b, 10, r, 8 * r, 0))];
}

/** Where `linkFunctions` emits an item: the output so far, each function's first slot, the function's index, and the slots after the item up to its function's exit. */
export interface LinkSite {
  readonly out: Insn[];
  readonly starts: readonly number[];
  readonly fn: number;
  readonly targets: () => number[];
}

/**
 * Lays out BPF functions one after another — main first, between `prologue` and `epilogue` — each
 * ending in `exit`: instruction arrays are copied, any other item is emitted by `emit` in the
 * `size(item)` slots it takes.
 */
export function linkFunctions<T extends object>(
  fns: readonly (readonly (Insn[] | T)[])[], prologue: readonly Insn[], epilogue: readonly Insn[], size: (it: T) => number, emit: (it: T, at: LinkSite) => void,
): Insn[] {
  const sizeOf = (it: Insn[] | T): number => (Array.isArray(it) ? it.length : size(it as T));
  const starts: number[] = [];
  let pos = 0;
  fns.forEach((items, i) => {
    starts.push(pos);
    pos += (i === 0 ? prologue.length + epilogue.length : 0) + items.reduce((n, it) => n + sizeOf(it), 0) + 1;
  });
  const out: Insn[] = [];
  fns.forEach((items, fn) => {
    if (fn === 0) out.push(...prologue);
    const itemStarts: number[] = [];
    let p = out.length;
    for (const it of items) { itemStarts.push(p); p += sizeOf(it); }
    items.forEach((it, k) => {
      if (Array.isArray(it)) out.push(...it);
      else emit(it as T, { out, starts, fn, targets: () => [...itemStarts.slice(k + 1), p] });
    });
    if (fn === 0) out.push(...epilogue);
    out.push(insn(0x95));
  });
  return out;
}

/** Emits a jump placeholder as a jump to the target its `frac` picks among `at.targets()`. */
export function emitJump(it: JumpGen, at: LinkSite): void {
  const targets = at.targets();
  const t = targets[Math.min(targets.length - 1, Math.floor(it.frac * targets.length))]!;
  at.out.push(insn(it.code, it.dst, it.src, t - (at.out.length + 1), it.imm));
}

/** Helper ids `arbCalling` calls: two test helpers (see `callingHelpers`) and three of the machine's own. */
export const CALLED_HELPERS = [100, 101, 5, 7, 8] as const;

type CallGen = { readonly call: true; readonly frac: number };
type HelperGen = { readonly helper: number };
type Item = Insn[] | JumpGen | CallGen | HelperGen;

const callInsn: fc.Arbitrary<CallGen> = fc.double({ min: 0, max: 1, noNaN: true }).map((frac) => ({ call: true as const, frac }));
const helperInsn: fc.Arbitrary<HelperGen> = fc.constantFrom(...CALLED_HELPERS).map((helper) => ({ helper }));

const fnBody = (maxBody: number): fc.Arbitrary<Item[]> => fc.array(fc.oneof(
  { weight: 6, arbitrary: aluInsn }, { weight: 3, arbitrary: memInsn }, { weight: 2, arbitrary: jmpInsn },
  { weight: 1, arbitrary: callInsn }, { weight: 1, arbitrary: helperInsn },
), { maxLength: maxBody });

/**
 * A runnable program with up to three BPF functions after the main one, helper calls and calls to
 * later functions (so it terminates within 4 frames). Functions other than main start from
 * whatever the caller left in r0 and r6..r9 and on a stack nobody zeroed, and callers read r1..r5
 * after a call: what the kernel's verifier would refuse, and what shows that every engine passes
 * registers exactly as the interpreter does. Before its `exit`, main stores r0..r9 at `dump`.
 */
export const arbCalling = (dump: number, maxBody = 25): fc.Arbitrary<Insn[]> => fc.record({
  init: fc.array(edgeU64, { minLength: 10, maxLength: 10 }),
  fns: fc.array(fnBody(maxBody), { minLength: 1, maxLength: 4 }),
}).map(({ init, fns }) => {
  const prologue: Insn[] = [];
  init.forEach((v, r) => prologue.push(...ldImm64(r, v)));
  for (let off = -8; off >= -512; off -= 8) prologue.push(insn(0x7a, 10, 0, off, 0));
  return linkFunctions(fns, prologue, dumpEpilogue(dump), () => 1, (it, at) => {
    if ('helper' in it) { at.out.push(insn(0x85, 0, 0, 0, it.helper)); return; }
    if ('call' in it) {
      if (at.fn === fns.length - 1) { at.out.push(insn(0x85, 0, 0, 0, CALLED_HELPERS[0])); return; }
      const j = at.fn + 1 + Math.min(fns.length - 2 - at.fn, Math.floor(it.frac * (fns.length - 1 - at.fn)));
      at.out.push(insn(0x85, 0, 1, 0, at.starts[j]! - (at.out.length + 1)));
      return;
    }
    emitJump(it, at);
  });
});

/**
 * A program with jumps and may_goto in both directions: loops, nested or overlapping, reducible or
 * not, that may never end. Registers and the stack are initialised as in `arbRunnable`; run it with a budget.
 */
export const arbLooping = (maxBody = 30): fc.Arbitrary<Insn[]> => fc.record({
  init: fc.array(edgeU64, { minLength: 10, maxLength: 10 }),
  body: fc.array(fc.oneof(
    { weight: 6, arbitrary: aluInsn }, { weight: 2, arbitrary: memInsn },
    // Targets uniform over the body (fc.double favours 0 and 1, which makes every loop start at the top).
    { weight: 3, arbitrary: fc.tuple(jmpInsn, fc.nat(1 << 20)).map(([j, k]) => ({ ...j, frac: (k % 1024) / 1024 })) },
    { weight: 1, arbitrary: fc.nat(1023).map((k): JumpGen => ({ jump: true, code: 0xe5, dst: 0, src: 0, imm: 0, frac: k / 1024 })) },
  ), { maxLength: maxBody, size: 'max' }),
}).map(({ init, body }) => {
  const out: Insn[] = [];
  init.forEach((v, r) => out.push(...ldImm64(r, v)));
  for (let off = -8; off >= -512; off -= 8) out.push(insn(0x7a, 10, 0, off, 0));
  const first = out.length;
  const starts: number[] = [];
  let pos = first;
  for (const it of body) { starts.push(pos); pos += Array.isArray(it) ? it.length : 1; }
  const targets = [...starts, pos];
  body.forEach((it) => {
    if (Array.isArray(it)) { out.push(...it); return; }
    const t = targets[Math.min(targets.length - 1, Math.floor(it.frac * targets.length))]!;
    out.push(insn(it.code, it.dst, it.src, t - (out.length + 1), it.imm));
  });
  out.push(insn(0x95));
  return out;
});
