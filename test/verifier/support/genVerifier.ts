/**
 * Random XDP programs aimed at what the verifier decides, for measuring bpfsim's verdicts against
 * the kernel's. Each program is a prologue (r6 = ctx, r7 = data, r8 = data_end, r9 an unknown
 * scalar), a few snippets, each exercising one rule with a random variation that is right, wrong
 * or off by one, and an epilogue. Snippets: packet bounds checks and accesses (every comparison
 * form, fixed and variable offsets), map lookups with and without null checks and value accesses
 * in and out of bounds, stack stores and loads (sizes, alignment, range, spills and fills of
 * pointers), uninitialised registers, helpers with wrong argument types, pointer arithmetic on
 * every pointer type, 32- and 64-bit bounds from branches on every condition, context fields,
 * bounded loops (and may_goto and endless ones), bpf_loop and bpf_for_each_map_elem callbacks,
 * ring buffer records and sockets released on some paths or all, fields of the kernel's map object
 * read through a map pointer; now and then a structural fault
 * (unreachable code, a bad opcode, a division by zero, ...). Programs with callbacks load with BTF
 * func_info.
 */
import fc from 'fast-check';
import { assemble, insn, type Insn } from '../../../src/isa/index.js';
import { prng } from './genProgram.js';

/** The maps every generated program may use, by fd_array index. */
export const GEN_MAPS = [
  { type: 2, keySize: 4, valueSize: 16, maxEntries: 4, name: 'arr' },
  { type: 1, keySize: 4, valueSize: 8, maxEntries: 8, name: 'hash' },
  { type: 27, keySize: 0, valueSize: 0, maxEntries: 4096, name: 'rb' },
  { type: 3, keySize: 4, valueSize: 4, maxEntries: 4, name: 'progs' },
] as const;

/** A generated program: its seed, assembly text and instruction slots. */
export interface GenVerifierProgram {
  readonly seed: number;
  readonly source: string;
  readonly insns: Insn[];
}

type Rnd = () => number;

class Gen {
  readonly lines: string[] = [];
  /** Callback functions, placed after the main program. */
  readonly tail: string[] = [];
  usesOut = false;
  private label = 0;
  constructor(readonly rnd: Rnd) {}
  int(n: number): number { return this.rnd() % n; }
  pick<T>(xs: readonly T[]): T { return xs[this.int(xs.length)]!; }
  chance(p: number): boolean { return this.rnd() / 2 ** 32 < p; }
  emit(...l: string[]): void { this.lines.push(...l); }
  fresh(): string { return `l${this.label++}`; }
  out(): string { this.usesOut = true; return 'out'; }
}

const SIZES = [['u8', 1], ['u16', 2], ['u32', 4], ['u64', 8]] as const;
const JMPS = ['==', '!=', '>', '>=', '<', '<=', 's>', 's>=', 's<', 's<=', '&'];

/** An offset operand: `+4`, `-8`. */
function at(n: number): string {
  return n >= 0 ? `+${n}` : `${n}`;
}

function size(g: Gen): readonly [string, number] {
  return g.pick(SIZES);
}

/** `if a > end` and its equivalent or wrong forms; the fall-through is the in-bounds side when right. */
function pktCheck(g: Gen, ptr: string): void {
  const out = g.out();
  switch (g.chance(0.85) ? g.int(6) : 6 + g.int(3)) {
    case 0: g.emit(`if ${ptr} > r8 goto ${out}`); break;
    case 1: g.emit(`if r8 < ${ptr} goto ${out}`); break;
    case 2: g.emit(`if ${ptr} >= r8 goto ${out}`); break;
    case 3: g.emit(`if r8 <= ${ptr} goto ${out}`); break;
    case 4: { const ok = g.fresh(); g.emit(`if ${ptr} <= r8 goto ${ok}`, `goto ${out}`, `${ok}:`); break; }
    case 5: { const ok = g.fresh(); g.emit(`if ${ptr} < r8 goto ${ok}`, `goto ${out}`, `${ok}:`); break; }
    case 6: g.emit(`if ${ptr} < r8 goto ${out}`); break;
    case 7: g.emit(`if w${ptr.slice(1)} > w8 goto ${out}`); break;
    default: g.emit(`if ${ptr} > r8 goto ${out}`); break;
  }
}

