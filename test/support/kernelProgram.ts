/**
 * Random programs for differential testing against the kernel: structured so that Linux's
 * privileged verifier accepts nearly all of them (every register initialised, every instruction
 * reachable, loops bounded by a counter the body never writes, no pointer arithmetic), yet covering
 * every instruction it accepts in an XDP program — ALU and ALU64 with every operation and edge
 * immediates, JMP and JMP32 with every condition, may_goto and gotol, stack loads and stores of every
 * width (sign-extending ones too), atomics on the stack, bounded loops, bpf-to-bpf calls, and
 * bpf_loop with a subprogram as its callback (which adds its registers into the main stack's first
 * slot through the callback context, so what it computed shows).
 *
 * Each program runs as XDP on a packet of `PACKET_LEN` bytes. Its registers start as constants or as
 * values read from the packet (so the verifier sees unknowns too); at the end it writes r0..r9 and
 * its whole stack into the packet (r0..r9 at 0..79, then the stack from STACK_LO to STACK_END), so
 * `data_out` shows every difference, and returns XDP_PASS.
 */
import fc from 'fast-check';
import {
  Add, And, ArSh, Be16, Be32, Be64, Bswap16, Bswap32, Bswap64, Div, JEq, JGE, JGT, JLE, JLT, JNE, JSet, JSGE,
  JSGT, JSLE, JSLT, LSh, Le16, Le32, Le64, Mod, Mov, MovSX16, MovSX32, MovSX8, Mul, Neg, Or, RSh, SDiv, SMod,
  Sub, Xor, atomic, BPF_PSEUDO_FUNC, LD_IMM64, call, callLocal, exit, gotol, insn, ja, label, loadImm64, loadMem, loadMemSX,
  mayGoto, program, storeImm, storeMem,
} from '../../src/isa/index.js';
import type { AluOp, AsmItem, AtomicOp, Insn, JumpOp, Reg, Size } from '../../src/isa/index.js';

/** Bytes of the packet each program runs on. */
export const PACKET_LEN = 656;
/** Where the program reads initial register values (r0..r9, 8 bytes each). */
export const INPUT_AT = 576;
/**
 * The main program's stack: random accesses in [STACK_LO, STACK_END); r10-24 and r10-16 are scratch
 * (for the epilogue and for control programs), r10-8 keeps the packet pointer. Subprograms use
 * [-64, 0) and keep [-80, -64) as scratch, so a call chain stays within the kernel's 512 bytes
 * (which rounds each frame up to 32 bytes).
 */
export const STACK_LO = -416;
/** End (exclusive) of the main program's random stack area. */
export const STACK_END = -24;
/** Scratch slots of the main program and of subprograms (two 8-byte slots each). */
export const SCRATCH = { main: [-24, -16], sub: [-72, -80] } as const;

/** A straight-line instruction, a conditional, a loop or a call, before layout. */
export type Stmt =
  | { readonly k: 'op'; readonly item: AsmItem }
  | { readonly k: 'if'; readonly cond: Cond; readonly then: readonly Stmt[] }
  | { readonly k: 'ifelse'; readonly cond: Cond; readonly then: readonly Stmt[]; readonly else: readonly Stmt[]; readonly long: boolean }
  | { readonly k: 'maygoto'; readonly then: readonly Stmt[] }
  | { readonly k: 'loop'; readonly counter: Reg; readonly count: number; readonly wide: boolean; readonly body: readonly Stmt[] }
  | { readonly k: 'call'; readonly fn: number; readonly reinit: readonly bigint[] }
  | { readonly k: 'bpfloop'; readonly fn: number; readonly count: number; readonly reinit: readonly bigint[] };

/** A jump condition: `if dst OP src|imm`. */
export interface Cond {
  readonly op: JumpOp;
  readonly wide: boolean;
  readonly dst: Reg;
  readonly src: Reg | null;
  readonly imm: number;
}

/** A whole generated case: initial values, packet, the main body and the subprograms. */
export interface KernelCase {
  /** Per register r0..r9: a constant, or null to read it from the packet. */
  readonly init: readonly (bigint | null)[];
  /** The packet's last bytes, from which `null` registers are read. */
  readonly input: Uint8Array;
  readonly main: readonly Stmt[];
  readonly subprogs: readonly (readonly Stmt[])[];
}

