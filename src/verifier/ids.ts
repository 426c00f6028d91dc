/**
 * Scalar ids, as Linux 6.18 links registers: a copy of a non-constant scalar shares its id
 * (assign_scalar_id_before_mov), `rX += K` keeps the link with the constant as a delta, and an
 * undecided jump gives the registers sharing an operand's id what it learned about the operand
 * (collect_linked_regs, sync_linked_regs), each shifted by its delta.
 */
import { linkedAdd } from './alu.js';
import { BPF_ADD, BPF_SUB } from '../isa/index.js';
import { copyScalar, type Scalar } from './scalar.js';
import { tnumIsConst } from './tnum.js';
import type { Env } from './env.js';
import { RegState, RegType } from './regState.js';
import type { LinkedReg, VerifierState } from './state.js';

/** assign_scalar_id_before_mov: give a scalar about to be copied an id (dropping a delta link). */
export function assignScalarId(env: Env, r: RegState): void {
  if (r.type !== RegType.SCALAR) return;
  if (r.addConst) { r.id = 0; r.off = 0; r.addConst = false; r.addConst32 = false; }
  if (r.id === 0 && !tnumIsConst(r.s)) r.id = env.newId();
}

/** Drops a scalar's link. */
export function unlink(r: RegState): void {
  r.id = 0; r.off = 0; r.addConst = false; r.addConst32 = false;
}

/**
 * adjust_reg_min_max_vals's rule after `dst op= src` on scalars: `rX += K` / `rX -= K` (K a
 * constant within s32, once) keeps rX linked at delta K; anything else drops the link.
 */
export function linkAfterAlu(d: RegState, src: Scalar, op: number, alu64: boolean, dstUmaxHiBefore: number): void {
  const isConst = alu64 ? tnumIsConst(src) : src.mlo === 0;
  if ((op !== BPF_ADD && op !== BPF_SUB) || d.id === 0 || !isConst) { unlink(d); return; }
  const fitsS32 = (src.vhi === 0 && src.vlo >= 0) || (src.vhi === -1 && src.vlo < 0);
  let off = src.vlo | 0;
  const clear = (!alu64 ? dstUmaxHiBefore !== 0 : !fitsS32) || (op === BPF_SUB && off === -0x80000000) || d.addConst;
  if (clear) { unlink(d); return; }
  if (op === BPF_SUB) off = -off;
  d.addConst = true;
  d.addConst32 = !alu64;
  d.off = off;
}

/**
 * collect_linked_regs: the live registers and spilled scalars (of every frame) sharing `id`,
 * appended to `list` (with where they are, for the jump history), at most six in all; one that
 * does not fit loses its id.
 */
export function collectLinked(st: VerifierState, id: number, liveOf: (frame: number) => number, list: RegState[], where: LinkedReg[]): void {
  for (let fi = st.frames.length - 1; fi >= 0; fi--) {
    const f = st.frames[fi]!;
    const live = liveOf(fi);
    const visit = (r: RegState, isReg: boolean, n: number): void => {
      if (r.type !== RegType.SCALAR || r.id !== id) return;
      if (list.length < 6) { list.push(r); where.push({ frame: fi, isReg, n }); } else unlink(r);
    };
    for (let j = 0; j < 10; j++) if ((live >> j) & 1) visit(f.regs[j]!, true, j);
    for (let spi = 0; spi < f.allocatedStack / 8; spi++) if (f.isSpilled(spi)) visit(f.spilled[spi]!, false, spi);
  }
}

/** The registers of `other` at the same places as `list`'s in `st` (the pushed branch's copies). */
export function sameRegsIn(st: VerifierState, other: VerifierState, list: readonly RegState[]): RegState[] {
  const out: RegState[] = [];
  for (const r of list) {
    st.frames.forEach((f, fi) => {
      const ri = f.regs.indexOf(r);
      if (ri >= 0) out.push(other.frames[fi]!.regs[ri]!);
      const si = f.spilled.indexOf(r);
      if (si >= 0) out.push(other.frames[fi]!.spilled[si]!);
    });
  }
  return out;
}

/** sync_linked_regs: every register of `linked` sharing `known`'s id learns its refined value. */
export function syncLinked(known: RegState, linked: readonly RegState[]): void {
  if (known.type !== RegType.SCALAR || known.id === 0) return;
  for (const r of linked) {
    if (r === known || r.type !== RegType.SCALAR || r.id !== known.id) continue;
    if ((!r.addConst && !known.addConst) || r.off === known.off) {
      copyScalar(r.s, known.s);
      r.addConst = known.addConst; r.addConst32 = known.addConst32; r.off = known.off;
    } else {
      copyScalar(r.s, known.s);
      linkedAdd(r.s, r.off - known.off, known.addConst32 || r.addConst32);
    }
  }
}