function pktAccess(g: Gen): void {
  const n = 1 + g.int(48);
  g.emit('r4 = r7', `r4 += ${n}`);
  pktCheck(g, 'r4');
  const [t, s] = size(g);
  const m = g.chance(0.75) ? Math.max(0, n - s - g.int(3)) : g.chance(0.5) ? n - s + 1 : g.int(64) - 2;
  if (g.chance(0.2)) {
    const k = g.int(Math.max(1, m + 1));
    g.emit('r5 = r7', `r5 += ${k}`, g.chance(0.8) ? `r0 = *(${t} *)(r5 ${at(m - k)})` : `*(${t} *)(r5 ${at(m - k)}) = r9`);
  } else {
    g.emit(g.chance(0.85) ? `r0 = *(${t} *)(r7 ${at(m)})` : `*(${t} *)(r7 ${at(m)}) = ${g.int(256)}`);
  }
}

function varPkt(g: Gen): void {
  const out = g.out();
  g.emit('r4 = r7', 'r4 += 1');
  pktCheck(g, 'r4');
  g.emit('r0 = *(u8 *)(r7 +0)');
  switch (g.int(4)) {
    case 0: g.emit(`r0 &= ${g.pick([0xf, 0x3f, 0xff, 0x7f, 0x1ff, -1])}`); break;
    case 1: g.emit(`if r0 > ${g.pick([8, 16, 60, 255])} goto ${out}`); break;
    case 2: g.emit(`if w0 s> ${g.pick([8, 16])} goto ${out}`); break;
    default: g.emit('r0 = r9'); break;
  }
  const s = 1 + g.int(8);
  g.emit('r4 = r7', g.chance(0.9) ? 'r4 += r0' : 'r4 -= r0', 'r5 = r4', `r5 += ${s}`);
  pktCheck(g, 'r5');
  g.emit(`r0 = *(u8 *)(r4 +${g.chance(0.7) ? g.int(s) : s})`);
}

function mapLookup(g: Gen): void {
  const out = g.out();
  const map = g.chance(0.55) ? 0 : g.chance(0.8) ? 1 : g.int(4);
  const vs = map === 0 ? 16 : 8;
  switch (g.chance(0.85) ? g.int(3) : 3 + g.int(2)) {
    case 0: g.emit(`*(u32 *)(r10 -4) = ${g.pick([0, 1, 3, 4, 7])}`, 'r2 = r10', 'r2 += -4'); break;
    case 1: g.emit(`r1 = ${g.int(6)}`, '*(u32 *)(r10 -8) = r1', 'r2 = r10', 'r2 += -8'); break;
    case 2: g.emit('*(u32 *)(r10 -8) = r9', 'r2 = r10', 'r2 += -8'); break;
    case 3: g.emit('r2 = r10', `r2 += ${g.pick([-4, -8, -2, 0, -512, -516])}`); break;
    default: g.emit(g.pick(['r2 = r7', 'r2 = r6', 'r2 = 0', 'r2 = r10'])); break;
  }
  g.emit(g.chance(0.95) ? `r1 = map[idx:${map}]` : g.pick(['r1 = r6', 'r1 = 0']), 'call bpf_map_lookup_elem');
  switch (g.chance(0.8) ? g.int(3) : 3 + g.int(3)) {
    case 0: case 1: g.emit(`if r0 == 0 goto ${out}`); break;
    case 2: { const ok = g.fresh(); g.emit(`if r0 != 0 goto ${ok}`, `goto ${out}`, `${ok}:`); break; }
    case 3: g.emit(`if r0 != 0 goto ${out}`); break;
    case 4: g.emit(`if w0 == 0 goto ${out}`); break;
    default: break;
  }
  const [t, s] = size(g);
  const off = g.chance(0.75) ? g.int(vs - s + 1) : g.chance(0.5) ? vs - s + 1 : g.int(40) - 8;
  if (g.chance(0.3)) {
    g.emit('r1 = r9');
    switch (g.int(4)) {
      case 0: g.emit(`r1 &= ${g.pick([7, 3, 8, 15])}`); break;
      case 1: g.emit(`if r1 > ${g.pick([7, 3, 8, 15])} goto ${out}`); break;
      case 2: g.emit(`if w1 s> ${g.pick([7, 8])} goto ${out}`, `if w1 s< 0 goto ${out}`); break;
      default: break;
    }
    g.emit('r0 += r1');
  }
  g.emit(g.chance(0.7) ? `r1 = *(${t} *)(r0 ${at(off)})` : `*(${t} *)(r0 ${at(off)}) = r9`);
  if (g.chance(0.2)) g.emit(`lock *(u${g.pick(['32', '64'])} *)(r0 +${g.pick([0, 4, 8, 2])}) += r9`);
}