const edgeImm = fc.oneof(
  fc.constantFrom(0, 1, -1, 2, 7, 8, 15, 16, 31, 32, 33, 63, 64, 0x7fffffff, -0x80000000, 0x80, 0xff, 0x7fff, 0x8000, 0xffff, -2, 0x40000000),
  fc.integer({ min: -0x80000000, max: 0x7fffffff }),
  fc.integer({ min: -300, max: 300 }),
);

const edgeU64 = fc.oneof(
  fc.constantFrom(0n, 1n, 0xffffffffffffffffn, 0x8000000000000000n, 0x7fffffffffffffffn, 0xffffffffn, 0x80000000n,
    0x100000000n, 0xffffffff80000000n, 0x7fffffffn, 2n, 31n, 32n, 63n, 64n, 126n, 0x1234n, 5n),
  fc.bigInt({ min: 0n, max: (1n << 64n) - 1n }),
  fc.bigInt({ min: 0n, max: 0xffffn }),
);

const ALU: readonly [AluOp, boolean][] = [
  [Add, false], [Sub, false], [Mul, false], [Div, true], [SDiv, true], [Or, false], [And, false], [LSh, false],
  [RSh, false], [Mod, true], [SMod, true], [Xor, false], [Mov, false], [ArSh, false],
];
const SHIFTS = new Set<AluOp>([LSh, RSh, ArSh]);
const JUMPS: readonly JumpOp[] = [JEq, JNE, JGT, JGE, JLT, JLE, JSGT, JSGE, JSLT, JSLE, JSet];
const ENDS = [Be16, Be32, Be64, Le16, Le32, Le64, Bswap16, Bswap32, Bswap64];
const SIZES: readonly Size[] = ['b', 'h', 'w', 'dw'];
const BYTES: Record<Size, number> = { b: 1, h: 2, w: 4, dw: 8 };
const ATOMICS: readonly AtomicOp[] = ['add', 'or', 'and', 'xor', 'fetch_add', 'fetch_or', 'fetch_and', 'fetch_xor', 'xchg', 'cmpxchg'];

/** Registers a statement may use: `dst` it may write, `src` it may read; `stack` the offsets it may touch. */
interface Scope {
  readonly dst: readonly Reg[];
  readonly src: readonly Reg[];
  readonly stackLo: number;
  readonly stackEnd: number;
  readonly calls: number;
}

function aluItem(s: Scope): fc.Arbitrary<AsmItem> {
  const dst = fc.constantFrom(...s.dst);
  const src = fc.constantFrom(...s.src);
  return fc.oneof(
    { weight: 8, arbitrary: fc.record({ op: fc.constantFrom(...ALU), wide: fc.boolean(), x: fc.boolean(), dst, src, imm: edgeImm })
      .map(({ op: [op, divides], wide, x, dst: d, src: r, imm }) => {
        if (x) return wide ? op.reg(d, r) : op.reg32(d, r);
        // The verifier refuses division by a zero immediate and shifts by an immediate past the width.
        let k = imm;
        if (divides && k === 0) k = 3;
        if (SHIFTS.has(op)) k = ((k % 64) + 64) % (wide ? 64 : 32);
        return wide ? op.imm(d, k) : op.imm32(d, k);
      }) },
    { weight: 2, arbitrary: fc.record({ w: fc.constantFrom(MovSX8, MovSX16, MovSX32), wide: fc.boolean(), dst, src })
      .map(({ w, wide, dst: d, src: r }) => (wide || w === MovSX32 ? w.reg(d, r) : w.reg32(d, r))) },
    { weight: 1, arbitrary: fc.record({ wide: fc.boolean(), dst }).map(({ wide, dst: d }) => (wide ? Neg.reg(d) : Neg.reg32(d))) },
    { weight: 2, arbitrary: fc.record({ e: fc.constantFrom(...ENDS), dst }).map(({ e, dst: d }) => e.reg(d)) },
    { weight: 1, arbitrary: fc.record({ dst, v: edgeU64 }).map(({ dst: d, v }) => loadImm64(d, v)) },
  );
}

function stackOff(s: Scope, bytes: number): fc.Arbitrary<number> {
  const slots = Math.floor((s.stackEnd - s.stackLo) / bytes);
  return fc.integer({ min: 0, max: slots - 1 }).map((i) => s.stackLo + i * bytes);
}

