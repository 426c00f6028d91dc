/**
 * Reads the kernel verifier's level-2 log into the same events the test driver produces: the
 * registers printed after each instruction, and the full state on entering a pushed branch.
 */
import type { Event } from './driver.js';

/**
 * A log event; `safe` marks a path the kernel pruned (state pruning is not the domain's job),
 * either on entering a pushed branch (`branch`) or part-way along a path.
 */
export type LogEvent = Event | { readonly kind: 'safe'; readonly idx: number; readonly branch: boolean };

const INSN_LINE = /^(\d+): \([0-9a-f]{2}\) ([^;]*?)\s*(?:; (.*))?$/;
const FROM_LINE = /^from (\d+) to (\d+): (.*)$/;
const SAFE_LINE = /^(\d+): safe$/;

/** Register number to printed state, from `R0=scalar() R1=ctx() ...`, with precision marks removed. */
export function parseRegs(text: string): Map<number, string> {
  const regs = new Map<number, string>();
  for (const m of text.matchAll(/R(\d+)(?:_\w+)?=(.*?)(?= R\d+(?:_\w+)?=|$)/g)) {
    regs.set(Number(m[1]), m[2]!.trim().replace(/^P/, ''));
  }
  return regs;
}

/** The events of a level-2 log, in order. */
export function parseLog(log: string): LogEvent[] {
  const out: LogEvent[] = [];
  for (const line of log.split('\n')) {
    const from = FROM_LINE.exec(line);
    if (from) {
      const idx = Number(from[2]);
      if (from[3]!.trim() === 'safe') out.push({ kind: 'safe', idx, branch: true });
      else out.push({ kind: 'from', idx, from: Number(from[1]), regs: parseRegs(from[3]!) });
      continue;
    }
    const safe = SAFE_LINE.exec(line);
    if (safe) {
      out.push({ kind: 'safe', idx: Number(safe[1]), branch: false });
      continue;
    }
    const m = INSN_LINE.exec(line);
    if (m) out.push({ kind: 'insn', idx: Number(m[1]), regs: parseRegs(m[3] ?? '') });
  }
  return out;
}

/** One register state on which the kernel and the test driver disagree. */
export interface Mismatch {
  readonly kind: 'insn' | 'from' | 'sequence';
  readonly idx: number;
  readonly reg: number;
  readonly kernel: string;
  readonly mine: string;
}

/** Register states compared, and the disagreements (the first per program path is enough). */
export interface Comparison {
  readonly states: number;
  readonly mismatches: Mismatch[];
}

/**
 * Compares the kernel's events with the driver's, in order: every register the kernel prints
 * after an instruction or on entering a branch must print the same from the driver. A path the
 * kernel pruned (`safe`) is skipped in both, up to the next branch the kernel enters.
 */
export function compareEvents(kernel: readonly LogEvent[], mine: readonly Event[]): Comparison {
  let states = 0;
  const mismatches: Mismatch[] = [];
  let i = 0;
  let resync = false;
  for (const ev of kernel) {
    if (ev.kind === 'safe') {
      // The pruned path may have pushed branches of its own in the driver: resume at the next
      // branch the kernel enters.
      resync = true;
      continue;
    }
    if (resync && ev.kind === 'from') {
      while (i < mine.length && !(mine[i]!.kind === 'from' && mine[i]!.idx === ev.idx && mine[i]!.from === ev.from)) i++;
      resync = false;
    }
    const m = mine[i++];
    if (!m || m.kind !== ev.kind || m.idx !== ev.idx) {
      mismatches.push({ kind: 'sequence', idx: ev.idx, reg: -1, kernel: `${ev.kind} ${ev.idx}`, mine: m ? `${m.kind} ${m.idx}` : 'end' });
      break;
    }
    for (const [reg, text] of ev.regs) {
      states++;
      const my = m.regs.get(reg) ?? 'not initialised';
      if (my !== text) mismatches.push({ kind: ev.kind, idx: ev.idx, reg, kernel: text, mine: my });
    }
  }
  return { states, mismatches };
}