function stack(g: Gen): void {
  const [t, s] = size(g);
  const off = g.chance(0.85) ? -s * (1 + g.int(512 / s)) : g.pick([-520, -513, 0, 4, -3, -6, -12]);
  if (g.chance(0.6)) g.emit(`*(${t} *)(r10 ${at(off)}) = ${g.chance(0.5) ? g.pick(['r9', 'r7', 'r6', 'r0', 'r1']) : String(g.int(3))}`);
  if (g.chance(0.7)) {
    const [t2] = g.chance(0.6) ? [t] : size(g);
    g.emit(`r3 = *(${t2} *)(r10 ${at(off)})`);
    if (g.chance(0.4)) g.emit(g.pick(['r0 = *(u8 *)(r3 +0)', 'r3 += r9', 'r0 = r3', 'r3 *= 3']));
  }
  if (g.chance(0.15)) {
    g.emit('r1 = r9', `r1 &= ${g.pick([7, 15, 31, 511])}`, 'r2 = r10', `r2 += ${g.pick([-64, -32, -8, -512])}`, 'r2 += r1',
      g.chance(0.5) ? `r0 = *(${t} *)(r2 +0)` : `*(${t} *)(r2 +0) = r9`);
  }
}

function spillFill(g: Gen): void {
  const src = g.pick(['r6', 'r7', 'r8', 'r9', 'r10']);
  const slot = g.pick([-8, -16, -24, -40]);
  g.emit(`*(u64 *)(r10 ${slot}) = ${src}`);
  if (g.chance(0.3)) g.emit(`*(u${g.pick(['8', '32'])} *)(r10 ${slot + g.pick([0, 4])}) = 0`);
  g.emit(`r2 = *(${g.chance(0.8) ? 'u64' : g.pick(['u32', 'u8'])} *)(r10 ${slot})`);
  switch (src) {
    case 'r6': g.emit(`r0 = *(u32 *)(r2 +${g.pick([0, 4, 16, 20, 2])})`); break;
    case 'r7': g.emit('r4 = r2', 'r4 += 4'); pktCheck(g, 'r4'); g.emit(`r0 = *(u32 *)(r2 +${g.pick([0, 1, 4])})`); break;
    case 'r10': g.emit(`r0 = *(u64 *)(r2 ${at(g.pick([-8, -16, 8, -4]))})`); break;
    default: g.emit(g.pick(['r0 = r2', 'r0 = *(u8 *)(r2 +0)', 'r0 += r2']));
  }
}

function uninit(g: Gen): void {
  if (g.chance(0.5)) g.emit('call bpf_get_prandom_u32', g.pick(['r0 += r3', 'r0 = r1', 'if r5 > 3 goto +0', 'r9 = r0']));
  else g.emit(g.pick(['r0 = *(u64 *)(r10 -8)', 'r0 = r9', 'r1 = 1', 'r10 = r9', 'r0 = *(u64 *)(r10 -72)']));
}