function memItem(s: Scope): fc.Arbitrary<AsmItem> {
  const dst = fc.constantFrom(...s.dst);
  const src = fc.constantFrom(...s.src);
  const sized = <T>(f: (sz: Size) => fc.Arbitrary<T>): fc.Arbitrary<T> => fc.constantFrom(...SIZES).chain(f);
  return fc.oneof(
    sized((sz) => fc.record({ off: stackOff(s, BYTES[sz]), dst, sx: fc.boolean() })
      .map(({ off, dst: d, sx }) => (sx && sz !== 'dw' ? loadMemSX(d, 10, off, sz) : loadMem(d, 10, off, sz)))),
    sized((sz) => fc.record({ off: stackOff(s, BYTES[sz]), src }).map(({ off, src: r }) => storeMem(10, off, r, sz))),
    sized((sz) => fc.record({ off: stackOff(s, BYTES[sz]), imm: edgeImm }).map(({ off, imm }) => storeImm(10, off, imm, sz))),
    fc.record({ op: fc.constantFrom(...ATOMICS), wide: fc.boolean(), src })
      .chain(({ op, wide, src: r }) => stackOff(s, wide ? 8 : 4).map((off) => ({ op, wide, r, off })))
      // A fetching atomic writes its source register (cmpxchg writes r0): keep it a writable one.
      .filter(({ op, r }) => {
        const writes = op === 'cmpxchg' ? 0 : op.startsWith('fetch') || op === 'xchg' ? r : null;
        return writes === null || s.dst.includes(writes);
      })
      .map(({ op, wide, r, off }) => atomic(op, wide ? 'dw' : 'w', 10, off, r)),
  );
}

function cond(s: Scope): fc.Arbitrary<Cond> {
  return fc.record({
    op: fc.constantFrom(...JUMPS), wide: fc.boolean(), dst: fc.constantFrom(...s.src),
    src: fc.option(fc.constantFrom(...s.src), { nil: null }), imm: edgeImm,
  });
}

function stmts(s: Scope, depth: number, max: number): fc.Arbitrary<Stmt[]> {
  const op = fc.oneof({ weight: 3, arbitrary: aluItem(s) }, { weight: 1, arbitrary: memItem(s) }).map((item): Stmt => ({ k: 'op', item }));
  const options: fc.WeightedArbitrary<Stmt>[] = [{ weight: 12, arbitrary: op }];
  if (depth > 0) {
    const inner = stmts(s, depth - 1, Math.max(1, max >> 1));
    options.push(
      { weight: 2, arbitrary: fc.record({ cond: cond(s), then: inner }).map((x): Stmt => ({ k: 'if', ...x })) },
      { weight: 2, arbitrary: fc.record({ cond: cond(s), then: inner, else: inner, long: fc.boolean() }).map((x): Stmt => ({ k: 'ifelse', ...x })) },
      { weight: 1, arbitrary: inner.map((then): Stmt => ({ k: 'maygoto', then })) },
    );
    const counters = s.dst.filter((r) => r >= 6);
    if (counters.length > 0) {
      options.push({
        weight: 1,
        arbitrary: fc.record({ counter: fc.constantFrom(...counters), count: fc.integer({ min: 1, max: 4 }), wide: fc.boolean() })
          .chain(({ counter, count, wide }) => stmts({ ...s, dst: s.dst.filter((r) => r !== counter) }, depth - 1, Math.max(1, max >> 1))
            .map((body): Stmt => ({ k: 'loop', counter, count, wide, body }))),
      });
    }
  }
  if (s.calls > 0) {
    options.push({
      weight: 1,
      arbitrary: fc.record({ fn: fc.integer({ min: 0, max: s.calls - 1 }), reinit: fc.array(edgeU64, { minLength: 5, maxLength: 5 }) })
        .map((x): Stmt => ({ k: 'call', ...x })),
    });
    options.push({
      weight: 1,
      arbitrary: fc.record({
        fn: fc.integer({ min: 0, max: s.calls - 1 }), count: fc.integer({ min: 0, max: 4 }), reinit: fc.array(edgeU64, { minLength: 5, maxLength: 5 }),
      }).map((x): Stmt => ({ k: 'bpfloop', ...x })),
    });
  }
  return fc.array(fc.oneof(...options), { maxLength: max });
}

