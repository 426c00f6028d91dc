/**
 * Runs random helper programs (helperProgram.ts) on the kernel and on bpfsim and compares what
 * they left: the return value, every result slot in data out, and the maps (keyed maps element
 * by element, per-CPU values summed; queue and stack drained in order; the bloom filter asked
 * about the values the program pushed). A program the kernel refuses goes through bpfsim's verifier
 * too (the simulated backends load without it), and the refusal is agreed when that refuses it
 * with the same errno and reason.
 */
import { ErrnoError, errnoName } from '../../src/errno.js';
import { assemble, disasm } from '../../src/isa/index.js';
import { BPF_PROG_TYPE_XDP } from '../../src/uapi.js';
import { verifyProgram } from '../../src/verifier/index.js';
import type { Backend, BackendMap, BackendProgram, SimBackend } from '../../src/vm/index.js';
import { dumpMap } from '../elf/support/dump.js';
import { funcInfoBtf } from '../helpers/support/xdp.js';
import { HELPER_MAPS, HELPER_PACKET_LEN, TAIL_TARGETS, bloomProbes, helperProgramText } from './helperProgram.js';
import type { HelperCase } from './helperProgram.js';

/** Everything a run left behind, in a backend-neutral form. */
export interface HelperRunState {
  readonly retval: number;
  readonly slots: readonly bigint[];
  readonly maps: Readonly<Record<string, readonly string[]>>;
}

const hex = (b: Uint8Array): string => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');

function fdOf(p: BackendProgram): number {
  const fd = (p as unknown as { fd: number | { raw: number } }).fd;
  return typeof fd === 'number' ? fd : fd.raw;
}

function drain(m: BackendMap): string[] {
  const out: string[] = [];
  for (let v = m.lookupAndDelete(null); v; v = m.lookupAndDelete(null)) out.push(hex(v));
  return out;
}

/** Runs a case on a backend; throws the ErrnoError of a refused load. */
export function runHelperCase(b: Backend, c: HelperCase): HelperRunState {
  const maps = HELPER_MAPS.map((s) => b.createMap(s));
  const progs: BackendProgram[] = [];
  try {
    TAIL_TARGETS.forEach((r0, slot) => {
      const p = b.loadProgram({ type: BPF_PROG_TYPE_XDP, insns: assemble(`r0 = ${r0}\nexit`).insns, name: 'target' }).program;
      progs.push(p);
      maps[9]!.update(Uint8Array.of(slot, 0, 0, 0), new Uint8Array(new Uint32Array([fdOf(p)]).buffer));
    });
    const layout = helperProgramText(c, b.ncpus);
    const { insns } = assemble(layout.text);
    const main = b.loadProgram({ type: BPF_PROG_TYPE_XDP, insns, maps, name: 'helpers', btf: funcInfoBtf(insns) }).program;
    progs.push(main);
    const r = main.testRun({ data: new Uint8Array(HELPER_PACKET_LEN) });
    const view = new DataView(r.data.buffer, r.data.byteOffset, r.data.byteLength);
    const slots = Array.from({ length: layout.slots }, (_, i) => view.getBigUint64(8 * i, true));
    const dumps: Record<string, string[]> = {};
    HELPER_MAPS.forEach((spec, i) => {
      const m = maps[i]!;
      const d = dumpMap(m, b.ncpus);
      if (d) dumps[spec.name!] = d;
      else if (spec.name === 'queue' || spec.name === 'stack') dumps[spec.name] = drain(m);
      else if (spec.name === 'bloom') {
        dumps[spec.name] = bloomProbes(c).map((v) => {
          const probe = new Uint8Array(new BigUint64Array([v]).buffer);
          return `${v.toString(16)}:${m.lookup(probe) ? 'maybe' : 'no'}`;
        });
      }
    });
    return { retval: r.retval, slots, maps: dumps };
  } finally {
    for (const p of progs) p.close();
    for (const m of maps) (m as unknown as { close(): void }).close();
  }
}

/** How a case came out. */
export type HelperOutcome =
  | { readonly kind: 'match' }
  | { readonly kind: 'refused'; readonly reason: string; readonly agreed: boolean }
  | { readonly kind: 'mismatch'; readonly detail: string; readonly listing: string };

/** Where two states differ, in a sentence. */
export function describeStates(k: HelperRunState, s: HelperRunState): string {
  const parts: string[] = [];
  if (k.retval !== s.retval) parts.push(`retval kernel ${k.retval} bpfsim ${s.retval}`);
  for (let i = 0; i < Math.max(k.slots.length, s.slots.length); i++) {
    if (k.slots[i] !== s.slots[i]) parts.push(`slot ${i} kernel 0x${k.slots[i]?.toString(16)} bpfsim 0x${s.slots[i]?.toString(16)}`);
  }
  for (const name of Object.keys(k.maps)) {
    const a = JSON.stringify(k.maps[name]);
    const b = JSON.stringify(s.maps[name]);
    if (a !== b) parts.push(`map ${name}: kernel ${a} bpfsim ${b}`);
  }
  return parts.join('; ');
}

/** Why bpfsim's verifier refuses a case, in the kernel's words (`EFAULT (14): reason`); undefined if it accepts. */
function simRefusal(c: HelperCase, ncpus: number): string | undefined {
  const { insns } = assemble(helperProgramText(c, ncpus).text);
  const maps = HELPER_MAPS.map((m) => ({ ...m, name: m.name ?? '', flags: m.flags ?? 0 }));
  const r = verifyProgram(insns, { progType: BPF_PROG_TYPE_XDP, maps, funcInfo: true, nrCpus: ncpus });
  return r.ok ? undefined : `${errnoName(r.errno)} (${r.errno}): ${r.errors[0]!.message.split('\n')[0]}`;
}

/** Runs a case on the kernel and on bpfsim (one backend per engine) and classifies the outcome: the first engine that differs is the mismatch. */
export function diffHelperCase(c: HelperCase, kernel: Backend, sims: readonly SimBackend[]): HelperOutcome {
  let k: HelperRunState;
  try {
    k = runHelperCase(kernel, c);
  } catch (e) {
    if (!(e instanceof ErrnoError) || e.op !== 'BPF_PROG_LOAD') throw e;
    const reason = e.message.replace(/^BPF_PROG_LOAD failed: /, '');
    return { kind: 'refused', reason, agreed: simRefusal(c, kernel.ncpus) === reason };
  }
  for (const sim of sims) {
    const detail = describeStates(k, runHelperCase(sim, c));
    if (detail) return { kind: 'mismatch', detail: `${sim.engine}: ${detail}`, listing: disasm(assemble(helperProgramText(c, kernel.ncpus).text).insns) };
  }
  return { kind: 'match' };
}