function helperArgs(g: Gen): void {
  switch (g.int(5)) {
    case 0:
      g.emit('r1 = map[idx:2]', g.pick(['r2 = r10', 'r2 = r7', 'r2 = r6', 'r2 = 0']), 'r2 += -16', 'r3 = r9');
      g.emit(g.pick(['r3 &= 15', 'r3 &= 31', 'r3 = 8', 'r3 = 0', 'r3 = -1', 'r3 = 32']), 'r4 = 0', 'call bpf_ringbuf_output');
      break;
    case 1:
      g.emit(`r1 = map[idx:${g.int(4)}]`, 'r2 = r10', 'r2 += -8', 'r3 = r10', 'r3 += -24', 'r4 = 0', 'call bpf_map_update_elem');
      break;
    case 2:
      g.emit(g.pick(['r1 = r6', 'r1 = r7', 'r1 = 0']), `r2 = map[idx:${g.pick([3, 0])}]`, 'r3 = 0', 'call bpf_tail_call');
      break;
    case 3:
      g.emit('r1 = r10', `r1 += ${g.pick([-16, -8, -4, 0])}`, `r2 = ${g.pick([16, 8, 4, 0])}`, 'call bpf_get_current_comm');
      break;
    default:
      g.emit(`r1 = map[idx:${g.pick([2, 1])}]`, `r2 = ${g.pick([8, 16])}`, 'r3 = 0', 'call bpf_ringbuf_reserve');
      if (g.chance(0.7)) {
        const skip = g.fresh();
        g.emit(`if r0 == 0 goto ${skip}`, `*(u64 *)(r0 +${g.pick([0, 8, 4])}) = r9`, 'r1 = r0', 'r2 = 0', `call ${g.pick(['bpf_ringbuf_submit', 'bpf_ringbuf_discard'])}`, `${skip}:`);
      }
  }
}

function ptrArith(g: Gen): void {
  const ptr = g.pick(['r6', 'r7', 'r8', 'r10', 'map']);
  if (ptr === 'map') g.emit('r1 = map[idx:0]');
  else g.emit(`r1 = ${ptr}`);
  const op = g.pick(['+=', '-=', '+=', '*=', '&=', '|=', '<<=', '^=']);
  const src = g.pick(['4', '-8', 'r9', '0', 'r7', '536870912']);
  if (src === 'r9' && g.chance(0.5)) g.emit(`r9 &= ${g.pick([7, 255, 0xffff])}`);
  g.emit(g.chance(0.85) ? `r1 ${op} ${src}` : `w1 ${op} ${src.startsWith('r') ? 'w' + src.slice(1) : src}`);
  if (g.chance(0.5)) g.emit(g.pick(['r0 = *(u32 *)(r1 +0)', 'r0 = *(u8 *)(r1 -1)', 'r0 = r1', '*(u64 *)(r1 -8) = 0']));
}

function bounds(g: Gen): void {
  const out = g.out();
  g.emit('r1 = r9');
  for (let i = g.int(3); i > 0; i--) {
    g.emit(g.pick([`r1 &= ${g.pick([0xff, 0xf, 0x7fffffff])}`, `r1 += ${g.int(20) - 10}`, `w1 += ${g.int(20)}`, `r1 >>= ${g.int(8)}`, `r1 <<= ${g.int(4)}`, 'w1 = w1', `r1 s>>= ${g.int(4)}`]));
  }
  const op = g.pick(JMPS);
  const w = g.chance(0.3) ? 'w' : 'r';
  g.emit(`if ${w}1 ${op} ${g.pick([0, 1, 7, 8, 15, 16, 255, -1])} goto ${out}`);
  if (g.chance(0.5)) g.emit(`if ${w}1 ${g.pick(JMPS)} ${g.pick([0, 7, 15, -8])} goto ${out}`);
  switch (g.int(3)) {
    case 0: g.emit('r2 = r10', 'r2 += -16', 'r2 += r1', 'r0 = *(u8 *)(r2 +0)'); break;
    case 1:
      g.emit('*(u32 *)(r10 -4) = 0', 'r2 = r10', 'r2 += -4', 'r1 = map[idx:0]', 'call bpf_map_lookup_elem', 'r1 = r9', 'r1 &= 7', 'r0 += r1', 'r0 = *(u8 *)(r0 +0)');
      break;
    default: g.emit('r4 = r7', 'r4 += r1', 'r5 = r4', 'r5 += 1'); pktCheck(g, 'r5'); g.emit('r0 = *(u8 *)(r4 +0)');
  }
}