const MAIN: Scope = { dst: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], src: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9], stackLo: STACK_LO, stackEnd: STACK_END, calls: 0 };
const SUB: Scope = { dst: [0, 1, 2, 3, 4, 5], src: [0, 1, 2, 3, 4, 5], stackLo: -64, stackEnd: 0, calls: 0 };

/** A random case with up to `maxStmts` top-level statements and up to two subprograms. */
export function arbKernelCase(maxStmts = 24): fc.Arbitrary<KernelCase> {
  return fc.integer({ min: 0, max: 2 }).chain((nsub) => fc.record({
    init: fc.array(fc.option(edgeU64, { nil: null, freq: 3 }), { minLength: 10, maxLength: 10 }),
    input: fc.uint8Array({ minLength: PACKET_LEN - INPUT_AT, maxLength: PACKET_LEN - INPUT_AT }),
    main: stmts({ ...MAIN, calls: nsub }, 2, maxStmts),
    subprogs: fc.array(stmts(SUB, 1, 8), { minLength: nsub, maxLength: nsub }),
  }));
}

/** Where a callback saves its context pointer (below the subprogram's scratch slots). */
const CALLBACK_CTX = -88;
/** The kernel's BPF_FUNC_loop. */
const BPF_FUNC_loop = 181;

/** A callback reference (LD_IMM64 src 4) to lay out: the label on its slot and the callback's label. */
interface FuncRef { readonly at: string; readonly to: string }

/** Lays out statements with fresh labels; callback references go to `refs`, for `kernelProgram` to resolve. */
function emitStmts(list: readonly Stmt[], fresh: () => string, refs: FuncRef[] = []): AsmItem[] {
  const out: AsmItem[] = [];
  for (const st of list) {
    switch (st.k) {
      case 'op': out.push(st.item); break;
      case 'if': {
        const skip = fresh();
        out.push(jump(st.cond, skip), ...emitStmts(st.then, fresh, refs), label(skip));
        break;
      }
      case 'ifelse': {
        const other = fresh();
        const end = fresh();
        out.push(jump(st.cond, other), ...emitStmts(st.then, fresh, refs), st.long ? gotol(end) : ja(end),
          label(other), ...emitStmts(st.else, fresh, refs), label(end));
        break;
      }
      case 'maygoto': {
        const skip = fresh();
        out.push(mayGoto(skip), ...emitStmts(st.then, fresh, refs), label(skip));
        break;
      }
      case 'loop': {
        const top = fresh();
        const c = st.counter;
        out.push(Mov.imm(c, st.count), label(top), ...emitStmts(st.body, fresh, refs), Add.imm(c, -1),
          st.wide ? JNE.imm(c, 0, top) : JNE.imm32(c, 0, top));
        break;
      }
      case 'call':
        out.push(callLocal(`fn${st.fn}`), ...st.reinit.map((v, i) => loadImm64((i + 1) as Reg, v)));
        break;
      case 'bpfloop': {
        const at = fresh();
        refs.push({ at, to: `cb${st.fn}` });
        out.push(Mov.imm(1, st.count), label(at), { kind: 'insn', slots: [insn(LD_IMM64, 2, BPF_PSEUDO_FUNC), insn(0)] }, Mov.reg(3, 10), Add.imm(3, STACK_LO),
          Mov.imm(4, 0), call(BPF_FUNC_loop), ...st.reinit.map((v, i) => loadImm64((i + 1) as Reg, v)));
        break;
      }
    }
  }
  return out;
}

function jump(c: Cond, to: string): AsmItem {
  if (c.src !== null) return c.wide ? c.op.reg(c.dst, c.src, to) : c.op.reg32(c.dst, c.src, to);
  return c.wide ? c.op.imm(c.dst, c.imm, to) : c.op.imm32(c.dst, c.imm, to);
}

/** The XDP program of a case. */
export function kernelProgram(c: KernelCase): Insn[] {
  let n = 0;
  const fresh = (): string => `L${n++}`;
  const items: AsmItem[] = [
    loadMem(2, 1, 0, 'w'),
    loadMem(3, 1, 4, 'w'),
    Mov.reg(4, 2),
    Add.imm(4, PACKET_LEN),
    JGT.reg(4, 3, 'bail'),
    storeMem(10, -8, 2, 'dw'),
  ];
  for (let off = STACK_LO; off < STACK_END; off += 8) items.push(storeImm(10, off, 0, 'dw'));
  // Registers start as constants or as 8-byte values of the packet, read through r9 (last).
  items.push(loadMem(9, 10, -8, 'dw'));
  const start = (r: Reg): AsmItem => {
    const v = c.init[r];
    return v === null || v === undefined ? loadMem(r, 9, INPUT_AT + 8 * r, 'dw') : loadImm64(r, v);
  };
  for (let r = 0; r <= 9; r++) items.push(start(r as Reg));
  const refs: FuncRef[] = [];
  items.push(...emitStmts(c.main, fresh, refs));
  items.push(storeMem(10, -16, 9, 'dw'), loadMem(9, 10, -8, 'dw'));
  for (let r = 0; r <= 8; r++) items.push(storeMem(9, 8 * r, r as Reg, 'dw'));
  items.push(loadMem(8, 10, -16, 'dw'), storeMem(9, 72, 8, 'dw'));
  for (let off = STACK_LO; off < STACK_END; off += 8) items.push(loadMem(8, 10, off, 'dw'), storeMem(9, 80 + off - STACK_LO, 8, 'dw'));
  items.push(Mov.imm(0, 2), exit(), label('bail'), Mov.imm(0, 0), exit());
  // The kernel refuses unreachable code, so only called subprograms are laid out.
  const called = new Set<number>();
  const callbacks = new Set<number>();
  const walk = (list: readonly Stmt[]): void => list.forEach((st) => {
    if (st.k === 'call') called.add(st.fn);
    if (st.k === 'bpfloop') callbacks.add(st.fn);
    if (st.k === 'if' || st.k === 'maygoto') walk(st.then);
    if (st.k === 'ifelse') { walk(st.then); walk(st.else); }
    if (st.k === 'loop') walk(st.body);
  });
  walk(c.main);
  c.subprogs.forEach((body, i) => {
    if (!called.has(i)) return;
    items.push(label(`fn${i}`), Mov.reg(0, 1));
    for (let off = SUB.stackLo; off < SUB.stackEnd; off += 8) items.push(storeImm(10, off, 0, 'dw'));
    items.push(...emitStmts(body, fresh), exit());
  });
  // A callback gets (index, ctx): it keeps ctx aside, starts r0 and r2..r5 from the index, runs the
  // subprogram's body, adds r0..r5 into the slot ctx points to and returns r0 & 1 (0 goes on, 1 stops).
  c.subprogs.forEach((body, i) => {
    if (!callbacks.has(i)) return;
    items.push(label(`cb${i}`), storeMem(10, CALLBACK_CTX, 2, 'dw'));
    for (const r of [0, 2, 3, 4, 5] as const) items.push(Mov.reg(r, 1));
    for (let off = SUB.stackLo; off < SUB.stackEnd; off += 8) items.push(storeImm(10, off, 0, 'dw'));
    items.push(...emitStmts(body, fresh), loadMem(1, 10, CALLBACK_CTX, 'dw'));
    for (const r of [0, 2, 3, 4, 5] as const) items.push(loadMem(6, 1, 0, 'dw'), Add.reg(6, r), storeMem(1, 0, 6, 'dw'));
    items.push(And.imm(0, 1), exit());
  });
  const built = program(items);
  for (const ref of refs) {
    const at = built.labels.get(ref.at)!;
    built.insns[at] = { ...built.insns[at]!, imm: built.labels.get(ref.to)! - at - 1 };
  }
  return built.insns;
}

/** The packet a case runs on: zeros, then the input bytes registers are read from. */
export function kernelPacket(c: KernelCase): Uint8Array {
  const p = new Uint8Array(PACKET_LEN);
  p.set(c.input, INPUT_AT);
  return p;
}

/** Case number `i` of the campaign with seed `seed`: each case has its own derived seed, so campaigns shard and replay one case at a time. */
export function caseAt(seed: number, i: number, maxStmts = 24): KernelCase {
  return fc.sample(arbKernelCase(maxStmts), { numRuns: 1, seed: (Math.imul(seed, 1000003) + i) | 0 })[0]!;
}