function ctxField(g: Gen): void {
  const [t] = g.chance(0.7) ? ['u32'] : size(g);
  const off = g.pick([0, 4, 8, 12, 16, 20, 24, 2, 1]);
  if (g.chance(0.9)) g.emit(`r0 = *(${t} *)(r6 +${off})`);
  else g.emit(g.pick([`*(${t} *)(r6 +${off}) = r9`, `*(u32 *)(r6 +${off}) = 0`, 'r1 = r6', 'r1 += 4']));
  if (g.chance(0.2)) g.emit('r1 = r6', `r1 += ${g.pick([4, 8])}`, 'r0 = *(u32 *)(r1 +0)');
}

/** A field of the kernel's map object read (or written) through a map pointer, now and then a pointer field followed. */
function mapField(g: Gen): void {
  const [t] = g.chance(0.6) ? ['u32'] : size(g);
  const off = g.pick([76, 76, 64, 68, 72, 88, 92, 136, 80, 40, 48, 44, 296, 300, 0, -4, 1000, 150]);
  g.emit(`r1 = map[idx:${g.int(4)}]`);
  g.emit(g.chance(0.9) ? `r0 = *(${t} *)(r1 ${at(off)})` : `*(${t} *)(r1 ${at(off)}) = r9`);
  if (g.chance(0.2)) g.emit(`r2 = *(${g.pick(['u32', 'u64'])} *)(r0 +${g.pick([0, 76, 8])})`);
}

/** A bounded loop: counting down from a masked unknown, up to a constant, under may_goto, or never ending. */
function loop(g: Gen): void {
  const top = g.fresh();
  const done = g.fresh();
  const body = (precise: boolean): void => {
    if (precise && g.chance(0.5)) g.emit('r2 = r10', 'r2 += -32', 'r3 = r1', `r3 &= ${g.pick([31, 15, 63])}`, 'r2 += r3', g.chance(0.7) ? 'r0 = *(u8 *)(r2 +0)' : '*(u8 *)(r2 +0) = r1');
    else if (g.chance(0.5)) g.emit('r0 = *(u64 *)(r10 -8)');
  };
  switch (g.int(5)) {
    case 0:
      g.emit('r1 = r9', `r1 &= ${g.pick([7, 15, 63, 255])}`, `${top}:`, `if r1 == 0 goto ${done}`);
      body(true);
      g.emit(g.chance(0.95) ? 'r1 -= 1' : 'r1 -= 0', `goto ${top}`, `${done}:`);
      break;
    case 1:
      g.emit('r1 = 0', `${top}:`, 'r1 += 1');
      body(true);
      g.emit(`if r1 ${g.pick(['<', '!=', '<='])} ${g.pick([4, 16, 100, 1000])} goto ${top}`);
      break;
    case 2:
      g.emit('r1 = 0', `${top}:`, `may_goto ${done}`, 'r1 += 1');
      body(false);
      g.emit(`goto ${top}`, `${done}:`);
      break;
    case 3:
      g.emit('r1 = r9', `${top}:`, `if r1 ${g.pick(['s>', '>'])} ${g.pick([5, 100])} goto ${done}`);
      body(false);
      g.emit(g.pick(['r1 += 1', 'r1 += 0']), `goto ${top}`, `${done}:`);
      break;
    default:
      g.emit('r1 = r9', 'r1 &= 3', 'r2 = 0', `${top}:`, 'r2 += r1', `if r2 ${g.pick(['<', '<='])} ${g.pick([10, 40])} goto ${top}`, 'r0 = r2');
  }
}

/** bpf_loop or bpf_for_each_map_elem with a callback that reads and writes its context and arguments. */
function callback(g: Gen): void {
  const cb = `cb${g.fresh()}`;
  const each = g.chance(0.4);
  const ctx = g.chance(0.8);
  g.emit('r1 = 0', '*(u64 *)(r10 -64) = r1');
  if (each) g.emit(`r1 = map[idx:${g.chance(0.6) ? 0 : g.pick([1, 2])}]`);
  else g.emit(g.pick(['r1 = 4', 'r1 = 1', 'r1 = 100', 'r1 = r9']));
  if (!each && g.chance(0.2)) g.emit(`r1 &= ${g.pick([7, 3])}`, 'r1 += 1');
  else if (!each) g.emit('r1 &= 127');
  g.emit(g.chance(0.95) ? `r2 = subprog[${cb}]` : g.pick(['r2 = 0', 'r2 = r10']), ctx ? 'r3 = r10' : 'r3 = 0');
  if (ctx) g.emit(`r3 += ${g.chance(0.9) ? -64 : g.pick([-60, -72])}`);
  g.emit('r4 = 0', `call ${each ? 'bpf_for_each_map_elem' : 'bpf_loop'}`);
  if (ctx && !each && g.chance(0.5)) {
    g.emit('r1 = *(u64 *)(r10 -64)', g.pick(['r1 &= 15', 'r1 &= 7', 'r1 += 0']), 'r2 = r10', 'r2 += -16', 'r2 += r1', 'r0 = *(u8 *)(r2 +0)');
  }
  const ctxReg = each ? 'r4' : 'r2';
  const t = g.tail;
  t.push(`${cb}:`);
  if (ctx || g.chance(0.2)) {
    switch (g.int(4)) {
      case 0: t.push(`r5 = *(u64 *)(${ctxReg} +0)`, 'r5 += 1', `*(u64 *)(${ctxReg} +0) = r5`); break;
      case 1: t.push(`*(u64 *)(${ctxReg} ${at(g.pick([0, 0, 8, -8]))}) = ${each ? 'r5' : 'r1'}`); break;
      case 2: t.push(`r5 = *(u64 *)(${ctxReg} +0)`, 'r5 += 8', `*(u64 *)(${ctxReg} +0) = r5`); break;
      default: t.push(`r0 = *(u32 *)(${ctxReg} +${g.pick([0, 4, 8])})`);
    }
  }
  if (each && g.chance(0.7)) {
    const [ty, sz] = size(g);
    const off = g.chance(0.8) ? g.int(8 - sz + 1) : g.pick([8, 16, 12]);
    t.push(g.chance(0.5) ? `r0 = *(${ty} *)(r3 +${off})` : `*(${ty} *)(r3 +${off}) = r1`, g.pick(['r0 = *(u32 *)(r2 +0)', 'r0 = 0', 'r0 = *(u32 *)(r2 +4)']));
  }
  if (!each && g.chance(0.3)) t.push('r0 = r1', g.pick(['r0 &= 1', 'r0 &= 3', 'r0 = *(u8 *)(r1 +0)']));
  t.push(g.chance(0.85) ? `r0 = ${g.pick([0, 1, 1, 0, 2])}` : g.pick(['r0 = r1', 'r0 = r10']), 'exit');
}

/** Acquired references: a ring buffer record or a socket, released on every path, some paths, or none. */
function refs(g: Gen): void {
  const skip = g.fresh();
  const sock = g.chance(0.5);
  if (sock) {
    g.emit('r1 = 0', '*(u64 *)(r10 -48) = r1', '*(u64 *)(r10 -40) = r1', 'r1 = r6', 'r2 = r10', 'r2 += -48', `r3 = ${g.pick([12, 12, 36, 8])}`,
      `r4 = ${g.pick([-1, -1, 0])}`, 'r5 = 0', `call ${g.pick(['bpf_sk_lookup_tcp', 'bpf_sk_lookup_udp', 'bpf_skc_lookup_tcp'])}`);
  } else {
    g.emit('r1 = map[idx:2]', `r2 = ${g.pick([8, 16])}`, 'r3 = 0', 'call bpf_ringbuf_reserve');
  }
  if (g.chance(0.9)) g.emit(`if r0 == 0 goto ${skip}`);
  if (!sock && g.chance(0.5)) g.emit(`*(u64 *)(r0 +${g.pick([0, 8, 16])}) = r9`);
  if (g.chance(0.3)) g.emit('r1 = r0', `if r9 > ${g.pick([5, 100])} goto ${skip}`);
  const release = sock ? 'bpf_sk_release' : g.pick(['bpf_ringbuf_submit', 'bpf_ringbuf_discard']);
  if (g.chance(0.9)) g.emit('r1 = r0', 'r2 = 0', `call ${release}`);
  if (g.chance(0.1)) g.emit(sock ? 'r0 = *(u32 *)(r1 +4)' : 'r2 = 0', g.pick([`call ${release}`, 'r0 = 0']));
  g.emit(`${skip}:`);
}

const SNIPPETS = [
  pktAccess, pktAccess, pktAccess, varPkt, varPkt, mapLookup, mapLookup, mapLookup, stack, stack, spillFill, spillFill,
  uninit, helperArgs, helperArgs, ptrArith, bounds, bounds, bounds, ctxField, loop, loop, callback, callback, refs, refs, mapField,
];

/** Breaks the program's structure in one of the ways the kernel checks before verifying. */
function structural(g: Gen, insns: Insn[]): Insn[] {
  const out = [...insns];
  const at = g.int(out.length - 1);
  if (out[at]!.code === 0x18 || (at > 0 && out[at - 1]!.code === 0x18)) return [...out, insn(0xb7, 0, 0, 0, 0), insn(0x95)];
  switch (g.int(7)) {
    case 0: out.splice(at, 1, insn(g.pick([0xff, 0x8c, 0x0d, 0xe6, 0x38]), 1, 0, 0, 0)); return out;
    case 1: out.splice(at, 0, insn(0x37, 9, 0, 0, 0)); return out;
    case 2: out.splice(at, 0, insn(0x67, 9, 0, 0, g.pick([64, 65, -1]))); return out;
    case 3: out.splice(at, 0, insn(0x05, 0, 0, g.pick([out.length + 3, -at - 5]), 0)); return out;
    case 4: return [...out, insn(0xb7, 0, 0, 0, 0), insn(0x95)];
    case 5: out.pop(); return out;
    default: out.splice(at, 0, insn(0xb7, 0, 0, 0, 1), insn(0x95), insn(0xb7, 0, 0, 0, 1)); return out;
  }
}

/** The program for `seed`. */
export function genVerifierProgram(seed: number): GenVerifierProgram {
  const g = new Gen(prng(seed));
  g.emit('r6 = r1', 'r7 = *(u32 *)(r6 +0)', 'r8 = *(u32 *)(r6 +4)', 'call bpf_get_prandom_u32', 'r9 = r0');
  if (g.chance(0.3)) g.emit(`r9 &= ${g.pick([0xff, 0xffff, 0x7fffffff])}`);
  for (let n = 1 + g.int(2); n > 0; n--) g.pick(SNIPPETS)(g);
  g.emit(g.chance(0.97) ? 'r0 = 2' : 'r0 = r9', 'exit');
  if (g.usesOut) g.emit('out:', 'r0 = 1', 'exit');
  g.emit(...g.tail);
  const source = g.lines.join('\n');
  let { insns } = assemble(source);
  if (g.chance(0.04)) insns = structural(g, insns);
  return { seed, source, insns };
}

/** The generator as a fast-check arbitrary (shrinking works on the seed). */
export const arbVerifierProgram: fc.Arbitrary<GenVerifierProgram> = fc.nat().map(genVerifierProgram);
